"""The sidebar's filters and map settings: widgets that start from the link's view and
return plain values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.filters import MAX_SEARCH, Filters
from dashboard.layers import COLOUR_BY, LAYERS
from dashboard.ui.caches import Facts
from dashboard.ui.state import LAYER, PERIOD, PERIOD_DATA
from dashboard.wording import plural

# Period presets, counted back from the last day in the data (not from today: a
# historical file has nothing in the last 30 days of the calendar).
PRESETS = {"All": None, "Last 12 months": 365, "Last 30 days": 30}
LAYER_NAMES = {"points": "Points", "heatmap": "Heatmap", "grid": "Grid of counts"}
COLOUR_NAMES = {"event_type": "event type", "actor": "actor"}


@dataclass(frozen=True)
class MapSettings:
    layer: str  # one of layers.LAYERS
    colour_by: str  # one of layers.COLOUR_BY
    tiles: bool  # CARTO's street map under the incidents


def choices_ui(label: str, key: str, counts: pd.Series, default: tuple[str, ...],
               help: str | None = None) -> tuple[str, ...]:
    """A multiselect over ``counts`` (value -> incidents), starting from the URL's
    values; a chosen value the options no longer hold is dropped, not an error."""
    chosen = st.session_state.get(key, list(default))
    st.session_state[key] = [value for value in chosen if value in counts.index]
    picked = st.sidebar.multiselect(
        label, options=list(counts.index), key=key, help=help,
        format_func=lambda value: f"{value} ({counts[value]:,})", placeholder="All")
    return tuple(picked)


def set_period(first: dt.date, last: dt.date, days: int | None) -> None:
    st.session_state[PERIOD] = (first if days is None else max(
        first, last - dt.timedelta(days=days - 1)), last)


def period_ui(facts: Facts, default: Filters, files: tuple) -> tuple[dt.date | None,
                                                                      dt.date | None]:
    first, last = facts.first, facts.last
    if first is None or last is None:
        return None, None
    if first == last:
        st.sidebar.write(f"Period: {first:%d %b %Y}")
        return first, last
    if st.session_state.get(PERIOD_DATA) != files:
        # The page opens on the link's period; new data (an upload, a file ticked off)
        # opens on all of it: a period chosen for other data would hide rows unsaid. A
        # saved fix or the online toggle changes how rows are placed, not which rows.
        opened = PERIOD_DATA not in st.session_state
        st.session_state[PERIOD] = ((default.start or first, default.end or last) if opened
                                    else (first, last))
        st.session_state[PERIOD_DATA] = files
    start, end = st.session_state[PERIOD]
    st.session_state[PERIOD] = (min(max(start, first), last), max(min(end, last), first))
    with st.sidebar.container(horizontal=True, gap="small"):  # wraps, never truncates
        for name, days in PRESETS.items():
            st.button(name, key=f"preset-{name}", on_click=set_period, args=(first, last, days))
    start, end = st.sidebar.slider("Period", min_value=first, max_value=last, key=PERIOD,
                                   format="YYYY-MM-DD")
    outside = facts.outside(start, end)
    if outside:
        st.sidebar.caption(f"This period leaves out {plural(outside, 'incident')} of "
                           f"{facts.dated:,}.")
        st.sidebar.button("Show the whole period", key="whole-period", on_click=set_period,
                          args=(first, last, None))
    return start, end


def filters_ui(facts: Facts, default: Filters, files: tuple) -> Filters:
    start, end = period_ui(facts, default, files)
    countries = choices_ui("Countries", "countries", facts.countries, default.countries)
    regions = facts.admin1
    if countries:
        regions = regions[regions["country"].isin(countries)]
    admin1 = choices_ui(
        "Regions (admin-1)", "admin1",
        regions.groupby("admin1")["incidents"].sum().sort_values(ascending=False),
        default.admin1, help="States, provinces, governorates; the list follows the chosen "
                             "countries.")
    actors = choices_ui("Actors", "actors", facts.actors, default.actors)
    event_types = choices_ui("Event types", "event_types", facts.event_types,
                             default.event_types)
    st.session_state.setdefault("text", default.text)
    text = st.sidebar.text_input("Search place and notes", key="text", max_chars=MAX_SEARCH)
    st.session_state.setdefault("min_fatalities", default.min_fatalities)
    least = st.sidebar.number_input("At least this many fatalities", min_value=0, step=1,
                                    key="min_fatalities")
    st.session_state.setdefault("hide_country_level", default.hide_country_level)
    hide = st.sidebar.checkbox("Hide incidents placed only at country level",
                               key="hide_country_level")
    return Filters(start=start, end=end, countries=countries, admin1=admin1, actors=actors,
                   event_types=event_types, text=text.strip(), min_fatalities=int(least),
                   hide_country_level=hide)


def map_settings_ui(default_layer: str) -> MapSettings:
    st.sidebar.title("Map")
    st.session_state.setdefault(LAYER, default_layer)
    layer = st.sidebar.radio("Show incidents as", LAYERS, key=LAYER, horizontal=True,
                             format_func=LAYER_NAMES.get)
    colour_by = st.sidebar.radio("Colour points by", COLOUR_BY, key="colour_by",
                                 horizontal=True, format_func=COLOUR_NAMES.get)
    tiles = st.sidebar.toggle(
        "Street map from CARTO", key="tiles",
        help="Draws CARTO's basemap (OpenStreetMap data) under the incidents; the page "
             "then fetches map tiles from CARTO's servers. Off, the map uses only the "
             "country outlines this app serves itself.")
    return MapSettings(layer, colour_by, tiles)

"""The sidebar's filters and map settings: widgets that start from the link's view and
return plain values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from dashboard.filters import DECLARED, FILTERS, MAX_SEARCH, PERIOD_FILTERS, Filter, Filters
from dashboard.gazetteer import load_gazetteer
from dashboard.layers import COLOUR_BY, LAYERS
from dashboard.ui.caches import Facts
from dashboard.ui.state import LAYER, PERIOD, PERIOD_DATA, plain
from dashboard.vicinity import DEFAULT_KM, MAX_KM, MAX_TEXT, MIN_KM, Unresolved, locate_near
from dashboard.wording import plural

# Period presets, counted back from the last day in the data (not from today: a
# historical file has nothing in the last 30 days of the calendar).
PRESETS = {"All": None, "Last 12 months": 365, "Last 30 days": 30}
LAYER_NAMES = {"points": "Points", "heatmap": "Heatmap", "grid": "Grid of counts"}
COLOUR_NAMES = {"event_type": "event type", "actor": "actor", "actor_family": "actor family"}


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


@dataclass(frozen=True)
class Drawing:
    """What every filter's widget may need: the data's facts, the link's filters, the
    files loaded, and the values the widgets above it chose (by field)."""

    facts: Facts
    default: Filters
    files: tuple
    chosen: dict = field(default_factory=dict)


def set_period(first: dt.date, last: dt.date, days: int | None) -> None:
    st.session_state[PERIOD] = (first if days is None else max(
        first, last - dt.timedelta(days=days - 1)), last)


def period_ui(declared: Filter, drawing: Drawing) -> dict:
    """Both bounds of the period (start, end: PERIOD_FILTERS) on one slider, with presets
    and what the period leaves out."""
    facts, default, files = drawing.facts, drawing.default, drawing.files
    start_field, end_field = (bound.field for bound in PERIOD_FILTERS)
    first, last = facts.first, facts.last
    if first is None or last is None:
        return {start_field: None, end_field: None}
    if first == last:
        st.sidebar.write(f"{declared.label}: {first:%d %b %Y}")
        return {start_field: first, end_field: last}
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
    start, end = st.sidebar.slider(declared.label, min_value=first, max_value=last, key=PERIOD,
                                   format="YYYY-MM-DD", help=declared.widget_help or None)
    outside = facts.outside(start, end)
    if outside:
        st.sidebar.caption(f"This period leaves out {plural(outside, 'incident')} of "
                           f"{facts.dated:,}.")
        st.sidebar.button("Show the whole period", key="whole-period", on_click=set_period,
                          args=(first, last, None))
    return {start_field: start, end_field: end}


def offers_ui(declared: Filter, drawing: Drawing) -> dict:
    """A choice filter's multiselect; one that follows another offers only the values
    seen with what that one chose (regions of the chosen countries)."""
    counts = drawing.facts.offers[declared.field]
    followed = drawing.chosen.get(declared.follows) if declared.follows else ()
    if followed:
        pairs = drawing.facts.pairs[declared.field]
        pairs = pairs[pairs[DECLARED[declared.follows].column].isin(followed)]
        counts = pairs.groupby(declared.column, observed=True)["incidents"].sum().sort_values(
            ascending=False)
    return {declared.field: choices_ui(declared.label, declared.field, counts,
                                       getattr(drawing.default, declared.field),
                                       help=declared.widget_help or None)}


def text_ui(declared: Filter, drawing: Drawing) -> dict:
    st.session_state.setdefault(declared.field, getattr(drawing.default, declared.field))
    text = st.sidebar.text_input(declared.label, key=declared.field, max_chars=MAX_SEARCH,
                                 help=declared.widget_help or None)
    return {declared.field: text.strip()}


def at_least_ui(declared: Filter, drawing: Drawing) -> dict:
    st.session_state.setdefault(declared.field, getattr(drawing.default, declared.field))
    least = st.sidebar.number_input(declared.label, min_value=0, step=1, key=declared.field,
                                    help=declared.widget_help or None)
    return {declared.field: int(least)}


def flag_ui(declared: Filter, drawing: Drawing) -> dict:
    st.session_state.setdefault(declared.field, getattr(drawing.default, declared.field))
    return {declared.field: st.sidebar.checkbox(declared.label, key=declared.field,
                                                help=declared.widget_help or None)}


def radius_key(declared: Filter) -> str:
    return f"{declared.field}_{declared.radius}"


def near_ui(declared: Filter, drawing: Drawing) -> dict:
    """A place (or coordinates) and a radius, and where the place was found; a place
    that names no point is said, and the filter is then not applied."""
    default = getattr(drawing.default, declared.field)
    st.session_state.setdefault(declared.field, default.text if default else "")
    st.session_state.setdefault(radius_key(declared), default.km if default else DEFAULT_KM)
    text = st.sidebar.text_input(declared.label, key=declared.field, max_chars=MAX_TEXT,
                                 placeholder="Palma, Mozambique",
                                 help=declared.widget_help or None)
    km = st.sidebar.number_input("Within (km)", min_value=MIN_KM, max_value=MAX_KM,
                                 step=10.0, format="%g", key=radius_key(declared),
                                 help=f"Up to {MAX_KM:,.0f} km: wider than that, a "
                                      "country or region says it better.")
    if not text.strip():
        return {declared.field: None}
    try:
        near = locate_near(text, float(km), load_gazetteer())
    except Unresolved as reason:
        st.sidebar.warning(f"{plain(reason)}: the distance filter is not applied.")
        return {declared.field: None}
    st.sidebar.caption(f"Within {near.km:g} km of {plain(near.label)}.")
    return {declared.field: near}


def set_near(declared: Filter, text: str) -> None:
    """Put ``text`` (a place, or "lat, lon") in the distance filter (a button's callback)."""
    st.session_state[declared.field] = text


# Each kind of filter's widget (filters.KINDS): it draws one declared filter (the period:
# both its bounds) and returns the values it chose, by field. The widget's session-state
# key is the filter's field (the period's is PERIOD), as links and sessions expect.
WIDGETS: dict[str, Callable[[Filter, Drawing], dict]] = {
    "period": period_ui, "choices": offers_ui, "text": text_ui, "at_least": at_least_ui,
    "flag": flag_ui, "near": near_ui}


def filters_ui(facts: Facts, default: Filters, files: tuple) -> Filters:
    """Every declared filter's widget, in the declarations' order, starting from the
    link's filters (``default``)."""
    drawing = Drawing(facts, default, files)
    for declared in FILTERS:
        if declared.field not in drawing.chosen:  # the period's end came with its start
            drawing.chosen.update(WIDGETS[declared.kind](declared, drawing))
    return Filters(**drawing.chosen)


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

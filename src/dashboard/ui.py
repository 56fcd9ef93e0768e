"""The Streamlit page. The only module that imports Streamlit; the logic it calls is pandas.

Each ``*_ui`` function draws one part of the page and returns plain values. Work that
depends only on the loaded table (its choices, its map view) is cached per table; work
that depends on the filters is cached by the filter values, so returning to a view, or
another user opening it, costs nothing. The map, figures and charts form a fragment: the
playback reruns only them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pydeck as pdk
import streamlit as st

from dashboard import charts, store
from dashboard.dataset import SAMPLE_PATH, combine, load_path, load_raw, unmapped
from dashboard.export import provenance, to_csv_bytes, to_geojson_bytes
from dashboard.filters import (
    MAX_SEARCH,
    QUERY_NAMES,
    Filters,
    Selection,
    describe,
    from_query,
    to_query,
    windows,
)
from dashboard.gazetteer import load_gazetteer
from dashboard.geocode import candidates, needing_review
from dashboard.layers import (
    COLOUR_BY,
    LAYERS,
    OTHER_LABEL,
    POINT_LIMIT,
    IncidentMap,
    build_map,
    fit_view,
    map_input,
)
from dashboard.online import ATTRIBUTION, configured
from dashboard.schema import Table
from dashboard.sources import MAX_BYTES, LoaderError, RawTable, read_table

DATA_ENV = "DASHBOARD_DATA"
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
TABLE_ROWS = 1_000
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "json"]
TYPE_COORDINATES = "None of these: type its coordinates"
MAPPABLE = ["date", "place", "country", "latitude", "longitude", "fatalities", "actor"]
TABLE_COLUMNS = [
    "date", "country", "admin1", "place", "fatalities", "actor", "event_type", "notes",
    "geo_precision", "geo_method", "geo_ambiguous", "source", "source_url", "event_id",
    "dataset",
]
FIGURE_COLUMNS = ["country", "fatalities", "latitude"]
# Period presets, counted back from the last day in the data (not from today: a
# historical file has nothing in the last 30 days of the calendar).
PRESETS = {"All": None, "Last 12 months": 365, "Last 30 days": 30}
SPEEDS = {"slow": 2.0, "normal": 1.0, "fast": 0.5}  # seconds per playback step
LAYER_NAMES = {"points": "Points", "heatmap": "Heatmap", "grid": "Grid of counts"}
COLOUR_NAMES = {"event_type": "event type", "actor": "actor"}
EVENT_QUERY = "event"


def plain(text: object) -> str:
    """Text from a file (names, cells in messages) shown as itself: Streamlit renders
    Markdown in labels and messages, and `![x](https://host/t.png)` would fetch a URL."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def dataset_path() -> Path:
    """`dashboard run FILE` and DASHBOARD_DATA choose the file; else the bundled sample."""
    return Path(os.environ.get(DATA_ENV) or SAMPLE_PATH)


@st.cache_data(max_entries=16, show_spinner=False)
def file_digest(path: str, modified_ns: int, size: int) -> str:
    """The file's content hash, computed once per version of the file, not per rerun."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@st.cache_resource(show_spinner="Loading and geocoding incidents…", max_entries=4)
def load_cached(path: str, digest: str, saved: str, online: bool) -> Table:
    """One loaded table per file content, saved choices (place fixes, column mappings)
    and online setting, shared by every session (it is never mutated)."""
    return load_path(path, online=configured() if online else None)


@st.cache_resource(show_spinner="Reading the upload…", max_entries=32)
def read_upload(digest: str, name: str, _data: bytes) -> RawTable:
    """An upload's cells, keyed by its content hash (the bytes themselves are not hashed)."""
    return read_table(_data, name)


@st.cache_resource(show_spinner="Loading and geocoding incidents…", max_entries=32)
def load_upload(digest: str, name: str, mapping: tuple[tuple[str, str], ...],
                saved: str, online: bool, _raw: RawTable) -> Table:
    return load_raw(_raw.frame, name, mapping=dict(mapping),
                    online=configured() if online else None, digest=digest,
                    malformed=_raw.malformed)


def online_ui() -> bool:
    """Whether to ask OpenStreetMap for places the gazetteer lacks: off unless chosen."""
    online = st.sidebar.toggle(
        "Look up missing places online", value=False,
        help="Sends the names of places the built-in gazetteer lacks to OpenStreetMap's "
             "Nominatim (or $DASHBOARD_NOMINATIM_URL), one per second; answers are kept "
             "on this machine. Everything else stays offline.")
    if online:
        st.sidebar.caption(ATTRIBUTION)
    return online


@st.cache_resource(max_entries=8)
def combine_cached(key: tuple, _tables: tuple[Table, ...]) -> Table:
    """The loaded files as one table, built once per set of files and settings (``key``),
    not copied again on every rerun of every session."""
    return combine(list(_tables))


@st.cache_resource(max_entries=8)
def review_cached(key: tuple, _incidents: pd.DataFrame) -> pd.DataFrame:
    return needing_review(_incidents, load_gazetteer())


def review_ui(incidents: pd.DataFrame, key: tuple) -> None:
    """Names the geocoder could not place well; a fix is saved and used on every load."""
    pending = review_cached(key, incidents)
    if pending.empty:
        return
    with st.expander(f"Places to review: {len(pending):,} names, "
                     f"{int(pending['incidents'].sum()):,} incidents"):
        st.dataframe(pending.drop(columns="key"), hide_index=True)
        labels = [f"{row.place} ({row.country if isinstance(row.country, str) else 'no country'}"
                  f"): {row.reason}, {row.incidents}" for row in pending.itertuples()]
        chosen = pending.iloc[labels.index(st.selectbox("Place name", labels, key="review-place"))]
        options = candidates(chosen["place"], load_gazetteer())
        choices = [f"{o.name}, {o.country} ({o.kind}; {o.latitude:.3f}, {o.longitude:.3f})"
                   for o in options.itertuples()] + [TYPE_COORDINATES]
        pick = st.radio("Where is it?", choices, key="review-pick")
        if pick == TYPE_COORDINATES:
            latitude = st.number_input("Latitude", -90.0, 90.0, 0.0, format="%.5f")
            longitude = st.number_input("Longitude", -180.0, 180.0, 0.0, format="%.5f")
            label = chosen["place"]
        else:
            option = options.iloc[choices.index(pick)]
            latitude, longitude = float(option["latitude"]), float(option["longitude"])
            label = f"{option['name']}, {option['country']}"
        if st.button("Save this fix", key="review-save"):
            store.save_override(chosen["key"], {"latitude": latitude, "longitude": longitude,
                                                "name": label, "place": chosen["place"]})
            st.rerun()


def mapping_ui(name: str, digest: str, raw: pd.DataFrame) -> dict[str, str] | None:
    """Which column is which, for a file whose names do not say; None until it is known."""
    saved = store.saved_mapping(raw.columns)
    if not unmapped(raw) or saved:
        return saved
    with st.sidebar.expander(f"Columns of {plain(name)}", expanded=True):
        st.write("The column names do not say which is the date and which the place. "
                 "Pick them; the choice is remembered for files with these columns.")
        columns = ["(none)", *map(str, raw.columns)]
        chosen = {field: st.selectbox(field, columns, key=f"map-{digest}-{field}")
                  for field in MAPPABLE}
        mapping = {field: column for field, column in chosen.items() if column != "(none)"}
        if st.button("Use these columns", key=f"map-{digest}"):
            store.save_mapping(raw.columns, mapping)
            return mapping
    return None


def uploads_ui(online: bool, saved: str) -> tuple[list[Table], bool,
                                                  dict[str, dict[str, str]]]:
    """Tables from the user's uploads, whether to keep the base dataset beside them, and
    the column mapping used for each upload that needed one."""
    files = st.sidebar.file_uploader(
        "Add incident files", type=UPLOAD_TYPES, accept_multiple_files=True,
        help=f"ACLED, UCDP GED, GTD or any table; up to {MAX_BYTES // 2**20} MB per file.",
    )
    tables, mappings = [], {}
    for file in files or []:
        data = file.getvalue()
        # Hashed once per upload, not on every rerun (a 200 MB file takes half a second).
        digests = st.session_state.setdefault("upload_digests", {})
        digest = digests.get(file.file_id) or digests.setdefault(
            file.file_id, hashlib.sha256(data).hexdigest())
        try:
            raw = read_upload(digest, file.name, data)
            mapping = mapping_ui(file.name, digest, raw.frame)
            if mapping is None:
                continue
            if mapping:
                mappings[file.name] = mapping
            tables.append(load_upload(digest, file.name, tuple(sorted(mapping.items())),
                                      saved, online, raw))
        except LoaderError as error:
            st.sidebar.error(plain(error))
    keep_base = not files or st.sidebar.checkbox("Keep the loaded dataset beside the uploads",
                                                 value=True)
    return tables, keep_base, mappings


@dataclass(frozen=True)
class Facts:
    """What the loaded table offers the filters, computed once per table."""

    first: dt.date | None
    last: dt.date | None
    countries: pd.Series  # name -> incidents
    admin1: pd.DataFrame  # country, admin1, incidents
    actors: pd.Series
    event_types: pd.Series


@st.cache_resource(max_entries=8)
def facts_cached(key: tuple, _incidents: pd.DataFrame) -> Facts:
    dates = _incidents["date"].dropna()

    def counts(column: str) -> pd.Series:
        counted = _incidents[column].value_counts()
        return counted[counted > 0]  # a categorical column also counts absent values

    return Facts(
        first=dates.min().date() if len(dates) else None,
        last=dates.max().date() if len(dates) else None,
        countries=counts("country"),
        admin1=_incidents.groupby(["country", "admin1"], observed=True).size().rename(
            "incidents").reset_index(),
        actors=counts("actor"),
        event_types=counts("event_type"),
    )


@st.cache_resource(max_entries=16)
def selection_cached(key: tuple, filters_key: str, _incidents: pd.DataFrame,
                     _filters: Filters) -> Selection:
    """The rows a view shows, by the table's key and the filter values (never by hashing
    a frame), shared by every session that looks at the same view."""
    return Selection(_incidents, _filters)


@st.cache_resource(max_entries=16)
def map_cached(key: tuple, filters_key: str, layer: str, colour_by: str, tiles: bool,
               view: tuple[float, float, float], _selection: Selection) -> IncidentMap:
    names = map_input(layer, _selection.placed_count())
    latitude, longitude, zoom = view
    return build_map(_selection.columns(names), layer, colour_by,
                     pdk.ViewState(latitude=latitude, longitude=longitude, zoom=zoom), tiles)


def map_view(selection: Selection) -> tuple[float, float, float]:
    """Where the map opens: framing the incidents shown when the page was opened (or
    when the user asked to fit again), then kept while filters change and playback
    runs, so the map stays where the user moved it."""
    if st.session_state.get("map_view") is None:
        fitted = fit_view(selection.columns(["latitude", "longitude"]))
        st.session_state["map_view"] = (fitted.latitude, fitted.longitude, fitted.zoom)
    return st.session_state["map_view"]


def refit() -> None:
    st.session_state["map_view"] = None


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
    st.session_state["period"] = (first if days is None else max(
        first, last - dt.timedelta(days=days - 1)), last)


def period_ui(facts: Facts, default: Filters) -> tuple[dt.date | None, dt.date | None]:
    first, last = facts.first, facts.last
    if first is None or last is None:
        return None, None
    if first == last:
        st.sidebar.write(f"Period: {first:%d %b %Y}")
        return first, last
    # The widget's own state wins after the first run; it starts from the URL's period,
    # kept inside the data's (which changes when files are added).
    start, end = st.session_state.get("period", (default.start or first, default.end or last))
    st.session_state["period"] = (min(max(start, first), last), max(min(end, last), first))
    for column, (name, days) in zip(st.sidebar.columns(len(PRESETS)), PRESETS.items(),
                                    strict=True):
        column.button(name, key=f"preset-{name}", on_click=set_period,
                      args=(first, last, days), width="stretch")
    start, end = st.sidebar.slider("Period", min_value=first, max_value=last, key="period",
                                   format="YYYY-MM-DD")
    return start, end


def filters_ui(facts: Facts, default: Filters) -> Filters:
    start, end = period_ui(facts, default)
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


def map_settings_ui(default_layer: str) -> tuple[str, str, bool]:
    st.sidebar.title("Map")
    st.session_state.setdefault("layer", default_layer)
    layer = st.sidebar.radio("Show incidents as", LAYERS, key="layer", horizontal=True,
                             format_func=LAYER_NAMES.get)
    colour_by = st.sidebar.radio("Colour points by", COLOUR_BY, key="colour_by",
                                 horizontal=True, format_func=COLOUR_NAMES.get)
    tiles = st.sidebar.toggle(
        "Street map from CARTO", key="tiles",
        help="Draws CARTO's basemap (OpenStreetMap data) under the incidents; the page "
             "then fetches map tiles from CARTO's servers. Off, the map uses only the "
             "country outlines this app serves itself.")
    return layer, colour_by, tiles


def query_defaults(facts: Facts) -> tuple[Filters, str]:
    """The view a pasted URL asks for; a value that cannot be used is said, not fatal."""
    params = {name: st.query_params.get_all(name) for name in QUERY_NAMES}
    known = {"countries": set(facts.countries.index), "admin1": set(facts.admin1["admin1"]),
             "actors": set(facts.actors.index), "event_types": set(facts.event_types.index)}
    default, notices = from_query(params, known, facts.first, facts.last)
    layer = st.query_params.get("layer", LAYERS[0])
    if layer not in LAYERS:
        notices.append(f"layer={layer!r} is not one of {', '.join(LAYERS)}; ignored.")
        layer = LAYERS[0]
    for notice in notices:
        st.sidebar.info(f"Link: {plain(notice)}")
    return default, layer


def toggle_playback(count: int) -> None:
    playing = not st.session_state.get("playing", False)
    st.session_state["playing"] = playing
    index = st.session_state.get("playback_index")
    if playing and (index is None or index >= count - 1):
        st.session_state["playback_index"] = 0  # from the start, or again from it


def stop_playback() -> None:
    st.session_state["playing"] = False
    st.session_state["playback_index"] = None


def playback_ui(filters: Filters) -> tuple[str, str, bool]:
    """Play/pause and how to step; returns the step, the mode and whether it plays."""
    if filters.start is None or filters.end is None:
        return "month", "moving", False
    playing = st.session_state.get("playing", False)
    step_column, mode_column, speed_column, play_column, stop_column = st.columns(
        [2, 2, 2, 1, 1], vertical_alignment="bottom")
    step = step_column.selectbox("Playback step", ["month", "week"], key="step")
    mode = mode_column.selectbox("Window", ["moving", "cumulative"], key="mode",
                                 help="Moving: one step at a time. Cumulative: from the "
                                      "start of the period to the current step.")
    speed_column.selectbox("Speed", list(SPEEDS), index=1, key="speed")
    count = len(windows(filters.start, filters.end, step))
    play_column.button("Pause" if playing else "Play", key="play", on_click=toggle_playback,
                       args=(count,), width="stretch")
    stop_column.button("Stop", key="stop", on_click=stop_playback, width="stretch",
                       disabled=st.session_state.get("playback_index") is None)
    return step, mode, playing


def playback_window(filters: Filters, step: str, mode: str, playing: bool
                    ) -> tuple[Filters, str | None]:
    """The filters narrowed to the current playback window, and a line saying which;
    while playing, moves on one window for the next run."""
    index = st.session_state.get("playback_index")
    if index is None or filters.start is None or filters.end is None:
        return filters, None
    spans = windows(filters.start, filters.end, step)
    if index >= len(spans):  # played through: stay on the last window
        index = len(spans) - 1
        st.session_state["playback_index"] = index
        if playing:
            st.session_state["playing"] = False
            st.rerun(scope="app")  # a full run draws the fragment without its timer
    elif playing:
        st.session_state["playback_index"] = index + 1
    start, end = spans[index]
    shown = dataclasses.replace(filters, end=end,
                                start=filters.start if mode == "cumulative" else start)
    return shown, (f"Playback: {charts.day(shown.start)} to {charts.day(end)} "
                   f"({step} {index + 1} of {len(spans)}, {mode})")


def figures_ui(shown: charts.Totals) -> None:
    columns = st.columns(4)
    columns[0].metric("Incidents", f"{shown.incidents:,}")
    columns[1].metric("Fatalities", f"{shown.fatalities:,}")
    columns[2].metric("Countries", f"{shown.countries:,}")
    columns[3].metric("Not on the map", f"{shown.unplaced:,}",
                      help="Incidents whose place could not be located; they stay in the "
                           "table and the export.")


def legend_ui(incident_map: IncidentMap, colour_by: str, placed: int) -> None:
    if incident_map.legend:
        # The labels are cells of the file: escaped for HTML, then for Markdown (where
        # `![x](https://host/t.png)` would make the page fetch from that host).
        swatches = " &nbsp; ".join(
            f'<span style="color:rgb{rgb}">&#9679;</span> '
            + plain(html.escape(label, quote=False)) for label, rgb in incident_map.legend)
        st.markdown(f"{COLOUR_NAMES[colour_by].capitalize()}: {swatches}",
                    unsafe_allow_html=True)
        st.caption(f"Paler points are placed only at district, region or country level; "
                   f"{OTHER_LABEL} are grey.")
    if incident_map.aggregated:
        size = f"{incident_map.cell_degrees:g}°"
        if incident_map.layer == "grid":
            st.caption(f"Aggregated: {placed:,} incidents counted in {size} grid cells, "
                       "darker for more.")
        else:
            st.caption(f"Aggregated: {placed:,} incidents counted in {size} cells first; "
                       f"narrow the filters below {POINT_LIMIT:,} placed incidents to see "
                       "each one.")


def details_ui(incidents: pd.DataFrame, row: int) -> None:
    """Every field of one incident, as text; its source link only when it is http(s)."""
    record = incidents.loc[row]
    with st.container(border=True):
        st.subheader("Selected incident")
        st.dataframe(pd.DataFrame({"field": record.index.astype(str),
                                   "value": record.astype("string").fillna("").to_numpy()}),
                     hide_index=True, width="stretch")
        url = record.get("source_url")
        if isinstance(url, str) and re.match(r"(?i)^https?://", url):
            st.link_button("Open the source", url)
        st.button("Close", key="close-details", on_click=close_details)


def selected_row(event, incidents: pd.DataFrame) -> int | None:
    """The row a click picked on the map, else the one the URL names (?event=ID).

    A new click opens its incident and puts it in the URL (when its id is unique, so the
    link opens that row); a click beside the points closes it.
    """
    picked = event.selection.objects.get("incidents", []) if event else []
    row = picked[0].get("row") if picked else None
    row = row if row in incidents.index else None
    previous = st.session_state.get("picked_row")
    st.session_state["picked_row"] = row
    if row is not None and row != previous:
        event_id = incidents.at[row, "event_id"]
        if (incidents["event_id"] == event_id).sum() == 1:
            st.query_params[EVENT_QUERY] = str(event_id)
        else:
            st.query_params.pop(EVENT_QUERY, None)
        return int(row)
    if row is None and previous is not None:
        st.query_params.pop(EVENT_QUERY, None)
        return None
    wanted = st.query_params.get(EVENT_QUERY)
    if wanted:
        hits = incidents.index[incidents["event_id"] == wanted]
        if len(hits):
            return int(hits[0])
        st.info(f"Link: {EVENT_QUERY}={plain(repr(wanted))} is not in the data; ignored.")
    return None


def close_details() -> None:
    st.query_params.pop(EVENT_QUERY, None)


@st.cache_resource(max_entries=16)
def charts_cached(key: tuple, filters_key: str, by: str, measure: str,
                  _selection: Selection) -> list:
    """The four charts of a view: aggregating a million rows takes about a second, and
    a click on the map or a change of colours reruns the page without changing them."""
    shown = _selection.columns(charts.CHART_COLUMNS)
    return [charts.monthly_chart(shown, by, measure), charts.region_share_chart(shown),
            charts.top_chart(shown, "place", "Top places"),
            charts.top_chart(shown, "actor", "Top actors")]


def charts_ui(key: tuple, filters_key: str, selection: Selection, dated: bool) -> None:
    if not dated:
        return
    by_column, measure_column = st.columns(2)
    by = by_column.radio("Stack by", ["region", "country"], key="chart_by", horizontal=True)
    measure = measure_column.radio("Count", ["incidents", "fatalities"], key="chart_measure",
                                   horizontal=True)
    monthly, share, places, actors = charts_cached(key, filters_key, by, measure, selection)
    st.altair_chart(monthly, width="stretch")
    st.altair_chart(share, width="stretch")
    left, right = st.columns(2)
    left.altair_chart(places, width="stretch")
    right.altair_chart(actors, width="stretch")


def explore_ui(incidents: pd.DataFrame, key: tuple, filters: Filters, layer: str,
               colour_by: str, tiles: bool, playback: tuple[str, str, bool]) -> None:
    """Summary, figures, map, details and charts of the current view (a fragment)."""
    shown_filters, window = playback_window(filters, *playback)
    filters_key = json.dumps(describe(shown_filters))
    selection = selection_cached(key, filters_key, incidents, shown_filters)
    if window:
        st.markdown(f"**{window}**")
    shown = charts.totals(selection.columns(FIGURE_COLUMNS))
    st.write(charts.summarise(shown, shown_filters.start, shown_filters.end))
    figures_ui(shown)
    incident_map = map_cached(key, filters_key, layer, colour_by, tiles, map_view(selection),
                              selection)
    event = st.pydeck_chart(incident_map.deck, height=520, key="map", on_select="rerun",
                            selection_mode="single-object")
    legend_ui(incident_map, colour_by, shown.incidents - shown.unplaced)
    st.button("Fit the map to the incidents shown", key="refit", on_click=refit)
    row = selected_row(event, incidents)
    if row is not None:
        details_ui(incidents, row)
    st.caption("Outlines: Natural Earth. Place names: GeoNames (CC BY 4.0), countrystatecity "
               "(ODbL), OpenStreetMap contributors (ODbL)."
               + (" Basemap: © CARTO, © OpenStreetMap contributors." if tiles else ""))
    charts_ui(key, filters_key, selection, dated=shown.incidents > 0)


def rejected_ui(table: Table) -> None:
    for warning in table.warnings:
        st.sidebar.warning(plain(warning))
    if table.rejected.empty:
        return
    with st.sidebar.expander(f"{len(table.rejected):,} rows not loaded", expanded=True):
        for reason, count in table.reason_counts().items():
            st.write(f"{count:,}: {plain(reason)}")
        st.download_button("Download rejected rows", data=lambda: to_csv_bytes(table.rejected),
                           file_name="rejected_rows.csv", mime="text/csv", on_click="ignore")


def table_ui(selection: Selection) -> None:
    # Only the shown columns, and the first TABLE_ROWS rows, go to the browser: the rest
    # stay on the server (each session's table is a copy in its messages).
    if len(selection) > TABLE_ROWS:
        st.caption(f"The table lists the first {TABLE_ROWS:,} of {len(selection):,} rows; "
                   "the downloads hold them all.")
    rows = selection.rows(limit=TABLE_ROWS)
    st.dataframe(rows[[c for c in TABLE_COLUMNS if c in rows.columns]], hide_index=True,
                 column_config={"source_url": st.column_config.LinkColumn("source_url"),
                                "date": st.column_config.DateColumn("date",
                                                                    format="YYYY-MM-DD")})


def downloads_ui(selection: Selection, filters: Filters, table: Table, online: bool,
                 mappings: dict[str, dict[str, str]]) -> None:
    """The filtered rows to hand on; each file is built only when its button is clicked
    (a million rows take seconds to write, and most reruns download nothing)."""
    csv, geojson, record = st.columns(3)
    csv.download_button(f"Download {len(selection):,} rows as CSV",
                        data=lambda: to_csv_bytes(selection.rows()),
                        file_name="incidents_filtered.csv", mime="text/csv",
                        on_click="ignore")
    geojson.download_button("Download the placed ones as GeoJSON",
                            data=lambda: to_geojson_bytes(selection.rows()),
                            file_name="incidents_filtered.geojson",
                            mime="application/geo+json", on_click="ignore")
    record.download_button(
        "Download the provenance record",
        data=lambda: json.dumps(provenance(table, filters, selection.rows(),
                                           online=configured().service.domain if online
                                           else None, column_mappings=mappings),
                                indent=1, ensure_ascii=False).encode(),
        file_name="incidents_filtered.provenance.json", mime="application/json",
        on_click="ignore")


def main() -> None:
    st.set_page_config(page_title="Incident dashboard", layout="wide")
    path = dataset_path()
    st.sidebar.title("Data")
    online = online_ui()
    saved = store.saved_state()  # the user's fixes and mappings, read once per run
    uploads, keep_base, mappings = uploads_ui(online, saved)
    tables = list(uploads)
    if keep_base:
        try:
            stat = path.stat()
            digest = file_digest(str(path), stat.st_mtime_ns, stat.st_size)
            tables.insert(0, load_cached(str(path), digest, saved, online))
        except (LoaderError, OSError) as error:
            st.error(plain(f"Could not load {path.name}: {error}"))
    if not tables:
        st.info("No incidents loaded: add a file in the sidebar.")
        st.stop()
    for part in tables:
        st.sidebar.caption(f"{plain(part.source)}: {part.layout} layout, {part.rows_in:,} rows "
                           f"read, {len(part.accepted):,} loaded, {len(part.rejected):,} not.")
    # What the combined table depends on: each file's bytes, the saved fixes and
    # mappings, the online setting and the mappings chosen for uploads.
    key = (tuple((r["name"], r["sha256"]) for t in tables for r in t.files),
           saved, online, json.dumps(mappings, sort_keys=True))
    table = combine_cached(key, tuple(tables))
    incidents = table.accepted
    rejected_ui(table)
    for notice in store.NOTICES:
        st.sidebar.warning(plain(notice))

    facts = facts_cached(key, incidents)
    st.sidebar.title("Filters")
    default, default_layer = query_defaults(facts)
    filters = filters_ui(facts, default)
    layer, colour_by, tiles = map_settings_ui(default_layer)
    # The URL always shows this view, so it can be sent to a colleague.
    query = {**to_query(filters), "layer": [layer]}
    if st.query_params.get(EVENT_QUERY):
        query[EVENT_QUERY] = [st.query_params[EVENT_QUERY]]
    st.query_params.from_dict(query)

    st.title("Reported incidents")
    playback = playback_ui(filters)
    speed = SPEEDS[st.session_state.get("speed", "normal")]
    explore = st.fragment(explore_ui, run_every=speed if playback[2] else None)
    explore(incidents, key, filters, layer, colour_by, tiles, playback)

    selection = selection_cached(key, json.dumps(describe(filters)), incidents, filters)
    table_ui(selection)
    downloads_ui(selection, filters, table, online, mappings)
    review_ui(incidents, key)

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
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pydeck as pdk
import streamlit as st

from dashboard import charts, store
from dashboard.dataset import (
    SAMPLE_PATH,
    Progress,
    combine,
    load_path,
    load_raw,
    unmapped,
)
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
    Bounds,
    IncidentMap,
    bounds,
    build_map,
    frame,
    map_input,
    needs_framing,
)
from dashboard.online import ATTRIBUTION, configured
from dashboard.schema import Table
from dashboard.sources import MAX_BYTES, LoaderError, RawTable, check_regular, read_table
from dashboard.wording import plural

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
# Session-state keys that more than one function reads.
PERIOD = "period"
PERIOD_DATA = "period_data"  # the files (names, hashes) the period was set for
PLAYING = "playing"
PLAYBACK_INDEX = "playback_index"  # the window on screen; None when not playing back
PLAYBACK_DUE = "playback_due"  # when (time.monotonic()) the next window is due
MAP_VIEW = "map_view"
FITS = "fits"  # how often the user asked to fit the map again
LINK_READ = "link_read"  # the link the page was opened with has been read
SAVED_FIX = "saved_fix"  # what the last saved place fix was, said once after the rerun


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


@dataclass
class SharedTables:
    """Loaded tables shared by every session (never mutated), by what they were loaded
    from; the most recently used few are kept. Not st.cache_resource, whose spinner
    would say nothing of a load's stages for the half-minute a million rows take."""

    size: int
    tables: OrderedDict = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    loading: dict = field(default_factory=dict)  # key -> the lock of its one load

    def get(self, key: tuple) -> Table | None:
        with self.lock:
            if key in self.tables:
                self.tables.move_to_end(key)
            return self.tables.get(key)

    def put(self, key: tuple, table: Table) -> None:
        with self.lock:
            self.tables[key] = table
            while len(self.tables) > self.size:
                self.tables.popitem(last=False)
            self.loading.pop(key, None)


@st.cache_resource
def shared_tables() -> SharedTables:
    return SharedTables(size=8)


def loaded(key: tuple, name: str, load: Callable[[Progress], Table]) -> Table:
    """The table ``load`` makes, loaded once for every session, with its stages shown
    while it loads (a second session asking for it meanwhile waits for the first)."""
    # The slot is drawn on every run, loading or not: an element that comes and goes
    # before the map shifts it, and the browser then draws it anew at its first view.
    box = st.empty()
    shared = shared_tables()
    table = shared.get(key)
    if table is not None:
        return table
    with shared.lock:
        gate = shared.loading.setdefault(key, threading.Lock())
    with gate:
        table = shared.get(key)
        if table is None:
            bar = box.progress(0.0, text=f"Loading {plain(name)}…")
            started = time.monotonic()

            def progress(stage: str, done: float) -> None:
                bar.progress(done, text=f"{plain(name)}: {plain(stage)}… "
                                        f"({time.monotonic() - started:.0f} s)")

            table = load(progress)
            box.empty()
            shared.put(key, table)
    return table


def load_base(path: Path, digest: str, saved: str, online: bool) -> Table:
    """The dataset the page opened with, per file content, saved choices (place fixes,
    column mappings) and online setting."""
    return loaded(("base", str(path), digest, saved, online), path.name,
                  lambda progress: load_path(path, online=configured() if online else None,
                                             progress=progress))


@st.cache_resource(show_spinner="Reading the upload…", max_entries=32)
def read_upload(digest: str, name: str, _data: bytes) -> RawTable:
    """An upload's cells, keyed by its content hash (the bytes themselves are not hashed)."""
    return read_table(_data, name)


def load_upload(digest: str, name: str, mapping: dict[str, str], saved: str, online: bool,
                raw: RawTable) -> Table:
    return loaded(("upload", digest, name, json.dumps(mapping, sort_keys=True), saved, online),
                  name, lambda progress: load_raw(raw.frame, name, mapping=mapping,
                                                  online=configured() if online else None,
                                                  digest=digest, malformed=raw.malformed,
                                                  progress=progress))


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
    saved = st.session_state.pop(SAVED_FIX, None)
    if saved:
        st.success(saved)
    pending = review_cached(key, incidents)
    if pending.empty:
        return
    with st.expander(f"Places to review: {plural(len(pending), 'name')}, "
                     f"{plural(int(pending['incidents'].sum()), 'incident')}"):
        st.dataframe(pending.drop(columns="key"), hide_index=True)
        labels = [f"{row.place} ({row.country if isinstance(row.country, str) else 'no country'}"
                  f"): {row.reason}, {plural(row.incidents, 'incident')}"
                  for row in pending.itertuples()]
        chosen = pending.iloc[labels.index(st.selectbox("Place name", labels, key="review-place"))]
        options = candidates(chosen["place"], load_gazetteer())
        choices = [f"{o.name}, {o.country} ({o.kind}; {o.latitude:.3f}, {o.longitude:.3f})"
                   for o in options.itertuples()] + [TYPE_COORDINATES]
        pick = st.radio("Where is it?", choices, key="review-pick")
        if pick == TYPE_COORDINATES:
            fix = typed_fix(chosen["place"])
        else:
            option = options.iloc[choices.index(pick)]
            fix = (float(option["latitude"]), float(option["longitude"]),
                   f"{option['name']}, {option['country']}")
        if st.button("Save this fix", key="review-save", disabled=fix is None):
            latitude, longitude, label = fix
            try:
                store.save_override(chosen["key"], {"latitude": latitude,
                                                    "longitude": longitude,
                                                    "name": label, "place": chosen["place"]})
            except store.SaveError as error:
                st.error(plain(error))
                return
            st.session_state[SAVED_FIX] = plain(
                f"Saved: {chosen['place']} at {latitude:.5f}, {longitude:.5f} ({label}); "
                "used for every incident with this name from now on.")
            st.rerun()


def typed_fix(place: str) -> tuple[float, float, str] | None:
    """Coordinates the user typed, or None until both are there and make sense. They
    start empty: a default of 0 once saved a village at 0°, 0° in the Gulf of Guinea."""
    left, right = st.columns(2)
    latitude = left.number_input("Latitude", -90.0, 90.0, value=None, format="%.5f",
                                 placeholder="-90 to 90, north positive", key="fix-latitude")
    longitude = right.number_input("Longitude", -180.0, 180.0, value=None, format="%.5f",
                                   placeholder="-180 to 180, east positive",
                                   key="fix-longitude")
    if latitude is None or longitude is None:
        st.caption("Type both coordinates to save a fix.")
        return None
    if latitude == 0 and longitude == 0 and not st.checkbox(
            "Yes, this place really is at 0°, 0° (at sea, south of Ghana)", key="fix-zero"):
        st.warning("0°, 0° is how many files write \"unknown\"; tick the box if you mean it.")
        return None
    return latitude, longitude, place


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
            try:
                store.save_mapping(raw.columns, mapping)
            except store.SaveError as error:  # used now all the same, not remembered
                st.warning(plain(error))
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
            tables.append(load_upload(digest, file.name, mapping, saved, online, raw))
        except LoaderError as error:
            st.sidebar.error(plain(error))
    # A user's file is rarely meant to be mixed with the bundled IS sample; beside a
    # dataset of their own (`dashboard run FILE`) it may well be.
    keep_base = not files or st.sidebar.checkbox(
        "Keep the loaded dataset beside the uploads", value=dataset_path() != SAMPLE_PATH,
        key="keep-base")
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
    days: np.ndarray  # every incident's date, sorted: a period's count is two searches

    @property
    def dated(self) -> int:
        return len(self.days)

    def outside(self, start: dt.date, end: dt.date) -> int:
        """How many incidents fall outside [start, end]."""
        inside = (np.searchsorted(self.days, np.datetime64(end, "D"), side="right")
                  - np.searchsorted(self.days, np.datetime64(start, "D"), side="left"))
        return self.dated - int(inside)


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
        days=np.sort(dates.to_numpy(dtype="datetime64[D]")),
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


@st.cache_resource(max_entries=32)
def fit_cached(key: tuple, filters_key: str, _selection: Selection
               ) -> tuple[tuple[float, float, float], Bounds | None]:
    """The view framing a selection's incidents, and the box around them."""
    box = bounds(_selection.columns(["latitude", "longitude"]))
    fitted = frame(box)
    return (fitted.latitude, fitted.longitude, fitted.zoom), box


def map_view(key: tuple, filters_key: str, selection: Selection) -> tuple[float, float, float]:
    """Where the map looks: it frames the incidents the filters show whenever they no
    longer fit the view, or fill only a corner of it (another country, an upload); a
    change that leaves them in view keeps the map where the user moved it. The map
    is framed on the whole period, not on each playback window."""
    fitted, box = fit_cached(key, filters_key, selection)
    last = st.session_state.get(MAP_VIEW)
    if last is None or needs_framing(last, box, fitted[2]):
        # deck.gl moves the map only when the view it is sent changes: after a click on
        # "Fit", the view is sent a hair's breadth different from the last one.
        nudge = 1e-6 * (st.session_state.get(FITS, 0) % 2)
        st.session_state[MAP_VIEW] = (fitted[0], fitted[1], fitted[2] + nudge)
    return st.session_state[MAP_VIEW]


def refit() -> None:
    st.session_state[FITS] = st.session_state.get(FITS, 0) + 1
    st.session_state[MAP_VIEW] = None


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
    # Only the link the page was opened with is the user's; later the URL is the page's
    # own, and its old period would be "outside" new data.
    if not st.session_state.get(LINK_READ):
        for notice in notices:
            st.sidebar.info(f"Link: {plain(notice)}")
    st.session_state[LINK_READ] = True
    return default, layer


def toggle_playback(count: int) -> None:
    """Play from the window on screen (from the start when none is, or at the end);
    Pause stays on the window on screen."""
    playing = not st.session_state.get(PLAYING, False)
    st.session_state[PLAYING] = playing
    if playing:
        index = st.session_state.get(PLAYBACK_INDEX)
        if index is None or index >= count - 1:
            st.session_state[PLAYBACK_INDEX] = 0
        st.session_state[PLAYBACK_DUE] = time.monotonic() + speed()


def stop_playback() -> None:
    st.session_state[PLAYING] = False
    st.session_state[PLAYBACK_INDEX] = None


def speed() -> float:
    return SPEEDS[st.session_state.get("speed", "normal")]


@dataclass(frozen=True)
class Playback:
    step: str = "month"  # or "week"
    mode: str = "moving"  # or "cumulative"
    playing: bool = False


def playback_ui(filters: Filters) -> Playback:
    """Play/pause and how to step."""
    if filters.start is None or filters.end is None:
        return Playback()
    playing = st.session_state.get(PLAYING, False)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        step = st.selectbox("Playback step", ["month", "week"], key="step", width=140)
        mode = st.selectbox("Window", ["moving", "cumulative"], key="mode", width=150,
                            help="Moving: one step at a time. Cumulative: from the start "
                                 "of the period to the current step.")
        st.selectbox("Speed", list(SPEEDS), index=1, key="speed", width=120)
        count = len(windows(filters.start, filters.end, step))
        st.button("Pause" if playing else "Play", key="play", on_click=toggle_playback,
                  args=(count,), icon=":material/pause:" if playing else
                  ":material/play_arrow:")
        st.button("Stop", key="stop", on_click=stop_playback, icon=":material/stop:",
                  disabled=st.session_state.get(PLAYBACK_INDEX) is None)
    return Playback(step, mode, playing)


def playback_window(filters: Filters, playback: Playback
                    ) -> tuple[Filters, int | None, str | None]:
    """The filters narrowed to the playback's window, that window's number, and a line
    saying which. While playing, the next window once its time has come: a run that
    is not the timer's (a click on Pause) shows the same window again."""
    index = st.session_state.get(PLAYBACK_INDEX)
    if index is None or filters.start is None or filters.end is None:
        return filters, None, None
    spans = windows(filters.start, filters.end, playback.step)
    now = time.monotonic()
    if playback.playing and now >= st.session_state.get(PLAYBACK_DUE, 0):
        index += 1
        st.session_state[PLAYBACK_DUE] = now + speed()
    if index >= len(spans) - 1 and playback.playing:  # played through: stay on the last
        st.session_state[PLAYING] = False
        st.session_state[PLAYBACK_INDEX] = len(spans) - 1
        st.rerun(scope="app")  # a full run draws the fragment without its timer
    index = min(index, len(spans) - 1)
    start, end = spans[index]
    shown = dataclasses.replace(filters, end=end,
                                start=filters.start if playback.mode == "cumulative" else start)
    return shown, index, (f"Playback: {charts.day(shown.start)} to {charts.day(end)} "
                          f"({playback.step} {index + 1} of {len(spans)}, {playback.mode})")


def figures_ui(shown: charts.Totals) -> None:
    with st.container(horizontal=True):  # wraps on a narrow screen, never cuts a label
        st.metric("Incidents", f"{shown.incidents:,}", width=150)
        st.metric("Fatalities", f"{shown.fatalities:,}", width=150)
        st.metric("Countries", f"{shown.countries:,}", width=150)
        st.metric("Not on the map", f"{shown.unplaced:,}", width=150,
                  help="Incidents whose place could not be located; they stay in the "
                       "table and the export.")


def swatches(entries: list[tuple[str, tuple[int, int, int]]], mark: str) -> str:
    """Coloured marks with their labels. Labels may be cells of the file: escaped for
    HTML, then for Markdown (where `![x](https://host/t.png)` would make the page fetch
    from that host)."""
    return " &nbsp; ".join(f'<span style="color:rgb{rgb}">{mark}</span> '
                           + plain(html.escape(label, quote=False)) for label, rgb in entries)


def legend_ui(incident_map: IncidentMap, colour_by: str, placed: int) -> None:
    if incident_map.legend:
        st.markdown(f"{COLOUR_NAMES[colour_by].capitalize()}: "
                    f"{swatches(incident_map.legend, '&#9679;')}", unsafe_allow_html=True)
        st.caption(f"Paler points are placed only at district, region or country level; "
                   f"{OTHER_LABEL} are grey.")
    if incident_map.scale:
        st.markdown(f"{plain(incident_map.scale_title)}: "
                    f"{swatches(incident_map.scale, '&#9632;')}", unsafe_allow_html=True)
    if incident_map.aggregated:
        size = f"{incident_map.cell_degrees:g}°"
        if incident_map.layer == "grid":
            st.caption(f"Aggregated: {placed:,} incidents counted in {size} grid cells "
                       "(the cell size follows the framing).")
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


def explore_ui(incidents: pd.DataFrame, key: tuple, filters: Filters, period_key: str,
               period: Selection, layer: str, colour_by: str, tiles: bool,
               playback: Playback) -> None:
    """Summary, figures, map, details and charts of the current view (a fragment):
    ``period`` is what the filters pick (keyed by ``period_key``), the playback shows
    a window of it."""
    shown_filters, index, window = playback_window(filters, playback)
    filters_key = json.dumps(describe(shown_filters))
    selection = selection_cached(key, filters_key, incidents, shown_filters)
    view = map_view(key, period_key, period)
    shown = charts.totals(selection.columns(FIGURE_COLUMNS))
    incident_map = map_cached(key, filters_key, layer, colour_by, tiles, view, selection)
    # Everything is computed before anything is drawn, and the window is recorded only
    # once its map is: a run cut short by a click (Pause) leaves the screen and the
    # recorded window in step.
    line = st.empty()  # drawn while not playing too, so the map keeps its place
    if window:
        line.markdown(f"**{window}**")
    st.write(charts.summarise(shown, shown_filters.start, shown_filters.end, len(incidents)))
    figures_ui(shown)
    event = st.pydeck_chart(incident_map.deck, height=520, key="map", on_select="rerun",
                            selection_mode="single-object")
    if index is not None:
        st.session_state[PLAYBACK_INDEX] = index
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
    with st.sidebar.expander(f"{plural(len(table.rejected), 'row')} not loaded",
                             expanded=True):
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
    shown = rows[[c for c in TABLE_COLUMNS if c in rows.columns]]
    # A missing text is an empty cell, not the word "None" (which a place could be).
    text = [c for c in shown.columns if not pd.api.types.is_numeric_dtype(shown[c])
            and not pd.api.types.is_datetime64_any_dtype(shown[c])]
    shown = shown.assign(**{c: shown[c].astype("string").fillna("") for c in text})
    st.dataframe(shown, hide_index=True,
                 column_config={"source_url": st.column_config.LinkColumn("source_url"),
                                "date": st.column_config.DateColumn("date",
                                                                    format="YYYY-MM-DD"),
                                "fatalities": st.column_config.NumberColumn(
                                    "fatalities", format="localized",
                                    help="None: the source gives no count.")})


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
            check_regular(path, stat)  # a FIFO would block the page for ever
            digest = file_digest(str(path), stat.st_mtime_ns, stat.st_size)
            tables.insert(0, load_base(path, digest, saved, online))
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
    files = tuple((r["name"], r["sha256"]) for t in tables for r in t.files)
    key = (files, saved, online, json.dumps(mappings, sort_keys=True))
    table = combine_cached(key, tuple(tables))
    incidents = table.accepted
    rejected_ui(table)
    for notice in store.notices():
        st.sidebar.warning(plain(notice))

    facts = facts_cached(key, incidents)
    st.sidebar.title("Filters")
    default, default_layer = query_defaults(facts)
    filters = filters_ui(facts, default, files)
    layer, colour_by, tiles = map_settings_ui(default_layer)
    # The URL always shows this view, so it can be sent to a colleague.
    query = {**to_query(filters), "layer": [layer]}
    if st.query_params.get(EVENT_QUERY):
        query[EVENT_QUERY] = [st.query_params[EVENT_QUERY]]
    st.query_params.from_dict(query)

    st.title("Reported incidents")
    playback = playback_ui(filters)
    filters_key = json.dumps(describe(filters))
    selection = selection_cached(key, filters_key, incidents, filters)
    explore = st.fragment(explore_ui, run_every=speed() if playback.playing else None)
    explore(incidents, key, filters, filters_key, selection, layer, colour_by, tiles, playback)

    table_ui(selection)
    downloads_ui(selection, filters, table, online, mappings)
    review_ui(incidents, key)

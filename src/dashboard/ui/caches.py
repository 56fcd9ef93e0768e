"""Work shared by every session of the server, each kept under one identity.

A loaded page's table is a `Data`: the combined table and its fingerprint, computed once
from what the table depends on (each file's bytes, the saved choices, the online
setting, the column mappings). A filtered view is a `View`: the data, the filters and
the rows they pick. Every cache below takes these objects and hashes them by their
identity (``hash_funcs``), never by hashing a frame and never by a key tuple that each
caller must build the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
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

from dashboard import areas, charts, compare, trends
from dashboard.dataset import Progress, combine
from dashboard.filters import DECLARED, FILTERS, Filters, Selection, describe
from dashboard.gazetteer import load_gazetteer
from dashboard.geocode import needing_review
from dashboard.layers import (
    Bounds,
    IncidentMap,
    bounds,
    build_map,
    difference_map,
    frame,
    map_input,
    with_circle,
)
from dashboard.schema import Table
from dashboard.sources import RawTable, read_table
from dashboard.ui.state import plain


@dataclass(frozen=True, eq=False)
class Data:
    """The page's combined table and the fingerprint that names it in every cache."""

    table: Table
    fingerprint: str

    @property
    def incidents(self) -> pd.DataFrame:
        return self.table.accepted


@dataclass(frozen=True, eq=False)
class View:
    """The rows some filters pick from some data, named by both."""

    data: Data
    filters: Filters
    selection: Selection
    fingerprint: str


@dataclass(frozen=True)
class Framing:
    """Where a map framing a view's incidents looks, and the box around them."""

    latitude: float
    longitude: float
    zoom: float
    box: Bounds | None


def fingerprint(*parts: object) -> str:
    """One name for what a table or view depends on (JSON-able parts)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class FileVersion:
    """One version of a file on disk: its path, modification time and size."""

    path: str
    modified_ns: int
    size: int

    @classmethod
    def of(cls, path: Path, stat: os.stat_result) -> FileVersion:
        return cls(str(path), stat.st_mtime_ns, stat.st_size)


@dataclass(frozen=True, eq=False)
class Upload:
    """A file the user uploaded, named by the SHA-256 of its bytes."""

    name: str
    digest: str
    data: bytes = field(repr=False)


BY_IDENTITY = {Data: lambda data: data.fingerprint, View: lambda view: view.fingerprint,
               Upload: lambda upload: (upload.name, upload.digest)}


@st.cache_data(max_entries=16, show_spinner=False)
def file_digest(version: FileVersion) -> str:
    """The file's content hash, computed once per version of the file, not per rerun."""
    digest = hashlib.sha256()
    with open(version.path, "rb") as file:
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

    def get(self, key: str) -> Table | None:
        with self.lock:
            if key in self.tables:
                self.tables.move_to_end(key)
            return self.tables.get(key)

    def put(self, key: str, table: Table) -> None:
        with self.lock:
            self.tables[key] = table
            while len(self.tables) > self.size:
                self.tables.popitem(last=False)
            self.loading.pop(key, None)


@st.cache_resource
def shared_tables() -> SharedTables:
    return SharedTables(size=8)


def loaded(key: str, name: str, load: Callable[[Progress], Table]) -> Table:
    """The table ``load`` makes, named by ``key`` (a fingerprint of what it is loaded
    from), loaded once for every session, with its stages shown while it loads (a second
    session asking for it meanwhile waits for the first)."""
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


@st.cache_resource(show_spinner="Reading the upload…", max_entries=32,
                   hash_funcs=BY_IDENTITY)
def read_upload(upload: Upload) -> RawTable:
    """An upload's cells, by its name and content hash (its bytes are not hashed again)."""
    return read_table(upload.data, upload.name)


@st.cache_resource(max_entries=8)
def combined(fingerprint: str, _tables: tuple[Table, ...]) -> Data:
    """The loaded files as one table, built once per ``fingerprint`` of the files and
    settings, not copied again on every rerun of every session."""
    return Data(combine(list(_tables)), fingerprint)


@st.cache_resource(max_entries=8, hash_funcs=BY_IDENTITY)
def review_list(data: Data) -> pd.DataFrame:
    return needing_review(data.incidents, load_gazetteer())


@dataclass(frozen=True)
class Facts:
    """What the loaded table offers the filters, computed once per table."""

    first: dt.date | None
    last: dt.date | None
    offers: dict[str, pd.Series]  # a "choices" filter's field -> its values -> incidents
    # A filter that follows another (admin1 follows countries) -> a frame of the other's
    # column, its column and the incidents of each pair.
    pairs: dict[str, pd.DataFrame]
    days: np.ndarray  # every incident's date, sorted: a period's count is two searches

    @property
    def dated(self) -> int:
        return len(self.days)

    def outside(self, start: dt.date, end: dt.date) -> int:
        """How many incidents fall outside [start, end]."""
        inside = (np.searchsorted(self.days, np.datetime64(end, "D"), side="right")
                  - np.searchsorted(self.days, np.datetime64(start, "D"), side="left"))
        return self.dated - int(inside)

    def known(self) -> dict[str, set[str]]:
        """The values each choice filter can take."""
        return {field: set(counts.index) for field, counts in self.offers.items()}


@st.cache_resource(max_entries=8, hash_funcs=BY_IDENTITY)
def facts(data: Data) -> Facts:
    incidents = data.incidents
    dates = incidents["date"].dropna()

    def counts(column: str) -> pd.Series:
        counted = incidents[column].value_counts()
        return counted[counted > 0]  # a categorical column also counts absent values

    choices = [declared for declared in FILTERS if declared.kind == "choices"]
    return Facts(
        first=dates.min().date() if len(dates) else None,
        last=dates.max().date() if len(dates) else None,
        offers={declared.field: counts(declared.column) for declared in choices},
        pairs={declared.field: incidents.groupby(
            [DECLARED[declared.follows].column, declared.column], observed=True).size().rename(
            "incidents").reset_index() for declared in choices if declared.follows},
        days=np.sort(dates.to_numpy(dtype="datetime64[D]")),
    )


def view(data: Data, filters: Filters) -> View:
    """The rows ``filters`` pick from ``data``, shared by every session that looks at
    the same view."""
    return selected(data, json.dumps(describe(filters)), filters)


@st.cache_resource(max_entries=16, hash_funcs=BY_IDENTITY)
def selected(data: Data, described: str, _filters: Filters) -> View:
    # Filters by their JSON description: the same view however it was reached.
    return View(data, _filters, Selection(data.incidents, _filters),
                fingerprint(data.fingerprint, described))


@st.cache_resource(max_entries=16, hash_funcs=BY_IDENTITY)
def incident_map(shown: View, layer: str, colour_by: str, tiles: bool,
                 look: tuple[float, float, float], shade_by: str = "incidents") -> IncidentMap:
    # The areas layer is drawn from the view's counts (`area_counts`), not its rows.
    counts = area_counts(shown, shade_by) if layer == "areas" else None
    names = (["latitude", "longitude"] if counts is not None else
             map_input(layer, shown.selection.placed_count()))
    latitude, longitude, zoom = look
    return build_map(shown.selection.columns(names), layer, colour_by,
                     pdk.ViewState(latitude=latitude, longitude=longitude, zoom=zoom), tiles,
                     area_counts=counts, near=shown.filters.near)


@st.cache_resource(max_entries=8, hash_funcs=BY_IDENTITY,
                   show_spinner="Finding each incident's admin-1 region…")
def area_index(data: Data) -> areas.AreaIndex:
    """Each row's admin-1 area, worked out once per table: a view's areas are then a
    count over its rows (a playback step of a million rows takes milliseconds)."""
    return areas.index_areas(data.incidents)


@st.cache_resource(max_entries=32, hash_funcs=BY_IDENTITY)
def area_counts(shown: View, shade_by: str) -> areas.AreaCounts:
    """The admin-1 areas of a view: incidents and fatalities per region."""
    return areas.counted(area_index(shown.data), shown.selection.positions, shade_by)


@st.cache_resource(max_entries=32, hash_funcs=BY_IDENTITY)
def framing(shown: View) -> Framing:
    """The view framing a selection's incidents, and the box around them."""
    box = with_circle(bounds(shown.selection.columns(["latitude", "longitude"])),
                      shown.filters.near)
    fitted = frame(box)
    return Framing(fitted.latitude, fitted.longitude, fitted.zoom, box)


@st.cache_resource(max_entries=16, hash_funcs=BY_IDENTITY)
def chart_list(shown: View, by: str, measure: str) -> list:
    """The four charts of a view: aggregating a million rows takes about a second, and
    a click on the map or a change of colours reruns the page without changing them."""
    rows = shown.selection.columns(charts.CHART_COLUMNS)
    return [charts.monthly_chart(rows, by, measure), charts.region_share_chart(rows),
            charts.top_chart(rows, "place", "Top places"),
            charts.top_chart(rows, "actor", "Top actors")]


# The rising list and the comparison read a view of every filter but the period (the
# baselines and period A reach before the period's start); the periods by their link form.
TREND_COLUMNS = ["date", "country", "admin1", "actor", "fatalities"]
BY_PERIODS = {**BY_IDENTITY, compare.Periods: compare.written_periods}


@dataclass(frozen=True)
class Comparison:
    """Period A against B: the areas' and the actors' counts (largest change first)."""

    areas: pd.DataFrame
    actors: pd.DataFrame


@st.cache_resource(max_entries=16, hash_funcs=BY_IDENTITY)
def rising_areas(past: View, by: str, period: str, as_of: dt.date | None) -> trends.Rising:
    """Each area's last period to ``as_of`` against its own past (`trends.rising`)."""
    return trends.rising(past.selection.columns(TREND_COLUMNS), by, period, as_of)


@st.cache_resource(max_entries=16, hash_funcs=BY_PERIODS)
def comparison(past: View, by: str, periods: compare.Periods) -> Comparison:
    rows = past.selection.columns(TREND_COLUMNS)
    return Comparison(compare.area_changes(rows, by, periods),
                      compare.actor_changes(rows, periods))


@st.cache_resource(max_entries=8, hash_funcs=BY_PERIODS)
def difference(past: View, periods: compare.Periods, look: tuple[float, float, float]
               ) -> IncidentMap:
    """B minus A per grid cell, on a map looking at ``look`` (latitude, longitude, zoom)."""
    rows = past.selection.columns(["date", "latitude", "longitude"])
    in_a, in_b = compare.sides(rows["date"].to_numpy(dtype="datetime64[D]"), periods)
    latitude, longitude, zoom = look
    return difference_map(rows[in_a], rows[in_b],
                          pdk.ViewState(latitude=latitude, longitude=longitude, zoom=zoom))

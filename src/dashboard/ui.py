"""The Streamlit page. The only module that imports Streamlit; the logic it calls is pandas.

Each ``*_ui`` function draws one part of the page and returns plain values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import store
from dashboard.dataset import SAMPLE_PATH, combine, load_path, load_raw, unmapped
from dashboard.export import provenance, to_csv_bytes, to_geojson_bytes
from dashboard.filters import Filters, apply_filters, from_query, to_query
from dashboard.gazetteer import load_gazetteer
from dashboard.geocode import candidates, needing_review
from dashboard.layers import POINT_LIMIT, aggregated, build_deck, placed_count
from dashboard.online import ATTRIBUTION, configured
from dashboard.schema import Table
from dashboard.sources import MAX_BYTES, LoaderError, read_table

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


def plain(text: object) -> str:
    """Text from a file (names, cells in messages) shown as itself: Streamlit renders
    Markdown in labels and messages, and `![x](https://host/t.png)` would fetch a URL."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def dataset_path() -> Path:
    """`dashboard run FILE` and DASHBOARD_DATA choose the file; else the bundled sample."""
    return Path(os.environ.get(DATA_ENV) or SAMPLE_PATH)


@st.cache_resource(show_spinner="Loading and geocoding incidents…", max_entries=4)
def load_cached(path: str, modified_ns: int, size: int, fixes_version: int,
                online: bool) -> Table:
    """One loaded table per file version, place fixes and online setting, shared by
    every session (it is never mutated)."""
    return load_path(path, online=configured() if online else None)


@st.cache_resource(show_spinner="Reading the upload…", max_entries=32)
def read_upload(digest: str, name: str, _data: bytes) -> pd.DataFrame:
    """An upload's cells, keyed by its content hash (the bytes themselves are not hashed)."""
    return read_table(_data, name)


@st.cache_resource(show_spinner="Loading and geocoding incidents…", max_entries=32)
def load_upload(digest: str, name: str, mapping: tuple[tuple[str, str], ...],
                fixes_version: int, online: bool, _raw: pd.DataFrame) -> Table:
    return load_raw(_raw, name, mapping=dict(mapping),
                    online=configured() if online else None, digest=digest)


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
        chosen = pending.iloc[labels.index(st.selectbox("Place name", labels))]
        options = candidates(chosen["place"], load_gazetteer())
        choices = [f"{o.name}, {o.country} ({o.kind}; {o.latitude:.3f}, {o.longitude:.3f})"
                   for o in options.itertuples()] + [TYPE_COORDINATES]
        pick = st.radio("Where is it?", choices)
        if pick == TYPE_COORDINATES:
            latitude = st.number_input("Latitude", -90.0, 90.0, 0.0, format="%.5f")
            longitude = st.number_input("Longitude", -180.0, 180.0, 0.0, format="%.5f")
            label = chosen["place"]
        else:
            option = options.iloc[choices.index(pick)]
            latitude, longitude = float(option["latitude"]), float(option["longitude"])
            label = f"{option['name']}, {option['country']}"
        if st.button("Save this fix"):
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


def uploads_ui(online: bool) -> tuple[list[Table], bool, dict[str, dict[str, str]]]:
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
            mapping = mapping_ui(file.name, digest, raw)
            if mapping is None:
                continue
            if mapping:
                mappings[file.name] = mapping
            tables.append(load_upload(digest, file.name, tuple(sorted(mapping.items())),
                                      store.overrides_version(), online, raw))
        except LoaderError as error:
            st.sidebar.error(plain(error))
    keep_base = not files or st.sidebar.checkbox("Keep the loaded dataset beside the uploads",
                                                 value=True)
    return tables, keep_base, mappings


def period_ui(incidents: pd.DataFrame, default: Filters) -> tuple[dt.date | None,
                                                                dt.date | None]:
    if incidents.empty:
        return None, None
    first, last = incidents["date"].min().date(), incidents["date"].max().date()
    if first == last:
        st.sidebar.write(f"Period: {first:%d %b %Y}")
        return first, last
    # The widget's own state wins after the first run; it starts from the URL's period,
    # kept inside the data's (which changes when files are added).
    start, end = st.session_state.get("period", (default.start or first, default.end or last))
    st.session_state["period"] = (min(max(start, first), last), max(min(end, last), first))
    start, end = st.sidebar.slider("Period", min_value=first, max_value=last, key="period",
                                   format="YYYY-MM-DD")
    return start, end


def countries_ui(incidents: pd.DataFrame, default: Filters) -> tuple[str, ...]:
    counts = incidents["country"].value_counts()
    chosen = st.session_state.get("countries", list(default.countries))
    st.session_state["countries"] = [name for name in chosen if name in counts.index]
    chosen = st.sidebar.multiselect(
        "Countries", options=sorted(counts.index), key="countries",
        format_func=lambda name: f"{name} ({counts[name]:,})",
        placeholder="All countries",
    )
    return tuple(chosen)


def query_defaults(incidents: pd.DataFrame) -> Filters:
    """The view a pasted URL asks for; a value that cannot be used is said, not fatal."""
    dates = incidents["date"].dropna()
    first = dates.min().date() if len(dates) else None
    last = dates.max().date() if len(dates) else None
    params = {key: st.query_params.get_all(key) for key in ("country", "start", "end")}
    default, notices = from_query(params, set(incidents["country"].dropna()), first, last)
    for notice in notices:
        st.sidebar.info(f"Link: {plain(notice)}")
    return default


def figures_ui(shown: pd.DataFrame) -> None:
    unplaced = int(shown["latitude"].isna().sum())
    columns = st.columns(4)
    columns[0].metric("Incidents", f"{len(shown):,}")
    columns[1].metric("Fatalities", f"{int(shown['fatalities'].sum()):,}")
    columns[2].metric("Countries", f"{shown['country'].nunique():,}")
    columns[3].metric("Not on the map", f"{unplaced:,}",
                      help="Incidents whose place could not be located; they stay in the "
                           "table and the export.")


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


def downloads_ui(shown: pd.DataFrame, filters: Filters, table: Table, online: bool,
                 mappings: dict[str, dict[str, str]]) -> None:
    """The filtered rows to hand on; each file is built only when its button is clicked."""
    csv, geojson, record = st.columns(3)
    csv.download_button(f"Download {len(shown):,} rows as CSV",
                        data=lambda: to_csv_bytes(shown), file_name="incidents_filtered.csv",
                        mime="text/csv", on_click="ignore")
    geojson.download_button("Download the placed ones as GeoJSON",
                            data=lambda: to_geojson_bytes(shown),
                            file_name="incidents_filtered.geojson",
                            mime="application/geo+json", on_click="ignore")
    record.download_button(
        "Download the provenance record",
        data=lambda: json.dumps(provenance(table, filters, shown,
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
    uploads, keep_base, mappings = uploads_ui(online)
    tables = list(uploads)
    if keep_base:
        try:
            stat = path.stat()
            tables.insert(0, load_cached(str(path), stat.st_mtime_ns, stat.st_size,
                                         store.overrides_version(), online))
        except (LoaderError, OSError) as error:
            st.error(plain(f"Could not load {path.name}: {error}"))
    if not tables:
        st.info("No incidents loaded: add a file in the sidebar.")
        st.stop()
    for part in tables:
        st.sidebar.caption(f"{plain(part.source)}: {part.layout} layout, {part.rows_in:,} rows "
                           f"read, {len(part.accepted):,} loaded, {len(part.rejected):,} not.")
    # What the combined table depends on: each file's bytes, the fixes, the online
    # setting and the column mappings.
    key = (tuple((r["name"], r["sha256"]) for t in tables for r in t.files),
           store.overrides_version(), online, json.dumps(mappings, sort_keys=True))
    table = combine_cached(key, tuple(tables))
    incidents = table.accepted
    rejected_ui(table)
    for notice in store.NOTICES:
        st.sidebar.warning(plain(notice))

    st.sidebar.title("Filters")
    default = query_defaults(incidents)
    start, end = period_ui(incidents, default)
    filters = Filters(start=start, end=end, countries=countries_ui(incidents, default))
    st.query_params.from_dict(to_query(filters))  # the URL always shows this view

    shown = apply_filters(incidents, filters)
    st.title("Reported incidents")
    figures_ui(shown)
    st.pydeck_chart(build_deck(shown), height=520)
    if aggregated(shown):
        st.caption(f"Aggregated: {placed_count(shown):,} incidents counted on a grid (purple "
                   f"cells); narrow the period or countries below {POINT_LIMIT:,} placed "
                   "incidents to see each one.")
    st.caption("Paler points are placed only at district, region or country level. Outlines: "
               "Natural Earth. Place names: GeoNames (CC BY 4.0), countrystatecity (ODbL).")
    # Only the shown columns, and the first TABLE_ROWS rows, go to the browser: the rest
    # stay on the server (each session's table is a copy in its messages).
    if len(shown) > TABLE_ROWS:
        st.caption(f"The table lists the first {TABLE_ROWS:,} of {len(shown):,} rows; "
                   "the downloads hold them all.")
    st.dataframe(shown[[c for c in TABLE_COLUMNS if c in shown.columns]].head(TABLE_ROWS),
                 hide_index=True,
                 column_config={"source_url": st.column_config.LinkColumn("source_url"),
                                "date": st.column_config.DateColumn("date",
                                                                    format="YYYY-MM-DD")})
    downloads_ui(shown, filters, table, online, mappings)
    review_ui(incidents, key)

"""The Streamlit page. The only module that imports Streamlit; the logic it calls is pandas.

Each ``*_ui`` function draws one part of the page and returns plain values.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.dataset import SAMPLE_PATH, load_path
from dashboard.export import to_csv_bytes
from dashboard.filters import Filters, apply_filters
from dashboard.layers import build_deck
from dashboard.schema import Table
from dashboard.sources import LoaderError

DATA_ENV = "DASHBOARD_DATA"
TABLE_COLUMNS = [
    "date", "country", "admin1", "place", "fatalities", "actor", "event_type", "notes",
    "geo_precision", "geo_method", "geo_ambiguous", "source", "source_url", "event_id",
    "dataset",
]


def dataset_path() -> Path:
    """`dashboard run FILE` and DASHBOARD_DATA choose the file; else the bundled sample."""
    return Path(os.environ.get(DATA_ENV) or SAMPLE_PATH)


@st.cache_resource(show_spinner="Loading and geocoding incidents…")
def load_cached(path: str, modified_ns: int, size: int) -> Table:
    """One loaded table per file version, shared by every session (it is never mutated)."""
    return load_path(path)


def period_ui(incidents: pd.DataFrame) -> tuple[dt.date | None, dt.date | None]:
    if incidents.empty:
        return None, None
    first, last = incidents["date"].min().date(), incidents["date"].max().date()
    if first == last:
        st.sidebar.write(f"Period: {first:%d %b %Y}")
        return first, last
    start, end = st.sidebar.slider("Period", min_value=first, max_value=last,
                                   value=(first, last), format="YYYY-MM-DD")
    return start, end


def countries_ui(incidents: pd.DataFrame) -> tuple[str, ...]:
    counts = incidents["country"].value_counts()
    chosen = st.sidebar.multiselect(
        "Countries", options=sorted(counts.index),
        format_func=lambda name: f"{name} ({counts[name]:,})",
        placeholder="All countries",
    )
    return tuple(chosen)


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
    if table.rejected.empty:
        return
    with st.sidebar.expander(f"{len(table.rejected):,} rows not loaded"):
        for reason, count in table.reason_counts().items():
            st.write(f"{count:,}: {reason}")
        st.download_button("Download rejected rows", data=lambda: to_csv_bytes(table.rejected),
                           file_name="rejected_rows.csv", mime="text/csv", on_click="ignore")


def main() -> None:
    st.set_page_config(page_title="Incident dashboard", layout="wide")
    path = dataset_path()
    try:
        stat = path.stat()
        table = load_cached(str(path), stat.st_mtime_ns, stat.st_size)
    except (LoaderError, OSError) as error:
        st.error(f"Could not load {path.name}: {error}")
        st.stop()
    incidents = table.accepted

    st.sidebar.title("Filters")
    start, end = period_ui(incidents)
    filters = Filters(start=start, end=end, countries=countries_ui(incidents))
    st.sidebar.caption(f"{path.name}: {table.layout} layout, {table.rows_in:,} rows read, "
                       f"{len(incidents):,} loaded.")
    rejected_ui(table)

    shown = apply_filters(incidents, filters)
    st.title("Reported incidents")
    figures_ui(shown)
    st.pydeck_chart(build_deck(shown), height=520)
    st.caption("Paler points are placed only at district, region or country level. Outlines: "
               "Natural Earth. Place names: GeoNames (CC BY 4.0), countrystatecity (ODbL).")
    st.dataframe(shown, column_order=TABLE_COLUMNS, hide_index=True,
                 column_config={"source_url": st.column_config.LinkColumn("source_url"),
                                "date": st.column_config.DateColumn("date",
                                                                    format="YYYY-MM-DD")})
    st.download_button(
        f"Download {len(shown):,} rows as CSV", data=lambda: to_csv_bytes(shown),
        file_name="incidents_filtered.csv", mime="text/csv", on_click="ignore",
    )

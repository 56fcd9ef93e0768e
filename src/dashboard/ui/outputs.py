"""The page's bottom: the table of the filtered rows and the downloads that hand them on."""

from __future__ import annotations

import json

import streamlit as st

from dashboard.export import provenance, to_csv_bytes, to_geojson_bytes
from dashboard.filters import Selection
from dashboard.online import configured
from dashboard.ui.caches import View
from dashboard.ui.data import Loaded
from dashboard.ui.state import as_cells

TABLE_ROWS = 1_000
TABLE_COLUMNS = [
    "date", "country", "admin1", "place", "fatalities", "actor", "event_type", "notes",
    "geo_precision", "geo_method", "geo_ambiguous", "source", "source_url", "event_id",
    "dataset",
]


def table_ui(selection: Selection) -> None:
    # Only the shown columns, and the first TABLE_ROWS rows, go to the browser: the rest
    # stay on the server (each session's table is a copy in its messages).
    if len(selection) > TABLE_ROWS:
        st.caption(f"The table lists the first {TABLE_ROWS:,} of {len(selection):,} rows; "
                   "the downloads hold them all.")
    rows = selection.rows(limit=TABLE_ROWS)
    shown = rows[[c for c in TABLE_COLUMNS if c in rows.columns]]
    st.dataframe(as_cells(shown), hide_index=True,
                 column_config={"source_url": st.column_config.LinkColumn("source_url"),
                                "date": st.column_config.DateColumn("date",
                                                                    format="YYYY-MM-DD"),
                                "fatalities": st.column_config.NumberColumn(
                                    "fatalities", format="localized",
                                    help="None: the source gives no count.")})


def downloads_ui(shown: View, loaded: Loaded) -> None:
    """The filtered rows to hand on; each file is built only when its button is clicked
    (a million rows take seconds to write, and most reruns download nothing)."""
    selection = shown.selection
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
        data=lambda: json.dumps(provenance(loaded.data.table, shown.filters, selection.rows(),
                                           online=configured().service.domain
                                           if loaded.online else None,
                                           column_mappings=loaded.mappings,
                                           fixes=loaded.saved.fixes,
                                           families=loaded.families.version,
                                           learned=loaded.saved.learned.files),
                                indent=1, ensure_ascii=False).encode(),
        file_name="incidents_filtered.provenance.json", mime="application/json",
        on_click="ignore")

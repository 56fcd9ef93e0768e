"""The filtered rows as bytes a person can hand on: CSV that a spreadsheet opens safely,
GeoJSON for GIS tools, and a provenance record that says how to make them again."""

from __future__ import annotations

import datetime
import json

import pandas as pd

from dashboard import __version__, store
from dashboard.filters import Filters, describe
from dashboard.gazetteer import gazetteer_version
from dashboard.schema import Table

# A spreadsheet runs a cell that starts with one of these as a formula (CWE-1236);
# a leading apostrophe makes it text in Excel, LibreOffice and Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")


def neutralise(text: pd.Series) -> pd.Series:
    text = text.astype("string")
    risky = text.str.startswith(FORMULA_TRIGGERS).fillna(False)
    return text.mask(risky, "'" + text)


def to_csv_bytes(incidents: pd.DataFrame) -> bytes:
    """UTF-8 CSV of every column; text cells neutralised, numbers and dates left as such.

    The download button and `dashboard export` both call this, so their bytes agree.
    """
    safe = incidents.copy()
    # Column names come from the file too: a header cell is a cell.
    safe.columns = neutralise(pd.Series(safe.columns.map(str), dtype="string")).tolist()
    for name in safe.columns:
        dtype = safe[name].dtype
        if isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(dtype):
            safe[name] = neutralise(safe[name])
    # RFC 4180 line ends: with CRLF as terminator, a lone CR inside a cell gets quoted too.
    return safe.to_csv(index=False, lineterminator="\r\n", date_format="%Y-%m-%d").encode()


def to_geojson_bytes(incidents: pd.DataFrame) -> bytes:
    """Placed incidents as GeoJSON points, every column a property (text, null if empty).

    Unplaced incidents have no geometry to give; the provenance record counts them.
    """
    placed = incidents[incidents["latitude"].notna() & incidents["longitude"].notna()]
    properties = placed.astype("string").astype(object).where(placed.notna(), None)
    if "date" in placed:
        days = placed["date"].dt.strftime("%Y-%m-%d")
        properties["date"] = days.astype(object).where(days.notna(), None)
    features = [
        {"type": "Feature",
         "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
         "properties": record}
        for lon, lat, record in zip(placed["longitude"], placed["latitude"],
                                    properties.to_dict("records"), strict=True)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, separators=(",", ":")).encode()


def provenance(table: Table, filters: Filters, shown: pd.DataFrame, online: str | None,
               column_mappings: dict | None = None, clock=datetime.datetime.now) -> dict:
    """What an export holds and how to make it again: feed `filters` back to
    `dashboard export` with the same source files, the same place fixes and the same
    online server (None: offline), and the same rows come out."""
    unplaced = shown["latitude"].isna() | shown["longitude"].isna()
    return {
        "app": f"incident-dashboard {__version__}",
        "exported_at": clock(datetime.UTC).isoformat(timespec="seconds"),
        "filters": describe(filters),
        "sources": list(table.files),
        "rows": {"in": table.rows_in, "shown": len(shown), "exported_csv": len(shown),
                 "exported_geojson": int((~unplaced).sum()), "unplaced": int(unplaced.sum())},
        "unplaced_event_ids": shown.loc[unplaced, "event_id"].astype(str).tolist(),
        "gazetteer": gazetteer_version(),
        "online": online,
        "place_fixes": store.overrides_fingerprint(),
        "column_mappings": column_mappings or {},
    }

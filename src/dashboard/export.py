"""The filtered rows as bytes a person can hand on: CSV that a spreadsheet opens safely,
GeoJSON for GIS tools, and a provenance record that says how to make them again."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Mapping

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from dashboard import __version__
from dashboard.actors import families_version
from dashboard.filters import Filters, describe, to_arguments
from dashboard.gazetteer import gazetteer_version
from dashboard.geo import is_placed
from dashboard.schema import Table
from dashboard.store import fixes_fingerprint

# A spreadsheet runs a cell that starts with one of these as a formula (CWE-1236);
# a leading apostrophe makes it text in Excel, LibreOffice and Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
FORMULA_PATTERN = "[" + re.escape("".join(FORMULA_TRIGGERS)) + "]"


def neutralise(text: pd.Series) -> pd.Series:
    if isinstance(text.dtype, pd.CategoricalDtype):  # its few values, not a million rows
        safe = neutralise(pd.Series(text.cat.categories.astype("string"), dtype="string"))
        if safe.is_unique:  # "=x" and "'=x" would both become "'=x"
            return text.cat.rename_categories(safe.tolist())
    text = text.astype("string")
    # One regular expression pass, and the apostrophe added only where it is needed:
    # both matter on a million rows of a dozen text columns.
    risky = text.str.match(FORMULA_PATTERN).fillna(False).to_numpy(dtype=bool)
    if not risky.any():
        return text
    text = text.copy()
    text[risky] = "'" + text[risky]
    return text


def to_csv_bytes(incidents: pd.DataFrame) -> bytes:
    """UTF-8 CSV of every column; text cells neutralised, numbers and dates left as such.

    The download button and `dashboard export` both call this, so their bytes agree.
    pyarrow writes the rows (a million in about a second, 7x faster than pandas); it
    quotes every text cell, so an empty text is "" and a missing one is empty.
    """
    arrays = []  # by position: two columns of one name would both be written
    for _, values in incidents.items():
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            values = values.dt.strftime("%Y-%m-%d")
        if isinstance(values.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(
                values.dtype):
            values = neutralise(values)
        arrays.append(pa.array(values, from_pandas=True))
    # Column names come from the file too: a header cell is a cell. Quoted only where
    # needed, as spreadsheets write a header.
    header = neutralise(pd.Series(incidents.columns.map(str), dtype="string")).tolist()
    line = io.StringIO()
    csv.writer(line, lineterminator="\r\n").writerow(header)
    body = io.BytesIO()
    body.write(line.getvalue().encode())
    # RFC 4180 line ends; a CR or LF inside a cell is quoted with it.
    pa_csv.write_csv(pa.Table.from_arrays(arrays, names=header), body,
                     pa_csv.WriteOptions(include_header=False, eol="\r\n"))
    return body.getvalue()


def to_geojson_bytes(incidents: pd.DataFrame) -> bytes:
    """Placed incidents as GeoJSON points, every column a property (text, null if empty).

    Unplaced incidents have no geometry to give; the provenance record counts them.
    """
    placed = incidents[is_placed(incidents)]
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
               column_mappings: dict | None = None, clock=datetime.datetime.now,
               fixes: Mapping[str, dict] | None = None, families: str | None = None,
               learned: tuple[Mapping[str, object], ...] = ()) -> dict:
    """What an export holds and how to make it again: `export_options` given to
    `dashboard export` with the same source files, the same place fixes (``fixes``, the
    ones the table was loaded with, recorded by their hash), the same actor alias table
    (``families``: the version the table was loaded with; the file's now if not given)
    and the same online server (None: offline) give the same rows; ``learned`` names the
    files whose places the table was loaded with (`store.Saved.learned`)."""
    unplaced = ~is_placed(shown)
    return {
        "app": f"incident-dashboard {__version__}",
        "exported_at": clock(datetime.UTC).isoformat(timespec="seconds"),
        "filters": describe(filters),
        "export_options": to_arguments(filters),
        "sources": list(table.files),
        "rows": {"in": table.rows_in, "shown": len(shown), "exported_csv": len(shown),
                 "exported_geojson": int((~unplaced).sum()), "unplaced": int(unplaced.sum())},
        "unplaced_event_ids": shown.loc[unplaced, "event_id"].astype(str).tolist(),
        "gazetteer": gazetteer_version(),
        "actor_families": families or families_version(),
        "online": online,
        "place_fixes": fixes_fingerprint(fixes or {}),
        "column_mappings": column_mappings or {},
        "learned_from": [{"name": file["name"], "sha256": file["sha256"]} for file in learned],
    }

"""The filtered rows as bytes a person can hand on: CSV that a spreadsheet opens safely."""

from __future__ import annotations

import pandas as pd

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

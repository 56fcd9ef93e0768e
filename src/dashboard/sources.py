"""The only place that reads incident files: guards, encodings, delimiters, formats.

Every cell comes back as text; parsing dates and numbers is the schema's job, so nothing
is lost or reinterpreted here. Any failure is a ``LoaderError`` with a message a person
can act on; no other exception leaves this module.
"""

from __future__ import annotations

import codecs
import io
import warnings
import zipfile
from pathlib import Path

import pandas as pd

MAX_BYTES = 200 * 1024 * 1024
# An XLSX is a zip: a small file can expand to gigabytes (a 1.5 MB file that expands to
# 440 MB kept pandas busy for minutes). Its directory states the sizes, read in a
# millisecond, before anything is parsed.
MAX_XLSX_EXPANDED = 300 * 1024 * 1024
MAX_XLSX_RATIO = 100
SNIFF_BYTES = 64 * 1024
DELIMITERS = [",", ";", "\t", "|"]
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ""}
SUPPORTED = ".csv, .tsv, .txt, .xlsx, .parquet, .json"


class LoaderError(ValueError):
    """A file that cannot be read as an incident table; the message says why and what to do."""


def read_table(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> pd.DataFrame:
    """Read the bytes of one file, named ``name``, into a frame of text cells."""
    check_size(len(data), name, max_bytes)
    if not data.strip():
        raise LoaderError(f"{name}: the file is empty.")
    suffix = Path(name).suffix.lower()
    readers = {".parquet": read_parquet, ".json": read_json, ".xlsx": read_xlsx}
    if suffix in TEXT_SUFFIXES:
        reader = read_delimited
    elif suffix in readers:
        reader = readers[suffix]
    else:
        raise LoaderError(f"{name}: cannot read '{suffix}' files; use one of {SUPPORTED}.")
    try:
        frame = reader(data, name)
        bad_lines = frame.attrs.get("bad_lines", [])
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()  # a Parquet index is data too; row numbers are ours
        frame = frame.astype("string").fillna("")
    except LoaderError:
        raise
    except Exception as error:  # each format library raises its own types
        detail = " ".join(str(error).split())[:200]  # one line, whatever the library says
        raise LoaderError(f"{name}: not a readable {suffix or 'text'} table "
                          f"({type(error).__name__}: {detail}).") from error
    if (frame.empty and not bad_lines) or len(frame.columns) == 0:
        raise LoaderError(f"{name}: the file has a header but no rows.")
    frame.attrs["bad_lines"] = bad_lines
    return frame


def read_path(path: str | Path, max_bytes: int = MAX_BYTES) -> pd.DataFrame:
    path = Path(path)
    return read_table(read_bytes(path, max_bytes), path.name, max_bytes)


def read_bytes(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """A file's bytes, its size checked before reading it all."""
    try:
        check_size(path.stat().st_size, path.name, max_bytes)
        return path.read_bytes()
    except OSError as error:
        raise LoaderError(f"{path}: cannot open the file ({error.strerror}).") from error


def check_size(size: int, name: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise LoaderError(
            f"{name}: {size / 1e6:.0f} MB is over the {max_bytes / 1e6:.0f} MB limit; "
            "filter the export at its source or split the file."
        )


def decode(data: bytes, name: str) -> str:
    """Text from bytes: a BOM decides, then UTF-8, then Windows-1252 (Excel's default)."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as error:
                raise LoaderError(f"{name}: the file says it is {encoding} but is not "
                                  f"({error.reason} at byte {error.start}).") from error
    if b"\x00" in data[:SNIFF_BYTES]:
        raise LoaderError(f"{name}: this looks like a binary file, not a text table "
                          "(it contains NUL bytes); export it as CSV.")
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    # Latin-1 maps every byte, including the five cp1252 leaves undefined.
    return data.decode("latin-1")


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line most often (a header rarely quotes one)."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def read_delimited(data: bytes, name: str) -> pd.DataFrame:
    """The table, and in ``attrs["bad_lines"]`` the cells of lines that do not fit its header.

    index_col=False: a row longer than the header must not turn the first column into an
    index. Such rows send the reader to pandas' slower Python engine, which hands each
    one over, so they become rejected rows with all their cells instead of vanishing.
    """
    text = decode(data, name)
    if "\x00" in text:
        raise LoaderError(f"{name}: the text contains NUL characters; export it again as CSV.")
    options = {"sep": sniff_delimiter(text[:SNIFF_BYTES]), "dtype": str, "index_col": False,
               "keep_default_na": False, "na_filter": False}
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return pd.read_csv(io.StringIO(text), engine="c", **options)
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            pass
    bad_lines: list[list[str]] = []

    def keep(cells: list[str]) -> None:
        bad_lines.append(cells)

    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(io.StringIO(text), engine="python", on_bad_lines=keep,
                                **options)
        except pd.errors.ParserWarning as warning:
            # Every row is longer than the header: the header itself is short.
            raise LoaderError(f"{name}: the rows have more cells than the header has "
                              "columns; check the header row and the delimiter.") from warning
    frame.attrs["bad_lines"] = bad_lines
    return frame


def read_parquet(data: bytes, name: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


def read_json(data: bytes, name: str) -> pd.DataFrame:
    frame = pd.read_json(io.BytesIO(data), orient="records", dtype=False)
    if not isinstance(frame, pd.DataFrame):
        raise LoaderError(f"{name}: expected a JSON list of records.")
    return frame


def read_xlsx(data: bytes, name: str) -> pd.DataFrame:
    """The first sheet, after the zip directory says it is safe to expand."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            expanded = sum(member.file_size for member in book.infolist())
    except zipfile.BadZipFile as error:
        raise LoaderError(f"{name}: not an Excel .xlsx workbook (not a zip archive); "
                          "save it again from Excel, or export it as CSV.") from error
    if expanded > MAX_XLSX_EXPANDED or expanded > MAX_XLSX_RATIO * len(data):
        raise LoaderError(
            f"{name}: the workbook expands to {expanded / 1e6:.0f} MB from "
            f"{len(data) / 1e6:.1f} MB, which is over the limit for a workbook "
            f"({MAX_XLSX_EXPANDED / 1e6:.0f} MB, {MAX_XLSX_RATIO}x); export it as CSV."
        )
    return pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=str, engine="openpyxl",
                         keep_default_na=False, na_filter=False)

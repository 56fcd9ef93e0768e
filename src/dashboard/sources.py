"""The only place that reads incident files: guards, encodings, delimiters, formats.

Every cell comes back as text; parsing dates and numbers is the schema's job, so nothing
is lost or reinterpreted here. Any failure is a ``LoaderError`` with a message a person
can act on.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

MAX_BYTES = 200 * 1024 * 1024
SNIFF_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ""}
SUPPORTED = ".csv, .tsv, .txt, .parquet, .json"


class LoaderError(ValueError):
    """A file that cannot be read as an incident table; the message says why and what to do."""


def read_table(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> pd.DataFrame:
    """Read the bytes of one file, named ``name``, into a frame of text cells."""
    check_size(len(data), name, max_bytes)
    if not data.strip():
        raise LoaderError(f"{name}: the file is empty.")
    suffix = Path(name).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        frame = _read_delimited(data, name)
    elif suffix == ".parquet":
        frame = _read_with(pd.read_parquet, data, name)
    elif suffix == ".json":
        frame = _read_with(lambda buf: pd.read_json(buf, orient="records", dtype=False), data,
                           name)
    else:
        raise LoaderError(f"{name}: cannot read '{suffix}' files; use one of {SUPPORTED}.")
    if frame.empty:
        raise LoaderError(f"{name}: the file has a header but no rows.")
    return frame.astype("string").fillna("")


def read_path(path: str | Path, max_bytes: int = MAX_BYTES) -> pd.DataFrame:
    path = Path(path)
    try:
        check_size(path.stat().st_size, path.name, max_bytes)  # before reading it all
        data = path.read_bytes()
    except OSError as error:
        raise LoaderError(f"{path}: cannot open the file ({error.strerror}).") from error
    return read_table(data, path.name, max_bytes)


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
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _read_delimited(data: bytes, name: str) -> pd.DataFrame:
    text = decode(data, name)
    if "\x00" in text:
        raise LoaderError(f"{name}: the text contains NUL characters; export it again as CSV.")
    head = text[:SNIFF_BYTES]
    try:
        delimiter = csv.Sniffer().sniff(head, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False,
                           na_filter=False, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        raise LoaderError(f"{name}: not a readable table ({error}).") from error


def _read_with(reader, data: bytes, name: str) -> pd.DataFrame:
    try:
        frame = reader(io.BytesIO(data))
    except Exception as error:  # each format library raises its own types
        raise LoaderError(f"{name}: not a readable {Path(name).suffix} file ({error}).") from error
    if not isinstance(frame, pd.DataFrame):
        raise LoaderError(f"{name}: expected a list of records.")
    return frame

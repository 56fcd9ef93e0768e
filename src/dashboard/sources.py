"""The only place that reads incident files: guards, encodings, delimiters, formats.

Every cell comes back as text; parsing dates and numbers is the schema's job, so nothing
is lost or reinterpreted here. Any failure is a ``LoaderError`` with a message a person
can act on; no other exception leaves this module.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from itertools import repeat
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
CSV_OPTIONS = {"dtype": str, "index_col": False, "keep_default_na": False, "na_filter": False}
# Excel stops at 16,384; incident tables have tens to a few hundred. Past this a "header"
# is a broken file or the wrong delimiter, and every step after reading is per column.
MAX_COLUMNS = 2_000
JSON_SHAPES = ('a list of records; a list of rows; {"columns": [...], "data": [[...]]}; '
               "or an object of objects keyed by row number or by column name")
ROW_NUMBER = re.compile(r"-?\d+")
csv.field_size_limit(MAX_BYTES)  # a cell may be as long as a file may be
# Lines as Python's csv module and io count them: ended by \n, \r or \r\n.
PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# Cells past the header's on one line that send a file straight to the csv module.
WIDE_LINE = 1_000
# Restarts after a quote left open; each reads the rest of the file again.
RETRY_PASSES = 8
NOT_FILES = ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "named pipe"),
             (stat.S_ISCHR, "device"), (stat.S_ISBLK, "device"), (stat.S_ISSOCK, "socket"))


class LoaderError(ValueError):
    """A file that cannot be read as an incident table; the message says why and what to do."""


@dataclass(frozen=True)
class Malformed:
    """A record that does not fit the header: the line it starts on, its cells, and why."""

    line: int
    cells: list[str]
    reason: str


@dataclass(frozen=True)
class RawTable:
    """A file's cells as text, and the records that could not be fitted to its header.

    The records travel beside the frame, not in its ``attrs``: pandas deep-copies attrs
    on every operation, and one line of a million cells made a check take minutes.
    """

    frame: pd.DataFrame
    malformed: tuple[Malformed, ...] = ()


def read_table(data: bytes, name: str, max_bytes: int = MAX_BYTES) -> RawTable:
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
        raw = reader(data, name)
        frame = raw.frame
        check_width(len(frame.columns), name)
        if not isinstance(frame.index, pd.RangeIndex):
            frame = frame.reset_index()  # a Parquet index is data too; row numbers are ours
        # A workbook's header row or a JSON list of lists gives numbers as column names;
        # everything downstream compares and shows them as text.
        frame = frame.rename(columns=str).astype("string").fillna("")
    except LoaderError:
        raise
    except Exception as error:  # each format library raises its own types
        detail = " ".join(str(error).split())[:200]  # one line, whatever the library says
        raise LoaderError(f"{name}: not a readable {suffix or 'text'} table "
                          f"({type(error).__name__}: {detail}).") from error
    if (frame.empty and not raw.malformed) or len(frame.columns) == 0:
        raise LoaderError(f"{name}: the file has a header but no rows.")
    return RawTable(frame, raw.malformed)


def read_path(path: str | Path, max_bytes: int = MAX_BYTES) -> RawTable:
    path = Path(path)
    return read_table(read_bytes(path, max_bytes), path.name, max_bytes)


def read_bytes(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """A regular file's bytes, never more than ``max_bytes`` of them.

    The size ``stat`` states is no bound for what is not a regular file: opening a FIFO
    waits for a writer, and /dev/zero never ends. So those are refused before they are
    opened, the open file is checked again (the path may have changed in between), and
    the read stops one byte past the limit whatever the file turns out to hold.
    """
    try:
        status = path.stat()  # of the file a symlink points to
        check_regular(path, status)
        check_size(status.st_size, path.name, max_bytes)
        with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb") as file:
            check_regular(path, os.fstat(file.fileno()))
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise LoaderError(f"{path}: cannot open the file ({error.strerror}).") from error
    check_size(len(data), path.name, max_bytes)
    return data


def check_regular(path: Path, status: os.stat_result) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = next((kind for test, kind in NOT_FILES if test(status.st_mode)), "special file")
        raise LoaderError(f"{path}: this is a {kind}, not a file; give the path of a data file.")


def check_width(columns: int, name: str) -> None:
    if columns > MAX_COLUMNS:
        raise LoaderError(f"{name}: {columns:,} columns is over the {MAX_COLUMNS:,} an incident "
                          "table can have; check the delimiter, or keep only the columns needed.")


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


def read_delimited(data: bytes, name: str) -> RawTable:
    """The table, and the records that do not fit its header.

    pandas' C reader takes a clean file; on anything it will not take whole, every record
    is read again by ``read_records``. index_col=False: a row longer than the header must
    not turn the first column into an index.
    """
    text = decode(data, name)
    if "\x00" in text:
        raise LoaderError(f"{name}: the text contains NUL characters; export it again as CSV.")
    delimiter = sniff_delimiter(text[:SNIFF_BYTES])
    # Before any parsing: pandas spends seconds on a header of 100,000 names.
    width = len(next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), []))
    check_width(width, name)
    # A line of thousands of cells more than the header has pandas build a column for
    # each before it gives up (9 s for an 80 kB file); such a file is read record by
    # record. A quoted delimiter counts here too: the worst is the slower reader.
    if max(map(str.count, text.split("\n"), repeat(delimiter))) > width + WIDE_LINE:
        return read_records(text, delimiter, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        try:
            return RawTable(pd.read_csv(io.StringIO(text), engine="c", sep=delimiter,
                                        **CSV_OPTIONS))
        except (pd.errors.ParserError, pd.errors.ParserWarning):
            pass
    return read_records(text, delimiter, name)


def read_records(text: str, delimiter: str, name: str) -> RawTable:
    """Every record of the text by Python's csv module, which hands each one over as it
    is: the ones that fit the header make the table; a longer one, or one whose quote is
    never closed, is kept with all its cells and the reason. A shorter one is filled
    with empty cells, as pandas does."""
    records = split_records(text, delimiter)
    _, header, open_quote = next(records, (0, [], ""))
    if open_quote:
        raise LoaderError(f"{name}: the header has an {open_quote}, so the whole file "
                          "reads as its header; check that line's quotes.")
    # pandas names the columns, so they are the ones its fast reader would have given.
    columns = pd.read_csv(io.StringIO(csv_line(header, delimiter)), sep=delimiter, nrows=0,
                          **CSV_OPTIONS).columns
    width = len(columns)
    rows, malformed = [], []
    for line, cells, open_quote in records:
        if open_quote or len(cells) > width:
            malformed.append(Malformed(line, cells, open_quote or (
                f"row has {len(cells)} cells; the header has {width}")))
        else:
            rows.append(cells + [""] * (width - len(cells)))
    if not rows and malformed:
        if all(len(m.cells) > width for m in malformed):
            raise LoaderError(f"{name}: the rows have more cells than the header has "
                              "columns; check the header row and the delimiter.")
        raise LoaderError(f"{name}: no row fits the header ({malformed[0].reason}).")
    return RawTable(pd.DataFrame(rows, columns=columns, dtype=object), tuple(malformed))


def split_records(text: str, delimiter: str) -> Iterator[tuple[int, list[str], str]]:
    """Each record that is not blank: the line it starts on, its cells, and, for one
    whose quote is never closed, the reason.

    Such a quote is most often stray (a `"` typed into a cell): the record is kept as
    written, split at the delimiter, with the reason, and reading starts again on the
    line after the quote's. Only for the header, or after RETRY_PASSES such restarts (a
    file of stray quotes, each restart reading the rest again), is the rest of the file
    one record, as the csv module reads it.
    """
    lines: list[str] = []
    first = 0  # lines before this pass
    for restarts in range(RETRY_PASSES + 1):
        rest = "".join(lines[first:]) if first else text
        broken = yield from read_pass(rest, delimiter, first)
        if broken is None:
            return
        start, opened, cells = broken
        if start == 1 or restarts == RETRY_PASSES:  # a header so broken is refused
            yield start, cells, f"unclosed quote starting on line {opened}"
            return
        lines = lines or PHYSICAL_LINE.findall(text)
        written = "".join(lines[start - 1:opened]).rstrip("\r\n")
        yield start, written.split(delimiter), f"unclosed quote on line {opened}"
        first = opened


def read_pass(text: str, delimiter: str, before: int
              ) -> Generator[tuple[int, list[str], str], None, tuple | None]:
    """`split_records` over ``text``, which starts after ``before`` lines; returns, for a
    quote open at the end, the record's first line, the quote's line and the cells.

    Blank is what pandas skips: an empty line, or one of nothing but spaces and tabs.
    A line of NUL (the text has none) is added after the text: it comes back as a record
    of its own unless an open quote swallowed it. (After a text that ends in a bare CR,
    a LF would join that line's end, so the text's own line end is used where it has one.)
    """
    last_line = ""

    def remember(text_line: str) -> str:
        nonlocal last_line
        last_line = text_line
        return text_line

    end = "" if text.endswith(("\n", "\r")) else "\n"
    reader = csv.reader(map(remember, io.StringIO(text + end + "\x00", newline="")),
                        delimiter=delimiter)
    line = 1
    for cells in reader:
        if last_line == "\x00":
            if cells == ["\x00"]:
                return None
            # The open cell holds every line break from its quote to the NUL line.
            opened = reader.line_num - line_breaks(cells[-1])
            cells[-1] = cells[-1].removesuffix(end + "\x00")
            return before + line, before + opened, cells
        one_line = reader.line_num == line and last_line.rstrip("\r\n") == "".join(cells)
        if cells and not (one_line and len(cells) == 1 and not cells[0].strip(" \t")):
            yield before + line, cells, ""
        line = reader.line_num + 1
    return None


def line_breaks(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def csv_line(cells: list[str], delimiter: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


def read_parquet(data: bytes, _name: str) -> RawTable:  # the readers' signature
    return RawTable(pd.read_parquet(io.BytesIO(data)))


def read_json(data: bytes, name: str) -> RawTable:
    """The shapes pandas writes, told apart by their structure; never a transposed guess.

    A list of records, or of rows ("values"); an object with "columns" and "data"
    ("split"); an object of objects, keyed by row ("index") or by column ("columns"),
    which is which told by the keys that number the rows.
    """
    document = json.loads(data)
    frame = None
    if isinstance(document, list):
        frame = frame_from_list(document)
    elif isinstance(document, dict) and document:
        frame = frame_from_object(document, name)
    if frame is None:
        raise LoaderError(f"{name}: not a table in a shape this reads; save it as one of: "
                          f"{JSON_SHAPES}.")
    if not isinstance(frame.index, pd.RangeIndex) and frame.index.astype(str).tolist() == [
            str(row) for row in range(len(frame))]:
        frame = frame.reset_index(drop=True)  # row numbers, not data
    return RawTable(frame)


def frame_from_list(document: list) -> pd.DataFrame | None:
    """A list of records or of rows as a frame; None for any other list."""
    kinds = {type(item) for item in document}
    if kinds == {dict}:
        return pd.DataFrame(document, dtype=object)
    if kinds == {list}:  # rows without names; a short one ends in empty cells
        width = max(map(len, document))
        return pd.DataFrame([row + [None] * (width - len(row)) for row in document],
                            dtype=object)
    return None


def frame_from_object(document: dict, name: str) -> pd.DataFrame | None:
    """An object of columns and data, or of objects keyed by row or by column, as a
    frame; None for any other object, a LoaderError where rows and columns cannot be
    told apart."""
    inner = [value for value in document.values() if isinstance(value, dict)]
    if {"columns", "data"} <= document.keys() <= {"columns", "data", "index"}:
        return pd.DataFrame(document["data"], columns=document["columns"],
                            index=document.get("index"), dtype=object)
    if len(inner) != len(document):
        return None
    keys = list(dict.fromkeys(key for values in inner for key in values))
    if are_row_numbers(document) and not are_row_numbers(keys):
        return pd.DataFrame([[values.get(key) for key in keys] for values in inner],
                            index=list(document), columns=keys, dtype=object)
    if are_row_numbers(keys) and not are_row_numbers(document):
        return pd.DataFrame([[values.get(key) for values in inner] for key in keys],
                            index=keys, columns=list(document), dtype=object)
    raise LoaderError(f"{name}: cannot tell whether this object of objects is keyed by row "
                      "or by column (pandas numbers its rows); save it as one of: "
                      f"{JSON_SHAPES}.")


def are_row_numbers(keys) -> bool:
    """Keys that are whole numbers, as pandas writes a row index: row labels, not names."""
    return all(ROW_NUMBER.fullmatch(str(key)) for key in keys)


def read_xlsx(data: bytes, name: str) -> RawTable:
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
    return RawTable(pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=str, engine="openpyxl",
                                  keep_default_na=False, na_filter=False))

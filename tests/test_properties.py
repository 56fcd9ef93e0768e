"""Property tests: loading never loses a row or changes free text, whatever the bytes."""

from __future__ import annotations

import codecs
import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.dataset import prepare_raw
from dashboard.sources import LoaderError, read_table

from conftest import SAMPLE, SHARED_DATA

# cp1252 text is only told apart from UTF-8 by bytes that are invalid UTF-8. Bytes
# 0x80-0xBF after an accented capital would be valid UTF-8 and read back as another
# letter ("Ã©" as "é"), as any encoding sniffer would; real tables do not contain such
# pairs, so the generated text keeps to ASCII and the accented letters.
TEXT = st.text(
    alphabet=st.one_of(st.characters(min_codepoint=32, max_codepoint=126),
                       st.characters(min_codepoint=0xC0, max_codepoint=0xFF),
                       st.sampled_from(["\n", '"', "'", ",", ";", "|", "\t"])),
    max_size=30,
)
HEADERS = st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True), min_size=2,
                   max_size=6, unique=True)
ENCODINGS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "utf-8-sig": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-16": lambda text: text.encode("utf-16"),
    "cp1252": lambda text: text.encode("cp1252"),
}


@st.composite
def tables(draw):
    headers = draw(HEADERS)
    rows = draw(st.lists(st.lists(TEXT, min_size=len(headers), max_size=len(headers)),
                         min_size=1, max_size=20))
    # A row of nothing but empty cells is a blank line to every CSV reader; keep one cell.
    rows = [row if any(row) else ["x", *row[1:]] for row in rows]
    return headers, rows


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(table=tables(), encoding=st.sampled_from(sorted(ENCODINGS)),
       delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_written_tables_read_back_unchanged(table, encoding, delimiter):
    headers, rows = table
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(rows)
    frame = read_table(ENCODINGS[encoding](buffer.getvalue()), "generated.csv").frame
    assert list(frame.columns) == headers
    assert frame.to_numpy().tolist() == rows


def real_files() -> list[bytes]:
    heads = [SAMPLE.read_bytes()]
    if SHARED_DATA.is_dir():
        heads += [path.read_bytes()[:60_000] for path in sorted(SHARED_DATA.glob("*.csv"))]
    return heads


REAL = real_files()


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 8))):
        where = draw(st.integers(0, max(0, len(data) - 1)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        if action == "flip" and data:
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=8))
        elif action == "delete":
            del data[where:where + draw(st.integers(1, 64))]
        else:
            del data[where:]
    return bytes(data)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=mutated())
def test_mutated_real_files_load_with_accounting_or_raise_loader_error(data):
    try:
        raw = read_table(data, "mutated.csv")
    except LoaderError:
        return
    lines = len(raw.frame) + len(raw.malformed)  # rows that fit the header, and not
    table = prepare_raw(raw.frame, "custom", malformed=raw.malformed)
    assert table.rows_in == lines == len(table.accepted) + len(table.rejected)
    assert table.rejected["reason"].notna().all()


@pytest.mark.parametrize("head", REAL[:1])
def test_the_unmutated_sample_is_a_valid_seed(head):
    assert len(read_table(head, "sample.csv").frame) > 100

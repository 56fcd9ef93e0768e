import codecs

import pytest

from dashboard.sources import LoaderError, read_table

ROWS = "date,country,place,notes\n2021-06-12,Afghanistan,Kabul,Minibus bombing\n" \
       "2020-08-12,Mozambique,Mocímboa da Praia,Port town taken\n"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (ROWS.encode(), "utf8.csv"),
        (codecs.BOM_UTF8 + ROWS.encode(), "bom.csv"),
        (ROWS.encode("utf-16"), "utf16.csv"),  # Python writes the BOM for "utf-16"
        (ROWS.encode("cp1252"), "excel-french.csv"),  # í is 0xED: not valid UTF-8
        (ROWS.replace(",", ";").encode("cp1252"), "semicolon.csv"),
        (ROWS.replace(",", "\t").encode(), "tabs.tsv"),
        (ROWS.replace(",", "|").encode(), "pipes.txt"),
    ],
)
def test_reads_encodings_and_delimiters(data, name):
    frame = read_table(data, name)
    assert list(frame.columns) == ["date", "country", "place", "notes"]
    assert frame["place"].tolist() == ["Kabul", "Mocímboa da Praia"]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "empty.csv", "empty"),
        (b"  \n\n", "blank.csv", "empty"),
        (b"date,country,place\n", "header.csv", "no rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "image.csv", "binary"),
        (b"a,b\n1,2\n", "table.xlsx", "not an Excel .xlsx workbook"),
        (b"a,b\n1,2\n", "table.ods", "cannot read '.ods'"),
        (b"not json", "records.json", "not a readable .json"),
    ],
)
def test_unusable_input_says_why(data, name, message):
    with pytest.raises(LoaderError, match=message):
        read_table(data, name)


def test_size_limit_is_checked_before_parsing():
    with pytest.raises(LoaderError, match="over the"):
        read_table(b"a,b\n" + b"1,2\n" * 100, "big.csv", max_bytes=50)


def test_cells_stay_text():
    frame = read_table(b"id,fatalities,lat\n007,13+,0.10\n", "t.csv")
    assert frame.iloc[0].tolist() == ["007", "13+", "0.10"]

import codecs

import pytest

from dashboard.sources import LoaderError, Malformed, read_table

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
    frame = read_table(data, name).frame
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
    frame = read_table(b"id,fatalities,lat\n007,13+,0.10\n", "t.csv").frame
    assert frame.iloc[0].tolist() == ["007", "13+", "0.10"]


def test_a_header_shorter_than_every_row_is_refused_not_truncated():
    with pytest.raises(LoaderError, match="more cells than the header"):
        read_table(b"a,b\n1,2,3\n4,5,6\n", "long.csv")


def test_a_malformed_line_is_kept_aside_and_the_rest_loads():
    raw = read_table(b"a,b\n1,2\n4,5,6\n7,8\n", "one-bad.csv")
    assert raw.frame.to_dict("list") == {"a": ["1", "7"], "b": ["2", "8"]}
    assert raw.malformed == (Malformed(3, ["4", "5", "6"], "row has 3 cells; the header has 2"),)


def test_a_trailing_delimiter_on_header_and_rows_is_an_empty_column():
    frame = read_table(b"a,b,\n1,2,\n3,4,\n", "trailing.csv").frame
    assert frame.to_dict("list") == {"a": ["1", "3"], "b": ["2", "4"], "Unnamed: 2": ["", ""]}


def test_parquet_and_json_records(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"date": ["2021-06-12"], "place": ["Kabul"]}).set_index("date")
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    assert read_table(path.read_bytes(), "t.parquet").frame.to_dict("list") == {
        "date": ["2021-06-12"], "place": ["Kabul"]}  # the index is kept as a column
    records = b'[{"date": "2021-06-12", "place": "Kabul", "fatalities": 7}]'
    assert read_table(records, "t.json").frame.iloc[0].tolist() == ["2021-06-12", "Kabul", "7"]


def test_xlsx_first_sheet(tmp_path):
    import pandas as pd

    path = tmp_path / "book.xlsx"
    pd.DataFrame({"date": ["2021-06-12"], "place": ["Mocímboa da Praia"]}).to_excel(
        path, index=False)
    assert read_table(path.read_bytes(), "book.xlsx").frame.iloc[0].tolist() == [
        "2021-06-12", "Mocímboa da Praia"]

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


def loaded(data: bytes, name: str = "t.csv"):
    """The file's table as `dashboard check` sees it (read and validated)."""
    from dashboard.dataset import prepare_raw

    raw = read_table(data, name)
    return prepare_raw(raw.frame, "custom", geocode=False, malformed=raw.malformed)


def test_a_stray_quote_accounts_for_every_record_and_names_its_line():
    rows = [f"2021-01-{day % 28 + 1:02d},Gao,note {day}" for day in range(1000)]
    rows[9] = '2021-01-10,"Gao,stray quote'  # line 11, after the header
    table = loaded(("date,place,notes\n" + "\n".join(rows) + "\n").encode())
    # The quote's line is rejected as written; reading goes on after it.
    assert (table.rows_in, len(table.accepted)) == (1000, 999)
    rejected = table.rejected.iloc[0]
    assert rejected["reason"] == "unclosed quote on line 11"
    assert rejected[["date", "place", "notes"]].tolist() == ["2021-01-10", '"Gao',
                                                             "stray quote"]
    assert table.accepted["notes"].tolist() == [f"note {day}" for day in range(1000)
                                                if day != 9]


def test_a_bare_cr_in_a_cell_and_a_long_row_lose_nothing():
    table = loaded(b'date,place\n2021-01-01,"Ga\ro"\n2021-01-02,Gao\r2021-01-03,Gao,extra\n'
                   b"2021-01-04,Mosul\n")  # a bare CR ends a line, outside quotes
    assert table.rows_in == 4
    assert table.accepted["place"].tolist() == ["Ga\ro", "Gao", "Mosul"]
    assert table.reason_counts() == {"row has 3 cells; the header has 2": 1}


def test_a_cell_over_128k_characters_and_a_long_row_are_both_rejected():
    table = loaded(b'date,place\n2021-01-01,"' + b"x" * 140_000 + b'"\n'
                   b"2021-01-02,Gao,extra\n2021-01-03,Mosul\n")
    assert (table.rows_in, len(table.accepted)) == (3, 1)
    assert table.reason_counts() == {"a cell is longer than 10,000 characters": 1,
                                     "row has 3 cells; the header has 2": 1}


def test_a_file_cut_inside_a_quoted_cell_keeps_its_last_row():
    table = loaded(b'date,place,notes\n2021-01-01,Gao,ok\n2021-01-02,Mosul,"Cut\nhere')
    # Every line kept: the quote's as written, the one after it as a row of its own.
    assert (table.rows_in, len(table.accepted)) == (3, 1)
    cut, after = table.rejected.sort_values("reason", ascending=False).to_dict("records")
    assert (cut["reason"], cut["date"], cut["place"], cut["notes"]) == (
        "unclosed quote on line 3", "2021-01-02", "Mosul", '"Cut')
    assert (after["reason"], after["date"]) == ("date missing or not recognised", "here")


def test_one_line_of_many_cells_is_one_rejected_row_with_every_cell():
    table = loaded(b"date,place\n2021-01-01,Gao\n2021-01-02,Mosul" + b",x" * 100_000 + b"\n")
    assert table.reason_counts() == {"row has 100002 cells; the header has 2": 1}
    assert table.rejected["place"][0] == "Mosul" + ",x" * 100_000


def test_a_header_of_too_many_columns_is_refused():
    with pytest.raises(LoaderError, match="100,000 columns is over"):
        read_table(b",".join(b"c%d" % i for i in range(100_000)) + b"\n" + b"1," * 99_999
                   + b"1\n", "wide.csv")


@pytest.mark.parametrize("kind", ["fifo", "directory", "/dev/zero symlink"])
def test_only_regular_files_are_read(tmp_path, kind):
    import os

    from dashboard.sources import read_path

    path = tmp_path / "incidents.csv"
    {"fifo": os.mkfifo, "directory": os.mkdir,
     "/dev/zero symlink": lambda p: os.symlink("/dev/zero", p)}[kind](path)
    with pytest.raises(LoaderError, match="not a file"):
        read_path(path)  # before the fix: waits for a writer, or reads forever


def test_a_file_is_read_only_up_to_the_limit(tmp_path):
    from dashboard.sources import read_bytes

    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 100)
    assert read_bytes(path, max_bytes=1_000) == path.read_bytes()
    with pytest.raises(LoaderError, match="over the"):
        read_bytes(path, max_bytes=100)


def test_numeric_column_names_become_text(tmp_path):
    import pandas as pd

    from dashboard.dataset import unmapped

    path = tmp_path / "book.xlsx"
    pd.DataFrame([["2021-06-12", "Kabul"]], columns=[2021, "place"]).to_excel(path, index=False)
    frame = read_table(path.read_bytes(), "book.xlsx").frame
    assert list(frame.columns) == ["2021", "place"]
    assert unmapped(frame) == ["date"]
    rows = read_table(b"[[],[{}]]", "lists.json").frame  # the smallest case found
    assert list(rows.columns) == ["0"]
    assert unmapped(rows) == ["date", "place"]
    assert loaded(b"[[],[{}]]", "lists.json").rows_in == 2


@pytest.mark.parametrize("orient", ["records", "index", "columns", "split", "values", "table"])
def test_json_as_pandas_writes_it_reads_back_untransposed(orient):
    import pandas as pd

    frame = pd.DataFrame({"date": ["2021-06-12", "2020-08-12", "2019-01-01"],
                          "place": ["Kabul", "Mocímboa da Praia", "Gao"]})
    data = frame.to_json(orient=orient).encode()
    if orient == "table":
        with pytest.raises(LoaderError, match="save it as one of"):
            read_table(data, "t.json")
        return
    read = read_table(data, "t.json").frame
    assert read.to_numpy().tolist() == frame.to_numpy().tolist()
    if orient != "values":  # values carries no column names
        assert list(read.columns) == ["date", "place"]


@pytest.mark.parametrize(("data", "message"), [
    (b'{"Kabul": {"Gao": 1}}', "keyed by row or by column"),  # no row numbers on either side
    (b'{"0": {"1": "x"}}', "keyed by row or by column"),  # row numbers on both
    (b'"' + b"x" * 1000 + b'"', "not a table"),
    (b"[1, 2, 3]", "not a table"),
    (b'[{"a": 1}, [1]]', "not a table"),
    (b"[" * 100_000 + b"]" * 100_000, "not a readable .json"),
])
def test_json_of_another_shape_is_refused_with_the_shapes_read(data, message):
    with pytest.raises(LoaderError, match=message):
        read_table(data, "t.json")


def test_a_file_whose_only_row_has_an_open_quote_is_refused_with_the_reason():
    with pytest.raises(LoaderError, match=r"no row fits the header \(unclosed quote on line 2"):
        read_table(b'date,place\n2021-01-01,"Gao', "t.csv")


def test_past_its_restarts_the_reader_keeps_the_rest_as_one_record(monkeypatch):
    from dashboard import sources

    monkeypatch.setattr(sources, "RETRY_PASSES", 0)  # each restart reads the rest again
    rows = [f"2021-01-{day % 28 + 1:02d},Gao,note {day}" for day in range(20)]
    rows[4] = '2021-01-05,"Gao,stray quote'
    table = loaded(("date,place,notes\n" + "\n".join(rows) + "\n").encode())
    assert (table.rows_in, len(table.accepted)) == (5, 4)
    rejected = table.rejected.iloc[0]
    assert rejected["reason"] == "unclosed quote starting on line 6"
    assert rejected["place"].split("\n") == ["Gao,stray quote", *rows[5:], ""]

import io

import pandas as pd
import pytest

from dashboard.export import neutralise, to_csv_bytes


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+1 (555) 0100", "'+1 (555) 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\ncmd", "'\ncmd"),
        ("\0cmd", "'\0cmd"),
        ("Mosul", "Mosul"),
        ("a=b", "a=b"),  # only a leading trigger makes a formula
        ("", ""),
    ],
)
def test_neutralise(cell, written):
    assert neutralise(pd.Series([cell], dtype="string"))[0] == written


def read_back(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def test_csv_is_formula_safe_and_numbers_stay_numbers():
    frame = pd.DataFrame({
        "notes": pd.Series(["=1+1", "fine"], dtype="string"),
        "longitude": [-1.53, 13.1],  # a negative number is a number, not a formula
        "fatalities": pd.array([-3, 7], dtype="Int64"),  # numeric: no apostrophe
        "date": pd.to_datetime(["2021-06-12", "2020-01-01"]),
    })
    back = read_back(to_csv_bytes(frame))
    assert back["notes"].tolist() == ["'=1+1", "fine"]
    assert back["longitude"].tolist() == ["-1.53", "13.1"]
    assert back["fatalities"].tolist() == ["-3", "7"]
    assert back["date"].tolist() == ["2021-06-12", "2020-01-01"]


def test_line_breaks_inside_text_stay_in_their_row():
    frame = pd.DataFrame({
        "event_id": pd.Series(["a", "b", "c"], dtype="string"),
        "notes": pd.Series(["first line\rsecond", "one\r\ntwo\nthree", "plain"], dtype="string"),
    })
    back = read_back(to_csv_bytes(frame))
    assert back["event_id"].tolist() == ["a", "b", "c"]
    assert back["notes"].tolist() == ["first line\rsecond", "one\r\ntwo\nthree", "plain"]


def test_missing_values_are_empty_cells():
    frame = pd.DataFrame({"place": pd.Series([pd.NA, "Gao"], dtype="string"),
                          "fatalities": pd.array([None, 3], dtype="Int64")})
    # Text is always quoted (pyarrow's writer), so a missing place is the bare empty cell.
    assert to_csv_bytes(frame) == b'place,fatalities\r\n,\r\n"Gao",3\r\n'


def test_a_hostile_column_name_is_neutralised_too():
    frame = pd.DataFrame({'=HYPERLINK("http://evil.example","x")': pd.Series(["a"],
                                                                             dtype="string")})
    header = to_csv_bytes(frame).split(b"\r\n")[0]
    assert header == b'"\'=HYPERLINK(""http://evil.example"",""x"")"'


def test_categorical_text_is_neutralised_too():
    frame = pd.DataFrame({"actor": pd.Series(["=cmd", "ISWAP", "=cmd", None], dtype="category"),
                          # both would become "'=x": the column is written as text instead
                          "notes": pd.Series(["=x", "'=x"], dtype="category").repeat(2)
                          .reset_index(drop=True)})
    back = read_back(to_csv_bytes(frame))
    assert back["actor"].tolist() == ["'=cmd", "ISWAP", "'=cmd", ""]
    assert back["notes"].tolist() == ["'=x"] * 4  # no error, every cell safe

import datetime as dt
import json
import subprocess
import sys
import zipfile

import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.dataset import load_path
from dashboard.export import to_csv_bytes
from dashboard.filters import Filters, apply_filters

from conftest import SAMPLE

GOOD = ("event_id,date,country,place,fatalities\n"
        "x1,2021-06-12,Afghanistan,Kabul,7\n"
        "x2,someday,Iraq,Mosul,3\n")


def test_check_json(write_csv, capsys):
    assert main(["check", str(write_csv(GOOD)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == {"format": "generic", "rows_in": 2, "accepted": 1, "rejected": 1,
                      "reasons": {"date missing or not recognised": 1}}


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "empty.csv", "empty"),
        (bytes(range(256)) * 40, "renamed.csv", "binary"),
        (b"date,place\n", "header.csv", "no rows"),
    ],
)
def test_bad_input_exits_2_with_one_line(write_csv, content, name, message):
    # A real process, so what a user sees on stderr is exactly what is asserted.
    result = subprocess.run([sys.executable, "-m", "dashboard", "check",
                             str(write_csv(content, name))], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.csv")]) == 2
    assert "cannot open" in capsys.readouterr().err


def test_unknown_country_exits_2(capsys):
    assert main(["export", str(SAMPLE), "-o", "out.csv", "--country", "Atlantis"]) == 2
    assert "Atlantis" in capsys.readouterr().err


def test_export_matches_the_download_bytes(tmp_path):
    out = tmp_path / "out.csv"
    assert main(["export", str(SAMPLE), "-o", str(out), "--country", "nigeria",
                 "--start", "2019-01-01", "--end", "2021-06-30"]) == 0
    filters = Filters(start=dt.date(2019, 1, 1), end=dt.date(2021, 6, 30),
                      countries=("Nigeria",))
    expected = to_csv_bytes(apply_filters(load_path(SAMPLE).accepted, filters))
    assert out.read_bytes() == expected
    assert expected.count(b"\n") > 2  # the sample has Nigerian rows in that period


def test_geocode_writes_every_row(write_csv, tmp_path, capsys):
    source = write_csv("Ort,Land,date\nPalma,Mozambique,2021-03-24\nNiger,,2021-01-02\n"
                       "Xyzzy,,2021-01-03\n")
    out = tmp_path / "geocoded.csv"
    assert main(["geocode", str(source), "-o", str(out), "--place-column", "Ort",
                 "--country-column", "Land"]) == 0
    back = pd.read_csv(out, keep_default_na=False)
    assert back["geo_precision"].tolist() == ["place", "country", "unresolved"]
    assert back["geo_method"].tolist() == ["gazetteer", "gazetteer", ""]
    assert float(back.loc[0, "latitude"]) == pytest.approx(-10.77, abs=0.05)
    assert back.loc[1, "country"] == ""
    assert float(back.loc[1, "latitude"]) == pytest.approx(16.0)  # Niger, the country
    assert "unresolved: 1" in capsys.readouterr().out


def test_geocode_to_parquet(write_csv, tmp_path):
    out = tmp_path / "geocoded.parquet"
    assert main(["geocode", str(write_csv(GOOD)), "-o", str(out)]) == 0
    assert pd.read_parquet(out)["place"].tolist() == ["Kabul"]


def test_xlsx_is_refused_without_parsing(write_csv, capsys):
    path = write_csv(b"", "book.xlsx")
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("xl/worksheets/sheet1.xml", "<x/>")
    assert main(["check", str(path)]) == 2
    assert ".xlsx" in capsys.readouterr().err

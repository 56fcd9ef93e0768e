import datetime as dt
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rising as bench

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
                      "reasons": {"date missing or not recognised": 1}, "warnings": []}


def test_check_says_which_fatalities_were_not_read(write_csv, capsys):
    # The QA file: before, "5 accepted" and nothing else, with three tolls silently lost.
    path = write_csv("date,country,place,fatalities\n"
                     "2020-03-01,Iraq,Mosul,+5\n2020-03-02,Iraq,Baghdad,~3\n"
                     "2020-03-03,Iraq,Tikrit,five\n2020-03-04,Iraq,Kirkuk,-1\n"
                     "2020-03-05,Iraq,Basra,3.7\n")
    assert main(["check", str(path), "--no-learn"]) == 0
    out = capsys.readouterr().out
    assert "5 accepted, 0 rejected" in out
    assert ('warning: 3 fatality values could not be read as a count ("five", "-1", "3.7")'
            in out)


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


def test_a_country_spelled_as_in_the_file_filters_too(write_csv, tmp_path):
    source = write_csv("date,country,place\n2021-01-01,Kurdistan Region,Erbil\n"
                       "2021-01-02,Iraq,Mosul\n")
    out = tmp_path / "out.csv"
    assert main(["export", str(source), "-o", str(out), "--country", "Kurdistan Region"]) == 0
    assert pd.read_csv(out)["place"].tolist() == ["Erbil"]


@pytest.mark.parametrize(
    ("option", "value"),
    [("--country", "Atlantis"), ("--actor", "Nobody"), ("--type", "Picnic"),
     ("--admin1", "Atlantis Province")],
)
def test_a_value_the_data_lacks_exits_2_not_an_empty_file(capsys, tmp_path, option, value):
    out = tmp_path / "out.csv"
    assert main(["export", str(SAMPLE), "-o", str(out), option, value]) == 2
    assert not out.exists()
    assert value in capsys.readouterr().err


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
    # A plain list of places: no dates, and that is fine for geocoding.
    source = write_csv("Ort,Land\nPalma,Mozambique\nNiger,\nXyzzy,\n")
    out = tmp_path / "geocoded.csv"
    assert main(["geocode", str(source), "-o", str(out), "--place-column", "Ort",
                 "--country-column", "Land"]) == 0
    back = pd.read_csv(out, keep_default_na=False)
    assert back["geo_precision"].tolist() == ["place", "country", "unresolved"]
    assert back["geo_method"].tolist() == ["gazetteer", "gazetteer", ""]
    assert float(back.loc[0, "latitude"]) == pytest.approx(-10.77, abs=0.05)
    assert back.loc[1, "country"] == "Niger"  # learned from the place
    assert float(back.loc[1, "latitude"]) == pytest.approx(16.0)  # Niger, the country
    assert "unresolved: 1" in capsys.readouterr().out


def test_geocode_to_parquet(write_csv, tmp_path):
    out = tmp_path / "geocoded.parquet"
    assert main(["geocode", str(write_csv(GOOD)), "-o", str(out)]) == 0
    assert pd.read_parquet(out)["place"].tolist() == ["Kabul", "Mosul"]  # undated kept


ACLED = ("EVENT_ID_CNTY,EVENT_DATE,YEAR,EVENT_TYPE,ACTOR1,ACTOR2,COUNTRY,ADMIN1,LOCATION,"
         "LATITUDE,LONGITUDE,GEO_PRECISION,SOURCE,NOTES,FATALITIES,ISO\n"
         "NIG1,28 June 2021,2021,Violence against civilians,ISWAP,Civilians,Nigeria,Borno,"
         "Dikwa,12.036,13.918,1,Reuters,Attack on a camp,5,566\n"
         "NIG2,29 June 2021,2021,Battles,ISWAP,Military,Nigeria,Borno,Damasak,,,2,AFP,,3,566\n")
GTD = ("eventid,iyear,imonth,iday,country_txt,provstate,city,latitude,longitude,specificity,"
       "nkill,gname,attacktype1_txt,summary\n"
       "201406100001,2014,6,10,Iraq,Nineveh,Mosul,36.34,43.13,1,0,ISIL,Armed Assault,x\n"
       "201401000002,2014,1,0,Iraq,Anbar,Fallujah,0,0,5,,ISIL,Bombing/Explosion,y\n"
       "201400000003,2014,0,0,Syria,Raqqa,Raqqa,,,5,2,ISIL,Unknown,z\n")


@pytest.mark.parametrize(
    ("content", "name", "layout", "rows"),
    [
        # Excel on a French laptop: semicolons, Windows-1252, day-first dates.
        ("date;country;place;fatalities\n12/06/2021;Afghanistan;Kabul;7\n12/08/2020;"
         "Mozambique;Mocímboa da Praia;\n".encode("cp1252"), "semicolons.csv", "generic", 2),
        ("date,country,place\n2021-06-12,Afghanistan,Kabul\n2020-08-12,Mozambique,"
         "Mocímboa da Praia\n".encode("utf-16"), "utf16.csv", "generic", 2),
        (GTD.encode(), "gtd.csv", "gtd", 3),
        (ACLED.encode(), "acled.csv", "acled", 2),
    ],
)
def test_check_recognises_layouts(write_csv, capsys, content, name, layout, rows):
    assert main(["check", str(write_csv(content, name)), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["format"], report["rows_in"], report["accepted"]) == (layout, rows, rows)


def test_gtd_and_acled_rows_are_read_right(write_csv):
    gtd = load_path(write_csv(GTD, "gtd.csv")).accepted
    assert gtd["date_precision"].tolist() == ["day", "month", "year"]
    assert gtd["geo_method"].tolist() == ["source", "gazetteer", "gazetteer"]  # 0,0: unknown
    acled = load_path(write_csv(ACLED, "acled.csv")).accepted
    assert acled["date"].dt.strftime("%Y-%m-%d").tolist() == ["2021-06-28", "2021-06-29"]
    assert acled["actor"].tolist() == ["ISWAP", "ISWAP"]
    assert acled["geo_precision"].tolist() == ["exact", "place"]


@pytest.fixture(scope="session")
def xlsx_bomb(tmp_path_factory) -> Path:
    """A workbook of about half a megabyte that expands to 450 MB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book, \
            book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
        block = b"\0" * (1 << 20)
        for _ in range(450):
            sheet.write(block)
    return path


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"PK\x03\x04 not really a zip", "book.xlsx", "not an Excel .xlsx workbook"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(200), "program.csv", "binary"),
    ],
)
def test_hostile_files_exit_2(write_csv, capsys, content, name, message):
    assert main(["check", str(write_csv(content, name))]) == 2
    assert message in capsys.readouterr().err


def test_xlsx_bomb_is_refused_from_its_directory(xlsx_bomb, capsys):
    assert xlsx_bomb.stat().st_size < 2_000_000
    assert main(["check", str(xlsx_bomb)]) == 2
    err = capsys.readouterr().err
    assert "expands to 472 MB" in err
    assert len(err.strip().splitlines()) == 1


def test_csv_geojson_and_provenance_reproduce_from_the_record(tmp_path, write_csv):
    source = write_csv("event_id,date,country,place,fatalities\n"
                       "a,2021-06-12,Afghanistan,Kabul,7\n"
                       "b,2021-06-13,Afghanistan,Xyzzy-not-a-place,1\n"
                       "c,2021-06-14,Iraq,Mosul,2\n"
                       "d,2020-01-01,Afghanistan,Herat,3\n")
    first = tmp_path / "first"
    assert main(["export", str(source), "-o", f"{first}.csv", "--country", "Afghanistan",
                 "--start", "2021-01-01", "--geojson", f"{first}.geojson",
                 "--provenance", f"{first}.json"]) == 0
    record = json.loads(Path(f"{first}.json").read_text())
    assert record["rows"] == {"in": 4, "shown": 2, "exported_csv": 2, "exported_geojson": 2,
                              "unplaced": 0}  # Xyzzy is placed at Afghanistan's point
    assert record["sources"] == [{"name": source.name, "sha256": hashlib.sha256(
        source.read_bytes()).hexdigest()}]
    assert (record["online"], record["place_fixes"]) == (None, None)  # offline, no fixes

    again = tmp_path / "again.csv"
    assert main(["export", str(source), "-o", str(again), *record["export_options"]]) == 0
    assert again.read_bytes() == Path(f"{first}.csv").read_bytes()
    features = json.loads(Path(f"{first}.geojson").read_text())["features"]
    assert [f["properties"]["event_id"] for f in features] == ["a", "b"]
    assert features[0]["geometry"]["coordinates"] == pytest.approx([69.17, 34.53], abs=0.01)


def test_export_reads_the_saved_choices_once_and_records_the_fixes(write_csv, tmp_path,
                                                                   capsys):
    from dashboard import store

    store.save_mapping(["Wann", "Ort", "Land"], {"date": "Wann", "place": "Ort",
                                                "country": "Land"})
    store.save_override("kabul|AF", {"latitude": 1.5, "longitude": 2.5})
    source = write_csv("Wann,Ort,Land\n2021-06-12,Kabul,Afghanistan\n")
    out, record = tmp_path / "out.csv", tmp_path / "out.json"
    assert main(["export", str(source), "-o", str(out), "--provenance", str(record)]) == 0
    row = pd.read_csv(out).iloc[0]
    assert (row["place"], row["latitude"], row["geo_method"]) == ("Kabul", 1.5, "manual")
    fixes = store.read_saved().fixes
    assert json.loads(record.read_text())["place_fixes"] == store.fixes_fingerprint(fixes)
    assert capsys.readouterr().err == ""


def test_a_damaged_saved_file_is_a_warning_and_the_command_goes_on(write_csv, tmp_path,
                                                                    capsys):
    from dashboard import store

    store.home().mkdir(parents=True, exist_ok=True)
    (store.home() / store.OVERRIDES_FILE).write_text("[1, 2]")
    out = tmp_path / "out.csv"
    assert main(["geocode", str(write_csv(GOOD)), "-o", str(out)]) == 0
    (warning,) = capsys.readouterr().err.splitlines()
    assert warning.startswith("dashboard geocode: warning: place_overrides.json could not "
                              "be read")
    assert len(pd.read_csv(out)) == 2


# dashboard rising ----------------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)> *[x](https://evil.example/t.png)*"


def generated_csv(path, flat: int, planted: int, period: str = "4w", seed: int = 1,
                  hostile: bool = False):
    """The benchmark's weekly series as a file the dashboard loads: each area a cluster
    of points of its own; with ``hostile``, the first planted area's name is markup."""
    rows = bench.generate(flat, planted, period, seed)
    codes = rows["admin1"].cat.codes.to_numpy()
    rng = np.random.default_rng(seed)
    names = rows["admin1"].astype(str)
    if hostile:
        names = names.replace("Planted 0", HOSTILE)
    pd.DataFrame({
        "event_id": [f"g{i}" for i in range(len(rows))],
        "date": rows["date"].dt.strftime("%Y-%m-%d"),
        "country": rows["country"].astype(str),
        "admin1": names,
        "place": names,
        "actor": rows["actor"].astype(str),
        "fatalities": rows["fatalities"],
        "latitude": 5 + (codes % 8) * 1.5 + rng.normal(0, 0.2, len(rows)),
        "longitude": 10 + (codes // 8) * 1.5 + rng.normal(0, 0.2, len(rows)),
    }).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("period", ["4w", "month"])
def test_the_cli_flags_the_planted_surges_and_at_most_5_percent_of_flat_areas(
        tmp_path, capsys, period):
    flat, planted = 200, 20
    source = generated_csv(tmp_path / "series.csv", flat, planted, period, seed=7)
    assert main(["rising", str(source), "--by", "admin1", "--period", period, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    names = [area["area"] for area in report["flagged"]]
    false_alarms = sum(name.startswith("Flat") for name in names)
    surges = [area["area"] for area in report["flagged"] if "surge" in area["flags"]]
    found = sum(name.startswith("Planted") for name in surges)
    assert false_alarms <= 0.05 * flat
    assert found >= 0.8 * planted  # the benchmark: 94% (4w), 96% (month) over 4 seeds
    assert report["areas"] == flat + planted
    assert (report["by"], report["period"], report["undated"]) == ("admin1", period, 0)
    first = report["flagged"][0]
    assert dt.date.fromisoformat(report["start"]) <= dt.date.fromisoformat(report["end"])
    assert isinstance(first["flags"], list)
    assert isinstance(first["new_actors"], list)
    assert dt.date.fromisoformat(first["first"]) < dt.date.fromisoformat(report["start"])
    print(f"{period}: {found} of {planted} planted surges found, "
          f"{false_alarms} of {flat} flat areas flagged")


def test_the_cli_says_when_no_flag_fired_and_writes_null_for_nan(write_csv, capsys):
    source = write_csv("date,country,admin1,place\n2021-01-01,Iraq,Nineveh,Mosul\n"
                       "2021-01-02,Iraq,Nineveh,Mosul\n,Iraq,Nineveh,Mosul\n")
    assert main(["rising", str(source)]) == 0
    out = capsys.readouterr().out
    assert "no area's flags fired" in out
    assert "1 admin-1 region compared" in out
    assert main(["rising", str(source), "--json", "--end", "2021-01-01"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["flagged"] == []
    assert report["later"] == 1
    assert report["end"] == "2021-01-01"


def test_the_cli_json_has_no_nan_and_plain_types(write_csv, capsys):
    # An area with incidents only in the last period, a year of others before: "new_area",
    # with no baseline (NaN p) to write as null.
    lines = ["date,country,admin1,place,actor"]
    lines += [f"{day:%Y-%m-%d},Iraq,Nineveh,Mosul,IS" for day in pd.date_range(
        "2020-01-01", "2021-01-31", freq="7D")]
    lines += ["2021-01-30,Syria,Raqqa,Raqqa,IS"]
    assert main(["rising", write_csv("\n".join(lines) + "\n").as_posix(), "--json"]) == 0
    text = capsys.readouterr().out
    assert "NaN" not in text
    (raqqa,) = [area for area in json.loads(text)["flagged"] if area["area"] == "Raqqa"]
    assert raqqa["flags"] == ["new_area"]
    assert raqqa["p"] is None
    assert raqqa["reasons"].startswith("First incidents in this area since at least")


def test_the_cli_takes_the_exports_filters(tmp_path, capsys):
    source = generated_csv(tmp_path / "series.csv", 20, 4, seed=3)
    assert main(["rising", str(source), "--country", "Country D", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["areas"] == 3  # areas 3, 13 and 23 (Flat 3, Flat 13, Planted 3)
    assert {area["country"] for area in report["flagged"]} <= {"Country D"}
    assert main(["rising", str(source), "--country", "Atlantis"]) == 2
    assert "Atlantis" in capsys.readouterr().err

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from dashboard import store
from dashboard.dataset import combine, load_raw, unmapped


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv(store.HOME_ENV, str(tmp_path))
    monkeypatch.setattr(store, "NOTICES_BY_FILE", {})
    return tmp_path


def test_a_mapping_is_remembered_for_the_same_columns_in_any_order(home):
    store.save_mapping(["Wann", "Ort"], {"date": "Wann", "place": "Ort"})
    assert store.saved_mapping(["Ort", "Wann"]) == {"date": "Wann", "place": "Ort"}
    # Same layout by the signature (case folds), but a mapping names exact columns: a
    # column the file does not have under that spelling is not applied.
    assert store.saved_mapping(["ort", "WANN"]) == {}
    assert store.saved_mapping(["Ort", "Wann", "Extra"]) == {}  # another layout


def test_atomic_write_leaves_no_temporary_files(home):
    path = home / "x.json"
    store.write_json_atomically(path, {"a": 1})
    store.write_json_atomically(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert os.listdir(home) == ["x.json"]


def test_a_corrupt_file_is_set_aside_with_a_notice_not_lost(home):
    broken = '{"palma|": {"latitude": -10.7'  # truncated mid-write by another tool
    (home / store.OVERRIDES_FILE).write_text(broken)
    assert store.overrides() == {}
    kept = list(home.glob(f"{store.OVERRIDES_FILE}.corrupt-*"))
    assert [path.read_text() for path in kept] == [broken]  # the user's bytes survive
    assert "set aside" in store.notices()[-1]
    store.save_override("gao|", {"latitude": 16.27, "longitude": -0.04})
    assert store.overrides() == {"gao|": {"latitude": 16.27, "longitude": -0.04}}


WRITER = """
import os, sys
from dashboard import store
store.save_override("first|", {"latitude": 1.0, "longitude": 2.0})
os.replace = lambda *args: os._exit(3)  # die after writing the new file, before the rename
store.save_override("second|", {"latitude": 3.0, "longitude": 4.0})
"""


def test_a_writer_killed_between_write_and_rename_leaves_the_saved_file_whole(home):
    env = {**os.environ, store.HOME_ENV: str(home)}
    died = subprocess.run([sys.executable, "-c", WRITER], env=env, check=False, timeout=60)
    assert died.returncode == 3
    assert store.overrides() == {"first|": {"latitude": 1.0, "longitude": 2.0}}
    assert not list(home.glob("*.corrupt-*"))  # nothing unreadable was left behind


SAVER = """
import sys
from dashboard import store
for number in range(40):
    store.save_override(f"{sys.argv[1]}-{number}|", {"latitude": number, "longitude": 0})
"""


def test_two_processes_saving_at_once_lose_nothing(home):
    env = {**os.environ, store.HOME_ENV: str(home)}
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, name], env=env)
              for name in ("left", "right")]
    assert [saver.wait(timeout=120) for saver in savers] == [0, 0]
    assert len(store.overrides()) == 80


@pytest.mark.parametrize(
    ("columns", "needed"),
    [
        (["date", "place"], []),
        (["event_date", "latitude", "longitude"], []),
        (["Wann", "Ort"], ["date", "place"]),
        (["date", "Ort"], ["place"]),
        (["Wann", "country"], ["date"]),
    ],
)
def test_unmapped(columns, needed):
    assert unmapped(pd.DataFrame(columns=columns)) == needed


def test_combined_files_keep_their_provenance():
    ucdp = pd.DataFrame({"id": ["1"], "date_start": ["2016-07-03"], "where_prec": ["1"],
                         "best": ["3"], "latitude": ["33.3"], "longitude": ["44.4"],
                         "country": ["Iraq"]}, dtype="string")
    mine = pd.DataFrame({"Wann": ["2021-06-12", "never"], "Ort": ["Kabul", "Gao"]},
                        dtype="string")
    table = combine([load_raw(ucdp, "ged.csv"),
                     load_raw(mine, "mine.csv", mapping={"date": "Wann", "place": "Ort"})])
    assert table.accepted["dataset"].tolist() == ["ucdp", "custom"]
    assert table.accepted["source_file"].tolist() == ["ged.csv", "mine.csv"]
    assert table.rejected["source_file"].tolist() == ["mine.csv"]
    assert table.rows_in == 3

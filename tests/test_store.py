import json
import logging
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
    return tmp_path


def test_a_mapping_is_remembered_for_the_same_columns_in_any_order(home):
    store.save_mapping(["Wann", "Ort"], {"date": "Wann", "place": "Ort"})
    saved = store.read_saved()
    assert saved.mapping(["Ort", "Wann"]) == {"date": "Wann", "place": "Ort"}
    # Same layout by the signature (case folds), but a mapping names exact columns: a
    # column the file does not have under that spelling is not applied.
    assert saved.mapping(["ort", "WANN"]) == {}
    assert saved.mapping(["Ort", "Wann", "Extra"]) == {}  # another layout


def test_atomic_write_leaves_no_temporary_files(home):
    path = home / "x.json"
    store.write_json_atomically(path, {"a": 1})
    store.write_json_atomically(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert os.listdir(home) == ["x.json"]


def test_a_corrupt_file_is_set_aside_with_a_notice_not_lost(home):
    broken = '{"palma|": {"latitude": -10.7'  # truncated mid-write by another tool
    (home / store.OVERRIDES_FILE).write_text(broken)
    saved = store.read_saved()
    assert saved.fixes == {}
    kept = list(home.glob(f"{store.OVERRIDES_FILE}.corrupt-*"))
    assert [path.read_text() for path in kept] == [broken]  # the user's bytes survive
    assert list(saved.notices) == [store.OVERRIDES_FILE]
    assert f"set aside as {kept[0]}" in saved.notices[store.OVERRIDES_FILE]
    assert store.save_override("gao|", {"latitude": 16.27, "longitude": -0.04}) is None
    assert store.read_saved().fixes == {"gao|": {"latitude": 16.27, "longitude": -0.04}}


def test_a_save_over_a_damaged_file_says_where_the_old_one_went(home):
    (home / store.OVERRIDES_FILE).write_text("[1, 2]")
    notice = store.save_override("gao|", {"latitude": 16.27, "longitude": -0.04})
    (kept,) = home.glob(f"{store.OVERRIDES_FILE}.corrupt-*")
    assert f"set aside as {kept}" in notice
    assert store.read_saved().fixes == {"gao|": {"latitude": 16.27, "longitude": -0.04}}


def test_notices_go_to_the_reader_and_no_one_else(home, caplog):
    caplog.set_level(logging.INFO, store.__name__)
    (home / store.MAPPINGS_FILE).write_text("not JSON")
    first = store.read_saved()
    assert list(first.notices) == [store.MAPPINGS_FILE]
    assert "column_mappings.json could not be read" in caplog.text  # logged as well
    # Another session reading now finds no file, so nothing to tell; nothing is shared.
    assert store.read_saved().notices == {}
    assert not hasattr(store, "NOTICES_BY_FILE")


def test_a_session_keeps_a_notice_until_the_file_reads_well():
    notice = {store.OVERRIDES_FILE: "fixes set aside"}
    told = store.Saved(notices=notice).notices_after({})
    assert told == notice
    assert store.Saved().notices_after(told) == notice  # the file is gone: still news
    fine = store.Saved(fixes={"a|": {"latitude": 1, "longitude": 2}},
                       read_well=frozenset({store.OVERRIDES_FILE}))
    assert fine.notices_after(told) == {}
    other = store.Saved(read_well=frozenset({store.MAPPINGS_FILE}))
    assert other.notices_after(told) == notice  # another file read well: this one stays


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
    assert store.read_saved().fixes == {"first|": {"latitude": 1.0, "longitude": 2.0}}
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
    assert len(store.read_saved().fixes) == 80


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


def test_a_fix_saved_under_the_old_folding_still_applies(home):
    # Before transliteration, "Tromsø" folded to "troms", Troms county's key.
    store.write_json_atomically(home / store.OVERRIDES_FILE, {
        "troms|NO": {"latitude": 69.0, "longitude": 19.0, "place": "Tromsø"},
        "mosul|IQ": {"latitude": 36.3, "longitude": 43.1, "place": "Mosul"},
    })
    saved = store.read_saved()
    assert set(saved.fixes) == {"tromso|NO", "mosul|IQ"}
    raw = pd.DataFrame({"date": ["2020-01-01", "2020-01-02"], "place": ["Tromsø", "Troms"],
                        "country": ["Norway", "Norway"]})
    placed = load_raw(raw, "x.csv", saved=saved).accepted
    assert placed["geo_method"].tolist()[0] == "manual"
    assert placed["geo_method"].tolist()[1] != "manual"  # the county is not the town


def test_a_fix_saved_under_the_new_key_wins_over_its_old_twin(home):
    store.write_json_atomically(home / store.OVERRIDES_FILE, {
        "troms|NO": {"latitude": 1.0, "longitude": 1.0, "place": "Tromsø"},
        "tromso|NO": {"latitude": 69.65, "longitude": 18.96, "place": "Tromsø"},
    })
    assert store.read_saved().fixes == {
        "tromso|NO": {"latitude": 69.65, "longitude": 18.96, "place": "Tromsø"}}

"""The on-disk snapshot of a loaded table: read back identical, never stale, never fatal."""

from __future__ import annotations

import dataclasses
import json
import os

import pandas as pd
import pytest

from dashboard import dataset, snapshot, store
from dashboard.geocode import override_key
from dashboard.online import OnlineGeocoder

SMALL = """event_id,date,country,place,latitude,longitude,fatalities,notes
a1,2021-06-12,Afghanistan,Kabul,,,7,minibus bombings
a2,2021-03-24,Mozambique,Palma,,,12,
a3,not a date,Iraq,Mosul,,,1,
a4,2020-01-05,Iraq,Mosul,36.34,43.13,2,=HYPERLINK("http://x")
"""


def snapshots() -> list[str]:
    root = snapshot.folder()
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def assert_same(left, right) -> None:
    pd.testing.assert_frame_equal(left.accepted, right.accepted)
    pd.testing.assert_frame_equal(left.rejected, right.rejected)
    assert (left.layout, left.warnings, left.source, left.files, left.rows_in) == (
        right.layout, right.warnings, right.source, right.files, right.rows_in)


def test_a_second_load_reads_the_snapshot_and_parses_nothing(write_csv, monkeypatch):
    path = write_csv(SMALL)
    first = dataset.load_path(path)
    assert len(snapshots()) == 1

    def must_not_parse(*args, **kwargs):
        raise AssertionError("parsed although a snapshot exists")

    monkeypatch.setattr(dataset, "read_table", must_not_parse)
    assert_same(dataset.load_path(path), first)


@pytest.mark.parametrize("change", [
    "bytes",  # the file was edited
    "fix",  # the user fixed a place: every row of it must move
    "mapping",  # the user mapped columns for some file layout
])
def test_a_change_the_rows_depend_on_makes_a_new_snapshot(write_csv, change):
    path = write_csv(SMALL)
    dataset.load_path(path, saved=store.read_saved())
    if change == "bytes":
        path.write_text(SMALL.replace("Kabul", "Jalalabad"))
    elif change == "fix":
        store.save_override("mosul|IQ", {"latitude": 1.0, "longitude": 2.0, "name": "x"})
    else:
        store.save_mapping(["Wann", "Ort"], {"date": "Wann", "place": "Ort"})
    dataset.load_path(path, saved=store.read_saved())
    assert len(snapshots()) == 2


def test_a_fix_reaches_the_rows_through_a_fresh_snapshot(write_csv):
    path = write_csv(SMALL)
    dataset.load_path(path, saved=store.read_saved())
    (key,) = override_key(pd.Series(["Kabul"]), pd.Series(["AF"]))
    store.save_override(key, {"latitude": 1.5, "longitude": 2.5, "name": "here"})
    kabul = dataset.load_path(path, saved=store.read_saved()).accepted.query(
        "event_id == 'a1'").iloc[0]
    assert (kabul["latitude"], kabul["longitude"], kabul["geo_method"]) == (1.5, 2.5, "manual")


def test_the_key_follows_the_choices_passed_in_not_the_saved_files(write_csv, monkeypatch):
    path = write_csv(SMALL)
    fixed = store.Saved(fixes={"kabul|AF": {"latitude": 1.5, "longitude": 2.5}})
    kabul = dataset.load_path(path, saved=fixed).accepted.query("event_id == 'a1'").iloc[0]
    assert kabul["geo_method"] == "manual"  # nothing is on disk: the fix was passed
    plain = dataset.load_path(path)
    assert plain.accepted.query("event_id == 'a1'").iloc[0]["geo_method"] == "gazetteer"
    assert len(snapshots()) == 2
    # A fix saved on disk but not passed changes neither the rows nor the snapshot read.
    store.save_override("kabul|AF", {"latitude": 9.0, "longitude": 9.0})
    monkeypatch.setattr(dataset, "read_table", lambda *args: pytest.fail("not from snapshot"))
    assert_same(dataset.load_path(path), plain)
    assert_same(dataset.load_path(path, saved=fixed), dataset.load_path(path, saved=fixed))
    assert len(snapshots()) == 2


def test_the_same_choices_saved_in_another_order_are_the_same_snapshot():
    one = store.Saved(fixes={"a|": {"latitude": 1, "longitude": 2}, "b|": {"latitude": 3,
                                                                          "longitude": 4}})
    other = store.Saved(fixes={"b|": {"longitude": 4, "latitude": 3},
                               "a|": {"longitude": 2, "latitude": 1}})
    assert one.fingerprint == other.fingerprint != store.Saved().fingerprint
    assert store.Saved(mappings={"x": {"date": "Wann"}}).fingerprint != store.Saved().fingerprint


def test_another_gazetteer_is_not_snapshotted(write_csv):
    from dashboard.gazetteer import load_gazetteer

    small = dataclasses.replace(load_gazetteer())  # equal rows, but not the embedded one
    dataset.load_path(write_csv(SMALL), gazetteer=small)
    assert snapshots() == []


@pytest.mark.parametrize("damage", ["truncate", "delete_meta", "garbage_meta",
                                    "categories_of_text", "miscounted"])
def test_a_damaged_snapshot_is_made_again(write_csv, damage, caplog):
    path = write_csv(SMALL)
    first = dataset.load_path(path)
    (saved,) = snapshot.folder().iterdir()
    if damage == "truncate":
        (saved / "accepted.parquet").write_bytes(b"PAR1\0\0")
    elif damage == "delete_meta":
        (saved / "table.json").unlink()
    elif damage == "categories_of_text":
        meta = json.loads((saved / "table.json").read_text())
        meta["categories"]["event_id"] = ["a1"]
        (saved / "table.json").write_text(json.dumps(meta))
    elif damage == "miscounted":  # rows that do not add up: an AccountingError, a miss
        meta = json.loads((saved / "table.json").read_text())
        meta["rows_in"] += 1
        (saved / "table.json").write_text(json.dumps(meta))
    else:
        (saved / "table.json").write_text('{"layout": 3}')
    assert_same(dataset.load_path(path), first)
    assert f"snapshot {saved} unreadable" in caplog.text  # not swallowed without a word
    assert_same(dataset.load_path(path), first)  # and the remade one reads back


def test_no_place_to_save_is_no_error(write_csv):
    store.home().mkdir(parents=True, exist_ok=True)
    snapshot.folder().write_text("a file where the folder would be")
    assert len(dataset.load_path(write_csv(SMALL)).accepted) == 3
    assert len(dataset.load_path(write_csv(SMALL)).accepted) == 3


def test_only_the_newest_snapshots_are_kept(write_csv, monkeypatch):
    monkeypatch.setattr(snapshot, "KEEP", 2)
    for number in range(4):
        path = write_csv(SMALL.replace("Kabul", f"Kabul {number}"), f"f{number}.csv")
        dataset.load_path(path)
        # mtime resolution: make the order of use unambiguous
        for name in snapshots():
            stamp = (snapshot.folder() / name).stat().st_mtime - 10
            os.utime(snapshot.folder() / name, (stamp, stamp))
    assert len(snapshots()) == 2


def test_online_loads_are_not_kept(write_csv, tmp_path):
    # Nothing is asked: the gazetteer places every name, so no request leaves.
    online = OnlineGeocoder(tmp_path / "answers.sqlite", domain="127.0.0.1:9")
    dataset.load_path(write_csv(SMALL), online=online)
    assert snapshots() == []
    assert online.requests == 0


TRICKY = {
    "no row accepted": "date,place\nnever,Kabul\nnot a date,Gao\n",
    "every coordinate missing": "date,place,latitude,longitude\n2021-06-12,Kabul,,\n"
                                "2021-06-13,Nowhere at all,,\n",
    "one row": "date,place\n2021-06-12,Kabul\n",
    "a column all empty": "date,place,notes,fatalities\n2021-06-12,Kabul,,\n2021-06-13,Gao,,\n"
                          "2021-06-14,Gao,,\n",
    "extra columns": "date,place,colour,weight\n2021-06-12,Kabul,red,1\n2021-06-13,Gao,red,\n",
    "rejects only by length": f"date,place\n2021-06-12,{'x' * 10_001}\n",
    "ucdp codes, none accepted": "id,date_start,where_prec,best,latitude,longitude\n"
                                 "1,never,1,3,33.3,44.4\n",
}


@pytest.mark.parametrize("name", TRICKY)
def test_a_warm_table_equals_the_cold_one_cell_for_cell_and_type_for_type(write_csv,
                                                                           monkeypatch, name):
    path = write_csv(TRICKY[name])
    cold = dataset.load_path(path)
    monkeypatch.setattr(dataset, "read_table", lambda *args: pytest.fail("not from snapshot"))
    warm = dataset.load_path(path)
    for part in ("accepted", "rejected"):
        # check_dtype compares a categorical's categories, used by a row or not.
        pd.testing.assert_frame_equal(getattr(warm, part), getattr(cold, part),
                                      check_dtype=True, check_categorical=True, check_exact=True)
    assert_same(warm, cold)

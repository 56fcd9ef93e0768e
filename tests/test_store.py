import json
import os

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


def test_a_corrupt_mapping_file_is_ignored(home):
    (home / store.MAPPINGS_FILE).write_text("{not json")
    assert store.saved_mapping(["a", "b"]) == {}
    store.save_mapping(["a", "b"], {"date": "a"})
    assert store.saved_mapping(["a", "b"]) == {"date": "a"}


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

"""The pipeline as a whole: what it is given, and what it tells the page while it loads."""

import dataclasses

import pandas as pd

from dashboard import store
from dashboard.dataset import load_path, load_raw, prepare_raw
from dashboard.gazetteer import load_gazetteer

CSV = """event_id,date,country,place,fatalities,latitude,longitude
a,2021-06-12,Afghanistan,Kabul,7,,
b,2021-03-24,Mozambique,Palma,,-10.78,40.47
c,not a date,Iraq,Mosul,1,,
"""


def test_a_cold_load_says_each_stage_with_its_rows_and_a_warm_one_says_nothing(write_csv):
    path = write_csv(CSV)
    said = []
    load_path(path, progress=lambda stage, done: said.append((stage, done)))
    assert [stage.split()[0] for stage, _ in said] == ["Reading", "Checking", "Placing",
                                                       "Saving"]
    assert said[1][0] == "Checking rows: 3"
    assert said[2][0] == "Placing incidents without coordinates: 1 of 2"
    assert [done for _, done in said] == sorted(done for _, done in said)
    said.clear()
    load_path(path, progress=lambda stage, done: said.append(stage))  # from the snapshot
    assert said == []


MAPPED = pd.DataFrame({"Wann": ["2021-06-12"], "Ort": ["Kabul"]}, dtype="string")


def test_the_pipeline_uses_the_choices_it_is_given_and_reads_none_itself(write_csv):
    # On disk: a mapping and a fix the pipeline must not see unless a front door passes them.
    store.save_mapping(["Wann", "Ort"], {"date": "Wann", "place": "Ort"})
    store.save_override("kabul|AF", {"latitude": 1.5, "longitude": 2.5})
    assert load_raw(MAPPED, "mine.csv").rows_in == len(load_raw(MAPPED, "mine.csv").rejected)
    saved = store.read_saved()
    kabul = load_raw(MAPPED, "mine.csv", saved=saved).accepted.iloc[0]
    assert (kabul["place"], kabul["latitude"], kabul["geo_method"]) == ("Kabul", 1.5, "manual")
    path = write_csv(CSV)
    assert load_path(path).accepted.iloc[0]["geo_method"] == "gazetteer"
    assert load_path(path, saved=saved).accepted.iloc[0]["geo_method"] == "manual"


def test_the_pipeline_uses_the_gazetteer_it_is_given():
    embedded = load_gazetteer()
    # The same table with Kabul's spellings moved to the other side of the world.
    moved = embedded.entries.copy()
    kabul = (moved["key"] == "kabul") & (moved["country_code"] == "AF")
    moved.loc[kabul, ["latitude", "longitude"]] = (-33.0, -70.0)
    gazetteer = dataclasses.replace(embedded, entries=moved)
    raw = pd.DataFrame({"date": ["2021-06-12"], "place": ["Kabul"], "country": ["Afghanistan"]},
                       dtype="string")
    placed = prepare_raw(raw, "custom", gazetteer=gazetteer).accepted.iloc[0]
    assert (placed["latitude"], placed["longitude"]) == (-33.0, -70.0)
    assert prepare_raw(raw, "custom").accepted.iloc[0]["latitude"] > 30  # the embedded one

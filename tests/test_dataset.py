"""The pipeline as a whole: what it is given, and what it tells the page while it loads."""

import dataclasses
import io

import pandas as pd

from dashboard import store
from dashboard.dataset import load_path, load_raw, prepare_raw
from dashboard.export import to_csv_bytes
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


# Adavi is a Nigerian district (LGA) the gazetteer has as such, with no town of its name:
# "Adavi LGA" is placed at the district. "Bama LGA" is placed at the town of Bama (a town
# outranks the district named after it), so it says nothing of a district.
DISTRICTS = """event_id,date,country,admin2,place,admin2_source,geo_district
named,2021-01-05,Nigeria,,Adavi LGA,theirs,mine
own,2021-01-06,Nigeria,Okene,Adavi LGA,theirs,mine
town,2021-01-07,Nigeria,,Maiduguri,theirs,mine
bama,2021-01-08,Nigeria,,Bama LGA,theirs,mine
"""


def texts(values: pd.Series) -> dict:
    return {key: None if pd.isna(value) else str(value) for key, value in values.items()}


def test_a_row_placed_at_the_district_its_text_names_gets_that_district(write_csv):
    incidents = load_path(write_csv(DISTRICTS)).accepted.set_index("event_id")
    # "Bama LGA" names a district: placed by its town, but at the district's precision
    # (issue #12: a row whose text names a district is placed at that level).
    assert texts(incidents["geo_precision"]) == {"named": "admin2", "own": "admin2",
                                                 "town": "place", "bama": "admin2"}
    assert texts(incidents["admin2"]) == {"named": "Adavi", "own": "Okene", "town": None,
                                          "bama": None}
    assert texts(incidents["admin2_source"]) == {"named": "gazetteer", "own": "file",
                                                 "town": None, "bama": None}
    # The file's own columns of those names are kept apart, the geocoder's is not kept.
    assert set(incidents["admin2_source_source"].astype(str)) == {"theirs"}
    assert set(incidents["geo_district_source"].astype(str)) == {"mine"}
    assert "geo_district" not in incidents


def test_a_row_the_user_placed_is_not_at_the_district_its_text_names(write_csv):
    store.save_override("adavi lga|NG", {"latitude": 7.8, "longitude": 6.7})
    incidents = load_path(write_csv(DISTRICTS), saved=store.read_saved()).accepted.set_index(
        "event_id")
    assert incidents.loc["named", "geo_method"] == "manual"
    assert pd.isna(incidents.loc["named", "admin2"])
    assert pd.isna(incidents.loc["named", "admin2_source"])
    assert incidents.loc["own", "admin2_source"] == "file"


def test_the_export_says_where_each_district_came_from(write_csv):
    exported = pd.read_csv(io.BytesIO(to_csv_bytes(load_path(write_csv(DISTRICTS)).accepted)),
                           dtype=str, keep_default_na=False).set_index("event_id")
    assert exported.loc["named", ["admin2", "admin2_source"]].tolist() == ["Adavi", "gazetteer"]
    assert exported.loc["town", ["admin2", "admin2_source"]].tolist() == ["", ""]

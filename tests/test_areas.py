"""Admin-1 areas: points placed in their regions, file spellings matched, counts per area."""

import json
import time
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import areas, cli, layers
from dashboard.dataset import load_path
from dashboard.geo import is_placed
from dashboard.layers import build_map
from dashboard.ui.areas import area_filters, picked_area
from dashboard.ui.explore import SPEEDS

from conftest import ROOT, SHARED_DATA, needs_shared_data

# (longitude, latitude, country code, the outline's name for the region holding it)
KNOWN_POINTS = {
    "Maiduguri": (13.16, 11.85, "NG", "Borno"),
    "Mosul": (43.13, 36.34, "IQ", "Ninawa"),
    "Kabul": (69.17, 34.53, "AF", "Kabul"),
    "Palma": (40.47, -10.78, "MZ", "Cabo Delgado"),
    "Raqqa": (39.01, 35.95, "SY", "Ar Raqqah"),
    "Menaka": (2.40, 15.92, "ML", "Gao"),  # Natural Earth predates the Ménaka region
    "Lagos Island": (3.40, 6.45, "NG", "Lagos"),  # in the lagoon the coast simplifies
}


def frame(points: dict, with_country: bool = True) -> pd.DataFrame:
    return pd.DataFrame({
        "place": list(points),
        "longitude": [point[0] for point in points.values()],
        "latitude": [point[1] for point in points.values()],
        "country_code": [point[2] if with_country else None for point in points.values()],
        "fatalities": np.arange(1, len(points) + 1),
    })


@pytest.mark.parametrize("with_country", [True, False])
def test_points_land_in_their_regions(with_country):
    found = areas.assign_admin1(frame(KNOWN_POINTS, with_country))
    expected = [point[3] for point in KNOWN_POINTS.values()]
    if not with_country:  # without its country, only a point inside an outline is placed
        found, expected = found[:-1], expected[:-1]
    assert found.tolist() == expected


def test_a_point_at_sea_or_without_coordinates_has_no_region():
    rows = frame({"Gulf of Guinea": (0.0, 0.0, None, None),
                  "off Lagos": (3.0, 5.0, "NG", None),  # 150 km out: too far to snap
                  "nowhere": (np.nan, np.nan, "NG", None)})
    assert areas.assign_admin1(rows).isna().all()


def test_the_country_narrows_the_regions_a_point_can_be_in():
    # A point inside Borno said to be in Cameroon is not put in Borno: the nearest
    # Cameroonian region is more than NEAR degrees away.
    rows = frame({"Maiduguri": (13.16, 11.85, "CM", None)})
    assert areas.assign_admin1(rows).isna().all()
    assert areas.assign_admin1(rows.assign(country_code=None)).tolist() == ["Borno"]


def test_the_country_name_stands_in_for_a_missing_code():
    rows = frame({"Gamboru": (14.2173, 12.3707, None, None)}).assign(country="Nigeria")
    assert areas.assign_admin1(rows).tolist() == ["Borno"]  # on the border: the nearest


def test_a_rows_own_admin1_is_kept():
    rows = frame(KNOWN_POINTS).assign(admin1=["Borno State", None, None, None, None, None,
                                              "Somewhere else"])
    found = areas.assign_admin1(rows)
    assert found.iloc[0] == "Borno State"
    assert found.iloc[-1] == "Somewhere else"
    assert found.iloc[1] == "Ninawa"


def test_file_spellings_match_outline_names_by_name_and_by_points():
    rows = pd.DataFrame({
        "country_code": ["NG", "NG", "IQ", "IQ", "IQ", "SY"],
        "admin1": ["Borno state", "Nasarawa state", "Nineveh governorate",
                   "Nineveh governorate", "Nineveh governorate", "Latakia Governorate"],
        "longitude": [np.nan, np.nan, 43.13, 43.0, 44.5, np.nan],
        "latitude": [np.nan, np.nan, 36.34, 36.0, 33.5, np.nan],
    })
    matches = areas.match_admin1(rows).set_index("admin1")
    assert matches.loc["Borno state", ["name", "matched"]].tolist() == ["Borno", "name"]
    # Nassarawa in the outlines: the same once doubled letters fold.
    assert matches.loc["Nasarawa state", "name"] == "Nassarawa"
    assert matches.loc["Latakia Governorate", "name"] == "Lattakia"
    # Two of its three points lie in Ninawa: the majority names it.
    assert matches.loc["Nineveh governorate", ["name", "matched", "rows"]].tolist() == [
        "Ninawa", "points", 3]


def test_a_spelling_without_a_majority_stays_unmatched():
    rows = pd.DataFrame({"country_code": ["IQ"] * 2, "admin1": ["Somewhere"] * 2,
                         "longitude": [43.13, 44.4], "latitude": [36.34, 33.3]})
    match = areas.match_admin1(rows).iloc[0]
    assert match["region"] == -1
    assert match["matched"] == ""


def test_counts_per_area_add_up_to_the_placed_rows():
    rows = pd.concat([frame(KNOWN_POINTS), frame({"at sea": (0.0, 0.0, None, None)})],
                     ignore_index=True)
    table = areas.per_area(rows)
    placed = areas.area_keys(rows)["area"].notna()
    assert table["incidents"].sum() == placed.sum() == len(KNOWN_POINTS)
    assert table["fatalities"].sum() == rows.loc[placed, "fatalities"].sum()
    assert set(table["area"]) == {point[3] for point in KNOWN_POINTS.values()}
    assert table["id"].notna().all()


def test_per_area_by_country_and_rows_with_a_spelling_the_outlines_lack():
    rows = frame(KNOWN_POINTS).assign(admin1=[None] * 6 + ["Lagos state"])
    rows.loc[len(rows)] = {"place": "x", "country_code": "NG", "admin1": "Nowhere state",
                           "fatalities": 5}
    table = areas.per_area(rows).set_index("area")
    assert table.loc["Lagos", "incidents"] == 1  # its own spelling, matched by name
    assert pd.isna(table.loc["Nowhere state", "id"])  # counted, with no outline to shade
    countries = areas.per_area(rows, by="country").set_index("area")
    assert countries.loc["Nigeria", "incidents"] == 3
    assert countries["incidents"].sum() == len(rows)
    with pytest.raises(ValueError, match="admin1 or country"):
        areas.per_area(rows, by="district")


def test_outlines_read_from_a_small_collection():
    square = [[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]
    hole = [[0.5, 0.5], [1.5, 0.5], [1.5, 1.5], [0.5, 1.5], [0.5, 0.5]]
    outlines = areas.read_outlines({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "a", "name": "Ring", "country_code": "XX",
                                            "country": "X"},
         "geometry": {"type": "Polygon", "coordinates": [square, hole]}},
        {"type": "Feature", "properties": {"id": "b", "name": "Core", "country_code": "XX",
                                            "country": "X"},
         "geometry": {"type": "MultiPolygon", "coordinates": [[hole]]}},
    ]})
    found = areas.locate(outlines, np.array([0.25, 1.0, 3.0, 1.99]),
                         np.array([0.25, 1.0, 1.0, 0.01]))
    assert found.tolist() == [0, 1, -1, 0]


@needs_shared_data
def test_real_nigeria_file_puts_borno_first_and_counts_add_up():
    incidents = load_path(SHARED_DATA / "ucdp_ged_nigeria_hdx_v20_1.csv").accepted
    matches = areas.match_admin1(incidents)
    assert matches.loc[matches["region"] >= 0, "rows"].sum() == matches["rows"].sum()
    for table_rows in (incidents, incidents.drop(columns="admin1")):
        table = areas.per_area(table_rows)
        placed = areas.area_keys(table_rows)["area"].notna().sum()
        assert table.iloc[0]["area"] == "Borno"
        assert table["incidents"].sum() == placed
        assert placed >= 0.99 * len(incidents)


# The pipeline's step, the areas layer, the click on a region and `dashboard areas`.

NO_REGION_COLUMN = """event_id,date,country,place,latitude,longitude,fatalities
m1,2020-01-05,Nigeria,Maiduguri,11.85,13.16,4
m2,2020-02-05,Nigeria,Maiduguri,11.85,13.16,6
l1,2020-02-09,Nigeria,Lagos Island,6.45,3.40,1
s1,2020-03-01,Nigeria,at sea,5.0,3.0,0
"""


def texts(values: pd.Series) -> dict:
    return {key: None if pd.isna(value) else str(value) for key, value in values.items()}


def test_a_file_without_regions_gets_them_from_the_outlines(write_csv):
    incidents = load_path(write_csv(NO_REGION_COLUMN)).accepted.set_index("event_id")
    assert texts(incidents["admin1"]) == {"m1": "Borno", "m2": "Borno", "l1": "Lagos",
                                          "s1": None}  # at sea: in no region, said so
    assert texts(incidents["admin1_source"]) == {"m1": "outline", "m2": "outline",
                                                 "l1": "outline", "s1": None}


def test_a_row_placed_only_at_country_level_is_in_no_region(write_csv):
    # Its point is the country's middle: Syria's lies in Hamah, Mali's in Timbuktu. Given
    # that region, it was counted, shaded and flagged rising there.
    text = ("event_id,date,country,place,fatalities\n"
            "s1,2020-01-05,Syria,Xyzzy-not-a-place,4\n"
            "s2,2020-01-06,Syria,Hama,2\n"
            "m1,2020-01-07,Mali,,1\n")
    incidents = load_path(write_csv(text)).accepted.set_index("event_id")
    assert texts(incidents["geo_precision"]) == {"s1": "country", "s2": "place",
                                                 "m1": "country"}
    assert texts(incidents["admin1"]) == {"s1": None, "s2": "Hamah", "m1": None}
    assert texts(incidents["admin1_source"]) == {"s1": None, "s2": "outline", "m1": None}
    keys = areas.area_keys(incidents.reset_index())
    assert texts(keys["area"]) == {0: None, 1: "Hamah", 2: None}
    assert areas.counted(areas.index_areas(incidents.reset_index())).outside == 2


def test_a_filled_region_is_spelled_as_the_file_spells_it_and_its_own_column_is_kept(
        write_csv):
    text = ("event_id,date,country,admin1,place,latitude,longitude,fatalities,admin1_source\n"
            "a,2020-01-05,Nigeria,Borno state,Maiduguri,11.85,13.16,4,theirs\n"
            "b,2020-01-06,Nigeria,,Bama,11.52,13.69,2,theirs\n"
            "c,2020-01-07,Nigeria,,Ikeja,6.60,3.35,1,theirs\n")
    incidents = load_path(write_csv(text)).accepted.set_index("event_id")
    assert incidents["admin1"].astype(str).to_dict() == {
        "a": "Borno state", "b": "Borno state", "c": "Lagos"}
    assert incidents["admin1_source"].astype(str).to_dict() == {
        "a": "file", "b": "outline", "c": "outline"}
    assert set(incidents["admin1_source_source"].astype(str)) == {"theirs"}


def deck_layer(incident_map, layer_id: str) -> dict:
    spec = json.loads(incident_map.deck.to_json())
    (layer,) = [layer for layer in spec["layers"] if layer["id"] == layer_id]
    return spec, layer


def test_the_areas_layer_ships_one_feature_per_region_with_incidents():
    rows = pd.concat([frame(KNOWN_POINTS), frame({"Maiduguri again": (13.2, 11.9, "NG", None),
                                                  "at sea": (0.0, 0.0, None, None)})],
                     ignore_index=True).assign(latitude=lambda f: f["latitude"].astype(float))
    incident_map = build_map(rows, "areas")
    spec, layer = deck_layer(incident_map, "areas")
    features = layer["data"]["features"]
    names = [feature["properties"]["name"] for feature in features]
    assert sorted(names) == sorted(point[3] for point in KNOWN_POINTS.values())
    borno = next(f["properties"] for f in features if f["properties"]["name"] == "Borno")
    assert (borno["incidents"], borno["fatalities"], borno["country"]) == ("2", "2", "Nigeria")
    assert spec["layers"][0]["id"] == "countries"  # the country outlines stay beneath
    assert [label for label, _ in incident_map.scale][-1].endswith("2")
    assert "(1 incident not in any region)" in incident_map.scale_title  # the one at sea


def test_the_areas_tooltip_shows_names_as_text():
    hostile = '<img src=x onerror="alert(1)">'
    table = pd.DataFrame({"area": [hostile], "country": ["Nigeria"], "id": [
        areas.load_outlines().regions["id"].iloc[0]], "incidents": [3], "fatalities": [0]})
    incident_map = build_map(pd.DataFrame({"latitude": [1.0], "longitude": [1.0]}), "areas",
                             area_counts=areas.AreaCounts(table, 0, "fatalities"))
    _, layer = deck_layer(incident_map, "areas")
    # A text tooltip: deck.gl sets it as the element's text, never parses it as HTML.
    assert set(incident_map.deck._tooltip) == {"text", "style"}
    assert layer["data"]["features"][0]["properties"]["name"] == hostile
    assert incident_map.scale == [("0", layers.NO_FATALITIES)]


def test_a_click_on_a_region_picks_each_spelling_of_it():
    rows = pd.DataFrame({"country": ["Nigeria"] * 4, "country_code": ["NG"] * 4,
                         "admin1": ["Borno state", "Borno", None, "Yobe state"],
                         "longitude": [13.16, 13.2, 13.3, 11.75],
                         "latitude": [11.85, 11.9, 11.8, 12.0], "fatalities": [1, 2, 3, 4]})
    index = areas.index_areas(rows)
    borno = areas.load_outlines().regions.set_index("name").loc["Borno", "id"]
    event = SimpleNamespace(selection=SimpleNamespace(objects={"areas": [
        {"type": "Feature", "properties": {"id": borno, "name": "Borno"}}]}))
    assert picked_area(event) == borno
    assert picked_area(SimpleNamespace(selection=SimpleNamespace(objects={}))) is None
    assert area_filters(rows, index, borno) == {"countries": ["Nigeria"],
                                                "admin1": ["Borno", "Borno state"]}
    assert area_filters(rows, index, "no such id") is None


def run_areas(capsys, *arguments) -> dict:
    assert cli.main(["areas", *map(str, arguments), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_dashboard_areas_counts_every_filtered_row(capsys, write_csv):
    path = write_csv(NO_REGION_COLUMN)
    report = run_areas(capsys, path)
    assert [(a["area"], a["incidents"], a["fatalities"]) for a in report["areas"]] == [
        ("Borno", 2, 10), ("Lagos", 1, 1)]
    assert (report["rows"], report["in_areas"], report["not_in_any_area"]) == (4, 3, 1)
    report = run_areas(capsys, path, "--by", "country", "--start", "2020-02-01")
    assert report["areas"] == [{"area": "Nigeria", "country": "Nigeria", "id": "NG",
                                "incidents": 3, "fatalities": 7}]
    with pytest.raises(SystemExit):  # argparse: a usage line, no traceback
        cli.main(["areas", str(path), "--by", "district"])


@needs_shared_data
def test_dashboard_areas_on_the_nigeria_file_puts_borno_first(capsys):
    path = SHARED_DATA / "ucdp_ged_nigeria_hdx_v20_1.csv"
    report = run_areas(capsys, path, "--by", "admin1")
    accepted = load_path(path).accepted
    # Every row placed finer than its country is in an area; the six UCDP places only in
    # Nigeria (where_prec 6-7) are in none.
    placed = int((is_placed(accepted) & (accepted["geo_precision"] != "country")).sum())
    assert int((accepted["geo_precision"] == "country").sum()) == 6
    assert report["areas"][0]["area"] == "Borno"
    assert sum(area["incidents"] for area in report["areas"]) == report["in_areas"] == placed
    assert report["in_areas"] + report["not_in_any_area"] == report["rows"]


def area_table(at) -> list[tuple]:
    (table,) = [frame.value for frame in at.dataframe if "Region" in frame.value.columns]
    return list(table[["Region", "Incidents"]].itertuples(index=False, name=None))


def test_playback_with_the_areas_layer_counts_each_window(monkeypatch, write_csv):
    monkeypatch.setenv("DASHBOARD_DATA", str(write_csv(NO_REGION_COLUMN)))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in {"layer": "areas", "start": "2020-01-01", "end": "2020-03-31"}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    assert area_table(at) == [("Borno", 2), ("Lagos", 1)]
    at.selectbox(key="speed").set_value("fast").run()
    at.button(key="play").click().run()
    assert area_table(at) == [("Borno", 1)]  # January
    time.sleep(SPEEDS["fast"])
    at.run()
    assert area_table(at) == [("Borno", 1), ("Lagos", 1)]  # February
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    (layer,) = [layer for layer in spec["layers"] if layer["id"] == "areas"]
    assert [f["properties"]["incidents"] for f in layer["data"]["features"]] == ["1", "1"]
    time.sleep(SPEEDS["fast"])
    at.run()
    assert area_table(at) == []  # March: the one incident at sea is in no region
    assert any("1 incident in none" in caption.value for caption in at.caption)


def test_a_map_of_every_region_of_the_world_stays_within_the_spec_bound():
    regions = areas.load_outlines().regions
    table = pd.DataFrame({"area": regions["name"], "country": regions["country"],
                          "id": regions["id"], "incidents": np.arange(len(regions), 0, -1),
                          "fatalities": 1_000_000})
    incident_map = build_map(pd.DataFrame({"latitude": [1.0], "longitude": [1.0]}), "areas",
                             area_counts=areas.AreaCounts(table, 0))
    _, layer = deck_layer(incident_map, "areas")
    drawn = len(layer["data"]["features"])
    assert len(incident_map.deck.to_json()) < 3_000_000
    assert 0 < drawn < len(regions)
    assert f"{len(regions) - drawn:,} regions with the fewest incidents" in (
        incident_map.scale_title)

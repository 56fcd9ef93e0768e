"""The distance filter: incidents within N km of a place (typed, found by the gazetteer
with its country, or coordinates), through the command line, the link, the sidebar and
the map's circle."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hypothesis_st
from streamlit.testing.v1 import AppTest

from dashboard.cli import main
from dashboard.dataset import load_path
from dashboard.export import to_csv_bytes
from dashboard.filters import Filters, apply_filters, from_query, to_arguments, to_query
from dashboard.geo import distance_km
from dashboard.layers import LAYERS, build_map, frame, with_circle
from dashboard.vicinity import (
    DEFAULT_KM,
    Near,
    Unresolved,
    locate_near,
    parse_km,
    ring,
    within,
    written_km,
)

from conftest import SAMPLE, opened

# Palma in Cabo Delgado, as data/gazetteer_additions.csv gives it (from its Wikipedia
# article): the test's own point, not the code's.
PALMA = (-10.7667, 40.4667)
PALMA_LABEL = "Palma, Mozambique (10.77 S, 40.47 E)"


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return load_path(SAMPLE).accepted


def st_points():
    """Points anywhere, poles and the antimeridian included."""
    return hypothesis_st.tuples(hypothesis_st.floats(-90, 90), hypothesis_st.floats(-180, 180))


def within_of_palma(incidents: pd.DataFrame, km: float) -> pd.DataFrame:
    """The rows whose point lies within ``km`` of PALMA, computed here, row by row."""
    keep = [pd.notna(lat) and pd.notna(lon) and distance_km(lat, lon, *PALMA) <= km
            for lat, lon in zip(incidents["latitude"], incidents["longitude"], strict=True)]
    return incidents[keep]


# --- the place and the radius ----------------------------------------------------------

def test_palma_with_its_country_is_the_mozambican_town_not_mallorca():
    near = locate_near("Palma, Mozambique", 100)
    assert (near.latitude, near.longitude) == pytest.approx(PALMA, abs=1e-3)
    assert near.label == PALMA_LABEL
    assert near.km == 100
    # ... and what the gazetteer calls Palma de Mallorca is 7,000 km off.
    mallorca = locate_near("Palma de Mallorca")
    assert distance_km(mallorca.latitude, mallorca.longitude, *PALMA) > 6000


def test_a_region_is_a_centre_and_says_it_is_one():
    assert locate_near("Borno, Nigeria").label.startswith("Borno (region), Nigeria (")


def test_coordinates_are_taken_as_typed():
    near = locate_near("-10.77, 40.47", 25)
    assert (near.latitude, near.longitude, near.km) == (-10.77, 40.47, 25)
    assert near.label == "10.77 S, 40.47 E"
    assert locate_near(" 36.34   43.13 ").label == "36.34 N, 43.13 E"


@pytest.mark.parametrize(("text", "said"), [
    ("Xyzzyqwv", "not a place the gazetteer knows"),
    ("Palma", "several places are called 'Palma' (in Spain"),
    ("Mozambique", "names only a country"),
    ("-100, 40", "not a point"),
    ("12, 200", "not a point"),
    ("", "no place given"),
])
def test_a_text_that_names_no_single_point_is_refused_with_the_reason(text, said):
    with pytest.raises(Unresolved) as refused:
        locate_near(text)
    assert said in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize(("text", "said"), [
    ("abc", "not a number"), ("-1", "not a positive"), ("0", "not a positive"),
    ("nan", "not a positive"), ("inf", "not a positive"), ("0.01", "less than"),
    ("2000.5", "more than the 2,000 km"), ("1e9", "more than"),
])
def test_a_radius_must_be_a_usable_distance(text, said):
    with pytest.raises(Unresolved) as refused:
        parse_km(text)
    assert said in str(refused.value)


@pytest.mark.parametrize("km", [50.0, 100.0, 12.5, 0.1, 1 / 3, 2000.0])
def test_a_radius_is_written_so_it_reads_back_exactly(km):
    assert parse_km(written_km(km)) == km


def test_rows_without_a_point_are_never_within():
    rows = pd.DataFrame({"latitude": pd.array([-10.7, None, -10.7, 40.0], dtype="Float64"),
                         "longitude": pd.array([40.4, 40.4, None, 40.0], dtype="Float64")})
    near = Near("x", 50, *PALMA, "x")
    assert within(rows, near).tolist() == [True, False, False, False]


@settings(max_examples=200, deadline=None)
@given(st_points(), st_points(), hypothesis_st.floats(0.1, 2000))
def test_within_is_every_row_within_the_distance(centre, point, km):
    rows = pd.DataFrame({"latitude": [point[0], np.nan], "longitude": [point[1], 0.0]})
    near = Near("x", km, *centre, "x")
    assert within(rows, near).tolist() == [bool(distance_km(*point, *centre) <= km), False]


# --- the command line ------------------------------------------------------------------

def test_export_near_palma_gives_exactly_the_rows_within_100_km(sample, tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["export", str(SAMPLE), "--near", "Palma, Mozambique", "--km", "100",
                 "-o", str(out)]) == 0
    expected = within_of_palma(sample, 100)
    assert 0 < len(expected) < len(sample)  # some in, some out
    # One of those left out lies just past the circle (Macomia, about 170 km).
    assert (distance_km(sample["latitude"], sample["longitude"], *PALMA) < 200).sum() > len(
        expected)
    assert out.read_bytes() == to_csv_bytes(expected)
    written = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [row["event_id"] for row in written] == expected["event_id"].tolist()
    said = capsys.readouterr().out
    assert f"wrote {len(expected)} rows" in said
    assert PALMA_LABEL in said


def test_export_near_without_km_uses_50(sample, tmp_path):
    out = tmp_path / "out.csv"
    assert main(["export", str(SAMPLE), "--near", "Palma, Mozambique", "-o", str(out)]) == 0
    assert out.read_bytes() == to_csv_bytes(within_of_palma(sample, DEFAULT_KM))


@pytest.mark.parametrize(("arguments", "said"), [
    (["--near", "Xyzzyqwv"], "--near 'Xyzzyqwv': 'Xyzzyqwv' is not a place"),
    (["--near", "Palma"], "several places are called"),
    (["--near", "Mozambique"], "names only a country"),
    (["--near", "Palma, Mozambique", "--km", "-1"], "--km '-1': not a positive"),
    (["--near", "Palma, Mozambique", "--km", "abc"], "--km 'abc': not a number"),
    (["--near", "Palma, Mozambique", "--km", "99999"], "more than the 2,000 km"),
    (["--km", "10"], "--km needs --near"),
])
def test_export_refuses_a_distance_it_cannot_use_in_one_line(tmp_path, capsys, arguments,
                                                              said):
    out = tmp_path / "out.csv"
    assert main(["export", str(SAMPLE), *arguments, "-o", str(out)]) == 2
    error = capsys.readouterr().err
    assert said in error
    assert error.count("\n") == 1
    assert "Traceback" not in error
    assert not out.exists()  # no file of the wrong rows


UNPLACED = """event_id,date,country,place,fatalities
p1,2021-03-24,Mozambique,Palma,10
p2,2021-03-25,Mozambique,Mocimboa da Praia,3
u1,2021-03-26,,Xyzzy-unknown-place,1
k1,2021-06-12,Afghanistan,Kabul,7
"""


def test_the_rows_left_out_for_having_no_point_are_counted(write_csv, tmp_path, capsys):
    path = write_csv(UNPLACED)
    out = tmp_path / "out.csv"
    assert main(["export", str(path), "--near", "Palma, Mozambique", "--km", "100",
                 "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "wrote 2 rows" in said
    assert "1 incident not on the map (place unknown) is left out" in said


def test_the_provenance_says_where_and_how_far(tmp_path):
    out, record = tmp_path / "out.csv", tmp_path / "provenance.json"
    assert main(["export", str(SAMPLE), "--near", "Palma, Mozambique", "--km", "100",
                 "-o", str(out), "--provenance", str(record)]) == 0
    written = json.loads(record.read_text(encoding="utf-8"))
    assert written["filters"]["near"] == {
        "text": "Palma, Mozambique", "km": 100.0, "latitude": pytest.approx(PALMA[0]),
        "longitude": pytest.approx(PALMA[1]), "found": PALMA_LABEL}
    assert written["export_options"][-4:] == ["--near", "Palma, Mozambique", "--km", "100"]


# --- the link --------------------------------------------------------------------------

@pytest.mark.parametrize("km", [100.0, 12.5])
def test_the_link_round_trips(km):
    filters = Filters(near=locate_near("Palma, Mozambique", km))
    query = to_query(filters)
    assert query == {"near": ["Palma, Mozambique"], "km": [written_km(km)]}
    assert from_query(query, {}, None, None) == (filters, [])
    assert to_arguments(filters) == ["--near", "Palma, Mozambique", "--km", written_km(km)]


@pytest.mark.parametrize(("query", "km", "said"), [
    ({"near": ["Xyzzyqwv"], "km": ["100"]}, None, "not a place the gazetteer knows"),
    ({"near": ["Palma"]}, None, "several places are called"),
    ({"near": ["Mozambique"]}, None, "names only a country"),
    ({"near": ["Palma, Mozambique"], "km": ["-1"]}, 50, "km='-1' is not a positive"),
    ({"near": ["Palma, Mozambique"], "km": ["abc"]}, 50, "km='abc' is not a number"),
    ({"near": ["Palma, Mozambique"], "km": ["1e9"]}, 50, "more than the 2,000 km"),
    ({"km": ["100"]}, None, "km='100' without near="),
])
def test_a_link_value_that_cannot_be_used_is_said(query, km, said):
    filters, notices = from_query(query, {}, None, None)
    assert (filters.near.km if filters.near else None) == km
    assert len(notices) == 1
    assert said in notices[0]



def figure(at: AppTest, label: str) -> str:
    return {metric.label: metric.value for metric in at.metric}[label]


def circle_of(at: AppTest) -> dict:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    (circle,) = [layer for layer in spec["layers"] if layer["id"] == "near"]
    return circle | {"view": spec["initialViewState"]}


def assert_circle(circle: dict, latitude: float, longitude: float, km: float) -> None:
    (mark,) = circle["data"]
    assert (mark["latitude"], mark["longitude"], mark["km"]) == pytest.approx(
        (latitude, longitude, km), abs=1e-3)
    path = np.array(mark["path"])
    assert len(path) >= 64
    assert path[0].tolist() == path[-1].tolist()
    assert distance_km(path[:, 1], path[:, 0], latitude, longitude) == pytest.approx(
        km, rel=1e-3)


def test_the_page_opened_with_the_link_shows_the_same_rows_and_the_circle(sample,
                                                                          monkeypatch):
    at = opened(monkeypatch, SAMPLE, near="Palma, Mozambique", km="100")
    assert not at.exception
    assert not [info.value for info in at.sidebar.info]
    assert figure(at, "Incidents") == str(len(within_of_palma(sample, 100)))
    assert any("Palma, Mozambique \\(10\\.77 S, 40\\.47 E\\)" in caption.value
               for caption in at.sidebar.caption)
    circle = circle_of(at)
    assert circle["@@type"] == "PathLayer"
    assert_circle(circle, *PALMA, 100)
    # The map frames the circle.
    assert (circle["view"]["latitude"], circle["view"]["longitude"]) == pytest.approx(
        PALMA, abs=0.01)
    assert at.query_params["near"] == "Palma, Mozambique"
    assert at.query_params["km"] == "100"


def test_a_place_the_page_cannot_find_is_said_and_not_applied(sample, monkeypatch):
    at = opened(monkeypatch, SAMPLE, near="Palma", km="100")
    assert not at.exception
    assert any("several places are called" in info.value and "not applied" in info.value
               for info in at.sidebar.info)
    assert figure(at, "Incidents") == str(len(sample))
    assert "near" not in at.query_params


def test_the_page_counts_the_rows_with_no_point_it_leaves_out(write_csv, monkeypatch):
    at = opened(monkeypatch, write_csv(UNPLACED), near="Palma, Mozambique", km="100")
    assert figure(at, "Incidents") == "2"
    assert any("1 incident not on the map (place unknown) is left out" in caption.value
               for caption in at.caption)


def test_the_sidebar_sets_and_says_the_distance_filter(sample, monkeypatch):
    at = opened(monkeypatch, SAMPLE)
    at.sidebar.text_input(key="near").input("Palma, Mozambique").run()
    assert figure(at, "Incidents") == str(len(within_of_palma(sample, DEFAULT_KM)))
    at.sidebar.number_input(key="near_km").set_value(200.0).run()
    assert figure(at, "Incidents") == str(len(within_of_palma(sample, 200)))
    assert_circle(circle_of(at), *PALMA, 200)
    assert at.query_params["km"] == "200"
    at.sidebar.text_input(key="near").input("Mozambique").run()
    assert [warning.value for warning in at.sidebar.warning] == [
        "'Mozambique' names only a country; a distance needs a town, a district or "
        "coordinates: the distance filter is not applied."]
    assert figure(at, "Incidents") == str(len(sample))


def test_incidents_near_a_picked_one(sample, monkeypatch):
    picked = sample[sample["place"] == "Palma"].iloc[0]
    at = opened(monkeypatch, SAMPLE, event=picked["event_id"])
    at.button(key="near-this").click().run()
    assert not at.exception
    text = at.sidebar.text_input(key="near").value
    assert text == f"{picked['latitude']:.5f}, {picked['longitude']:.5f}"
    assert figure(at, "Incidents") == str(len(within_of_palma(sample, DEFAULT_KM)))
    assert_circle(circle_of(at), picked["latitude"], picked["longitude"], DEFAULT_KM)


# --- the circle on the map -------------------------------------------------------------

@pytest.mark.parametrize("layer", LAYERS)
def test_every_layer_draws_the_circle_over_its_marks(sample, layer):
    near = locate_near("Palma, Mozambique", 100)
    incident_map = build_map(apply_filters(sample, Filters(near=near)), layer, near=near)
    spec = json.loads(incident_map.deck.to_json())
    assert spec["layers"][-1]["id"] == "near"  # drawn last: on top
    assert_circle(spec["layers"][-1] | {"view": None}, *PALMA, 100)
    unfiltered = json.loads(build_map(sample, layer).deck.to_json())
    assert "near" not in [x["id"] for x in unfiltered["layers"]]


def test_the_circle_is_round_on_the_sphere_even_across_the_antimeridian():
    path = np.array(ring(-17.7, 179.5, 300))  # Fiji
    assert distance_km(path[:, 1], path[:, 0], -17.7, 179.5) == pytest.approx(300, rel=1e-3)
    assert np.abs(np.diff(path[:, 0])).max() < 1  # no jump of 360 degrees
    assert path[:, 0].max() > 180  # continued past it, as deck.gl draws it whole


def test_the_framing_holds_the_circle_and_the_incidents():
    near = Near("x", 500, *PALMA, "x")
    south, west, north, east = with_circle((-12, 38, -11, 39), near)
    assert south < PALMA[0] - 4.4
    assert north > PALMA[0] + 4.4
    assert west <= 38
    assert east > PALMA[1] + 4.4
    assert with_circle(None, near) is not None
    assert with_circle((1, 2, 3, 4), None) == (1, 2, 3, 4)
    view = frame(with_circle(None, near))
    assert (view.latitude, view.longitude) == pytest.approx(PALMA, abs=0.01)

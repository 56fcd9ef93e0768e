"""Admin-1 areas: points placed in their regions, file spellings matched, counts per area."""

import numpy as np
import pandas as pd
import pytest

from dashboard import areas
from dashboard.dataset import load_path

from conftest import SHARED_DATA, needs_shared_data

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

"""Coordinates as people write them: decimal, or degrees, minutes and seconds; text that
is neither is dropped from the point but kept, with a flag, in the row."""

import pandas as pd
import pytest

from dashboard.dataset import load_path
from dashboard.gazetteer import load_gazetteer
from dashboard.schema import FLAG_NOT_A_COORDINATE, coordinate, normalize


@pytest.mark.parametrize(
    ("text", "degrees"),
    [
        ("12°30′N", 12.5),
        ("12°30'N", 12.5),
        ("12 30 00 N", 12.5),
        ("12°30′15″S", -(12 + 30 / 60 + 15 / 3600)),
        ("12°30'15\"S", -(12 + 30 / 60 + 15 / 3600)),
        ("12°30'15''S", -(12 + 30 / 60 + 15 / 3600)),
        ("3°W", -3.0),
        ("44°22′E", 44 + 22 / 60),
        ("N 36.34°", 36.34),
        ("5.5 w", -5.5),
        ("-12°30′", -12.5),
        ("36.34", 36.34),
        ("43,13", 43.13),
        ("12°61′N", None),  # 61 minutes
        ("-12°S", None),  # a sign and a hemisphere: which is meant?
        ("12 N S", None),
        ("12°X", None),
        ("", None),
    ],
)
def test_coordinate(text, degrees):
    parsed = coordinate(pd.Series([text], dtype="string"))[0]
    assert parsed == pytest.approx(degrees) if degrees is not None else pd.isna(parsed)


def run(frame: pd.DataFrame):
    gazetteer = load_gazetteer()
    return normalize(frame.astype("string"), "custom", gazetteer.country_code,
                     gazetteer.country_name).accepted


def test_degrees_minutes_seconds_are_a_point_from_the_source():
    accepted = run(pd.DataFrame({"date": ["2016-07-03"], "place": ["Mosul"],
                                 "latitude": ["36°20′24″N"], "longitude": ["43°7′48″E"]}))
    assert accepted["latitude"][0] == pytest.approx(36.34)
    assert accepted["longitude"][0] == pytest.approx(43.13)
    assert accepted["geo_method"][0] == "source"
    assert pd.isna(accepted["flags"][0])


def test_text_that_is_not_a_coordinate_is_flagged_and_kept():
    accepted = run(pd.DataFrame({
        "date": ["2016-07-03"] * 4,
        "place": ["Mosul"] * 4,
        "lat": ["36°20′X", "36.34", "north of town", ""],
        "lon": ["43.13", "=1+1", "east", ""],
        "id": ["a", "b", "c", "d"],
    }))
    assert accepted["flags"].tolist()[:3] == [
        f"{FLAG_NOT_A_COORDINATE}: latitude 36°20′X",
        f"{FLAG_NOT_A_COORDINATE}: longitude =1+1",
        f"{FLAG_NOT_A_COORDINATE}: latitude north of town, longitude east",
    ]
    assert pd.isna(accepted["flags"][3])  # empty is missing, not unreadable
    # Half a point is no point: the geocoder places row b by its name, as the others.
    assert accepted["latitude"].isna().tolist() == [True, False, True, True]


def test_a_file_with_unreadable_coordinates_is_placed_by_name_and_says_why(write_csv):
    path = write_csv("date,place,country,latitude,longitude\n"
                     "2016-07-03,Mosul,Iraq,36°20′24″N,43°7′48″E\n"
                     "2016-07-04,Mosul,Iraq,somewhere,43\n")
    accepted = load_path(path).accepted
    # The row with readable coordinates teaches its own file where Mosul is (#12).
    assert accepted["geo_method"].tolist() == ["source", "learned"]
    assert accepted["latitude"][1] == accepted["latitude"][0]
    assert accepted["flags"][1] == f"{FLAG_NOT_A_COORDINATE}: latitude somewhere"

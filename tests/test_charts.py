import datetime as dt

import pandas as pd
import pytest

from dashboard import charts
from dashboard.filters import windows

INCIDENTS = pd.DataFrame({
    "date": pd.to_datetime(["2015-03-01", "2015-03-20", "2019-07-04", "2021-06-12",
                            "2021-06-13"]),
    "country": ["Iraq", "Syria", "Nigeria", "Mozambique", "Atlantis"],
    "country_code": ["IQ", "SY", "NG", "MZ", None],
    "place": ["Mosul", "Raqqa", "Maiduguri", "Palma", "x"],
    "admin1": [None] * 5,
    "actor": ["IS", "IS", "ISWAP", "ISCAP", None],
    "fatalities": pd.array([10, None, 5, 12, 0], dtype="Int64"),
    "latitude": [36.3, 35.9, 11.8, -10.8, None],
    "longitude": [43.1, 39.0, 13.2, 40.5, None],
})


def test_a_row_with_a_latitude_alone_is_not_placed():
    # One definition of placed (geo.is_placed): the map has no point for such a row, so
    # the sentence above it must not count it among the placed.
    half = INCIDENTS.assign(longitude=[43.1, None, 13.2, -10.8, None])
    assert charts.totals(half[charts.TOTALS_COLUMNS]).unplaced == 2


def test_the_summary_says_what_is_shown():
    assert charts.summarise(charts.totals(INCIDENTS), dt.date(2015, 1, 1),
                            dt.date(2021, 6, 30)) == (
        "5 incidents, 27 fatalities, in 5 countries, 1 Jan 2015 to 30 Jun 2021; "
        "1 not placed.")
    one = INCIDENTS.iloc[[0]]
    assert charts.summarise(charts.totals(one), None, None, loaded=len(INCIDENTS)) == (
        "1 of 5 incidents, 10 fatalities, in 1 country; 0 not placed.")  # the rest filtered
    assert charts.summarise(charts.totals(one), None, None) == (
        "1 incident, 10 fatalities, in 1 country; 0 not placed.")


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("IQ", "Middle East and North Africa"),
        ("SY", "Middle East and North Africa"),
        ("IR", "Middle East and North Africa"),  # UN puts Iran in Southern Asia
        ("SD", "Sub-Saharan Africa"),  # and Sudan in Northern Africa
        ("NG", "Sub-Saharan Africa"),
        ("NA", "Sub-Saharan Africa"),  # Namibia, not a missing value
        ("AF", "South Asia"),
        ("TR", "Europe and Central Asia"),
        ("PH", "East Asia and Pacific"),
        (None, charts.UNKNOWN_REGION),
    ],
)
def test_regions(code, region):
    assert charts.region_of(pd.Series([code], dtype="string"))[0] == region


def test_monthly_counts_by_region_and_by_country():
    by_region = charts.monthly(INCIDENTS, "region")
    march = by_region[by_region["month"] == pd.Timestamp("2015-03-01")]
    assert march[["group", "incidents", "fatalities"]].values.tolist() == [
        ["Middle East and North Africa", 2, 10]]  # Mosul and Raqqa; Raqqa's toll unknown
    by_country = charts.monthly(INCIDENTS, "country")
    assert set(by_country["group"]) == set(INCIDENTS["country"])
    assert by_country["incidents"].sum() == len(INCIDENTS)


def test_region_shares_add_up_per_year():
    shares = charts.region_share(INCIDENTS)
    assert shares.groupby("year")["share"].sum().round(9).eq(1).all()
    assert shares.query("year == 2021")["region"].tolist() == [
        "Sub-Saharan Africa", charts.UNKNOWN_REGION]


@pytest.mark.parametrize(
    ("chart", "fields"),
    [
        (charts.monthly_chart(INCIDENTS, "region", "fatalities"),
         {"month", "group", "incidents", "fatalities"}),
        (charts.region_share_chart(INCIDENTS), {"year", "region", "size", "share"}),
        (charts.top_chart(INCIDENTS, "place", "Top places"), {"place", "incidents"}),
    ],
)
def test_charts_carry_aggregates_not_rows(chart, fields):
    (values,) = chart.to_dict()["datasets"].values()
    assert {key for row in values for key in row} == fields  # no notes, no sources


@pytest.mark.parametrize(
    ("start", "end", "step", "expected"),
    [
        (dt.date(2020, 1, 15), dt.date(2020, 3, 10), "month",
         [("2020-01-15", "2020-01-31"), ("2020-02-01", "2020-02-29"),
          ("2020-03-01", "2020-03-10")]),  # clipped at both ends; 2020 is a leap year
        (dt.date(2020, 1, 15), dt.date(2020, 1, 29), "week",
         [("2020-01-15", "2020-01-19"), ("2020-01-20", "2020-01-26"),
          ("2020-01-27", "2020-01-29")]),  # weeks start on Monday
        (dt.date(2021, 6, 12), dt.date(2021, 6, 12), "month", [("2021-06-12", "2021-06-12")]),
    ],
)
def test_playback_windows(start, end, step, expected):
    assert [(a.isoformat(), b.isoformat()) for a, b in windows(start, end, step)] == expected


def test_top_lists_only_what_is_shown():
    shown = INCIDENTS.astype({"actor": pd.CategoricalDtype(["IS", "ISWAP", "ISCAP", "gone"])})
    assert "gone" not in charts.top(shown, "actor")["actor"].tolist()

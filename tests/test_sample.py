"""The bundled sample: real incidents, every one placed, nothing lost."""

import math

import pandas as pd
import pytest

from dashboard.dataset import load_path
from dashboard.gazetteer import load_gazetteer

from conftest import SAMPLE


@pytest.fixture(scope="module")
def sample():
    return load_path(SAMPLE)


def test_every_row_loads(sample):
    raw = pd.read_csv(SAMPLE, dtype=str)
    assert sample.rows_in == len(raw) >= 150
    assert sample.rejected.empty
    assert sample.accepted["event_id"].is_unique
    assert raw["latitude"].isna().mean() >= 0.70  # the dashboard must geocode most rows


def test_every_row_is_placed_and_most_at_the_place_itself(sample):
    precision = sample.accepted["geo_precision"]
    assert (precision != "unresolved").all()
    assert precision.isin(["exact", "place"]).mean() >= 0.90


def test_points_lie_in_their_own_country(sample):
    """A point far from its country's centre is a geocoding error (Palma on Mallorca)."""
    centres = load_gazetteer().countries.set_index("country_code")
    rows = sample.accepted
    for row in rows.itertuples():
        centre = centres.loc[row.country_code]
        lat1, lat2 = math.radians(row.latitude), math.radians(centre["latitude"])
        dlon = math.radians(row.longitude - centre["longitude"])
        cos_angle = (math.sin(lat1) * math.sin(lat2)
                     + math.cos(lat1) * math.cos(lat2) * math.cos(dlon))
        km = 6371 * math.acos(max(-1.0, min(1.0, cos_angle)))
        assert km < 1600, f"{row.place}, {row.country}: {km:.0f} km from the country's centre"


@pytest.mark.parametrize(
    "country",
    ["Iraq", "Syria", "Afghanistan", "Pakistan", "Nigeria", "Niger", "Mali", "Burkina Faso",
     "Mozambique"],
)
def test_the_regions_the_sample_is_about_are_on_the_map(sample, country):
    rows = sample.accepted[sample.accepted["country"] == country]
    assert rows["latitude"].notna().sum() >= 3


def test_the_june_2021_kabul_bombing_is_there(sample):
    rows = sample.accepted
    kabul = rows[(rows["place"] == "Kabul") & (rows["date"] == "2021-06-12")]
    assert kabul["fatalities"].tolist() == [7]
    assert kabul["actor"].str.contains("Khorasan").all()

"""The bundled sample: real incidents, every one placed, nothing lost."""

import re

import pandas as pd
import pytest

from dashboard.dataset import load_path
from dashboard.gazetteer import load_gazetteer
from dashboard.geo import distance_km

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
        km = distance_km(row.latitude, row.longitude, centre["latitude"], centre["longitude"])
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


# Abbreviations and other names the press use for IS groups: in `actor` each appears only
# inside the one spelling the sample gives that group.
SPELLINGS = ["Islamic State Khorasan Province (ISKP)",
             "Islamic State West Africa Province (ISWAP)",
             "Islamic State in the Greater Sahara (ISGS)",
             "Islamic State Central Africa Province (ISCAP)"]
ALIASES = r"\b(?:ISIS|ISIL|Daesh|IS-K|ISKP|ISWAP|ISGS|ISCAP)\b"
# What a last bracket may say about the attribution; the last marks a comparison row.
QUALIFIERS = ("attributed", "claim disputed", "also claimed by JNIM", "not IS-attributed")
NOT_IS = " (not IS-attributed)"
# Checked against UCDP and press reports (issue 16): none of these was claimed by IS or
# blamed on it by name.
COMPARISON_ROWS = ["S024", "S083", "S087", "S095", "S159", "S161"]


@pytest.fixture(scope="module")
def rows():
    return pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).set_index("event_id")


def group(actor: str) -> str:
    """The actor without its last bracket, where that bracket qualifies the attribution."""
    for qualifier in QUALIFIERS:
        actor = actor.removesuffix(f" ({qualifier})")
    return actor


def test_one_spelling_per_group_whatever_the_press_called_it(rows):
    for actor in rows["actor"].unique():
        bare = actor
        for spelling in SPELLINGS:
            bare = bare.replace(spelling, "")
        assert not re.search(ALIASES, bare), actor


def test_every_row_is_an_is_group_or_says_it_is_a_comparison_row(rows):
    for event_id, actor in rows["actor"].items():
        assert group(actor).startswith("Islamic State") != actor.endswith(NOT_IS), event_id
    assert rows.loc[COMPARISON_ROWS, "actor"].str.endswith(NOT_IS).all()


def test_the_data_readme_states_what_the_sample_holds_as_measured(rows):
    text = (SAMPLE.parent / "README.md").read_text()
    comparison = rows.index[rows["actor"].str.endswith(NOT_IS)]
    assert re.findall(r"(\d+) attributed to the Islamic State", text) == [
        str(len(rows) - len(comparison))]
    assert re.findall(r"(\d+) comparison rows", text) == [str(len(comparison))]
    assert all(event_id in text for event_id in comparison)
    placed = (rows["latitude"] != "").sum()
    # The share of rows with coordinates is stated once.
    assert re.findall(r"(\d+) of the (\d+) rows \((\d+)%\) have coordinates", text) == [
        (str(placed), str(len(rows)), f"{100 * placed / len(rows):.0f}")]
    assert len(re.findall(r"\d+%|three quarters", text)) == 1


@pytest.mark.parametrize(
    ("event_id", "column", "expected"),
    [
        ("S112", "date", "2019-08-19"),  # Koutougou
        ("S102", "place", "Metele"),  # not the state, Borno
        ("S098", "place", "Jilli"),  # the base, not the town of Geidam
        ("S005", "fatalities", "560"),  # Camp Speicher: UCDP's best estimate
        ("S044", "source", "Reuters, 2016-02-22; SOHR"),  # the 134 is SOHR's count
    ],
)
def test_corrections_from_ucdp_and_the_press(rows, event_id, column, expected):
    assert rows.loc[event_id, column] == expected


def test_the_camp_speicher_and_sayyidah_zaynab_notes_say_whose_figures_they_give(rows):
    speicher = rows.loc["S005", "notes"]
    assert "560 to 770" in speicher
    assert "1,095" not in speicher
    assert "UCDP" in speicher
    assert "1,700 was the group's own claim" in speicher
    assert "SOHR counted 134" in rows.loc["S044", "notes"]


@pytest.mark.parametrize(
    ("event_id", "latitude", "longitude"),
    [("S102", 13.358, 13.426), ("S098", 12.614, 12.467)],  # UCDP GED events 272083, 259951
)
def test_the_nigerian_bases_are_placed_where_ucdp_places_them(sample, event_id, latitude,
                                                              longitude):
    row = sample.accepted.set_index("event_id").loc[event_id]
    km = distance_km(row["latitude"], row["longitude"], latitude, longitude)
    assert km < 10

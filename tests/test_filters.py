import datetime as dt

import pandas as pd
import pytest

from dashboard.filters import (
    Filters,
    Selection,
    apply_filters,
    describe,
    from_query,
    to_arguments,
    to_query,
)

INCIDENTS = pd.DataFrame({
    "event_id": ["a", "b", "c", "d", "e"],
    "date": pd.to_datetime(["2019-01-01", "2020-06-30", "2021-06-12", "2021-06-30", None]),
    "country": ["Nigeria", "Iraq", "Afghanistan", "Nigeria", "Mali"],
    "admin1": ["Borno", "Nineveh", "Kabul", "Yobe", None],
    "place": ["Maiduguri", "Mosul", "Kabul", None, "Ménaka"],
    "actor": ["ISWAP", "Islamic State", "ISKP", "ISWAP", None],
    "event_type": ["Battles", "Explosions", "Explosions", "Battles", "Battles"],
    "notes": ["attack on base", None, "minibus BOMBINGS", "ambush near Buni Yadi", ""],
    "fatalities": pd.array([3, None, 7, 0, 12], dtype="Int64"),
    "geo_precision": pd.Categorical(["place", "exact", "place", "country", None]),
}).astype({c: "string" for c in ["event_id", "country", "admin1", "place", "actor",
                                 "event_type", "notes"]})


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), ["a", "b", "c", "d", "e"]),
        (Filters(countries=("Nigeria",)), ["a", "d"]),
        (Filters(countries=("Nigeria", "Iraq")), ["a", "b", "d"]),
        (Filters(start=dt.date(2020, 6, 30)), ["b", "c", "d"]),  # inclusive; undated out
        (Filters(end=dt.date(2021, 6, 30)), ["a", "b", "c", "d"]),  # end is inclusive
        (Filters(start=dt.date(2021, 1, 1), countries=("Nigeria",)), ["d"]),
        (Filters(countries=("Chad",)), []),
        (Filters(admin1=("Borno", "Kabul")), ["a", "c"]),
        (Filters(actors=("ISWAP",)), ["a", "d"]),
        (Filters(event_types=("Explosions",)), ["b", "c"]),
        (Filters(text="bombings"), ["c"]),  # any case, in the notes
        (Filters(text="ménaka"), ["e"]),  # in the place
        (Filters(text="a.*"), []),  # literal text, not a pattern
        (Filters(min_fatalities=3), ["a", "c", "e"]),  # unknown counts are not >= 3
        (Filters(hide_country_level=True), ["a", "b", "c", "e"]),  # unplaced stay
        (Filters(actors=("ISWAP",), event_types=("Battles",), min_fatalities=1), ["a"]),
    ],
)
def test_apply_filters(filters, expected):
    assert apply_filters(INCIDENTS, filters)["event_id"].tolist() == expected


def test_a_selection_copies_only_what_is_asked():
    picked = Selection(INCIDENTS, Filters(countries=("Nigeria",)))
    assert len(picked) == 2
    assert picked.columns(["event_id", "nope"]).columns.tolist() == ["event_id"]
    assert picked.rows(limit=1)["event_id"].tolist() == ["a"]
    assert Selection(INCIDENTS, Filters()).rows() is INCIDENTS  # shared, not copied


FIRST, LAST = dt.date(2014, 1, 1), dt.date(2021, 6, 30)
KNOWN = {"countries": {"Nigeria", "Iraq", "Mozambique"}, "actors": {"ISWAP", "ISKP"},
         "event_types": {"Battles"}, "admin1": {"Borno"}}


@pytest.mark.parametrize(
    ("params", "filters", "notices"),
    [
        ({}, Filters(FIRST, LAST), 0),
        ({"country": ["Nigeria"], "start": ["2020-01-01"], "end": ["2020-12-31"]},
         Filters(dt.date(2020, 1, 1), dt.date(2020, 12, 31), ("Nigeria",)), 0),
        ({"country": ["Nigeria", "Iraq"]}, Filters(FIRST, LAST, ("Nigeria", "Iraq")), 0),
        ({"country": ["Atlantis"]}, Filters(FIRST, LAST), 1),  # unknown: ignored, said
        ({"start": ["yesterday"]}, Filters(FIRST, LAST), 1),
        # Clipped to the data, and said (the README promises a notice).
        ({"start": ["1990-01-01"], "end": ["2030-01-01"]}, Filters(FIRST, LAST), 2),
        ({"start": ["2021-01-01"], "end": ["2020-01-01"]}, Filters(FIRST, LAST), 1),
        ({"actor": ["ISWAP", "Nobody"], "type": ["Battles"], "admin1": ["Borno"]},
         Filters(FIRST, LAST, actors=("ISWAP",), event_types=("Battles",), admin1=("Borno",)),
         1),
        ({"q": ["Buni Yadi"], "min_fatalities": ["5"], "hide_country_level": ["1"]},
         Filters(FIRST, LAST, text="Buni Yadi", min_fatalities=5, hide_country_level=True), 0),
        ({"min_fatalities": ["-3"]}, Filters(FIRST, LAST), 1),  # not a count
        ({"min_fatalities": ["lots"]}, Filters(FIRST, LAST), 1),
        ({"min_fatalities": ["²"]}, Filters(FIRST, LAST), 1),  # a digit to isdigit() only
        ({"q": ["x" * 500]}, Filters(FIRST, LAST, text="x" * 200), 0),  # kept short
        ({"hide_country_level": ["yes"]}, Filters(FIRST, LAST), 0),  # only "1" turns it on
    ],
)
def test_from_query(params, filters, notices):
    got, said = from_query(params, KNOWN, FIRST, LAST)
    assert got == filters
    assert len(said) == notices


def test_a_date_clipped_to_the_data_says_which_date_is_used():
    _, said = from_query({"end": ["2021-12-31"]}, KNOWN, FIRST, LAST)
    assert said == ["end=2021-12-31 is outside the data (2014-01-01 to 2021-06-30); "
                    "2021-06-30 is used."]


@pytest.mark.parametrize(
    "filters",
    [Filters(FIRST, LAST), Filters(dt.date(2020, 1, 1), dt.date(2020, 12, 31), ("Nigeria",)),
     Filters(FIRST, dt.date(2019, 5, 5), ("Iraq", "Mozambique")),
     Filters(FIRST, LAST, actors=("ISWAP", "ISKP"), event_types=("Battles",),
             admin1=("Borno",), text="Kabul & Co", min_fatalities=10,
             hide_country_level=True)],
)
def test_query_round_trip(filters):
    assert from_query(to_query(filters), KNOWN, FIRST, LAST) == (filters, [])


def test_described_filters_are_plain_json_and_name_every_option():
    filters = Filters(dt.date(2020, 1, 1), None, ("Nigeria",), text="x", min_fatalities=2)
    assert describe(filters)["start"] == "2020-01-01"
    assert describe(filters)["countries"] == ["Nigeria"]
    # In the order of the declarations (and of the sidebar).
    assert to_arguments(filters) == ["--start", "2020-01-01", "--country", "Nigeria",
                                     "--search", "x", "--min-fatalities", "2"]

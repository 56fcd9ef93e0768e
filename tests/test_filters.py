import datetime as dt

import pandas as pd
import pytest

from dashboard.filters import Filters, apply_filters

INCIDENTS = pd.DataFrame({
    "event_id": ["a", "b", "c", "d"],
    "date": pd.to_datetime(["2019-01-01", "2020-06-30", "2021-06-12", "2021-06-30"]),
    "country": ["Nigeria", "Iraq", "Afghanistan", "Nigeria"],
})


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), ["a", "b", "c", "d"]),
        (Filters(countries=("Nigeria",)), ["a", "d"]),
        (Filters(countries=("Nigeria", "Iraq")), ["a", "b", "d"]),
        (Filters(start=dt.date(2020, 6, 30)), ["b", "c", "d"]),  # start is inclusive
        (Filters(end=dt.date(2021, 6, 30)), ["a", "b", "c", "d"]),  # end is inclusive
        (Filters(start=dt.date(2021, 1, 1), countries=("Nigeria",)), ["d"]),
        (Filters(countries=("Chad",)), []),
    ],
)
def test_apply_filters(filters, expected):
    assert apply_filters(INCIDENTS, filters)["event_id"].tolist() == expected


from dashboard.filters import from_query, to_query  # noqa: E402

FIRST, LAST = dt.date(2014, 1, 1), dt.date(2021, 6, 30)
KNOWN = {"Nigeria", "Iraq", "Mozambique"}


@pytest.mark.parametrize(
    ("params", "filters", "notices"),
    [
        ({}, Filters(FIRST, LAST), 0),
        ({"country": ["Nigeria"], "start": ["2020-01-01"], "end": ["2020-12-31"]},
         Filters(dt.date(2020, 1, 1), dt.date(2020, 12, 31), ("Nigeria",)), 0),
        ({"country": ["Nigeria", "Iraq"]}, Filters(FIRST, LAST, ("Nigeria", "Iraq")), 0),
        ({"country": ["Atlantis"]}, Filters(FIRST, LAST), 1),  # unknown: ignored, said
        ({"start": ["yesterday"]}, Filters(FIRST, LAST), 1),
        ({"start": ["1990-01-01"], "end": ["2030-01-01"]}, Filters(FIRST, LAST), 0),  # clipped
        ({"start": ["2021-01-01"], "end": ["2020-01-01"]}, Filters(FIRST, LAST), 1),
    ],
)
def test_from_query(params, filters, notices):
    got, said = from_query(params, KNOWN, FIRST, LAST)
    assert got == filters
    assert len(said) == notices


@pytest.mark.parametrize(
    "filters",
    [Filters(FIRST, LAST), Filters(dt.date(2020, 1, 1), dt.date(2020, 12, 31), ("Nigeria",)),
     Filters(FIRST, dt.date(2019, 5, 5), ("Iraq", "Mozambique"))],
)
def test_query_round_trip(filters):
    assert from_query(to_query(filters), KNOWN, FIRST, LAST) == (filters, [])

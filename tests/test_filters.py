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

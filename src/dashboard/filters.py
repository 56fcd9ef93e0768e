"""What the user chose to look at, and the rows that match it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Filters:
    """A view of the incidents: an inclusive period and a set of countries (empty: all)."""

    start: dt.date | None = None
    end: dt.date | None = None
    countries: tuple[str, ...] = ()


def apply_filters(incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows that match every filter that is set, in their original order."""
    keep = pd.Series(True, index=incidents.index)
    if filters.start is not None:
        keep &= incidents["date"] >= pd.Timestamp(filters.start)
    if filters.end is not None:
        keep &= incidents["date"] <= pd.Timestamp(filters.end)
    if filters.countries:
        keep &= incidents["country"].isin(filters.countries)
    # Unfiltered, the shared table itself: a copy per session per rerun is what would
    # make memory grow with every user (callers never modify what they get).
    return incidents if keep.all() else incidents[keep]


def describe(filters: Filters) -> dict:
    """The filters as plain JSON values, in `dashboard export`'s own terms."""
    return {"start": filters.start.isoformat() if filters.start else None,
            "end": filters.end.isoformat() if filters.end else None,
            "countries": list(filters.countries)}

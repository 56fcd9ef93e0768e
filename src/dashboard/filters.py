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


def from_query(params: dict[str, list[str]], countries: set[str],
               first: dt.date | None, last: dt.date | None) -> tuple[Filters, list[str]]:
    """Filters from URL query parameters (`country` repeatable, `start`, `end` as
    YYYY-MM-DD), and a notice for each value that was ignored. Dates are clipped to the
    data's period; a country the data does not have is ignored."""
    notices = []
    chosen = []
    for name in params.get("country", []):
        if name in countries:
            chosen.append(name)
        else:
            notices.append(f"country={name!r} is not in the data; ignored.")
    bounds = {}
    for key, default in (("start", first), ("end", last)):
        values = params.get(key, [])
        try:
            day = dt.date.fromisoformat(values[-1]) if values else default
        except ValueError:
            notices.append(f"{key}={values[-1]!r} is not a YYYY-MM-DD date; ignored.")
            day = default
        if day is not None and first is not None and last is not None:
            day = min(max(day, first), last)
        bounds[key] = day
    if bounds["start"] and bounds["end"] and bounds["start"] > bounds["end"]:
        notices.append("start is after end; the whole period is shown.")
        bounds = {"start": first, "end": last}
    return Filters(start=bounds["start"], end=bounds["end"], countries=tuple(chosen)), notices


def to_query(filters: Filters) -> dict[str, list[str]]:
    """The URL query parameters that `from_query` reads back to the same filters."""
    query = {"country": list(filters.countries)}
    for key, day in (("start", filters.start), ("end", filters.end)):
        if day is not None:
            query[key] = [day.isoformat()]
    return {key: values for key, values in query.items() if values}

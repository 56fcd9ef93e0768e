"""What the user chose to look at, the rows that match it, and the URL that says it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.geo import is_placed

# Filter field -> (URL query name, canonical column) for the multi-choice filters.
CHOICES = {
    "countries": ("country", "country"),
    "admin1": ("admin1", "admin1"),
    "actors": ("actor", "actor"),
    "event_types": ("type", "event_type"),
}
# URL query name -> the `dashboard export` option that means the same.
OPTIONS = {"country": "--country", "admin1": "--admin1", "actor": "--actor", "type": "--type",
           "start": "--start", "end": "--end", "q": "--search",
           "min_fatalities": "--min-fatalities", "hide_country_level": "--hide-country-level"}
QUERY_NAMES = list(OPTIONS)
SEARCHED = ["place", "notes"]
MAX_SEARCH = 200


@dataclass(frozen=True)
class Filters:
    """A view of the incidents; an empty choice means all, and every filter combines
    with every other."""

    start: dt.date | None = None  # inclusive
    end: dt.date | None = None  # inclusive
    countries: tuple[str, ...] = ()
    admin1: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    event_types: tuple[str, ...] = ()
    text: str = ""  # in the place or the notes, any case
    min_fatalities: int = 0
    hide_country_level: bool = False  # incidents placed only at their country


def matching(incidents: pd.DataFrame, filters: Filters) -> np.ndarray:
    """One boolean per row: whether it matches every filter that is set."""
    keep = np.ones(len(incidents), dtype=bool)
    dates = incidents["date"]
    if filters.start is not None:
        keep &= (dates >= pd.Timestamp(filters.start)).to_numpy(dtype=bool, na_value=False)
    if filters.end is not None:
        keep &= (dates <= pd.Timestamp(filters.end)).to_numpy(dtype=bool, na_value=False)
    for field, (_, column) in CHOICES.items():
        chosen = getattr(filters, field)
        if chosen and column in incidents:
            keep &= incidents[column].isin(chosen).to_numpy(dtype=bool, na_value=False)
    if filters.text:
        found = np.zeros(len(incidents), dtype=bool)
        for column in SEARCHED:
            found |= incidents[column].str.contains(filters.text, case=False, regex=False
                                                    ).to_numpy(dtype=bool, na_value=False)
        keep &= found
    if filters.min_fatalities > 0:
        keep &= (incidents["fatalities"] >= filters.min_fatalities).to_numpy(
            dtype=bool, na_value=False)
    if filters.hide_country_level:
        keep &= (incidents["geo_precision"] != "country").to_numpy(dtype=bool, na_value=True)
    return keep


def apply_filters(incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows that match every filter that is set, in their original order."""
    return Selection(incidents, filters).rows()


class Selection:
    """The rows a filter picks, copied only as far as each use needs.

    A loaded table has about thirty columns; copying all of them for a million rows on
    every filter change takes longer than drawing the map, which needs three to ten.
    """

    def __init__(self, incidents: pd.DataFrame, filters: Filters):
        self.incidents = incidents
        mask = matching(incidents, filters)
        self.everything = bool(mask.all())
        # Row positions, not the mask: taking a few rows beats masking all of them, and
        # a cached selection of a million rows holds 4 MB, not 9.
        self.positions = np.flatnonzero(mask).astype(np.int32 if len(mask) < 2**31
                                                     else np.int64)

    def __len__(self) -> int:
        return len(self.positions)

    def placed_count(self) -> int:
        return int(is_placed(self.incidents).to_numpy()[self.positions].sum())

    def columns(self, names: list[str]) -> pd.DataFrame:
        """The matching rows, only the ``names`` the table has."""
        present = [name for name in names if name in self.incidents.columns]
        return self.incidents[present] if self.everything else self.incidents[
            present].iloc[self.positions]

    def rows(self, limit: int | None = None) -> pd.DataFrame:
        """Every column of the matching rows (the first ``limit`` of them if given).

        Unfiltered, the shared table itself: a copy per session per rerun is what would
        make memory grow with every user (callers never modify what they get).
        """
        if self.everything and limit is None:
            return self.incidents
        return self.incidents.iloc[self.positions[:limit]]


def windows(start: dt.date, end: dt.date, step: str) -> list[tuple[dt.date, dt.date]]:
    """The playback's windows over [start, end]: calendar months or weeks (from Monday),
    the first and last clipped to the period."""
    frequency = {"month": "MS", "week": "W-MON"}[step]
    first = pd.Timestamp(start).to_period("M" if step == "month" else "W-SUN").start_time
    starts = pd.date_range(first, end, freq=frequency)
    return [(max(a.date(), start), min((b - pd.Timedelta(days=1)).date(), end))
            for a, b in zip(starts, [*starts[1:], starts[-1] + starts.freq], strict=True)]


def describe(filters: Filters) -> dict:
    """The filters as plain JSON values, in `dashboard export`'s own terms."""
    described = dataclasses.asdict(filters)
    for key in ("start", "end"):
        described[key] = described[key].isoformat() if described[key] else None
    return {key: list(value) if isinstance(value, tuple) else value
            for key, value in described.items()}


def to_arguments(filters: Filters) -> list[str]:
    """The `dashboard export` options that pick the same rows (the URL's, renamed)."""
    arguments = []
    for name, values in to_query(filters).items():
        if name == "hide_country_level":  # a flag: no value
            arguments.append(OPTIONS[name])
        else:
            arguments += [part for value in values for part in (OPTIONS[name], value)]
    return arguments


def from_query(params: dict[str, list[str]], known: dict[str, set[str]],
               first: dt.date | None, last: dt.date | None) -> tuple[Filters, list[str]]:
    """Filters from URL query parameters, and a notice for each value that was ignored.

    ``known`` holds, per field of CHOICES, the values the data has: a country (or actor,
    ...) the data lacks is ignored. Dates (YYYY-MM-DD) are clipped to the data's period.
    """
    notices = []
    chosen = {}
    for field, (name, _) in CHOICES.items():
        values = known.get(field, set())
        chosen[field] = tuple(v for v in params.get(name, []) if v in values)
        notices += [f"{name}={v!r} is not in the data; ignored."
                    for v in params.get(name, []) if v not in values]
    bounds = {}
    for key, default in (("start", first), ("end", last)):
        values = params.get(key, [])
        try:
            day = dt.date.fromisoformat(values[-1]) if values else default
        except ValueError:
            notices.append(f"{key}={values[-1]!r} is not a YYYY-MM-DD date; ignored.")
            day = default
        if values and day is not None and first is not None and last is not None:
            clipped = min(max(day, first), last)
            if clipped != day:
                notices.append(f"{key}={values[-1]} is outside the data "
                               f"({first.isoformat()} to {last.isoformat()}); "
                               f"{clipped.isoformat()} is used.")
            day = clipped
        bounds[key] = day
    if bounds["start"] and bounds["end"] and bounds["start"] > bounds["end"]:
        notices.append("start is after end; the whole period is shown.")
        bounds = {"start": first, "end": last}
    text = (params.get("q") or [""])[-1][:MAX_SEARCH]
    least = 0
    if params.get("min_fatalities"):
        value = params["min_fatalities"][-1]
        if value.isascii() and value.isdigit():  # "²" is a digit to Python, not to int()
            least = int(value)
        else:
            notices.append(f"min_fatalities={value!r} is not a whole number; ignored.")
    hide = (params.get("hide_country_level") or ["0"])[-1] == "1"
    return Filters(start=bounds["start"], end=bounds["end"], text=text, min_fatalities=least,
                   hide_country_level=hide, **chosen), notices


def to_query(filters: Filters) -> dict[str, list[str]]:
    """The URL query parameters that `from_query` reads back to the same filters."""
    query = {name: list(getattr(filters, field)) for field, (name, _) in CHOICES.items()}
    for key, day in (("start", filters.start), ("end", filters.end)):
        if day is not None:
            query[key] = [day.isoformat()]
    if filters.text:
        query["q"] = [filters.text]
    if filters.min_fatalities:
        query["min_fatalities"] = [str(filters.min_fatalities)]
    if filters.hide_country_level:
        query["hide_country_level"] = ["1"]
    return {key: values for key, values in query.items() if values}

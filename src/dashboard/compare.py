"""Two periods side by side: which areas and actors changed most from period A to B.

`default_periods(end, period)` gives the periods the page opens on (B: the last 4 weeks
or the last complete month to ``end``; A: the same span just before it);
`changes(incidents, column_codes, periods)` counts each area's (or actor's) incidents in
A and in B. The link's form, ``YYYY-MM-DD..YYYY-MM-DD,YYYY-MM-DD..YYYY-MM-DD``, is read by
`read_periods` and written by `written_periods`, which round-trip exactly. Pure pandas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.trends import area_codes, coded, column, last_period
from dashboard.wording import plural

Span = tuple[dt.date, dt.date]  # first and last day, inclusive
CHANGE_COLUMNS = ["area", "country", "a", "b", "change", "ratio"]
ACTOR_COLUMNS = ["actor", "a", "b", "change", "ratio"]


@dataclass(frozen=True)
class Periods:
    """Period A and period B (each first and last day, inclusive)."""

    a: Span
    b: Span


def default_periods(end: dt.date, period: str) -> Periods:
    """B: the last 28 days to ``end`` ("4w") or the last complete month ending by it
    ("month", as `trends.last_period`); A: the 28 days, or the calendar month, before B."""
    b_start, b_end = (day.date() for day in last_period(period, end))
    a_end = b_start - dt.timedelta(days=1)
    a_start = (a_end.replace(day=1) if period == "month"
               else a_end - dt.timedelta(days=(b_end - b_start).days))
    return Periods((a_start, a_end), (b_start, b_end))


def read_periods(text: str) -> tuple[Periods | None, str | None]:
    """Periods from the link's ``A_START..A_END,B_START..B_END``; None and what is wrong
    with the text when it cannot be used."""
    spans = []
    for part in text.split(","):
        days = part.split("..")
        try:
            first, last = (dt.date.fromisoformat(day.strip()) for day in days)
        except ValueError:
            return None, ("is not two periods written YYYY-MM-DD..YYYY-MM-DD, "
                          "separated by a comma")
        if first > last:
            return None, f"period {first.isoformat()}..{last.isoformat()} ends before it starts"
        spans.append((first, last))
    if len(spans) != 2:
        return None, "is not two periods (A and B) separated by a comma"
    return Periods(spans[0], spans[1]), None


def written_periods(periods: Periods) -> str:
    """The link's form of ``periods`` (`read_periods` reads it back)."""
    return ",".join(f"{first.isoformat()}..{last.isoformat()}"
                    for first, last in (periods.a, periods.b))


def sides(days: np.ndarray, periods: Periods) -> tuple[np.ndarray, np.ndarray]:
    """Whether each day (datetime64[D]; NaT in neither) is in A, and in B."""
    def within(span: Span) -> np.ndarray:
        first, last = (np.datetime64(day, "D") for day in span)
        return (days >= first) & (days <= last)

    return within(periods.a), within(periods.b)


def counted(codes: np.ndarray, groups: int, in_a: np.ndarray, in_b: np.ndarray
            ) -> pd.DataFrame:
    """Per group number: incidents in A and in B, the change and the ratio B / A (none
    when A has none)."""
    a = np.bincount(codes[in_a], minlength=groups)
    b = np.bincount(codes[in_b], minlength=groups)
    frame = pd.DataFrame({"a": a, "b": b, "change": b - a})
    frame["ratio"] = frame["b"] / frame["a"].where(frame["a"] > 0)
    return frame


def largest_first(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Groups with incidents in A or B, the largest change (either way) first; ties by
    name, so the order is the same every time."""
    frame = frame[(frame["a"] > 0) | (frame["b"] > 0)]
    keys = frame.assign(_size=-frame["change"].abs())
    return keys.sort_values(["_size", *names], kind="stable")[frame.columns].reset_index(
        drop=True)


def area_changes(incidents: pd.DataFrame, by: str, periods: Periods) -> pd.DataFrame:
    """Per area (``by``: "admin1" or "country", unknowns named as in `trends`): incidents
    in A and B, change, ratio (`CHANGE_COLUMNS`), largest change first."""
    days = incidents["date"].to_numpy(dtype="datetime64[D]")
    in_a, in_b = sides(days, periods)
    codes, areas = area_codes(incidents, by)
    frame = pd.concat([areas, counted(codes, len(areas), in_a, in_b)], axis=1)
    return largest_first(frame[CHANGE_COLUMNS], ["country", "area"])


def actor_changes(incidents: pd.DataFrame, periods: Periods) -> pd.DataFrame:
    """Per actor (`ACTOR_COLUMNS`; rows without one as "(unknown)"), largest change
    first."""
    days = incidents["date"].to_numpy(dtype="datetime64[D]")
    in_a, in_b = sides(days, periods)
    codes, names = coded(column(incidents, "actor"))
    frame = counted(codes, len(names), in_a, in_b)
    frame.insert(0, "actor", names)
    return largest_first(frame[ACTOR_COLUMNS], ["actor"])


def said_span(span: Span) -> str:
    first, last = span
    return f"{first:%d %b %Y} to {last:%d %b %Y} ({plural((last - first).days + 1, 'day')})"


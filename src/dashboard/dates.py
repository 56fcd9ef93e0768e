"""Dates as incident tables write them, to a start day, an end day and a precision.

"2021-06-12", "2009-06-09 00:00:00.000", "28 June 2021", "June 28, 2021", "28/06/2021",
"March 14-15 2005", "14–15 March 2005", "June 2021", "2014". Each form is one regular
expression applied to the whole column at once, so a million rows take seconds, not
minutes. Whether "03/04/2021" is the 3rd of April or the 4th of March is decided once per
column from the values that are a real date only one way ("25/04/2021" means day first);
a column where no value decides is read day-first and reported as ambiguous. A value
that is no date either way ("32/13/2020") decides nothing and is left unread.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass

import pandas as pd

from dashboard.wording import plural

MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
MONTHS |= {"sept": 9}
PRECISIONS = ("day", "month", "year")

_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_END_MONTH = r"(?P<end_month>[A-Za-z]{3,9})\.?"
# "14-15", "27/28", "7, 8", "16 & 19", "26 and 29", "6 or 7": a start day and a last one.
_DAY_RANGE = r"(?P<day>\d{1,2})(?:\s*(?:-|/|&|,|and|or)\s*(?P<end_day>\d{1,2}))?"
_YEAR = r",?\s+(?P<year>\d{4})$"
# (pattern, precision); the month is a number or an English month name.
PATTERNS = [
    (r"^(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})(?:[ T][\d:.+Z-]*)?$", "day"),
    (r"^(?P<year>\d{4})/(?P<month>\d{1,2})/(?P<day>\d{1,2})$", "day"),
    (rf"^{_DAY_RANGE}\s+{_MONTH}{_YEAR}", "day"),  # 14-15 March 2005
    (rf"^{_MONTH}\s+{_DAY_RANGE}{_YEAR}", "day"),  # March 14-15, 2005
    # Ranges across months: "May 23 – June 11 1977", "27 February – 27 April 1980",
    # "31 July–August 10 1970".
    (rf"^{_MONTH}\s+(?P<day>\d{{1,2}})\s*-\s*{_END_MONTH}\s+(?P<end_day>\d{{1,2}}){_YEAR}",
     "day"),
    (rf"^(?P<day>\d{{1,2}})\s+{_MONTH}\s*-\s*(?P<end_day>\d{{1,2}})\s+{_END_MONTH}{_YEAR}",
     "day"),
    (rf"^(?P<day>\d{{1,2}})\s+{_MONTH}\s*-\s*{_END_MONTH}\s+(?P<end_day>\d{{1,2}}){_YEAR}",
     "day"),
    (rf"^{_MONTH}{_YEAR}", "month"),  # June 2021
    (rf"^{_MONTH}\s*-\s*{_END_MONTH}{_YEAR}", "month"),  # July–December 1989
    (r"^(?P<year>\d{4})-(?P<month>\d{1,2})$", "month"),
    (r"^(?P<year>\d{4})$", "year"),
]
NUMERIC = r"^(?P<first>\d{1,2})[/.](?P<second>\d{1,2})[/.](?P<year>\d{4})$"
DASHES = r"[\u2010-\u2015\u2212]"  # en dash, em dash, minus... as written in ranges


@dataclass(frozen=True)
class ParsedDates:
    start: pd.Series  # datetime64[s]; NaT where not recognised
    end: pd.Series  # datetime64[s]; NaT unless the text was a range
    precision: pd.Series  # "day" | "month" | "year", missing where not recognised
    warning: str | None  # set when day/month order could not be decided


def parse_dates(text: pd.Series) -> ParsedDates:
    """Each distinct text parsed once: a million rows hold a few thousand dates."""
    codes, distinct = pd.factorize(text.astype("string"), use_na_sentinel=False)
    parsed = _parse_distinct(pd.Series(distinct, dtype="string"))

    def spread(values: pd.Series) -> pd.Series:
        return pd.Series(values.to_numpy()[codes], index=text.index, dtype=values.dtype)

    return ParsedDates(start=spread(parsed.start), end=spread(parsed.end),
                       precision=spread(parsed.precision), warning=parsed.warning)


def _parse_distinct(text: pd.Series) -> ParsedDates:
    text = text.str.strip().str.replace(DASHES, "-", regex=True)
    parts = pd.DataFrame(index=text.index,
                         columns=["year", "month", "day", "end_month", "end_day"],
                         dtype="string")
    precision = pd.Series(pd.NA, index=text.index, dtype="string")
    for pattern, level in PATTERNS:
        todo = precision.isna()
        if not todo.any():
            break
        found = text[todo].str.extract(pattern)
        hit = found["year"].notna()
        for column in parts.columns.intersection(found.columns):
            parts.loc[hit[hit].index, column] = found.loc[hit, column]
        precision[hit[hit].index] = level
    warning = _numeric_dates(text, parts, precision)

    # Month- and year-only dates start on the first; a word that is no month stays invalid.
    numbers = pd.DataFrame({
        "year": _number(parts["year"]),
        "month": _month(parts["month"]).where(parts["month"].notna(), 1),
        "day": _number(parts["day"]).fillna(1),
    })
    start = _to_dates(numbers)
    end_month = _month(parts["end_month"]).where(parts["end_month"].notna(), numbers["month"])
    has_end = parts["end_day"].notna() | parts["end_month"].notna()
    # "July–December 1989" ends on the last day of December, not the first.
    end = _to_dates(numbers.assign(month=end_month, day=_number(parts["end_day"]).fillna(1)))
    month_only_end = parts["end_month"].notna() & parts["end_day"].isna()
    end = end.where(~month_only_end, end + pd.offsets.MonthEnd(0)).where(has_end)
    precision = precision.where(start.notna())
    return ParsedDates(start=start, end=end, precision=precision, warning=warning)


def _numeric_dates(text: pd.Series, parts: pd.DataFrame, precision: pd.Series) -> str | None:
    """Fill d/m/y or m/d/y dates, deciding the order for the whole column."""
    found = text[precision.isna()].str.extract(NUMERIC).dropna()
    if found.empty:
        return None
    year, first, second = (_number(found[c]) for c in ("year", "first", "second"))
    # Only a real date says which order a column uses: "32/13/2020" or "31/02/2020" is
    # no date either way, so it decides nothing and is left unread (its row rejected).
    as_day_first = _to_dates(pd.DataFrame({"year": year, "month": second, "day": first}))
    as_month_first = _to_dates(pd.DataFrame({"year": year, "month": first, "day": second}))
    only_day, only_month = as_day_first.notna() & as_month_first.isna(), (
        as_month_first.notna() & as_day_first.isna())
    either = as_day_first.notna() & as_month_first.notna()
    mixed = only_day.any() and only_month.any()
    warning = None
    if mixed:
        # Both orders occur: only rows that can be read one way are kept; the rest are
        # rejected as unrecognised rather than guessed.
        keep = only_day | only_month
        if either.any():
            warning = ("the date column mixes day/month and month/day orders; dates that "
                       f"could be read either way ({plural(either.sum(), 'distinct date')}, "
                       f"such as {text[either.idxmax()]!r}) were not accepted.")
    else:
        keep = only_day | only_month | either
        if either.any() and not only_month.any() and not only_day.any():
            warning = (f"{plural(either.sum(), 'distinct date')} such as "
                       f"{text[either.idxmax()]!r} could be day/month or month/day; the column "
                       "was read as day/month. If that is wrong, write them as YYYY-MM-DD.")
    month_first = only_month.any() and not only_day.any()
    swap = only_month | (either & month_first)
    found = found[keep]
    swap = swap[keep]
    found = found.assign(day=found["first"].where(~swap, found["second"]),
                         month=found["second"].where(~swap, found["first"]))
    for column in ("year", "month", "day"):
        parts.loc[found.index, column] = found[column]
    precision[found.index] = "day"
    return warning


def _month(text: pd.Series) -> pd.Series:
    """Month numbers from "6", "06", "June" or "Jun"; NaN for anything else."""
    lower = text.str.lower()
    return _number(lower).fillna(lower.map(MONTHS).astype("float64"))


def _number(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _to_dates(numbers: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(numbers, errors="coerce").astype("datetime64[s]")

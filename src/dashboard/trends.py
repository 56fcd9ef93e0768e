"""Which areas are rising: each area's last period against its own past, with every flag's
rule said in words.

`rising(incidents, by, period, as_of)` counts each area's incidents (and fatalities) in
the last period and compares them with the area's own baselines; `flagged(result)` keeps
the areas where a rule fired. Pure pandas and numpy, deterministic: the same rows give the
same flags in the same order.

Periods. ``"4w"``: the last period is the 28 days ending at ``as_of`` (inclusive); the
baselines are the 28-day block just before it (``previous``) and the mean of the 13 blocks
before it (the previous 52 weeks, ``baseline``). ``"month"``: the last *complete* calendar
month ending at or before ``as_of`` (``as_of`` itself when it is a month's last day,
otherwise the month before); ``previous`` is the month before it and ``baseline`` the mean
of the 12 months before it. A partial month is never compared with whole ones: ten days of
a month look like a drop, and scaling them up to a month turns a few days' noise into a
surge. Rows after the last period are counted in `Rising.later`, undated rows in
`Rising.undated`; every other row is in its area's ``total``, so nothing leaves unsaid.

Areas. ``by="country"`` or ``by="admin1"`` (a region is its country and its name). A row
without a region is counted in its country's region ``"(unknown)"``, and a row without a
country in the country ``"(unknown)"``: they are part of the table, never dropped.

Rules (thresholds in `Rules`, measured with ``benchmarks/rising.py``):

- ``surge``: at least ``min_count`` incidents in the last period, at least ``min_ratio``
  times the baseline, and as many or more would happen with probability below ``max_p``
  if incidents were Poisson with the baseline's mean. Each guard alone fails: a count
  alone flags every busy area, a ratio alone flags 1 -> 3, and the Poisson tail alone
  flags busy areas whose 52-week mean is a little low (the mean is itself estimated).
- ``record``: the last period has more incidents than every period of the
  ``record_years`` years or more before it (the N said is the whole years with fewer),
  with at least ``min_count`` incidents, ``record_ratio`` times the baseline and a
  Poisson tail below ``record_p``: on flat noise one period in 37 is the highest of three
  years, and these guards, looser than a surge's, keep such records out.
- ``new_area``: incidents in the last period and none before it, while the data reaches
  back ``min_history_days`` before the period ("since at least" the data's first day).
- ``returned``: incidents in the last period after none for ``quiet_days`` or more.
- ``new_actors``: actors whose first incident in the area is in the last period, in an
  area with incidents at least ``min_history_days`` before it.

``surge``, ``record`` and ``new_actors`` need the area's first incident at least
``min_history_days`` before the last period: a baseline of a few weeks says nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVELS = ("country", "admin1")
PERIODS = ("4w", "month")
UNKNOWN = "(unknown)"
BLOCK_DAYS = 28
# Periods in the long baseline, and per year for "highest in N years".
LONG = {"4w": 13, "month": 12}
PER_YEAR = {"4w": 13, "month": 12}
BASELINE_WORDS = {"4w": "52-week average for 4 weeks", "month": "12-month average"}
PERIOD_WORDS = {"4w": "4 weeks", "month": "month"}
LONG_WORDS = {"4w": "52 weeks", "month": "12 months"}
COLUMNS = ["area", "country", "last", "previous", "baseline", "change", "ratio", "p",
           "fatalities_last", "fatalities_baseline", "total", "first", "new_actors", "flags",
           "reasons"]


@dataclass(frozen=True)
class Rules:
    """The thresholds, once. Measured with ``benchmarks/rising.py`` (2,000 flat Poisson
    areas of 0.2 to 30 incidents a week, 200 tripled in the last period, at least 12)."""

    # A surge is at least this many incidents: 1 -> 3 is never one, whatever the odds.
    min_count: int = 10
    # At least twice the 52-week (12-month) average. On Poisson noise 1.5 alarms no more
    # often, but real counts vary more than Poisson, and in busy areas (where the tail
    # below is tiny for a 30% rise) this ratio is the guard that holds.
    min_ratio: float = 2.0
    # P(as many or more | Poisson with the baseline's mean). 0.01 lets 0.25% of flat areas
    # surge (the mean is estimated from 13 periods, so the test is a little lenient);
    # 0.001 lets ~0.02%, and still finds 94% (4w) and 96% (month) of planted surges:
    # those missed are the floor's 12 incidents against a mean of 5 or 6, P ~ 0.01.
    max_p: float = 0.001
    # "Highest in N years" from N = 2, with guards looser than a surge's (1.5x, P < 0.01):
    # ~0.5% of flat areas; without the tail guard ~0.8%, with no ratio either 2-3%.
    record_years: int = 2
    record_ratio: float = 1.5
    record_p: float = 0.01
    # The area's first incident at least 26 weeks before the last period for a surge,
    # record or new actor: a baseline of a few weeks says little.
    min_history_days: int = 182
    # "returned": no incident for a year before the last period.
    quiet_days: int = 365


RULES = Rules()


@dataclass(frozen=True)
class Rising:
    """One row per area with incidents up to ``end`` (columns `COLUMNS`, strongest signal
    first), the last period's first and last day, and the rows in no period."""

    areas: pd.DataFrame
    by: str
    period: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    undated: int
    later: int


def poisson_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed upward from k in log space (exact to float
    precision however small; no scipy)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    top = math.ceil(max(k, mean) + 12 * math.sqrt(mean) + 40)
    j = np.arange(k, top + 1)
    log_factorial = np.cumsum(np.log(np.arange(1, top + 1)))[j - 1]
    terms = -mean + j * math.log(mean) - log_factorial
    peak = terms.max()
    return float(min(1.0, math.exp(peak) * np.exp(terms - peak).sum()))


def rising(incidents: pd.DataFrame, by: str = "admin1", period: str = "4w",
           as_of: object = None, rules: Rules = RULES) -> Rising:
    """Each area's last period against its baselines, with the rules that fired.
    ``as_of``: the day the last period ends by (default: the last date in the data)."""
    if by not in LEVELS or period not in PERIODS:
        raise ValueError(f"by must be one of {LEVELS}, period one of {PERIODS}")
    days = incidents["date"].to_numpy(dtype="datetime64[D]")
    dated = ~np.isnat(days)
    if not dated.any():
        return Rising(pd.DataFrame(columns=COLUMNS), by, period, None, None, len(days), 0)
    start, end = last_period(period, days[dated].max() if as_of is None else as_of)
    # Days from the last period's first day: negative before it, above `length` after it.
    day = (days - np.datetime64(start.date(), "D")).astype(np.int64)
    length = (end - start).days
    inside = dated & (day <= length)
    later = int((dated & (day > length)).sum())
    if not inside.any():
        return Rising(pd.DataFrame(columns=COLUMNS), by, period, start, end,
                      int((~dated).sum()), later)
    window = Window(period, start, end, day[inside],
                    period_index(days[inside], period, end))
    frame = figures(incidents[inside], by, window, rules)
    frame = explain(frame, window, rules)
    return Rising(order(frame), by, period, start, end, int((~dated).sum()), later)


def flagged(result: Rising) -> pd.DataFrame:
    """Only the areas where a rule fired, strongest signal first."""
    areas = result.areas
    return areas[areas["flags"].map(len) > 0].reset_index(drop=True)


@dataclass(frozen=True)
class Window:
    """The rows up to the last period's end: each one's day (from the period's first day)
    and period (0 for the last one, 1 for the one before, ...)."""

    period: str
    start: pd.Timestamp
    end: pd.Timestamp
    day: np.ndarray
    index: np.ndarray


def last_period(period: str, as_of: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The last period's first and last day (see the module's docstring)."""
    day = pd.Timestamp(as_of).normalize()
    if period == "4w":
        return day - pd.Timedelta(days=BLOCK_DAYS - 1), day
    if not day.is_month_end:
        day = day.replace(day=1) - pd.Timedelta(days=1)
    return day.replace(day=1), day


def period_index(days: np.ndarray, period: str, end: pd.Timestamp) -> np.ndarray:
    """0 for the last period, 1 for the one before it, ... (``days``: datetime64[D])."""
    if period == "4w":
        return (np.datetime64(end.date(), "D") - days).astype(np.int64) // BLOCK_DAYS
    months = days.astype("datetime64[M]")
    return (np.datetime64(end.date(), "M") - months).astype(np.int64)


def area_codes(rows: pd.DataFrame, by: str) -> tuple[np.ndarray, pd.DataFrame]:
    """Each row's area number and the areas (``area``, ``country``) that have rows,
    unknowns named."""
    country, countries = coded(column(rows, "country"))
    region, regions = (coded(column(rows, "admin1")) if by == "admin1"
                       else (0, np.array([""])))
    codes, pairs = pd.factorize(country * len(regions) + region)
    countries = countries[pairs // len(regions)]
    return codes.astype(np.int64), pd.DataFrame({
        "area": countries if by == "country" else regions[pairs % len(regions)],
        "country": countries})


def column(rows: pd.DataFrame, name: str) -> pd.Series:
    """A column, or all missing when the table has none (a file without regions)."""
    return rows[name] if name in rows else pd.Series(pd.NA, index=rows.index, dtype="string")


def coded(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Each row's number for its text and the texts (stripped; missing or blank named
    `UNKNOWN`), the text read once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    # A missing value's code, -1, picks the UNKNOWN put last.
    text = pd.Series(np.asarray(uniques, dtype=object), dtype="string").str.strip()
    text = pd.concat([text.mask(text == "", UNKNOWN), pd.Series([UNKNOWN], dtype="string")])
    merged, labels = pd.factorize(text.to_numpy(dtype=object))
    return merged[codes].astype(np.int64), np.asarray(labels, dtype=object)


def figures(rows: pd.DataFrame, by: str, window: Window, rules: Rules) -> pd.DataFrame:
    """Per area: the last period's incidents and fatalities, the period before, the long
    baseline (the mean over the periods since the area's first, at most `LONG`), the
    Poisson tail, and what the other rules read."""
    codes, frame = area_codes(rows, by)
    width = int(window.index.max()) + 1
    cell = codes * width + window.index
    counts = np.bincount(cell, minlength=len(frame) * width).reshape(-1, width)
    deaths = pd.to_numeric(column(rows, "fatalities"), errors="coerce").to_numpy("float64", np.nan)
    killed = np.bincount(cell, weights=np.nan_to_num(deaths),
                         minlength=len(frame) * width).reshape(-1, width)
    span = width - 1 - np.argmax(counts[:, ::-1] > 0, axis=1)
    covered = np.minimum(span, LONG[window.period])
    frame["last"] = counts[:, 0]
    frame["previous"] = counts[:, 1] if width > 1 else 0
    frame["baseline"] = per_period(counts, covered, window.period)
    frame["change"] = frame["last"] - frame["baseline"]
    frame["ratio"] = frame["last"] / frame["baseline"].where(frame["baseline"] > 0)
    frame["fatalities_last"] = killed[:, 0]
    frame["fatalities_baseline"] = per_period(killed, covered, window.period)
    frame["total"] = counts.sum(1)
    first = np.full(len(frame), np.iinfo(np.int64).max)
    np.minimum.at(first, codes, window.day)
    frame["first"] = window.start + pd.to_timedelta(first, unit="D")
    frame["history"] = first <= -rules.min_history_days
    frame["lower"] = record_periods(counts, width - 1)
    before = np.full(len(frame), np.iinfo(np.int64).min)
    np.maximum.at(before, codes[window.day < 0], window.day[window.day < 0])
    frame["quiet"] = np.where(first < 0, -before, np.nan)
    frame["p"] = [poisson_tail(k, m) if ok else np.nan for k, m, ok in zip(
        frame["last"], frame["baseline"], frame["history"], strict=True)]
    frame["new_actors"] = new_actors(rows, codes, window.day, frame["history"].to_numpy())
    return frame


def per_period(values: np.ndarray, covered: np.ndarray, period: str) -> np.ndarray:
    total = values[:, 1:LONG[period] + 1].sum(1)
    return np.divide(total, covered, out=np.full(len(values), np.nan), where=covered > 0)


def record_periods(counts: np.ndarray, data_span: int) -> np.ndarray:
    """How many periods in a row before the last one had fewer incidents than it (all the
    data's, ``data_span``, when none had as many)."""
    as_many = counts[:, 1:] >= counts[:, [0]]
    if not as_many.shape[1]:  # every row in the last period: no period before it
        return np.full(len(counts), data_span)
    return np.where(as_many.any(1), np.argmax(as_many, axis=1), data_span)


def new_actors(rows: pd.DataFrame, codes: np.ndarray, day: np.ndarray,
               history: np.ndarray) -> list[tuple[str, ...]]:
    """Per area, the actors (sorted) whose first incident there is in the last period, in
    areas with history. Rows without an actor name none."""
    actor, names = coded(column(rows, "actor"))
    known = names[actor] != UNKNOWN
    pair = codes[known] * len(names) + actor[known]
    recent = day[known] >= 0
    fresh = np.setdiff1d(pair[recent], pair[~recent])
    fresh = fresh[history[fresh // len(names)]]
    found: dict[int, list[str]] = {}
    for area, name in zip(fresh // len(names), names[fresh % len(names)], strict=True):
        found.setdefault(int(area), []).append(name)
    return [tuple(sorted(found.get(area, ()))) for area in range(len(history))]


def explain(frame: pd.DataFrame, window: Window, rules: Rules) -> pd.DataFrame:
    """Each rule's words where it fired; ``flags`` names them, ``reasons`` says them."""
    said = pd.DataFrame({
        "surge": surge(frame, window, rules),
        "record": record(frame, window.period, rules),
        "new_area": new_area(frame, window, rules),
        "returned": returned(frame, window.start, rules),
        "new_actors": [actors_said(names) for names in frame["new_actors"]],
    }, index=frame.index)
    rows, names = said.to_numpy(), said.columns.to_numpy()
    frame["flags"] = [tuple(names[row != ""]) for row in rows]
    frame["reasons"] = [". ".join(sentence(said) for said in row[row != ""]) for row in rows]
    return frame


def surge(frame: pd.DataFrame, window: Window, rules: Rules) -> pd.Series:
    fires = (frame["history"] & (frame["last"] >= rules.min_count) & (frame["p"] < rules.max_p)
             & ((frame["ratio"] >= rules.min_ratio) | (frame["baseline"] == 0)))
    span = f"in the {PERIOD_WORDS[window.period]} to {said_date(window.end)}"
    return pd.Series([surge_said(row, span, window.period, rules) if fire else ""
                      for row, fire in zip(frame.itertuples(), fires, strict=True)],
                     index=frame.index)


def surge_said(row: tuple, span: str, period: str, rules: Rules) -> str:
    """"27 incidents in the 4 weeks to 20 Jun 2024: 3.1x its 52-week average for 4 weeks
    (8.7); at least 10 incidents; P(27 or more | Poisson mean 8.7) = 1e-07"."""
    guard = f"at least {rules.min_count} incidents"
    if row.baseline == 0:
        return f"{row.last} incidents {span} after none in the previous {LONG_WORDS[period]}; "\
            f"{guard}"
    return (f"{row.last} incidents {span}: {row.ratio:.1f}x its {BASELINE_WORDS[period]} "
            f"({row.baseline:.1f}); {guard}; P({row.last} or more | Poisson mean "
            f"{row.baseline:.1f}) = {row.p:.1g}")


def record(frame: pd.DataFrame, period: str, rules: Rules) -> pd.Series:
    years = frame["lower"] // PER_YEAR[period]
    fires = (frame["history"] & (years >= rules.record_years)
             & (frame["last"] >= rules.min_count) & (frame["p"] < rules.record_p)
             & ((frame["ratio"] >= rules.record_ratio) | (frame["baseline"] == 0)))
    return pd.Series(np.where(fires, [f"highest {PERIOD_WORDS[period]} in {n} years"
                                      for n in years], ""), index=frame.index)


def new_area(frame: pd.DataFrame, window: Window, rules: Rules) -> pd.Series:
    data_first = window.start + pd.Timedelta(days=int(window.day.min()))
    fires = (frame["last"] > 0) & frame["quiet"].isna() & (
        window.day.min() <= -rules.min_history_days)
    return pd.Series(np.where(
        fires, f"first incidents in this area since at least {said_date(data_first)}", ""),
        index=frame.index)


def returned(frame: pd.DataFrame, start: pd.Timestamp, rules: Rules) -> pd.Series:
    fires = (frame["last"] > 0) & (frame["quiet"] >= rules.quiet_days)
    return pd.Series([
        f"first incidents in this area since {said_date(start - pd.Timedelta(days=quiet))}"
        if fire else "" for quiet, fire in zip(frame["quiet"], fires, strict=True)],
        index=frame.index)


def actors_said(names: tuple[str, ...]) -> str:
    if not names:
        return ""
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f"{'actor' if len(names) == 1 else 'actors'} seen here for the first time: {shown}"


def said_date(day: pd.Timestamp) -> str:
    return f"{day.day} {day:%b %Y}"


def order(frame: pd.DataFrame) -> pd.DataFrame:
    """Strongest signal first: the Poisson tail (areas without history last), then the
    ratio, the count and the names, so ties always fall the same way."""
    unbounded = (frame["baseline"] == 0) & (frame["last"] > 0)
    keys = frame.assign(
        _p=frame["p"].fillna(2.0),
        _ratio=-frame["ratio"].mask(unbounded, np.inf).fillna(-1.0),
        _last=-frame["last"])
    keys = keys.sort_values(["_p", "_ratio", "_last", "country", "area"], kind="stable")
    return keys[COLUMNS].reset_index(drop=True)


def sentence(words: str) -> str:
    """A rule's words as a sentence of the reasons (which several rules may fill)."""
    return words[:1].upper() + words[1:]

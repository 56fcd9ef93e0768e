"""False alarms on flat noise and detection of planted surges, for `dashboard.trends.rising`.

    python benchmarks/rising.py [--flat 500] [--planted 50] [--seeds 4] [--sweep]
                                [--timing-rows 1000000]

Each area is a weekly Poisson series over three years, one region of one of ten
countries, with three actors of its own. Flat areas have rates from 0.2 to 30 incidents a
week (evenly on a log scale); planted areas have the same rates, and in the last period
(the last 28 days for "4w", the last complete month for "month") their rate is tripled,
with a floor: an area with fewer than 12 incidents there gets more, up to 12. Each
incident's date falls at random within its week; the data ends on a Thursday in the
middle of a month, so "month" also has a partial month after its last one.

Prints, for both period kinds, the share of flat areas with any flag (false alarms, with
the share per flag) and the share of planted areas flagged as a surge (detection), pooled
over --seeds seeds; --sweep does the same for other thresholds. Then the time `rising`
takes on a table of --timing-rows rows (median of 3 runs).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import numpy as np
import pandas as pd

from dashboard.trends import Rules, last_period, rising

END = pd.Timestamp("2024-06-20")
WEEKS = 156
FLOOR = 12
COUNTRIES = [f"Country {letter}" for letter in "ABCDEFGHIJ"]


def surge_window(period: str, end: pd.Timestamp = END) -> tuple[pd.Timestamp, pd.Timestamp]:
    return last_period(period, end)


def generate(flat: int, planted: int, period: str, seed: int, weeks: int = WEEKS,
             end: pd.Timestamp = END) -> pd.DataFrame:
    """Incident rows: areas ``Flat 0..`` then ``Planted 0..``, as canonical columns."""
    rng = np.random.default_rng(seed)
    rates = np.concatenate([np.geomspace(0.2, 30, flat), np.geomspace(0.2, 30, planted)])
    names = [f"Flat {i}" for i in range(flat)] + [f"Planted {i}" for i in range(planted)]
    counts = rng.poisson(np.repeat(rates[:, None], weeks, axis=1))
    area = np.repeat(np.arange(len(rates)), counts.sum(1))
    week = np.concatenate([np.repeat(np.arange(weeks), row) for row in counts])
    first_day = end - pd.Timedelta(days=7 * weeks - 1)
    days = week * 7 + rng.integers(0, 7, len(week))
    start, stop = surge_window(period, end)
    extra_area, extra_days = planted_rows(rng, rates[flat:], area, days, (start, stop),
                                          first_day, flat)
    area = np.concatenate([area, extra_area])
    days = np.concatenate([days, extra_days])
    # Text columns as categories, as `dataset.compact` leaves a loaded table.
    groups = [f"Group {a}-{k}" for a in range(len(rates)) for k in range(3)]
    return pd.DataFrame({
        "date": first_day + pd.to_timedelta(days, unit="D"),
        "fatalities": pd.array(rng.geometric(0.4, len(area)) - 1, dtype="Int64"),
        "country": pd.Categorical.from_codes(area % len(COUNTRIES), COUNTRIES),
        "admin1": pd.Categorical.from_codes(area, names),
        "actor": pd.Categorical.from_codes(area * 3 + rng.integers(0, 3, len(area)), groups),
    })


def planted_rows(rng: np.random.Generator, rates: np.ndarray, area: np.ndarray,
                 days: np.ndarray, window: tuple[pd.Timestamp, pd.Timestamp],
                 first_day: pd.Timestamp, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Extra incidents in the window for the planted areas (numbered from ``offset``):
    twice the rate again (so three times in all), then up to `FLOOR` in the window."""
    low, high = ((day - first_day).days for day in window)
    length = high - low + 1
    inside = (days >= low) & (days <= high)
    had = np.bincount(area[inside], minlength=offset + len(rates))[offset:]
    extra = rng.poisson(2 * rates * length / 7)
    extra = np.maximum(extra, FLOOR - had)
    extra_area = np.repeat(np.arange(len(rates)) + offset, extra)
    return extra_area, low + rng.integers(0, length, len(extra_area))


def measure(flat: int, planted: int, period: str, seeds: range, rules: Rules) -> dict:
    """Shares of flat areas with any flag (and per flag) and of planted areas surging."""
    alarms, per_flag, detected, areas = 0, {}, 0, 0
    for seed in seeds:
        result = rising(generate(flat, planted, period, seed), "admin1", period,
                        rules=rules).areas
        is_flat = result["area"].str.startswith("Flat")
        alarms += int((result.loc[is_flat, "flags"].map(len) > 0).sum())
        for flags in result.loc[is_flat, "flags"]:
            for flag in flags:
                per_flag[flag] = per_flag.get(flag, 0) + 1
        detected += int(result.loc[~is_flat, "flags"].map(lambda f: "surge" in f).sum())
        areas += int(is_flat.sum())
    runs = len(seeds)
    return {"false_alarm": alarms / (flat * runs), "detection": detected / (planted * runs),
            "per_flag": {flag: count / (flat * runs) for flag, count in sorted(per_flag.items())},
            "flat_areas": areas}


def timing(rows: int, runs: int = 3) -> tuple[int, float]:
    """Median seconds of `rising` by admin1 on about ``rows`` rows (2,200 areas)."""
    flat = max(1, round(rows / (5.95 * WEEKS) * 500 / 550))
    table = generate(flat, flat // 10, "4w", seed=99)
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        rising(table, "admin1", "4w")
        seconds.append(time.perf_counter() - started)
    return len(table), statistics.median(seconds)


# Each threshold moved on its own (and the surge's two together); the record's guards
# off. (Three years of data: a record of 3 years or more cannot happen here.)
SWEEP = [Rules(max_p=0.01), Rules(min_ratio=1.5), Rules(max_p=0.01, min_ratio=1.5),
         Rules(min_count=5), Rules(record_p=1.0), Rules(record_p=1.0, record_ratio=1.0)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flat", type=int, default=500)
    parser.add_argument("--planted", type=int, default=50)
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--timing-rows", type=int, default=1_000_000)
    options = parser.parse_args(argv)
    seeds = range(1, options.seeds + 1)
    for rules in [Rules(), *(SWEEP if options.sweep else [])]:
        changed = {field.name: getattr(rules, field.name) for field in dataclasses.fields(rules)
                   if getattr(rules, field.name) != getattr(Rules(), field.name)}
        print(f"rules: {changed or 'defaults'}")
        for period in ("4w", "month"):
            found = measure(options.flat, options.planted, period, seeds, rules)
            flags = ", ".join(f"{name} {share:.2%}" for name, share in found["per_flag"].items())
            print(f"  {period:>5}: false alarms {found['false_alarm']:.2%} of "
                  f"{found['flat_areas']} flat areas ({flags or 'none'}); "
                  f"surges detected {found['detection']:.1%} of "
                  f"{options.planted * len(seeds)} planted")
    rows, seconds = timing(options.timing_rows)
    print(f"timing: rising(by='admin1', period='4w') on {rows:,} rows: {seconds:.2f} s "
          "(median of 3)")


if __name__ == "__main__":
    main()

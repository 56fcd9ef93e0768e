"""The distance filter's cost: finding the place, and picking the rows within N km.

    python benchmarks/near.py [--rows 1000000] [--runs 5]

Rows are random points over Africa and the Middle East, a tenth without one. Prints
medians of --runs runs: the first look-up of a place text (the geocoder's resolver;
the cache cleared before each run), a cached one, the distance filter over every row
beside the country filter (one `isin`), and the circle's share of the map spec.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
from timing import median_seconds

from dashboard.filters import Filters, matching
from dashboard.gazetteer import load_gazetteer
from dashboard.layers import build_map
from dashboard.vicinity import locate_near, located


def table(rows: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    latitude = rng.uniform(-35, 40, rows)
    latitude[rng.random(rows) < 0.1] = np.nan
    return pd.DataFrame({
        "latitude": latitude, "longitude": rng.uniform(-20, 60, rows),
        "country": pd.Categorical(rng.choice(["Nigeria", "Mali", "Iraq", "Mozambique"],
                                             rows)),
    })



def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rows", type=int, default=1_000_000)
    options.add_argument("--runs", type=int, default=5)
    args = options.parse_args()
    gazetteer = load_gazetteer()
    cold = median_seconds(lambda: locate_near("Palma, Mozambique", 100, gazetteer), args.runs,
                 before=located.cache_clear)
    warm = median_seconds(lambda: locate_near("Palma, Mozambique", 100, gazetteer), args.runs)
    incidents = table(args.rows)
    near = Filters(near=locate_near("Palma, Mozambique", 500, gazetteer))
    country = Filters(countries=("Mozambique",))
    by_distance = median_seconds(lambda: matching(incidents, near), args.runs)
    by_country = median_seconds(lambda: matching(incidents, country), args.runs)
    kept = int(matching(incidents, near).sum())
    spec = build_map(incidents[matching(incidents, near)].assign(fatalities=1), "grid",
                     near=near.near).deck.to_json()
    circle = next(layer for layer in json.loads(spec)["layers"] if layer["id"] == "near")
    print(f"place look-up, first: {cold * 1000:7.1f} ms; cached: {warm * 1e6:6.1f} us "
          f"(medians of {args.runs})")
    print(f"{args.rows:,} rows: within 500 km of Palma {by_distance * 1000:6.1f} ms "
          f"({kept:,} kept); one country {by_country * 1000:6.1f} ms")
    print(f"circle in the map spec: {len(json.dumps(circle, separators=(',', ':'))):,} bytes "
          f"of {len(spec):,}")


if __name__ == "__main__":
    main()

"""Geocoding speed: a large table with few distinct place names, ours beside per-row.

    python benchmarks/geocode_speed.py [--rows 1000000] [--names 20000] [--runs 3]

Rows draw their place from --names real gazetteer places (with the country as hint).
"ours" is `geocode()`, which resolves each distinct (place, admin, country) once;
"per row" resolves every row's query as it comes, the way a row-by-row geocoder works.
Medians of --runs runs.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from timing import median_seconds

from dashboard.gazetteer import load_gazetteer
from dashboard.geocode import QUERY_COLUMNS, geocode, resolve


def table(rows: int, names: int, seed: int = 1) -> pd.DataFrame:
    entries = load_gazetteer().entries
    places = entries[entries["kind"] == "place"].drop_duplicates("name").sample(
        names, random_state=seed)
    pick = np.random.default_rng(seed).integers(0, names, rows)
    return pd.DataFrame({
        "event_id": np.arange(rows).astype(str),
        "place": places["name"].to_numpy()[pick],
        "admin2": pd.NA, "admin1": pd.NA, "country": pd.NA,
        "country_code": places["country_code"].astype(str).to_numpy()[pick],
        "latitude": np.nan, "longitude": np.nan,
        "geo_precision": pd.Categorical([None] * rows),
        "geo_method": pd.Categorical([None] * rows), "geo_ambiguous": False,
    }).astype({c: "string" for c in ["place", "admin2", "admin1", "country", "country_code"]})



def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rows", type=int, default=1_000_000)
    options.add_argument("--names", type=int, default=20_000)
    options.add_argument("--runs", type=int, default=3)
    args = options.parse_args()
    gazetteer = load_gazetteer()
    incidents = table(args.rows, args.names)
    ours = median_seconds(lambda: geocode(incidents, gazetteer), args.runs)
    per_row = median_seconds(lambda: resolve(incidents[QUERY_COLUMNS], gazetteer), 1)
    print(f"{args.rows:,} rows, {args.names:,} distinct names")
    print(f"ours (distinct names once): {ours:6.2f} s median of {args.runs}")
    print(f"per row                   : {per_row:6.2f} s (one run)")
    print(f"ratio per-row / ours      : {per_row / ours:6.1f}x")


if __name__ == "__main__":
    main()

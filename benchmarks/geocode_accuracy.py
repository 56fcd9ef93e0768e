"""How well the offline geocoder places real incident place text.

    python benchmarks/geocode_accuracy.py [--data ../shared/data]

UCDP GED rows carry true coordinates: their place text (`where_coordinates`, with
`country` and `adm_1` as hints) is geocoded as if the coordinates were missing and the
result compared with UCDP's. The Wikipedia list has no coordinates: only how many rows
are placed, and how precisely, can be counted there.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.dataset import load_path
from dashboard.gazetteer import load_gazetteer
from dashboard.geo import distance_km
from dashboard.geocode import geocode

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
UCDP_FILES = [
    "ucdp_ged_iraq_hdx_v19_1.csv",
    "ucdp_ged_nigeria_hdx_v20_1.csv",
    "ucdp_ged_syria_IS_2016_part1.csv",
    "ucdp_ged_syria_IS_2017_2019_part2.csv",
]
WIKIPEDIA_FILE = "wikipedia_terrorist_incidents_1970_2019.csv"


def geocode_blind(incidents: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Geocode as if the file had no coordinates; the result and the seconds it took."""
    blind = incidents.assign(latitude=np.nan, longitude=np.nan, geo_precision=pd.NA,
                             geo_method=pd.NA)
    started = time.perf_counter()
    placed = geocode(blind, load_gazetteer())
    return placed, time.perf_counter() - started


def score_ucdp(path: Path) -> dict:
    incidents = load_path(path).accepted
    placed, seconds = geocode_blind(incidents)
    precise = incidents["where_prec"].str.replace(r"\.0$", "", regex=True).isin(["1", "2"])
    exact = incidents["where_prec"].str.replace(r"\.0$", "", regex=True) == "1"
    error = distance_km(incidents["latitude"], incidents["longitude"], placed["latitude"],
               placed["longitude"])
    return {
        "file": path.name, "rows": len(incidents),
        "prec1_within_25km": float((error[exact] <= 25).mean()),
        "prec12_within_25km": float((error[precise] <= 25).mean()),
        "prec12_median_km": float(np.nanmedian(error[precise])),
        "country_or_better": float((placed["geo_precision"] != "unresolved").mean()),
        "place_level": float(placed["geo_precision"].isin(["place", "exact"]).mean()),
        "distinct_names": int(incidents[["place", "admin1", "country_code"]]
                              .drop_duplicates().shape[0]),
        "lookups_per_s": len(incidents) / seconds,
    }


def score_wikipedia(path: Path) -> dict:
    incidents = load_path(path).accepted
    placed, seconds = geocode_blind(incidents)
    return {
        "file": path.name, "rows": len(incidents),
        "country_or_better": float((placed["geo_precision"] != "unresolved").mean()),
        "place_level": float(placed["geo_precision"].isin(["place", "exact"]).mean()),
        "lookups_per_s": len(incidents) / seconds,
    }


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = options.parse_args()
    load_gazetteer()  # not part of any file's timing
    rows = [score_ucdp(args.data / name) for name in UCDP_FILES]
    rows.append(score_wikipedia(args.data / WIKIPEDIA_FILE))
    table = pd.DataFrame(rows).set_index("file")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.to_string())


if __name__ == "__main__":
    main()

"""How well the offline geocoder places real incident place text.

    python benchmarks/geocode_accuracy.py [--data ../shared/data] [--learned]

--learned adds the places learned from coded files (issue 12): time splits within each
UCDP file (learn from the earlier years' rows, geocode the later ones with their
coordinates removed; Syria: learn from 2016, geocode 2017-19), and across sources (learn
from every UCDP file, geocode the Wikipedia list's rows in Iraq, Syria and Nigeria). The
rows scored never teach.

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
from dashboard.learned import NO_LEARNED, Learned

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
UCDP_FILES = [
    "ucdp_ged_iraq_hdx_v19_1.csv",
    "ucdp_ged_nigeria_hdx_v20_1.csv",
    "ucdp_ged_syria_IS_2016_part1.csv",
    "ucdp_ged_syria_IS_2017_2019_part2.csv",
]
WIKIPEDIA_FILE = "wikipedia_terrorist_incidents_1970_2019.csv"


def geocode_blind(incidents: pd.DataFrame, learned: Learned = NO_LEARNED
                  ) -> tuple[pd.DataFrame, float]:
    """Geocode as if the file had no coordinates; the result and the seconds it took."""
    blind = incidents.assign(latitude=np.nan, longitude=np.nan, geo_precision=pd.NA,
                             geo_method=pd.NA)
    started = time.perf_counter()
    placed = geocode(blind, load_gazetteer(), learned=learned)
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


# (name, file, learn from rows up to this year, or from this other file, score the rest)
TIME_SPLITS = [
    ("Iraq to 2015 / from 2016", "ucdp_ged_iraq_hdx_v19_1.csv", 2015, None),
    ("Nigeria to 2015 / from 2016", "ucdp_ged_nigeria_hdx_v20_1.csv", 2015, None),
    ("Syria 2016 / 2017-19", "ucdp_ged_syria_IS_2017_2019_part2.csv", None,
     "ucdp_ged_syria_IS_2016_part1.csv"),
]
CROSS_COUNTRIES = ["IQ", "SY", "NG"]


def share_within(truth: pd.DataFrame, placed: pd.DataFrame, km: float = 25) -> float:
    """The share of truth's where_prec 1 rows placed within ``km`` of UCDP's point."""
    exact = truth["where_prec"].str.replace(r"\.0$", "", regex=True) == "1"
    error = distance_km(truth["latitude"], truth["longitude"], placed["latitude"],
                        placed["longitude"])
    return float((error[exact] <= km).mean())


def split_rows(data: Path, split: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows that teach and the rows scored of one time split; never the same rows."""
    _, name, year, earlier_file = split
    rows = load_path(data / name).accepted
    if earlier_file:
        return load_path(data / earlier_file).accepted, rows
    years = pd.to_datetime(rows["date"]).dt.year
    return rows[years <= year], rows[years > year]


def score_learned_splits(data: Path) -> pd.DataFrame:
    """Per time split: where_prec 1 rows within 25 km without and with learned places."""
    rows = []
    for split in TIME_SPLITS:
        teaching, scored = split_rows(data, split)
        learned = Learned.from_frames([teaching])
        before, _ = geocode_blind(scored, NO_LEARNED)
        after, seconds = geocode_blind(scored, learned)
        rows.append({"split": split[0], "scored_rows": len(scored),
                     "learned_places": len(learned.places),
                     "prec1_within_25km_before": share_within(scored, before),
                     "prec1_within_25km_after": share_within(scored, after),
                     "placed_as_learned": float((after["geo_method"] == "learned").mean()),
                     "seconds": seconds})
    return pd.DataFrame(rows).set_index("split")


def score_cross_source(data: Path) -> pd.DataFrame:
    """Learn from every UCDP file; the Wikipedia list's rows in Iraq, Syria and Nigeria
    at place level without and with learned places (no truth: precision only)."""
    learned = Learned.from_frames([load_path(data / name).accepted for name in UCDP_FILES],
                                  UCDP_FILES)
    listed = load_path(data / WIKIPEDIA_FILE).accepted
    before, _ = geocode_blind(listed, NO_LEARNED)
    after, _ = geocode_blind(listed, learned)
    rows = []
    for code in CROSS_COUNTRIES:
        # The country as either run found it: most rows name it only in the place text.
        mine = (before["country_code"] == code) | (after["country_code"] == code)
        rows.append({"country": code, "rows": int(mine.sum()),
                     "place_level_before": float(before.loc[mine, "geo_precision"].isin(
                         ["place", "exact"]).mean()),
                     "place_level_after": float(after.loc[mine, "geo_precision"].isin(
                         ["place", "exact"]).mean()),
                     "placed_as_learned": int((after.loc[mine, "geo_method"] == "learned")
                                              .sum())})
    return pd.DataFrame(rows).set_index("country")


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--data", type=Path, default=DEFAULT_DATA)
    options.add_argument("--learned", action="store_true",
                         help="only the learned-places modes: time splits and cross-source")
    args = options.parse_args()
    load_gazetteer()  # not part of any file's timing
    if args.learned:
        with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
            print(score_learned_splits(args.data).to_string())
            print(score_cross_source(args.data).to_string())
        return
    rows = [score_ucdp(args.data / name) for name in UCDP_FILES]
    rows.append(score_wikipedia(args.data / WIKIPEDIA_FILE))
    table = pd.DataFrame(rows).set_index("file")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.to_string())


if __name__ == "__main__":
    main()

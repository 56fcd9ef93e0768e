"""A million incidents, ours beside the plain approach, measured in one run.

    python benchmarks/scale.py [--rows 1000000] [--json]

Writes a synthetic ACLED-style CSV of --rows incidents over real gazetteer towns (40%
without coordinates, so loading means geocoding), then runs each side in a process of
its own (so peak memory is that side's alone):

- ours: `load_path` (read, validate, geocode, save a snapshot), `load_path` again
  (warm: the snapshot), then for each filter in FILTERS what the page does on a filter
  change up to the map: a `Selection`, `build_map` on the columns it needs, and the spec's
  JSON as Streamlit ships it; the same for the areas layer (regions shaded by counts,
  after each row's region is worked out once); then `to_csv_bytes` of every row;
- baseline: pandas `read_csv` (cold and again), then for each filter a boolean mask, a
  pydeck ScatterplotLayer of the filtered rows as row dicts and its JSON, then
  `DataFrame.to_csv`.

Filter times are medians over FILTERS; the spec size is the largest. Ratios are
baseline / ours: above 1, ours is faster or smaller.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pydeck as pdk
import synthetic

from dashboard import areas
from dashboard.dataset import load_path
from dashboard.export import to_csv_bytes
from dashboard.filters import Filters, Selection
from dashboard.layers import build_map, fit_view, map_input

# From everything to a month of one country: aggregated cells down to single points.
FILTERS = [
    Filters(),
    Filters(countries=("Nigeria",)),
    Filters(start=dt.date(2020, 1, 1), end=dt.date(2021, 12, 31),
            countries=("Iraq", "Syria", "Mali")),
    Filters(start=dt.date(2023, 1, 1), end=dt.date(2023, 12, 31)),
    Filters(start=dt.date(2021, 6, 1), end=dt.date(2021, 6, 30), countries=("Mozambique",)),
]
FIGURES = ["cold_load_s", "warm_load_s", "filter_to_spec_s", "spec_bytes", "export_s",
           "peak_memory_mb"]


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, time.perf_counter() - started


def ours(path: Path) -> dict:
    _, cold = timed(lambda: load_path(path))
    table, warm = timed(lambda: load_path(path))
    incidents = table.accepted
    view = fit_view(incidents)  # the page computes it once per table

    def spec(filters: Filters) -> str:
        selection = Selection(incidents, filters)
        names = map_input("points", selection.placed_count())
        return build_map(selection.columns(names), view=view).deck.to_json()

    seconds, sizes = [], []
    for filters in FILTERS:
        text, elapsed = timed(lambda f=filters: spec(f))
        seconds.append(elapsed)
        sizes.append(len(text.encode()))
    _, export = timed(lambda: to_csv_bytes(incidents))
    return {"cold_load_s": cold, "warm_load_s": warm, "rows": len(incidents),
            "filter_to_spec_s": statistics.median(seconds), "spec_bytes": max(sizes),
            "export_s": export, **areas_figures(incidents, view)}


def areas_figures(incidents: pd.DataFrame, view: pdk.ViewState) -> dict:
    """The areas layer as the page builds it: each row's region once per table (cached
    by the page), then per filter a count over the selection and the regions' spec."""
    index, indexing = timed(lambda: areas.index_areas(incidents))

    def spec(filters: Filters) -> str:
        selection = Selection(incidents, filters)
        counts = areas.counted(index, selection.positions)
        return build_map(selection.columns(["latitude", "longitude"]), "areas", view=view,
                         area_counts=counts).deck.to_json()

    seconds, sizes = [], []
    for filters in FILTERS:
        text, elapsed = timed(lambda f=filters: spec(f))
        seconds.append(elapsed)
        sizes.append(len(text.encode()))
    return {"areas_index_s": indexing, "areas_filter_to_spec_s": statistics.median(seconds),
            "areas_spec_bytes": max(sizes)}


def baseline(path: Path) -> dict:
    _, cold = timed(lambda: pd.read_csv(path))
    frame, warm = timed(lambda: pd.read_csv(path, parse_dates=["event_date"]))
    seconds, sizes = [], []

    def spec(filters: Filters) -> str:
        keep = pd.Series(True, index=frame.index)
        if filters.start:
            keep &= frame["event_date"].between(pd.Timestamp(filters.start),
                                                pd.Timestamp(filters.end))
        if filters.countries:
            keep &= frame["country"].isin(filters.countries)
        shown = frame[keep].dropna(subset=["latitude", "longitude"])
        layer = pdk.Layer("ScatterplotLayer", data=shown.to_dict("records"),
                          get_position=["longitude", "latitude"], get_radius=5000,
                          pickable=True)
        return pdk.Deck(layers=[layer]).to_json()

    for filters in FILTERS:
        text, elapsed = timed(lambda f=filters: spec(f))
        seconds.append(elapsed)
        sizes.append(len(text.encode()))
    _, export = timed(lambda: frame.to_csv(index=False).encode())
    return {"cold_load_s": cold, "warm_load_s": warm, "rows": len(frame),
            "filter_to_spec_s": statistics.median(seconds), "spec_bytes": max(sizes),
            "export_s": export}


def run_side(side: str, path: Path) -> dict:
    """One side in a fresh process, with an empty snapshot folder of its own."""
    with tempfile.TemporaryDirectory() as home:
        done = subprocess.run(
            [sys.executable, __file__, "--side", side, "--file", str(path)],
            capture_output=True, text=True, check=True,
            env={**os.environ, "DASHBOARD_HOME": home})
    return json.loads(done.stdout)


def table(results: dict[str, dict]) -> str:
    lines = [f"{'':18}{'ours':>12}{'baseline':>12}{'baseline/ours':>15}"]
    for figure in FIGURES:
        mine, theirs = results["ours"][figure], results["baseline"][figure]
        lines.append(f"{figure:18}{mine:12,.3f}{theirs:12,.3f}{theirs / mine:14.1f}x"
                     if figure != "spec_bytes" else
                     f"{figure:18}{mine:12,.0f}{theirs:12,.0f}{theirs / mine:14.1f}x")
    return "\n".join(lines)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rows", type=int, default=1_000_000)
    options.add_argument("--json", action="store_true", help="print one JSON object")
    options.add_argument("--side", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    options.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = options.parse_args()
    if args.side:
        figures = (ours if args.side == "ours" else baseline)(args.file)
        figures["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = synthetic.write(Path(folder) / f"incidents_{args.rows}.csv", args.rows)
        size = path.stat().st_size
        results = {side: run_side(side, path) for side in ("ours", "baseline")}
    results["ratios"] = {f: results["baseline"][f] / results["ours"][f] for f in FIGURES}
    results["rows"], results["file_bytes"] = args.rows, size
    if args.json:
        print(json.dumps(results))
    else:
        print(f"{args.rows:,} rows, {size / 1e6:.0f} MB CSV, {os.cpu_count()} cores; "
              f"filter times are medians over {len(FILTERS)} filters")
        print(table(results))
        mine = results["ours"]
        print(f"areas layer: each row's region {mine['areas_index_s']:.2f} s once per table; "
              f"filter change to spec {mine['areas_filter_to_spec_s']:.3f} s (median); "
              f"largest spec {mine['areas_spec_bytes'] / 1e6:.2f} MB")


if __name__ == "__main__":
    main()

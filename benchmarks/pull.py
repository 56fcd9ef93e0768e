"""What a later pull costs at the copy's end: applying the changes to a big local copy,
writing it, reading it back (network time aside: that is the source's).

    python3 benchmarks/pull.py [--rows 1000000] [--changes 20000] [--runs 3]

A copy of N ACLED-layout events (benchmarks/synthetic.py, all text as a pull stores it)
takes a week's changes: half revised (fatalities), half new, and a quarter as many
deleted. Prints the median of the runs for each step, and the per-event rate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import incidents
from timing import median_seconds

from dashboard import pulled

ID = "event_id_cnty"


def week_of_changes(copy: pd.DataFrame, changes: int) -> tuple[pd.DataFrame, set[str]]:
    revised = copy.sample(changes // 2, random_state=1).assign(
        fatalities=lambda f: (pd.to_numeric(f["fatalities"]) + 1).astype(str))
    new = copy.sample(changes - changes // 2, random_state=2).assign(
        **{ID: lambda f: "NEW" + f[ID]})
    deleted = set(copy[ID].sample(changes // 4, random_state=3))
    return pd.concat([revised, new], ignore_index=True), deleted


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--rows", type=int, default=1_000_000)
    options.add_argument("--changes", type=int, default=20_000)
    options.add_argument("--runs", type=int, default=3)
    args = options.parse_args()
    copy = incidents(args.rows).astype(str)
    copy[ID] = [f"E{i}" for i in range(len(copy))]
    received, deleted = week_of_changes(copy, args.changes)
    question = pulled.Question("acled", ("synthetic",))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "copy.parquet"
        after, report = pulled.apply(copy, received, deleted, ID, complete=False)
        kept = pulled.record(None, question, ID, after, report, {}, len(received))
        timings = {
            "apply": median_seconds(lambda: pulled.apply(copy, received, deleted, ID,
                                                         complete=False), args.runs),
            "write_copy": median_seconds(lambda: pulled.write_copy(path, kept), args.runs),
            "read_copy": median_seconds(lambda: pulled.read_copy(path), args.runs),
            "read_history_only": median_seconds(
                lambda: pulled.read_copy(path, events=False), args.runs),
        }
        size = path.stat().st_size
    print(f"copy {args.rows:,} events, {len(copy.columns)} columns, {size / 1e6:.1f} MB; "
          f"changes: {report.summary()}")
    for step, seconds in timings.items():
        print(f"  {step:18} {seconds:8.3f} s  ({args.rows / seconds:,.0f} events/s)")


if __name__ == "__main__":
    main()

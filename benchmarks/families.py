"""Actor families: the cost of naming each incident's family at load.

    python benchmarks/families.py [--rows 1000000] [--names 5000] [--runs 5]

Rows draw their actor and target from --names distinct names (the synthetic ACLED
actors, real IS and al-Qaeda spellings and numbered militias, as a large ACLED export
holds thousands); `families_of` matches each distinct name once against the alias table.
Prints the medians of --runs runs: reading the table, and naming a million rows' families.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from synthetic import ACTORS
from timing import median_seconds

from dashboard.actors import families_of, read_families


def table(rows: int, names: int, seed: int = 1) -> pd.DataFrame:
    pool = (ACTORS + ["ISWAP", "IS", "AQIM: Al Qaeda in the Islamic Maghreb",
                      "Government of Iraq", "Ahrar al-Sham, HTS, Southern Front"]
            + [f"Communal Militia ({n}) of district {n % 97}" for n in range(names)])[:names]
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"actor": pd.Categorical(np.array(pool)[rng.integers(0, names, rows)]),
                         "target": pd.Categorical(np.array(pool)[rng.integers(0, names, rows)])})



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--names", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    incidents = table(args.rows, args.names)
    families = read_families()
    found = families_of(incidents, families)
    print(f"{args.rows:,} rows, {args.names:,} distinct names, "
          f"{len(families.aliases)} aliases; {int(found.notna().sum()):,} rows in a family")
    print(f"read the alias table: {median_seconds(read_families, args.runs) * 1000:.1f} ms")
    print(f"name the families:    "
          f"{median_seconds(lambda: families_of(incidents, families), args.runs):.2f} s")


if __name__ == "__main__":
    main()

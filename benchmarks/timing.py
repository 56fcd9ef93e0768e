"""How the benchmarks time a piece of work: the median of several runs (this machine is
noisy; a median is steadier than a mean or a best)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_seconds(work: Callable[[], object], runs: int,
                   before: Callable[[], object] | None = None) -> float:
    """The median wall time of ``work`` over ``runs`` runs; ``before`` (untimed) runs
    ahead of each, e.g. to empty a cache so every run is a cold one."""
    seconds = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)

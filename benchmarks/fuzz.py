"""The loader under fuzzing: mutated real files and random blobs through the pipeline.

    python benchmarks/fuzz.py [--seed 17] [--mutated 5000] [--blobs 3000] [--workers 2]

Mutated files start from the bundled sample and, when ../shared/data exists, the heads
of its incident files; each takes one to four mutations (bit flips, inserted quotes, cut
lines, long lines, bare CRs, re-encodings to UTF-16 or cp1252, extra delimiters,
truncation). Blobs are random bytes, or random runs of CSV's own characters, under a
text, JSON or workbook name. Each case goes through a load as the dashboard does one:
`load_path` (read, validate, geocode, snapshot written), `load_path` again (the snapshot
read back), a filter (`Selection`) and the export (`to_csv_bytes`). Printed:

- exceptions other than LoaderError (must be 0);
- records neither loaded nor rejected: for a text file, the records Python's csv module
  finds in the decoded text (blank lines aside, as every reader skips them) against the
  table's rows_in, summed over cases (must be 0);
- warm != cold: the snapshot read back differs from the table it was written from;
- the slowest case, and the most seconds per MB among cases of 100 kB or more (below
  that a case's fixed cost, a few tens of milliseconds, is all a per-MB figure shows).
"""

from __future__ import annotations

import argparse
import collections
import csv
import io
import json
import multiprocessing
import os
import random
import tempfile
import time
from pathlib import Path

from dashboard.dataset import load_path
from dashboard.export import to_csv_bytes
from dashboard.filters import Filters, Selection
from dashboard.gazetteer import DATA_DIR, load_gazetteer
from dashboard.sources import (
    MAX_BYTES,
    RETRY_PASSES,
    SNIFF_BYTES,
    TEXT_SUFFIXES,
    LoaderError,
    decode,
    sniff_delimiter,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
HEAD_LINES = 80  # small files: geocoding each case is what a run spends its time on
FILTERS = Filters(text="a", min_fatalities=1)
TOKENS = [",", ";", "\t", "|", '"', '""', "\n", "\r", "\r\n", " ", "a", "Kabul", "1", "-",
          "2021-06-12", "12/06/2021", "date", "place", "latitude", "é", "\u2028", "#geo"]


def seeds() -> list[bytes]:
    """The files mutations start from: the sample, and heads of the reference files."""
    files = [DATA_DIR / "incidents.csv", *sorted(SHARED_DATA.glob("*.csv"))]
    return [b"".join(path.read_bytes().splitlines(keepends=True)[:HEAD_LINES])
            for path in files if path.is_file()]


def position(data: bytes, rng: random.Random) -> int:
    return rng.randrange(len(data) + 1)


def line_start(data: bytes, rng: random.Random) -> int:
    """Just after a line break or a comma: where a quote opens a quoted cell."""
    starts = [i + 1 for i, byte in enumerate(data[:20_000]) if byte in b"\n,"] or [0]
    return rng.choice(starts)


def insert(data: bytes, at: int, piece: bytes) -> bytes:
    return data[:at] + piece + data[at:]


def flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    at = rng.randrange(len(data))
    return data[:at] + bytes([data[at] ^ (1 << rng.randrange(8))]) + data[at + 1:]


def quote(data: bytes, rng: random.Random) -> bytes:
    return insert(data, line_start(data, rng) if rng.random() < 0.7 else position(data, rng),
                  b'"')


def cut_line(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    if len(lines) < 2:
        return data
    at = rng.randrange(len(lines))
    choice = rng.random()
    if choice < 0.4:
        lines[at] = lines[at].rstrip(b"\r\n")  # joined with the next
    elif choice < 0.7:
        del lines[at]
    else:
        middle = rng.randrange(len(lines[at]) + 1)
        lines[at] = lines[at][:middle] + b"\n" + lines[at][middle:]
    return b"".join(lines)


def long_line(data: bytes, rng: random.Random) -> bytes:
    piece = rng.choice([b"," * rng.choice([100, 5_000, 60_000]),
                        b"x" * rng.choice([11_000, 140_000]),
                        b'2021-01-01,"' + b"y" * 140_000 + b'"'])
    return insert(data, line_start(data, rng), piece + rng.choice([b"\n", b""]))


def bare_cr(data: bytes, rng: random.Random) -> bytes:
    breaks = [i for i, byte in enumerate(data[:20_000]) if byte == ord("\n")]
    if breaks and rng.random() < 0.5:
        at = rng.choice(breaks)
        return data[:at] + b"\r" + data[at + 1:]
    return insert(data, position(data, rng), b"\r")


def reencode(data: bytes, rng: random.Random) -> bytes:
    text = data.decode("utf-8", errors="replace")
    return text.encode(rng.choice(["utf-16", "cp1252"]), errors="replace")


def delimiters(data: bytes, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 5)):
        data = insert(data, position(data, rng), rng.choice([b",", b";", b"\t", b",,,"]))
    return data


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:position(data, rng)]


MUTATIONS = [flip, quote, cut_line, long_line, bare_cr, reencode, delimiters, truncate]


def mutated_case(index: int, seed: int, files: list[bytes]) -> tuple[str, bytes]:
    rng = random.Random(f"{seed}-mutated-{index}")
    data = rng.choice(files)
    for _ in range(rng.randint(1, 4)):
        data = rng.choice(MUTATIONS)(data, rng)
    return f"mutated_{index}.csv", data


def blob_case(index: int, seed: int) -> tuple[str, bytes]:
    rng = random.Random(f"{seed}-blob-{index}")
    suffix = rng.choice([".csv"] * 6 + [".txt", ".tsv", ".json", ".xlsx"])
    if rng.random() < 0.3:
        data = rng.randbytes(rng.randrange(4_000))
    else:
        tokens = rng.choices(TOKENS, k=rng.randrange(1, 600))
        data = "".join(tokens).encode(rng.choice(["utf-8", "utf-8", "utf-16"]))
    return f"blob_{index}{suffix}", data


def count_records(data: bytes) -> int | None:
    """Data records in a text file as Python's csv module reads the decoded text, blank
    lines (empty, or spaces and tabs other than the delimiter) aside; None when the
    bytes are not text. A quote left open to the end makes its record one, and the
    count goes on after the quote's line, as many times as the loader starts again."""
    try:
        text = decode(data, "case")
    except LoaderError:
        return None
    delimiter = sniff_delimiter(text[:SNIFF_BYTES])
    blank = {" ", "\t"} - {delimiter}
    lines = io.StringIO(text, newline="").readlines()
    records, first = 0, 0
    for restarts in range(RETRY_PASSES + 1):
        count, broken = csv_pass(lines[first:], delimiter, blank)
        records += count
        if broken is None:
            break
        start, opened = broken
        records += 1
        if first + start == 1 or restarts == RETRY_PASSES:
            break
        first += opened
    return max(records - 1, 0)  # the header


def csv_pass(lines: list[str], delimiter: str, blank: set[str]
             ) -> tuple[int, tuple[int, int] | None]:
    """The non-blank records the csv module reads in ``lines`` whose quotes close; and
    for the last one, when its quote is still open at the end, the line it starts on
    and the line of the quote (1-based)."""
    csv.field_size_limit(MAX_BYTES)
    ended = [*lines[:-1], lines[-1] if lines[-1].endswith(("\n", "\r")) else lines[-1] + "\n",
             "\x00"] if lines else ["\x00"]
    reader = csv.reader(ended, delimiter=delimiter)
    records, start = 0, 0
    for cells in reader:
        if reader.line_num == len(ended):  # the line after the text: alone, or swallowed
            if cells == ["\x00"]:
                return records, None
            # The open cell holds every line break from its quote to the NUL line.
            breaks = cells[-1].count("\n") + cells[-1].count("\r") - cells[-1].count("\r\n")
            return records, (start + 1, reader.line_num - breaks)
        one = lines[start] if reader.line_num == start + 1 else None
        if one is None or not set(one.rstrip("\r\n")) <= blank:
            records += 1
        start = reader.line_num
    return records, None


def difference(cold, warm) -> str | None:
    """Where the table read back from its snapshot differs from the one written: the
    first column whose type or cells differ."""
    for part in ("accepted", "rejected"):
        before, after = getattr(cold, part), getattr(warm, part)
        if list(before.columns) != list(after.columns) or len(before) != len(after):
            return f"{part}: columns or length"
        for name in before.columns:
            if before[name].dtype != after[name].dtype:
                return f"{part}: {name} is {before[name].dtype}, read back {after[name].dtype}"
            if not before[name].equals(after[name]):
                return f"{part}: cells of {name}"
    if (cold.rows_in, cold.layout, cold.warnings) != (warm.rows_in, warm.layout, warm.warnings):
        return "rows_in, layout or warnings"
    return None


def run_case(name: str, data: bytes, folder: Path) -> dict:
    """One file through the pipeline; what happened, and how long it took."""
    path = folder / name
    path.write_bytes(data)
    outcome = {"name": name, "bytes": len(data), "refused": None, "error": None,
               "unaccounted": 0, "warm_cold": None}
    started = time.perf_counter()
    try:
        cold = load_path(path)
        warm = load_path(path)
        to_csv_bytes(Selection(cold.accepted, FILTERS).rows())
    except LoaderError as error:
        outcome["refused"] = str(error).split(":", 1)[-1].strip()[:60]
    except Exception as error:  # what the harness is here to find
        outcome["error"] = f"{type(error).__name__}: {' '.join(str(error).split())[:160]}"
    else:
        if Path(name).suffix in TEXT_SUFFIXES and (expected := count_records(data)) is not None:
            outcome["unaccounted"] = expected - cold.rows_in
        outcome["warm_cold"] = difference(cold, warm)
    outcome["seconds"] = time.perf_counter() - started
    path.unlink()
    return outcome


FILES: list[bytes] = []
FOLDER: Path = Path()


def start_worker(home: str, folder: str) -> None:
    global FILES, FOLDER
    os.environ["DASHBOARD_HOME"] = home  # snapshots of the cases, not the user's
    FILES, FOLDER = seeds(), Path(folder)
    load_gazetteer()  # once per process, not in the first case's time


def run_indexed(task: tuple[str, int, int]) -> dict:
    kind, index, seed = task
    name, data = (mutated_case(index, seed, FILES) if kind == "mutated"
                  else blob_case(index, seed))
    return run_case(name, data, FOLDER)


def run_all(seed: int, mutated: int, blobs: int, workers: int) -> list[dict]:
    tasks = [("mutated", i, seed) for i in range(mutated)] + [
        ("blob", i, seed) for i in range(blobs)]
    with tempfile.TemporaryDirectory() as home, tempfile.TemporaryDirectory() as folder:
        if workers == 1:
            start_worker(home, folder)
            return [run_indexed(task) for task in tasks]
        with multiprocessing.get_context("spawn").Pool(
                workers, initializer=start_worker, initargs=(home, folder)) as pool:
            return pool.map(run_indexed, tasks, chunksize=20)


def summary(outcomes: list[dict]) -> dict:
    errors = [o for o in outcomes if o["error"]]
    lost = [o for o in outcomes if o["unaccounted"]]
    warm_cold = [o for o in outcomes if o["warm_cold"]]
    slowest = max(outcomes, key=lambda o: o["seconds"])
    large = [o for o in outcomes if o["bytes"] >= 100_000]
    per_mb = max(large, key=lambda o: o["seconds"] / o["bytes"], default=None)
    return {
        "cases": len(outcomes),
        "refused": sum(1 for o in outcomes if o["refused"]),
        "exceptions": len(errors),
        "unaccounted_records": sum(abs(o["unaccounted"]) for o in lost),
        "unaccounted_cases": len(lost),
        "warm_ne_cold": len(warm_cold),
        "slowest_s": slowest["seconds"], "slowest_bytes": slowest["bytes"],
        "slowest_name": slowest["name"], "slowest_per_mb_name": per_mb and per_mb["name"],
        "slowest_s_per_mb": per_mb and per_mb["seconds"] / per_mb["bytes"] * 1e6,
        "slowest_per_mb_bytes": per_mb and per_mb["bytes"],
        "examples": {"exceptions": [(o["name"], o["error"]) for o in errors[:5]],
                     "unaccounted": [(o["name"], o["unaccounted"]) for o in lost[:5]],
                     "warm_ne_cold": [(o["name"], o["warm_cold"]) for o in warm_cold[:3]]},
        "refusals": collections.Counter(o["refused"] for o in outcomes
                                        if o["refused"]).most_common(8),
    }


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seed", type=int, default=17)
    options.add_argument("--mutated", type=int, default=5_000)
    options.add_argument("--blobs", type=int, default=3_000)
    options.add_argument("--workers", type=int, default=2)
    args = options.parse_args()
    started = time.perf_counter()
    figures = summary(run_all(args.seed, args.mutated, args.blobs, args.workers))
    print(f"seed {args.seed}: {figures['cases']:,} cases ({args.mutated:,} mutated files from "
          f"{len(seeds())} seeds, {args.blobs:,} blobs) in {time.perf_counter() - started:.0f} s "
          f"with {args.workers} workers; {figures['refused']:,} refused with a LoaderError")
    print(f"exceptions other than LoaderError: {figures['exceptions']}")
    print(f"records neither loaded nor rejected: {figures['unaccounted_records']} "
          f"(in {figures['unaccounted_cases']} cases)")
    print(f"warm != cold: {figures['warm_ne_cold']}")
    print(f"slowest case: {figures['slowest_name']}, {figures['slowest_s']:.2f} s "
          f"({figures['slowest_bytes'] / 1e3:.0f} kB); most per MB among cases of 100 kB or "
          f"more: {figures['slowest_per_mb_name']}, {figures['slowest_s_per_mb'] or 0:.2f} s/MB "
          f"({(figures['slowest_per_mb_bytes'] or 0) / 1e3:.0f} kB)")
    print(json.dumps({"examples": figures["examples"], "refusals": figures["refusals"]},
                     indent=1, ensure_ascii=True))


if __name__ == "__main__":
    main()

"""Time and peak memory of `dashboard check` on hostile files, beside plain pandas.

    python benchmarks/hostile_files.py [--runs 3] [--timeout 30]

Each case runs in a fresh process (so peak memory is that case's own) and prints the
median wall time, the peak resident memory and the exit status; the baseline reads the
same file with plain pandas (`read_csv` / `read_excel`), cut off after --timeout seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OURS = """
import json, resource, sys, time
started = time.perf_counter()
from dashboard.cli import main
import contextlib, io
with contextlib.redirect_stderr(io.StringIO()) as err:
    status = main(["check", sys.argv[1]])
print(json.dumps({"seconds": time.perf_counter() - started, "status": status,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "message": err.getvalue().strip()[:90]}))
"""
BASELINE = """
import json, resource, sys, time
started = time.perf_counter()
import pandas as pd
path = sys.argv[1]
try:
    (pd.read_excel if path.endswith(".xlsx") else pd.read_csv)(path)
    status = 0
except Exception as error:
    status = type(error).__name__
print(json.dumps({"seconds": time.perf_counter() - started, "status": status,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def write_xlsx_bomb(path: Path, rows: int) -> None:
    """A real workbook (Excel and pandas open it) whose one sheet repeats a tiny row."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
            'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            'sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '</Types>'),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
            'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            'Target="worksheets/sheet1.xml"/></Relationships>'),
    }
    row = b'<row><c t="inlineStr"><is><t>2021-01-01</t></is></c></row>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
        for name, text in parts.items():
            book.writestr(name, text)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.'
                        b'openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
            for _ in range(rows // 10_000):
                sheet.write(row * 10_000)
            sheet.write(b"</sheetData></worksheet>")


def make_cases(folder: Path) -> dict[str, Path]:
    cases = {}
    bomb = folder / "bomb.xlsx"
    write_xlsx_bomb(bomb, rows=6_000_000)
    cases["valid xlsx, 6M rows, ~460 MB"] = bomb
    binary = folder / "program.csv"
    binary.write_bytes(bytes(range(256)) * 40_000)  # 10 MB of every byte value
    cases["10 MB binary renamed .csv"] = binary
    empty = folder / "empty.csv"
    empty.write_bytes(b"")
    cases["empty file"] = empty
    long_line = folder / "one_line.csv"
    long_line.write_bytes(b"date,notes\n2021-01-01," + b"x" * 50_000_000 + b"\n")
    cases["50 MB single cell"] = long_line
    ragged = folder / "ragged.csv"
    ragged.write_bytes(b"date,place\n" + b"2021-01-01,Gao,extra\n" * 200_000)
    cases["200k rows longer than header"] = ragged
    sample = (Path(__file__).resolve().parents[1] / "data" / "incidents.csv").read_bytes()
    commas = folder / "commas.csv"
    commas.write_bytes(sample * 22 + b"2021-01-01" + b"," * 1_000_000 + b"\n")
    cases["2 MB, one line of 1M commas"] = commas
    wide = folder / "wide.csv"
    wide.write_bytes(b",".join(b"column%d" % i for i in range(100_000)) + b"\n"
                     + (b"1," * 99_999 + b"1\n") * 4)
    cases["1.7 MB, 100k columns"] = wide
    return cases


def run(script: str, path: Path, timeout: float) -> dict:
    try:
        done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                              text=True, timeout=timeout, check=False)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {"seconds": float("inf"), "status": f"killed after {timeout:.0f} s",
                "peak_mb": float("nan")}


def median_of(script: str, path: Path, runs: int, timeout: float) -> dict:
    results = [run(script, path, timeout) for _ in range(runs)]
    best = results[0]
    best["seconds"] = statistics.median(r["seconds"] for r in results)
    best["peak_mb"] = max(r["peak_mb"] for r in results)
    return best


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=3)
    options.add_argument("--timeout", type=float, default=30)
    options.add_argument("--case", default="", help="only cases whose name contains this")
    args = options.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(f"{'case':32} {'ours s':>8} {'peak MB':>8} {'exit':>5}   "
              f"{'pandas s':>9} {'peak MB':>8}  result")
        for name, path in make_cases(Path(folder)).items():
            if args.case not in name:
                continue
            ours = median_of(OURS, path, args.runs, args.timeout)
            base = median_of(BASELINE, path, 1, args.timeout)
            print(f"{name:32} {ours['seconds']:8.2f} {ours['peak_mb']:8.0f} "
                  f"{ours['status']!s:>5}   {base['seconds']:9.2f} {base['peak_mb']:8.0f}  "
                  f"{base['status']}")
            print(f"{'':32} {ours.get('message', '')}")


if __name__ == "__main__":
    main()

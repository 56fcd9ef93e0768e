"""Time from `streamlit run` to the first rendered map, on the bundled sample.

    python benchmarks/startup.py [--runs 5] [--data FILE]

Each run starts a fresh server (cold: nothing cached, no snapshot on disk) and a fresh
headless Chromium, and
prints: server up (/_stcore/health answers), first map (the deck.gl canvas is in the
page), and the pipeline alone in this process (load + geocode + map spec). Medians last.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_browser import CHROMIUM, CHROMIUM_FLAGS, free_port  # noqa: E402

from dashboard.dataset import SAMPLE_PATH, load_path  # noqa: E402
from dashboard.layers import build_map  # noqa: E402


def one_run(data: Path, home: str) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    with sync_playwright() as playwright:
        # The browser starts first: its own start-up is not the dashboard's.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page()
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
             f"--server.port={port}", "--server.address=127.0.0.1", "--server.headless=true",
             "--server.fileWatcherType=none"],
            env={**os.environ, "DASHBOARD_DATA": str(data), "DASHBOARD_HOME": home}, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = started + 60
            while server.poll() is None and time.perf_counter() < deadline:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                        break
                except OSError:
                    time.sleep(0.05)
            else:
                raise SystemExit("the server did not start within 60 s")
            healthy = time.perf_counter()
            page.goto(url)
            page.wait_for_selector("canvas", timeout=120_000)
            mapped = time.perf_counter()
        finally:
            server.terminate()
            server.wait(timeout=20)
            browser.close()
    return {"server_up_s": healthy - started, "first_map_s": mapped - started}


def pipeline_time(data: Path) -> float:
    started = time.perf_counter()
    build_map(load_path(data).accepted).deck.to_json()
    return time.perf_counter() - started


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--runs", type=int, default=5)
    options.add_argument("--data", type=Path, default=SAMPLE_PATH)
    args = options.parse_args()
    runs = []
    for number in range(args.runs):
        with tempfile.TemporaryDirectory() as home:
            timing = one_run(args.data, home)
        runs.append(timing)
        print(f"run {number + 1}: server up {timing['server_up_s']:.2f} s, "
              f"first map {timing['first_map_s']:.2f} s")
    with tempfile.TemporaryDirectory() as home:
        os.environ["DASHBOARD_HOME"] = home
        print(f"pipeline in-process (cold, first call): {pipeline_time(args.data):.2f} s")
    for key in ("server_up_s", "first_map_s"):
        print(f"median {key}: {statistics.median(run[key] for run in runs):.2f} s")


if __name__ == "__main__":
    main()

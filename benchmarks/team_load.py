"""Twenty people filtering a 100k-row file at once, through the proxy, on one dashboard
server and on two.

    python benchmarks/team_load.py [--sessions 20] [--rows 100000] [--rounds 3] [--servers 1,2]

For each number of servers, deploy/stack starts PostgreSQL, the servers and HAProxy (with
sign-in); one headless Chromium opens the page in as many browser contexts as sessions
(each its own cookies, so the proxy spreads them over the servers). Each round, every
session picks a country in the Countries box at once, then clears it at once; a change
is timed inside its page, from the key press to the Incidents figure showing the new
count. Prints, per number of servers: how the sessions were spread, the median and 95th
percentile of those times, and each server's memory (RSS of its Streamlit process)
after loading and after the rounds. The browser runs on the same machine as the
servers: on a 2-core machine it takes most of the CPU, which the times include.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import synthetic

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_browser import CHROMIUM, CHROMIUM_FLAGS, MAP_CANVAS, countries_box, free_port  # noqa: E402

from dashboard.dataset import load_path  # noqa: E402
from dashboard.filters import Filters, apply_filters  # noqa: E402

USER, PASSWORD = "analyst", "load test"
# Set in the page just before the key press; the observer notes when the figure changes.
WATCH = """want => new Promise(resolve => {
  const started = performance.now();
  const figure = () => [...document.querySelectorAll('[data-testid=stMetric]')]
    .find(m => m.querySelector('label')?.innerText.trim() === 'Incidents')
    ?.querySelector('[data-testid=stMetricValue]')?.innerText.trim();
  window.__took = null;
  const observer = new MutationObserver(() => {
    if (figure() === want) { window.__took = performance.now() - started; observer.disconnect(); }
  });
  observer.observe(document.body, {subtree: true, childList: true, characterData: true});
  resolve();
})"""
TOOK = "() => window.__took"


def resident_mb(group: int) -> float:
    """The largest resident set in the process group: the server's Streamlit (beside it
    is only the small `dashboard run` that started it)."""
    largest = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError, ValueError):
            if os.getpgid(int(status.parent.name)) != group:
                continue
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) / 1024)
    return round(largest)


@contextlib.contextmanager
def stack(data: Path, servers: int, folder: Path):
    hashed = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=PASSWORD,
                            capture_output=True, text=True, check=True).stdout.strip()
    (folder / "passwords").write_text(f"{USER}:{hashed}\n")
    out = (folder / "stack.out").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "stack"), str(data), "--servers", str(servers),
         "--port", str(free_port()), "--passwords", str(folder / "passwords"),
         "--folder", str(folder / "stack")],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    try:
        while "Ready:" not in (folder / "stack.out").read_text():
            if process.poll() is not None:
                sys.exit(f"deploy/stack did not start:\n{(folder / 'stack.out').read_text()}")
            time.sleep(0.5)
        yield json.loads((folder / "stack" / "stack.json").read_text())
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=120)
        out.close()


def change_all(pages, wants: list[str], prepare, press) -> list[float]:
    """On every page, one after another as fast as they take it: ``prepare`` (untimed),
    then ``press``; then each page's time from its own press to its figure showing
    ``wants``."""
    for index, (page, want) in enumerate(zip(pages, wants, strict=True)):
        prepare(page, index)
        page.evaluate(WATCH, want)
        press(page)
    took = []
    for page in pages:
        page.wait_for_function(TOOK, timeout=300_000)
        took.append(page.evaluate(TOOK) / 1000)
    return took


def typed(names: list[str]):
    def prepare(page, index: int) -> None:
        countries_box(page).click()
        page.keyboard.type(names[index])
    return prepare


def enter(page) -> None:
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")  # the open list would cover the box's buttons


def clear(page) -> None:
    countries_box(page).get_by_role("button", name="Clear all").click()


def run(data: Path, servers: int, sessions: int, rounds: int, counts: dict[str, int],
        total: int) -> dict:
    from playwright.sync_api import sync_playwright

    names = list(counts)
    with tempfile.TemporaryDirectory() as folder, stack(data, servers, Path(folder)) as up, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        credentials = {"username": USER, "password": PASSWORD}
        # One session loads the file on every server first (the snapshot folder is
        # shared, so the second reads the first's snapshot), as a desk's morning would.
        for server in up["servers"]:
            context = browser.new_context(http_credentials=credentials)
            context.add_cookies([{"name": "DASHBOARD_SERVER", "value": server["name"],
                                  "url": up["url"]}])
            page = context.new_page()
            page.goto(up["url"])
            page.wait_for_selector(MAP_CANVAS, timeout=600_000)
            context.close()
        loaded = {s["name"]: resident_mb(s["pid"]) for s in up["servers"]}

        contexts = [browser.new_context(http_credentials=credentials,
                                        viewport={"width": 1400, "height": 1000})
                    for _ in range(sessions)]
        pages = []
        for context in contexts:  # one at a time: leastconn sees each one's connection
            page = context.new_page()
            page.goto(up["url"])
            page.wait_for_selector(MAP_CANVAS, timeout=600_000)
            pages.append(page)
        spread: dict[str, int] = {}
        for context in contexts:
            (name,) = [c["value"] for c in context.cookies() if c["name"] == "DASHBOARD_SERVER"]
            spread[name] = spread.get(name, 0) + 1

        took = []
        for round_ in range(rounds):
            chosen = [names[(i + round_) % len(names)] for i in range(sessions)]
            took += change_all(pages, [f"{counts[n]:,}" for n in chosen], typed(chosen), enter)
            took += change_all(pages, [f"{total:,}"] * sessions, lambda *_: None, clear)
        after = {s["name"]: resident_mb(s["pid"]) for s in up["servers"]}
        browser.close()
    took.sort()
    return {"servers": servers, "sessions": sessions, "changes": len(took),
            "spread": spread, "median_s": round(statistics.median(took), 2),
            "p95_s": round(took[int(0.95 * (len(took) - 1))], 2),
            "rss_after_load_mb": loaded, "rss_after_rounds_mb": after}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", default="1,2")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        data = synthetic.write(Path(folder) / "incidents.csv", args.rows)
        incidents = load_path(data).accepted
        # Names no other country's name contains ("Niger" would also find "Nigeria").
        names = [n for n in synthetic.COUNTRIES
                 if not any(n != other and n in other for other in synthetic.COUNTRIES)][:10]
        counts = {n: len(apply_filters(incidents, Filters(countries=(n,)))) for n in names}
        results = [run(data, int(n), args.sessions, args.rounds, counts, len(incidents))
                   for n in args.servers.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.sessions} sessions, {args.rows:,} rows, filter change to new figures:")
    for r in results:
        print(f"  {r['servers']} server(s): median {r['median_s']:.2f} s, 95th percentile "
              f"{r['p95_s']:.2f} s over {r['changes']} changes; sessions per server "
              f"{r['spread']}; RSS after loading {r['rss_after_load_mb']} MB, after the "
              f"rounds {r['rss_after_rounds_mb']} MB")


if __name__ == "__main__":
    main()

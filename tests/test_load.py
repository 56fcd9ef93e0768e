"""Five people on one server at once, on a 100k-row file: each sees their own filter's
rows, and the dataset is held once, not copied per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import synthetic
from test_browser import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    MAP_CANVAS,
    countries_box,
    metric,
    pytestmark,
    start_server,
)

from dashboard.dataset import load_path
from dashboard.filters import Filters, apply_filters

from conftest import ROOT

ROWS = 100_000

assert pytestmark  # the browser tests' skip rule applies here too


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("VmRSS:")]
    return int(line.split()[1]) / 1024


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("load") / "incidents_100k.csv"
    return synthetic.write(path, ROWS)


def test_five_sessions_filter_at_once_and_share_one_dataset(big_file, tmp_path):
    from playwright.sync_api import sync_playwright

    incidents = load_path(big_file).accepted
    dataset_mb = incidents.memory_usage(deep=True).sum() / 2**20
    # Names no other country's name contains ("Mali" would also find "Somalia").
    picks = ["Nigeria", "Iraq", "Syria", "Afghanistan", "Mozambique"]
    expected = {name: len(apply_filters(incidents, Filters(countries=(name,))))
                for name in picks}

    with start_server(big_file, tmp_path) as (url, server), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        first = browser.new_page()
        first.goto(url)
        first.wait_for_selector(MAP_CANVAS, timeout=180_000)  # loads and caches the file
        loaded_mb = resident_mb(server.pid)

        pages = [browser.new_context().new_page() for _ in picks]
        for page in pages:
            page.goto(url)
        for page in pages:
            page.wait_for_selector(MAP_CANVAS, timeout=180_000)
        for page, name in zip(pages, picks, strict=True):  # all five change at once
            countries_box(page).click()
            page.keyboard.type(name)
            page.keyboard.press("Enter")
        for page, name in zip(pages, picks, strict=True):
            page.wait_for_function(
                "n => [...document.querySelectorAll('[data-testid=stMetric]')].some("
                "m => m.innerText.includes('Incidents') && m.innerText.includes(n))",
                arg=f"\n{expected[name]:,}", timeout=180_000)
        assert [metric(page, "Countries") for page in pages] == ["1"] * 5
        assert metric(first, "Incidents") == f"{len(incidents):,}"  # untouched by the others
        sessions_mb = resident_mb(server.pid)
        browser.close()

    growth = sessions_mb - loaded_mb
    figures = {"dataset_mb": round(dataset_mb, 1), "server_after_load_mb": round(loaded_mb),
               "server_after_5_sessions_mb": round(sessions_mb),
               "growth_per_session_mb": round(growth / 5, 1)}
    (ROOT / "test-artifacts").mkdir(exist_ok=True)
    (ROOT / "test-artifacts" / "load-memory.json").write_text(json.dumps(figures))
    assert growth / 5 < dataset_mb, figures

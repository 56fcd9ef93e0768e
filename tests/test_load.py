"""Five people on one server at once, on a 100k-row file: each sees their own filter's
rows, and the dataset is held once, not copied per session."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_browser import CHROMIUM, CHROMIUM_FLAGS, MAP_CANVAS, metric, pytestmark, start_server

from dashboard.dataset import load_path
from dashboard.filters import Filters, apply_filters
from dashboard.gazetteer import load_gazetteer

from conftest import ROOT

COUNTRIES = ["Nigeria", "Iraq", "Syria", "Afghanistan", "Mali", "Niger", "Mozambique",
             "Burkina Faso", "Pakistan", "Somalia"]
ROWS = 100_000

assert pytestmark  # the browser tests' skip rule applies here too


def write_incidents(path, rows: int = ROWS, seed: int = 7) -> None:
    """Incidents over real gazetteer towns of ten countries; half without coordinates."""
    gazetteer = load_gazetteer()
    codes = {gazetteer.country_code(name): name for name in COUNTRIES}
    towns = gazetteer.entries[(gazetteer.entries["kind"] == "place")
                              & gazetteer.entries["country_code"].isin(list(codes))]
    towns = towns.drop_duplicates("name").groupby("country_code", observed=True).head(200)
    rng = np.random.default_rng(seed)
    pick = towns.iloc[rng.integers(0, len(towns), rows)]
    with_point = rng.random(rows) < 0.5
    frame = pd.DataFrame({
        "event_id": [f"e{number}" for number in range(rows)],
        "date": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 2300, rows), "D"),
        "country": pick["country_code"].astype(str).map(codes).to_numpy(),
        "place": pick["name"].to_numpy(),
        "latitude": np.where(with_point, pick["latitude"], np.nan),
        "longitude": np.where(with_point, pick["longitude"], np.nan),
        "fatalities": rng.integers(0, 20, rows),
    })
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def resident_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    (line,) = [line for line in status.splitlines() if line.startswith("VmRSS:")]
    return int(line.split()[1]) / 1024


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("load") / "incidents_100k.csv"
    write_incidents(path)
    return path


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
            page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").click()
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

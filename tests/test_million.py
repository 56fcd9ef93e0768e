"""A million incidents in the app itself: AppTest, then the browser, on one generated file.

What these assert is behaviour (the first map appears, aggregated and small; a country
filter reruns to the right figures). Their timings are written to
test-artifacts/million.json as figures, not bounds: speed is measured, with a baseline
beside it, by benchmarks/scale.py.
"""

from __future__ import annotations

import json
import time

import pytest
import streamlit as st
import synthetic
from playwright.sync_api import sync_playwright
from streamlit.testing.v1 import AppTest
from test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    MAP_CANVAS,
    countries_box,
    metric,
    needs_chromium,
    start_server,
)

from dashboard.dataset import load_path
from dashboard.filters import Filters, Selection

from conftest import ROOT

ROWS = 1_000_000
COUNTRY = "Nigeria"
FIGURES = ARTIFACTS / "million.json"


@pytest.fixture(scope="module")
def million(tmp_path_factory):
    """The file, and a home shared by both tests: the AppTest's cold load leaves the
    snapshot the server then starts from."""
    folder = tmp_path_factory.mktemp("million")
    path = synthetic.write(folder / "incidents_1m.csv", ROWS)
    return path, folder / "home"


def record(figures: dict) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    saved = json.loads(FIGURES.read_text()) if FIGURES.exists() else {}
    FIGURES.write_text(json.dumps({**saved, **figures}, indent=1))


def expected_count(path, monkeypatch, home) -> int:
    monkeypatch.setenv("DASHBOARD_HOME", str(home))
    incidents = load_path(path).accepted  # the snapshot by now: about a second
    return len(Selection(incidents, Filters(countries=(COUNTRY,))))


def test_the_app_opens_a_million_rows_and_filters_them(million, monkeypatch):
    path, home = million
    monkeypatch.setenv("DASHBOARD_HOME", str(home))
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    st.cache_data.clear()
    st.cache_resource.clear()
    started = time.perf_counter()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600).run()
    opened = time.perf_counter() - started
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Incidents"] == f"{ROWS:,}"
    spec = at.get("deck_gl_json_chart")[0].proto.json
    assert len(spec) <= 3_000_000
    (marks,) = [layer for layer in json.loads(spec)["layers"] if layer["id"] != "countries"]
    assert marks["@@type"] == "PolygonLayer"  # counted on a grid, and the page says so
    assert any(caption.value.startswith("Aggregated:") for caption in at.caption)

    expected = expected_count(path, monkeypatch, home)
    started = time.perf_counter()
    at.sidebar.multiselect(key="countries").select(COUNTRY).run()
    rerun = time.perf_counter() - started
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Incidents"] == f"{expected:,}"
    record({"apptest_cold_open_s": round(opened, 2), "apptest_country_rerun_s": round(rerun, 2),
            "spec_bytes_unfiltered": len(spec)})


@pytest.mark.browser
@needs_chromium
def test_the_browser_shows_a_million_rows_and_reruns_a_filter(million, monkeypatch):
    path, home = million
    expected = expected_count(path, monkeypatch, home)
    with start_server(path, home) as (url, _), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        requested = []
        page.on("request", lambda request: requested.append(request.url))
        started = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(MAP_CANVAS, timeout=300_000)
        page.get_by_text("Aggregated:").first.wait_for(timeout=120_000)
        first_map = time.perf_counter() - started
        assert metric(page, "Incidents") == f"{ROWS:,}"

        started = time.perf_counter()
        countries_box(page).click()
        page.keyboard.type(COUNTRY)
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.wait_for_function(
            "n => [...document.querySelectorAll('[data-testid=stMetric]')].some("
            "m => m.innerText.includes('Incidents') && m.innerText.includes(n))",
            arg=f"\n{expected:,}", timeout=120_000)
        rerun = time.perf_counter() - started
        assert metric(page, "Countries") == "1"
        browser.close()
    assert all(request.startswith((url, "data:", "blob:")) for request in requested)
    record({"browser_first_map_s": round(first_map, 2),
            "browser_country_rerun_s": round(rerun, 2)})

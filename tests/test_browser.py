"""The real thing: the app served by Streamlit, driven in Debian's headless Chromium."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect, sync_playwright

from dashboard.dataset import load_path
from dashboard.export import to_csv_bytes
from dashboard.filters import Filters, apply_filters

from conftest import ROOT, SAMPLE

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
MAP_CANVAS = "[data-testid=stDeckGlJsonChart] canvas"
# Without the background-networking flags Chromium keeps dialling out, and this
# machine's closed network refuses it many times a second.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"]

needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="no Chromium here (apt-get install -y chromium); CI installs it and runs this",
)
pytestmark = [pytest.mark.browser, needs_chromium]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def start_server(data: Path, home: Path):
    """`streamlit run app.py` on 127.0.0.1 on ``data``; its URL and process."""
    port = free_port()
    # Its own home, so remembered column mappings start empty and stay in ``home``.
    env = {**os.environ, "DASHBOARD_DATA": str(data), "DASHBOARD_HOME": str(home)}
    log = (home / "streamlit.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
         f"--server.port={port}", "--server.address=127.0.0.1", "--server.headless=true",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.3)
        else:
            pytest.fail(f"streamlit did not become healthy; see {log.name}")
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture
def server(tmp_path):
    """The app on the bundled sample; its URL."""
    with start_server(SAMPLE, tmp_path) as (url, _):
        yield url


@pytest.fixture
def page():

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1400,
                                                                       "height": 1000})
        yield context.new_page()
        browser.close()


def settle(page) -> None:
    """Wait until no script run is going on: a rerun redraws, and closes, open menus."""
    page.wait_for_timeout(300)  # a rerun the last action started has shown itself by now
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)


def countries_box(page):
    return page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has=page.get_by_text("Countries", exact=True))


def metric(page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label)
    return box.get_by_test_id("stMetricValue").inner_text()


def wait_for_metric(page, label: str, value: str) -> None:
    page.wait_for_function(
        "([label, value]) => [...document.querySelectorAll('[data-testid=stMetric]')].some("
        "m => m.querySelector('label').innerText.trim() === label && "
        "m.querySelector('[data-testid=stMetricValue]').innerText.trim() === value)",
        arg=[label, value], timeout=60_000,
    )


def test_pick_a_country_and_download_exactly_its_rows(server, page, tmp_path):
    incidents = load_path(SAMPLE).accepted
    nigeria = apply_filters(incidents, Filters(countries=("Nigeria",)))
    assert len(nigeria) > 0
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(server)
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    assert metric(page, "Incidents") == f"{len(incidents):,}"

    countries_box(page).click()
    page.keyboard.type("Nigeria")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=stMetric]')].some("
        "m => m.innerText.includes('Incidents') && m.innerText.includes(n))",
        arg=f"\n{len(nigeria):,}", timeout=60_000,
    )
    assert metric(page, "Countries") == "1"
    page.wait_for_selector(MAP_CANVAS, timeout=60_000)
    page.wait_for_load_state("networkidle")
    # Offline by design: outlines and basemap style come from the app's own server.
    assert any(url.endswith("countries.geojson") for url in requested)
    outside = [url for url in requested
               if urlparse(url.removeprefix("blob:")).netloc != urlparse(server).netloc
               and not url.startswith("data:")]
    assert outside == []

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "dashboard-nigeria.png", full_page=True)

    button = page.get_by_role("button", name=re.compile(rf"Download {len(nigeria):,} rows"))
    with page.expect_download(timeout=60_000) as download:
        button.click()
    saved = tmp_path / "download.csv"
    download.value.save_as(saved)
    assert saved.read_bytes() == to_csv_bytes(nigeria)
    assert saved.read_bytes().count(b"\r\n") >= len(nigeria) + 1


BAD_UPLOAD = ("event_id,date,country,place,fatalities\n"
              "u1,2021-06-12,Afghanistan,Kabul,7\n"
              "u2,not a date,Iraq,Mosul,1\n"
              "u3,,Nigeria,Maiduguri,2\n"
              "u4,12 June 2021,Nigeria,Monguno,3\n")


def test_upload_with_bad_rows_shows_why_and_offers_them(server, page, tmp_path):
    sample_rows = len(load_path(SAMPLE).accepted)
    upload = tmp_path / "field_notes.csv"
    upload.write_text(BAD_UPLOAD)

    page.goto(server)
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    page.get_by_test_id("stSidebar").locator("input[type=file]").set_input_files(upload)

    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("2 rows not loaded").wait_for(timeout=60_000)
    assert sidebar.get_by_text("2: date missing or not recognised").is_visible()
    wait_for_metric(page, "Incidents", "2")  # the upload alone: the sample is not mixed in
    sidebar.get_by_text("Keep the loaded dataset beside the added files").click()
    wait_for_metric(page, "Incidents", f"{sample_rows + 2:,}")
    with page.expect_download(timeout=60_000) as download:
        sidebar.get_by_role("button", name="Download rejected rows").click()
    saved = tmp_path / "rejected.csv"
    download.value.save_as(saved)
    header, *rejected = csv.reader(io.StringIO(saved.read_text(), newline=""))
    assert header[:7] == ["event_id", "date", "country", "place", "fatalities", "row", "reason"]
    assert [row[0] for row in rejected] == ["u2", "u3"]


def test_unknown_columns_are_asked_for_once_and_remembered(server, page, tmp_path):
    upload = tmp_path / "notizen.csv"
    upload.write_text("Wann,Ort,Tote\n2021-06-12,Kabul,7\n2021-03-24,Palma,\n")

    page.goto(server)
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.locator("input[type=file]").set_input_files(upload)
    sidebar.get_by_text("Columns of notizen.csv").wait_for(timeout=60_000)
    for field, column in (("date", "Wann"), ("place", "Ort"), ("fatalities", "Tote")):
        box = sidebar.get_by_test_id("stSelectbox").filter(
            has=page.get_by_text(field, exact=True))
        settle(page)
        # Mid-screen: at the viewport's foot the menu has no room to open.
        box.evaluate("element => element.scrollIntoView({block: 'center'})")
        box.click()
        page.get_by_role("option", name=column, exact=True).click()
        expect(box.locator("input")).to_have_value(column)
    sidebar.get_by_role("button", name="Use these columns").click()
    wait_for_metric(page, "Incidents", "2")
    saved = json.loads((tmp_path / "column_mappings.json").read_text())
    assert list(saved.values()) == [{"date": "Wann", "place": "Ort", "fatalities": "Tote"}]


def test_hostile_cells_run_nothing_in_the_page(tmp_path, page):
    """Payloads in every visible field, tooltips shown by moving over every point: no
    dialog opens, no script runs, no request leaves the server."""
    from test_hostile import PAYLOADS

    rows = ["event_id,date,country,place,actor,notes,source_url"]
    for number, payload in enumerate(PAYLOADS[:-1]):  # all but the 10k-character one
        cell = '"' + payload.replace('"', '""') + '"'
        rows.append(f"p{number},2021-06-12,Nigeria,{cell},{cell},{cell},{cell}")
    data = tmp_path / "payload.csv"
    data.write_text("\n".join(rows) + "\n")
    dialogs, requested = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requested.append(request.url))
    page.add_init_script("window.__pwned = 0; window.alert = () => { window.__pwned += 1; };")

    with start_server(data, tmp_path) as (url, _):
        page.goto(url)
        canvas = page.locator(MAP_CANVAS).first
        canvas.wait_for(timeout=90_000)
        expect(page.get_by_test_id("stMetric").first).to_contain_text(f"{len(PAYLOADS) - 1}")
        box = canvas.bounding_box()
        for x in range(20, int(box["width"]), 40):  # sweep the map: every tooltip opens
            for y in range(20, int(box["height"]), 40):
                page.mouse.move(box["x"] + x, box["y"] + y)
        # All rows sit on one point (their places are nonsense, so Nigeria's own point):
        # the view is centred on it, and its tooltip shows a payload as plain text.
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tooltip = page.locator(".deck-tooltip")
        expect(tooltip).to_contain_text("Nigeria", timeout=10_000)
        shown = tooltip.inner_text()
        assert any(payload in shown for payload in PAYLOADS), shown
        # Wrapped narrower than the map, its precision first: seen whatever the edge cuts.
        assert shown.startswith("Placed at: "), shown
        assert tooltip.bounding_box()["width"] <= 320
        assert tooltip.locator("script, img, a").count() == 0
        assert page.evaluate("window.__pwned") == 0
        assert dialogs == []
        assert all(urlparse(u.removeprefix("blob:")).netloc == urlparse(url).netloc
                   or u.startswith("data:") for u in requested)


def screen_point(view, box: dict, latitude: float, longitude: float) -> tuple[float, float]:
    """Where deck.gl draws a place, for a view (Web Mercator, 512-pixel world at zoom 0)."""
    import math

    def world(lat: float, lon: float) -> tuple[float, float]:
        scale = 512 * 2 ** view.zoom
        y = (1 - math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)) / math.pi) / 2
        return (lon + 180) / 360 * scale, y * scale

    x, y = world(latitude, longitude)
    x0, y0 = world(view.latitude, view.longitude)
    return box["x"] + box["width"] / 2 + x - x0, box["y"] + box["height"] / 2 + y - y0


def test_a_link_opens_its_view_playback_steps_and_a_click_shows_the_record(server, page):
    from dashboard.layers import fit_view

    incidents = load_path(SAMPLE).accepted
    filters = Filters(start=dt.date(2020, 1, 1), end=dt.date(2021, 6, 30),
                      countries=("Mozambique",))
    shown = apply_filters(incidents, filters)
    assert len(shown) > 1
    page.goto(f"{server}/?country=Mozambique&start=2020-01-01&end=2021-06-30&layer=heatmap")
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    settle(page)
    assert metric(page, "Incidents") == f"{len(shown):,}"
    assert "layer=heatmap" in page.url

    # A filter change rewrites the link: here the layer, back to single points.
    page.get_by_test_id("stSidebar").get_by_text("Points", exact=True).click()
    page.wait_for_url(re.compile(r"layer=points"), timeout=60_000)
    settle(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "dashboard-mozambique.png", full_page=True)

    # Playback: month by month through the period, the figures following.
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_text(re.compile(r"month 1 of 18"))).to_be_visible(timeout=60_000)
    wait_for_step(page, 3)
    page.get_by_role("button", name="Pause").click()
    settle(page)
    page.get_by_role("button", name="Stop").click()
    settle(page)
    expect(page.get_by_text(re.compile(r"month \d+ of 18"))).to_have_count(0)
    assert metric(page, "Incidents") == f"{len(shown):,}"

    # A click on a point opens that incident's full record.
    placed = shown.dropna(subset=["latitude"]).iloc[0]
    canvas = page.locator(MAP_CANVAS).first
    canvas.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    # The map opened framing the incidents the link asked for, and stayed there.
    x, y = screen_point(fit_view(shown), box, placed["latitude"], placed["longitude"])
    page.mouse.move(x, y)
    expect(page.locator(".deck-tooltip")).to_contain_text(placed["place"], timeout=10_000)
    page.mouse.click(x, y)
    expect(page.get_by_text("Selected incident")).to_be_visible(timeout=60_000)
    at_that_point = shown[(shown["latitude"] == placed["latitude"])
                          & (shown["longitude"] == placed["longitude"])]
    page.wait_for_url(re.compile(r"event="), timeout=60_000)
    assert page.url.split("event=")[1].split("&")[0] in set(at_that_point["event_id"])


def point_near(page, x: float, y: float, text: str, reach: int = 24):
    """Where, within ``reach`` pixels of (x, y), hovering shows a tooltip with ``text``."""
    tooltip = page.locator(".deck-tooltip")
    for dx in range(-reach, reach + 1, 4):
        for dy in range(-reach, reach + 1, 4):
            page.mouse.move(x + dx, y + dy)
            if tooltip.is_visible() and text in tooltip.inner_text():
                return x + dx, y + dy
    return None


def test_the_map_stays_where_the_user_moved_it_when_a_filter_changes(server, page):
    from dashboard.layers import fit_view

    incidents = load_path(SAMPLE).accepted
    shown = apply_filters(incidents, Filters(countries=("Mozambique",)))
    placed = shown.dropna(subset=["latitude"]).iloc[0]
    page.goto(f"{server}/?country=Mozambique")
    canvas = page.locator(MAP_CANVAS).first
    canvas.wait_for(timeout=90_000)
    settle(page)
    canvas.evaluate("element => element.scrollIntoView({block: 'center'})")
    box = canvas.bounding_box()
    x, y = screen_point(fit_view(shown), box, placed["latitude"], placed["longitude"])
    assert point_near(page, x, y, placed["place"], reach=0)

    # Drag the map about 120 px left and 60 px up: the point moves with it.
    start = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move(start[0] - 120, start[1] - 60, steps=10)
    page.mouse.up()
    moved = point_near(page, x - 120, y - 60, placed["place"])
    assert moved is not None

    # A filter change redraws the points; the view stays the user's, not the start's.
    page.get_by_text("Hide incidents placed only at country level").click()
    page.wait_for_url(re.compile(r"hide_country_level=1"), timeout=60_000)
    settle(page)
    page.mouse.move(box["x"] + 5, box["y"] + 5)
    assert point_near(page, *moved, placed["place"], reach=0)
    assert point_near(page, x, y, placed["place"], reach=0) is None  # not back at the start


OLD_UPLOAD = ("event_id,date,country,place,fatalities\n"
              "o1,1990-02-01,Iraq,Mosul,3\n"
              "o2,1995-07-01,Iraq,Kirkuk,1\n"
              "o3,2005-03-14,Iraq,Baghdad,2\n"
              "o4,2013-12-31,Nigeria,Maiduguri,4\n")


def test_an_upload_from_1990_is_counted_whole_without_touching_the_period(server, page,
                                                                         tmp_path):
    upload = tmp_path / "since_1990.csv"
    upload.write_text(OLD_UPLOAD)
    page.goto(server)
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    settle(page)
    page.get_by_test_id("stSidebar").locator("input[type=file]").set_input_files(upload)
    wait_for_metric(page, "Incidents", "4")
    settle(page)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_test_id("stSliderThumbValue").first).to_have_text("1990-02-01")
    expect(sidebar.get_by_text(re.compile("leaves out|Link:"))).to_have_count(0)


def wait_for_step(page, step: int) -> None:
    """Until playback has reached ``step`` (a window is on screen for about a second, so
    a slow machine's browser may draw one after its time and skip to the next)."""
    page.wait_for_function(
        "step => [...document.querySelectorAll('strong')].some(e => {"
        "  const m = e.innerText.match(/month (\\d+) of /); return m && +m[1] >= step; })",
        arg=step, timeout=60_000)


def playback_text(page) -> str:
    return page.get_by_text(re.compile(r"^Playback: ")).inner_text()


def test_pause_stops_on_the_window_on_screen(server, page):
    incidents = load_path(SAMPLE).accepted
    page.goto(f"{server}/?country=Mozambique&start=2020-01-01&end=2021-06-30")
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    settle(page)
    for attempt in range(3):  # a Pause was once ignored twice in twelve tries
        page.get_by_role("button", name="Play").click()
        wait_for_step(page, 2 * attempt + 2)
        page.get_by_role("button", name="Pause").click()
        expect(page.get_by_role("button", name="Play")).to_be_visible(timeout=60_000)
        settle(page)
        paused = playback_text(page)
        page.wait_for_timeout(2_500)  # more than two steps at normal speed
        assert playback_text(page) == paused
        # The figures are the window's on screen.
        start, end = re.search(r"Playback: (.+) to (.+) \(", paused).groups()
        shown = apply_filters(incidents, Filters(
            start=dt.datetime.strptime(start, "%d %b %Y").date(),
            end=dt.datetime.strptime(end, "%d %b %Y").date(), countries=("Mozambique",)))
        assert metric(page, "Incidents") == f"{len(shown):,}"


def test_the_grid_at_a_continental_framing_has_cells_one_can_see_and_a_legend(server, page):
    countries = "&".join(f"country={name}" for name in
                         ("Nigeria", "Niger", "Mali", "Burkina%20Faso", "Mozambique"))
    page.goto(f"{server}/?layer=grid&{countries}")
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    settle(page)
    expect(page.get_by_text(re.compile(r"Incidents per 1° cell"))).to_be_visible()
    expect(page.get_by_role("button", name="Zoom In")).to_be_visible()  # named for readers
    page.locator(MAP_CANVAS).first.evaluate(
        "element => element.scrollIntoView({block: 'center'})")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "grid-continental.png")


def test_the_rising_list_and_the_comparison_of_two_periods(tmp_path, page):
    from test_cli import generated_csv

    source = generated_csv(tmp_path / "surge.csv", 12, 2, seed=11)
    compare = "2024-01-01..2024-01-31,2024-05-24..2024-06-20"
    with start_server(source, tmp_path) as (url, _):
        page.goto(f"{url}/?rising_by=admin1&rising_period=4w&compare={compare}")
        page.wait_for_selector(MAP_CANVAS, timeout=90_000)
        settle(page)
        page.wait_for_timeout(15_000)  # the map draws in software
        heading = page.locator("h3", has_text="Rising")
        expect(heading).to_be_visible()
        listed = page.get_by_test_id("stMarkdown").filter(has_text="Planted 1, Country D")
        expect(listed.first).to_contain_text("52-week average for 4 weeks")
        expect(page.get_by_text("Flat 3, Country D")).to_have_count(0)
        # The map's lower half above the list: the list sits just below it.
        heading.evaluate("element => element.scrollIntoView({block: 'center'})")
        page.wait_for_timeout(3_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "rising.png")
        assert f"compare={compare}".replace(",", "%2C") in page.url
        page.get_by_text("Show the difference on a map").click()
        settle(page)
        expect(page.get_by_test_id("stDeckGlJsonChart")).to_have_count(2, timeout=60_000)
        page.wait_for_timeout(15_000)
        expect(page.get_by_text(re.compile(r"Incidents in B minus A, per"))).to_be_visible()
        page.get_by_text(re.compile(r"^A: 01 Jan 2024")).evaluate(
            "element => element.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(3_000)
        page.screenshot(path=ARTIFACTS / "compare.png")


def test_a_near_link_opens_its_rows_inside_a_drawn_circle(server, page):
    import io as bytes_io
    from urllib.parse import quote_plus

    import numpy as np
    from PIL import Image

    from dashboard.layers import bounds, frame, with_circle
    from dashboard.vicinity import locate_near

    incidents = load_path(SAMPLE).accepted
    near = locate_near("Palma, Mozambique", 100)
    shown = apply_filters(incidents, Filters(near=near))
    assert 0 < len(shown) < len(incidents)
    page.goto(f"{server}/?near=Palma,%20Mozambique&km=100")
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    settle(page)
    assert metric(page, "Incidents") == f"{len(shown):,}"
    expect(page.get_by_test_id("stSidebar").get_by_text(
        "Within 100 km of Palma, Mozambique (10.77 S, 40.47 E).")).to_be_visible()
    canvas = page.locator(MAP_CANVAS).first
    canvas.evaluate("element => element.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(15_000)  # the software renderer draws the outlines late
    box = canvas.bounding_box()
    # The circle's red: where it is drawn, and how wide.
    pixels = np.asarray(Image.open(bytes_io.BytesIO(canvas.screenshot())).convert("RGB"),
                        dtype=int)
    red = (pixels[..., 0] > 150) & (pixels[..., 1] < 70) & (pixels[..., 2] < 70)
    rows, columns = np.nonzero(red)
    assert len(rows) > 200, "no circle drawn"
    view = frame(with_circle(bounds(shown), near))
    centre_x, centre_y = screen_point(view, box, near.latitude, near.longitude)
    scale = box["width"] / pixels.shape[1]  # CSS pixels per screenshot pixel
    assert (columns.min() + columns.max()) / 2 * scale + box["x"] == pytest.approx(
        centre_x, abs=6)
    assert (rows.min() + rows.max()) / 2 * scale + box["y"] == pytest.approx(centre_y, abs=6)
    east_x, _ = screen_point(view, box, near.latitude, near.longitude + 100 / (
        111.2 * np.cos(np.radians(near.latitude))))
    assert (columns.max() - columns.min()) / 2 * scale == pytest.approx(east_x - centre_x,
                                                                        rel=0.05)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "near-palma.png")

    # A picked incident sets the filter to its point (the click is in the map's fragment:
    # the sidebar's filters must run again too).
    macomia = incidents[incidents["place"] == "Macomia"].iloc[0]
    page.goto(f"{server}/?event={macomia['event_id']}")
    page.wait_for_selector(MAP_CANVAS, timeout=90_000)
    settle(page)
    page.get_by_role("button", name="Incidents near this one").click()
    point = f"{macomia['latitude']:.5f}, {macomia['longitude']:.5f}"
    page.wait_for_url(re.compile("near=" + re.escape(quote_plus(point))), timeout=60_000)
    settle(page)
    around = locate_near(point)
    assert metric(page, "Incidents") == f"{len(apply_filters(incidents, Filters(near=around))):,}"


NIGERIA = ROOT.parent / "shared" / "data" / "ucdp_ged_nigeria_hdx_v20_1.csv"


@pytest.mark.skipif(not NIGERIA.is_file(), reason=f"reference file {NIGERIA} is absent")
def test_areas_on_the_nigeria_file_shade_regions_and_a_click_filters_to_one(tmp_path, page):
    from dashboard.layers import fit_view

    incidents = load_path(NIGERIA).accepted
    with start_server(NIGERIA, tmp_path) as (url, _):
        page.goto(f"{url}/?layer=areas")
        page.wait_for_selector(MAP_CANVAS, timeout=90_000)
        settle(page)
        page.wait_for_timeout(15_000)  # the software renderer draws the regions
        expect(page.get_by_text(re.compile(r"Incidents per admin-1 region"))).to_be_visible()
        expect(page.get_by_text(re.compile(r"37 admin-1 areas in view"))).to_be_visible()
        canvas = page.locator(MAP_CANVAS).first
        canvas.evaluate("element => element.scrollIntoView({block: 'center'})")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "areas-nigeria.png", full_page=True)

        # Maiduguri lies in Borno: hovering there names the region, a click filters to it.
        x, y = screen_point(fit_view(incidents), canvas.bounding_box(), 11.85, 13.16)
        page.mouse.move(x, y)
        expect(page.locator(".deck-tooltip")).to_contain_text("Borno, Nigeria", timeout=10_000)
        page.mouse.click(x, y)
        page.wait_for_url(re.compile(r"admin1=Borno"), timeout=60_000)
        settle(page)
        borno = int((incidents["admin1"].astype(str).str.startswith("Borno")).sum())
        wait_for_metric(page, "Incidents", f"{borno:,}")
        assert "country=Nigeria" in page.url
        page.screenshot(path=ARTIFACTS / "areas-nigeria-borno.png", full_page=True)

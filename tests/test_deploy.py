"""The team's stack as deploy/stack starts it: HAProxy from Debian's package in front of
two `dashboard run` servers, with PostgreSQL, driven through the proxy in Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b64encode
from glob import glob
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect, sync_playwright
from test_browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_FLAGS,
    MAP_CANVAS,
    countries_box,
    free_port,
    metric,
    pytestmark,
    settle,
)

from dashboard.dataset import load_path
from dashboard.filters import Filters, apply_filters

from conftest import ROOT, SAMPLE

STACK = ROOT / "deploy" / "stack"
USER, PASSWORD = "alice", "correct horse"
COOKIE = "DASHBOARD_SERVER"  # deploy/haproxy.cfg's sticky cookie

assert pytestmark  # the browser tests' skip rule applies here too


def missing() -> str | None:
    if shutil.which("haproxy") is None:
        return "no haproxy here (apt-get install -y haproxy); CI installs it and runs this"
    if not glob("/usr/lib/postgresql/*/bin/initdb"):
        return "no PostgreSQL here (apt-get install -y postgresql); CI installs it"
    return None


pytestmark = [*pytestmark, pytest.mark.skipif(
    missing() is not None and not os.environ.get("CI"), reason=missing() or "")]


def passwords(folder: Path) -> Path:
    hashed = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=PASSWORD,
                            capture_output=True, text=True, check=True).stdout.strip()
    path = folder / "passwords"
    path.write_text(f"{USER}:{hashed}\n")
    return path


@contextlib.contextmanager
def started(folder: Path, *options: str):
    """deploy/stack with ``options``; stack.json's contents once it says Ready."""
    folder.mkdir(parents=True, exist_ok=True)
    output = (folder / "stack.out").open("w+")
    process = subprocess.Popen(
        [sys.executable, str(STACK), "--folder", str(folder / "stack"), *options],
        stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while "Ready:" not in (folder / "stack.out").read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"deploy/stack did not start:\n{(folder / 'stack.out').read_text()}")
            time.sleep(0.5)
        yield json.loads((folder / "stack" / "stack.json").read_text())
    finally:
        process.send_signal(signal.SIGINT)  # as Ctrl-C: it stops what it started
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        output.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stack")
    with started(folder, "--passwords", str(passwords(folder)), "--port", str(free_port()),
                 str(SAMPLE)) as described:
        yield described


@pytest.fixture
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


def signed_in(browser, **options):
    return browser.new_context(http_credentials={"username": USER, "password": PASSWORD},
                               viewport={"width": 1400, "height": 1000}, **options)


def status(url: str, **headers) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def basic(user: str, password: str) -> str:
    return "Basic " + b64encode(f"{user}:{password}".encode()).decode()


def pinned(context) -> str:
    (value,) = [c["value"] for c in context.cookies() if c["name"] == COOKIE]
    return value


def test_the_stack_refuses_the_network_without_sign_in(tmp_path):
    result = subprocess.run([sys.executable, str(STACK), "--address", "0.0.0.0",
                             "--folder", str(tmp_path)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert "refusing to serve 0.0.0.0 without sign-in" in result.stderr
    assert not (tmp_path / "logs").exists()  # nothing was started


def test_sign_in_through_the_proxy_and_the_page_knows_who(stack, browser):
    url = stack["url"]
    assert status(url) == 401
    assert status(url, Authorization=basic(USER, "wrong")) == 401
    assert status(url, Authorization=basic(USER, PASSWORD)) == 200
    assert status(f"{url}/_stcore/health", Authorization=basic(USER, PASSWORD)) == 200
    # The servers listen on 127.0.0.1 only; the proxy is the one door.
    for server in stack["servers"]:
        assert status(f"http://127.0.0.1:{server['port']}/_stcore/health") == 200

    # A browser that says it is someone else is not believed: the proxy drops its header.
    context = signed_in(browser, extra_http_headers={"X-Forwarded-User": "mallory"})
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(MAP_CANVAS, timeout=120_000)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Signed in as alice")).to_be_visible(timeout=30_000)
    assert "mallory" not in sidebar.inner_text()
    assert pinned(context) in {server["name"] for server in stack["servers"]}
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "team-signed-in.png", full_page=True)
    context.close()


# The bundled sample's one place to review: Tabankort (Mali) is placed only at its country.
REVIEWED, REVIEWED_COUNTRY = "Tabankort", "ML"


def on_server(browser, stack, number: int):
    """A signed-in page pinned to the stack's server ``number`` by the proxy's cookie."""
    context = signed_in(browser, accept_downloads=True)
    context.add_cookies([{"name": COOKIE, "value": stack["servers"][number]["name"],
                          "url": stack["url"]}])
    return context, context.new_page()


def opened(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(MAP_CANVAS, timeout=120_000)
    settle(page)


def expander(page, title: str):
    return page.get_by_test_id("stExpander").filter(has_text=title)


def type_a_fix(page, latitude: str, longitude: str) -> None:
    """In the review panel: the sample's one place, typed coordinates (the gazetteer
    offers no candidate for it)."""
    review = expander(page, "Places to review")
    if not review.get_by_label("Latitude").is_visible():  # a click on an open one shuts it
        review.get_by_text("Places to review").click()
    expect(review.get_by_test_id("stDataFrame").locator("table")).to_contain_text(REVIEWED)
    for label, value in (("Latitude", latitude), ("Longitude", longitude)):
        review.get_by_label(label).fill(value)
        review.get_by_label(label).press("Enter")
        settle(page)


def rerun(page) -> None:
    """Streamlit's own shortcut: the session runs the page again, as any click would."""
    page.locator("body").press("r")
    settle(page)


def fixes(stack) -> list[dict]:
    """`dashboard fix --list --json` against the stack's database: what the store holds."""
    listed = subprocess.run(
        [sys.executable, "-m", "dashboard", "fix", "--list", "--json"],
        env={**os.environ, "DASHBOARD_DATABASE_URL": stack["database_url"]},
        capture_output=True, text=True, timeout=120, check=True)
    return json.loads(listed.stdout)


def forget_the_fix(stack) -> None:
    """Leave the store as the module found it (none saved is fine: a test failed first)."""
    subprocess.run([sys.executable, "-m", "dashboard", "fix", "--remove", REVIEWED,
                    "--country", REVIEWED_COUNTRY],
                   env={**os.environ, "DASHBOARD_DATABASE_URL": stack["database_url"]},
                   capture_output=True, timeout=120)


def postgres(stack, action: str) -> None:
    """Stop or start the stack's own PostgreSQL under its running servers."""
    control = stack["postgres"]
    prefix = ["runuser", "-u", control["user"], "--"] if control["user"] else []
    subprocess.run([*prefix, *control[action]], check=True, capture_output=True,
                   timeout=120)


def test_a_fix_saved_on_one_server_is_shown_on_the_other(stack, browser, tmp_path):
    assert fixes(stack) == []
    other, there = on_server(browser, stack, 1)
    opened(there, f"{stack['url']}/?country=Mali")
    expect(expander(there, "Places to review")).to_be_visible()
    expect(expander(there, "Saved fixes")).to_have_count(0)

    one, here = on_server(browser, stack, 0)
    opened(here, stack["url"])
    try:
        type_a_fix(here, "16.0", "0.4")
        here.get_by_role("button", name="Save this fix").click()
        expect(here.get_by_text(f"Saved: {REVIEWED} at 16.00000, 0.40000")).to_be_visible(
            timeout=60_000)
        ARTIFACTS.mkdir(exist_ok=True)
        here.screenshot(path=ARTIFACTS / "team-fix-saved-on-app1.png")

        # The other server's session, at its next run: the fix is in force there.
        rerun(there)
        saved = expander(there, "Saved fixes")
        expect(saved).to_be_visible(timeout=60_000)
        expect(expander(there, "Places to review")).to_have_count(0)
        saved.get_by_text("Saved fixes").click()
        listed = saved.get_by_test_id("stDataFrame").locator("table")
        expect(listed).to_contain_text(REVIEWED, timeout=30_000)
        expect(listed).to_contain_text(USER)
        there.screenshot(path=ARTIFACTS / "team-fix-shown-on-app2.png")
        # Its rows are placed by the fix: what that session downloads says so.
        with there.expect_download() as download:
            there.get_by_role("button", name="rows as CSV").click()
        rows = pd.read_csv(download.value.path())
        (row,) = rows[rows["place"] == REVIEWED].itertuples()
        assert (row.geo_method, row.latitude, row.longitude) == ("manual", 16.0, 0.4)
        # Each stayed on its own server all along.
        assert (pinned(one), pinned(other)) == tuple(s["name"] for s in stack["servers"])
    finally:
        forget_the_fix(stack)
        one.close()
        other.close()


def test_a_fix_saved_while_the_database_is_down_is_refused_and_saved_once_it_is_back(
        stack, browser):
    context, page = on_server(browser, stack, 0)
    opened(page, stack["url"])
    incidents = metric(page, "Incidents")
    type_a_fix(page, "16.0", "0.4")
    postgres(stack, "stop")
    try:
        page.get_by_role("button", name="Save this fix").click()
        refused = page.get_by_text("not saved: the shared store")
        expect(refused).to_be_visible(timeout=60_000)
        said = refused.inner_text().strip()
        assert "\n" not in said
        assert said.startswith("not saved: the shared store at 127.0.0.1:")
        assert "unreachable" in said
        assert stack["database_url"].split(":")[2].split("@")[0] not in said  # no password
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / "team-fix-refused-database-down.png")
        # The page keeps serving what it last read, and says the store is not there.
        rerun(page)
        assert metric(page, "Incidents") == incidents
        expect(page.get_by_test_id("stSidebar").get_by_text("could not be read")).to_be_visible()
        expect(expander(page, "Places to review")).to_be_visible()
    finally:
        postgres(stack, "start")
    try:
        assert fixes(stack) == []  # nothing half-written
        # The same servers, not restarted: the same click saves now.
        type_a_fix(page, "16.0", "0.4")
        page.get_by_role("button", name="Save this fix").click()
        expect(page.get_by_text(f"Saved: {REVIEWED} at 16.00000, 0.40000")).to_be_visible(
            timeout=60_000)
        (fix,) = fixes(stack)
        assert (fix["place"], fix["by"]) == (REVIEWED, USER)
        page.screenshot(path=ARTIFACTS / "team-fix-saved-database-back.png")
    finally:
        forget_the_fix(stack)
        context.close()


def test_a_session_moves_to_the_other_server_when_its_own_dies_and_keeps_its_view(
        stack, browser):
    """Last in this module: it kills one of the stack's two servers."""
    incidents = load_path(SAMPLE).accepted
    nigeria = len(apply_filters(incidents, Filters(countries=("Nigeria",))))
    context = signed_in(browser)
    page = context.new_page()
    page.goto(f"{stack['url']}/?country=Nigeria&layer=heatmap")
    page.wait_for_selector(MAP_CANVAS, timeout=120_000)
    expect(countries_box(page)).to_contain_text("Nigeria")
    assert metric(page, "Incidents") == f"{nigeria:,}"
    first = pinned(context)
    page.screenshot(path=ARTIFACTS / "team-failover-before.png", full_page=True)

    (server,) = [s for s in stack["servers"] if s["name"] == first]
    os.killpg(server["pid"], signal.SIGKILL)  # `dashboard run` and its Streamlit

    # The page notices, reconnects through the proxy, lands on the other server and
    # runs the page again from its URL.
    deadline = time.monotonic() + 120
    while pinned(context) == first:
        assert time.monotonic() < deadline, "the session never moved to the other server"
        page.wait_for_timeout(500)
    page.wait_for_selector(MAP_CANVAS, timeout=120_000)
    expect(countries_box(page)).to_contain_text("Nigeria", timeout=60_000)
    page.wait_for_function(
        "n => [...document.querySelectorAll('[data-testid=stMetric]')].some("
        "m => m.innerText.includes('Incidents') && m.innerText.includes(n))",
        arg=f"\n{nigeria:,}", timeout=60_000)
    assert "country=Nigeria" in page.url
    assert "layer=heatmap" in page.url
    assert metric(page, "Countries") == "1"
    # The new server has the name from the proxy too.
    expect(page.get_by_test_id("stSidebar").get_by_text("Signed in as alice")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "team-failover-after.png", full_page=True)
    context.close()

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

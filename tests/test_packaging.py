"""The wheel built from this repository works on its own, from any folder.

Slow (about a minute): it builds the wheel, installs it into a new virtual environment
outside the checkout and runs the installed `dashboard` from a temporary folder. The venv
sees the system's packages (so nothing is downloaded for the dependencies), which also
hold this checkout's editable install: the test checks that the wheel's copy is the one
imported, so a file missing from the wheel cannot be found in the checkout instead.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from packaging.requirements import Requirement

from dashboard.geocode import distance_km

from conftest import ROOT

pytestmark = pytest.mark.slow

# What the build reads; everything else (.git, a .venv, earlier builds) stays behind.
NOT_BUILT_FROM = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info",
                                        "__pycache__", ".pytest_cache", ".ruff_cache",
                                        "test-artifacts")
BUNDLED = ["app.py", ".streamlit/config.toml", "data/gazetteer.parquet",
           "data/gazetteer_additions.csv", "data/incidents.csv", "data/regions.csv",
           "data/README.md", "static/countries.geojson", "static/basemap-style.json"]


def can_build_here() -> bool:
    """True when the installed setuptools meets pyproject's build requirement and can
    write wheels itself: then the build needs nothing from the package index."""
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    for requirement in map(Requirement, build["requires"]):
        try:
            installed = importlib.metadata.version(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            return False
        if not requirement.specifier.contains(installed, prereleases=True):
            return False
    # setuptools has written wheels itself since 70.1; before, the `wheel` package did.
    setuptools = tuple(int(x) for x in importlib.metadata.version("setuptools").split(".")[:2])
    return setuptools >= (70, 1) or importlib.util.find_spec("wheel") is not None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A venv outside the checkout with the wheel installed; its bin folder and env."""
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=NOT_BUILT_FROM)
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist")]
    if can_build_here():
        build.append("--no-build-isolation")
    # Otherwise pip fetches the build backend (setuptools) from the index, as
    # `pip install -e .` does.
    subprocess.run([*build, str(source)], check=True, timeout=600, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("incident_dashboard-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {f"dashboard/bundle/{name}" for name in BUNDLED} <= names

    bin_dir = tmp / "venv" / "bin"
    env = {name: value for name, value in os.environ.items()
           if name not in {"PYTHONPATH", "DASHBOARD_DATA", "VIRTUAL_ENV"}}
    env["DASHBOARD_HOME"] = str(tmp / "home")
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(tmp / "venv")],
                   check=True, timeout=300, env=env, cwd=tmp)
    # --force-reinstall: pip would otherwise take the checkout's editable install, which
    # the venv sees among the system's packages, for this same version already installed.
    subprocess.run([bin_dir / "python", "-m", "pip", "install", "-q", "--no-deps",
                    "--no-index", "--force-reinstall", str(wheel)],
                   check=True, timeout=300, env=env, cwd=tmp)
    work = tmp / "elsewhere"  # the folder commands are run from: not the checkout
    work.mkdir()
    return bin_dir, env, work


def run(installed, *command: str, timeout: float = 300) -> str:
    bin_dir, env, work = installed
    result = subprocess.run([str(bin_dir / command[0]), *command[1:]], cwd=work, env=env,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result.stdout


def package_facts(installed) -> dict:
    script = ("import json, dashboard; from dashboard.dataset import SAMPLE_PATH; "
              "print(json.dumps({'file': dashboard.__file__, 'root': str(dashboard.ROOT), "
              "'sample': str(SAMPLE_PATH)}))")
    return json.loads(run(installed, "python", "-c", script))


def test_the_wheel_copy_is_imported_and_carries_its_data(installed):
    bin_dir, _, _ = installed
    venv = bin_dir.parent.resolve()
    facts = package_facts(installed)
    for path in facts.values():
        assert Path(path).resolve().is_relative_to(venv), facts
    assert not Path(facts["root"]).resolve().is_relative_to(ROOT.resolve())


def test_version_comes_from_the_package_metadata(installed):
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert run(installed, "dashboard", "--version").strip() == f"dashboard {version}"


def test_commands_work_on_the_bundled_sample_from_another_folder(installed):
    _, _, work = installed
    sample = package_facts(installed)["sample"]
    report = json.loads(run(installed, "dashboard", "check", sample, "--json"))
    assert report["rows_in"] == report["accepted"] > 100
    run(installed, "dashboard", "export", sample, "-o", "nigeria.csv", "--country", "Nigeria")
    lines = (work / "nigeria.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 2
    assert all("Nigeria" in line for line in lines[1:])
    (work / "places.csv").write_text("Ort,Land\nTromsø,Norway\nMosul,Iraq\n",
                                     encoding="utf-8")
    run(installed, "dashboard", "geocode", "places.csv", "-o", "placed.csv",
        "--place-column", "Ort", "--country-column", "Land")
    placed = pd.read_csv(work / "placed.csv")
    cities = pd.DataFrame({"latitude": [69.65, 36.34], "longitude": [18.96, 43.13]})
    away = distance_km(placed["latitude"], placed["longitude"], cities["latitude"],
                       cities["longitude"])
    assert (away < 10).all(), placed[["place", "latitude", "longitude"]]


def test_the_page_script_runs_from_the_wheel(installed):
    script = ("from dashboard import ROOT; from streamlit.testing.v1 import AppTest; "
              "at = AppTest.from_file(str(ROOT / 'app.py'), default_timeout=120).run(); "
              "assert not at.exception, at.exception; "
              "print(len(at.get('deck_gl_json_chart')))")
    assert run(installed, "python", "-c", script).strip() == "1"


def test_dashboard_run_serves_the_page_and_the_outlines(installed):
    bin_dir, env, work = installed
    port = free_port()
    server = subprocess.Popen([str(bin_dir / "dashboard"), "run", "--port", str(port)],
                              cwd=work, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                if fetch(f"{base}/_stcore/health")[0] == 200:
                    break
            assert server.poll() is None, server.stdout.read().decode()
            assert time.monotonic() < deadline, "the server did not answer within 60 s"
            time.sleep(0.5)
        status, page = fetch(f"{base}/")
        assert status == 200
        assert b"<html" in page.lower()
        # The URLs the page's map asks for (layers.OUTLINES_URL, OFFLINE_STYLE_URL).
        status, outlines = fetch(f"{base}/app/static/countries.geojson")
        assert status == 200
        assert json.loads(outlines)["type"] == "FeatureCollection"
        status, style = fetch(f"{base}/app/static/basemap-style.json")
        assert status == 200
        assert json.loads(style)
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # its own session: dashboard and streamlit
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server.stdout.close()

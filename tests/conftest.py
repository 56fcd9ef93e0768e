from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the same examples every time (a failure there can be replayed here).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "incidents.csv"
APP = str(ROOT / "app.py")


def opened(monkeypatch, path, **query):
    """The app on ``path`` (Streamlit's AppTest), opened from a URL with ``query``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=90)
    for name, value in query.items():
        at.query_params[name] = value
    return at.run()
SHARED_DATA = ROOT.parent / "shared" / "data"

needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason=f"reference data folder {SHARED_DATA} is absent"
)


@pytest.fixture
def write_csv(tmp_path):
    """Write text (or bytes) to a file in tmp_path and return its path."""

    def write(content: str | bytes, name: str = "incidents.csv") -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path_factory):
    """Tests choose their data explicitly, and never read or write the user's saved
    choices: a DASHBOARD_DATA in the shell must not leak in, nor ~/.incident-dashboard,
    nor a team's database."""
    monkeypatch.delenv("DASHBOARD_DATA", raising=False)
    monkeypatch.setenv("DASHBOARD_HOME", str(tmp_path_factory.mktemp("home")))
    # Nor a team's shared store or snapshot folder.
    monkeypatch.delenv("DASHBOARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("DASHBOARD_SNAPSHOT_DIR", raising=False)

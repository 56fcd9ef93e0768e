"""The page's "Sources": pull UCDP from a local server into a copy, load it, and see what
the next pull changed (Streamlit's AppTest; the server is real, on 127.0.0.1)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from test_ucdp import fixture_rows
from ucdp_server import Ucdp, api_event, serving

from dashboard import store

from conftest import SAMPLE, opened


def labelled(widgets, label: str):
    (widget,) = [w for w in widgets if w.label == label]
    return widget


def pull(at, countries: str, name: str, token: str):
    labelled(at.selectbox, "Source").set_value("ucdp")
    labelled(at.text_input, "Countries").set_value(countries)
    labelled(at.text_input, "Name of the copy").set_value(name)
    labelled(at.text_input, "UCDP access token (UCDP)").set_value(token)
    labelled(at.button, "Pull").click()
    return at.run()


def said(at) -> str:
    """What the page told the user, without the escapes that keep Markdown out."""
    return unescaped("\n".join(e.value for e in [*at.info, *at.error, *at.warning]))


def unescaped(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_a_copy_pulled_in_the_page_loads_and_its_next_pull_is_reported(monkeypatch):
    release = [api_event(row) for row in fixture_rows()]
    home = Path(os.environ["DASHBOARD_HOME"])
    with serving(Ucdp(versions={"25.1": release})) as server:
        monkeypatch.setenv("DASHBOARD_UCDP_URL", server.url)
        at = opened(monkeypatch, SAMPLE)
        assert not at.exception
        at = pull(at, "Nigeria, Iraq, Syria, DR Congo", "GED test", server.token)
        assert not at.exception, at.exception
        copy = home / "pulls" / "ged-test.parquet"
        assert copy.is_file()
        assert labelled(at.sidebar.multiselect, "Pulled copies").value == [str(copy)]
        assert "ged-test.parquet: UCDP GED (yearly release), pull 1" in said(at)
        assert "20 events (first pull)" in said(at)
        captions = [unescaped(c.value) for c in at.sidebar.caption]
        assert any(c.startswith("ged-test.parquet: ucdp layout, 20 rows read, 20 loaded")
                   for c in captions), captions
        assert copies_learned() == ["UCDP Nigeria, Iraq, Syria, DR Congo"]

        changed = [dict(event) for event in release[1:]]
        changed[0]["best"] += 5
        server.versions["25.1"] = changed
        at = pull(at, "Nigeria, Iraq, Syria, DR Congo", "GED test", server.token)
    assert not at.exception, at.exception
    assert "Since the last pull: 0 new, 1 revised, 1 deleted." in said(at)
    (table,) = [e for e in at.expander
                if unescaped(e.label) == "What the last pull of ged-test.parquet changed"]
    changes = table.dataframe[0].value
    assert sorted(changes["change"]) == ["deleted", "revised"]
    assert changes.loc[changes["change"] == "revised", "field"].tolist() == ["best"]
    assert server.token not in said(at)
    # The new version replaced the one learned from the first pull: its events count once.
    assert copies_learned() == ["UCDP Nigeria, Iraq, Syria, DR Congo"]


def copies_learned() -> list[str]:
    return [file["copy_of"] for file in store.learned_files() if "copy_of" in file]


def test_a_refused_pull_says_so_in_one_line_and_loads_nothing_new(monkeypatch):
    home = Path(os.environ["DASHBOARD_HOME"])
    with serving(Ucdp(versions={"25.1": []})) as server:
        monkeypatch.setenv("DASHBOARD_UCDP_URL", server.url)
        at = pull(opened(monkeypatch, SAMPLE), "Nigeria", "x", "wrong-token")
    assert not at.exception
    assert not (home / "pulls" / "x.parquet").exists()
    assert not [w for w in at.sidebar.multiselect if w.label == "Pulled copies"]
    assert "wrong-token" not in said(at)

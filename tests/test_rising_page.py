"""The rising list and the comparison of two periods: the page (AppTest) on generated
series (the benchmark's, with planted surges) and its link, and the comparison's counts
(`dashboard rising` is tested in test_cli.py)."""

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import rising as bench
from streamlit.testing.v1 import AppTest
from test_cli import HOSTILE, generated_csv

from dashboard.compare import (
    Periods,
    actor_changes,
    area_changes,
    default_periods,
    read_periods,
    written_periods,
)
from dashboard.layers import difference_cells
from dashboard.ui.state import plain

from conftest import opened

# The comparison ------------------------------------------------------------------------

def test_the_default_periods_are_the_last_one_and_the_one_before():
    end = dt.date(2024, 6, 20)
    assert default_periods(end, "4w") == Periods((dt.date(2024, 4, 26), dt.date(2024, 5, 23)),
                                                 (dt.date(2024, 5, 24), dt.date(2024, 6, 20)))
    assert default_periods(end, "month") == Periods(
        (dt.date(2024, 4, 1), dt.date(2024, 4, 30)), (dt.date(2024, 5, 1), dt.date(2024, 5, 31)))


@pytest.mark.parametrize("text", ["2024-01-01..2024-01-31,2024-06-01..2024-06-20",
                                  "2020-02-29..2020-02-29,2019-01-01..2024-12-31"])
def test_the_link_form_round_trips_exactly(text):
    periods, wrong = read_periods(text)
    assert wrong is None
    assert written_periods(periods) == text


@pytest.mark.parametrize(("text", "said"), [
    ("2024-01-01..2024-01-31", "two periods"),
    ("2024-01-01..2024-01-31,2024-02-01..2024-02-30", "YYYY-MM-DD"),
    ("2024-01-31..2024-01-01,2024-02-01..2024-02-03", "ends before it starts"),
    ("yesterday", "YYYY-MM-DD"),
    ("2024-01-01..2024-01-31,2024-02-01..2024-02-03,2024-03-01..2024-03-02", "two periods"),
])
def test_a_bad_link_form_says_what_is_wrong(text, said):
    periods, wrong = read_periods(text)
    assert periods is None
    assert said in wrong


def test_the_comparison_counts_equal_counts_made_independently(tmp_path):
    rows = bench.generate(30, 3, "4w", seed=5)
    periods = Periods((dt.date(2024, 1, 1), dt.date(2024, 1, 31)),
                      (dt.date(2024, 5, 24), dt.date(2024, 6, 20)))
    areas = area_changes(rows, "admin1", periods).set_index("area")
    actors = actor_changes(rows, periods).set_index("actor")
    for (first, last), side in ((periods.a, "a"), (periods.b, "b")):
        inside = rows[(rows["date"] >= pd.Timestamp(first)) & (rows["date"] <= pd.Timestamp(last))]
        by_area = inside["admin1"].astype(str).value_counts()
        by_actor = inside["actor"].astype(str).value_counts()
        assert areas[side].reindex(by_area.index).tolist() == by_area.tolist()
        assert actors[side].reindex(by_actor.index).tolist() == by_actor.tolist()
    assert (areas["change"] == areas["b"] - areas["a"]).all()
    assert areas["change"].abs().is_monotonic_decreasing
    assert areas.index[0] == "Planted 2"  # the busiest planted area changed most
    assert np.allclose(areas["ratio"], areas["b"] / areas["a"].where(areas["a"] > 0),
                       equal_nan=True)


def test_the_difference_map_counts_b_minus_a_per_cell():
    a = pd.DataFrame({"latitude": [1.1, 1.2, 5.1], "longitude": [1.1, 1.2, 5.1]})
    b = pd.DataFrame({"latitude": [1.1] + [9.1] * 40, "longitude": [1.1] + [9.1] * 40})
    cells, size, _ = difference_cells(a, b, zoom=5)
    assert size == 0.25
    assert sorted(cells["weight"].tolist()) == [-1, -1, 40]
    more = cells.loc[cells["weight"] == 40, "colour"].iloc[0]
    fewer = cells.loc[cells["weight"] == -1, "colour"].iloc[0]
    assert more[0] > more[2]
    assert fewer[2] > fewer[0]


# The page ------------------------------------------------------------------------------


def rising_text(at: AppTest) -> str:
    return "\n".join(element.value for element in at.markdown)


@pytest.fixture(scope="module")
def surge_file(tmp_path_factory):
    return generated_csv(tmp_path_factory.mktemp("surge") / "surge.csv", 12, 2, seed=11,
                         hostile=True)


def test_the_page_lists_a_planted_surge_with_its_reason_and_no_flat_area(monkeypatch,
                                                                         surge_file):
    at = opened(monkeypatch, surge_file)
    assert not at.exception
    text = rising_text(at)
    assert "**Planted 1, Country D**" in text
    assert plain("52-week average for 4 weeks") in text
    assert "Flat" not in text
    # The hostile name is text: escaped for Markdown, never a link or an image.
    assert "\\<img src=x onerror=alert\\(1\\)\\>" in text
    assert "](https://evil" not in text
    assert at.query_params["rising_by"] == "admin1"
    assert at.query_params["rising_period"] == "4w"


def test_a_search_that_keeps_nothing_says_the_filters_left_no_incident(monkeypatch,
                                                                         surge_file):
    at = opened(monkeypatch, surge_file, q="zzzzqq-matches-nothing")
    assert not at.exception
    assert "No dated incident passes the filters (the period aside)" in "\n".join(
        element.value for element in at.markdown)


def test_the_link_chooses_by_country_and_month_and_reads_back(monkeypatch, surge_file):
    at = opened(monkeypatch, surge_file, rising_by="country", rising_period="month",
                compare="2023-01-01..2023-06-30,2024-01-01..2024-06-20")
    assert not at.exception
    assert at.radio(key="rising_by").value == "country"
    assert at.radio(key="rising_period").value == "month"
    assert at.query_params["rising_by"] == "country"
    assert at.query_params["rising_period"] == "month"
    assert at.query_params["compare"] == "2023-01-01..2023-06-30,2024-01-01..2024-06-20"
    assert at.date_input(key="compare_a").value == (dt.date(2023, 1, 1), dt.date(2023, 6, 30))
    assert not any("Link:" in info.value for info in at.sidebar.info)
    assert "**Country D**" in rising_text(at)  # by country: no region named


def test_bad_link_values_are_ignored_with_a_notice(monkeypatch, surge_file):
    at = opened(monkeypatch, surge_file, rising_by="district", rising_period="fortnight",
                compare="last week")
    assert not at.exception
    notices = " ".join(info.value for info in at.sidebar.info)
    assert "rising\\_by='district'" in notices or "rising_by" in notices
    assert "fortnight" in notices
    assert "last week" in notices
    assert at.query_params["rising_by"] == "admin1"
    assert "compare" not in at.query_params


def test_the_compare_table_counts_the_chosen_periods(monkeypatch, surge_file):
    at = opened(monkeypatch, surge_file, compare="2024-01-01..2024-01-31,2024-05-24..2024-06-20")
    rows = pd.read_csv(surge_file, parse_dates=["date"])
    shown = {frame.value.columns[0]: frame.value for frame in at.dataframe
             if frame.value.columns[0] in ("Area", "Actor")}
    for (first, last), side in (((dt.date(2024, 1, 1), dt.date(2024, 1, 31)), "A"),
                                ((dt.date(2024, 5, 24), dt.date(2024, 6, 20)), "B")):
        inside = rows[(rows["date"] >= pd.Timestamp(first)) & (rows["date"] <= pd.Timestamp(last))]
        for column, name in (("admin1", "Area"), ("actor", "Actor")):
            counts = inside[column].value_counts()
            table = shown[name].set_index(name)
            assert table[side].reindex(counts.index).tolist() == counts.tolist()
    # The hostile name is shown as it is written, a cell of text.
    assert HOSTILE in shown["Area"]["Area"].tolist()


def test_the_difference_map_draws_on_request(monkeypatch, surge_file):
    at = opened(monkeypatch, surge_file)
    assert len(at.get("deck_gl_json_chart")) == 1
    at.toggle(key="compare_on_map").set_value(True).run()
    assert not at.exception
    spec = json.loads(at.get("deck_gl_json_chart")[1].proto.json)
    (marks,) = [layer for layer in spec["layers"] if layer["id"] != "countries"]
    assert marks["id"] == "difference"

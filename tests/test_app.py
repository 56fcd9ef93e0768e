"""The page as Streamlit runs it (AppTest): no browser, real widgets and elements."""

import datetime as dt
import io
import json
import time

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import store
from dashboard.dataset import load_path
from dashboard.export import to_csv_bytes
from dashboard.filters import Filters, apply_filters
from dashboard.ui.explore import SPEEDS

from conftest import APP, ROOT, SAMPLE, opened

SMALL = """event_id,date,country,place,fatalities,actor,notes
n1,2019-03-01,Nigeria,Maiduguri,4,ISWAP,one
n2,2020-06-13,Nigeria,Monguno,20,ISWAP,two
n3,2021-06-01,Nigeria,Xyzzy-unknown,,ISWAP,three
i1,2016-07-03,Iraq,Baghdad,300,Islamic State,four
a1,2021-06-12,Afghanistan,Kabul,7,ISKP,five
bad,not a date,Iraq,Mosul,1,Islamic State,six
"""


@pytest.fixture
def app(monkeypatch, write_csv):
    """An AppTest of app.py on a file; a fresh cache, as a new server would have."""

    def start(path=None) -> AppTest:
        if path is not None:
            monkeypatch.setenv("DASHBOARD_DATA", str(path))
        st.cache_data.clear()
        st.cache_resource.clear()
        return AppTest.from_file(APP, default_timeout=60).run()

    return start


def map_points(at: AppTest) -> list[dict]:
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    (layer,) = [layer for layer in spec["layers"] if layer["id"] == "incidents"]
    return layer["data"]


def metrics(at: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in at.metric}


def test_sample_opens_with_every_row_accounted_for(app):
    at = app()
    assert not at.exception
    incidents = load_path(SAMPLE).accepted
    figures = metrics(at)
    assert int(figures["Incidents"].replace(",", "")) == len(incidents)
    placed = len(map_points(at))
    assert placed + int(figures["Not on the map"]) == len(incidents)
    assert len(at.dataframe[0].value) == len(incidents)


def test_country_and_period_change_map_table_and_export(app, write_csv):
    at = app(write_csv(SMALL))
    assert not at.exception
    assert metrics(at)["Incidents"] == "5"  # the undated row is rejected, not shown
    assert len(map_points(at)) == 5

    at.sidebar.multiselect[0].select("Nigeria").run()
    at.sidebar.slider[0].set_value((dt.date(2020, 1, 1), dt.date(2021, 6, 12))).run()
    assert not at.exception

    points = map_points(at)
    assert {p["country"] for p in points} == {"Nigeria"}
    assert sorted(p["date"] for p in points) == ["2020-06-13", "2021-06-01"]
    assert metrics(at) == {"Incidents": "2", "Fatalities": "20", "Countries": "1",
                           "Not on the map": "0"}  # Xyzzy falls back to Nigeria's point
    assert at.dataframe[0].value["event_id"].tolist() == ["n2", "n3"]

    filters = Filters(start=dt.date(2020, 1, 1), end=dt.date(2021, 6, 12),
                      countries=("Nigeria",))
    table = load_path(write_csv(SMALL)).accepted
    exported = pd.read_csv(io.BytesIO(to_csv_bytes(apply_filters(table, filters))))
    assert exported["event_id"].tolist() == ["n2", "n3"]


def test_fatalities_not_read_are_a_sidebar_warning(app, write_csv):
    at = app(write_csv(SMALL.replace("Kabul,7,", "Kabul,seven,")))
    warnings = " ".join(w.value for w in at.sidebar.warning)
    assert "1 fatality value could not be read as a count" in warnings
    assert "seven" in warnings


def test_rejected_rows_are_listed(app, write_csv):
    at = app(write_csv(SMALL))
    expander_text = " ".join(m.value for m in at.sidebar.markdown)
    assert "1: date missing or not recognised" in expander_text


def test_unreadable_file_shows_an_error_not_a_traceback(app, write_csv):
    at = app(write_csv(b"", "empty.csv"))
    assert not at.exception
    assert "empty" in at.error[0].value


def test_map_spec_ships_only_what_the_map_needs(app, write_csv):
    at = app(write_csv(SMALL))
    spec = json.loads(at.get("deck_gl_json_chart")[0].proto.json)
    (outlines,) = [layer for layer in spec["layers"] if layer["id"] == "countries"]
    # Outlines and basemap style are URLs on the app's own server, not tiles from a host.
    assert outlines["data"] == "app/static/countries.geojson"
    assert spec["mapStyle"] == "app/static/basemap-style.json"
    for url in (outlines["data"], spec["mapStyle"]):
        assert json.loads((ROOT / url.removeprefix("app/")).read_text())
    point = map_points(at)[0]
    assert set(point) == {"longitude", "latitude", "radius", "colour", "place", "country",
                          "date", "actor", "event_type", "fatalities", "geo_precision", "row"}
    assert "notes" not in json.dumps(spec)


REVIEW = """event_id,date,country,place,fatalities
p1,2021-03-24,,Palma,
p2,2021-03-25,Nigeria,Xyzzyville,1
"""


def test_a_fix_in_the_review_panel_survives_a_restart_and_is_exported(app, write_csv):
    path = write_csv(REVIEW)
    at = app(path)
    labels = at.selectbox(key="review-place").options
    # Palma with no country is ambiguous (Mallorca, Brazil, Mozambique...): listed.
    palma = next(label for label in labels if label.startswith("Palma (no country)"))
    assert "several places have this name" in palma
    assert any(label.startswith("Xyzzyville (Nigeria): placed only at its country")
               for label in labels)
    at.selectbox(key="review-place").select(palma).run()
    mozambique = next(o for o in at.radio(key="review-pick").options
                      if o.startswith("Palma, Mozambique"))
    at.radio(key="review-pick").set_value(mozambique).run()
    at.button(key="review-save").click().run()
    assert not at.exception

    restarted = app(path)  # a new server process would start from the saved file only
    fixed = [p for p in map_points(restarted) if p["place"] == "Palma"]
    assert (round(fixed[0]["latitude"], 2), round(fixed[0]["longitude"], 2)) == (-10.77, 40.47)
    exported = pd.read_csv(io.BytesIO(to_csv_bytes(load_path(
        path, saved=store.read_saved()).accepted)))
    palma_row = exported[exported["event_id"] == "p1"].iloc[0]
    assert (palma_row["geo_method"], palma_row["geo_precision"]) == ("manual", "place")


def test_a_fix_applies_where_the_country_came_from_the_place_text(write_csv):
    from dashboard.gazetteer import load_gazetteer
    from dashboard.geocode import needing_review

    path = write_csv("event_id,date,place\nq1,2021-01-01,\"Qwzxville, Iraq\"\n")
    pending = needing_review(load_path(path).accepted, load_gazetteer())
    (key,) = pending["key"]  # listed with Iraq, learned from the text
    store.save_override(key, {"latitude": 33.1, "longitude": 44.1})
    fixed = load_path(path, saved=store.read_saved()).accepted
    assert (fixed.iloc[0]["geo_method"], fixed.iloc[0]["latitude"]) == ("manual", 33.1)
    assert needing_review(fixed, load_gazetteer()).empty


def test_a_pasted_link_opens_that_view_and_the_link_follows_changes(monkeypatch, write_csv):
    monkeypatch.setenv("DASHBOARD_DATA", str(write_csv(SMALL)))
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["country"] = ["Nigeria", "Atlantis"]
    at.query_params["start"] = "2020-01-01"
    at.query_params["end"] = "2021-06-12"
    at.run()
    assert not at.exception
    assert at.sidebar.multiselect[0].value == ["Nigeria"]
    assert at.sidebar.slider[0].value == (dt.date(2020, 1, 1), dt.date(2021, 6, 12))
    assert metrics(at)["Incidents"] == "2"
    assert any("Atlantis" in info.value for info in at.sidebar.info)  # said, not an error

    at.sidebar.multiselect[0].select("Iraq").run()
    assert at.query_params["country"] == ["Nigeria", "Iraq"]
    assert at.query_params["start"] == "2020-01-01"



def deck_spec(at: AppTest) -> dict:
    return json.loads(at.get("deck_gl_json_chart")[0].proto.json)


@pytest.mark.parametrize(("layer", "deck_type"), [("points", "ScatterplotLayer"),
                                                  ("heatmap", "HeatmapLayer"),
                                                  ("grid", "PolygonLayer"),
                                                  ("hexagons", "ScatterplotLayer")])
def test_each_layer_renders_from_the_url(monkeypatch, layer, deck_type):
    at = opened(monkeypatch, SAMPLE, layer=layer)
    assert not at.exception
    (marks,) = [x for x in deck_spec(at)["layers"] if x["id"] != "countries"]
    assert marks["@@type"] == deck_type
    unknown = layer not in ("points", "heatmap", "grid")
    assert any("layer=" in info.value for info in at.sidebar.info) == unknown
    assert at.query_params["layer"] == ("points" if unknown else layer)


@pytest.mark.parametrize("layer", ["points", "heatmap", "grid"])
def test_a_view_with_nothing_in_it_is_an_empty_map_not_an_error(monkeypatch, write_csv,
                                                                 layer):
    at = opened(monkeypatch, write_csv(SMALL), layer=layer, min_fatalities="100000")
    assert not at.exception
    assert metrics(at)["Incidents"] == "0"
    # The sentence says how many the filters leave out: no row hidden without a word.
    assert at.markdown[0].value.startswith("0 of 5 incidents, 0 fatalities, in 0 countries")


def test_every_filter_comes_from_the_url_and_goes_back_to_it(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(SMALL), country="Nigeria", start="2019-01-01",
                end="2021-12-31", actor="ISWAP", q="two", min_fatalities="5")
    assert not at.exception
    assert at.sidebar.multiselect(key="actors").value == ["ISWAP"]
    assert at.sidebar.text_input(key="text").value == "two"
    assert metrics(at)["Incidents"] == "1"  # n2: Monguno, 20 killed, notes "two"
    assert at.markdown[0].value.startswith("1 of 5 incidents, 20 fatalities, in 1 country")
    at.sidebar.number_input(key="min_fatalities").set_value(25).run()
    assert at.query_params["min_fatalities"] == "25"
    assert metrics(at)["Incidents"] == "0"
    assert not at.exception


def test_the_period_presets_count_back_from_the_last_incident(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(SMALL))
    at.sidebar.button(key="preset-Last 30 days").click().run()
    assert at.sidebar.slider(key="period").value == (dt.date(2021, 5, 14), dt.date(2021, 6, 12))
    assert metrics(at)["Incidents"] == "2"  # n3 (1 June) and a1 (12 June)
    at.sidebar.button(key="preset-All").click().run()
    assert metrics(at)["Incidents"] == "5"


def test_a_link_to_an_incident_opens_its_full_record(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(SMALL), event="a1")
    assert not at.exception
    assert [s.value for s in at.subheader] == ["Selected incident"]
    details = at.dataframe[0].value
    fields = dict(zip(details["field"], details["value"], strict=True))
    assert (fields["place"], fields["actor"], fields["notes"]) == ("Kabul", "ISKP", "five")
    assert fields["geo_method"] == "gazetteer"

    at = opened(monkeypatch, write_csv(SMALL), event="no-such-id")
    assert not at.subheader
    assert any(info.value.startswith("Link: event=") for info in at.info)  # said, no error


def playback_line(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**Playback")]


def next_step(at: AppTest) -> AppTest:
    """A run of the page once the next playback step is due (the timer's run)."""
    time.sleep(SPEEDS["fast"])
    return at.run()


def test_playback_steps_month_by_month_and_the_figures_follow(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(SMALL), start="2021-05-01", end="2021-06-30")
    at.selectbox(key="speed").set_value("fast").run()
    at.button(key="play").click().run()
    assert playback_line(at) == ["**Playback: 1 May 2021 to 31 May 2021 (month 1 of 2, moving)**"]
    assert metrics(at)["Incidents"] == "0"
    at.run()  # a run before the step is due (any click) stays on the window
    assert playback_line(at) == ["**Playback: 1 May 2021 to 31 May 2021 (month 1 of 2, moving)**"]
    next_step(at)
    # The URL's end is clipped to the last incident, 12 June.
    assert playback_line(at) == ["**Playback: 1 Jun 2021 to 12 Jun 2021 (month 2 of 2, moving)**"]
    assert metrics(at)["Incidents"] == "2"
    assert at.button(key="play").label == "Play"  # played through: it stops on the last month
    next_step(at)
    assert playback_line(at) == ["**Playback: 1 Jun 2021 to 12 Jun 2021 (month 2 of 2, moving)**"]
    at.button(key="stop").click().run()
    assert not playback_line(at)
    assert metrics(at)["Incidents"] == "2"  # the chosen period again (May and June)


def test_pause_stays_on_the_window_on_screen(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(SMALL), start="2021-04-01", end="2021-06-30")
    at.selectbox(key="speed").set_value("fast").run()
    at.button(key="play").click().run()
    next_step(at)
    assert playback_line(at)[0].endswith("(month 2 of 3, moving)**")
    time.sleep(SPEEDS["fast"])  # the next step is due when Pause is clicked
    at.button(key="play").click().run()
    assert at.button(key="play").label == "Play"
    assert playback_line(at)[0].endswith("(month 2 of 3, moving)**")
    next_step(at)
    assert playback_line(at)[0].endswith("(month 2 of 3, moving)**")
    assert metrics(at)["Incidents"] == "0"  # the figures of the window on screen (May)
    at.button(key="play").click().run()  # Play again goes on from there
    next_step(at)
    assert playback_line(at)[0].endswith("(month 3 of 3, moving)**")
    assert metrics(at)["Incidents"] == "2"


def test_no_export_is_built_until_a_download_is_clicked(monkeypatch, write_csv):
    from dashboard.ui import outputs as ui

    built = []
    for name in ("to_csv_bytes", "to_geojson_bytes", "provenance"):
        original = getattr(ui, name)
        monkeypatch.setattr(ui, name, lambda *a, f=original, n=name, **k: built.append(n)
                            or f(*a, **k))
    at = opened(monkeypatch, write_csv(SMALL))
    at.sidebar.multiselect(key="countries").select("Nigeria").run()
    assert not at.exception
    assert len(at.get("download_button")) >= 3  # offered, not built: they run on a click
    assert built == []


def test_the_record_closes(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(SMALL), event="a1")
    assert [s.value for s in at.subheader] == ["Selected incident"]
    at.button(key="close-details").click().run()
    assert not at.subheader
    assert "event" not in at.query_params


OLD = """event_id,date,country,place,fatalities
o1,1990-02-01,Iraq,Mosul,3
o2,1995-07-01,Iraq,Kirkuk,1
o3,2013-01-01,Iraq,Baghdad,2
"""


def test_new_data_opens_on_its_whole_period(monkeypatch, write_csv, tmp_path):
    at = opened(monkeypatch, write_csv(SMALL), start="2021-01-01")
    assert metrics(at)["Incidents"] == "2"
    assert any("leaves out 3 incidents of 5" in c.value for c in at.sidebar.caption)
    # Another file (as after an upload): a period chosen for the last one would hide it.
    monkeypatch.setenv("DASHBOARD_DATA", str(write_csv(OLD, "old.csv")))
    at.run()
    assert metrics(at)["Incidents"] == "3"
    assert at.sidebar.slider(key="period").value == (dt.date(1990, 2, 1), dt.date(2013, 1, 1))
    assert not any("leaves out" in c.value for c in at.sidebar.caption)


def test_the_period_says_what_it_leaves_out_and_one_click_shows_it(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(SMALL))
    at.sidebar.slider(key="period").set_value((dt.date(2020, 1, 1), dt.date(2020, 12, 31))).run()
    assert metrics(at)["Incidents"] == "1"
    assert any("leaves out 4 incidents of 5" in c.value for c in at.sidebar.caption)
    at.sidebar.button(key="whole-period").click().run()
    assert metrics(at)["Incidents"] == "5"


def review_typed(at: AppTest, place: str) -> AppTest:
    label = next(o for o in at.selectbox(key="review-place").options if o.startswith(place))
    at.selectbox(key="review-place").select(label).run()
    at.radio(key="review-pick").set_value(at.radio(key="review-pick").options[-1]).run()
    return at


def test_a_typed_fix_needs_both_coordinates_and_zero_zero_is_confirmed(app, write_csv):

    at = review_typed(app(write_csv(SMALL)), "Xyzzy-unknown")
    assert at.number_input(key="fix-latitude").value is None  # empty, not 0
    assert at.button(key="review-save").disabled
    at.number_input(key="fix-latitude").set_value(0.0).run()
    at.number_input(key="fix-longitude").set_value(0.0).run()
    assert at.button(key="review-save").disabled  # 0, 0 is "unknown" in many files
    assert any("0°, 0°" in w.value for w in at.warning)
    at.number_input(key="fix-latitude").set_value(12.5).run()
    at.number_input(key="fix-longitude").set_value(13.25).run()
    at.button(key="review-save").click().run()
    assert not at.exception
    (fix,) = store.read_saved().fixes.values()
    assert (fix["latitude"], fix["longitude"]) == (12.5, 13.25)
    # Shown as plain text: the Markdown escapes are the renderer's, not the user's.
    assert any("Saved: Xyzzy-unknown at 12.50000, 13.25000" in s.value.replace("\\", "")
               for s in at.success)


def test_the_map_frames_the_incidents_when_they_leave_the_view(monkeypatch, write_csv):
    at = opened(monkeypatch, SAMPLE)
    world = deck_spec(at)["initialViewState"]
    at.sidebar.multiselect(key="countries").select("Nigeria").run()
    nigeria = deck_spec(at)["initialViewState"]
    assert nigeria["zoom"] > world["zoom"] + 2
    assert 4 < nigeria["latitude"] < 14
    assert 3 < nigeria["longitude"] < 15
    # A change that leaves the incidents in view keeps the map where the user left it.
    at.sidebar.slider(key="period").set_value((dt.date(2019, 1, 1), dt.date(2021, 6, 12))).run()
    assert deck_spec(at)["initialViewState"] == nigeria
    at.sidebar.multiselect(key="countries").select("Iraq").run()
    both = deck_spec(at)["initialViewState"]
    assert both["zoom"] < nigeria["zoom"]
    at.button(key="refit").click().run()  # "Fit" always sends a view the map moves to
    assert deck_spec(at)["initialViewState"] != both


def test_saving_a_fix_keeps_the_period(monkeypatch, write_csv):
    at = opened(monkeypatch, write_csv(SMALL), start="2021-01-01")
    at = review_typed(at, "Xyzzy-unknown")
    at.number_input(key="fix-latitude").set_value(12.5).run()
    at.number_input(key="fix-longitude").set_value(13.25).run()
    at.button(key="review-save").click().run()
    assert not at.exception
    # The same incidents, one placed better: not new data, so not a new period.
    assert at.sidebar.slider(key="period").value == (dt.date(2021, 1, 1), dt.date(2021, 6, 12))

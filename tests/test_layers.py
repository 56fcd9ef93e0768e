import itertools
import json

import numpy as np
import pandas as pd
import pydeck as pdk
import pytest

from dashboard import layers
from dashboard.layers import CELL_LIMIT, OTHER, PALETTE, build_map, grid_cells


def incidents(count: int, seed: int = 0, types: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "latitude": rng.uniform(-30, 50, count), "longitude": rng.uniform(-20, 80, count),
        "fatalities": pd.array(rng.integers(0, 10, count), dtype="Int64"),
        "place": "x", "admin1": pd.NA, "country": "y", "actor": "z",
        "event_type": [f"type {n}" for n in rng.integers(0, types, count)],
        "date": pd.Timestamp("2021-06-12"), "geo_precision": "place",
    })


def spec_of(incident_map) -> dict:
    return json.loads(incident_map.deck.to_json())


def marks(incident_map) -> dict:
    (layer,) = [layer for layer in spec_of(incident_map)["layers"] if layer["id"] != "countries"]
    return layer


@pytest.mark.parametrize(
    ("layer", "count", "drawn", "deck_type", "aggregated"),
    [
        ("points", 500, "points", "ScatterplotLayer", False),
        ("heatmap", 500, "heatmap", "HeatmapLayer", False),
        ("grid", 500, "grid", "PolygonLayer", True),  # asked for: counted even when few
        # Above POINT_LIMIT (1,000 here) points become cells; the heatmap weighs cells.
        ("points", 5_000, "grid", "PolygonLayer", True),
        ("heatmap", 5_000, "heatmap", "HeatmapLayer", True),
        # A filter that matches nothing: an empty map, not an error.
        ("points", 0, "points", "ScatterplotLayer", False),
        ("heatmap", 0, "heatmap", "HeatmapLayer", False),
        ("grid", 0, "grid", "PolygonLayer", True),
    ],
)
def test_each_layer_ships_at_most_the_limit(monkeypatch, layer, count, drawn, deck_type,
                                            aggregated):
    monkeypatch.setattr(layers, "POINT_LIMIT", 1_000)
    incident_map = build_map(incidents(count), layer)
    assert (incident_map.layer, incident_map.aggregated) == (drawn, aggregated)
    shipped = marks(incident_map)
    assert shipped["@@type"] == deck_type
    assert len(shipped["data"]) <= (CELL_LIMIT if aggregated else 1_000)
    if deck_type == "HeatmapLayer" and aggregated:
        assert sum(point["weight"] for point in shipped["data"]) == count


def test_points_are_coloured_by_the_chosen_field_with_a_legend():
    frame = incidents(300, types=9)
    incident_map = build_map(frame, "points", "event_type")
    labels = [label for label, _ in incident_map.legend]
    assert labels[:len(PALETTE)] == frame["event_type"].value_counts().index[
        :len(PALETTE)].tolist()
    assert incident_map.legend[-1] == ("all others", OTHER)  # 9 types, 7 colours
    colour_of = {}
    for point, kind in zip(marks(incident_map)["data"], frame["event_type"], strict=True):
        colour_of.setdefault(kind, set()).add(tuple(point["colour"][:3]))
    for rank, (label, rgb) in enumerate(incident_map.legend[:len(PALETTE)]):
        assert colour_of[label] == {rgb} == {PALETTE[rank]}  # each type its legend colour
    rare = frame["event_type"].value_counts().index[-1]
    assert colour_of[rare] == {OTHER}
    assert build_map(frame, "points", "actor").legend == [("z", PALETTE[0])]


def test_coarse_points_are_paler():
    frame = incidents(2).assign(geo_precision=["place", "country"])
    alphas = [p["colour"][3] for p in marks(build_map(frame))["data"]]
    assert alphas[0] > alphas[1]


def test_grid_counts_every_incident_and_fatality(monkeypatch):
    frame = incidents(50_000)
    cells, size = grid_cells(frame, layers.fit_view(frame).zoom)
    assert len(cells) <= CELL_LIMIT
    assert cells["incidents"].str.replace(",", "").astype(int).sum() == 50_000
    assert cells["fatalities"].str.replace(",", "").astype(int).sum() == int(
        frame["fatalities"].sum())
    corners = np.array(cells["polygon"].tolist())
    assert np.allclose(corners[:, 2] - corners[:, 0], size)  # squares of the stated size
    data = marks(build_map(frame, "grid"))["data"]
    assert "place" not in data[0]  # no single incident's text in a cell


def test_the_view_is_the_callers_and_tiles_only_when_asked():
    frame = incidents(10)
    view = layers.WORLD_VIEW
    offline = spec_of(build_map(frame, view=view))
    assert offline["initialViewState"]["zoom"] == view.zoom
    assert offline["mapStyle"] == layers.OFFLINE_STYLE_URL
    assert "countries" in [layer["id"] for layer in offline["layers"]]
    online = spec_of(build_map(frame, tiles=True))
    assert "cartocdn" in online["mapStyle"]


def test_a_million_incidents_make_a_small_compact_spec():
    for layer in layers.LAYERS:
        spec = build_map(incidents(1_000_000), layer).deck.to_json()
        assert len(spec) < 3_000_000
        assert "\n" not in spec  # no indentation
        assert ", " not in spec[:2000]


def test_categories_filtered_away_are_not_in_the_legend():
    frame = incidents(20, types=2)
    frame["event_type"] = frame["event_type"].astype(
        pd.CategoricalDtype(["type 0", "type 1", "gone", "also gone"]))
    labels = [label for label, _ in build_map(frame).legend]
    assert sorted(labels) == ["type 0", "type 1"]


def grid_at(frame: pd.DataFrame, zoom: float, layer: str = "grid"):
    return build_map(frame, layer, view=pdk.ViewState(latitude=10, longitude=10, zoom=zoom))


def test_grid_cells_are_visible_at_the_zoom_shown():
    spread = incidents(20_000)  # a continent: 80 by 100 degrees
    # A town, 0.2 by 0.16 degrees: even the finest cells are not too many.
    city = incidents(20_000).assign(latitude=lambda f: 12 + f["latitude"] / 500,
                                    longitude=lambda f: 8.5 + f["longitude"] / 500)
    assert grid_at(spread, layers.fit_view(spread).zoom).cell_degrees >= 1
    assert grid_at(city, layers.fit_view(city).zoom + 2).cell_degrees <= 0.05
    sizes = [grid_at(city, zoom).cell_degrees for zoom in range(11)]
    assert sizes == sorted(sizes, reverse=True)
    assert len(set(sizes)) >= 8
    for zoom in (1, 2.5, 4, 6.3, 9):
        size = grid_at(city, zoom).cell_degrees
        # deck.gl draws a degree of longitude 512 * 2 ** zoom / 360 px wide: no speck,
        # no blob; and a round size the caption can state.
        assert 8 <= size * 512 * 2 ** zoom / 360 < 20
        assert size in (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10)
    # The heatmap of many incidents sums cells of the same size.
    assert grid_at(city, 6, "heatmap").cell_degrees == 0.1


def test_grid_cells_stay_under_the_limit_at_any_zoom():
    spread = incidents(100_000)
    for zoom in (3, 6, 9):
        incident_map = grid_at(spread, zoom)
        assert len(marks(incident_map)["data"]) <= CELL_LIMIT
        assert incident_map.cell_degrees >= layers.choose_cell_size(zoom)
    assert grid_at(spread, 9).cell_degrees == 1  # 0.5 degrees would make 32,000 cells


def count_range(label: str) -> tuple[int, int]:
    low, _, high = label.replace(",", "").partition("–")
    return int(low), int(high or low)


@pytest.mark.parametrize("top", [1, 2, 7, 40, 1_000, 25_000])
def test_count_legend_gives_each_cell_its_colour(top):
    # One cell (1 degree at this zoom) per count, three degrees apart.
    counts = sorted({1, 2, 3, 4, 5, 6, 9, 10, 11, 20, 21, 49, 50, 51, 300, 301, 999,
                     top // 2, top - 1, top} & set(range(1, top + 1)))
    frame = incidents(sum(counts)).assign(
        latitude=np.repeat([3.0 * i + 0.5 for i in range(len(counts))], counts),
        longitude=0.5)
    incident_map = grid_at(frame, 2.5)
    assert incident_map.cell_degrees == 1
    ranges = [count_range(label) for label, _ in incident_map.scale]
    # Contiguous from a single incident to the fullest cell, one colour each, light
    # to dark.
    assert ranges[0][0] == 1
    assert ranges[-1][1] == top
    assert all(high + 1 == low for (_, high), (low, _) in itertools.pairwise(ranges))
    rgbs = [rgb for _, rgb in incident_map.scale]
    assert len(set(rgbs)) == len(rgbs)
    assert rgbs == sorted(rgbs, key=layers.SEQUENTIAL.index)
    cells = marks(incident_map)["data"]
    assert sorted(int(cell["incidents"].replace(",", "")) for cell in cells) == counts
    for cell in cells:
        count = int(cell["incidents"].replace(",", ""))
        (rgb,) = [rgb for (low, high), rgb in zip(ranges, rgbs, strict=True)
                  if low <= count <= high]
        assert tuple(cell["colour"][:3]) == rgb
    if top > 1:  # a cell of one incident is the lightest; the fullest the darkest
        assert (rgbs[0], rgbs[-1]) == (layers.SEQUENTIAL[0], layers.SEQUENTIAL[-1])
    assert "1°" in incident_map.scale_title


def test_points_beyond_the_limit_become_cells_with_a_count_legend(monkeypatch):
    monkeypatch.setattr(layers, "POINT_LIMIT", 1_000)
    incident_map = build_map(incidents(5_000), "points")
    assert incident_map.layer == "grid"
    assert incident_map.scale
    assert incident_map.scale_title.startswith("Incidents per")
    assert build_map(incidents(500), "points").scale == []  # few: coloured points
    assert build_map(incidents(0), "grid").scale == []  # nothing to count


@pytest.mark.parametrize("count", [500, 5_000])
def test_heatmap_legend_is_the_colour_range_the_layer_draws(monkeypatch, count):
    monkeypatch.setattr(layers, "POINT_LIMIT", 1_000)
    incident_map = build_map(incidents(count), "heatmap")
    drawn = marks(incident_map)
    assert [list(rgb) for _, rgb in incident_map.scale] == drawn["colorRange"]
    labels = [label for label, _ in incident_map.scale]
    assert (labels[0], labels[-1]) == ("fewer", "more incidents")
    assert "relative" in incident_map.scale_title  # density, not counts
    # Weighed by incidents, as the title says, not by fatalities.
    assert sum(point["weight"] for point in drawn["data"]) == count


@pytest.mark.parametrize(
    ("view", "box", "fit_zoom", "moves"),
    [
        ((20, 30, 1.2), (4, 3, 14, 14), 4.5, True),  # the world, then one country: zoom in
        ((9.5, 8.5, 4.5), (-35, -20, 60, 80), 1.2, True),  # one country, then the world
        ((9.5, 8.5, 4.5), (30, 40, 36, 48), 4.5, True),  # another country as far as Iraq
        ((9.5, 8.5, 4.5), (5, 4, 13, 13), 4.6, False),  # almost the same incidents
        ((12.5, 13.0, 6.8), (12.2, 12.8, 12.9, 13.2), 6.8, False),  # a few, still in view
        ((12.5, 13.0, 6.8), None, 1.2, False),  # nothing placed: the view stays
    ],
)
def test_the_map_moves_only_when_the_incidents_leave_the_view_or_fill_a_corner(
        view, box, fit_zoom, moves):
    assert layers.needs_framing(view, box, fit_zoom) is moves


def test_a_long_tooltip_is_shortened_wrapped_and_says_its_precision_first():
    # QA: a 2,000-character place ran the tooltip past the map's edge, hiding the
    # "Placed at" line under it.
    frame = incidents(3).assign(place=["P" * 2_000, "Kabul", "x"], actor="word " * 400,
                                geo_precision=["country", "place", "admin1"])
    incident_map = build_map(frame, "points")
    points = {point["row"]: point for point in marks(incident_map)["data"]}
    long = points[0]
    assert long["place"] == "P" * (layers.TOOLTIP_CHARS - 1) + "…"
    assert len(long["actor"]) == layers.TOOLTIP_CHARS
    assert long["actor"].endswith("…")
    assert points[1]["place"] == "Kabul"  # a short value is shown whole
    tooltip = incident_map.deck._tooltip
    # Still text (deck.gl sets it as text, never HTML): the precision on the first line,
    # seen even when the map's edge cuts off the lines under it.
    assert set(tooltip) == {"text", "style"}
    assert tooltip["text"].startswith("Placed at: {geo_precision}\n")
    assert long["geo_precision"] == "country level"
    assert tooltip["style"]["maxWidth"].endswith("px")
    assert tooltip["style"]["overflowWrap"] == "anywhere"  # breaks "PPPP…" too


def test_a_point_that_may_be_a_namesake_is_pale_and_says_so():
    # Gao with no country: Mali's or Burkina Faso's. Drawn as a sure place it misled.
    frame = incidents(2).assign(geo_precision="place", geo_ambiguous=[True, False])
    points = {point["row"]: point for point in marks(build_map(frame, "points"))["data"]}
    assert points[0]["geo_precision"] == "place level" + layers.AMBIGUOUS
    assert points[1]["geo_precision"] == "place level"
    assert points[0]["colour"][3] == layers.ALPHA_COARSE
    assert points[1]["colour"][3] == layers.ALPHA_PRECISE


@pytest.mark.parametrize("layer", ["grid", "heatmap", "areas"])
def test_every_tooltip_wraps_at_the_same_width(layer):
    incident_map = build_map(incidents(20), layer)
    tooltip = incident_map.deck._tooltip
    assert tooltip is False or tooltip["style"] == layers.TOOLTIP_STYLE

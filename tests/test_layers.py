import json

import numpy as np
import pandas as pd
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
    cells, size = grid_cells(frame)
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

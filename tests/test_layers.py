import json

import numpy as np
import pandas as pd
import pytest

from dashboard import layers
from dashboard.layers import CELL_LIMIT, aggregated, build_deck, grid_cells


def incidents(count: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "latitude": rng.uniform(-30, 50, count), "longitude": rng.uniform(-20, 80, count),
        "fatalities": pd.array(rng.integers(0, 10, count), dtype="Int64"),
        "place": "x", "admin1": pd.NA, "country": "y", "actor": "z",
        "date": pd.Timestamp("2021-06-12"), "geo_precision": "place",
    })


def incidents_layer(deck) -> dict:
    spec = json.loads(deck.to_json())
    (layer,) = [layer for layer in spec["layers"] if layer["id"] == "incidents"]
    return layer


@pytest.mark.parametrize("count", [1, 500])
def test_few_incidents_are_drawn_one_by_one(count):
    frame = incidents(count)
    assert not aggregated(frame)
    assert len(incidents_layer(build_deck(frame))["data"]) == count


def test_many_incidents_are_counted_on_a_grid(monkeypatch):
    monkeypatch.setattr(layers, "POINT_LIMIT", 1_000)
    frame = incidents(50_000)
    assert aggregated(frame)
    cells = grid_cells(frame)
    assert len(cells) <= CELL_LIMIT
    assert cells["incidents"].str.replace(",", "").astype(int).sum() == 50_000
    assert cells["fatalities"].str.replace(",", "").astype(int).sum() == int(
        frame["fatalities"].sum())
    data = incidents_layer(build_deck(frame))["data"]
    assert len(data) == len(cells)
    assert set(data[0]) == {"longitude", "latitude", "radius", "colour", "incidents",
                            "fatalities", "cell"}  # no single incident's text


def test_a_million_incidents_make_a_small_spec():
    spec = build_deck(incidents(1_000_000)).to_json()
    assert len(spec) < 3_000_000

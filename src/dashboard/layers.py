"""The filtered incidents as a pydeck map spec. Builds the Deck; never draws it."""

from __future__ import annotations

import json
import math
from functools import cache

import pandas as pd
import pydeck as pdk

from dashboard.gazetteer import DATA_DIR

OUTLINES_PATH = DATA_DIR / "countries.geojson"
# Only these reach the browser: the tooltip's fields and the point's position and size.
MAP_COLUMNS = ["longitude", "latitude", "radius", "place", "country", "date", "actor",
               "fatalities", "geo_precision"]
TOOLTIP = ("{place}, {country}\n{date}\n{actor}\nFatalities: {fatalities}\n"
           "Placed at: {geo_precision} level")
# Incidents placed only at region or country level are drawn paler: their point is a
# stand-in for a whole area, not where it happened.
COLOUR_PRECISE = [200, 40, 40, 200]
COLOUR_COARSE = [240, 150, 50, 140]
WORLD_VIEW = pdk.ViewState(latitude=20, longitude=30, zoom=1.2)


@cache
def country_outlines() -> dict:
    return json.loads(OUTLINES_PATH.read_text())


def map_points(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per placed incident, only the columns the map and tooltip need, as text."""
    placed = incidents[incidents["latitude"].notna() & incidents["longitude"].notna()]
    fatalities = placed["fatalities"].astype("Float64")
    points = pd.DataFrame({
        "longitude": placed["longitude"].round(4),
        "latitude": placed["latitude"].round(4),
        # Area grows with deaths: radius with the square root; a floor keeps 0 visible.
        "radius": (6000 + 5000 * fatalities.fillna(0) ** 0.5).round().astype("int64"),
        "place": placed["place"].fillna(placed["admin1"]).fillna("(no place)"),
        "country": placed["country"].fillna("(no country)"),
        "date": placed["date"].dt.strftime("%Y-%m-%d"),
        "actor": placed["actor"].fillna("(actor not reported)"),
        "fatalities": fatalities.astype("Int64").astype("string").fillna("not reported"),
        "geo_precision": placed["geo_precision"].astype("string"),
    })
    coarse = points["geo_precision"].isin(["admin1", "country"])
    points["colour"] = [COLOUR_COARSE if c else COLOUR_PRECISE for c in coarse]
    return points.astype({c: "object" for c in MAP_COLUMNS[3:]})


def fit_view(points: pd.DataFrame) -> pdk.ViewState:
    """A view that frames the points; the world when there are none."""
    if points.empty:
        return WORLD_VIEW
    west, east = points["longitude"].min(), points["longitude"].max()
    south, north = points["latitude"].min(), points["latitude"].max()
    span = max(east - west, (north - south) * 1.6, 0.5)
    zoom = max(0.5, min(8.0, math.log2(360 / span) - 0.3))
    return pdk.ViewState(latitude=(south + north) / 2, longitude=(west + east) / 2, zoom=zoom)


def build_deck(incidents: pd.DataFrame) -> pdk.Deck:
    points = map_points(incidents)
    outlines = pdk.Layer(
        "GeoJsonLayer", data=country_outlines(), id="countries", stroked=True, filled=True,
        get_fill_color=[238, 238, 232], get_line_color=[150, 150, 150], line_width_min_pixels=1,
    )
    incidents_layer = pdk.Layer(
        "ScatterplotLayer", data=points, id="incidents", pickable=True, opacity=0.8,
        get_position=["longitude", "latitude"], get_radius="radius", get_fill_color="colour",
        radius_min_pixels=3, radius_max_pixels=40, stroked=True, get_line_color=[80, 0, 0],
        line_width_min_pixels=1,
    )
    return pdk.Deck(
        layers=[outlines, incidents_layer], initial_view_state=fit_view(points),
        map_provider=None, map_style=None, tooltip={"text": TOOLTIP},
    )

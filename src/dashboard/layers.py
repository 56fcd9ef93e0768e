"""The filtered incidents as a pydeck map spec. Builds the Deck; never draws it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pydeck as pdk

# Country outlines (Natural Earth via world-atlas), served by Streamlit from static/
# (server.enableStaticServing): a 160 kB file the browser fetches once from this server,
# where inlined it would add 1 MB of JSON5 to parse on every rerun.
OUTLINES_URL = "app/static/countries.geojson"
# Only these reach the browser: the tooltip's fields and the point's position and size.
MAP_COLUMNS = ["longitude", "latitude", "radius", "colour", "place", "country", "date",
               "actor", "fatalities", "geo_precision"]
TOOLTIP = ("{place}, {country}\n{date}\n{actor}\nFatalities: {fatalities}\n"
           "Placed at: {geo_precision} level")
# Incidents placed only at district, region or country level are drawn paler: their point is a
# stand-in for a whole area, not where it happened.
COLOUR_PRECISE = [200, 40, 40, 200]
COLOUR_COARSE = [240, 150, 50, 140]
# Above this many placed incidents the map shows counts on a grid: every point would be
# shipped to the browser as JSON on every rerun (1M points: 93 MB, 15 s to parse).
POINT_LIMIT = 10_000
CELL_LIMIT = 10_000
COLOUR_CELL = [90, 60, 160, 190]
CELL_TOOLTIP = "{incidents} incidents, {fatalities} fatalities\nin this {cell} grid cell"
WORLD_VIEW = pdk.ViewState(latitude=20, longitude=30, zoom=1.2)
# A basemap style with no sources (just the sea colour), served by the app: Streamlit
# puts CARTO's tiles under a map that names no style, and the map must work offline.
OFFLINE_STYLE_URL = "app/static/basemap-style.json"


def map_points(incidents: pd.DataFrame) -> pd.DataFrame:
    """One row per placed incident, only the columns the map and tooltip need, as text."""
    placed = incidents[incidents["latitude"].notna() & incidents["longitude"].notna()]
    fatalities = placed["fatalities"].astype("Float64")
    points = pd.DataFrame({
        "longitude": placed["longitude"].round(4),
        "latitude": placed["latitude"].round(4),
        # Screen pixels, so points stay readable at any zoom; area grows with deaths
        # (radius with the square root), a floor keeps an incident with none visible.
        "radius": (3 + 1.5 * fatalities.fillna(0) ** 0.5).clip(upper=30).round(1),
        "place": placed["place"].fillna(placed["admin1"]).fillna("(no place)"),
        "country": placed["country"].fillna("(no country)"),
        "date": placed["date"].dt.strftime("%Y-%m-%d"),
        "actor": placed["actor"].fillna("(actor not reported)"),
        "fatalities": fatalities.astype("Int64").astype("string").fillna("not reported"),
        "geo_precision": placed["geo_precision"].astype("string"),
    })
    coarse = points["geo_precision"].isin(["admin2", "admin1", "country"])
    points["colour"] = [COLOUR_COARSE if c else COLOUR_PRECISE for c in coarse]
    return points[MAP_COLUMNS]


def fit_view(points: pd.DataFrame) -> pdk.ViewState:
    """A view that frames the points; the world when there are none."""
    if points.empty:
        return WORLD_VIEW
    west, east = points["longitude"].min(), points["longitude"].max()
    south, north = points["latitude"].min(), points["latitude"].max()
    # The map is about 1.6:1; a floor of a few degrees keeps one town in its region.
    span = max(east - west, (north - south) * 1.6, 4.0)
    # deck.gl draws the world 512 px wide at zoom 0; the map is about 700 px wide.
    zoom = max(0.5, math.log2(360 * 700 / (512 * span)))
    return pdk.ViewState(latitude=(south + north) / 2, longitude=(west + east) / 2, zoom=zoom)


def placed_count(incidents: pd.DataFrame) -> int:
    return int((incidents["latitude"].notna() & incidents["longitude"].notna()).sum())


def aggregated(incidents: pd.DataFrame) -> bool:
    """Whether the map shows grid cells instead of single incidents."""
    return placed_count(incidents) > POINT_LIMIT


def grid_cells(incidents: pd.DataFrame) -> pd.DataFrame:
    """Placed incidents counted on a square grid, coarse enough for at most CELL_LIMIT
    cells; one row per cell at its centre, sized and labelled like a point."""
    placed = incidents[incidents["latitude"].notna() & incidents["longitude"].notna()]
    size = 0.25
    while True:
        column = np.floor(placed["longitude"].to_numpy() / size)
        row = np.floor(placed["latitude"].to_numpy() / size)
        cells = pd.DataFrame({"column": column, "row": row,
                              "fatalities": placed["fatalities"].fillna(0).to_numpy()})
        counted = cells.groupby(["column", "row"]).agg(
            incidents=("fatalities", "size"), fatalities=("fatalities", "sum")).reset_index()
        if len(counted) <= CELL_LIMIT:
            break
        size *= 2
    return pd.DataFrame({
        "longitude": ((counted["column"] + 0.5) * size).round(4),
        "latitude": ((counted["row"] + 0.5) * size).round(4),
        "radius": (3 + 1.5 * counted["incidents"] ** 0.5).clip(upper=30).round(1),
        "colour": [COLOUR_CELL] * len(counted),
        "incidents": counted["incidents"].map("{:,}".format),
        "fatalities": counted["fatalities"].astype("int64").map("{:,}".format),
        "cell": f"{size:g}°",
    })


def build_deck(incidents: pd.DataFrame) -> pdk.Deck:
    """Points while they are few; above POINT_LIMIT, grid cells (see `aggregated`)."""
    cells = aggregated(incidents)
    points = grid_cells(incidents) if cells else map_points(incidents)
    outlines = pdk.Layer(
        "GeoJsonLayer", data=OUTLINES_URL, id="countries", stroked=True, filled=True,
        get_fill_color=[238, 238, 232], get_line_color=[150, 150, 150], line_width_min_pixels=1,
    )
    incidents_layer = pdk.Layer(
        "ScatterplotLayer", data=points, id="incidents", pickable=True, opacity=0.8,
        get_position=["longitude", "latitude"], get_radius="radius", get_fill_color="colour",
        # pydeck reads a bare string as an accessor expression; quotes make it a literal.
        radius_units="'pixels'", stroked=True, get_line_color=[80, 0, 0],
        line_width_min_pixels=1,
    )
    return pdk.Deck(
        layers=[outlines, incidents_layer], initial_view_state=fit_view(points),
        map_style=OFFLINE_STYLE_URL, tooltip={"text": CELL_TOOLTIP if cells else TOOLTIP},
    )

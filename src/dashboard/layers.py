"""The filtered incidents as a pydeck map. Builds the Deck; never draws it.

Three ways to look: points (one per incident, coloured by event type or actor), a
heatmap, and a grid of counts. Whatever the choice, the browser receives at most about
10,000 marks: above POINT_LIMIT placed incidents, points and heatmap are computed from
grid cells on the server (`st.pydeck_chart` ships every mark as JSON on every rerun;
1M points were 93 MB and 15 s of parsing).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pydeck as pdk
from pydeck.bindings.json_tools import default_serialize

from dashboard import areas, vicinity
from dashboard.geo import is_placed
from dashboard.wording import plural

LAYERS = ("points", "heatmap", "grid", "areas")
COLOUR_BY = ("event_type", "actor", "actor_family")
# The columns a map reads from the incidents (see `map_input`): callers pass only these.
MAP_INPUT = ["latitude", "longitude", "fatalities", "place", "admin1", "country", "date",
             "actor", "event_type", "geo_precision", "geo_ambiguous", "actor_family"]
CELL_INPUT = ["latitude", "longitude", "fatalities"]
POINT_COLUMNS = ["longitude", "latitude", "radius", "colour", "place", "country", "date",
                 "actor", "event_type", "fatalities", "geo_precision", "row"]
# The precision comes first: deck.gl puts a tooltip's top left corner at the pointer and
# never moves it back inside the map, so a point near the map's bottom edge shows only
# the first lines (and Streamlit fills the template in order, so no value can stand in
# for it). The tooltip stays text: deck.gl sets it as the element's text, never HTML.
TOOLTIP = ("Placed at: {geo_precision}\n{place}, {country}\n{date}\n{actor}\n"
           "{event_type}\nFatalities: {fatalities}")
# Said of a point whose place text names several places the row cannot tell apart (Gao in
# Mali or Burkina Faso; two villages called Baga): its point is one of them.
AMBIGUOUS = ", or a namesake elsewhere (see Places to review)"
# Each text field of a point's tooltip is cut to this many characters (an ellipsis the
# last): a name of 2,000 characters made a tooltip taller than the map. Whole in the
# table and the incident's record; 99% of the Wikipedia list's places and actors fit.
TOOLTIP_CHARS = 60
# Every tooltip wraps at this width (deck.gl's own only at the map's edge), and breaks a
# word too long for a line anywhere (a place written without spaces).
TOOLTIP_STYLE = {"maxWidth": "320px", "overflowWrap": "anywhere"}
CELL_COLUMNS = ["polygon", "longitude", "latitude", "weight", "colour", "incidents",
                "fatalities", "cell"]
CELL_TOOLTIP = "{incidents} incidents, {fatalities} fatalities\nin this {cell} grid cell"
# The areas layer: what `build_map` reads when it counts the areas itself, what the
# regions may be shaded by, and their tooltip (text: deck.gl sets it as text, never HTML,
# so a region's name from a file is shown as written).
AREA_INPUT = ["latitude", "longitude", "fatalities", "admin1", "country", "country_code"]
SHADE_BY = ("incidents", "fatalities")
AREA_TOOLTIP = "{name}, {country}\n{incidents} incidents, {fatalities} fatalities"
NO_FATALITIES = (225, 225, 218)  # a region whose incidents killed no one, by fatalities
# Bytes of outlines one areas map may ship: every region of the 40 countries of the
# million-row benchmark is 0.65 MB; all 4,561 of the world 2.6 MB, which with their
# properties would pass the 3 MB a spec may take. Past it, the regions with the fewest
# incidents are left undrawn, and the legend says how many.
AREA_BYTES = 2_200_000
# Okabe and Ito's palette: told apart with the common colour-vision deficiencies. The
# most frequent values get a colour each; the rest share OTHER.
PALETTE = [(230, 159, 0), (86, 180, 233), (0, 158, 115), (213, 94, 0), (0, 114, 178),
           (204, 121, 167), (240, 228, 66)]
OTHER = (140, 140, 140)
OTHER_LABEL = "all others"
# A point that stands in for a whole district, region or country is drawn paler.
ALPHA_PRECISE, ALPHA_COARSE = 220, 90
COARSE = ["admin2", "admin1", "country"]
# Cells by count, light to dark (viridis, reversed): ordered for every reader.
SEQUENTIAL = [(253, 231, 37), (122, 209, 81), (34, 168, 132), (42, 120, 142),
              (65, 68, 135), (68, 1, 84)]
# Count ranges end at round numbers (1, 2, 3 or 5 times a power of ten): "11–30" reads.
ROUND_STEPS = np.array([1, 2, 3, 5, 10])
# The heatmap colours by density relative to the densest spot in view, not by counts.
HEAT_LABELS = ["fewer"] + [""] * (len(SEQUENTIAL) - 2) + ["more incidents"]
HEAT_TITLE = ("Incidents per area (each counts once, whatever its fatalities), "
              "relative to the densest spot in view")
POINT_LIMIT = 10_000
CELL_LIMIT = 10_000
# Cell sizes in degrees: round, so the caption and tooltips read well. The coarsest
# holds the world in 2,592 cells, under CELL_LIMIT.
CELL_SIZES = (0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10)
# The narrowest a cell is drawn: visible, and a map 1,000 px wide and 520 high holds
# at most about 8,000 cells of it.
CELL_PIXELS = 8
# deck.gl draws the world 512 px wide at zoom 0, twice as wide with each level; the map
# is about 700 px wide and 1.6 times as wide as it is high.
WORLD_PIXELS = 512
MAP_PIXELS = 700
MAP_ASPECT = 1.6
Bounds = tuple[float, float, float, float]  # south, west, north, east
# Country outlines (Natural Earth via world-atlas), served by Streamlit from static/
# (server.enableStaticServing): a 160 kB file the browser fetches once from this server,
# where inlined it would add 1 MB of JSON5 to parse on every rerun.
OUTLINES_URL = "app/static/countries.geojson"
# A basemap style with no sources (just the sea colour), served by the app: Streamlit
# puts CARTO's tiles under a map that names no style, and the map must work offline.
OFFLINE_STYLE_URL = "app/static/basemap-style.json"
WORLD_VIEW = pdk.ViewState(latitude=20, longitude=30, zoom=1.2)


class CompactDeck(pdk.Deck):
    """A Deck whose JSON has no indentation: pydeck indents by two spaces, and Streamlit
    ships that text to the browser, which parses it with JSON5 (about 20x slower than
    JSON.parse), on every rerun."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize,
                          separators=(",", ":"))


@dataclass(frozen=True)
class IncidentMap:
    """A map ready to draw, and what the page should say about it."""

    deck: CompactDeck
    layer: str  # what was drawn: "points", "heatmap" or "grid"
    aggregated: bool  # counted on a grid, not one mark per incident
    cell_degrees: float | None = None
    legend: list[tuple[str, tuple[int, int, int]]] = field(default_factory=list)
    # The colour scale of a grid or heatmap, light to dark: each colour with its count
    # range (grid) or its end of the relative scale (heatmap); and what it measures.
    scale: list[tuple[str, tuple[int, int, int]]] = field(default_factory=list)
    scale_title: str = ""


def map_input(layer: str, placed_count: int) -> list[str]:
    """The columns `build_map` reads: single points need their tooltip's fields, cells
    and heat only positions and counts (copying fewer columns of a million filtered rows
    is most of a filter change)."""
    if layer == "areas":
        return AREA_INPUT
    return MAP_INPUT if layer == "points" and placed_count <= POINT_LIMIT else CELL_INPUT


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts, the form pydeck ships; column by column, five times faster than
    DataFrame.to_dict, which pydeck would call on a frame."""
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, row, strict=True))
            for row in zip(*(frame[name].tolist() for name in frame.columns), strict=True)]


def placed(incidents: pd.DataFrame) -> pd.DataFrame:
    """The incidents that have a point (`geo.is_placed`)."""
    return incidents[is_placed(incidents)]


def colours(incidents: pd.DataFrame, colour_by: str) -> dict[str, tuple[int, int, int]]:
    """The most frequent values of ``colour_by``, each with its palette colour."""
    # As text: a categorical column would also count the values filtered away.
    top = incidents[colour_by].astype("string").value_counts().head(len(PALETTE)).index
    return dict(zip(map(str, top), PALETTE, strict=False))


def map_points(incidents: pd.DataFrame, colour_by: str,
               palette: dict[str, tuple[int, int, int]]) -> pd.DataFrame:
    """One row per placed incident, only what the map and tooltip need, as text (names
    shortened to TOOLTIP_CHARS), coloured by its ``colour_by`` value's ``palette`` colour;
    `row` is the incident's index, so a click can find its full record."""
    where = placed(incidents)
    fatalities = where["fatalities"].astype("Float64")
    # Each point's colour by the rank of its value in the palette (-1: other).
    ranks = {value: rank for rank, value in enumerate(palette)}
    rank = where[colour_by].astype("string").map(ranks).fillna(-1).astype(int).to_numpy()
    ambiguous = (where["geo_ambiguous"].astype("boolean").fillna(False).to_numpy(dtype=bool)
                 if "geo_ambiguous" in where else np.zeros(len(where), dtype=bool))
    # Drawn as pale as a coarse point: the point is a guess between places.
    coarse = where["geo_precision"].isin(COARSE).to_numpy() | ambiguous

    def text(name: str) -> pd.Series:  # categorical or not, as plain text
        return where[name].astype("string")

    level = text("geo_precision") + " level"

    points = pd.DataFrame({
        "longitude": where["longitude"].round(4),
        "latitude": where["latitude"].round(4),
        # Screen pixels, so points stay readable at any zoom; area grows with deaths
        # (radius with the square root), a floor keeps an incident with none visible.
        "radius": (3 + 1.5 * fatalities.fillna(0) ** 0.5).clip(upper=30).round(1),
        "colour": [[*(PALETTE[r] if r >= 0 else OTHER), ALPHA_COARSE if pale
                    else ALPHA_PRECISE] for r, pale in zip(rank.tolist(), coarse, strict=True)],
        "place": shorten(text("place").fillna(text("admin1")).fillna("(no place)")),
        "country": shorten(text("country").fillna("(no country)")),
        "date": where["date"].dt.strftime("%Y-%m-%d"),
        "actor": shorten(text("actor").fillna("(actor not reported)")),
        "event_type": shorten(text("event_type").fillna("(type not reported)")),
        "fatalities": fatalities.astype("Int64").astype("string").fillna("not reported"),
        "geo_precision": level.mask(ambiguous, level + AMBIGUOUS),
        "row": where.index,
    })
    return points[POINT_COLUMNS]


def shorten(values: pd.Series, limit: int = TOOLTIP_CHARS) -> pd.Series:
    """Each value of over ``limit`` characters cut to ``limit``, the last an ellipsis."""
    return values.where(values.str.len() <= limit, values.str.slice(0, limit - 1) + "…")


def tooltip(template: str | None) -> dict | bool:
    """The deck's tooltip: ``template`` as text, wrapped (TOOLTIP_STYLE); none without."""
    return {"text": template, "style": TOOLTIP_STYLE} if template else False


def pixels_per_degree(zoom: float) -> float:
    """How wide a degree of longitude is drawn at ``zoom`` (the same at every latitude)."""
    return WORLD_PIXELS * 2**zoom / 360


def choose_cell_size(zoom: float) -> float:
    """The finest of CELL_SIZES drawn at least CELL_PIXELS wide at ``zoom``."""
    pixels = pixels_per_degree(zoom)
    return next((size for size in CELL_SIZES if size * pixels >= CELL_PIXELS),
                CELL_SIZES[-1])


def round_counts(values: np.ndarray) -> np.ndarray:
    """Each value (at least 1) to the nearest, on a log scale, of ROUND_STEPS times a
    power of ten."""
    power = 10.0 ** np.floor(np.log10(values))
    nearest = np.abs(np.log(values[:, None] / power[:, None] / ROUND_STEPS)).argmin(axis=1)
    return (ROUND_STEPS[nearest] * power).round().astype("int64")


def count_scale(top: int) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """The colours of cells holding 1 to ``top`` incidents: the largest count of each
    colour but the last, ascending, and the colours, light to dark. A cell of count n
    has colour ``searchsorted(ends, n)``."""
    shades = len(SEQUENTIAL)
    # A single incident apart, then about equal steps of the logarithm up to ``top``: a
    # few cells hold most incidents.
    ideal = float(top) ** (np.arange(shades - 1) / (shades - 1))
    ends = np.unique(round_counts(ideal))
    ends = ends[ends < top]
    # Fewer ranges than colours (small counts): spread from light to dark; a single
    # count gets a middle colour, which the lightest would not show on pale land.
    picks = (np.linspace(0, shades - 1, len(ends) + 1).round().astype(int) if len(ends)
             else [shades // 2])
    return ends, [SEQUENTIAL[i] for i in picks]


def count_legend(top: int) -> list[tuple[str, tuple[int, int, int]]]:
    """The count range of each colour of `count_scale`, as text: "1", "2–5", ..."""
    ends, palette = count_scale(top)
    lows, highs = [1, *(ends + 1).tolist()], [*ends.tolist(), top]
    return [(f"{low:,}" if low == high else f"{low:,}–{high:,}", rgb)
            for low, high, rgb in zip(lows, highs, palette, strict=True)]


def grid_cells(incidents: pd.DataFrame, zoom: float) -> tuple[pd.DataFrame, float]:
    """Placed incidents counted on a square grid whose cells are visible at ``zoom``
    (see `choose_cell_size`), coarser if needed for at most CELL_LIMIT cells: one row
    per cell with its corners, centre, counts and colour; and the cell size in
    degrees."""
    where = placed(incidents)
    longitude, latitude = where["longitude"].to_numpy(), where["latitude"].to_numpy()
    fatalities = where["fatalities"].fillna(0).to_numpy(dtype="int64")
    first = choose_cell_size(zoom)
    if where.empty:
        return pd.DataFrame(columns=CELL_COLUMNS), first
    for size in CELL_SIZES[CELL_SIZES.index(first):]:
        # One integer per cell, counted from the south-west corner of the world:
        # hashing integers and counting with bincount is several times faster than a
        # groupby over two float columns.
        columns = int(360 / size) + 1
        cell = (np.floor((latitude + 90) / size).astype("int64") * columns
                + np.floor((longitude + 180) / size).astype("int64"))
        inverse, ids = pd.factorize(cell)
        if len(ids) <= CELL_LIMIT:
            break
    counts = np.bincount(inverse, minlength=len(ids))
    deaths = np.bincount(inverse, weights=fatalities, minlength=len(ids)).astype("int64")
    south, west = (ids // columns) * size - 90, (ids % columns) * size - 180
    ends, palette = count_scale(int(counts.max()))
    shade = np.searchsorted(ends, counts)
    cells = pd.DataFrame({  # CELL_COLUMNS
        "polygon": [[[w, s], [w + size, s], [w + size, s + size], [w, s + size]]
                    for w, s in zip(west.round(4).tolist(), south.round(4).tolist(),
                                    strict=True)],
        "longitude": (west + size / 2).round(4),
        "latitude": (south + size / 2).round(4),
        "weight": counts,
        "colour": [[*palette[i], 200] for i in shade.tolist()],
        "incidents": [f"{n:,}" for n in counts.tolist()],
        "fatalities": [f"{n:,}" for n in deaths.tolist()],
        "cell": f"{size:g}°",
    })
    return cells, size


def span_degrees(zoom: float) -> float:
    """Degrees of longitude across the map at ``zoom``."""
    return MAP_PIXELS / pixels_per_degree(zoom)


def bounds(incidents: pd.DataFrame) -> Bounds | None:
    """The box around the placed incidents; None when none is placed."""
    where = placed(incidents)
    if where.empty:
        return None
    return (where["latitude"].min(), where["longitude"].min(), where["latitude"].max(),
            where["longitude"].max())


def fit_view(incidents: pd.DataFrame) -> pdk.ViewState:
    """A view that frames the placed incidents; the world when there are none."""
    return frame(bounds(incidents))


def frame(box: Bounds | None) -> pdk.ViewState:
    """A view that frames ``box``; the world when there is none."""
    if box is None:
        return WORLD_VIEW
    south, west, north, east = box
    # A tenth to spare keeps the outermost marks off the edge; a floor of a few degrees
    # keeps one town in its region.
    span = max(east - west, (north - south) * MAP_ASPECT, 4.0) * 1.1
    zoom = max(0.5, math.log2(MAP_PIXELS / (pixels_per_degree(0) * span)))
    return pdk.ViewState(latitude=(south + north) / 2, longitude=(west + east) / 2, zoom=zoom)


def needs_framing(view: tuple[float, float, float], box: Bounds | None, fit_zoom: float
                  ) -> bool:
    """Whether a map looking at ``view`` (latitude, longitude, zoom) should be framed
    again on incidents within ``box`` (whose framing has ``fit_zoom``): they reach
    outside the view, or fill under a third of its width."""
    latitude, longitude, zoom = view
    if box is None or fit_zoom - zoom >= math.log2(3):
        return box is not None
    south, west, north, east = box
    half_width = span_degrees(zoom) / 2
    half_height = half_width / MAP_ASPECT
    return not (longitude - half_width <= west and east <= longitude + half_width
                and latitude - half_height <= south and north <= latitude + half_height)


@dataclass(frozen=True)
class Marks:
    """One layer of marks and what the page says about it (see `IncidentMap`)."""

    layer: pdk.Layer
    drawn: str
    tooltip: str | None
    aggregated: bool
    cell_degrees: float | None = None
    legend: list[tuple[str, tuple[int, int, int]]] = field(default_factory=list)
    scale: list[tuple[str, tuple[int, int, int]]] = field(default_factory=list)
    scale_title: str = ""


def build_map(incidents: pd.DataFrame, layer: str = "points", colour_by: str = "event_type",
              view: pdk.ViewState | None = None, tiles: bool = False,
              area_counts: areas.AreaCounts | None = None,
              near: vicinity.Near | None = None) -> IncidentMap:
    """The map of ``incidents`` (MAP_INPUT columns suffice) as ``layer``.

    ``view`` is where the map opens (by default, framing the incidents and the circle of
    ``near``); grid cells are sized to be seen at its zoom. ``tiles`` puts CARTO's
    street map beneath (fetched from CARTO's servers); without, the bundled outlines
    alone. ``area_counts`` are the areas layer's counts when the caller has them (else
    counted from ``incidents``, AREA_INPUT columns). ``near``: the distance filter's
    circle, over every kind of layer.
    """
    where = placed(incidents)
    many = len(where) > POINT_LIMIT
    view = view or frame(with_circle(bounds(incidents), near))
    if layer == "areas":
        marks = areas_marks(area_counts or areas.counted(areas.index_areas(incidents)))
    elif layer == "grid" or (many and layer == "points"):
        marks = grid_marks(incidents, view.zoom)
    elif layer == "heatmap":
        marks = heatmap_marks(incidents, where, view.zoom)
    else:
        marks = point_marks(where, colour_by)
    # Each kind of layer has its own id: deck.gl matches layers across updates by id,
    # and a points layer that takes over a heatmap's id was never drawn.
    layers = [marks.layer] if tiles else [outline_layer(), marks.layer]
    if near:
        layers.append(circle_layer(near))
    deck = CompactDeck(
        layers=layers, initial_view_state=view,
        map_provider="carto" if tiles else None,
        map_style="light" if tiles else OFFLINE_STYLE_URL,
        tooltip=tooltip(marks.tooltip))
    return IncidentMap(deck=deck, layer=marks.drawn, aggregated=marks.aggregated,
                       cell_degrees=marks.cell_degrees, legend=marks.legend, scale=marks.scale,
                       scale_title=marks.scale_title)


def grid_marks(incidents: pd.DataFrame, zoom: float) -> Marks:
    """The incidents counted in grid cells sized for ``zoom``, with their count scale."""
    cells, cell_degrees = grid_cells(incidents, zoom)
    scale, scale_title = [], ""
    if len(cells):
        scale = count_legend(int(cells["weight"].max()))
        scale_title = f"Incidents per {cell_degrees:g}° cell"
    layer = pdk.Layer(
        "PolygonLayer", data=records(cells), id="grid", pickable=True, stroked=False,
        get_polygon="polygon", get_fill_color="colour", opacity=0.8)
    return Marks(layer, "grid", CELL_TOOLTIP, aggregated=True, cell_degrees=cell_degrees,
                 scale=scale, scale_title=scale_title)


def area_shades(values: np.ndarray) -> tuple[list[tuple[int, int, int]],
                                              list[tuple[str, tuple[int, int, int]]]]:
    """Each value's colour on the grid's count scale, and the scale's legend; a value of
    0 (a region by fatalities) gets a neutral grey of its own, said in the legend."""
    top = int(values.max()) if len(values) else 0
    if top < 1:
        return [NO_FATALITIES] * len(values), ([("0", NO_FATALITIES)] if len(values) else [])
    ends, palette = count_scale(top)
    shades = [palette[i] if value > 0 else NO_FATALITIES
              for i, value in zip(np.searchsorted(ends, values).tolist(), values.tolist(),
                                  strict=True)]
    legend = count_legend(top)
    return shades, ([("0", NO_FATALITIES)] if (values == 0).any() else []) + legend


def areas_marks(counts: areas.AreaCounts) -> Marks:
    """The admin-1 regions with incidents in view, shaded by incidents or fatalities on
    the grid's count scale: only those regions' (simplified) outlines are shipped, one
    feature each, never a point; the rows in no region are said in the scale's title."""
    table = counts.table[counts.table["id"].notna()]
    outlines, sizes = areas.geometries(), areas.geometry_sizes()
    table = table[table["id"].astype(str).isin(outlines.keys())]
    # Most incidents first (count_areas' order): what the budget leaves out is the least.
    fits = table["id"].astype(str).map(sizes).cumsum() <= AREA_BYTES
    undrawn, table = table[~fits], table[fits]
    shades, scale = area_shades(table[counts.shade_by].to_numpy(dtype=np.int64))
    features = [
        {"type": "Feature", "geometry": outlines[str(row.id)],
         "properties": {"id": str(row.id), "name": str(row.area), "country": str(row.country),
                        "incidents": f"{row.incidents:,}", "fatalities": f"{row.fatalities:,}",
                        "colour": [*shade, 190]}}
        for row, shade in zip(table.itertuples(index=False), shades, strict=True)]
    layer = pdk.Layer(
        "GeoJsonLayer", data={"type": "FeatureCollection", "features": features}, id="areas",
        pickable=True, stroked=True, filled=True, get_fill_color="properties.colour",
        get_line_color=[90, 90, 90, 200], line_width_min_pixels=1)
    title = f"{counts.shade_by.capitalize()} per admin-1 region"
    if counts.outside:
        title += f" ({plural(counts.outside, 'incident')} not in any region)"
    if len(undrawn):
        title += (f"; {plural(len(undrawn), 'region')} with the fewest incidents "
                  f"({int(undrawn['incidents'].sum()):,}) not drawn: too many outlines for "
                  "one map, narrow the filters")
    return Marks(layer, "areas", AREA_TOOLTIP, aggregated=False, scale=scale,
                 scale_title=title)


def heatmap_marks(incidents: pd.DataFrame, where: pd.DataFrame, zoom: float) -> Marks:
    """A heatmap of the placed incidents (``where``); of grid cells sized for ``zoom``
    when they are over POINT_LIMIT."""
    many = len(where) > POINT_LIMIT
    cell_degrees = None
    if many:
        cells, cell_degrees = grid_cells(incidents, zoom)
        data = cells[["longitude", "latitude", "weight"]]
    else:
        data = where[["longitude", "latitude"]].assign(weight=1)
    # deck.gl colours each pixel by its summed weight over the largest in view (and
    # fades out those under 5% of it): density, not counts.
    scale = list(zip(HEAT_LABELS, SEQUENTIAL, strict=True))
    layer = pdk.Layer(
        "HeatmapLayer", data=records(data), id="heatmap",
        get_position=["longitude", "latitude"], get_weight="weight", radius_pixels=30,
        opacity=0.8, color_range=[list(rgb) for _, rgb in scale])
    return Marks(layer, "heatmap", None, aggregated=many, cell_degrees=cell_degrees,
                 scale=scale, scale_title=HEAT_TITLE)


def point_marks(where: pd.DataFrame, colour_by: str) -> Marks:
    """One point per placed incident (``where``), coloured by ``colour_by``, with the
    legend of its colours."""
    palette = colours(where, colour_by)
    points = map_points(where, colour_by, palette)
    layer = pdk.Layer(
        "ScatterplotLayer", data=records(points), id="incidents", pickable=True,
        get_position=["longitude", "latitude"], get_radius="radius",
        get_fill_color="colour",
        # pydeck reads a bare string as an accessor expression; quotes make it a literal.
        radius_units="'pixels'", stroked=True, get_line_color=[60, 60, 60, 160],
        line_width_min_pixels=1)
    legend = list(palette.items())
    if where[colour_by].nunique() > len(palette):
        legend.append((OTHER_LABEL, OTHER))
    return Marks(layer, "points", TOOLTIP, aggregated=False, legend=legend)


def outline_layer() -> pdk.Layer:
    """The country outlines drawn beneath the marks when there are no tiles."""
    return pdk.Layer(
        "GeoJsonLayer", data=OUTLINES_URL, id="countries", stroked=True, filled=True,
        get_fill_color=[238, 238, 232], get_line_color=[150, 150, 150],
        line_width_min_pixels=1)


# Comparing two periods (A, B): grid cells coloured by B's count minus A's, on a
# diverging scale: more in B in orange (vermillion), fewer in blue (Okabe and Ito's), a
# deeper shade for a larger change; no change in pale grey.
DIFFERENCE = "difference"
MORE = [(240, 190, 120), (230, 120, 40), (180, 60, 0)]
FEWER = [(150, 200, 235), (60, 140, 200), (0, 80, 150)]
UNCHANGED = (200, 200, 200)
DIFFERENCE_COLUMNS = ["polygon", "colour", "weight", "a", "b", "change", "cell"]
DIFFERENCE_TOOLTIP = "Period A: {a} incidents\nPeriod B: {b}\nChange: {change}\n({cell} cell)"


def difference_cells(a_rows: pd.DataFrame, b_rows: pd.DataFrame, zoom: float
                     ) -> tuple[pd.DataFrame, float, np.ndarray]:
    """Placed incidents of A and of B counted on one grid sized for ``zoom`` (as
    `grid_cells`, coarser for at most CELL_LIMIT cells): one row per cell with incidents in
    either (`DIFFERENCE_COLUMNS`), the cell size, and the ends of the shades of |B - A|."""
    both = pd.concat([placed(a_rows)[["latitude", "longitude"]].assign(side=0),
                      placed(b_rows)[["latitude", "longitude"]].assign(side=1)])
    first = choose_cell_size(zoom)
    if both.empty:
        return pd.DataFrame(columns=DIFFERENCE_COLUMNS), first, np.array([], dtype="int64")
    latitude, longitude = both["latitude"].to_numpy(), both["longitude"].to_numpy()
    for size in CELL_SIZES[CELL_SIZES.index(first):]:
        columns = int(360 / size) + 1
        inverse, ids = pd.factorize(np.floor((latitude + 90) / size).astype("int64") * columns
                                    + np.floor((longitude + 180) / size).astype("int64"))
        if len(ids) <= CELL_LIMIT:
            break
    side = both["side"].to_numpy()
    a = np.bincount(inverse[side == 0], minlength=len(ids))
    b = np.bincount(inverse[side == 1], minlength=len(ids))
    change = b - a
    ends = difference_ends(int(np.abs(change).max()))
    south, west = (ids // columns) * size - 90, (ids % columns) * size - 180
    cells = pd.DataFrame({
        "polygon": [[[w, s], [w + size, s], [w + size, s + size], [w, s + size]]
                    for w, s in zip(west.round(4).tolist(), south.round(4).tolist(),
                                    strict=True)],
        "colour": [difference_colour(n, ends) for n in change.tolist()],
        "weight": change,
        "a": [f"{n:,}" for n in a.tolist()],
        "b": [f"{n:,}" for n in b.tolist()],
        "change": [f"{n:+,}" for n in change.tolist()],
        "cell": f"{size:g}°",
    })
    return cells, size, ends


def difference_ends(top: int) -> np.ndarray:
    """The largest |B - A| of each shade but the deepest (round numbers, ascending): a
    change of n has shade ``searchsorted(ends, n)``."""
    if top <= 1:
        return np.array([], dtype="int64")
    shades = len(MORE)
    ends = np.unique(round_counts(float(top) ** (np.arange(1, shades) / shades)))
    return ends[ends < top]


def difference_colour(change: int, ends: np.ndarray) -> list[int]:
    if change == 0:
        return [*UNCHANGED, 120]
    shades = MORE if change > 0 else FEWER
    return [*shades[min(int(np.searchsorted(ends, abs(change))), len(shades) - 1)], 210]


def difference_legend(ends: np.ndarray, top: int) -> list[tuple[str, tuple[int, int, int]]]:
    """Each shade with its range of B - A, fewest first."""
    lows, highs = [1, *(ends + 1).tolist()], [*ends.tolist(), top]
    ranges = [(f"{low:,}" if low == high else f"{low:,}–{high:,}")
              for low, high in zip(lows, highs, strict=True)]
    return ([(f"−{text}", rgb) for text, rgb in zip(ranges[::-1], FEWER[::-1], strict=False)]
            + [("0", UNCHANGED)]
            + [(f"+{text}", rgb) for text, rgb in zip(ranges, MORE, strict=False)])


def difference_marks(a_rows: pd.DataFrame, b_rows: pd.DataFrame, zoom: float) -> Marks:
    """Grid cells coloured by how many more (or fewer) incidents B has than A."""
    cells, size, ends = difference_cells(a_rows, b_rows, zoom)
    scale = []
    if len(cells):
        scale = difference_legend(ends, max(int(cells["weight"].abs().max()), 1))
    layer = pdk.Layer("PolygonLayer", data=records(cells), id=DIFFERENCE, pickable=True,
                      stroked=False, get_polygon="polygon", get_fill_color="colour")
    return Marks(layer, DIFFERENCE, DIFFERENCE_TOOLTIP, aggregated=True, cell_degrees=size,
                 scale=scale, scale_title=f"Incidents in B minus A, per {size:g}° cell")


def difference_map(a_rows: pd.DataFrame, b_rows: pd.DataFrame, view: pdk.ViewState
                   ) -> IncidentMap:
    """The map of `difference_marks` over the country outlines (the hook beside
    `build_map`: the same deck, with two tables of incidents)."""
    marks = difference_marks(a_rows, b_rows, view.zoom)
    deck = CompactDeck(layers=[outline_layer(), marks.layer], initial_view_state=view,
                       map_provider=None, map_style=OFFLINE_STYLE_URL,
                       tooltip=tooltip(marks.tooltip))
    return IncidentMap(deck=deck, layer=marks.drawn, aggregated=True,
                       cell_degrees=marks.cell_degrees, scale=marks.scale,
                       scale_title=marks.scale_title)


def circle_layer(near: vicinity.Near) -> pdk.Layer:
    """The distance filter's circle (computed on the sphere): an outline, not filled, so
    the marks inside stay readable; not pickable, so a click still picks an incident."""
    outline = vicinity.ring(near.latitude, near.longitude, near.km)
    return pdk.Layer(
        "PathLayer", id="near",
        data=[{"path": outline, "latitude": near.latitude, "longitude": near.longitude,
               "km": near.km}],
        get_path="path", get_color=[200, 30, 30, 230], width_units="'pixels'",
        get_width=2, width_min_pixels=2, pickable=False)


def with_circle(box: Bounds | None, near: vicinity.Near | None) -> Bounds | None:
    """``box`` widened to hold the circle of ``near`` (the circle's box alone when there
    is no box: a place with no incident near it is still shown)."""
    if near is None:
        return box
    circle = vicinity.box(near)
    if box is None:
        return circle
    return (min(box[0], circle[0]), min(box[1], circle[1]), max(box[2], circle[2]),
            max(box[3], circle[3]))

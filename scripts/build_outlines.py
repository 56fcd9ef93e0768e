"""Build static/countries.geojson, the offline basemap, from the world-atlas npm package.

    cd "$(mktemp -d)" && npm pack world-atlas@2 && tar xzf world-atlas-*.tgz
    python scripts/build_outlines.py package/countries-110m.json

world-atlas (ISC licence) carries Natural Earth's 1:110m country outlines (public
domain) as TopoJSON; this decodes the shared arcs into plain GeoJSON polygons.
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

# Served by Streamlit's static file serving, so the browser fetches it once and caches it
# instead of receiving it inside every map spec.
OUT = Path(__file__).resolve().parents[1] / "static" / "countries.geojson"
# Antarctica spans every longitude; drawn flat it smears a band across the map's foot.
DROP_IDS = {"010"}
DECIMALS = 2  # about 1 km, well below what the 1:110m outlines resolve


def decode_arcs(topology: dict) -> list[list[list[float]]]:
    """Absolute coordinates of each arc (TopoJSON stores quantised deltas)."""
    (scale_x, scale_y), (shift_x, shift_y) = (topology["transform"]["scale"],
                                              topology["transform"]["translate"])
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append([round(x * scale_x + shift_x, DECIMALS),
                           round(y * scale_y + shift_y, DECIMALS)])
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs: list) -> list[list[float]]:
    """Join arcs into one ring; a negative index means the arc reversed (~i)."""
    points: list[list[float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])  # arcs share their end points
    # Fiji and Chukotka cross the antimeridian: drawn as they are, the jump from +180 to
    # -180 paints a line across the whole map. Past 180 degrees the ring stays whole.
    if any(abs(a[0] - b[0]) > 180 for a, b in itertools.pairwise(points)):
        points = [[x + 360 if x < 0 else x, y] for x, y in points]
    return points


def to_geojson(topology: dict) -> dict:
    arcs = decode_arcs(topology)
    features = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("id") in DROP_IDS or geometry["type"] not in {"Polygon", "MultiPolygon"}:
            continue
        polygons = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        features.append({
            "type": "Feature",
            "properties": {"name": geometry["properties"]["name"]},
            "geometry": {"type": "MultiPolygon",
                         "coordinates": [[ring(r, arcs) for r in polygon] for polygon in polygons]},
        })
    return {"type": "FeatureCollection", "features": features}


def main(source: str) -> None:
    geojson = to_geojson(json.loads(Path(source).read_text()))
    OUT.write_text(json.dumps(geojson, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e3:.0f} kB, {len(geojson['features'])} countries)")


if __name__ == "__main__":
    main(sys.argv[1])

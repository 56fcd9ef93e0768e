"""Admin-1 areas: the region each incident lies in, and incidents and fatalities per area.

The outlines are ``static/admin1.geojson`` (Natural Earth's admin-1 regions, public
domain, simplified by ``scripts/build_admin1.py``), the file the app also serves to the
browser. A row's region is the file's own ``admin1`` where it has one; otherwise the
region whose outline holds its point, among its own country's regions when the row's
country is known (or the nearest of those within NEAR degrees). The outlines are
simplified to about 3 km, so a point that close to a border may land in the neighbour.

Points are placed in bulk: each distinct point once; candidate regions from a 1-degree
grid of the regions' boxes; then a ray cast to the east over only the region's edges
that cross the point's narrow band of latitude.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard import ROOT
from dashboard.gazetteer import load_gazetteer, loose_key, normalize_name, split_type_word
from dashboard.geocode import GEO_DISTRICT

STATIC_DIR = ROOT / "static"
SLAB = 0.05  # degrees of latitude per band of edges
SLABS = int(180 / SLAB) + 1
CELL_COLUMNS, CELL_ROWS = 361, 181  # 1-degree cells, one spare for lon 180 and lat 90
# A spelling of a file's admin-1 is matched by its points when more than this share of
# its placed rows lie in one region.
MAJORITY = 0.5
# Degrees: a point this close outside its own country's regions (a border town, a
# lagoon the simplified coast cuts off) goes to the nearest of them.
NEAR = 0.1
AREA_COLUMNS = ["area", "country", "id", "incidents", "fatalities"]
# The column that says where a row's admin1 came from: the file, or the outline holding
# its point (the pipeline fills it where the file gives none; see `fill_admin1`).
ADMIN1_SOURCE = "admin1_source"
FROM_FILE, FROM_OUTLINE = "file", "outline"
# The same for admin2: the file, or the district the geocoder placed the row at (see
# `fill_admin2`).
ADMIN2_SOURCE = "admin2_source"
FROM_GAZETTEER = "gazetteer"


def outlines_path() -> Path:
    """Where the admin-1 outlines are (the one place that knows)."""
    return STATIC_DIR / "admin1.geojson"


@dataclass(frozen=True, eq=False)
class Outlines:
    """Admin-1 regions and their edges, indexed for placing points."""

    regions: pd.DataFrame  # id, name, country_code, country, key; one row per region
    edges: np.ndarray  # (E, 4) float64: x0, y0, x1, y1 of every ring's segments
    band_keys: np.ndarray  # sorted region * SLABS + band, one per (region, band) with edges
    band_starts: np.ndarray  # into band_edges, len(band_keys) + 1
    band_edges: np.ndarray  # edge numbers, grouped by band_keys
    cell_starts: np.ndarray  # into cell_regions, one per 1-degree cell + 1
    cell_regions: np.ndarray  # region numbers whose box touches each cell
    boxes: np.ndarray  # (R, 4): xmin, ymin, xmax, ymax
    country: np.ndarray  # (R,) int: position of the region's code in `codes`
    codes: tuple[str, ...]  # the country codes present

    def code_numbers(self, codes: pd.Series) -> np.ndarray:
        """The positions of country codes in `codes`; -1 for unknown or missing ones."""
        lookup = {code: number for number, code in enumerate(self.codes) if code}
        return by_distinct(codes, lambda code: lookup.get(code, -1)).fillna(-1).to_numpy(
            dtype=np.int64)


def area_key(name: object) -> str:
    """A region's name folded for matching: "Borno State", "borno" -> "borno"."""
    return split_type_word(normalize_name(name))[0]


def ring_edges(geojson: dict) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The regions' properties, every segment of their rings and its region's number."""
    rows, edges, owners = [], [], []
    for number, feature in enumerate(geojson["features"]):
        rows.append(feature["properties"])
        geometry = feature["geometry"]
        polygons = (geometry["coordinates"] if geometry["type"] == "MultiPolygon"
                    else [geometry["coordinates"]])
        for ring in (np.asarray(ring, dtype=float) for polygon in polygons for ring in polygon):
            edges.append(np.hstack([ring[:-1], ring[1:]]))
            owners.append(np.full(len(ring) - 1, number))
    regions = pd.DataFrame(rows, columns=["id", "name", "country_code", "country"])
    regions = regions.fillna("").astype(str)
    return regions, np.concatenate(edges), np.concatenate(owners)


def grouped(keys: np.ndarray, values: np.ndarray, size: int | None = None):
    """Values sorted by key with each key's start: (keys, starts, values), or with
    ``size`` the starts of every key from 0 to size - 1 (then keys is None)."""
    order = np.argsort(keys, kind="stable")
    keys, values = keys[order], values[order]
    if size is not None:
        return None, np.searchsorted(keys, np.arange(size + 1)), values
    unique, starts = np.unique(keys, return_index=True)
    return unique, np.append(starts, len(keys)), values


def spans(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges first..last (inclusive) of whole numbers: which range and which number
    each element of their concatenation is."""
    counts = last - first + 1
    which = np.repeat(np.arange(len(first)), counts)
    offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return which, first[which] + offsets


def read_outlines(geojson: dict) -> Outlines:
    """Index a FeatureCollection of regions (properties id, name, country_code, country)."""
    regions, edges, owners = ring_edges(geojson)
    regions["key"] = regions["name"].map(area_key)
    boxes = (pd.DataFrame({"owner": np.concatenate([owners, owners]),
                           "x": np.concatenate([edges[:, 0], edges[:, 2]]),
                           "y": np.concatenate([edges[:, 1], edges[:, 3]])})
             .groupby("owner").agg(xmin=("x", "min"), ymin=("y", "min"), xmax=("x", "max"),
                                   ymax=("y", "max"))
             .reindex(range(len(regions))).to_numpy())
    low = band(np.minimum(edges[:, 1], edges[:, 3]))
    high = band(np.maximum(edges[:, 1], edges[:, 3]))
    edge_numbers, bands = spans(low, high)
    band_keys, band_starts, band_edges = grouped(owners[edge_numbers] * SLABS + bands,
                                                 edge_numbers)
    region_numbers, cells = box_cells(boxes)
    _, cell_starts, cell_regions = grouped(cells, region_numbers, CELL_COLUMNS * CELL_ROWS)
    codes, country = np.unique(regions["country_code"].to_numpy(dtype=str), return_inverse=True)
    return Outlines(regions=regions, edges=edges, band_keys=band_keys, band_starts=band_starts,
                    band_edges=band_edges, cell_starts=cell_starts, cell_regions=cell_regions,
                    boxes=boxes, country=country, codes=tuple(codes.tolist()))


def band(latitude: np.ndarray) -> np.ndarray:
    return np.clip(((latitude + 90) / SLAB).astype(np.int64), 0, SLABS - 1)


def cell(longitude: np.ndarray, latitude: np.ndarray) -> np.ndarray:
    column = np.clip(np.floor(longitude + 180).astype(np.int64), 0, CELL_COLUMNS - 1)
    row = np.clip(np.floor(latitude + 90).astype(np.int64), 0, CELL_ROWS - 1)
    return row * CELL_COLUMNS + column


def box_cells(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (region, cell) pair whose 1-degree cell the region's box touches."""
    first, last = cell(boxes[:, 0], boxes[:, 1]), cell(boxes[:, 2], boxes[:, 3])
    columns, rows = first % CELL_COLUMNS, first // CELL_COLUMNS
    width = last % CELL_COLUMNS - columns + 1
    height = last // CELL_COLUMNS - rows + 1
    region, position = spans(np.zeros(len(boxes), np.int64), width * height - 1)
    cells = ((rows[region] + position // width[region]) * CELL_COLUMNS
             + columns[region] + position % width[region])
    return region, cells


@cache
def load_outlines(path: Path | None = None) -> Outlines:
    """Read and index the outlines once per process; read-only afterwards."""
    return read_outlines(json.loads((path or outlines_path()).read_text(encoding="utf-8")))


def candidates(outlines: Outlines, x: np.ndarray, y: np.ndarray,
               country: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point, region) pairs whose box holds the point, in the point's country if known."""
    cells = cell(x, y)
    first = outlines.cell_starts[cells]
    point, slot = spans(first, outlines.cell_starts[cells + 1] - 1)
    region = outlines.cell_regions[slot]
    box = outlines.boxes[region]
    px, py = x[point], y[point]
    keep = (box[:, 0] <= px) & (px <= box[:, 2]) & (box[:, 1] <= py) & (py <= box[:, 3])
    keep &= (country[point] < 0) | (outlines.country[region] == country[point])
    return point[keep], region[keep]


def inside(outlines: Outlines, x: np.ndarray, y: np.ndarray, point: np.ndarray,
           region: np.ndarray) -> np.ndarray:
    """Whether each (point, region) pair has the point inside (an odd number of the
    region's edges cross the ray from the point to the east)."""
    keys = region * SLABS + band(y[point])
    position = np.clip(np.searchsorted(outlines.band_keys, keys), 0,
                       len(outlines.band_keys) - 1)
    found = outlines.band_keys[position] == keys
    first = np.where(found, outlines.band_starts[position], 0)
    last = np.where(found, outlines.band_starts[position + 1], 0) - 1
    pair, slot = spans(first, last)
    x0, y0, x1, y1 = outlines.edges[outlines.band_edges[slot]].T
    px, py = x[point[pair]], y[point[pair]]
    straddles = (y0 > py) != (y1 > py)
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = straddles & (px < x0 + (py - y0) * (x1 - x0) / (y1 - y0))
    return np.bincount(pair, weights=crossing, minlength=len(point)) % 2 == 1


def locate(outlines: Outlines, longitude: np.ndarray, latitude: np.ndarray,
           country: np.ndarray | None = None) -> np.ndarray:
    """The number of the region holding each point, or -1: none (the sea, a missing
    coordinate, or no region of the point's own country, given as in `code_numbers`)."""
    x, y = np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)
    country = np.full(len(x), -1) if country is None else np.asarray(country)
    known = np.flatnonzero(np.isfinite(x) & np.isfinite(y) & (np.abs(y) <= 90)
                           & (np.abs(x) <= 180))
    point, region = candidates(outlines, x[known], y[known], country[known])
    hit = inside(outlines, x[known], y[known], point, region)
    result = np.full(len(x), -1, dtype=np.int64)
    # Where simplified neighbours overlap, the first region in the file's order wins.
    point, region = point[hit][::-1], region[hit][::-1]
    result[known[point]] = region
    astray = known[(result[known] < 0) & (country[known] >= 0)]
    result[astray] = nearest(outlines, x[astray], y[astray], country[astray])
    return result


def nearest(outlines: Outlines, x: np.ndarray, y: np.ndarray,
            country: np.ndarray) -> np.ndarray:
    """The region of each point's own country nearest to it within NEAR degrees, or -1."""
    _, starts, members = grouped(outlines.country, np.arange(len(outlines.country)),
                                 len(outlines.codes))
    point, slot = spans(starts[country], starts[country + 1] - 1)
    region = members[slot]
    box, px, py = outlines.boxes[region], x[point], y[point]
    keep = ((box[:, 0] - NEAR <= px) & (px <= box[:, 2] + NEAR)
            & (box[:, 1] - NEAR <= py) & (py <= box[:, 3] + NEAR))
    point, region = point[keep], region[keep]
    reach = int(np.ceil(NEAR / SLAB))
    pair, bands = spans(band(y[point]) - reach, band(y[point]) + reach)
    keys = region[pair] * SLABS + bands
    position = np.clip(np.searchsorted(outlines.band_keys, keys), 0,
                       len(outlines.band_keys) - 1)
    found = outlines.band_keys[position] == keys
    entry, slot = spans(np.where(found, outlines.band_starts[position], 0),
                        np.where(found, outlines.band_starts[position + 1], 0) - 1)
    owner = point[pair[entry]]
    distance = segment_distance(x[owner], y[owner], outlines.edges[outlines.band_edges[slot]])
    close = pd.DataFrame({"point": owner, "region": region[pair[entry]],
                          "distance": distance})
    close = close[close["distance"] <= NEAR].sort_values(["distance", "region"])
    best = close.drop_duplicates("point")
    result = np.full(len(x), -1, dtype=np.int64)
    result[best["point"].to_numpy()] = best["region"].to_numpy()
    return result


def segment_distance(px: np.ndarray, py: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Degrees from each point to its segment (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = edges.T
    dx, dy = x1 - x0, y1 - y0
    length = dx * dx + dy * dy
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.clip(np.where(length > 0, ((px - x0) * dx + (py - y0) * dy) / length, 0), 0, 1)
    return np.hypot(px - (x0 + t * dx), py - (y0 + t * dy))


def by_distinct(values: pd.Series, convert) -> pd.Series:
    """``convert`` applied to each distinct value once (a million rows hold a few
    hundred countries and regions), as an object Series with None for missing."""
    numbers, distinct = pd.factorize(values, use_na_sentinel=True)
    converted = np.array([convert(value) for value in distinct] + [None], dtype=object)
    return pd.Series(converted[numbers], index=values.index, dtype=object)


def country_codes(incidents: pd.DataFrame) -> pd.Series:
    """Each row's country code: its own, else the gazetteer's for its country's name."""
    codes = (by_distinct(incidents["country_code"], lambda code: str(code) or None)
             if "country_code" in incidents
             else pd.Series(None, index=incidents.index, dtype=object))
    if "country" in incidents and codes.isna().any():
        named = by_distinct(incidents["country"], load_gazetteer().country_code)
        codes = codes.where(codes.notna(), named)
    return codes


def locate_rows(incidents: pd.DataFrame, rows: pd.Series,
                outlines: Outlines | None = None) -> pd.Series:
    """The region number holding each chosen row's point (-1 for none), each distinct
    point and country placed once."""
    outlines = outlines or load_outlines()
    chosen = incidents.loc[rows]
    x = pd.to_numeric(chosen["longitude"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(chosen["latitude"], errors="coerce").to_numpy(dtype=float)
    country = outlines.code_numbers(country_codes(chosen))
    where, _ = pd.factorize(x + 1j * y)
    group, _ = pd.factorize(where * (len(outlines.codes) + 1) + country + 1)
    first = np.zeros(group.max() + 1 if len(group) else 0, dtype=np.int64)
    first[group[::-1]] = np.arange(len(group))[::-1]
    found = locate(outlines, x[first], y[first], country[first])
    return pd.Series(found[group], index=chosen.index)


def assign_admin1(incidents: pd.DataFrame, outlines: Outlines | None = None) -> pd.Series:
    """Each row's admin-1 region (categorical): the file's own where it has one, else
    the outline's name of the region holding the row's point; missing where neither."""
    outlines = outlines or load_outlines()
    own = own_admin1(incidents)
    todo = own.isna() & has_regional_point(incidents)
    found = np.full(len(incidents), -1, dtype=np.int64)
    found[todo.to_numpy()] = locate_rows(incidents, todo, outlines).to_numpy()
    names = outlines.regions["name"].to_numpy(dtype=object)[found]
    names[found < 0] = None
    return categorical(own.where(own.notna(), pd.Series(names, index=incidents.index)))


def fill_admin1(incidents: pd.DataFrame, outlines: Outlines | None = None
                ) -> tuple[pd.Series, pd.Series]:
    """Each row's admin-1 region and where it came from (ADMIN1_SOURCE): the file's own
    text where it has one ("file"); else, for a row whose point lies in a region, that
    region ("outline"), spelled as the file spells it elsewhere (its most used spelling
    matched to that region, so "Borno state" is not listed twice, once as "Borno"), else
    as the outline names it; missing (source too) where neither. Strings, not categories:
    the pipeline compacts them."""
    outlines = outlines or load_outlines()
    own = own_admin1(incidents)
    present = own.notna()
    admin1 = (incidents["admin1"].astype("string") if "admin1" in incidents
              else pd.Series(pd.NA, index=incidents.index, dtype="string"))
    admin1 = admin1.where(present, pd.NA)
    source = pd.Series(pd.NA, index=incidents.index, dtype="string").mask(present, FROM_FILE)
    todo = ~present & has_regional_point(incidents)
    if todo.any():
        found = locate_rows(incidents, todo, outlines).to_numpy()
        names = outlines.regions["name"].to_numpy(dtype=object)[found]
        names[found < 0] = None
        spelled = file_spellings(incidents, own, outlines)
        if len(spelled):
            codes = country_codes(incidents[todo])
            wanted = spelled.reindex(pd.MultiIndex.from_arrays([codes.to_numpy(), found]))
            names = np.where(wanted.notna().to_numpy(), wanted.to_numpy(dtype=object), names)
        admin1[todo] = pd.array(names, dtype="string")
        source[todo & admin1.notna()] = FROM_OUTLINE
    return admin1, source


def fill_admin2(incidents: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Each row's admin-2 district and where it came from (ADMIN2_SOURCE): the file's own
    text where it has one ("file"); else the district the geocoder placed the row at, its
    place text naming it ("Adavi LGA"), as the gazetteer names it ("gazetteer",
    `geocode.GEO_DISTRICT`); missing (source too) where neither. The gazetteer has
    districts' points but not their outlines, nor which district holds a town: a row
    placed at a town, or by its own coordinates, gets none. Strings, as `fill_admin1`."""
    own = (by_distinct(incidents["admin2"], lambda name: str(name).strip() or None)
           if "admin2" in incidents else pd.Series(None, index=incidents.index, dtype=object))
    present = own.notna()
    found = incidents.get(GEO_DISTRICT, pd.Series(pd.NA, index=incidents.index))
    admin2 = (incidents["admin2"].astype("string") if "admin2" in incidents
              else pd.Series(pd.NA, index=incidents.index, dtype="string"))
    admin2 = admin2.where(present, found.astype("string"))
    source = pd.Series(pd.NA, index=incidents.index, dtype="string").mask(present, FROM_FILE)
    return admin2, source.mask(~present & admin2.notna(), FROM_GAZETTEER)


def file_spellings(incidents: pd.DataFrame, own: pd.Series, outlines: Outlines) -> pd.Series:
    """The file's most used spelling of each region it names, by (country code, region
    number); empty when the file names none."""
    if not own.notna().any():
        return pd.Series(dtype=object)
    matches = match_admin1(incidents, outlines)
    matches = matches[matches["region"] >= 0].sort_values("rows", ascending=False,
                                                           kind="stable")
    matches = matches.drop_duplicates(["country_code", "region"])
    return matches.set_index(["country_code", "region"])["admin1"].astype(object)


def has_regional_point(incidents: pd.DataFrame) -> pd.Series:
    """Rows whose point says which region they are in: a row placed only at country
    level sits at its country's middle, in whichever region that is (Hamah for a row
    known only to be in Syria, Timbuktu for Mali), not in one the incident was."""
    if not {"latitude", "longitude"} <= set(incidents.columns):
        return pd.Series(False, index=incidents.index)
    point = incidents["latitude"].notna() & incidents["longitude"].notna()
    if "geo_precision" in incidents:
        point &= (incidents["geo_precision"].astype(object) != "country").to_numpy()
    return point


def categorical(values: pd.Series) -> pd.Series:
    """Object values (None for missing) as a categorical Series: a million rows hold a
    few hundred names, and the page's tables keep text as categories."""
    return values.astype("category")


def own_admin1(incidents: pd.DataFrame) -> pd.Series:
    """The file's own admin-1 text, stripped, as objects (None where it has none)."""
    if "admin1" not in incidents:
        return pd.Series(None, index=incidents.index, dtype=object)
    return by_distinct(incidents["admin1"], lambda name: str(name).strip() or None)


def match_admin1(incidents: pd.DataFrame, outlines: Outlines | None = None) -> pd.DataFrame:
    """How the file's own admin-1 spellings map to the outlines' regions: one row per
    (country_code, admin1) with its rows, the region number (-1 for none), and how it
    was matched: "name" (the folded names agree, within the country), "points" (most of
    its rows' points lie in one region) or "" (neither)."""
    outlines = outlines or load_outlines()
    own = own_admin1(incidents)
    frame = pd.DataFrame({"country_code": country_codes(incidents), "admin1": own})[
        own.notna()]
    spellings = (frame.groupby(["country_code", "admin1"], dropna=False, observed=True)
                 .size().rename("rows").reset_index())
    spellings["region"] = by_name(outlines, spellings)
    spellings["matched"] = np.where(spellings["region"] >= 0, "name", "")
    majority = by_points(incidents[own.notna()], frame, outlines)
    spellings = spellings.merge(majority, on=["country_code", "admin1"], how="left")
    use = (spellings["region"] < 0) & spellings["by_points"].notna()
    spellings.loc[use, "region"] = spellings.loc[use, "by_points"].astype(np.int64)
    spellings.loc[use, "matched"] = "points"
    regions = outlines.regions.reset_index(drop=True)
    known = spellings["region"] >= 0
    for column in ("id", "name"):
        spellings[column] = regions[column].reindex(
            spellings["region"].where(known)).to_numpy()
    return spellings.drop(columns="by_points")


def by_name(outlines: Outlines, spellings: pd.DataFrame) -> np.ndarray:
    """The region whose folded name is the spelling's, in its country; -1 where none is
    (or, without a country, where more than one is). Names are compared as folded, then
    with transliterations' vowels and doubled letters folded ("Latakia", "Lattakia")."""
    exact = name_match(outlines.regions["key"], spellings["admin1"].map(area_key),
                       outlines, spellings)
    loose = name_match(outlines.regions["key"].map(loose_key),
                       spellings["admin1"].map(area_key).map(loose_key), outlines, spellings)
    return np.where(exact >= 0, exact, loose)


def name_match(region_keys: pd.Series, keys: pd.Series, outlines: Outlines,
               spellings: pd.DataFrame) -> np.ndarray:
    regions = outlines.regions.assign(key=region_keys.to_numpy(),
                                      region=np.arange(len(outlines.regions)))
    regions = regions[regions["key"] != ""]
    keys = keys.astype(object).to_numpy()
    exact = spellings[["country_code"]].astype(object).assign(key=keys).merge(
        regions[["country_code", "key", "region"]].drop_duplicates(
            ["country_code", "key"], keep=False),
        on=["country_code", "key"], how="left")["region"].to_numpy(dtype=float)
    unique = regions.drop_duplicates("key", keep=False).set_index("key")["region"]
    anywhere = pd.Series(keys).map(unique).to_numpy(dtype=float, copy=True)
    anywhere[spellings["country_code"].notna().to_numpy()] = np.nan
    found = np.where(np.isnan(exact), anywhere, exact)
    return np.nan_to_num(found, nan=-1).astype(np.int64)


def by_points(rows: pd.DataFrame, frame: pd.DataFrame, outlines: Outlines) -> pd.DataFrame:
    """Per spelling, the region holding more than MAJORITY of its rows' points."""
    found = locate_rows(rows, has_regional_point(rows), outlines)
    placed = frame.loc[found.index].assign(found=found.to_numpy())
    counts = (placed.groupby(["country_code", "admin1", "found"], dropna=False, observed=True)
              .size().rename("n").reset_index())
    counts["share"] = counts["n"] / counts.groupby(
        ["country_code", "admin1"], dropna=False, observed=True)["n"].transform("sum")
    best = counts[(counts["found"] >= 0) & (counts["share"] > MAJORITY)]
    return best[["country_code", "admin1"]].assign(by_points=best["found"].to_numpy())


def area_keys(incidents: pd.DataFrame, by: str = "admin1",
              outlines: Outlines | None = None) -> pd.DataFrame:
    """Each row's area (name, country, outline id; categorical) for ``by`` "admin1" or
    "country"; the area is missing for rows that have none, and only rows with one are
    counted.

    By admin1: the file's own spelling matched to the outline's name where it can be
    (else kept as written, with no id); else the region holding the row's point.
    By country: the gazetteer's name for the row's country code, else its own text.
    """
    if by not in {"admin1", "country"}:
        raise ValueError(f"areas are by admin1 or country, not {by!r}")
    codes = country_codes(incidents)
    country = by_distinct(codes, load_gazetteer().country_name)
    if "country" in incidents:
        country = country.where(country.notna(), by_distinct(incidents["country"], str))
    if by == "country":
        return pd.DataFrame({"area": categorical(country), "country": categorical(country),
                             "id": categorical(codes)})
    return admin1_keys(incidents, codes, country, outlines or load_outlines())


def admin1_keys(incidents, codes, country, outlines) -> pd.DataFrame:
    own = own_admin1(incidents)
    matches = match_admin1(incidents, outlines)
    region = np.full(len(incidents), -1, dtype=np.int64)
    named = own.notna().to_numpy()
    if len(matches):
        lookup = matches.set_index(["country_code", "admin1"])["region"]
        region[named] = lookup.reindex(pd.MultiIndex.from_arrays(
            [codes[named], own[named]])).fillna(-1).to_numpy(dtype=np.int64)
    todo = own.isna() & has_regional_point(incidents)
    region[todo.to_numpy()] = locate_rows(incidents, todo, outlines).to_numpy()
    known = region >= 0
    regions = outlines.regions.iloc[np.where(known, region, 0)]

    def pick(column: str, otherwise: pd.Series) -> pd.Series:
        values = np.where(known, regions[column].to_numpy(dtype=object), otherwise)
        return categorical(pd.Series(values, index=incidents.index))

    nothing = pd.Series(None, index=incidents.index, dtype=object)
    return pd.DataFrame({"area": pick("name", own), "country": pick("country", country),
                         "id": pick("id", nothing)})


@dataclass(frozen=True, eq=False)
class AreaIndex:
    """Each row's area, worked out once for a table, so that counting the areas of any
    subset of its rows (a filter, a playback window) is a bincount."""

    numbers: np.ndarray  # each row's area: a position in `areas`, -1 for none
    areas: pd.DataFrame  # area, country, id: one row per area number
    fatalities: np.ndarray  # each row's fatalities, 0 where not reported


@dataclass(frozen=True)
class AreaCounts:
    """The areas of some rows, what the map shades them by, and how many of the rows
    lie in no region the map can shade (no point, a point only at country level or
    outside every outline, or a region the outlines lack)."""

    table: pd.DataFrame  # AREA_COLUMNS, most incidents first
    outside: int
    shade_by: str = "incidents"  # or "fatalities"


def index_areas(incidents: pd.DataFrame, by: str = "admin1",
                outlines: Outlines | None = None) -> AreaIndex:
    """Each row's area (see `area_keys`) as a number into a table of areas."""
    keys = area_keys(incidents, by, outlines)
    has = keys["area"].notna().to_numpy()
    groups = keys[has].groupby(["area", "country"], dropna=False, observed=True, sort=False)
    numbers = np.full(len(keys), -1, dtype=np.int64)
    numbers[has] = groups.ngroup().to_numpy()
    table = groups.agg(id=("id", "first")).reset_index()[["area", "country", "id"]]
    fatalities = (pd.to_numeric(incidents["fatalities"], errors="coerce").fillna(0)
                  .to_numpy(dtype=np.int64) if "fatalities" in incidents
                  else np.zeros(len(keys), dtype=np.int64))
    return AreaIndex(numbers, table, fatalities)


def count_areas(index: AreaIndex, positions: np.ndarray | None = None) -> pd.DataFrame:
    """Incidents and fatalities per area among the rows at ``positions`` (all rows when
    None), most incidents first: AREA_COLUMNS, only areas with incidents."""
    numbers, deaths = index.numbers, index.fatalities
    if positions is not None:
        numbers, deaths = numbers[positions], deaths[positions]
    inside = numbers >= 0
    size = len(index.areas)
    table = index.areas.assign(
        incidents=np.bincount(numbers[inside], minlength=size).astype(np.int64),
        fatalities=np.bincount(numbers[inside], weights=deaths[inside],
                               minlength=size).astype(np.int64))
    table = table[table["incidents"] > 0]
    return table.sort_values(["incidents", "area"], ascending=[False, True],
                             ignore_index=True)[AREA_COLUMNS]


def counted(index: AreaIndex, positions: np.ndarray | None = None,
            shade_by: str = "incidents") -> AreaCounts:
    """`count_areas` with the rows in no region with an outline counted."""
    table = count_areas(index, positions)
    rows = len(index.numbers) if positions is None else len(positions)
    shaded = int(table.loc[table["id"].notna(), "incidents"].sum())
    return AreaCounts(table, rows - shaded, shade_by)


def per_area(incidents: pd.DataFrame, by: str = "admin1",
             outlines: Outlines | None = None) -> pd.DataFrame:
    """Incidents and fatalities per area, most incidents first: columns area, country,
    id (the outline's id by admin1, the country code by country; missing for an area
    the outlines lack), incidents, fatalities. Rows without an area (no admin1 and no
    point in a region; no country) are not counted, so incidents add up to the rows
    ``area_keys`` gives an area, not to every row."""
    return count_areas(index_areas(incidents, by, outlines))


def area_choices(incidents: pd.DataFrame, index: AreaIndex, area_id: str
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The filter values that pick the rows of the region with outline id ``area_id``:
    the countries and admin1 spellings those rows carry (a region may be spelled two
    ways in a file); empty when no row lies in it."""
    numbers = np.flatnonzero((index.areas["id"].astype(object) == area_id).to_numpy())
    rows = np.isin(index.numbers, numbers)

    def values(column: str) -> tuple[str, ...]:
        if column not in incidents:
            return ()
        found = incidents[column].to_numpy(dtype=object)[rows]
        return tuple(sorted({str(value) for value in found if not pd.isna(value)}))

    return values("country"), values("admin1")


@cache
def geometries(path: Path | None = None) -> dict[str, dict]:
    """Each region's outline (a GeoJSON geometry) by its id, read once per process."""
    collection = json.loads((path or outlines_path()).read_text(encoding="utf-8"))
    return {str(feature["properties"]["id"]): feature["geometry"]
            for feature in collection["features"]}


@cache
def geometry_sizes(path: Path | None = None) -> dict[str, int]:
    """How many bytes of compact JSON each region's outline adds to a map's spec."""
    return {area_id: len(json.dumps(geometry, separators=(",", ":")))
            for area_id, geometry in geometries(path).items()}

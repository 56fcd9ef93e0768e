"""A vicinity: the incidents within some kilometres of a place, and the circle around it.

The place is typed ("Palma, Mozambique") and found by the geocoder's own resolver, as a
row's place text with no country column would be (`geocode.resolve`), or typed as
coordinates ("-10.77, 40.47"). A text that names no point (not found, only a country,
a name several places share) is refused with a reason, never silently ignored. See
docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from dashboard.gazetteer import Gazetteer, load_gazetteer
from dashboard.geo import EARTH_KM, distance_km
from dashboard.geocode import QUERY_COLUMNS, candidates, resolve
from dashboard.wording import plural

DEFAULT_KM = 50.0
# Beyond this a circle is a continent: a country or region filter says it better, and a
# circle that wide is badly bent by the map's projection (and may take in a pole).
MAX_KM = 2000.0
MIN_KM = 0.1  # a hundred metres: finer than most incidents' points are known
MAX_TEXT = 200
# "-10.77, 40.47" or "-10.77 40.47": latitude first, as people say it.
COORDINATES = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*[,;\s]\s*([-+]?\d+(?:\.\d+)?)\s*$")
RING_POINTS = 64  # a circle on the map: smooth at any zoom, a few kB of JSON


class Unresolved(ValueError):
    """A place text that gives no single point; the message says why, in one line."""


@dataclass(frozen=True)
class Near:
    """Incidents within ``km`` of the point ``text`` names (a filter's value)."""

    text: str  # as typed: a place ("Palma, Mozambique") or coordinates ("-10.77, 40.47")
    km: float
    latitude: float
    longitude: float
    label: str  # where the text was found, in words: "Palma, Mozambique (10.77 S, 40.47 E)"


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float
    label: str


def degrees(latitude: float, longitude: float) -> str:
    """A point as people write it: "10.77 S, 40.47 E"."""
    return (f"{abs(latitude):.2f} {'S' if latitude < 0 else 'N'}, "
            f"{abs(longitude):.2f} {'W' if longitude < 0 else 'E'}")


def parse_km(text: str) -> float:
    """A radius in kilometres: a positive number, MIN_KM to MAX_KM; else `Unresolved`."""
    try:
        km = float(text)
    except ValueError:
        raise Unresolved("not a number of kilometres") from None
    if not km > 0 or math.isinf(km):  # NaN too
        raise Unresolved("not a positive number of kilometres")
    if km < MIN_KM:
        raise Unresolved(f"less than the {MIN_KM:g} km a circle must span")
    if km > MAX_KM:
        raise Unresolved(f"more than the {MAX_KM:,.0f} km a circle may span")
    return km


def written_km(km: float) -> str:
    """A radius as the URL and the command line write it; `parse_km` reads it back exactly."""
    return str(int(km)) if float(km).is_integer() else repr(float(km))


def locate_near(text: str, km: float = DEFAULT_KM, gazetteer: Gazetteer | None = None
                ) -> Near:
    """The vicinity of the point ``text`` names; `Unresolved` (with the reason) when it
    names none. The embedded gazetteer unless one is given."""
    text = " ".join(text.split())[:MAX_TEXT]
    found = located(text, gazetteer or load_gazetteer())
    if isinstance(found, Unresolved):
        raise Unresolved(str(found))  # a new one: a raised error keeps its traceback
    return Near(text, km, found.latitude, found.longitude, found.label)


@lru_cache(maxsize=256)
def located(text: str, gazetteer: Gazetteer) -> Point | Unresolved:
    """The point a text names, or why it names none; cached, reasons too: the first
    look-up of a text takes about a second, and the page asks on every rerun (the
    gazetteer is hashed by identity)."""
    try:
        return locate(text, gazetteer)
    except Unresolved as reason:
        return reason


def locate(text: str, gazetteer: Gazetteer) -> Point:
    """The point a text names: coordinates as typed, else the geocoder's best place for
    it. `Unresolved` with the reason when it names none."""
    if not text:
        raise Unresolved("no place given")
    typed = COORDINATES.match(text)
    if typed:
        latitude, longitude = float(typed[1]), float(typed[2])
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise Unresolved(f"{text!r} is not a point (latitude -90 to 90, then "
                             "longitude -180 to 180)")
        return Point(latitude, longitude, degrees(latitude, longitude))
    query = pd.DataFrame([dict.fromkeys(QUERY_COLUMNS)]).assign(place=text)
    found = resolve(query, gazetteer).iloc[0]
    refuse_unless_one_place(text, found, gazetteer)
    latitude, longitude = float(found["latitude"]), float(found["longitude"])
    country = gazetteer.country_name(found["found_country_code"])
    name = found_name(gazetteer, latitude, longitude, found["found_country_code"]) or text
    kind = {"admin2": " (district)", "admin1": " (region)"}.get(found["geo_precision"], "")
    return Point(latitude, longitude,
                 f"{name}{kind}, {country} ({degrees(latitude, longitude)})")


def refuse_unless_one_place(text: str, found: pd.Series, gazetteer: Gazetteer) -> None:
    """`Unresolved` unless the geocoder's answer for ``text`` is one place finer than a
    country."""
    if pd.isna(found["latitude"]):
        raise Unresolved(f"{text!r} is not a place the gazetteer knows; try "
                         "'Place, Country' or coordinates such as '-10.77, 40.47'")
    if bool(found["geo_ambiguous"]):
        countries = list(dict.fromkeys(candidates(text.split(",")[0], gazetteer)[
            "country"].dropna()))
        some = ", ".join(countries[:6]) + (", ..." if len(countries) > 6 else "")
        raise Unresolved(f"several places are called {text!r}"
                         + (f" (in {some})" if some else "")
                         + "; add the country: 'Place, Country'")
    if found["geo_precision"] == "country":
        raise Unresolved(f"{text!r} names only a country; a distance needs a town, a "
                         "district or coordinates")


def found_name(gazetteer: Gazetteer, latitude: float, longitude: float, code) -> str | None:
    """The gazetteer's own name of the entry at this point in this country."""
    entries = gazetteer.entries
    at = entries[(entries["latitude"] == latitude) & (entries["longitude"] == longitude)
                 & (entries["country_code"] == code)]
    return str(at["name"].iloc[0]) if len(at) else None


def within(rows: pd.DataFrame, vicinity: Near) -> np.ndarray:
    """One boolean per row: its point lies within the radius (great circle). A row with
    no point is never within: say how many of them a view leaves out (`left_out`)."""
    latitude = rows["latitude"].to_numpy(dtype="float64", na_value=np.nan)
    # Only rows in the circle's band of latitude can lie within it (a degree of latitude
    # is the same length everywhere): the trigonometry is for those few, not a million.
    # (A hair wider than the circle, so rounding never drops a row on its edge.)
    band = np.abs(latitude - vicinity.latitude) <= np.degrees(vicinity.km / EARTH_KM) + 1e-6
    banded = np.flatnonzero(band)  # NaN (no point) compares False
    longitude = rows["longitude"].to_numpy(dtype="float64", na_value=np.nan)[banded]
    keep = np.zeros(len(rows), dtype=bool)
    keep[banded] = distance_km(latitude[banded], longitude, vicinity.latitude,
                               vicinity.longitude) <= vicinity.km
    return keep


def left_out(unplaced: int) -> str:
    """What a vicinity leaves out that might lie within it, in words ('' for none)."""
    if not unplaced:
        return ""
    return (f"{plural(unplaced, 'incident')} not on the map (place unknown) "
            f"{'is' if unplaced == 1 else 'are'} left out by the distance filter; "
            f"{'it' if unplaced == 1 else 'they'} may be near.")


def ring(latitude: float, longitude: float, km: float, points: int = RING_POINTS
         ) -> list[list[float]]:
    """The circle of radius ``km`` around a point, on the sphere, as a closed ring of
    [longitude, latitude] (longitudes kept continuous across the antimeridian)."""
    lat, lon, angle = math.radians(latitude), math.radians(longitude), km / EARTH_KM
    bearing = np.linspace(0, 2 * math.pi, points + 1)
    lats = np.arcsin(math.sin(lat) * math.cos(angle)
                     + math.cos(lat) * math.sin(angle) * np.cos(bearing))
    lons = lon + np.arctan2(np.sin(bearing) * math.sin(angle) * math.cos(lat),
                            math.cos(angle) - math.sin(lat) * np.sin(lats))
    return [[round(x, 5), round(y, 5)]
            for x, y in zip(np.degrees(lons).tolist(), np.degrees(lats).tolist(), strict=True)]


def box(vicinity: Near) -> tuple[float, float, float, float]:
    """South, west, north, east around the circle."""
    corners = np.array(ring(vicinity.latitude, vicinity.longitude, vicinity.km))
    return (float(corners[:, 1].min()), float(corners[:, 0].min()),
            float(corners[:, 1].max()), float(corners[:, 0].max()))

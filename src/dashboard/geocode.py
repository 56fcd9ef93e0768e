"""Fill in coordinates from place text, offline, and record how each row was placed.

Layers, first that answers wins: coordinates the source gave -> the embedded gazetteer,
constrained by the row's country -> the country's own point -> unresolved. Each distinct
(place, admin2, admin1, country) is resolved once, however many rows share it.

Ranking, the part worth explaining. The place text is split into attempts, tried in
order: its comma-separated parts ("Ménaka, Mali"; a trailing part that names a country
becomes the country hint when the row has none, and so does one naming an admin-1 region
of one country only, "Belfast, Northern Ireland", or a country named before a last part
that is no place, "London, United Kingdom, 1984 Heathrow Airport bombing"), each with its
alternatives ("Kobane/Ayn al Arab", "Al-Rai (Choban Bey)"); then the row's admin2 and
admin1 columns. Each attempt is looked up by its normalised key, and only if no attempt
matches, by its consonant skeleton (transliterations that differ in vowels: "Sayyeda
Zeinab"): a looser spelling only within the row's country, or as a country's name. An
attempt's candidates are ranked, lowest first:

    type word says so ("Nineveh governorate")      -1   the kind the word names
    the country itself                               0
    a place in the row's country, or of 20,000+      1   Kirkuk the city, not the governorate
    an admin-1 region                                2   Quintana Roo the state, not a village
    a smaller place elsewhere, or a place outside    3
      the admin-1 region of its name in its country

A town beats the region named after it only as the region's own town: inside its outline
(static/admin1.geojson; within 300 km of its point where there is none), or a city of
20,000+ called by the name, as capitals that are regions of their own are (Buenos Aires,
Sanaa: see `outside_namesake_region`).

then a hand-kept addition before bulk namesakes, then a town of 20,000+ before smaller
ones, then the one nearest the row's district point, then one called by the name (not
only by an alternate name: Ariel, not Jerusalem), then population. A candidate
outside the row's country never wins: "Niger" in a row for Nigeria is Niger State, and
with no country at all it is the country Niger. Namesakes far from the row's district or
region are dropped, or ranked after the rest for a region the text names (see `rank`);
a text that matches nothing, however spelled, may match a place one letter off near its
district (`near_spellings`). The precision reported is the coarser of what matched and what the
text named: a village placed by its district's town is `admin2`, not `place`; so is a town
found for a later part of the text after an area the gazetteer lacks ("Muang district,
Yala": the town of Yala, as the district, `place_texts`). With no
country hint, a best candidate that ties with candidates in other countries is flagged
ambiguous (Gao); so is one with an equal namesake in its own country that nothing in
the row tells apart (two villages called Baga; see `ambiguous`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.gazetteer import (
    Gazetteer,
    loose_key,
    normalize_name,
    skeleton,
    split_type_word,
)
from dashboard.geo import distance_km, is_placed
from dashboard.learned import NO_LEARNED, Learned, area_key
from dashboard.online import OnlineGeocoder
from dashboard.schema import GEO_METHODS, GEO_PRECISIONS

BIG_PLACE = 20_000
# Namesakes in one country are equally likely meanings when neither is ten times the
# other; a place of unknown population (most OpenStreetMap villages) counts as this big,
# so a town of 10,000 outranks it (Dapchi, not a ward of Maiduguri named after it) and a
# village does not.
STANDING = 10
UNKNOWN_SIZE = 1_000
# Namesakes nearer than this are one place as two sources give it, or close enough: the
# accuracy benchmark counts a point this near as right.
SAME_PLACE_KM = 25
# Most admin-1 regions fit in this radius around their point (Borno, Nineveh, Tillabéri).
ANCHOR_KM = 300
# Most districts (admin-2) fit in this radius around their main town (Bama, Albu Kamal).
DISTRICT_KM = 50
# A place the row calls a village lies within this of its district's town, or is another
# village of that name (the Nigerian UCDP rows: beyond it, the district's town is nearer).
VILLAGE_KM = 75
VILLAGE_WORDS = {"village"}
# Names shorter than this are not matched one letter off: a district holds too many
# four-letter names a letter apart.
NEAR_LETTERS = 5
KM_PER_DEGREE = 111.2  # of latitude
KIND_RANK = {"country": 0, "admin2": 2, "admin1": 2}
QUERY_COLUMNS = ["place", "admin2", "admin1", "country_code"]
# How an attempt is matched, strictest first (see gazetteer.loose_key and skeleton).
MATCH_COLUMNS = ("key", "loose", "skeleton")
ALTERNATIVES = re.compile(r"[/()]")
# "Abu Ghraib and Taji", "Karbala & Ramadi": several places; the first is tried first,
# after the whole text ("Trinidad and Tobago" is one).
CONJUNCTION = re.compile(r"\s+(?:and|&)\s+", re.IGNORECASE)
# Words that place an incident relative to a name: "near Kidal", "across Iraq", "northern
# Nigeria". The name without them is tried after the whole text ("North Waziristan").
QUALIFIER = re.compile(
    r"^(?:(?:near|outside|across|around|in|the|central|(?:north|south)(?:\s*(?:east|west))?"
    r"(?:ern)?|(?:east|west)(?:ern)?)\s+)+(?:of\s+)?", re.IGNORECASE)
# A country named after the place without a comma ("Baghdad Iraq"): up to this many words.
COUNTRY_WORDS = 4
# How learned places are ordered against gazetteer candidates of the same rank, after a
# hand-kept addition: learned first, then the learned place of more events (measured on
# benchmarks/geocode_accuracy.py --learned: see the README's "Places learned from your
# data").
LEARNED_ORDER = ["learned", "events"]
LEARNED_ASCENDING = [False, False]
# Learned places are matched by key only: matched loosely ("kharaba" by its vowels) they
# placed an Iraqi village 55 km off and gained nothing on the benchmark.
LEARNED_MATCHES = ("key",)
# How far a learned place whose admin-1 (admin-2) differs from the row's ranks behind.
MISFIT_REGION, MISFIT_DISTRICT = 0.5, 0.25
RESULT_COLUMNS = ["latitude", "longitude", "geo_precision", "geo_method", "geo_ambiguous"]
# Beside them in `geocode`'s rows, for the dataset only (it fills admin2 from it and drops
# it; see `areas.fill_admin2`): the district the row was placed at, named by its place text
# ("Adavi LGA") or its admin2 column, as the gazetteer names it; else NA.
GEO_DISTRICT = "geo_district"


def geocode(incidents: pd.DataFrame, gazetteer: Gazetteer,
            online: OnlineGeocoder | None = None,
            overrides: dict[str, dict] | None = None,
            learned: Learned = NO_LEARNED) -> pd.DataFrame:
    """A copy of ``incidents`` with the RESULT_COLUMNS filled where it had no point, and
    GEO_DISTRICT.

    ``overrides`` (override_key -> {"latitude", "longitude"}) are the user's own fixes and
    beat the gazetteer; ``learned`` places (from the user's coded files) compete with its
    candidates (see `order_candidates`); ``online``, when given, is asked for what the
    gazetteer placed only at country level or not at all.
    """
    out = place_offline(incidents, gazetteer, overrides or {}, learned)
    return out if online is None else place_online(out, online)


def override_key(place: pd.Series, country_code: pd.Series) -> pd.Series:
    """How a fix is filed: the place as folded for lookup, and the row's country code."""
    place, country_code = place.astype(object), country_code.astype(object)
    folded = {text: normalize_name(text) for text in place.dropna().unique()}  # once per name
    return pd.Series([f"{folded.get(p, '')}|{c if isinstance(c, str) else ''}"
                      for p, c in zip(place, country_code, strict=True)], index=place.index)


def place_online(incidents: pd.DataFrame, online: OnlineGeocoder) -> pd.DataFrame:
    """Ask the online service once per distinct (place, country) the gazetteer missed.

    Each row gets ``online_error``: the `online.Failure` of its lookup, or NA (none was
    asked, or it answered, "not found" included).
    """
    coarse = incidents["geo_precision"].isin(["country", "unresolved"]) & incidents[
        "place"].notna() & (incidents["geo_method"] != "source")
    out = incidents.assign(online_error=pd.Series(pd.NA, index=incidents.index,
                                                  dtype="string"))
    for (place, code), rows in out[coarse].groupby(["place", "country_code"], dropna=False,
                                                    observed=True).groups.items():
        answer = online.lookup(place, None if pd.isna(code) else code)
        if answer.found:
            out.loc[rows, ["latitude", "longitude"]] = (answer.latitude, answer.longitude)
            out.loc[rows, "geo_precision"] = "place"
            out.loc[rows, "geo_method"] = "online"
        elif answer.error:
            # An error is not "not found": the row says so, and keeps its coarser point.
            out.loc[rows, "online_error"] = answer.error.value
            if "flags" in out:
                out.loc[rows, "flags"] = (out.loc[rows, "flags"].fillna("") + "; "
                                          + answer.message).str.removeprefix("; ")
    return out


def place_offline(incidents: pd.DataFrame, gazetteer: Gazetteer,
                  overrides: dict[str, dict], learned: Learned = NO_LEARNED) -> pd.DataFrame:
    """Source coordinates kept; the rest from the gazetteer and the learned places, then
    the user's fixes."""
    todo = ~is_placed(incidents)
    filled = resolve_rows(incidents.loc[todo, QUERY_COLUMNS], gazetteer, learned)
    out = incidents.copy()
    for name in ("latitude", "longitude"):
        out.loc[todo, name] = filled[name]
    out["country_code"], out["country"] = learn_countries(out, todo, filled, gazetteer)
    ambiguous = pd.Series(False, index=out.index)
    ambiguous[todo] = filled["geo_ambiguous"].astype("boolean").fillna(False).astype(bool)
    precision = out["geo_precision"].astype("string")
    precision[todo] = filled["geo_precision"].fillna("unresolved")
    method = out["geo_method"].astype("string")
    method[todo] = filled["geo_method"]
    fixes = find_fixes(out, incidents, overrides).where(todo)
    manual = fixes.notna()
    for name in ("latitude", "longitude"):
        if manual.any():
            out.loc[manual, name] = fixes[manual].map(lambda fix, name=name: fix[name])
    precision[manual] = "place"
    method[manual] = "manual"
    ambiguous[manual] = False
    out["geo_ambiguous"] = ambiguous
    # A fix moves the row off the district the text named.
    out[GEO_DISTRICT] = pd.Series(pd.NA, index=out.index, dtype="string")
    out.loc[todo & ~manual, GEO_DISTRICT] = filled["found_district"].astype("string")
    out["geo_precision"] = precision.astype(pd.CategoricalDtype(GEO_PRECISIONS))
    out["geo_method"] = method.astype(pd.CategoricalDtype(GEO_METHODS))
    return out


def resolve_rows(rows: pd.DataFrame, gazetteer: Gazetteer, learned: Learned = NO_LEARNED
                 ) -> pd.DataFrame:
    """Each row's best point (`resolve`, once per distinct row of QUERY_COLUMNS)."""
    found = resolve(rows.drop_duplicates(), gazetteer, learned)
    filled = rows.merge(found, on=QUERY_COLUMNS, how="left")
    filled.index = rows.index
    return filled


def learn_countries(out: pd.DataFrame, todo: pd.Series, filled: pd.DataFrame,
                    gazetteer: Gazetteer) -> tuple[pd.Series, pd.Series]:
    """country_code and country, with the country the place text named (``filled``, for
    the rows ``todo``) where the file gave none."""
    # "Mosul, Iraq" in a table with no country column: the place names the country, and
    # the country filter should find the row. Not when namesakes in several countries tie
    # (`resolve` leaves the country empty): the user should decide, in the review panel,
    # which Palma it is.
    learned = pd.Series(pd.NA, index=out.index, dtype="string")
    learned[todo] = filled["found_country_code"].astype("string")
    learned = learned.where(out["country_code"].isna())
    return out["country_code"].fillna(learned), out["country"].fillna(learned.map(
        gazetteer.country_name, na_action="ignore").astype("string"))


def find_fixes(out: pd.DataFrame, incidents: pd.DataFrame, overrides: dict[str, dict]
               ) -> pd.Series:
    """Each row's fix from ``overrides`` (a dict with its point), where the user saved one."""
    # The user's fixes win. The review panel files a fix under the row's country as shown
    # (learned from the text where the file had none, in ``out``); the file's own may be
    # empty.
    if not overrides:  # keys cost a pass over every row; no fixes, no pass
        return pd.Series(None, index=out.index, dtype=object)
    return override_key(out["place"], out["country_code"]).map(overrides).fillna(
        override_key(incidents["place"], incidents["country_code"]).map(overrides))


def resolve(queries: pd.DataFrame, gazetteer: Gazetteer, learned: Learned = NO_LEARNED
            ) -> pd.DataFrame:
    """Best point per distinct query (QUERY_COLUMNS); misses come back with NaN points."""
    queries = queries.reset_index(drop=True)
    if queries.empty:
        return queries.reindex(columns=[*QUERY_COLUMNS, *RESULT_COLUMNS, "found_country_code",
                                        "found_district"])
    attempts = plan_all_attempts(queries, gazetteer)
    candidates = order_candidates(match_attempts(attempts, gazetteer, learned))
    best = candidates.drop_duplicates("qid").set_index("qid")
    unsure = ambiguous(candidates, best).reindex(queries.index, fill_value=False)
    result = take_best(queries, best, unsure)
    # Nothing matched the place text: the row's country is still worth a point.
    hints = attempts.drop_duplicates("qid").set_index("qid")["hint"].reindex(result.index)
    return fall_back_to_countries(result, hints, gazetteer)


def plan_all_attempts(queries: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Every query's attempts (`plan_attempts`), with the points of the region and the
    district its row names (`admin1_anchors`)."""
    attempts = pd.DataFrame(
        [attempt for qid, row in enumerate(queries.itertuples(index=False))
         for attempt in plan_attempts(qid, row, gazetteer)],
        columns=["qid", "order", "key", "prefer", "level", "hint", "village", "region",
                 "area", "row_admin1", "row_admin2", "named"],
    )
    return attempts.join(admin1_anchors(attempts, gazetteer), on="qid")


def match_attempts(attempts: pd.DataFrame, gazetteer: Gazetteer,
                   learned: Learned = NO_LEARNED) -> pd.DataFrame:
    """The ranked candidates of every attempt, by the strictest spelling that finds any
    (MATCH_COLUMNS), then one letter off in the row's district (`near_spellings`)."""
    # Stricter spellings first: an attempt that matches by key is not looked up loosely,
    # unless every match lies outside the row's district ("Shettimari" is 60 km off in
    # Kaga LGA, "Shittimari" inside it). Per attempt, not per query: the row's district
    # matching exactly must not keep its place text ("Sayyeda Zeinab") from matching by
    # its vowels.
    found = []
    for column, fold in (("key", None), ("loose", loose_key), ("skeleton", skeleton)):
        settled = settling(pd.concat(found)) if found else None
        matched = settled[["qid", "order"]].drop_duplicates() if found else None
        missed = attempts if matched is None else attempts.merge(
            matched, on=["qid", "order"], how="left", indicator=True
        ).query("_merge == 'left_only'").drop(columns="_merge")
        if fold:
            missed = missed.assign(**{column: missed["key"].map(fold)})
            missed = missed[missed[column] != ""]
        entries = gazetteer.entries.drop(columns=[c for c in MATCH_COLUMNS if c != column])
        matched = missed.merge(entries, on=column)
        if fold:
            # A looser spelling is a guess: with no country to keep it near, a guess
            # anywhere on earth ("Wardigleey district" as Weakley County, Tennessee),
            # unless it is a country's name ("Phillippines").
            matched = matched[matched["hint"].notna() | (matched["kind"] == "country")]
        found.append(rank(pd.concat([matched, match_learned(missed, learned, column)])))
    # Text that matched nothing, however spelled: a name one letter off, in its district.
    if attempts["district_lat"].notna().any():
        matched = pd.MultiIndex.from_frame(pd.concat(found)[["qid", "order"]])
        missed = attempts[~pd.MultiIndex.from_frame(attempts[["qid", "order"]]).isin(matched)]
        found.append(rank(near_spellings(missed, gazetteer)))
    return pd.concat(found, ignore_index=True)


def match_learned(attempts: pd.DataFrame, learned: Learned, column: str) -> pd.DataFrame:
    """The learned places an attempt's text matches (by ``column``), only for place text
    that names no area: "Bama district" is the district even where a village Bama was
    learned, and the row's admin-1 and admin-2 columns are areas."""
    if not learned or column not in LEARNED_MATCHES:
        return pd.DataFrame()
    wanted = attempts[(attempts["level"] == "place") & ~attempts["area"].astype(bool)]
    entries = learned.entries.drop(columns=[c for c in MATCH_COLUMNS if c != column])
    return wanted.merge(entries, on=column)


def order_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """Candidates best first within each query (see the module docstring)."""
    # A hand-kept addition before its bulk namesakes of equal rank: the Baga on Lake Chad,
    # not the OpenStreetMap Bagas elsewhere in Nigeria. A row whose region or district
    # lies elsewhere has already dropped it or ranked it lower (see `rank`).
    candidates = candidates.assign(
        big=candidates["population"] >= BIG_PLACE,
        learned=candidates.get("learned", pd.Series(False, index=candidates.index)).astype(
            "boolean").fillna(False).astype(bool),
        events=candidates.get("events", pd.Series(0, index=candidates.index)).fillna(0),
        called=called_so(candidates))
    return candidates.sort_values(
        ["qid", "order", "rank", "added", *LEARNED_ORDER, "big", "remoteness", "called",
         "population"],
        ascending=[True, True, True, False, *LEARNED_ASCENDING, False, True, False, False])


def called_so(candidates: pd.DataFrame) -> pd.Series:
    """Whether a candidate's own name is the text looked up, not only one of its
    alternate names: "Ariel" is the town of Ariel before Jerusalem, which GeoNames also
    calls Ariel, however much bigger Jerusalem is. Less a type word: "Lamitan City" is
    called Lamitan."""
    names = candidates["name"].astype(object)
    keys = {name: split_type_word(normalize_name(name))[0] for name in pd.unique(names)}
    return names.map(keys) == candidates["key"]


def take_best(queries: pd.DataFrame, best: pd.DataFrame, unsure: pd.DataFrame
              ) -> pd.DataFrame:
    """The queries with their best candidate's point, precision and country, and the
    district it is where the text named one and placed the row there, surely."""
    result = queries.copy()
    # Which country, where namesakes in several tie, is the user's to say.
    result["found_country_code"] = best["country_code"].astype("string").where(
        ~unsure["abroad"])
    result["latitude"] = best["latitude"].astype("float64")
    result["longitude"] = best["longitude"].astype("float64")
    precision = coarser(coarser(best["kind"].astype("string"), best["level"]), best["named"])
    result["geo_precision"] = precision
    result["geo_method"] = pd.Series("gazetteer", index=best.index, dtype="string").mask(
        best["learned"], "learned")
    result["geo_ambiguous"] = unsure["abroad"] | unsure["at_home"]
    # Not a district the row's region column named (precision admin1), nor one of several
    # namesakes the row cannot tell apart.
    sure = ~result["geo_ambiguous"].reindex(best.index).astype(bool)
    result["found_district"] = best["name"].astype("string").where(
        (best["kind"] == "admin2") & (precision == "admin2") & sure)
    return result


def fall_back_to_countries(result: pd.DataFrame, hints: pd.Series, gazetteer: Gazetteer
                           ) -> pd.DataFrame:
    """Queries no candidate placed, at the point of their country (``hints``) if known."""
    countries = gazetteer.countries.set_index("country_code")
    fallback = ~is_placed(result) & hints.isin(countries.index)
    fallback_codes = hints[fallback]
    result.loc[fallback, "latitude"] = countries.loc[fallback_codes, "latitude"].to_numpy()
    result.loc[fallback, "longitude"] = countries.loc[fallback_codes, "longitude"].to_numpy()
    result.loc[fallback, "geo_precision"] = "country"
    result.loc[fallback, "geo_method"] = "gazetteer"
    result.loc[fallback, "found_country_code"] = fallback_codes
    return result


def near_spellings(attempts: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Places within DISTRICT_KM of the row's district whose key is one letter off the
    attempt's.

    Villages are written down by ear: "Buni Yada" is Buni Yadi, "Huyim" is Huyum. Across
    a country a letter's difference is another place; near the one district the row
    names, it is rarely so.
    """
    wanted = attempts[(attempts["level"] == "place") & attempts["district_lat"].notna()
                      & attempts["hint"].notna() & (attempts["key"].str.len() >= NEAR_LETTERS)]
    entries = gazetteer.entries
    rows = []
    # Plain arrays per country: this loops over attempts, and pandas indexing per attempt
    # costs more than the whole lookup.
    for code, group in wanted.groupby("hint"):
        places = sort_places(entries[(entries["kind"] == "place")
                                     & (entries["country_code"] == code)])
        for attempt in group.itertuples(index=False):
            rows.extend((attempt.qid, attempt.order, entry)
                        for entry in near_entries(attempt, places))
    pairs = pd.DataFrame(rows, columns=["qid", "order", "entry"])
    columns = [c for c in entries.columns if c not in MATCH_COLUMNS]
    near = entries.loc[pairs["entry"].to_numpy(), columns].reset_index(drop=True)
    return pd.concat([pairs[["qid", "order"]], near], axis=1).merge(wanted, on=["qid", "order"])


@dataclass(frozen=True)
class SortedPlaces:
    """A country's places as plain arrays, south to north (see `sort_places`)."""

    entries: np.ndarray  # each place's row label in the gazetteer's entries
    lat: np.ndarray
    lon: np.ndarray
    keys: np.ndarray
    lengths: np.ndarray
    heads: np.ndarray  # first letter of the key
    tails: np.ndarray  # last letter of the key


def sort_places(places: pd.DataFrame) -> SortedPlaces:
    """``places`` as arrays sorted by latitude, with what `near_entries` compares."""
    by_latitude = np.argsort(places["latitude"].to_numpy(), kind="stable")
    return SortedPlaces(
        entries=places.index.to_numpy()[by_latitude],
        lat=places["latitude"].to_numpy()[by_latitude],
        lon=places["longitude"].to_numpy()[by_latitude],
        keys=places["key"].to_numpy(dtype=object)[by_latitude],
        lengths=places["key"].str.len().to_numpy()[by_latitude],
        # One letter changed, added or dropped leaves the first letter or the last as it was.
        heads=places["key"].str[0].to_numpy(dtype="U1")[by_latitude],
        tails=places["key"].str[-1].to_numpy(dtype="U1")[by_latitude])


def near_entries(attempt, places: SortedPlaces) -> list:
    """The entries of ``places`` within DISTRICT_KM of the attempt's district whose key
    is one letter off the attempt's."""
    degrees = DISTRICT_KM / KM_PER_DEGREE
    # A band of latitude (a binary search), a box, the length and the ends (cheap),
    # then the circle, then the spelling.
    low, high = np.searchsorted(places.lat, [attempt.district_lat - degrees,
                                             attempt.district_lat + degrees])
    band = slice(low, high)
    inside = low + np.flatnonzero(
        (np.abs(places.lon[band] - attempt.district_lon)
         < degrees / np.cos(np.radians(attempt.district_lat)))
        & (np.abs(places.lengths[band] - len(attempt.key)) <= 1)
        & ((places.heads[band] == attempt.key[0]) | (places.tails[band] == attempt.key[-1])))
    centre_lat = np.full(len(inside), attempt.district_lat)
    centre_lon = np.full(len(inside), attempt.district_lon)
    inside = inside[distance_km(places.lat[inside], places.lon[inside], centre_lat, centre_lon)
                    <= DISTRICT_KM]
    return [places.entries[position] for position in inside
            if one_edit_apart(attempt.key, places.keys[position])]


def one_edit_apart(first: str, second: str) -> bool:
    """True where one letter changed, added or dropped turns one string into the other."""
    if first == second or abs(len(first) - len(second)) > 1 or not second:
        return False
    if len(first) > len(second):
        first, second = second, first
    for position, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            skip = position + (len(first) == len(second))
            return first[skip:] == second[position + 1:]
    return True


def admin1_anchors(attempts: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Per query, the point of the admin-1 region its row names, where the gazetteer has it,
    and of the district (admin-2) it names, where that is found within the region.

    A region named only at the end of the place text ("Columbus, Ohio") is a softer
    anchor (``anchor_soft``): the row's admin-1 column is the region as its source coded
    it; the text's may be a region of Ontario's size, far bigger than ANCHOR_KM.
    """
    named = pd.concat([
        attempts[attempts["level"] == "admin1"].assign(anchor_soft=False),
        attempts[attempts["region"].notna()].drop_duplicates("qid").assign(
            key=lambda texts: texts["region"], anchor_soft=True),
    ]).merge(gazetteer.entries[gazetteer.entries["kind"] == "admin1"], on="key")
    named = named[named["hint"].isna() | (named["country_code"] == named["hint"])]
    anchors = named.sort_values(["qid", "anchor_soft"], kind="stable").drop_duplicates(
        "qid").set_index("qid")[["latitude", "longitude", "anchor_soft"]]
    anchors = anchors.rename(columns={"latitude": "anchor_lat", "longitude": "anchor_lon"})
    districts = attempts[attempts["level"] == "admin2"].join(anchors, on="qid").merge(
        gazetteer.entries[gazetteer.entries["kind"].isin(["admin2", "place"])], on="key")
    far = distance_km(districts["latitude"], districts["longitude"], districts["anchor_lat"],
                      districts["anchor_lon"]) > ANCHOR_KM
    districts = districts[(districts["hint"].isna()
                           | (districts["country_code"] == districts["hint"])) & ~far]
    # The district itself before a town of its name, then the biggest town.
    districts = districts.assign(town=districts["kind"] != "admin2").sort_values(
        ["qid", "town", "population"], ascending=[True, True, False])
    # How sure the district is: found as a district, or only as a town of that size.
    districts["district_size"] = districts["population"].where(districts["town"], np.inf)
    districts = districts.drop_duplicates("qid").set_index("qid")[
        ["latitude", "longitude", "district_size"]]
    return anchors.join(districts.rename(columns={"latitude": "district_lat",
                                                  "longitude": "district_lon"}), how="outer")


def rank(candidates: pd.DataFrame) -> pd.DataFrame:
    """Candidates within the hinted country, with their rank (see the module docstring)."""
    in_hint = candidates["hint"].isna() | (candidates["country_code"] == candidates["hint"])
    candidates = candidates[in_hint].copy()
    kind = candidates["kind"].astype(str)
    ranks = kind.map(KIND_RANK).where(kind != "place", 3).astype(float)
    # Within one country a town beats the region named after it (Gao, Idlib, Ménaka);
    # across countries only a big town does (Borno the Nigerian state, not Borna in Saxony).
    big = candidates["population"] >= BIG_PLACE
    important = candidates["hint"].notna() | big
    # Only the region's own town, though: one outside the region is another place of that
    # name, and the row means the region (Quintana Roo the Mexican state, not the village
    # in Baja California; Morelos, not Ecatepec de Morelos). A city called by the very
    # name is meant wherever it lies: a capital is often a region of its own beside the
    # one named after it (Buenos Aires, Sanaa, Kyiv, Washington).
    own = ~outside_namesake_region(candidates) | (big & called_so(candidates))
    ranks = ranks.mask((kind == "place") & important & own, 1)
    ranks = ranks.mask(kind == candidates["prefer"], -1)
    # A place far outside the admin-1 region the row names is another town of that name
    # (there are several Bankis in Nigeria; the one in Borno is meant). With none nearer,
    # the row's district or region places it better than a namesake 400 km away.
    from_region = distance_km(candidates["latitude"], candidates["longitude"],
                              candidates["anchor_lat"], candidates["anchor_lon"])
    beyond = from_region > ANCHOR_KM
    soft = candidates["anchor_soft"].astype("boolean").fillna(False).astype(bool)
    far = beyond & ~soft
    # The same within the district the row names, on its scale: a nearer namesake wins
    # (the Sabon Gari in Damboa LGA, not the bigger one in Kano), and one far outside it
    # is not the place meant.
    from_district = distance_km(candidates["latitude"], candidates["longitude"],
                                candidates["district_lat"], candidates["district_lon"])
    # A learned place its coders put in the row's own district is in it, however far from
    # the gazetteer's point for the district (Banki, 58 km from Bama's).
    vouched = vouched_for(candidates)
    candidates["outside"] = (kind == "place") & (from_district > DISTRICT_KM) & ~vouched
    # Beyond a region the text names: ranked after the namesakes within it, not ruled out.
    candidates["rank"] = ranks.mask(candidates["outside"] | (beyond & soft), ranks + 0.5)
    # Unless the gazetteer lacks the district and found only a small town of its name,
    # itself perhaps a namesake (Bade LGA: a village 290 km from Gashua, its seat): a big
    # town inside the row's region is surer than that.
    outweighs = (candidates["population"] >= BIG_PLACE) & (
        candidates["population"] > candidates["district_size"])
    far |= (from_district > DISTRICT_KM * 3) & ~outweighs
    # A village is small: one of its name far outside the row's district is another
    # village, and the district's town is nearer the one meant.
    far |= candidates["village"] & (from_district > VILLAGE_KM)
    far &= ~vouched
    candidates["rank"] += learned_misfit(candidates)
    # Among otherwise equal namesakes, the one nearest the row's district (of the Ajiris
    # in Borno, the one in Mafa LGA for a row in Mafa). Not the region's point: a state is
    # too big for nearness to its middle to say anything.
    candidates["remoteness"] = from_district.fillna(0)
    return candidates[~(kind.isin(["place", "admin2"]) & far)]


def outside_namesake_region(candidates: pd.DataFrame) -> pd.Series:
    """Places that lie outside every admin-1 region of their country among the same
    attempt's candidates (so named as they are); False where there is none.

    Inside is judged by the admin-1 outlines the app ships: the town's outline is the one
    holding the region's point or the one of the region's name. Nearness alone misleads
    both ways: the Quintana Roo in Yucatán is 130 km from the point of the state of
    Quintana Roo, and a big region's own town may be farther than ANCHOR_KM from its
    point. Where the outlines cannot tell (the United States has none), within ANCHOR_KM
    of the region's point counts as inside; and within SAME_PLACE_KM always does, since
    the outlines are simplified and a region's town may be a region of its own (Ben Arous
    lies in the outline of Tunis).
    """
    kind = candidates["kind"].astype(str).to_numpy()
    # By position: the candidates of several lookups are concatenated, their labels repeat.
    frame = pd.DataFrame({"qid": candidates["qid"].to_numpy(),
                          "order": candidates["order"].to_numpy(),
                          "country_code": candidates["country_code"].astype(str).to_numpy(),
                          "latitude": candidates["latitude"].to_numpy(dtype=float),
                          "longitude": candidates["longitude"].to_numpy(dtype=float),
                          "name": candidates["name"].astype(object).to_numpy(),
                          "position": np.arange(len(candidates))})
    pairs = frame[kind == "place"].merge(frame[kind == "admin1"],
                                         on=["qid", "order", "country_code"],
                                         suffixes=("", "_region"))
    outside = np.zeros(len(candidates), dtype=bool)
    if pairs.empty:
        return pd.Series(outside, index=candidates.index)
    # Imported here: areas imports this module.
    from dashboard.areas import load_outlines, locate
    outlines = load_outlines()
    country = outlines.code_numbers(pairs["country_code"])
    town = locate(outlines, pairs["longitude"].to_numpy(), pairs["latitude"].to_numpy(),
                  country)
    around = locate(outlines, pairs["longitude_region"].to_numpy(),
                    pairs["latitude_region"].to_numpy(), country)
    numbers = {(code, key): number for number, (code, key) in enumerate(zip(
        outlines.regions["country_code"].astype(str), outlines.regions["key"], strict=True))}
    named = np.array([numbers.get((code, area_key(name)), -1) for code, name in zip(
        pairs["country_code"], pairs["name_region"], strict=True)], dtype=np.int64)
    in_outline = (town >= 0) & ((town == around) | (town == named))
    known = (town >= 0) & ((around >= 0) | (named >= 0))
    close = distance_km(pairs["latitude"], pairs["longitude"], pairs["latitude_region"],
                        pairs["longitude_region"]).to_numpy()
    pairs["inside"] = np.where(known, in_outline, close <= ANCHOR_KM) | (close <= SAME_PLACE_KM)
    inside_any = pairs.groupby("position")["inside"].any()
    outside[inside_any.index.to_numpy()] = ~inside_any.to_numpy()
    return pd.Series(outside, index=candidates.index)


def vouched_for(candidates: pd.DataFrame) -> pd.Series:
    """Learned places whose own admin-1 and admin-2 are the row's (admin-1 alone where
    the row names no district)."""
    if "learned" not in candidates:
        return pd.Series(False, index=candidates.index)
    learned = candidates["learned"].astype("boolean").fillna(False).astype(bool)
    row_region, row_district = (candidates[c].fillna("") for c in ("row_admin1", "row_admin2"))
    region = (row_region != "") & (row_region == candidates["admin1_key"].fillna(""))
    district = (row_district != "") & (row_district == candidates["admin2_key"].fillna(""))
    return learned & region & (district | (row_district == ""))


def learned_misfit(candidates: pd.DataFrame) -> pd.Series:
    """How much a learned place's own admin-1 and admin-2 disagree with the row's: a
    village learned in another province is likely a namesake, so it ranks after those
    that agree (half a rank, as a place outside the row's district does), and one in
    another district of the same province a quarter."""
    if "learned" not in candidates:
        return pd.Series(0.0, index=candidates.index)
    learned = candidates["learned"].astype("boolean").fillna(False).astype(bool)

    def differs(mine: str, theirs: str) -> pd.Series:
        known = candidates[mine].fillna("").ne("") & candidates[theirs].fillna("").ne("")
        return learned & known & (candidates[mine] != candidates[theirs])

    other_region = differs("row_admin1", "admin1_key")
    other_district = differs("row_admin2", "admin2_key") & ~other_region
    return other_region * MISFIT_REGION + other_district * MISFIT_DISTRICT


def ambiguous(candidates: pd.DataFrame, best: pd.DataFrame) -> pd.DataFrame:
    """Per query, whether the best candidate has an equal the row does not rule out:
    in another country, with no hint to decide (`abroad`: Gao in Mali or Burkina Faso),
    or in its own country (`at_home`: two villages called Baga in Nigeria, and a row that
    names no district to choose by).

    At home an equal is a namesake of the same kind and called the same (not a place that
    has the name only as an alternate: Pittsburg, California is also "Pittsburgh"), more
    than SAME_PLACE_KM away (nearer, it is the same place as two sources give it, or near
    enough) and of comparable standing: a city is not made doubtful by a hamlet of its
    name. A hand-kept addition is the place meant by its name in its country, so it has
    no equal there.
    """
    ties = candidates.merge(best[["order", "rank"]].reset_index(), on=["qid", "order", "rank"])
    abroad = ties[ties["hint"].isna()].groupby("qid")["country_code"].nunique() > 1
    ties = ties.join(best[["country_code", "kind", "name", "latitude", "longitude",
                           "population", "added"]].add_suffix("_best"), on="qid")
    ties = ties[(ties["country_code"] == ties["country_code_best"])
                & (ties["kind"] == ties["kind_best"]) & ~ties["added_best"]
                & ties["district_lat"].isna()]
    apart = distance_km(ties["latitude"], ties["longitude"], ties["latitude_best"],
                        ties["longitude_best"]) > SAME_PLACE_KM
    sizes = np.maximum(ties["population"], UNKNOWN_SIZE)
    best_sizes = np.maximum(ties["population_best"], UNKNOWN_SIZE)
    comparable = np.maximum(sizes, best_sizes) < STANDING * np.minimum(sizes, best_sizes)
    at_home = ties[apart & comparable]
    at_home = at_home[at_home["name"].map(normalize_name)
                      == at_home["name_best"].map(normalize_name)]
    at_home = at_home.groupby("qid").size() > 0
    return pd.DataFrame({"abroad": abroad.reindex(best.index, fill_value=False),
                         "at_home": at_home.reindex(best.index, fill_value=False)})


def coarser(kind: pd.Series, level: pd.Series) -> pd.Series:
    """The coarser of two precisions: a place found for an admin-1 name is admin1."""
    order = {name: position for position, name in enumerate(GEO_PRECISIONS)}
    take_level = level.map(order) > kind.map(order)
    return kind.mask(take_level, level)


def plan_attempts(qid: int, row, gazetteer: Gazetteer) -> list[tuple]:
    """The keys to look up for one query, in the order they are worth trusting."""
    parts, hint, region = read_place_tail(row, gazetteer)
    texts = place_texts(parts)
    texts += [(text, level, "place") for text, level in ((row.admin2, "admin2"),
                                                          (row.admin1, "admin1"))
              if isinstance(text, str)]
    attempts = []
    # The row's own areas, as learned places keep theirs (`learned_misfit`).
    admins = (area_key(row.admin1), area_key(row.admin2))
    for order, (text, level, carried) in enumerate(texts):
        folded = normalize_name(text)
        key, prefer = split_type_word(folded)
        village = key != folded and folded.rpartition(" ")[2] in VILLAGE_WORDS
        # "Bama district", "Nineveh governorate": the text names an area.
        area = key != folded and prefer != "place"
        if key:
            named = coarsest(named_level(folded, key, prefer), carried)
            attempts.append((qid, order, key, prefer, level, hint, village, region, area,
                             *admins, named))
    return attempts or [(qid, 0, "", None, "place", hint, False, region, False, *admins,
                         "place")]


def place_texts(parts: list[str]) -> list[tuple[str, str, str]]:
    """The place text's attempts in order (each part's alternatives and `variants`), each
    as (text, "place", the level the earlier parts named).

    The parts after the first say where it is ("Muang district, Yala": the district is
    in Yala). Where the gazetteer lacks what an earlier part named, a later part places
    the row, but no finer than the earlier part named (`named_level`, its finest
    attempt's): at the town of Yala, as the district, admin2."""
    texts, carried = [], "place"
    for part in parts:
        mine = [variant for alternative in ALTERNATIVES.split(part)
                for variant in variants(alternative)]
        texts += [(text, "place", carried) for text in mine]
        levels = [named_level(folded, *split_type_word(folded))
                  for folded in map(normalize_name, mine)]
        carried = coarsest(carried, finest(levels)) if levels else carried
    return texts


def coarsest(first: str, second: str) -> str:
    """The coarser of two precisions ("admin2" of "place" and "admin2")."""
    return max(first, second, key=GEO_PRECISIONS.index)


def finest(levels: list[str]) -> str:
    """The finest of precisions ("place" of "admin1" and "place")."""
    return min(levels, key=GEO_PRECISIONS.index)


def named_level(folded: str, key: str, prefer: str | None) -> str:
    """The precision a text's type word names: admin1 for "Kunar Province", admin2 for
    "Sukma district" (a district, county, agency: the words that prefer no kind, since
    districts are named after their towns), else place. Precision is never finer than
    that: a row naming the district, placed by its town, is placed at the district."""
    if prefer in ("admin1", "admin2"):
        return prefer
    return "admin2" if key != folded and prefer is None else "place"


def settling(found: pd.DataFrame) -> pd.DataFrame:
    """The matches that keep their attempt from being looked up by a looser spelling: not
    outside the row's district, and for a bare name in the place text, not a district
    alone. A district is named after its main town, which the gazetteer may spell
    otherwise ("Hawija" is Al-Hawija District by its key; the town is "Al Ḩawījah")."""
    bare = (found["level"] == "place") & (found["named"] == "place")
    return found[~found["outside"] & ~(bare & (found["kind"] == "admin2"))]


def read_place_tail(row, gazetteer: Gazetteer) -> tuple[list[str], str | None, str | None]:
    """The query's place text in comma-separated parts, less a tail that names its
    country; the country (the row's own, else the one the tail names) and the admin-1
    region the last part names, if any."""
    hint = row.country_code if isinstance(row.country_code, str) else None
    parts = [p for p in row.place.split(",") if p.strip()] if isinstance(row.place, str) else []
    # "Mosul, Iraq": the last part names a country, so it is a hint rather than a place.
    while len(parts) > 1 and gazetteer.country_code(parts[-1]):
        hint = hint or gazetteer.country_code(parts[-1])
        parts.pop()
    # "London, United Kingdom, 1984 Heathrow Airport bombing": a country named between
    # the place and a last part that is no place (an article's title) is the country as
    # surely, and what follows it is not where the incident was. Without it, London in
    # Ontario tied with London in England.
    named = [gazetteer.country_code(part) for part in parts[1:-1]] if hint is None else []
    if any(named):
        at = next(i for i, code in enumerate(named) if code)
        hint, parts = named[at], parts[:at + 1]
    # "Belfast, Northern Ireland", "Hebron, West Bank": one that names an admin-1 region (a
    # constituent country, a disputed territory) gives its country where only one country
    # has a region of that name: "Punjab" and "Kashmir" are in two, and a row is better
    # left without a country than given the wrong one. It also ranks namesakes near the
    # region first (see `rank`), and stays a place to try.
    codes = gazetteer.region_countries(parts[-1]) if len(parts) > 1 else ()
    hint = hint or (codes[0] if len(codes) == 1 else None)
    region = normalize_name(parts[-1]) if codes else None
    # "Baghdad Iraq", "Kibirizi Democratic Republic of Congo": a country without the comma.
    # Only as the whole tail: a longer name that ends in a country's ("Northern Ireland",
    # "New Mexico", "Lake Chad") is that name, not the country.
    if parts and not gazetteer.country_code(parts[-1]):
        hint, parts[-1] = split_country_words(parts[-1], hint, gazetteer)
    return parts, hint, region


def split_country_words(text: str, hint: str | None, gazetteer: Gazetteer
                        ) -> tuple[str | None, str]:
    """The country whose name ends ``text`` (up to COUNTRY_WORDS words, agreeing with
    ``hint``), and the text before it; else ``hint`` and ``text`` as they were."""
    words = text.split()
    for size in range(min(COUNTRY_WORDS, len(words)), 0, -1):
        tail = " ".join(words[-size:])
        code = gazetteer.country_code(tail)
        if code and size < len(words) and (hint is None or code == hint):
            return code, " ".join(words[:-size])
        if gazetteer.is_name(tail):
            break
    return hint, text


def variants(text: str) -> list[str]:
    """The text, then without its qualifiers ("near Kidal"), then each of its places
    ("Abu Ghraib and Taji"): the order they are worth trusting."""
    unqualified = QUALIFIER.sub("", text.strip())
    if not QUALIFIER.sub("", f"{unqualified} ").strip():
        return []  # "Southern" of "Southern Thailand": where in the country, not a place
    texts = [text, unqualified, *CONJUNCTION.split(unqualified)]
    return list(dict.fromkeys(t for t in texts if t.strip()))


def candidates(place: str, gazetteer: Gazetteer, limit: int = 12,
               learned: Learned = NO_LEARNED) -> pd.DataFrame:
    """Every place a name could mean, in any country: the choices the review panel
    offers. First the places learned from the user's coded files under that name or a
    loose spelling of it (`learned_candidates`: their files and events say where they
    came from), most events first; then the gazetteer's entries, biggest first.
    ``learned_from`` is NA and ``events`` 0 for a gazetteer entry."""
    key = split_type_word(normalize_name(place))[0]
    found = gazetteer.entries[gazetteer.entries["key"] == key]
    found = found.assign(country=found["country_code"].astype(str).map(
        gazetteer.country_name))
    order = found["kind"].astype(str).map(KIND_RANK).fillna(1)
    # A place named so beats one that has the name only as an alternate ("Coreaú" is
    # also "Palma"); each country's best of each kind, so a small town in the country
    # the user means is not crowded out by a dozen bigger namesakes elsewhere.
    alternate = found["name"].map(normalize_name) != key
    listed = (found.assign(order=order, alternate=alternate)
              .sort_values(["order", "alternate", "population"], ascending=[True, True, False])
              .drop_duplicates(["kind", "country_code"])
              .assign(learned_from=pd.NA, events=0))
    both = pd.concat([learned_candidates(key, gazetteer, learned), listed[CANDIDATE_COLUMNS]])
    return both.head(limit)[CANDIDATE_COLUMNS].astype({"events": "int64"}).reset_index(
        drop=True)


CANDIDATE_COLUMNS = ["name", "kind", "country", "country_code", "latitude", "longitude",
                     "population", "learned_from", "events"]


def learned_candidates(key: str, gazetteer: Gazetteer, learned: Learned) -> pd.DataFrame:
    """The learned places a folded name matches by key or loose key, most events first:
    the user, not the geocoder, picks among them, so a spelling the geocoder would not
    trust alone ("Kurzakawa" for a learned "Qurzakawa") is still worth offering."""
    if not learned or not key:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    entries = learned.entries
    loose = loose_key(key)
    found = entries[(entries["key"] == key) | ((entries["loose"] == loose) & (loose != ""))]
    found = found.assign(
        exact=found["key"] == key, learned_from=found["files"],
        country=found["country_code"].astype(str).map(gazetteer.country_name))
    return found.sort_values(["exact", "events"], ascending=False, kind="stable")[
        CANDIDATE_COLUMNS]


REVIEW_REASONS = {
    "unresolved": "not found",
    "country": "placed only at its country",
    "ambiguous": "several places have this name",
}


def needing_review(incidents: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Place names the user should look at, with how many incidents each affects.

    One row per (place, country_code): the names the gazetteer did not find, found only
    as the country (unless the name is the country's), or found in several countries
    with nothing to choose between them.
    """
    # A learned place is a guess too: two learned villages of one name, and nothing in
    # the row to choose between them, are the user's to decide.
    guessed = incidents["geo_method"].isin(["gazetteer", "learned"]) | incidents[
        "geo_method"].isna()
    precision = incidents["geo_precision"].astype("string")
    places = incidents["place"].dropna().unique()  # once per name, not per row
    is_country = {text: gazetteer.country_code(text.split(",")[0]) is not None
                  for text in places}
    names_country = incidents["place"].map(is_country).astype("boolean").fillna(False)
    reason = pd.Series(pd.NA, index=incidents.index, dtype="string")
    reason = reason.mask(guessed & (precision == "country") & ~names_country,
                         REVIEW_REASONS["country"])
    reason = reason.mask(guessed & incidents["geo_ambiguous"], REVIEW_REASONS["ambiguous"])
    reason = reason.mask(precision == "unresolved", REVIEW_REASONS["unresolved"])
    keep = reason.notna() & incidents["place"].notna()
    # reason[keep], not reason: assigning a longer Series to an empty frame adds its rows.
    pending = incidents[keep].assign(reason=reason[keep])
    if pending.empty:
        return pd.DataFrame(columns=["place", "country_code", "country", "reason",
                                     "incidents", "key"])
    table = (pending.groupby(["place", "country_code", "reason"], dropna=False, observed=True)
             .agg(country=("country", "first"), incidents=("event_id", "size")).reset_index()
             .sort_values("incidents", ascending=False, kind="stable"))
    table["key"] = override_key(table["place"], table["country_code"]).to_numpy()
    return table[["place", "country_code", "country", "reason", "incidents", "key"]
                 ].reset_index(drop=True)

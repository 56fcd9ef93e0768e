"""Fill in coordinates from place text, offline, and record how each row was placed.

Layers, first that answers wins: coordinates the source gave -> the embedded gazetteer,
constrained by the row's country -> the country's own point -> unresolved. Each distinct
(place, admin1, country) is resolved once, however many rows share it.

Ranking, the part worth explaining. A name is split on commas ("Ménaka, Mali",
"Palma District, Mozambique"): a trailing part that names a country becomes the country
hint when the row has none, the other parts are tried in order after the first. Each
attempt's candidates are ranked, lowest first:

    type word says so ("Nineveh governorate")      -1   the kind the word names
    the country itself                               0
    a place in the row's country, or of 20,000+      1   Kirkuk the city, not the governorate
    an admin-1 region                                2
    a smaller place elsewhere                        3

then by population. A candidate outside the row's country never wins: "Niger" in a row
for Nigeria is Niger State, and with no country at all it is the country Niger.
"""

from __future__ import annotations

import pandas as pd

from dashboard.gazetteer import Gazetteer, normalize_name, split_type_word
from dashboard.schema import GEO_METHODS, GEO_PRECISIONS

BIG_PLACE = 20_000
KIND_RANK = {"country": 0, "admin1": 2}
QUERY_COLUMNS = ["place", "admin1", "country_code"]


def geocode(incidents: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """A copy of ``incidents`` with latitude, longitude, geo_precision, geo_method filled."""
    todo = incidents["latitude"].isna() | incidents["longitude"].isna()
    queries = incidents.loc[todo, QUERY_COLUMNS].drop_duplicates()
    found = resolve(queries, gazetteer)
    filled = incidents.loc[todo, QUERY_COLUMNS].merge(found, on=QUERY_COLUMNS, how="left")
    filled.index = incidents.index[todo]

    out = incidents.copy()
    for name in ("latitude", "longitude"):
        out.loc[todo, name] = filled[name]
    precision = out["geo_precision"].astype("string")
    precision[todo] = filled["geo_precision"].fillna("unresolved")
    method = out["geo_method"].astype("string")
    method[todo] = filled["geo_method"]
    out["geo_precision"] = precision.astype(pd.CategoricalDtype(GEO_PRECISIONS))
    out["geo_method"] = method.astype(pd.CategoricalDtype(GEO_METHODS))
    return out


def resolve(queries: pd.DataFrame, gazetteer: Gazetteer) -> pd.DataFrame:
    """Best point per distinct query (QUERY_COLUMNS); misses come back with NaN points."""
    queries = queries.reset_index(drop=True)
    attempts = pd.DataFrame(
        [attempt for qid, row in enumerate(queries.itertuples(index=False))
         for attempt in plan_attempts(qid, row.place, row.admin1, row.country_code, gazetteer)],
        columns=["qid", "order", "key", "prefer", "hint"],
    )
    candidates = attempts.merge(gazetteer.entries, on="key")
    in_hint = candidates["hint"].isna() | (candidates["country_code"] == candidates["hint"])
    candidates = candidates[in_hint].copy()
    kind = candidates["kind"].astype(str)
    rank = kind.map(KIND_RANK).where(kind != "place", 3).astype(float)
    # Within one country a town beats the region named after it (Gao, Idlib, Ménaka);
    # across countries only a big town does (Borno the Nigerian state, not Borna in Saxony).
    important = candidates["hint"].notna() | (candidates["population"] >= BIG_PLACE)
    rank = rank.mask((kind == "place") & important, 1)
    candidates["rank"] = rank.mask(kind == candidates["prefer"], -1)
    best = (candidates.sort_values(["qid", "order", "rank", "population"],
                                   ascending=[True, True, True, False])
            .drop_duplicates("qid").set_index("qid"))

    result = queries.copy()
    result["latitude"] = best["latitude"].astype("float64")
    result["longitude"] = best["longitude"].astype("float64")
    result["geo_precision"] = best["kind"].astype("string")
    result["geo_method"] = pd.Series("gazetteer", index=best.index, dtype="string")
    # Nothing matched the place text: the row's country is still worth a point.
    hints = attempts.drop_duplicates("qid").set_index("qid")["hint"].reindex(result.index)
    countries = gazetteer.countries.set_index("country_code")
    fallback = result["latitude"].isna() & hints.isin(countries.index)
    fallback_codes = hints[fallback]
    result.loc[fallback, "latitude"] = countries.loc[fallback_codes, "latitude"].to_numpy()
    result.loc[fallback, "longitude"] = countries.loc[fallback_codes, "longitude"].to_numpy()
    result.loc[fallback, "geo_precision"] = "country"
    result.loc[fallback, "geo_method"] = "gazetteer"
    return result


def plan_attempts(qid: int, place, admin1, country_code, gazetteer: Gazetteer) -> list[tuple]:
    """The keys to look up for one query, in the order they are worth trusting."""
    hint = country_code if isinstance(country_code, str) else None
    parts = [part for part in str(place).split(",") if part.strip()] if isinstance(
        place, str) else []
    # "Mosul, Iraq": the last part names a country, so it is a hint rather than a place.
    while len(parts) > 1 and gazetteer.country_code(parts[-1]):
        hint = hint or gazetteer.country_code(parts[-1])
        parts.pop()
    if isinstance(admin1, str):
        parts.append(admin1)
    attempts = []
    for order, part in enumerate(parts):
        key, prefer = split_type_word(normalize_name(part))
        if key:
            attempts.append((qid, order, key, prefer, hint))
    return attempts or [(qid, 0, "", None, hint)]

"""Incident tables of any size over real gazetteer places, for benchmarks and load tests.

ACLED's column layout, forty countries, ten years, place names drawn from a fixed set of
real towns; a share of rows come without coordinates, so loading them means geocoding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.gazetteer import load_gazetteer

COUNTRIES = [
    "Nigeria", "Iraq", "Syria", "Afghanistan", "Mali", "Niger", "Mozambique", "Burkina Faso",
    "Pakistan", "Somalia", "Yemen", "Libya", "Egypt", "Cameroon", "Chad", "Sudan",
    "Ethiopia", "Kenya", "Democratic Republic of the Congo", "Central African Republic",
    "Philippines", "India", "Bangladesh", "Myanmar", "Colombia", "Mexico", "Ukraine",
    "Lebanon", "Turkey", "Iran", "Saudi Arabia", "Algeria", "Tunisia", "Morocco",
    "Uganda", "Tanzania", "Benin", "Togo", "Indonesia", "Thailand",
]
EVENT_TYPES = ["Battles", "Explosions/Remote violence", "Violence against civilians",
               "Protests", "Riots", "Strategic developments"]
ACTORS = ["Islamic State", "Islamic State West Africa Province", "Islamic State Sahel Province",
          "Islamic State Khorasan Province", "Al-Shabaab", "JNIM", "Boko Haram",
          "Military Forces", "Police Forces", "Unidentified Armed Group", "Civilians",
          "Protesters", "Rioters", "Militia", "Rebel Group"]
TOWNS_PER_COUNTRY = 500
FIRST_DAY = pd.Timestamp("2015-01-01")
DAYS = 3650


def incidents(rows: int, without_coordinates: float = 0.4, seed: int = 7) -> pd.DataFrame:
    """``rows`` incidents as an ACLED export's text would hold them."""
    gazetteer = load_gazetteer()
    codes = {gazetteer.country_code(name): name for name in COUNTRIES}
    towns = gazetteer.entries[(gazetteer.entries["kind"] == "place")
                              & gazetteer.entries["country_code"].isin(list(codes))]
    towns = towns.drop_duplicates("name").groupby("country_code", observed=True).head(
        TOWNS_PER_COUNTRY)
    rng = np.random.default_rng(seed)
    pick = towns.iloc[rng.integers(0, len(towns), rows)]
    located = rng.random(rows) >= without_coordinates
    days = FIRST_DAY + pd.to_timedelta(np.sort(rng.integers(0, DAYS, rows)), "D")
    country = pick["country_code"].astype(str).map(codes).to_numpy()
    place = pick["name"].to_numpy()
    event_type = np.array(EVENT_TYPES)[rng.integers(0, len(EVENT_TYPES), rows)]
    actor = np.array(ACTORS)[rng.integers(0, len(ACTORS), rows)]
    fatalities = rng.geometric(0.3, rows) - 1
    return pd.DataFrame({
        "event_id_cnty": [f"SYN{number}" for number in range(rows)],
        "event_date": days.strftime("%Y-%m-%d"),
        "year": days.year,
        "event_type": event_type,
        "actor1": actor,
        "country": country,
        "location": place,
        "latitude": np.where(located, pick["latitude"].round(4).astype(str), ""),
        "longitude": np.where(located, pick["longitude"].round(4).astype(str), ""),
        "geo_precision": np.where(located, "1", ""),
        "source": np.array(["Local media", "Reuters", "AFP", "Twitter"])[
            rng.integers(0, 4, rows)],
        "notes": pd.Series(actor) + " reported near " + place + "; " + pd.Series(
            fatalities).astype(str) + " killed.",
        "fatalities": fatalities.astype(str),
    })


def write(path: Path, rows: int, seed: int = 7) -> Path:
    incidents(rows, seed=seed).to_csv(path, index=False)
    return path

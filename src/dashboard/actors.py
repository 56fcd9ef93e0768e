"""Actor families: the many names of one movement ("IS", "ISIL", "Islamic State West
Africa Province", "ISWAP") grouped under one family, from a small hand-kept alias table.

`data/actor_families.csv` has one row per name: ``pattern``, ``family``, ``match`` and a
``note`` saying why. It is read on every load (an edit needs no rebuild), and its hash is
part of a snapshot's name and of the export's provenance. Matching is literal, never a
regular expression; the pattern and the actor's text are both folded as place names are
(`gazetteer.normalize_name`: case, accents, apostrophes, hyphens, a leading "al-"):

- ``words``: the pattern's words appear one after another, as whole words, anywhere in
  the actor ("ISWAP" in "Islamic State West Africa Province (ISWAP)"; "Israel" and
  "Isiolo" hold no word "isis");
- ``name``: the pattern is one whole name of the actor, which is split into names at
  commas, semicolons, slashes and brackets ("IS" in UCDP's "IS" and in "IS (attributed)",
  not in the word "is" of ACLED's "Jamaatu Ahli is-Sunnah lid-Dawati wal-Jihad").

The first row (in the table's order) that matches gives the family, so a specific name
goes above a general one; a row whose family is empty says "no family" for what it
matches (an exception). An incident's family is its actor's, or, when the actor belongs
to none, the other side's (`target`): UCDP writes the government as ``side_a`` of a
state-based conflict ("Government of Iraq" against "IS"), ACLED the army as ``actor1``
of a battle. Names no row matches have no family (missing, not "Other").
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.gazetteer import DATA_DIR, normalize_name
from dashboard.sources import LoaderError

FAMILIES_PATH = DATA_DIR / "actor_families.csv"
COLUMNS = ("pattern", "family", "match", "note")
MATCHES = ("words", "name")
COLUMN = "actor_family"
# Where an actor's text holds several names: UCDP joins a coalition with commas
# ("Ahrar al-Sham, HTS, Southern Front"), brackets hold abbreviations and qualifiers.
NAME_SEPARATORS = re.compile(r"[,;/()\[\]]")


class FamiliesError(LoaderError):
    """The alias table cannot be used; the message names the file and the line."""


@dataclass(frozen=True)
class Alias:
    """One row of the alias table, its pattern already folded."""

    pattern: str
    family: str
    match: str
    note: str
    key: str  # the pattern as `normalize_name` folds it


@dataclass(frozen=True)
class Families:
    """The alias table as read, and its fingerprint (for snapshots and provenance)."""

    aliases: tuple[Alias, ...]
    version: str

    def names(self) -> list[str]:
        """The families, in the table's order."""
        return list(dict.fromkeys(a.family for a in self.aliases if a.family))

    def family_of(self, actor: object) -> str | None:
        """The family of one actor's text: the first row that matches; None if none does
        or the row that matches has no family."""
        if not isinstance(actor, str):
            return None
        words = f" {normalize_name(actor)} "
        for alias in self.aliases:
            # A whole name is also whole words: the names are split only for those.
            if f" {alias.key} " in words and (alias.match == "words"
                                               or alias.key in names_of(actor)):
                return alias.family or None
        return None


def names_of(actor: str) -> set[str]:
    """The whole names in an actor's text, folded: the text, and each part of it between
    commas, semicolons, slashes and brackets."""
    return {normalize_name(actor), *(normalize_name(part)
                                     for part in NAME_SEPARATORS.split(actor))}


NO_FAMILIES = Families((), "none")


def read_families(path: Path | None = None) -> Families:
    """The alias table at ``path`` (FAMILIES_PATH, looked up now, unless given); raises
    FamiliesError, naming the line, on a row without a pattern, family column, known
    match or note, or a pattern that folds to nothing."""
    path = FAMILIES_PATH if path is None else path
    try:
        data = path.read_bytes()
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise FamiliesError(f"{path.name}: cannot be read ({error})") from error
    reader = csv.DictReader(io.StringIO(text))
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or ())]
    if missing:
        raise FamiliesError(f"{path.name}: no column {', '.join(missing)} "
                            f"(the header must name {', '.join(COLUMNS)})")
    aliases = [alias_of(row, reader.line_num, path.name) for row in reader]
    return Families(tuple(aliases), version_of(data))


def families_version(path: Path | None = None) -> str:
    """The version of the alias table at ``path`` now, as `read_families` gives it; for a
    record that was not handed the one its table was loaded with."""
    path = FAMILIES_PATH if path is None else path
    try:
        return version_of(path.read_bytes())
    except OSError as error:
        return f"unreadable ({error.strerror or error})"


def version_of(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()[:16]}"


def alias_of(row: dict, line: int, file_name: str) -> Alias:
    cells = {name: (row.get(name) or "").strip() for name in COLUMNS}
    key = normalize_name(cells["pattern"])
    problem = ("its pattern is empty (or only punctuation)" if not key
               else f"match must be one of {', '.join(MATCHES)}, not {cells['match']!r}"
               if cells["match"] not in MATCHES
               else "it has no note saying why" if not cells["note"] else "")
    if problem:
        raise FamiliesError(f"{file_name} line {line}: {problem}")
    return Alias(cells["pattern"], cells["family"], cells["match"], cells["note"], key)


def families_of(incidents: pd.DataFrame, families: Families) -> pd.Categorical:
    """Each incident's family: its actor's, else its target's; missing when neither
    has one. Each distinct name is matched once (a million rows hold a few thousand), and
    rows are handled as integer codes, never as a million strings."""
    names = families.names()
    number = {name: code for code, name in enumerate(names)}
    family = np.full(len(incidents), -1, dtype=np.int32)
    for column in ("actor", "target"):
        if column not in incidents:
            continue
        codes, distinct = pd.factorize(incidents[column])
        # One code per distinct name, and -1 (no family) at the end for a missing name.
        found = np.array([number.get(families.family_of(name), -1) for name in distinct]
                         + [-1], dtype=np.int32)
        family = np.where(family >= 0, family, found[codes])
    return pd.Categorical.from_codes(family, categories=pd.Index(names, dtype="string"))


def name_families(incidents: pd.DataFrame, families: Families) -> pd.DataFrame:
    """The incidents with their `actor_family` column (see `families_of`)."""
    return incidents.assign(**{COLUMN: families_of(incidents, families)})

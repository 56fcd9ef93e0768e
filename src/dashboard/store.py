"""What the user saved: JSON files in one folder, written atomically (the default: one
person, one machine, nothing to install), or a team's PostgreSQL database when
$DASHBOARD_DATABASE_URL names one (`dashboard.database`). `backend()` is the one place
that chooses; everything else goes through `read_saved`, `save_override`, `save_mapping`
and `remove_override`.

The rest of this note is about the files.

Several browser sessions (or processes) may save at once, and a crash may come
mid-write. Each file is written to a temporary file beside it and renamed over it, so a
reader sees the old content or the new, never half of either; a read-modify-write holds
an exclusive lock, so two saves cannot lose each other's entry. A file that cannot be
read (truncated, not UTF-8, edited by hand into another shape) is set aside under a new
name, never overwritten, and a notice says where it went; where it cannot be moved (a
read-only folder) it is ignored, with a notice, and never stops a load.

The notices go to whoever read the files (`read_saved` returns them with the choices),
never into state shared by every session of the server.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import hashlib
import json
import logging
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple, Protocol

import pandas as pd

from dashboard.gazetteer import normalize_name
from dashboard.learned import (
    NO_LEARNED,
    POINT_COLUMNS,
    Learned,
    learn_points,
    record,
    teaching_rows,
)
from dashboard.schema import column_key

if TYPE_CHECKING:
    from dashboard.online import Answer

log = logging.getLogger(__name__)

HOME_ENV = "DASHBOARD_HOME"
# A team's shared store (postgresql://user:password@host:port/database); unset: the files.
DATABASE_ENV = "DASHBOARD_DATABASE_URL"
MAPPINGS_FILE = "column_mappings.json"
OVERRIDES_FILE = "place_overrides.json"
# One JSON file per file learned from, named by its SHA-256: loading a file twice writes
# it once, and forgetting it removes one file, with no shared index to keep in step.
LEARNED_FOLDER = "learned"
ANSWERS_FILE = "online-cache.sqlite"


def home() -> Path:
    """The folder for saved choices: $DASHBOARD_HOME, else ~/.incident-dashboard."""
    return Path(os.environ.get(HOME_ENV) or Path.home() / ".incident-dashboard")


def write_json_atomically(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            json.dump(value, file, ensure_ascii=False, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class SaveError(Exception):
    """A choice could not be saved (a full disk, a read-only folder); the saved file is as
    it was, and the message says why, for the user."""


class Read(NamedTuple):
    """One saved file as read."""

    value: object
    notice: str | None = None  # what the user should be told: the file was damaged
    read_well: bool = False  # it was there and sound: an earlier notice about it is over


def read_json(path: Path, default: object,
              valid: Callable[[object], bool] = lambda _value: True) -> Read:
    """The saved value; ``default`` when there is none. A file that cannot be read, or
    holds something ``valid`` rejects, is set aside, and the notice says so."""
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return Read(default)
    except (OSError, ValueError, RecursionError) as error:  # UnicodeDecodeError: a ValueError
        problem = error.strerror if isinstance(error, OSError) else str(error)
    else:
        if valid(value):
            return Read(value, read_well=True)
        problem = "not laid out as this dashboard saves it"
    return Read(default, set_aside(path, problem))


def set_aside(path: Path, problem: str) -> str:
    """Move a damaged file out of the way, keeping its bytes; the notice that says where."""
    kept = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-"
                          f"{os.getpid()}")
    try:
        path.rename(kept)
    except FileNotFoundError:  # another session or process set it aside first
        notice = (f"{path.name} could not be read ({problem}) and was set aside by another "
                  "session; the entries in it are not used until it is repaired.")
    except OSError as error:
        notice = (f"{path} could not be read ({problem}) nor set aside ({error.strerror}); "
                  "the entries in it are not used until it is repaired or removed.")
    else:
        notice = (f"{path.name} could not be read ({problem}) and was set aside as {kept}; "
                  "the entries in it are not used until it is repaired.")
    # Told to the reader, who tells the user; logged for whoever keeps the server's log.
    log.info("%s", notice)
    return notice


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock for a read-modify-write of ``path`` (released on exit or crash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def header_signature(columns) -> str:
    """One key per file layout: the same columns in any order and case."""
    names = "\x1f".join(sorted(map(column_key, columns)))
    return hashlib.sha256(names.encode()).hexdigest()[:16]


def is_mappings(value: object) -> bool:
    """header signature -> {canonical column: the file's column}, all text."""
    return isinstance(value, dict) and all(
        isinstance(mapping, dict) and all(isinstance(name, str) for name in mapping.values())
        for mapping in value.values())


def is_fixes(value: object) -> bool:
    """override key -> a fix with a latitude and longitude in range (all loading uses)."""
    return isinstance(value, dict) and all(
        isinstance(fix, dict) and is_degrees(fix.get("latitude"), 90)
        and is_degrees(fix.get("longitude"), 180) for fix in value.values())


def is_degrees(value: object, limit: float) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value) and abs(value) <= limit)


class Kind(NamedTuple):
    """One kind of saved choice: its file among the files, the shape of its entries, and
    whether an entry records who saved it and when (`new_fix`'s "by" and "at")."""

    file: str
    valid: Callable[[object], bool]
    signed: bool = False


# Each kind under the name of its field of `Saved`. The shared store keeps them all in one
# table, by this name, with no new table for a new kind.
KINDS = {"fixes": Kind(OVERRIDES_FILE, is_fixes, signed=True),
         "mappings": Kind(MAPPINGS_FILE, is_mappings)}
# The learned places: one entry per file learned from (its record and points, by its
# SHA-256), as a file of their own in `learned_folder()` or rows of this kind in the
# shared store's table. Not among KINDS: an entry is written once and read whole into
# `Saved.learned`, never merged into one file of entries.
LEARNED_KIND = "learned"
# In a learned file's record: what the pulled copy it was learned from holds, if it was one.
COPY_OF = "copy_of"


def save_mapping(columns, mapping: dict[str, str]) -> str | None:
    """Remember ``mapping`` for files with these columns; raises SaveError. Returns a
    notice when a damaged file had to be set aside first (its entries are not kept)."""
    return backend().save("mappings", header_signature(columns), mapping)


def save_override(key: str, fix: dict) -> str | None:
    """Use ``fix`` (made by `new_fix`) for ``key`` from now on; raises SaveError. Returns a
    notice as `save_mapping` does."""
    return backend().save("fixes", key, fix)


def remove_override(key: str) -> bool:
    """Stop using the fix saved for ``key``; False when there was none. Raises SaveError."""
    return backend().remove("fixes", key)


def new_fix(place: str, latitude: float, longitude: float, name: str, by: str) -> dict:
    """A place fix as the review panel and `dashboard fix` save it: the point, what the user
    chose it as (``name``), the place text (its key is refiled from it when the folding
    changes: `refiled`), and who saved it, when."""
    return {"latitude": latitude, "longitude": longitude, "name": name, "place": place,
            "by": by, "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def local_user() -> str:
    """Who is at this machine, for the record of a fix when no sign-in names anyone."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # a container's uid with no name
        return f"uid {os.getuid()}"


def update(path: Path, valid: Callable[[object], bool], key: str, value: object
           ) -> str | None:
    """Set one entry of a saved file, or raise SaveError and leave the file as it was;
    the notice of a damaged file set aside to make room, if there was one."""
    return rewrite(path, valid, lambda entries: {**entries, key: value})[1]


def forget(path: Path, valid: Callable[[object], bool], key: str) -> bool:
    """Remove one entry of a saved file (False: there was none), as `update` sets one."""
    return rewrite(path, valid, lambda entries: {k: v for k, v in entries.items()
                                                 if k != key})[0]


def rewrite(path: Path, valid: Callable[[object], bool],
            change: Callable[[dict], dict]) -> tuple[bool, str | None]:
    """A saved file's entries changed under its lock: whether they changed, and the notice
    of a damaged file set aside first. Raises SaveError, and the file is as it was."""
    try:
        with locked(path):
            saved = read_json(path, None, valid)
            if saved.value is None and path.exists():
                raise SaveError(f"{path} is damaged and could not be set aside; repair or "
                                "remove it to save again.")
            entries = saved.value or {}
            changed = change(entries)
            if changed != entries:
                write_json_atomically(path, changed)
            return changed != entries, saved.notice
    except OSError as error:
        raise SaveError(f"could not save to {path}: {error.strerror or error}; "
                        "what was saved before is unchanged.") from error


def json_digest(value: object) -> str:
    """A hash of saved choices as JSON, the same whatever order they were saved in."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def fixes_fingerprint(fixes: Mapping[str, dict]) -> str | None:
    """The fixes in force, for provenance: a short hash of them, None when there are none."""
    return f"sha256:{json_digest(fixes)[:16]}" if fixes else None


@dataclass(frozen=True)
class Saved:
    """The user's saved choices as one read found them: what a load depends on, and what
    the reader should tell the user. Read once per run of the page or per command
    (`read_saved`) and passed to the pipeline, which reads no saved file itself."""

    fixes: Mapping[str, dict] = field(default_factory=dict)  # override key -> fix
    learned: Learned = NO_LEARNED  # the places learned from the user's coded files
    mappings: Mapping[str, dict[str, str]] = field(default_factory=dict)  # by header_signature
    notices: Mapping[str, str] = field(default_factory=dict)  # file name -> what went wrong
    read_well: frozenset[str] = frozenset()  # file names that were there and sound

    def mapping(self, columns) -> dict[str, str]:
        """The saved mapping for a file with these columns; {} when there is none."""
        # Only columns this file still has: a stale entry must not break loading.
        names = set(map(str, columns))
        return {k: v for k, v in self.mappings.get(header_signature(columns), {}).items()
                if v in names}

    @cached_property
    def fingerprint(self) -> str:
        """Every saved choice that changes how a file loads, as one hash: snapshots and
        the page's caches key on it, so it follows these choices, not the disk."""
        choices = {"fixes": self.fixes, "mappings": self.mappings}
        # Only when there are learned places, so fingerprints (and snapshots) made before
        # there were any stay valid.
        if self.learned:
            choices["learned"] = self.learned.version
        return json_digest(choices)

    def notices_after(self, earlier: Mapping[str, str]) -> dict[str, str]:
        """The notices to show after this read, given those shown before it (by file
        name): a file set aside is gone, and stays news until a sound one is read."""
        kept = {name: notice for name, notice in earlier.items() if name not in self.read_well}
        return {**kept, **self.notices}


NOTHING_SAVED = Saved()


def read_saved() -> Saved:
    """The user's fixes, mappings and learned places, with notices of anything that could
    not be read."""
    return backend().read()


class AnswerCache(Protocol):
    """Where the online layer keeps Nominatim's answers (`online.AnswerCache`, a SQLite
    file; `database.SharedAnswers`, the team's table)."""

    def get(self, query: str) -> Answer | None: ...

    def put(self, query: str, answer: Answer) -> None: ...


class Backend(Protocol):
    """Where saved choices live: `Files` or `database.Database`."""

    def read(self) -> Saved:
        """Every saved choice, with notices; never raises (a store that cannot be read
        is a notice)."""
        ...

    def save(self, kind: str, key: str, value: dict) -> str | None:
        """Set one entry of a kind (`KINDS`) at once, or raise SaveError and change
        nothing; a notice for the user, if there is one."""
        ...

    def remove(self, kind: str, key: str) -> bool:
        """Remove one entry (False: there was none), or raise SaveError; ``kind`` may be
        `LEARNED_KIND` (a file learned from, by its SHA-256)."""
        ...

    def knows(self, digest: str) -> bool:
        """Whether the file with this SHA-256 was learned from."""
        ...

    def learn(self, digest: str, value: dict) -> bool:
        """Keep a learned file (its record and points) unless one with this SHA-256 is
        kept already (False); raises SaveError."""
        ...

    def answer_cache(self) -> AnswerCache:
        """The online layer's answers."""
        ...


def backend() -> Backend:
    """The store $DASHBOARD_DATABASE_URL names, else the files in `home()`."""
    url = os.environ.get(DATABASE_ENV)
    if url:
        # Imported only here: the one-person install needs no database driver.
        from dashboard.database import Database

        return Database(url)
    return Files(home())


@dataclass(frozen=True)
class Files:
    """The saved choices as JSON files in one folder, one file per kind."""

    folder: Path

    def read(self) -> Saved:
        reads = {kind.file: read_json(self.folder / kind.file, {}, kind.valid)
                 for kind in KINDS.values()}
        values = {name: reads[kind.file].value for name, kind in KINDS.items()}
        learned = read_learned(self.folder / LEARNED_FOLDER)
        reads.update(learned.reads)
        return Saved(**{**values, "fixes": refiled(values["fixes"])},
                     learned=learned.learned,
                     notices={name: read.notice for name, read in reads.items()
                              if read.notice},
                     read_well=frozenset(name for name, read in reads.items()
                                         if read.read_well))

    def save(self, kind: str, key: str, value: dict) -> str | None:
        return update(self.folder / KINDS[kind].file, KINDS[kind].valid, key, value)

    def remove(self, kind: str, key: str) -> bool:
        if kind == LEARNED_KIND:
            path = self.folder / LEARNED_FOLDER / f"{key}.json"
            try:
                there = path.exists()
                path.unlink(missing_ok=True)  # one step; a learned file has no lock (`learn`)
                # The lock file an earlier version left beside it.
                path.with_name(f".{path.name}.lock").unlink(missing_ok=True)
            except OSError as error:
                raise SaveError(f"could not forget {path}: {error.strerror or error}"
                                ) from error
            return there
        return forget(self.folder / KINDS[kind].file, KINDS[kind].valid, key)

    def knows(self, digest: str) -> bool:
        return (self.folder / LEARNED_FOLDER / f"{digest}.json").exists()

    def learn(self, digest: str, value: dict) -> bool:
        path = self.folder / LEARNED_FOLDER / f"{digest}.json"
        # No lock: a learned file is named by its content's hash, so two writers write the
        # same points, and the atomic replace leaves one whole file whichever comes last.
        # (A lock file per learned file stayed behind in learned/ after every forget.)
        if path.exists():
            return False
        try:
            write_json_atomically(path, value)
        except OSError as error:
            raise SaveError(f"could not save to {path}: {error.strerror or error}; "
                            "what was learned before is unchanged.") from error
        return True

    def answer_cache(self) -> AnswerCache:
        from dashboard.online import AnswerCache  # online imports this module

        return AnswerCache(self.folder / ANSWERS_FILE)


class LearnedRead(NamedTuple):
    """The learned files as read: the places, and each file's `Read` by its name."""

    learned: Learned
    reads: dict[str, Read]


def learned_folder() -> Path:
    return home() / LEARNED_FOLDER


def is_learned_file(value: object) -> bool:
    """A file learned from: its record and its points, column by column, in range."""
    if not (isinstance(value, dict) and isinstance(value.get("sha256"), str)
            and isinstance(value.get("name"), str) and isinstance(value.get("points"), dict)
            and all(isinstance(value.get(n), int) for n in ("rows", "names"))
            and isinstance(value.get(COPY_OF, ""), str)):
        return False
    points = value["points"]
    columns = [points.get(name) for name in POINT_COLUMNS]
    if not all(isinstance(c, list) for c in columns) or len({len(c) for c in columns}) != 1:
        return False
    return all(is_degrees(v, limit) for name, limit in (("latitude", 90), ("longitude", 180))
               for v in points[name]) and all(
        isinstance(v, str) for name in ("key", "name", "country_code", "admin1_key",
                                        "admin2_key") for v in points[name]) and all(
        isinstance(v, int) and v > 0 for v in points["events"])


# Parsed learned files by (path, modification time, size): the page reads the saved
# state on every run, and a big file's points need not be parsed again until it changes.
_PARSED: dict[tuple[str, int, int], dict] = {}
# The places of the last read, by its files' versions: built once (and clustered once, on
# first use) while the files stay as they are, not again on every run of the page.
_LAST: dict[tuple, Learned] = {}


def read_learned(folder: Path) -> LearnedRead:
    """Every file learned from in ``folder`` (see `learn`); a damaged one is set aside
    with a notice."""
    values, versions, reads = [], [], {}
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:  # forgotten by another session meanwhile
            continue
        version = (str(path), stat.st_mtime_ns, stat.st_size)
        value = _PARSED.get(version)
        if value is None:
            read = read_json(path, None, is_learned_file)
            reads[f"{LEARNED_FOLDER}/{path.name}"] = read
            if read.value is None:
                continue
            value = _PARSED[version] = read.value
        else:
            reads[f"{LEARNED_FOLDER}/{path.name}"] = Read(value, read_well=True)
        values.append(value)
        versions.append(version)
    key = tuple(versions)
    learned = _LAST.get(key)
    if learned is None:  # (sessions run in threads: never index what another may clear)
        learned = learned_from(values)
        _LAST.clear()
        _LAST[key] = learned
    return LearnedRead(learned, reads)


def learned_from(values: list[dict]) -> Learned:
    """The learned places of these learned files (each as `is_learned_file` checks it),
    in this order."""
    learned = NO_LEARNED
    for value in values:
        file = {name: value[name] for name in ("sha256", "name", "rows", "names", COPY_OF)
                if name in value}
        learned = learned.adding(file, pd.DataFrame(value["points"], columns=POINT_COLUMNS))
    return learned


def learn(digest: str, name: str, accepted: pd.DataFrame, copy_of: str | None = None
          ) -> dict | None:
    """Learn the places of one loaded file (its accepted rows) under its SHA-256; the
    file's record, or None when it teaches nothing (no coordinates, none precise) or was
    learned already. Raises SaveError. Kept where the other choices are (`backend`): a
    file in `learned_folder()`, or the team's shared store.

    ``copy_of`` names what a pulled copy holds (`pulled.about`): every pull rewrites the
    copy, a new SHA-256 with mostly the same events, so the version learned before is
    forgotten once this one is kept, or each event would count once per pull."""
    store = backend()
    if store.knows(digest):
        return None
    points = learn_points(accepted)
    if points.empty:
        return None
    file = record(digest, name, points, int(teaching_rows(accepted).sum()))
    if copy_of:
        file[COPY_OF] = copy_of
    columns = {column: points[column].tolist() for column in POINT_COLUMNS}
    columns["events"] = [int(v) for v in columns["events"]]
    if not store.learn(digest, {**file, "points": columns}):
        return None
    for earlier in learned_files() if copy_of else ():
        if earlier.get(COPY_OF) == copy_of and earlier["sha256"] != digest:
            store.remove(LEARNED_KIND, str(earlier["sha256"]))
    return file


def learned_files() -> list[dict]:
    """The records of the files learned from, in the order they are read."""
    return [dict(file) for file in read_saved().learned.files]


def forget_learned(prefix: str) -> dict:
    """Forget the file learned from whose SHA-256 starts with ``prefix``; its record.
    Raises LookupError when no file or several match, SaveError when it cannot go."""
    matches = [file for file in learned_files() if str(file["sha256"]).startswith(
        prefix.strip().lower())] if prefix.strip() else []
    if len(matches) != 1:
        said = "no file learned from" if not matches else f"{len(matches)} files learned from"
        raise LookupError(f"{said} has a SHA-256 starting {prefix!r}")
    backend().remove(LEARNED_KIND, str(matches[0]["sha256"]))
    return matches[0]


def refiled(fixes: Mapping[str, dict]) -> dict[str, dict]:
    """The fixes under the key their place text folds to now. A fix is filed as
    "folded place|country code" (`geocode.override_key`); one saved before the folding
    learned to transliterate ("Tromsø" was "troms", Troms county's key) would otherwise
    stop applying. Where an old and a new key meet, the entry saved under the new one,
    the later, wins."""

    def key_now(key: str, fix: dict) -> str:
        place = fix.get("place")
        return f"{normalize_name(place)}|{key.rpartition('|')[2]}" if isinstance(
            place, str) else key

    kept = {key: fix for key, fix in fixes.items() if key_now(key, fix) == key}
    for key, fix in fixes.items():
        kept.setdefault(key_now(key, fix), fix)
    return kept

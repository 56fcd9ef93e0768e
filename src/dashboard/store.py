"""What the user saved on this machine: JSON files in one folder, written atomically.

Several browser sessions (or processes) may save at once, and a crash may come
mid-write. Each file is written to a temporary file beside it and renamed over it, so a
reader sees the old content or the new, never half of either; a read-modify-write holds
an exclusive lock, so two saves cannot lose each other's entry. A file that cannot be
read (truncated, not UTF-8, edited by hand into another shape) is set aside under a new
name, never overwritten, and a notice says where it went; where it cannot be moved (a
read-only folder) it is ignored, with a notice, and never stops a load.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import math
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

HOME_ENV = "DASHBOARD_HOME"
# What is wrong with each saved file, by file name, for the UI to tell the user about;
# gone once the file reads well again (a fresh one was saved, or it was repaired).
NOTICES_BY_FILE: dict[str, str] = {}
MAPPINGS_FILE = "column_mappings.json"
OVERRIDES_FILE = "place_overrides.json"


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


def notices() -> list[str]:
    """What the user should know about the saved files as they are now."""
    return list(NOTICES_BY_FILE.values())


def read_json(path: Path, default: object,
              valid: Callable[[object], bool] = lambda value: True) -> object:
    """The saved value; ``default`` when there is none. A file that cannot be read, or
    holds something ``valid`` rejects, is set aside."""
    try:
        value = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return default
    except (OSError, ValueError, RecursionError) as error:  # UnicodeDecodeError: a ValueError
        problem = error.strerror if isinstance(error, OSError) else str(error)
    else:
        if valid(value):
            NOTICES_BY_FILE.pop(path.name, None)
            return value
        problem = "not laid out as this dashboard saves it"
    set_aside(path, problem)
    return default


def set_aside(path: Path, problem: str) -> None:
    kept = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-"
                          f"{os.getpid()}")
    try:
        path.rename(kept)
    except FileNotFoundError:  # another process set it aside first
        return
    except OSError as error:
        NOTICES_BY_FILE[path.name] = (
            f"{path} could not be read ({problem}) nor set aside ({error.strerror}); the "
            "entries in it are not used until it is repaired or removed.")
        return
    NOTICES_BY_FILE[path.name] = (
        f"{path.name} could not be read ({problem}) and was set aside as {kept}; the "
        "entries in it are not used until it is repaired.")


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock for a read-modify-write of ``path`` (released on exit or crash)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def header_signature(columns) -> str:
    """One key per file layout: the same columns in any order and case."""
    names = "\x1f".join(sorted(str(column).strip().lower() for column in columns))
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


def saved_mapping(columns) -> dict[str, str]:
    mappings = read_json(home() / MAPPINGS_FILE, {}, is_mappings)
    # Only columns this file still has: a stale entry must not break loading.
    names = set(map(str, columns))
    return {k: v for k, v in mappings.get(header_signature(columns), {}).items() if v in names}


def save_mapping(columns, mapping: dict[str, str]) -> None:
    """Remember ``mapping`` for files with these columns; raises SaveError."""
    update(home() / MAPPINGS_FILE, is_mappings, header_signature(columns), mapping)


def overrides() -> dict[str, dict]:
    """The user's place fixes: override key -> {"latitude", "longitude", "name", ...}."""
    return read_json(home() / OVERRIDES_FILE, {}, is_fixes)


def save_override(key: str, fix: dict) -> None:
    """Use ``fix`` for ``key`` from now on; raises SaveError."""
    update(home() / OVERRIDES_FILE, is_fixes, key, fix)


def update(path: Path, valid: Callable[[object], bool], key: str, value: object) -> None:
    """Set one entry of a saved file, or raise SaveError and leave the file as it was."""
    try:
        with locked(path):
            saved = read_json(path, None, valid)
            if saved is None and path.exists():
                raise SaveError(f"{path} is damaged and could not be set aside; repair or "
                                "remove it to save again.")
            write_json_atomically(path, {**(saved or {}), key: value})
    except OSError as error:
        raise SaveError(f"could not save to {path}: {error.strerror or error}; "
                        "what was saved before is unchanged.") from error


def overrides_fingerprint() -> str | None:
    """The fixes in force, for provenance: a hash of the file, None when there are none."""
    try:
        return "sha256:" + hashlib.sha256((home() / OVERRIDES_FILE).read_bytes()).hexdigest()[:16]
    except OSError:  # none, or not readable
        return None


def saved_state() -> str:
    """A hash of every saved choice that changes how a file loads: fixes and mappings."""
    digest = hashlib.sha256()
    for name in (OVERRIDES_FILE, MAPPINGS_FILE):
        with contextlib.suppress(OSError):
            digest.update((home() / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()

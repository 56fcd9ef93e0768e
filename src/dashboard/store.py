"""What the user saved on this machine: JSON files in one folder, written atomically.

Several browser sessions (or processes) may save at once, and a crash may come
mid-write. Each file is written to a temporary file beside it and renamed over it, so a
reader sees the old content or the new, never half of either; a read-modify-write holds
an exclusive lock, so two saves cannot lose each other's entry. A file that cannot be
read (truncated, edited by hand) is set aside under a new name, never overwritten, and a
notice says where it went.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

HOME_ENV = "DASHBOARD_HOME"
# Files set aside since this process started, for the UI to tell the user about.
NOTICES: list[str] = []
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


def read_json(path: Path, default: object) -> object:
    """The saved value; ``default`` when there is none. An unreadable file is set aside."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    try:
        return json.loads(text)
    except ValueError:
        kept = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-"
                              f"{os.getpid()}")
        try:
            path.rename(kept)
        except FileNotFoundError:  # another process set it aside first
            return default
        NOTICES.append(f"{path.name} could not be read and was set aside as {kept}; "
                       "the entries in it are not used until it is repaired.")
        return default


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


def saved_mapping(columns) -> dict[str, str]:
    mappings = read_json(home() / MAPPINGS_FILE, {})
    mapping = mappings.get(header_signature(columns), {}) if isinstance(mappings, dict) else {}
    # Only columns this file still has: a stale entry must not break loading.
    return {k: v for k, v in mapping.items() if v in set(map(str, columns))}


def save_mapping(columns, mapping: dict[str, str]) -> None:
    path = home() / MAPPINGS_FILE
    with locked(path):
        mappings = read_json(path, {})
        mappings = mappings if isinstance(mappings, dict) else {}
        mappings[header_signature(columns)] = mapping
        write_json_atomically(path, mappings)


def overrides() -> dict[str, dict]:
    """The user's place fixes: override key -> {"latitude", "longitude", "name", ...}."""
    saved = read_json(home() / OVERRIDES_FILE, {})
    return saved if isinstance(saved, dict) else {}


def save_override(key: str, fix: dict) -> None:
    path = home() / OVERRIDES_FILE
    with locked(path):
        fixes = overrides()
        fixes[key] = fix
        write_json_atomically(path, fixes)


def overrides_fingerprint() -> str | None:
    """The fixes in force, for provenance: a hash of the file, None when there are none."""
    try:
        return "sha256:" + hashlib.sha256((home() / OVERRIDES_FILE).read_bytes()).hexdigest()[:16]
    except FileNotFoundError:
        return None


def saved_state() -> str:
    """A hash of every saved choice that changes how a file loads: fixes and mappings."""
    digest = hashlib.sha256()
    for name in (OVERRIDES_FILE, MAPPINGS_FILE):
        with contextlib.suppress(FileNotFoundError):
            digest.update((home() / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()

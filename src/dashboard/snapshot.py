"""Loaded tables kept on disk as Parquet, so reopening a big file skips parsing and
geocoding (a million rows: seconds, not tens of seconds).

A snapshot is named by everything its rows depend on: the file's bytes and name, the
layout asked for, the gazetteer, the user's saved fixes and column mappings (as the
loader was given them: `store.Saved.fingerprint`), the actor alias table
(`actors.Families.version`), and this package's code. Change any
of them and the name changes, so a stale snapshot is never read; old ones are deleted
beyond the newest ``KEEP``. The snapshots are a cache: one that cannot be written or
read is skipped (and logged), and the file is loaded as if it were absent.

Several servers may share one folder ($DASHBOARD_SNAPSHOT_DIR): a snapshot is written in
a folder of its own and renamed into place whole, so no reader ever sees half of one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard import store
from dashboard.gazetteer import gazetteer_version
from dashboard.schema import AccountingError, Table

log = logging.getLogger(__name__)
FOLDER = "snapshots"
# A folder every server of a team reads and writes; unset: FOLDER in the user's folder.
FOLDER_ENV = "DASHBOARD_SNAPSHOT_DIR"
KEEP = 8
PACKAGE = Path(__file__).parent


@functools.cache
def code_version() -> str:
    """The pipeline's source: a snapshot made by other code may hold other columns. The
    page (the ui package) draws loaded tables but never shapes them, so it is left out."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def snapshot_key(digest: str, name: str, layout: str, saved: str, families: str) -> str:
    """The name of a file's snapshot; ``saved`` is the fingerprint of the saved choices the
    load was given, ``families`` the version of the alias table it grouped actors by, so
    a load with other fixes, mappings or families never reads this one."""
    parts = {"sha256": digest, "name": name, "layout": layout, "code": code_version(),
             "gazetteer": gazetteer_version(), "saved": saved, "families": families}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def folder() -> Path:
    return Path(os.environ.get(FOLDER_ENV) or store.home() / FOLDER)


def read(key: str) -> Table | None:
    """The table saved under ``key``; None if there is none or it cannot be read."""
    path = folder() / key
    if not path.is_dir():
        return None  # none yet: the usual miss
    try:
        meta = json.loads((path / "table.json").read_text(encoding="utf-8"))
        accepted = pd.read_parquet(path / "accepted.parquet").astype(meta["datetimes"])
        for name, categories in meta["categories"].items():
            accepted[name] = accepted[name].cat.set_categories(categories)
        table = Table(accepted=accepted,
                      rejected=pd.read_parquet(path / "rejected.parquet"),
                      layout=meta["layout"], warnings=tuple(meta["warnings"]),
                      source=meta["source"], files=tuple(meta["files"]),
                      rows_in=meta["rows_in"])
        os.utime(path)  # recently used: kept longest
        return table
    except (OSError, ValueError, KeyError, TypeError, AttributeError, AccountingError,
            pa.ArrowException) as error:
        log.warning("snapshot %s unreadable (%s: %s); deleted, the file is loaded afresh",
                    path, type(error).__name__, error)
        shutil.rmtree(path, ignore_errors=True)  # unreadable: made again on this load
        return None


def write(key: str, table: Table) -> None:
    """Save ``table`` under ``key``: in a folder of its own, renamed into place whole, so
    a reader sees all of a snapshot or none of it."""
    root = folder()
    try:
        root.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=root, prefix=".partial-"))
    except OSError as error:
        log.warning("no snapshot saved: cannot make %s (%s)", root, error)
        return
    try:
        table.accepted.to_parquet(temporary / "accepted.parquet", index=False)
        table.rejected.to_parquet(temporary / "rejected.parquet", index=False)
        meta = {"layout": table.layout, "warnings": list(table.warnings),
                "source": table.source, "files": list(table.files), "rows_in": table.rows_in,
                # Parquet has no unit of seconds; the dates come back as milliseconds.
                "datetimes": {name: str(dtype) for name, dtype in table.accepted.dtypes.items()
                              if pd.api.types.is_datetime64_dtype(dtype)},
                # Parquet keeps the categories rows use: with no row, none at all.
                "categories": {name: dtype.categories.tolist()
                               for name, dtype in table.accepted.dtypes.items()
                               if isinstance(dtype, pd.CategoricalDtype)}}
        (temporary / "table.json").write_text(json.dumps(meta), encoding="utf-8")
        temporary.rename(root / key)
    except (OSError, ValueError, TypeError, pa.ArrowException) as error:
        # Another process saved it first, or the disk is full: a cache may miss.
        log.warning("snapshot %s not saved (%s: %s)", key, type(error).__name__, error)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    prune(root)


def prune(root: Path) -> None:
    """Delete all but the KEEP most recently used snapshots (a 1M-row one is ~30 MB)."""
    try:
        snapshots = sorted((p for p in root.iterdir() if not p.name.startswith(".")),
                           key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError as error:  # another process may be pruning too
        log.debug("snapshots not pruned: %s", error)
        return
    for old in snapshots[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)

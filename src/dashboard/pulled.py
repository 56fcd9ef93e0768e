"""A pulled dataset: a local copy of what a live source (ACLED, UCDP) holds for one
question, with the history of its pulls and what each one changed.

The copy is one Parquet file: the events as the source sent them (text, so it loads like
any export through `sources` and `schema`) and, in the file's metadata, the question
(source, countries, period, version) and every pull (when, what was asked, rows, the
change report). A pull is applied whole or not at all: nothing is written until every
page has arrived, and the file is replaced atomically. A change report compares events by
the source's own id: new ids, ids gone (deleted), and ids whose fields changed (revised,
with each field's value before and after).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard import acled, store, ucdp
from dashboard.remote import Progress, PullError

log = logging.getLogger(__name__)
META_KEY = b"dashboard.pulled"
COPIES_FILE = "pulled_copies.json"  # in store.home(): every copy pulled, for the data menu
# Fields that change on every revision by definition: not news in a report.
BOOKKEEPING = {"timestamp"}
CANDIDATE = "ucdp-candidate"  # UCDP's monthly candidate events, a source of their own
TERMS = {"acled": acled.ATTRIBUTION, "ucdp": ucdp.ATTRIBUTION, CANDIDATE: ucdp.ATTRIBUTION}


@dataclass(frozen=True)
class Question:
    """What a copy holds: the same question is asked again on every later pull."""

    source: str  # "acled", "ucdp" or "ucdp-candidate"
    countries: tuple[str, ...]
    start: str | None = None  # ISO dates
    end: str | None = None
    version: str | None = None  # UCDP's release, when the user chose one


@dataclass(frozen=True)
class Revision:
    id: str
    changes: dict[str, tuple[str, str]]  # field -> (before, after)


@dataclass(frozen=True)
class Report:
    """What one pull (or several, merged) changed in a copy."""

    new: tuple[str, ...] = ()
    revised: tuple[Revision, ...] = ()
    deleted: tuple[str, ...] = ()

    def summary(self) -> str:
        return (f"{len(self.new):,} new, {len(self.revised):,} revised, "
                f"{len(self.deleted):,} deleted")

    def to_json(self) -> dict:
        return {"counts": {"new": len(self.new), "revised": len(self.revised),
                           "deleted": len(self.deleted)},
                "new": list(self.new),
                "revised": [{"id": r.id, "changes": {name: {"before": b, "after": a}
                                                     for name, (b, a) in r.changes.items()}}
                            for r in self.revised],
                "deleted": list(self.deleted)}

    @classmethod
    def from_json(cls, value: dict) -> Report:
        return cls(tuple(value["new"]),
                   tuple(Revision(r["id"], {name: (c["before"], c["after"])
                                            for name, c in r["changes"].items()})
                         for r in value["revised"]),
                   tuple(value["deleted"]))

    def rows(self) -> pd.DataFrame:
        """One row per change (a revision, one per changed field), for a CSV."""
        rows = [{"id": i, "change": "new", "field": "", "before": "", "after": ""}
                for i in self.new]
        rows += [{"id": r.id, "change": "revised", "field": name, "before": b, "after": a}
                 for r in self.revised for name, (b, a) in r.changes.items()]
        rows += [{"id": i, "change": "deleted", "field": "", "before": "", "after": ""}
                 for i in self.deleted]
        return pd.DataFrame(rows, columns=["id", "change", "field", "before", "after"])

    def touching(self, ids: set[str]) -> Report:
        """Only the changes to these events (an export's rows)."""
        return Report(tuple(i for i in self.new if i in ids),
                      tuple(r for r in self.revised if r.id in ids),
                      tuple(i for i in self.deleted if i in ids))


@dataclass(frozen=True)
class Copy:
    events: pd.DataFrame  # text columns, one row per event id
    question: Question
    id_column: str
    history: tuple[dict, ...] = field(default=())  # one entry per pull, oldest first

    def newest(self, column: str) -> int | None:
        """The largest integer in a column (ACLED's `timestamp`): where to ask from."""
        values = pd.to_numeric(self.events.get(column), errors="coerce")
        return None if values is None or values.isna().all() else int(values.max())


def read_copy(path: Path, events: bool = True) -> Copy | None:
    """The copy at `path` (without its events unless `events`: the history alone is in
    the file's footer); None when there is none. A file that is not a pulled copy is a
    PullError: a pull must never overwrite a user's own file."""
    if not path.exists():
        return None
    try:
        metadata = pq.read_schema(path).metadata or {}
        about = json.loads(metadata[META_KEY])
        events = pd.read_parquet(path).astype(str) if events else pd.DataFrame()
        return Copy(events, Question(**{**about["question"], "countries": tuple(
            about["question"]["countries"])}), about["id_column"], tuple(about["history"]))
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException) as error:
        raise PullError(f"{path} exists and is not a copy this dashboard pulled "
                        f"({type(error).__name__}); choose another file") from None


def about(data: bytes) -> dict | None:
    """For provenance: which source, which pull and its terms, and what the copy holds
    (the question every pull of it asks: its versions are one copy), when `data` (a
    file's bytes) is a pulled copy; None for any other file."""
    if not data.startswith(b"PAR1"):
        return None
    try:
        metadata = pq.read_schema(pa.BufferReader(data)).metadata or {}
        kept = json.loads(metadata[META_KEY])
        last = kept["history"][-1]
        source = kept["question"]["source"]
        holds = describe(Question(**kept["question"]))
    except (KeyError, IndexError, TypeError, ValueError, pa.ArrowException):
        return None
    return {"source": source, "pull": last["pull"], "pulled_at": last["pulled_at"],
            "asked": last["asked"], "terms": TERMS[source], "holds": holds}


def write_copy(path: Path, copy: Copy) -> None:
    """Replace the file whole: a reader sees the old copy or the new one, never half."""
    about = {"question": asdict(copy.question), "id_column": copy.id_column,
             "history": list(copy.history)}
    table = pa.Table.from_pandas(copy.events.reset_index(drop=True), preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           META_KEY: json.dumps(about).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(handle)
    try:
        pq.write_table(table, temporary)
        with open(temporary, "rb") as file:
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def as_text(rows: list[dict[str, str]], id_column: str) -> pd.DataFrame:
    """The source's records as a text frame, one row per id (a page boundary that moved
    while paging can repeat an event: the later copy wins)."""
    frame = pd.DataFrame(rows)
    if len(frame) and id_column not in frame.columns:
        raise PullError(f"the source's events have no {id_column!r} field; nothing changed")
    frame = frame.fillna("").astype(str) if len(frame) else pd.DataFrame(columns=[id_column])
    return frame.drop_duplicates(id_column, keep="last").reset_index(drop=True)


def apply(events: pd.DataFrame, received: pd.DataFrame, deleted: set[str], id_column: str,
          complete: bool) -> tuple[pd.DataFrame, Report]:
    """The events after a pull, and what changed. `complete`: `received` is everything the
    source holds for the question (UCDP), so an id missing from it was deleted; else it
    holds only what changed (ACLED since a timestamp) and `deleted` says what went. The
    copy keeps its order; a revised event stays where it was, new ones come last."""
    columns = list(dict.fromkeys([*events.columns, *received.columns]))
    old = events.reindex(columns=columns, fill_value="")
    got = received.reindex(columns=columns, fill_value="")
    old_ids = pd.Index(old[id_column].astype(object))
    got_ids = pd.Index(got[id_column].astype(object))
    # An event revised and then deleted between two pulls comes back in both answers.
    got_gone = np.zeros(len(got_ids), bool) if complete else got_ids.isin(list(deleted))
    got, got_ids = got[~got_gone], got_ids[~got_gone]
    in_got, in_old = old_ids.isin(got_ids), got_ids.isin(old_ids)
    gone = ~in_got if complete else old_ids.isin(list(deleted))
    before = old[in_got].set_axis(old_ids[in_got]).sort_index()
    revised = revisions(before, got[in_old].set_axis(got_ids[in_old]).sort_index())
    after = pd.concat([old[~gone & ~in_got], got], ignore_index=True)
    # Where each row goes: its place in the old copy, else after all of them.
    place = old_ids.get_indexer(pd.Index(after[id_column].astype(object)))
    place = np.where(place >= 0, place, len(old_ids) + np.arange(len(place)))
    after = after.iloc[np.argsort(place, kind="stable")].reset_index(drop=True)
    return after, Report(tuple(got_ids[~in_old]), revised, tuple(old_ids[gone]))


def revisions(before: pd.DataFrame, after: pd.DataFrame) -> tuple[Revision, ...]:
    """Each event whose fields differ, with every changed field (cell by cell in numpy:
    reading cells one by one from a frame costs a millisecond each)."""
    compared = [c for c in before.columns if c not in BOOKKEEPING]
    old = before[compared].astype(object).to_numpy()
    new = after[compared].astype(object).to_numpy()
    changes: dict[str, dict[str, tuple[str, str]]] = {}
    for row, column in zip(*np.nonzero(old != new), strict=True):
        changes.setdefault(str(before.index[row]), {})[compared[column]] = (
            old[row, column], new[row, column])
    return tuple(Revision(i, c) for i, c in changes.items())


def record(copy: Copy | None, question: Question, id_column: str, events: pd.DataFrame,
           report: Report, asked: dict, received: int) -> Copy:
    """The copy after a pull, with that pull's entry added to its history."""
    history = copy.history if copy else ()
    entry = {"pull": len(history) + 1,
             "pulled_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
             "asked": asked, "received": received, "rows": len(events),
             "report": report.to_json()}
    return Copy(events, question, id_column, (*history, entry))


def check_question(copy: Copy | None, question: Question, path: Path) -> None:
    if copy and copy.question != question:
        raise PullError(f"{path.name} holds {describe(copy.question)}, not "
                        f"{describe(question)}; pull into another file")


def describe(question: Question) -> str:
    period = f" {question.start or '…'} to {question.end or '…'}" if (
        question.start or question.end) else ""
    version = f" version {question.version}" if question.version else ""
    return f"{question.source.upper()} {', '.join(question.countries)}{period}{version}"


def since_pull(copy: Copy, number: int) -> Report:
    """Every change recorded after pull `number`, merged: a revised event's first
    before and last after; an event new after that pull is new, whatever came later."""
    new: dict[str, None] = {}
    revised: dict[str, dict[str, tuple[str, str]]] = {}
    deleted: dict[str, None] = {}
    for entry in copy.history[number:]:
        report = Report.from_json(entry["report"])
        new.update(dict.fromkeys(report.new))
        for revision in report.revised:
            if revision.id not in new:
                merged = revised.setdefault(revision.id, {})
                for name, (before, after) in revision.changes.items():
                    merged[name] = (merged.get(name, (before, after))[0], after)
        deleted.update(dict.fromkeys(report.deleted))
    return Report(tuple(i for i in new if i not in deleted),
                  tuple(Revision(i, c) for i, c in revised.items() if i not in deleted),
                  tuple(i for i in deleted if i not in new))


def remember(path: Path) -> None:
    """List the copy in the data menu (a failure to list it loses nothing: said in log)."""
    try:
        store.update(store.home() / COPIES_FILE, lambda v: isinstance(v, dict),
                     str(path.resolve()), {"name": path.name})
    except store.SaveError:
        log.warning("could not list %s among the pulled copies", path.name)


def known_copies() -> list[Path]:
    """The pulled copies the data menu offers: those listed that still exist."""
    listed = store.read_json(store.home() / COPIES_FILE, {}, lambda v: isinstance(v, dict))
    return sorted((Path(p) for p in listed.value if Path(p).is_file()), key=lambda p: p.name)


def pull(question: Question, path: Path, progress: Progress | None = None, *,
         account: acled.Credentials | None = None, token: str | None = None,
         page_size: int | None = None) -> tuple[Copy, Report]:
    """Pull `question` into `path` from the source it names, with the user's myACLED
    `account` or UCDP `token` (None: $UCDP_ACCESS_TOKEN)."""
    sizes = {} if page_size is None else {"page_size": page_size}
    if question.source != "acled":
        return pull_ucdp(ucdp.Client(token, **sizes), question, path, progress)
    if account is None:
        raise PullError("no myACLED account: type its e-mail and password, or set "
                        "ACLED_USERNAME and ACLED_PASSWORD")
    return pull_acled(acled.Client(account, **sizes), question, path, progress)


def pull_acled(client: acled.Client, question: Question, path: Path,
               progress: Progress | None = None) -> tuple[Copy, Report]:
    """Pull into `path`: everything the first time; later, only events whose timestamp is
    newer than the copy's newest, and the deletions since then."""
    copy = read_copy(path)
    check_question(copy, question, path)
    since = copy.newest(acled.TIMESTAMP_COLUMN) if copy else None
    rows = client.events(list(question.countries), day(question.start), day(question.end),
                         since=since, progress=progress)
    deleted = ({r[acled.ID_COLUMN] for r in client.deleted(since)} if copy else set())
    received = as_text(rows, acled.ID_COLUMN)
    events, report = apply(copy.events if copy else received.iloc[:0], received, deleted,
                           acled.ID_COLUMN, complete=False)
    return save(path, record(copy, question, acled.ID_COLUMN, events, report,
                             {**asdict(question), "since_timestamp": since}, len(rows))), report


def pull_ucdp(client: ucdp.Client, question: Question, path: Path,
              progress: Progress | None = None) -> tuple[Copy, Report]:
    """Pull into `path` the whole question again (UCDP has no "changed since"): the
    report compares it with the copy, release to release."""
    copy = read_copy(path)
    check_question(copy, question, path)
    version = question.version or client.latest_version(
        candidate=question.source == CANDIDATE)
    rows = client.events(version, list(question.countries), day(question.start),
                         day(question.end), progress=progress)
    received = as_text(rows, ucdp.ID_COLUMN)
    events, report = apply(copy.events if copy else received.iloc[:0], received, set(),
                           ucdp.ID_COLUMN, complete=True)
    return save(path, record(copy, question, ucdp.ID_COLUMN, events, report,
                             {**asdict(question), "version": version}, len(rows))), report


def save(path: Path, copy: Copy) -> Copy:
    try:
        write_copy(path, copy)
    except OSError as error:
        raise PullError(f"could not write {path}: {error.strerror or error}; the copy "
                        "there is as it was") from None
    remember(path)
    return copy


def day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None

"""A team's saved choices in PostgreSQL: one store that every server of the dashboard
reads, chosen by $DASHBOARD_DATABASE_URL (`store.backend`).

The same promises as the files. A save is one transaction: its entry is written with
``INSERT ... ON CONFLICT`` (two analysts saving at once both keep theirs; the same key,
the later wins) and the counter in ``saved_version`` goes up in the same transaction, so
a save is all there or not at all. Readers compare that counter with the one they last
read: a change made on another server is seen at its next run of the page, and an
unchanged store costs one small query, not a read of every fix.

Each operation opens its own connection: a server that lost the database (restarted,
unreachable for a while) saves again as soon as it is back, with nothing to reset. While
it is down a save raises `store.SaveError` and a read returns the last good read of this
process, with a notice. The password in the URL is never said: messages and logs name
the host only, and an error's text is scrubbed of it.

The schema is the app's own: ``schema_version`` lists the steps of `MIGRATIONS` applied,
and the first connection of each process applies the missing ones in order, under an
advisory lock (two servers starting at once migrate once).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import NamedTuple
from urllib.parse import urlsplit

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.types.json import Jsonb

from dashboard.online import Answer, kept_answer
from dashboard.store import (
    KINDS,
    LEARNED_KIND,
    NOTHING_SAVED,
    Saved,
    SaveError,
    is_learned_file,
    learned_from,
    refiled,
)

log = logging.getLogger(__name__)

NOTICE = "shared store"  # the name of its notices in `Saved.notices`
CONNECT_TIMEOUT_S = 5
MIGRATION_LOCK = 0x64617368  # pg_advisory_xact_lock's key: "dash"
SIGNATURE = ("by", "at")  # kept in made_by and made_at, not in the entry's JSON

# Step N brings the schema from version N-1 to N. Only ever add steps: a store is at
# whatever version the last app that opened it left it.
MIGRATIONS = (
    # 1: every kind of saved choice in one table (a new kind, learned places, needs no new
    # table); the counter every save moves; the online layer's answers.
    """
    CREATE TABLE entries (kind text NOT NULL, key text NOT NULL, value jsonb NOT NULL,
                          PRIMARY KEY (kind, key));
    CREATE TABLE saved_version (one boolean PRIMARY KEY DEFAULT true CHECK (one),
                                counter bigint NOT NULL);
    INSERT INTO saved_version VALUES (true, 0);
    CREATE TABLE online_answers (query text PRIMARY KEY, latitude double precision,
                                 longitude double precision,
                                 fetched_at double precision NOT NULL);
    """,
    # 2: who saved each entry and when, by the database's clock (servers' clocks differ).
    # Entries saved before have neither.
    """
    ALTER TABLE entries ADD COLUMN made_by text, ADD COLUMN made_at timestamptz;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class NewerSchema(Exception):
    """The store was migrated by a newer dashboard: this one might misread it."""


class LastRead(NamedTuple):
    counter: int
    saved: Saved
    at: float


# Per process, by URL: whose schema is known to be current, and the last good read (the
# saved choices the page goes on with while the store is unreachable).
migrated: set[str] = set()
last_reads: dict[str, LastRead] = {}


class Database:
    """The saved choices in the PostgreSQL database at ``url`` (a `store.Backend`)."""

    def __init__(self, url: str):
        self.url = url

    def __repr__(self) -> str:  # never the URL: it may hold the password
        return f"Database({self.where})"

    @cached_property
    def parts(self) -> dict[str, str]:
        try:
            return {k: str(v) for k, v in conninfo_to_dict(self.url).items()}
        except psycopg.Error:  # not a URL psycopg reads: connecting says so
            return {}

    @cached_property
    def where(self) -> str:
        """The store as messages name it: host and port, never the user or password."""
        host = self.parts.get("host") or "the local socket"
        return f"{host}:{self.parts['port']}" if "port" in self.parts else host

    @cached_property
    def secrets(self) -> list[str]:
        """What no message may hold: the URL, its password as spelled and as decoded
        ("p%40ss" is "p@ss"), longest first."""
        found = {self.url, self.parts.get("password") or ""}
        with contextlib.suppress(ValueError):  # a URL urllib cannot split ("[bad")
            found.add(urlsplit(self.url).password or "")
        return sorted(found - {""}, key=len, reverse=True)

    def said(self, error: BaseException) -> str:
        """The first line of an error, without the password (psycopg quotes a connection
        string it cannot parse), and without the connection's preamble."""
        text = str(error).strip().splitlines()[0] if str(error).strip() else type(
            error).__name__
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text.rpartition(" failed: ")[2] or text

    @contextlib.contextmanager
    def connected(self) -> Iterator[psycopg.Connection]:
        """One connection, one transaction: committed when the block ends, rolled back
        when it raises."""
        with psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S) as connection:
            if self.url not in migrated:
                migrate(connection)
                migrated.add(self.url)
            with connection.transaction():
                yield connection

    def save(self, kind: str, key: str, value: dict) -> str | None:
        signed = KINDS[kind].signed
        by = value.get("by") if signed else None
        kept = {k: v for k, v in value.items() if k not in SIGNATURE} if signed else value
        self.write("INSERT INTO entries (kind, key, value, made_by, made_at) "
                   "VALUES (%s, %s, %s, %s, now()) ON CONFLICT (kind, key) DO UPDATE SET "
                   "value = EXCLUDED.value, made_by = EXCLUDED.made_by, "
                   "made_at = EXCLUDED.made_at", (kind, key, Jsonb(kept), by))
        return None

    def remove(self, kind: str, key: str) -> bool:
        return bool(self.write("DELETE FROM entries WHERE kind = %s AND key = %s",
                               (kind, key)))

    def write(self, sql: str, params: tuple) -> int:
        """One write in a transaction of its own; the counter moves when it changed a row
        (an upsert always does). The rows it changed."""
        try:
            with self.connected() as connection:
                changed = connection.execute(sql, params).rowcount
                if changed:
                    bump(connection)
        except (psycopg.Error, NewerSchema) as error:
            raise self.not_saved(error) from None  # the cause's text may hold the password
        return changed

    def knows(self, digest: str) -> bool:
        """Whether this file was learned from; unreachable: False, and learning it says
        the store is down."""
        try:
            with self.connected() as connection:
                return connection.execute(
                    "SELECT 1 FROM entries WHERE kind = %s AND key = %s",
                    (LEARNED_KIND, digest)).fetchone() is not None
        except (psycopg.Error, NewerSchema):
            return False

    def learn(self, digest: str, value: dict) -> bool:
        """One entry per file learned from, written once: a second server learning the
        same file at once keeps the first's."""
        return bool(self.write(
            "INSERT INTO entries (kind, key, value, made_at) VALUES (%s, %s, %s, now()) "
            "ON CONFLICT (kind, key) DO NOTHING", (LEARNED_KIND, digest, Jsonb(value))))

    def not_saved(self, error: Exception) -> SaveError:
        if isinstance(error, NewerSchema):
            problem = str(error)
        elif isinstance(error, psycopg.OperationalError):
            problem = f"is unreachable ({self.said(error)})"
        else:
            problem = f"refused it ({self.said(error)})"
        return SaveError(f"not saved: the shared store at {self.where} {problem}; what was "
                         "saved before is unchanged, and saving works again once it is back.")

    def read(self) -> Saved:
        try:
            with self.connected() as connection:
                # The counter first: a save landing between the two queries leaves a newer
                # read under an older counter, read again next time, never the reverse.
                (counter,) = connection.execute(
                    "SELECT counter FROM saved_version").fetchone()
                last = last_reads.get(self.url)
                if last is not None and last.counter == counter:
                    return last.saved
                rows = connection.execute(
                    "SELECT kind, key, value, made_by, made_at FROM entries").fetchall()
        except (psycopg.Error, NewerSchema) as error:
            return self.stale(error)
        saved = self.saved_from(rows)
        last_reads[self.url] = LastRead(counter, saved, time.time())
        return saved

    def saved_from(self, rows: list[tuple]) -> Saved:
        found: dict[str, dict] = {kind: {} for kind in KINDS}
        learned: dict[str, dict] = {}
        unusable = 0
        for kind, key, value, by, at in rows:
            if kind == LEARNED_KIND:
                if is_learned_file(value) and value["sha256"] == key:
                    learned[key] = value
                else:
                    unusable += 1
                continue
            if kind not in KINDS:  # saved by a newer dashboard that knows more kinds
                continue
            if KINDS[kind].signed and isinstance(value, dict) and by is not None:
                value = {**value, "by": by, "at": at.isoformat(timespec="seconds")}
            if KINDS[kind].valid({key: value}):
                found[kind][key] = value
            else:
                unusable += 1
        # Learned files in the order of their SHA-256, as the files' folder lists them.
        places = learned_from([learned[key] for key in sorted(learned)])
        notices = {}
        if unusable:
            notices[NOTICE] = (f"{unusable} entries in the shared store at {self.where} are "
                               "not laid out as this dashboard saves them and are not used.")
            log.warning("%s", notices[NOTICE])
        return Saved(**{**found, "fixes": refiled(found["fixes"])}, learned=places,
                     notices=notices, read_well=frozenset() if unusable else frozenset({NOTICE}))

    def stale(self, error: Exception) -> Saved:
        """The last good read, with a notice that the store could not be read."""
        last = last_reads.get(self.url)
        reason = str(error) if isinstance(error, NewerSchema) else self.said(error)
        when = time.strftime("%H:%M:%S", time.localtime(last.at)) if last else ""
        kept = (f"the fixes and mappings read at {when} are used" if last
                else "no saved fixes or mappings are used")
        notice = (f"The shared store at {self.where} could not be read ({reason}); {kept} "
                  "until it is back.")
        # Told to the reader, who tells the user; logged for whoever keeps the server's log.
        log.info("%s", notice)
        saved = last.saved if last else NOTHING_SAVED
        return dataclasses.replace(saved, notices={**saved.notices, NOTICE: notice},
                                   read_well=saved.read_well - {NOTICE})

    def answer(self, query: str) -> tuple | None:
        """A cached online answer's (latitude, longitude, fetched_at); None when there is
        none or the store cannot be read (the name is asked again)."""
        try:
            with self.connected() as connection:
                return connection.execute(
                    "SELECT latitude, longitude, fetched_at FROM online_answers "
                    "WHERE query = %s", (query,)).fetchone()
        except (psycopg.Error, NewerSchema) as error:
            log.warning("online answer cache at %s not read: %s", self.where,
                        self.said(error))
            return None

    def keep_answer(self, query: str, answer: Answer, at: float) -> None:
        try:
            with self.connected() as connection:
                connection.execute(
                    "INSERT INTO online_answers VALUES (%s, %s, %s, %s) ON CONFLICT (query) "
                    "DO UPDATE SET latitude = EXCLUDED.latitude, "
                    "longitude = EXCLUDED.longitude, fetched_at = EXCLUDED.fetched_at",
                    (query, answer.latitude, answer.longitude, at))
        except (psycopg.Error, NewerSchema) as error:
            log.warning("online answer not cached at %s: %s", self.where, self.said(error))

    def answer_cache(self) -> SharedAnswers:
        return SharedAnswers(self)


@dataclasses.dataclass(frozen=True)
class SharedAnswers:
    """The online layer's answers in the team's store: a name one server asked is not
    asked again by another. A store it cannot reach is a miss, never an error."""

    database: Database
    clock: Callable[[], float] = time.time

    def get(self, query: str) -> Answer | None:
        return kept_answer(self.database.answer(query), self.clock())

    def put(self, query: str, answer: Answer) -> None:
        self.database.keep_answer(query, answer, self.clock())


def bump(connection: psycopg.Connection) -> None:
    """Move the counter readers compare, in the transaction of the change it announces."""
    connection.execute("UPDATE saved_version SET counter = counter + 1")


def migrate(connection: psycopg.Connection, to: int = SCHEMA_VERSION) -> None:
    """Bring the schema to version ``to``, in one transaction; raises NewerSchema when it
    is past what this dashboard knows."""
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        connection.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer "
                           "PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
        (current,) = connection.execute(
            "SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
        if current > SCHEMA_VERSION:
            raise NewerSchema(f"has schema version {current}, newer than this dashboard's "
                              f"{SCHEMA_VERSION}: upgrade the dashboard")
        for version in range(current + 1, to + 1):
            connection.execute(MIGRATIONS[version - 1])
            connection.execute("INSERT INTO schema_version (version) VALUES (%s)",
                               (version,))
            log.info("shared store schema migrated to version %d", version)

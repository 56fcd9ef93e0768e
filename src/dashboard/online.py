"""The optional online layer: OpenStreetMap's Nominatim through geopy, polite and cached.

Off unless the user turns it on: it sends place names off the machine. Nominatim's
usage policy allows one request a second from a whole application, so every client in
this process shares one limiter; a 429 pushes the next request back by its Retry-After.
Answers, "not found" included, are kept in a SQLite file so a name is asked once; "not
found" expires (places get added), a found point does not. A timeout, a server error or
an answer that is not Nominatim's is a `Failure`, never "not found", and is not cached.
"""

from __future__ import annotations

import enum
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from geopy.adapters import AdapterHTTPError, URLLibAdapter
from geopy.exc import (
    GeocoderAuthenticationFailure,
    GeocoderInsufficientPrivileges,
    GeocoderParseError,
    GeocoderQueryError,
    GeocoderQuotaExceeded,
    GeocoderRateLimited,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.geocoders import Nominatim

from dashboard import store
from dashboard.gazetteer import normalize_name

log = logging.getLogger(__name__)
DEFAULT_DOMAIN = "nominatim.openstreetmap.org"
DEFAULT_USER_AGENT = "incident-dashboard/0.1 (offline-first conflict incident map)"
ATTRIBUTION = "Place search: © OpenStreetMap contributors, via Nominatim (ODbL)"
# Nominatim allows one request a second; a small margin keeps network jitter from
# bringing two requests closer than that at the server.
MIN_INTERVAL_S = 1.05
NOT_FOUND_TTL_S = 30 * 24 * 3600
DEFAULT_RETRY_AFTER_S = 60.0
MAX_RETRY_AFTER_S = 120.0
# The server and user agent may also come from the environment (a deployment setting).
URL_ENV = "DASHBOARD_NOMINATIM_URL"
USER_AGENT_ENV = "DASHBOARD_USER_AGENT"


class Failure(enum.StrEnum):
    """Why the service gave no answer (which is not "not found": the place may exist)."""

    RATE_LIMITED = "rate limited by the server"
    TIMED_OUT = "timed out"
    UNREACHABLE = "server unreachable"
    REFUSED = "request refused by the server"  # 4xx: the query, a key, a quota
    SERVER_ERROR = "server error"
    BAD_ANSWER = "answer not understood"  # not JSON, or not Nominatim's JSON


@dataclass(frozen=True)
class Answer:
    latitude: float | None = None
    longitude: float | None = None
    error: Failure | None = None  # set when the service could not answer; nothing is cached

    @property
    def found(self) -> bool:
        return self.latitude is not None

    @property
    def message(self) -> str | None:
        """The failure as the user reads it (a row's flag); None when there was none."""
        return None if self.error is None else f"online lookup failed: {self.error}"


class RateLimiter:
    """At most one request per interval across every thread of this process."""

    def __init__(self, interval_s: float = MIN_INTERVAL_S, clock=time.monotonic,
                 sleep=time.sleep):
        self.interval_s = interval_s
        self.clock, self.sleep = clock, sleep
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self) -> None:
        with self._lock:
            delay = self._next - self.clock()
            if delay > 0:
                self.sleep(delay)
            self._next = self.clock() + self.interval_s

    def back_off(self, seconds: float) -> None:
        with self._lock:
            self._next = max(self._next, self.clock() + seconds)


SHARED_LIMITER = RateLimiter()


class AnswerCache:
    """Answers by normalised query, in SQLite (safe for several sessions at once)."""

    SCHEMA = ("CREATE TABLE IF NOT EXISTS answers (query TEXT PRIMARY KEY, latitude REAL, "
              "longitude REAL, fetched_at REAL NOT NULL)")

    def __init__(self, path: Path, clock=time.time):
        self.path, self.clock = path, clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._execute(self.SCHEMA)

    def _execute(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        try:
            return self._run(sql, parameters)
        except sqlite3.DatabaseError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise  # another session holds it: the file is fine, the moment is not
            # A truncated or foreign file: it is only a cache, so keep it aside (with its
            # journal) for inspection and start a new one rather than fail the load.
            suffix = f".corrupt-{int(self.clock())}-{os.getpid()}"
            log.warning("online answer cache %s unreadable (%s); set aside as *%s and "
                        "started afresh", self.path, error, suffix)
            for part in (self.path, *(self.path.with_name(self.path.name + end)
                                      for end in ("-wal", "-shm"))):
                try:
                    part.rename(part.with_name(part.name + suffix))
                except FileNotFoundError:  # no journal, or another session was first
                    log.debug("nothing to set aside at %s", part)
            self._run(self.SCHEMA)
            return self._run(sql, parameters)

    def _run(self, sql: str, parameters: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.path, timeout=30) as connection:
            connection.execute("PRAGMA journal_mode=WAL")
            return connection.execute(sql, parameters).fetchall()

    def get(self, query: str) -> Answer | None:
        rows = self._execute("SELECT latitude, longitude, fetched_at FROM answers "
                             "WHERE query = ?", (query,))
        return kept_answer(rows[0] if rows else None, self.clock())

    def put(self, query: str, answer: Answer) -> None:
        self._execute("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                      (query, answer.latitude, answer.longitude, self.clock()))


def kept_answer(row: tuple | None, now: float) -> Answer | None:
    """A cached (latitude, longitude, fetched_at) as an answer; None when there is none
    or it is a "not found" old enough to ask again."""
    if row is None:
        return None
    latitude, longitude, fetched_at = row
    if latitude is None and now - fetched_at > NOT_FOUND_TTL_S:
        return None
    return Answer(latitude, longitude)


class OnlineGeocoder:
    """Nominatim behind the shared limiter and a persistent cache."""

    def __init__(self, cache: Path | store.AnswerCache, domain: str = DEFAULT_DOMAIN,
                 scheme: str = "https", user_agent: str = DEFAULT_USER_AGENT,
                 timeout_s: float = 10.0, limiter: RateLimiter = SHARED_LIMITER):
        # urllib, not requests: requests retries a timed-out request by itself, and that
        # second request would bypass the rate limiter.
        self.service = Nominatim(domain=domain, scheme=scheme, user_agent=user_agent,
                                 timeout=timeout_s, adapter_factory=URLLibAdapter)
        # A path: the SQLite file there; else the store's own (`store.Backend`).
        self.cache = AnswerCache(cache) if isinstance(cache, Path) else cache
        self.limiter = limiter
        self.requests = 0  # sent to the service, for the UI's count and the tests

    def lookup(self, place: str, country_code: str | None = None) -> Answer:
        # The server is part of the question: another server may answer differently.
        query = f"{self.service.domain}|{normalize_name(place)}|{(country_code or '').lower()}"
        # A cache held by another session past the timeout is skipped, not an error.
        try:
            cached = self.cache.get(query)
        except sqlite3.OperationalError as error:
            log.warning("online answer cache not read for %r: %s", place, error)
            cached = None
        if cached is not None:
            return cached
        answer = self._ask(place, country_code, retry_on_429=True)
        if answer.error is None:
            try:
                self.cache.put(query, answer)
            except sqlite3.OperationalError as error:
                log.warning("online answer for %r not cached: %s", place, error)
        return answer

    def _ask(self, place: str, country_code: str | None, retry_on_429: bool) -> Answer:
        self.limiter.wait()
        self.requests += 1
        try:
            location = self.service.geocode(
                place, exactly_one=True,
                country_codes=country_code.lower() if country_code else None)
            if location is None:
                return Answer()
            return Answer(round(location.latitude, 5), round(location.longitude, 5))
        except GeocoderRateLimited as error:
            wait = error.retry_after or DEFAULT_RETRY_AFTER_S
            # Every session waits behind the limiter: a long Retry-After is an error now,
            # not an hour-long stall for everyone.
            self.limiter.back_off(min(wait, MAX_RETRY_AFTER_S))
            if retry_on_429 and wait <= MAX_RETRY_AFTER_S:
                return self._ask(place, country_code, retry_on_429=False)
            return self._failed(place, Failure.RATE_LIMITED, error)
        except GeopyError as error:  # timeouts, 4xx and 5xx, unreachable, not JSON
            return self._failed(place, failure(error), error)
        # JSON that is not Nominatim's ([1], a text latitude) breaks geopy's parser.
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
            return self._failed(place, Failure.BAD_ANSWER, error)

    def _failed(self, place: str, failure: Failure, error: Exception) -> Answer:
        log.warning("online lookup of %r at %s failed: %s (%s: %s)", place,
                    self.service.domain, failure, type(error).__name__, error)
        return Answer(error=failure)


def failure(error: GeopyError) -> Failure:
    """What a geopy error means for the user (its subclasses first: a parse error is a
    service error too)."""
    for kind, meaning in ((GeocoderTimedOut, Failure.TIMED_OUT),
                          (GeocoderUnavailable, Failure.UNREACHABLE),
                          (GeocoderParseError, Failure.BAD_ANSWER),
                          (GeocoderRateLimited, Failure.RATE_LIMITED),
                          (GeocoderQueryError, Failure.REFUSED),
                          (GeocoderQuotaExceeded, Failure.REFUSED),
                          (GeocoderAuthenticationFailure, Failure.REFUSED),
                          (GeocoderInsufficientPrivileges, Failure.REFUSED)):
        if isinstance(error, kind):
            return meaning
    # geopy says "service error" for a refused connection or a failed name lookup too; the
    # socket's error it came from tells them apart from an HTTP status.
    cause = error.__context__
    if isinstance(cause, OSError) and not isinstance(cause, AdapterHTTPError):
        return Failure.UNREACHABLE
    return Failure.SERVER_ERROR


def configured(url: str | None = None, user_agent: str | None = None) -> OnlineGeocoder:
    """A client for ``url`` (else $DASHBOARD_NOMINATIM_URL, else the public server),
    caching where the saved choices are (the user's folder, or the team's database)."""
    url = url or os.environ.get(URL_ENV) or f"https://{DEFAULT_DOMAIN}"
    parts = urlsplit(url if "://" in url else f"https://{url}")
    domain = parts.netloc + parts.path.rstrip("/")  # a self-hosted server may sit on a path
    return OnlineGeocoder(store.backend().answer_cache(), domain=domain,
                          scheme=parts.scheme,
                          user_agent=user_agent or os.environ.get(USER_AGENT_ENV)
                          or DEFAULT_USER_AGENT)

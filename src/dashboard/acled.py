"""ACLED's API: the user's own myACLED account, every page of a country's events, and the
changes since a pull (events revised or added after a timestamp, events deleted).

The API as documented by ACLED (2025; see the pages named in docs or the report of the
change that added this module): an OAuth password grant at ``POST {base}/oauth/token``
(``client_id=acled``; the access token lasts a day, the refresh token two weeks), then
``GET {base}/api/acled/read?_format=json`` and ``GET {base}/api/deleted/read?_format=json``
with the filters, ``limit`` and ``page`` and ``Authorization: Bearer``. A filter's operator
is its ``{name}_where`` parameter (``BETWEEN`` takes ``low|high``). Every value in ACLED's
JSON is text; we keep it as text.

Secrets: the password and the tokens travel only in the token form (a POST body) and the
Authorization header. `remote` never shows a form, a header or a query; no message, log
record or repr here holds them either.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from datetime import date

from dashboard import remote

ACLED_URL_ENV = "DASHBOARD_ACLED_URL"  # overrides the base (tests, mirrors)
DEFAULT_BASE = "https://acleddata.com"
TOKEN_PATH = "/oauth/token"  # noqa: S105 (a path, not a secret)
EVENTS_PATH = "/api/acled/read"
DELETED_PATH = "/api/deleted/read"
CLIENT_ID = "acled"
USERNAME_ENV = "ACLED_USERNAME"
PASSWORD_ENV = "ACLED_PASSWORD"  # noqa: S105 (the name of a variable, not a password)
ID_COLUMN = "event_id_cnty"
TIMESTAMP_COLUMN = "timestamp"
DELETED_TIMESTAMP_COLUMN = "deleted_timestamp"
# ACLED's Terms of Use and Attribution Policy: the data acknowledged clearly and
# prominently, with a link to ACLED's website; raw data not passed on to others.
ATTRIBUTION = (
    "Data: Armed Conflict Location & Event Data (ACLED), https://acleddata.com, used under "
    "ACLED's Terms of Use and Attribution Policy (no redistribution of the raw data).")
TOKEN_REFUSED = (
    "ACLED refused the access token after a refresh; check your account's API access"  # noqa: S105
)

PATIENCE = remote.Patience()


class AuthError(remote.PullError):
    """ACLED would not let this account in: one line, never a password or a token."""


@dataclass(frozen=True)
class Credentials:
    """A myACLED account. The password is never in repr or str (nor in any message)."""

    username: str
    password: str = field(repr=False)

    @classmethod
    def from_environment(cls) -> Credentials | None:
        username = os.environ.get(USERNAME_ENV, "").strip()
        password = os.environ.get(PASSWORD_ENV, "")
        if not username or not password:
            return None
        return cls(username, password)


@dataclass(frozen=True)
class Tokens:
    access: str = field(repr=False)
    refresh: str = field(repr=False)


def base_url(base: str | None = None) -> str:
    """The base given, else the environment's, else ACLED's own; without a final slash."""
    chosen = base or os.environ.get(ACLED_URL_ENV, "").strip() or DEFAULT_BASE
    return chosen.rstrip("/")


def as_text(value: object) -> str:
    """A value as ACLED's JSON gave it: text stays as it is; a missing one is empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def one_line(value: object, limit: int = 160) -> str:
    text = " ".join(as_text(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def date_filter(start: date | None, end: date | None) -> dict[str, str]:
    """ACLED's event_date filter: BETWEEN "start|end", or one bound."""
    if start and end:
        if start > end:
            raise ValueError(f"start {start} is after end {end}")
        return {"event_date": f"{start.isoformat()}|{end.isoformat()}",
                "event_date_where": "BETWEEN"}
    if start:
        return {"event_date": start.isoformat(), "event_date_where": ">="}
    if end:
        return {"event_date": end.isoformat(), "event_date_where": "<="}
    return {}


def newer(held: dict[str, str] | None, row: dict[str, str], stamp: str) -> dict[str, str]:
    """Of two copies of one record, the one with the later timestamp (the new on a tie)."""
    if held is None:
        return row
    try:
        return held if int(held.get(stamp, "0")) > int(row.get(stamp, "0")) else row
    except ValueError:
        return row


class Client:
    """One myACLED account asking one ACLED server; tokens are kept for the client's life."""

    def __init__(self, credentials: Credentials, base: str | None = None, *,
                 page_size: int = 5000, patience: remote.Patience = PATIENCE,
                 sleep: remote.Sleep = time.sleep) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.credentials = credentials
        self.base = base_url(base)
        self.page_size = page_size
        self.patience = patience
        self.sleep = sleep
        self.asked: list[tuple[str, dict]] = []
        self.grants: list[str] = []  # grant types used, in order ("password", "refresh_token")
        self.pages_read = 0
        self._tokens: Tokens | None = None

    def __repr__(self) -> str:
        return f"Client(username={self.credentials.username!r}, base={self.base!r})"

    # -- what callers ask for

    def events(self, countries: list[str], start: date | None = None, end: date | None = None,
               since: int | None = None, progress: remote.Progress | None = None
               ) -> list[dict[str, str]]:
        """Every event of `countries` (one query each; see the README), every page until a
        short one; with `since`, only events stamped at or after it (revised or added
        since; at, not only after: an event stamped in the same second as the newest one
        held, but published after it was pulled, must not be missed). One row per
        event_id_cnty, values as ACLED's text."""
        if not countries:
            raise ValueError("name at least one country")
        filters = date_filter(start, end)
        if since is not None:
            filters |= {"timestamp": str(int(since)), "timestamp_where": ">="}
        rows: dict[str, dict[str, str]] = {}
        for country in dict.fromkeys(countries):
            self._read_all(EVENTS_PATH, {"country": country, **filters}, rows,
                           TIMESTAMP_COLUMN, progress)
        return list(rows.values())

    def deleted(self, since: int | None, progress: remote.Progress | None = None
                ) -> list[dict[str, str]]:
        """Deletions (event_id_cnty, deleted_timestamp) at or after `since`; all when None."""
        filters = {}
        if since is not None:
            filters = {"deleted_timestamp": str(int(since)), "deleted_timestamp_where": ">="}
        rows: dict[str, dict[str, str]] = {}
        self._read_all(DELETED_PATH, filters, rows, DELETED_TIMESTAMP_COLUMN, progress)
        return list(rows.values())

    # -- paging

    def _read_all(self, path: str, filters: dict[str, str], rows: dict[str, dict[str, str]],
                  stamp: str, progress: remote.Progress | None) -> None:
        page = 1
        while True:
            batch = self._page(path, {**filters, "limit": str(self.page_size),
                                      "page": str(page)})
            fresh = self._keep(batch, rows, stamp)
            self.pages_read += 1
            if progress is not None:
                progress(self.pages_read, len(rows))
            if len(batch) < self.page_size:
                return
            if not fresh:  # a server that ignores `page` would be asked forever
                raise remote.PullError(f"{remote.where(self.base + path)}: page {page} held "
                                       "only events already read; paging not honoured")
            page += 1

    @staticmethod
    def _keep(batch: list[dict[str, str]], rows: dict[str, dict[str, str]], stamp: str) -> int:
        fresh = 0
        for row in batch:
            ident = row[ID_COLUMN]
            fresh += ident not in rows
            rows[ident] = newer(rows.get(ident), row, stamp)
        return fresh

    def _page(self, path: str, params: dict[str, str]) -> list[dict[str, str]]:
        self.asked.append((path, dict(params)))
        document = self._data(path, {"_format": "json", **params})
        return records(document, remote.where(self.base + path))

    # -- tokens

    def _data(self, path: str, params: dict[str, str]) -> object:
        """A data request's JSON, renewing the token once when ACLED answers 401."""
        if self._tokens is None:
            self._tokens = self._password_grant()
        answer = self._get(path, params)
        if answer.status == 401:
            self._tokens = self._renewed()
            answer = self._get(path, params)
            if answer.status == 401:
                raise AuthError(TOKEN_REFUSED)
        if answer.status == 403:
            raise AuthError(f"ACLED refused {self.credentials.username} access to {path} "
                            "(403); check that the account has API access and accepted "
                            "ACLED's terms")
        if answer.status != 200:
            raise remote.PullError(f"{remote.where(self.base + path)}: answered "
                                   f"{answer.status}{reason(answer.document)}")
        return answer.document

    def _get(self, path: str, params: dict[str, str]) -> remote.Answer:
        assert self._tokens is not None
        return remote.request_json(
            self.base + path, params=params,
            headers={"Authorization": f"Bearer {self._tokens.access}"},
            patience=self.patience, sleep=self.sleep)

    def _renewed(self) -> Tokens:
        """A fresh token: the refresh grant, or the password grant when it is refused."""
        assert self._tokens is not None
        if self._tokens.refresh:
            tokens = self._grant({"grant_type": "refresh_token",
                                  "refresh_token": self._tokens.refresh})
            if tokens is not None:
                return tokens
        return self._password_grant()

    def _password_grant(self) -> Tokens:
        tokens = self._grant({"grant_type": "password",
                              "username": self.credentials.username,
                              "password": self.credentials.password})
        if tokens is None:
            raise AuthError(f"ACLED refused the username or password for "
                            f"{self.credentials.username}")
        return tokens

    def _grant(self, form: dict[str, str]) -> Tokens | None:
        """Tokens from the token endpoint; None when it refuses the grant (400 or 401)."""
        self.grants.append(form["grant_type"])
        url = self.base + TOKEN_PATH
        answer = remote.request_json(url, form={**form, "client_id": CLIENT_ID},
                                     patience=self.patience, sleep=self.sleep)
        if answer.status in (400, 401):
            return None
        document = answer.document
        access = document.get("access_token") if isinstance(document, dict) else None
        if answer.status != 200 or not isinstance(access, str) or not access:
            raise remote.PullError(f"{remote.where(url)}: answered {answer.status} without "
                                   "an access token")
        refresh = document.get("refresh_token")
        return Tokens(access, refresh if isinstance(refresh, str) else "")


def reason(document: object) -> str:
    """The few words an ACLED error answer gives, if any (never the query: ACLED's answers
    do not echo the token, and the query holds none)."""
    if not isinstance(document, dict):
        return ""
    for key in ("message", "error_description", "error", "messages"):
        if document.get(key):
            return f": {one_line(document[key])}"
    return ""


def records(document: object, where: str) -> list[dict[str, str]]:
    """The `data` list of ACLED's JSON answer, each record's values as text."""
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise remote.PullError(f"{where}: an answer without ACLED's data list")
    if document.get("success") is False:
        raise remote.PullError(f"{where}: ACLED reports no success{reason(document)}")
    rows = []
    for record in document["data"]:
        if not isinstance(record, dict) or not as_text(record.get(ID_COLUMN)):
            raise remote.PullError(f"{where}: a record without {ID_COLUMN}")
        rows.append({str(key): as_text(value) for key, value in record.items()})
    return rows

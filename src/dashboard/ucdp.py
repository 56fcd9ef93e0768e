"""UCDP's GED events API: the yearly releases and the monthly candidate events, page by page.

`GET {base}/api/gedevents/{version}` with `pagesize` (at most 1000), `page` (from 0),
`Country` (Gleditsch-Ward numbers, comma-separated), `StartDate` and `EndDate`
(YYYY-MM-DD); the access token in the `x-ucdp-access-token` header. An answer is
`{"TotalCount", "TotalPages", "PreviousPageUrl", "NextPageUrl", "Result": [events]}`,
NextPageUrl empty on the last page (UCDP's API documentation, ucdp.uu.se/apidocs, and
its Swagger description of `GedDb`).

Events come back as text in the spelling a GED CSV uses, so a pulled copy loads exactly as
the CSV of the same events does: the API's JSON numbers as their digits, `active_year`
(a JSON boolean) as 1 or 0, null as an empty cell, and `date_start`/`date_end` (a .NET
date-time, "2010-05-13T00:00:00") as the date the CSV writes.
"""

from __future__ import annotations

import csv
import difflib
import math
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache

from dashboard import remote
from dashboard.gazetteer import DATA_DIR, normalize_name

UCDP_URL_ENV = "DASHBOARD_UCDP_URL"
DEFAULT_BASE = "https://ucdpapi.pcr.uu.se"
# Names of where the token goes, not the token.
TOKEN_ENV = "UCDP_ACCESS_TOKEN"  # noqa: S105
TOKEN_HEADER = "x-ucdp-access-token"  # noqa: S105
ID_COLUMN = "id"
MAX_PAGE_SIZE = 1000  # the API's documented ceiling
ATTRIBUTION = (
    "UCDP Georeferenced Event Dataset (GED) and Candidate Events, Uppsala Conflict Data "
    "Program, CC BY 4.0. Cite Sundberg & Melander (2013), Introducing the UCDP Georeferenced "
    "Event Dataset, Journal of Peace Research 50(4); candidate events: Hegre, Croicu, Eck & "
    "Högbladh (2020), Introducing the UCDP Candidate Events Dataset, Research & Politics 7(3).")
GLEDITSCH_WARD = DATA_DIR / "gleditsch_ward.csv"
# How far back "latest" looks: yearly releases (YY.1) and monthly candidates (YY.0.M).
YEARS_BACK = 5
MONTHS_BACK = 13
VERSION_PATTERN = re.compile(r"\d{1,2}(?:\.\d{1,2}){1,3}")
MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})T00:00:00(?:\.0+)?Z?")
# Statuses that say "no such release" when probing for the latest (not a refusal).
NOT_THERE = {400, 404, 410}
PATIENCE = remote.Patience()


@cache
def gleditsch_ward() -> dict[str, tuple[str, int]]:
    """Folded name -> (the name as the table writes it, its Gleditsch-Ward number)."""
    with open(GLEDITSCH_WARD, encoding="utf-8", newline="") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        return {normalize_name(row["name"]): (row["name"], int(row["gwno"])) for row in rows}


def country_codes(names: list[str]) -> list[int]:
    """The Gleditsch-Ward numbers of countries named as people write them ("DR Congo",
    "Congo, DRC", "Côte d'Ivoire"), or as the numbers themselves; each once, in order."""
    table = gleditsch_ward()
    numbers = {number for _, number in table.values()}
    codes: list[int] = []
    for name in names:
        text = str(name).strip()
        found = table.get(normalize_name(text))
        code = found[1] if found else int(text) if text.isdigit() else None
        if code is None or code not in numbers:
            raise remote.PullError(f"UCDP: no country called {text!r}{close_names(text)}")
        if code not in codes:
            codes.append(code)
    return codes


def close_names(text: str) -> str:
    table = gleditsch_ward()
    close = difflib.get_close_matches(normalize_name(text), list(table), n=3, cutoff=0.6)
    if not close:
        return " (data/gleditsch_ward.csv lists the names known)"
    return " (did you mean " + " or ".join(repr(table[key][0]) for key in close) + "?)"


def as_text(value: object) -> str:
    """One JSON value as the GED CSV writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):  # before int: a bool is an int
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, str):
        midnight = MIDNIGHT.fullmatch(value)
        return midnight.group(1) if midnight else value
    raise TypeError(type(value).__name__)


class Client:
    """Pulls GED events for some countries and dates. `asked` records every request
    (path and query, never the token)."""

    def __init__(self, token: str | None, base: str | None = None, *, page_size: int = 1000,
                 patience: remote.Patience = PATIENCE, sleep=time.sleep,
                 today: Callable[[], date] = date.today):
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1 to {MAX_PAGE_SIZE}")
        self.base = (base or os.environ.get(UCDP_URL_ENV) or DEFAULT_BASE).rstrip("/")
        self.page_size = page_size
        self.patience = patience
        self.sleep = sleep
        self.today = today
        self.asked: list[tuple[str, dict]] = []
        token = token or os.environ.get(TOKEN_ENV) or ""
        self._headers = {TOKEN_HEADER: token} if token else {}

    def __repr__(self) -> str:
        given = "given" if self._headers else "none"
        return f"ucdp.Client(base={self.base!r}, page_size={self.page_size}, token={given})"

    def latest_version(self, candidate: bool = False) -> str:
        """The newest release that answers with events. UCDP lists no versions, so the
        names its releases take are tried from this year (yearly, YY.1) or this month
        (candidate, YY.0.M) back."""
        tried = candidate_versions(self.today()) if candidate else yearly_versions(self.today())
        for version in tried:
            if self.has_events(version):
                return version
        kind = "candidate" if candidate else "yearly"
        raise remote.PullError(f"UCDP: no {kind} release answered with events "
                               f"({tried[0]} back to {tried[-1]})")

    def has_events(self, version: str) -> bool:
        answer = self.get(version, {"pagesize": 1, "page": 0})
        if answer.status in NOT_THERE:
            return False
        return read_page(answer, version, 0).total > 0

    def events(self, version: str, countries: list[str], start: date | None = None,
               end: date | None = None, progress: remote.Progress | None = None
               ) -> list[dict[str, str]]:
        """Every event of ``version`` in ``countries`` between ``start`` and ``end``, as
        GED CSV text, reading pages until the answer says the last one was sent."""
        query = {"pagesize": self.page_size, **filters(country_codes(countries), start, end)}
        rows: list[dict[str, str]] = []
        page, pages, total = 0, 1, 0
        while page < pages:
            read = self.page(version, {**query, "page": page})
            if page == 0:  # the first answer bounds the pull: a later one cannot grow it
                limit, total = read.pages, read.total
            rows.extend(read.rows)
            pages = min(read.pages, limit) if read.more else page + 1
            page += 1
            if progress:
                progress(page, len(rows))
        return checked(uniform(rows), total, version)

    def page(self, version: str, params: dict) -> Page:
        answer = self.get(version, params)
        if answer.status != 200:
            raise remote.PullError(f"UCDP answered {answer.status} for version {version} "
                                   f"(page {params['page']})")
        return read_page(answer, version, params["page"])

    def get(self, version: str, params: dict) -> remote.Answer:
        if not VERSION_PATTERN.fullmatch(version):
            raise remote.PullError(f"UCDP: {version!r} is not a release name (like 25.1, "
                                   "or 25.0.9 for candidate events)")
        path = f"/api/gedevents/{version}"
        self.asked.append((path, dict(params)))
        answer = remote.request_json(self.base + path, params=params, headers=self._headers,
                                     patience=self.patience, sleep=self.sleep)
        if answer.status in (401, 403):
            given = "" if self._headers else " (none was given)"
            raise remote.PullError(
                f"UCDP refused the access token{given}; set {TOKEN_ENV} to a token from the "
                "UCDP API maintainer (ucdp.uu.se/apidocs)")
        return answer


def yearly_versions(today: date) -> list[str]:
    year = today.year % 100
    return [f"{year - back}.1" for back in range(YEARS_BACK + 1)]


def candidate_versions(today: date) -> list[str]:
    versions = []
    year, month = today.year % 100, today.month
    for _ in range(MONTHS_BACK):
        versions.append(f"{year}.0.{month}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return versions


def filters(codes: list[int], start: date | None, end: date | None) -> dict[str, str]:
    query = {"Country": ",".join(map(str, codes))} if codes else {}
    if start:
        query["StartDate"] = start.isoformat()
    if end:
        query["EndDate"] = end.isoformat()
    return query


@dataclass(frozen=True)
class Page:
    """One answer, read: its events as text, the totals it states, whether more follow."""

    rows: list[dict[str, str]]
    total: int
    pages: int
    more: bool


def read_page(answer: remote.Answer, version: str, page: int) -> Page:
    """The documented answer, or a one-line PullError saying what is not as documented."""
    document = answer.document
    problem = shape_problem(document)
    if problem:
        raise remote.PullError(f"UCDP's answer for version {version} (page {page}) is not "
                               f"what its API documents: {problem}")
    try:
        rows = [{key: as_text(value) for key, value in event.items()}
                for event in document["Result"]]
    except TypeError as error:
        raise remote.PullError(f"UCDP's answer for version {version} (page {page}) holds "
                               f"a {error} where an event has a value") from None
    more = bool(document.get("NextPageUrl")) and page + 1 < document["TotalPages"]
    return Page(rows, document["TotalCount"], document["TotalPages"], more)


def shape_problem(document: object) -> str:
    """What in an answer is not as UCDP documents it; empty when it is."""
    if not isinstance(document, dict):
        return "not a JSON object"
    if not isinstance(document.get("Result"), list):
        return "no Result list"
    if not all(isinstance(event, dict) for event in document["Result"]):
        return "an event that is not an object"
    for name in ("TotalCount", "TotalPages"):
        value = document.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            return f"no {name} count"
    if not isinstance(document.get("NextPageUrl", ""), (str, type(None))):
        return "a NextPageUrl that is not text"
    return ""


def uniform(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Every row with every column any row has (empty where it had none), in the order
    the columns first came."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return [{column: row.get(column, "") for column in columns} for row in rows]


def checked(rows: list[dict[str, str]], total: int, version: str) -> list[dict[str, str]]:
    """The rows, if each event came once and all the answer counted came."""
    ids = [row.get(ID_COLUMN, "") for row in rows]
    repeated = len(ids) - len(set(ids))
    if repeated:
        raise remote.PullError(f"UCDP sent {repeated} events of version {version} twice "
                               "across its pages; pull again")
    if len(rows) != total:
        raise remote.PullError(f"UCDP counted {total} events of version {version} but its "
                               f"pages held {len(rows)}; pull again")
    return rows

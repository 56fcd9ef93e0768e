"""A local stand-in for UCDP's API (ucdpapi.pcr.uu.se), written from its documentation
(ucdp.uu.se/apidocs, and the Swagger description of `GedDb`), not from our client.

`GET /api/gedevents/{version}?pagesize=&page=&Country=&StartDate=&EndDate=` with the token
in `x-ucdp-access-token`. Pages count from 0; pagesize is at most 1000. The answer is
`{"TotalCount", "TotalPages", "PreviousPageUrl", "NextPageUrl", "Result"}` with
NextPageUrl (a full URL with the next page number) empty on the last page and
PreviousPageUrl empty on the first. A version the server does not hold is a 404, a
missing or wrong token a 401 (`refusal` changes it). `Country` is a comma-separated list
of Gleditsch-Ward numbers matched against `country_id`; `StartDate` keeps events whose
date_start is on or after it, `EndDate` those whose date_end is on or before it (our
reading: the documentation names the filters, not the comparison).

Events are held as the API's JSON types (`api_event` turns a GED CSV row into one):
integers, doubles for the coordinates, a boolean `active_year`, date-times
"2010-05-13T00:00:00" for the dates, null for an empty gwnoa/gwnob.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

# GedDb as UCDP's Swagger describes it, in its order.
INTEGERS = ("id", "year", "type_of_violence", "conflict_new_id", "dyad_new_id",
            "side_a_new_id", "side_b_new_id", "number_of_sources", "where_prec",
            "priogrid_gid", "country_id", "event_clarity", "date_prec", "deaths_a",
            "deaths_b", "deaths_civilians", "deaths_unknown", "best", "high", "low")
DOUBLES = ("latitude", "longitude")
DATE_TIMES = ("date_start", "date_end")
NULLABLE_TEXT = ("gwnoa", "gwnob")
FIELDS = ("id", "relid", "year", "active_year", "code_status", "type_of_violence",
          "conflict_dset_id", "conflict_new_id", "conflict_name", "dyad_dset_id",
          "dyad_new_id", "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a",
          "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources", "source_article",
          "source_office", "source_date", "source_headline", "source_original", "where_prec",
          "where_coordinates", "where_description", "adm_1", "adm_2", "latitude", "longitude",
          "geom_wkt", "priogrid_gid", "country", "country_id", "region", "event_clarity",
          "date_prec", "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians",
          "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob")
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100


def api_event(row: dict[str, str]) -> dict:
    """A GED CSV row (text) as the API's JSON holds the same event: every GedDb field,
    typed; a field the CSV lacks is null, a CSV column the API lacks (iso3, an index) is
    not there."""
    event: dict[str, object] = {}
    for name in FIELDS:
        text = (row.get(name) or "").strip()
        if name in INTEGERS:
            event[name] = int(float(text)) if text else None
        elif name in DOUBLES:
            event[name] = float(text) if text else None
        elif name == "active_year":
            event[name] = bool(int(float(text))) if text else None
        elif name in DATE_TIMES:
            event[name] = f"{text[:10]}T00:00:00" if text else None
        elif name in NULLABLE_TEXT:
            event[name] = str(int(float(text))) if text else None
        else:
            event[name] = row.get(name)
    return event


@dataclass
class Ucdp:
    """What the server holds and does; tests change it between requests."""

    versions: dict[str, list[dict]] = field(default_factory=dict)
    token: str | None = "right-token"
    refusal: int = 401
    # Planned faults, used up one per request: "500", "429" (Retry-After 0), "drop"
    # (the connection closed without an answer), "cut" (a 200 whose body stops short),
    # or a whole JSON document to answer once instead of the real one.
    faults: list = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)  # path, query, token seen
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""


class Handler(BaseHTTPRequestHandler):
    ucdp: Ucdp  # set per server

    def do_GET(self):
        parts = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        token = self.headers.get("x-ucdp-access-token")
        with self.ucdp.lock:
            self.ucdp.requests.append({"path": parts.path, "query": query, "token": token})
            fault = self.ucdp.faults.pop(0) if self.ucdp.faults else None
        if fault is not None:
            return self.fault(fault)
        if self.ucdp.token is not None and token != self.ucdp.token:
            return self.reply(self.ucdp.refusal, {"Message": "Authorization has been denied"})
        prefix = "/api/gedevents/"
        version = parts.path[len(prefix):] if parts.path.startswith(prefix) else None
        if version not in self.ucdp.versions:
            return self.reply(404, {"Message": "No such resource or version"})
        return self.answer(version, query)

    def answer(self, version, query):
        try:
            size = int(query.get("pagesize", DEFAULT_PAGE_SIZE))
            page = int(query.get("page", 0))
        except ValueError:
            return self.reply(400, {"Message": "pagesize and page are numbers"})
        if not 1 <= size <= MAX_PAGE_SIZE or page < 0:
            return self.reply(400, {"Message": f"pagesize is 1 to {MAX_PAGE_SIZE}"})
        events = selected(self.ucdp.versions[version], query)
        pages = math.ceil(len(events) / size)
        link = f"{self.ucdp.url}/api/gedevents/{version}?"
        return self.reply(200, {
            "TotalCount": len(events), "TotalPages": pages,
            "PreviousPageUrl": link + urlencode({**query, "page": page - 1}) if page else "",
            "NextPageUrl": link + urlencode({**query, "page": page + 1})
            if page + 1 < pages else "",
            "Result": events[page * size:(page + 1) * size]})

    def fault(self, fault):
        if fault == "500":
            return self.reply(500, {"Message": "An error has occurred."})
        if fault == "429":
            return self.reply(429, {"Message": "Too many requests"}, {"Retry-After": "0"})
        if fault == "drop":
            self.close_connection = True
            return None
        if fault == "cut":
            body = b'{"TotalCount": 3, "Result": [{"id": 1'
            return self.reply(200, None, body=body, length=len(body) + 100)
        return self.reply(200, fault)

    def reply(self, status, payload, headers=None, body=None, length=None):
        data = json.dumps(payload).encode() if body is None else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(length or len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(data)
        if length:
            self.close_connection = True

    def log_message(self, *args):  # keep pytest's output clean
        pass


def selected(events: list[dict], query: dict[str, str]) -> list[dict]:
    """The events the documented filters keep, in the order held."""
    if query.get("Country"):
        wanted = {int(code) for code in query["Country"].split(",")}
        events = [event for event in events if event["country_id"] in wanted]
    if query.get("StartDate"):
        events = [event for event in events if event["date_start"][:10] >= query["StartDate"]]
    if query.get("EndDate"):
        events = [event for event in events if event["date_end"][:10] <= query["EndDate"]]
    return events


@contextlib.contextmanager
def serving(ucdp: Ucdp):
    """The server on 127.0.0.1 (a free port) in a thread; `ucdp.url` is its base."""
    handler = type("UcdpHandler", (Handler,), {"ucdp": ucdp})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    ucdp.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ucdp
    finally:
        server.shutdown()
        server.server_close()

"""A local ACLED API on 127.0.0.1, written from ACLED's API documentation (2025).

What it speaks, as the documentation describes it:
- ``POST /oauth/token``, a form: ``grant_type=password`` with ``username``, ``password``,
  ``client_id=acled``; or ``grant_type=refresh_token`` with ``refresh_token`` and
  ``client_id``. Answers ``access_token``, ``refresh_token``, ``token_type``,
  ``expires_in``; refused grants are 400 ``invalid_grant`` (OAuth 2, RFC 6749 5.2).
- ``GET /api/acled/read`` and ``GET /api/deleted/read`` with ``_format=json`` and
  ``Authorization: Bearer``; 401 without a valid token. Filters by column name, with the
  operator in ``{column}_where`` (``=``, ``>``, ``<``, ``>=``, ``<=``, ``LIKE``, and
  ``BETWEEN`` on ``low|high``); ``limit`` (default 5000, 0 for all) and ``page`` (from 1).
  Events come newest event_date first. The JSON: ``status``, ``success``, ``data`` (every
  value a string), and ``count``/``total_count`` only with ``with_total=true``.

It holds events generated deterministically (1,200 Nigerian events by default, every
column of an ACLED export), can change them between pulls like ACLED does (`revise`,
`delete`, `add`), can misbehave on purpose (`fail`, `expire_tokens_after`, `truncate`,
`vanish`), and records every request (`requests`, `data_requests`, `grants`).
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

USERNAME = "analyst@example.org"
PASSWORD = "correct horse battery staple 7"
EVENTS = "/api/acled/read"
DELETED = "/api/deleted/read"
TOKEN = "/oauth/token"
FIRST_TIMESTAMP = 1_690_000_000
# The server's clock for revisions, additions and deletions: after every first timestamp.
CLOCK_START = 1_720_000_000

# Real towns: (location, admin1 state, admin2 LGA, latitude, longitude).
TOWNS = [
    ("Maiduguri", "Borno", "Maiduguri", 11.8464, 13.1603),
    ("Bama", "Borno", "Bama", 11.5221, 13.6856),
    ("Gwoza", "Borno", "Gwoza", 11.0861, 13.6914),
    ("Damboa", "Borno", "Damboa", 11.1553, 12.7564),
    ("Monguno", "Borno", "Monguno", 12.6706, 13.6119),
    ("Konduga", "Borno", "Konduga", 11.6533, 13.4192),
    ("Dikwa", "Borno", "Dikwa", 12.0361, 13.9156),
    ("Yola", "Adamawa", "Yola North", 9.2035, 12.4954),
    ("Mubi", "Adamawa", "Mubi North", 10.2676, 13.2644),
    ("Damaturu", "Yobe", "Damaturu", 11.7470, 11.9608),
    ("Potiskum", "Yobe", "Potiskum", 11.7128, 11.0780),
    ("Kano", "Kano", "Kano Municipal", 12.0022, 8.5920),
    ("Zaria", "Kaduna", "Zaria", 11.0855, 7.7199),
    ("Kaduna", "Kaduna", "Kaduna North", 10.5105, 7.4165),
    ("Abuja", "Federal Capital Territory", "Abuja Municipal", 9.0579, 7.4951),
    ("Jos", "Plateau", "Jos North", 9.8965, 8.8583),
    ("Makurdi", "Benue", "Makurdi", 7.7322, 8.5391),
    ("Gusau", "Zamfara", "Gusau", 12.1628, 6.6614),
    ("Sokoto", "Sokoto", "Sokoto North", 13.0059, 5.2476),
    ("Katsina", "Katsina", "Katsina", 12.9908, 7.6018),
]

# (disorder_type, event_type, sub_event_type, actor1, inter1, actor2, inter2)
KINDS = [
    ("Political violence", "Battles", "Armed clash", "Military Forces of Nigeria (2023-)",
     "State forces", "ISWAP: Islamic State West Africa Province", "Rebel group"),
    ("Political violence", "Violence against civilians", "Attack",
     "JAS: Jamaatu Ahli is-Sunnah lid-Dawati wal-Jihad", "Rebel group",
     "Civilians (Nigeria)", "Civilians"),
    ("Political violence", "Explosions/Remote violence", "Remote explosive/landmine/IED",
     "ISWAP: Islamic State West Africa Province", "Rebel group",
     "Military Forces of Nigeria (2023-)", "State forces"),
    ("Demonstrations", "Protests", "Peaceful protest", "Protesters (Nigeria)", "Protesters",
     "", ""),
    ("Political violence", "Riots", "Mob violence", "Rioters (Nigeria)", "Rioters",
     "Civilians (Nigeria)", "Civilians"),
    ("Strategic developments", "Strategic developments", "Looting/property destruction",
     "Unidentified Armed Group (Nigeria)", "Political militia", "Civilians (Nigeria)",
     "Civilians"),
]
SOURCES = [("Premium Times", "National"), ("Daily Trust", "National"),
           ("HumAngle", "Subnational"), ("Reuters", "International")]
COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
    "inter2", "interaction", "civilian_targeting", "iso", "region", "country", "admin1",
    "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
    "source_scale", "notes", "fatalities", "tags", "timestamp",
]


def make_event(number: int, rng: random.Random, timestamp: int) -> dict[str, str]:
    """One event of an ACLED export for Nigeria, every value a string as in ACLED's JSON."""
    location, admin1, admin2, lat, lon = rng.choice(TOWNS)
    disorder, kind, sub, actor1, inter1, actor2, inter2 = rng.choice(KINDS)
    source, scale = rng.choice(SOURCES)
    day = date(2023, 1, 1) + timedelta(days=rng.randrange(730))
    fatalities = 0 if kind in ("Protests", "Strategic developments") else rng.randrange(25)
    targeted = "Civilian targeting" if actor2 == "Civilians (Nigeria)" else ""
    interaction = f"{inter1}-{inter2}" if inter2 else f"{inter1} only"
    return {
        "event_id_cnty": f"NGA{number}", "event_date": day.isoformat(),
        "year": str(day.year), "time_precision": str(rng.choice((1, 1, 1, 2))),
        "disorder_type": disorder, "event_type": kind, "sub_event_type": sub,
        "actor1": actor1, "assoc_actor_1": "", "inter1": inter1, "actor2": actor2,
        "assoc_actor_2": "", "inter2": inter2, "interaction": interaction,
        "civilian_targeting": targeted, "iso": "566", "region": "Western Africa",
        "country": "Nigeria", "admin1": admin1, "admin2": admin2, "admin3": "",
        "location": location, "latitude": f"{lat:.4f}", "longitude": f"{lon:.4f}",
        "geo_precision": str(rng.choice((1, 1, 2))), "source": source,
        "source_scale": scale,
        "notes": f"On {day:%d %B %Y}, {sub.lower()} in {location} ({admin1}). "
                 f"{fatalities} fatalities reported.",
        "fatalities": str(fatalities), "tags": "crowd size=no report" if kind == "Protests"
        else "", "timestamp": str(timestamp),
    }


def matches(value: str, wanted: str, where: str) -> bool:
    """ACLED's filter operators, numbers compared as numbers, dates as ISO text."""
    if where == "BETWEEN":
        low, _, high = wanted.partition("|")
        return matches(value, low, ">=") and matches(value, high, "<=")
    if where == "LIKE":
        return wanted.lower().strip("%") in value.lower()
    if where == "=":
        return value == wanted
    left, right = comparable(value), comparable(wanted)
    return {">": left > right, "<": left < right, ">=": left >= right,
            "<=": left <= right}[where]


def comparable(text: str) -> tuple[int, float | str]:
    try:
        return (0, float(text))
    except ValueError:
        return (1, text)


# A column's operator when no {column}_where says otherwise (ACLED's filter table).
DEFAULT_WHERE = {"timestamp": ">=", "deleted_timestamp": ">=", "notes": "LIKE",
                 "actor1": "LIKE", "actor2": "LIKE", "event_type": "LIKE"}
NOT_FILTERS = {"_format", "limit", "page", "with_total", "fields"}
OPERATORS = {"=", ">", "<", ">=", "<=", "LIKE", "BETWEEN"}


class AcledServer:
    """A context manager: the server runs on a thread while the block runs."""

    def __init__(self, count: int = 1200, *, username: str = USERNAME,
                 password: str = PASSWORD, seed: int = 14) -> None:
        self.username, self.password = username, password
        self.rng = random.Random(seed)
        self.events: dict[str, dict[str, str]] = {}
        self.deletions: dict[str, str] = {}
        self.clock = CLOCK_START
        self.next_number = 10001
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # method, path, params
        self.grants: list[str] = []
        self.access: dict[str, int] = {}  # live access token -> data pages it served
        self.refresh: set[str] = set()
        self.expire_after: int | None = None
        self.plan: list[tuple] = []
        self.gone = False
        self.pages_left: int | None = None  # data pages to serve before vanishing
        for number in range(count):
            stamp = FIRST_TIMESTAMP + number * 1000
            self._store(make_event(self._number(), self.rng, stamp))
        self.httpd: ThreadingHTTPServer | None = None

    # -- running

    def __enter__(self) -> AcledServer:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self))
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.httpd is not None
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def base(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def data_requests(self) -> list[tuple[str, dict[str, str]]]:
        return [(path, params) for method, path, params in self.requests
                if path in (EVENTS, DELETED)]

    # -- changing the data, as ACLED does between pulls

    def tick(self) -> int:
        self.clock += 1
        return self.clock

    def revise(self, ids: list[str], changes: dict[str, str]) -> None:
        """New values and a newer timestamp; the event keeps its event_id_cnty."""
        with self.lock:
            stamp = str(self.tick())
            for ident in ids:
                self.events[ident] = {**self.events[ident], **changes, "timestamp": stamp}

    def delete(self, ids: list[str]) -> int:
        """Remove events; the deleted endpoint lists them with their deleted_timestamp."""
        with self.lock:
            stamp = self.tick()
            for ident in ids:
                del self.events[ident]
                self.deletions[ident] = str(stamp)
            return stamp

    def add(self, n: int) -> list[str]:
        with self.lock:
            stamp = self.tick()
            added = [make_event(self._number(), self.rng, stamp) for _ in range(n)]
            for event in added:
                self._store(event)
            return [event["event_id_cnty"] for event in added]

    def _number(self) -> int:
        self.next_number += 1
        return self.next_number - 1

    def _store(self, event: dict[str, str]) -> None:
        self.events[event["event_id_cnty"]] = event

    # -- faults

    def fail(self, status: int, retry_after: str | None = None) -> None:
        """The next data request not yet planned answers `status` (once)."""
        self.plan.append(("status", status, retry_after))

    def truncate(self) -> None:
        """The next data request not yet planned gets a body cut short of its length."""
        self.plan.append(("truncate",))

    def expire_tokens_after(self, pages: int) -> None:
        """An access token stops working once it has served `pages` data pages."""
        self.expire_after = pages

    def vanish(self) -> None:
        """From now on every request is met by a closed connection."""
        self.gone = True

    def vanish_after(self, pages: int) -> None:
        """Serve `pages` more data pages, then close every connection from then on."""
        self.pages_left = pages

    # -- answering

    def token(self, form: dict[str, str]) -> tuple[int, dict]:
        grant = form.get("grant_type", "")
        self.grants.append(grant)
        if form.get("client_id") != "acled":
            return 401, {"error": "invalid_client", "error_description": "Client unknown."}
        if grant == "password":
            if (form.get("username"), form.get("password")) != (self.username, self.password):
                return 400, {"error": "invalid_grant",
                             "error_description": "The user credentials were incorrect."}
        elif grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh:
                return 400, {"error": "invalid_grant",
                             "error_description": "The refresh token is invalid."}
            self.refresh.discard(form["refresh_token"])
        else:
            return 400, {"error": "unsupported_grant_type"}
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access[access] = 0
        self.refresh.add(refresh)
        return 200, {"token_type": "Bearer", "expires_in": 86400,
                     "access_token": access, "refresh_token": refresh}

    def authorised(self, header: str | None) -> bool:
        scheme, _, token = (header or "").partition(" ")
        if scheme != "Bearer" or token not in self.access:
            return False
        if self.expire_after is not None and self.access[token] >= self.expire_after:
            del self.access[token]
            return False
        self.access[token] += 1
        return True

    def read(self, path: str, params: dict[str, str]) -> tuple[int, dict]:
        if path == EVENTS:
            table = sorted(self.events.values(),
                           key=lambda e: (e["event_date"], e["event_id_cnty"]), reverse=True)
        else:
            table = [{"event_id_cnty": ident, "deleted_timestamp": stamp}
                     for ident, stamp in sorted(self.deletions.items())]
        try:
            chosen = [row for row in table if selected(row, params)]
            limit, page = int(params.get("limit", "5000")), int(params.get("page", "1"))
        except (KeyError, ValueError) as error:
            return 400, {"status": 400, "success": False, "message": f"Bad query: {error}"}
        if limit and page >= 1:
            chosen = chosen[(page - 1) * limit: page * limit]
        answer = {"status": 200, "success": True, "last_update": 0, "messages": [],
                  "data": chosen, "filename": "acled"}
        if params.get("with_total") == "true":
            answer |= {"count": len(chosen), "total_count": len(table)}
        return 200, answer


def selected(row: dict[str, str], params: dict[str, str]) -> bool:
    for name, wanted in params.items():
        if name in NOT_FILTERS or name.endswith("_where"):
            continue
        where = params.get(f"{name}_where", DEFAULT_WHERE.get(name, "="))
        if where not in OPERATORS:
            raise KeyError(f"{name}_where={where}")
        if not matches(row.get(name, ""), wanted, where):
            return False
    return True


def handler_for(server: AcledServer) -> type[BaseHTTPRequestHandler]:
    return type("Handler", (Handler,), {"acled": server})


class Handler(BaseHTTPRequestHandler):
    """Speaks for `self.acled` (set by `handler_for`)."""

    protocol_version = "HTTP/1.1"
    acled: AcledServer

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the tests read `self.acled.requests`

    def do_POST(self) -> None:
        if self.refused():
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path != TOKEN:
            self.send(404, {"message": "Not found"})
            return
        with self.acled.lock:
            self.acled.requests.append(("POST", TOKEN, {"grant_type": form.get("grant_type", "")}))
            self.send(*self.acled.token(form))

    def do_GET(self) -> None:
        if self.refused():
            return
        parts = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        with self.acled.lock:
            self.acled.requests.append(("GET", parts.path, params))
            if parts.path not in (EVENTS, DELETED):
                self.send(404, {"message": "Not found"})
                return
            if not self.acled.authorised(self.headers.get("Authorization")):
                self.send(401, {"message": "Unauthorized: the access token is "
                                           "missing, invalid or expired."})
                return
            if self.acled.pages_left is not None:
                self.acled.gone = self.acled.pages_left <= 0
                self.acled.pages_left -= 1
                if self.acled.gone:
                    self.close_connection = True
                    return
            fault = self.acled.plan.pop(0) if self.acled.plan else None
            status, document = self.acled.read(parts.path, params)
        self.play(fault, status, document)

    def refused(self) -> bool:
        """A server gone for good: the connection closes with no answer."""
        if self.acled.gone:
            self.close_connection = True
        return self.acled.gone

    def play(self, fault: tuple | None, status: int, document: dict) -> None:
        if fault and fault[0] == "status":
            headers = {"Retry-After": fault[2]} if fault[2] else {}
            self.send(fault[1], {"message": "planned failure"}, headers)
        elif fault and fault[0] == "truncate":
            body = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 500))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            self.send(status, document)

    def send(self, status: int, document: dict,
             headers: dict[str, str] | None = None) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

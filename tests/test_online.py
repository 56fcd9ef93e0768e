"""The online layer: geopy's real Nominatim client against a local server that speaks
Nominatim's JSON. Nothing here reaches the internet."""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from dashboard.gazetteer import load_gazetteer
from dashboard.geocode import geocode
from dashboard.online import Answer, AnswerCache, Failure, OnlineGeocoder, RateLimiter

# What the local "Nominatim" knows; other names are not found.
PLACES = {"pulka": (11.2, 13.88), "banki": (11.38, 14.36), "busy": (1.0, 2.0),
          # No gazetteer has it: the pipeline must ask the server.
          "zzyzxville": (11.3, 13.9)}
# JSON, but not what Nominatim answers: geopy's parser fails on each in its own way.
ANSWERS_NOT_NOMINATIMS = {"numbers": [1, 2], "textlat": [{"lat": "north", "lon": "1"}],
                          "words": ["x"]}


class FakeNominatim(BaseHTTPRequestHandler):
    log: list[tuple[float, str]]  # (monotonic time received, query), set per server
    refused_once: set[str]

    def do_GET(self):
        query = parse_qs(urlparse(self.path).query).get("q", [""])[0].lower()
        self.log.append((time.monotonic(), query))
        if query == "slowtown":
            time.sleep(2.5)  # past the client's 1 s timeout
        if query == "boom":
            return self.reply(500, {"error": "internal"})
        if query in ANSWERS_NOT_NOMINATIMS:
            return self.reply(200, ANSWERS_NOT_NOMINATIMS[query])
        if query == "garbled":
            return self.reply(200, None, body=b"<html>not JSON</html>")
        if query == "busy" and query not in self.refused_once:
            self.refused_once.add(query)
            return self.reply(429, {"error": "slow down"}, {"Retry-After": "2"})
        found = [{"lat": str(lat), "lon": str(lon), "display_name": query, "place_id": 1}
                 for name, (lat, lon) in PLACES.items() if name == query]
        return self.reply(200, found)

    def reply(self, status, payload, headers=None, body=None):
        data = json.dumps(payload).encode() if body is None else body
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # the client gave up (the timeout case)
            self.wfile.write(data)

    def log_message(self, *args):  # keep pytest's output clean
        pass


@pytest.fixture
def nominatim():
    handler = type("Handler", (FakeNominatim,), {"log": [], "refused_once": set()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler.log
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(nominatim, tmp_path):
    server, _ = nominatim

    def make() -> OnlineGeocoder:
        return OnlineGeocoder(tmp_path / "online-cache.sqlite",
                              domain=f"127.0.0.1:{server.server_port}", scheme="http",
                              user_agent="incident-dashboard-tests", timeout_s=1.0,
                              limiter=RateLimiter())

    return make


def gaps(log) -> list[float]:
    times = [received for received, _ in log]
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def test_requests_are_a_second_apart_and_a_repeat_is_not_sent(client, nominatim):
    _, log = nominatim
    online = client()
    assert online.lookup("Pulka", "NG") == Answer(11.2, 13.88)
    assert online.lookup("Banki", "NG").found
    assert online.lookup("Pulka", "NG").found  # from the cache
    assert [query for _, query in log] == ["pulka", "banki"]
    assert min(gaps(log)) >= 1.0


def test_the_cache_outlives_a_restart_and_keeps_not_found(client, nominatim):
    _, log = nominatim
    first = client()
    assert first.lookup("Pulka", "NG").found
    assert not first.lookup("Nowhere", "NG").found
    again = client()  # a new process would open the same file
    assert again.lookup("Pulka", "NG") == Answer(11.2, 13.88)
    assert not again.lookup("Nowhere", "NG").found
    assert len(log) == 2


def test_a_timeout_is_an_error_and_is_not_cached(client, nominatim, caplog):
    _, log = nominatim
    online = client()
    answer = online.lookup("Slowtown", "NG")
    assert not answer.found
    assert answer.error is Failure.TIMED_OUT
    assert answer.message == "online lookup failed: timed out"
    assert "online lookup of 'Slowtown'" in caplog.text  # logged, with the place
    online.lookup("Slowtown", "NG")
    assert [query for _, query in log] == ["slowtown", "slowtown"]  # asked again


def test_a_server_error_is_an_error(client):
    assert client().lookup("Boom", None).error is Failure.SERVER_ERROR


@pytest.mark.parametrize("place", ["Garbled", *ANSWERS_NOT_NOMINATIMS])
def test_an_answer_that_is_not_nominatims_is_an_error_not_a_crash(client, nominatim, place,
                                                                  caplog):
    _, log = nominatim
    online = client()
    assert online.lookup(place, None) == Answer(error=Failure.BAD_ANSWER)
    assert "answer not understood" in caplog.text
    online.lookup(place, None)
    assert len(log) == 2  # not cached: asked again


def test_a_server_that_is_not_there_is_an_error(tmp_path):
    online = OnlineGeocoder(tmp_path / "cache.sqlite", domain="127.0.0.1:9", scheme="http",
                            timeout_s=1.0, limiter=RateLimiter())
    assert online.lookup("Pulka", "NG").error is Failure.UNREACHABLE


def test_429_waits_for_retry_after_then_asks_again(client, nominatim):
    _, log = nominatim
    answer = client().lookup("Busy", None)
    assert answer == Answer(1.0, 2.0)
    assert [query for _, query in log] == ["busy", "busy"]
    assert gaps(log)[0] >= 2.0


def test_the_pipeline_asks_only_for_what_the_gazetteer_missed(client, nominatim):
    _, log = nominatim
    incidents = pd.DataFrame({
        "place": ["Zzyzxville", "Zzyzxville", "Maiduguri", "Slowtown", "Nowhere"],
        "admin2": [None] * 5, "admin1": [None] * 5, "country": ["Nigeria"] * 5,
        "country_code": ["NG"] * 5, "latitude": [float("nan")] * 5,
        "longitude": [float("nan")] * 5, "geo_precision": [None] * 5,
        "geo_method": [None] * 5, "geo_ambiguous": [False] * 5, "flags": [None] * 5,
    }).astype({c: "string" for c in ["place", "admin2", "admin1", "country", "country_code",
                                     "flags"]})
    out = geocode(incidents, load_gazetteer(), online=client())
    assert len(out) == 5
    assert out["geo_method"].tolist() == ["online", "online", "gazetteer", "gazetteer",
                                          "gazetteer"]
    assert out["geo_precision"].tolist() == ["place", "place", "place", "country", "country"]
    assert out["flags"].fillna("").tolist() == ["", "", "", "online lookup failed: "
                                                "timed out", ""]
    assert out["online_error"].fillna("").tolist() == ["", "", "", Failure.TIMED_OUT, ""]
    assert sorted(query for _, query in log) == ["nowhere", "slowtown", "zzyzxville"]


def test_a_corrupt_cache_file_is_set_aside(tmp_path):
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    cache = AnswerCache(path)
    cache.put("x|", Answer(1.0, 2.0))
    assert cache.get("x|") == Answer(1.0, 2.0)
    assert len(list(tmp_path.glob("cache.sqlite.corrupt-*"))) == 1


def test_cli_geocode_online_against_the_local_server(nominatim, tmp_path, monkeypatch,
                                                     capsys):
    from dashboard.cli import main

    server, log = nominatim
    monkeypatch.setenv("DASHBOARD_HOME", str(tmp_path))
    source = tmp_path / "places.csv"
    source.write_text("place,country\nZzyzxville,Nigeria\nMaiduguri,Nigeria\n"
                      "Zzyzxville,Nigeria\nBoom,Nigeria\nBoom,Nigeria\n")
    out = tmp_path / "placed.csv"
    assert main(["geocode", str(source), "-o", str(out), "--online", "--nominatim-url",
                 f"http://127.0.0.1:{server.server_port}", "--user-agent", "tests"]) == 0
    placed = pd.read_csv(out)
    assert placed["geo_method"].tolist() == ["online", "gazetteer", "online", "gazetteer",
                                             "gazetteer"]
    assert placed["online_error"].fillna("").tolist() == ["", "", "", "server error",
                                                          "server error"]
    assert sorted(query for _, query in log) == ["boom", "zzyzxville"]  # once per name
    said = capsys.readouterr().out
    assert "2 requests, 2 rows with a lookup error" in said
    assert "OpenStreetMap contributors" in said


def test_a_truncated_cache_is_set_aside_and_rebuilt(tmp_path):
    path = tmp_path / "cache.sqlite"
    cache = AnswerCache(path)
    for number in range(200):
        cache.put(f"place {number}|", Answer(float(number), 0.0))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a crash or a full disk cut it short
    (tmp_path / "cache.sqlite-wal").unlink(missing_ok=True)
    rebuilt = AnswerCache(path)
    assert rebuilt.get("place 1|") in (None, Answer(1.0, 0.0))  # gone or intact, not wrong
    rebuilt.put("x|", Answer(1.0, 2.0))
    assert rebuilt.get("x|") == Answer(1.0, 2.0)

"""Asking a source for JSON (`remote`): what is retried, what is refused, what is said."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dashboard import remote

QUICK = remote.Patience(attempts=3, backoff_s=0.01)


class Serving:
    """A server on 127.0.0.1 answering each GET with the next of `answers`
    (status, headers, body); it records the paths and headers it was asked with."""

    def __init__(self, *answers: tuple[int, dict, bytes]):
        self.answers, self.asked = list(answers), []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.asked.append((self.path, dict(self.headers)))
                status, headers, body = owner.answers.pop(0) if owner.answers else (
                    200, {}, b"{}")
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.server.server_close()


def test_a_redirect_to_another_host_is_not_followed_and_carries_no_token():
    with Serving() as stranger, Serving(
            (302, {"Location": f"{stranger.url}/steal"}, b"")) as source, pytest.raises(
            remote.PullError, match="sent us to another address"):
        remote.request_json(f"{source.url}/api", headers={"Authorization": "Bearer T"},
                            patience=QUICK)
    assert stranger.asked == []


def test_a_redirect_on_the_same_host_is_followed():
    with Serving((302, {"Location": "/moved"}, b""), (200, {}, b'{"ok": 1}')) as source:
        answer = remote.request_json(f"{source.url}/api", patience=QUICK)
    assert answer.document == {"ok": 1}
    assert [path for path, _ in source.asked] == ["/api", "/moved"]


def test_429_waits_as_told_and_server_errors_are_tried_again():
    waited = []
    with Serving((429, {"Retry-After": "7"}, b""), (503, {}, b""),
                 (200, {}, b"[1]")) as source:
        answer = remote.request_json(source.url, patience=QUICK, sleep=waited.append)
    assert answer.document == [1]
    assert waited == [7.0, 0.02]  # Retry-After, then the doubled backoff


def test_a_retry_after_beyond_patience_stops_at_once():
    with Serving((429, {"Retry-After": "86400"}, b"")) as source, pytest.raises(
            remote.PullError, match="asks us to wait 86400 s"):
        remote.request_json(source.url, patience=QUICK, sleep=lambda _s: None)


def test_what_never_answers_is_one_line_without_the_query():
    with Serving(*[(500, {}, b"")] * 3) as source, pytest.raises(remote.PullError) as raised:
        remote.request_json(f"{source.url}/api", params={"key": "SECRET"},
                            patience=QUICK, sleep=lambda _s: None)
    assert "\n" not in str(raised.value)
    assert "SECRET" not in str(raised.value)
    assert "server error 500, 3 times" in str(raised.value)


def test_only_http_addresses_are_asked():
    with pytest.raises(remote.PullError, match="not an http"):
        remote.request_json("file:///etc/passwd")

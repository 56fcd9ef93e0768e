"""Asking a remote data source (ACLED, UCDP) for JSON, patiently and safely.

One request is tried until it is answered or the patience runs out: a 429 waits for
its Retry-After; a 5xx, a dropped connection, a timeout or a body cut short is tried
again after a backoff that doubles. What is finally unanswered is a `PullError`, one
line that names the host and path, never the query or a form (they may carry
credentials). Other 4xx answers are returned to the caller, which knows what a 401
means for its source. urllib, not requests: nothing retries behind our back.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import logging
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

log = logging.getLogger(__name__)
USER_AGENT = "incident-dashboard/0.1 (pulls for a local analysis copy)"


class PullError(Exception):
    """A pull that cannot go on, in one line a user can act on."""


@dataclass(frozen=True)
class Patience:
    """How long to keep asking. The tests shrink the waits; the numbers are the user's."""

    attempts: int = 5  # tries of one request before giving up
    backoff_s: float = 2.0  # wait before the second try, doubled for each further one
    longest_wait_s: float = 300.0  # a Retry-After longer than this stops the pull
    timeout_s: float = 120.0  # per request; ACLED's larger pages take a while


@dataclass(frozen=True)
class Answer:
    status: int
    document: object  # the parsed JSON, or None when the body was not JSON


Sleep = Callable[[float], None]
Progress = Callable[[int, int], None]  # (pages read, rows so far), after each page


def where(url: str) -> str:
    """The part of a URL a message may show: host and path, no query."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


def retry_after(value: str | None, fallback: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return fallback
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return fallback
    return max(0.0, when.timestamp() - time.time())


def parsed(body: bytes) -> object:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


class SameHost(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only to the same scheme, host and port: urllib would carry our
    headers, the bearer token among them, to wherever a redirect points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        if (old.scheme, old.netloc) != (new.scheme, new.netloc):
            raise PullError(f"{where(req.full_url)} sent us to another address "
                            f"({new.scheme}://{new.netloc}); not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


OPENER = urllib.request.build_opener(SameHost)


def send(request: urllib.request.Request, timeout: float) -> Answer:
    """One try. Raises what a retry may cure; returns any other answer."""
    try:
        with OPENER.open(request, timeout=timeout) as response:
            body = response.read()  # IncompleteRead when cut short of Content-Length
            return Answer(response.status, parsed(body))
    except urllib.error.HTTPError as error:
        with error:
            body = error.read()
        if error.code == 429 or error.code >= 500:
            raise
        return Answer(error.code, parsed(body))


def request_json(url: str, *, params: Mapping[str, object] | None = None,
                 form: Mapping[str, str] | None = None,
                 headers: Mapping[str, str] | None = None,
                 patience: Patience = Patience(), sleep: Sleep = time.sleep) -> Answer:
    """GET `url` with `params` (POST `form` when given) until answered; see the module
    docstring for what is retried. A 200 whose body does not parse is
    a body cut short: tried again."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise PullError(f"{where(url)}: not an http(s) address")
    full = f"{url}?{urlencode(params, doseq=True)}" if params else url
    data = urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        full, data=data, method="POST" if data else "GET",
        headers={"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})})
    problem = ""
    for attempt in range(patience.attempts):
        wait = patience.backoff_s * 2 ** attempt
        try:
            answer = send(request, patience.timeout_s)
        except urllib.error.HTTPError as error:
            if error.code == 429:
                wait = retry_after(error.headers.get("Retry-After"), wait)
                if wait > patience.longest_wait_s:
                    raise PullError(f"{where(url)} asks us to wait {wait:.0f} s (rate "
                                    "limit); try again later") from None
                problem = "rate limited (429)"
            else:
                problem = f"server error {error.code}"
        except (OSError, http.client.HTTPException) as error:  # URLError is an OSError
            problem = describe(error)
        else:
            if not (answer.status == 200 and answer.document is None):
                return answer
            problem = "an answer that is not JSON (cut short?)"
        log.info("%s: %s (try %d of %d)", where(url), problem, attempt + 1, patience.attempts)
        if attempt + 1 < patience.attempts:
            sleep(wait)
    raise PullError(f"{where(url)}: {problem}, {patience.attempts} times; gave up")


def describe(error: BaseException) -> str:
    """A transport failure in a few words (never its URL, which may hold a query)."""
    reason = getattr(error, "reason", error)
    if isinstance(reason, TimeoutError):
        return "timed out"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, http.client.IncompleteRead):
        return "answer cut short"
    if isinstance(reason, (ConnectionError, http.client.HTTPException)):
        return "connection dropped"
    if isinstance(reason, socket.gaierror):
        return "host not found"
    return "connection failed"

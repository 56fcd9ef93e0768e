"""Twenty people filtering a 100k-row file at once, through the proxy, on one dashboard
server and on two.

    python benchmarks/team_load.py [--sessions 20] [--rows 100000] [--rounds 3] [--servers 1,2]

For each number of servers, deploy/stack starts PostgreSQL, the servers and HAProxy (with
sign-in). The sessions are not browsers: each is a client of Streamlit's own protocol
(protobuf `BackMsg`/`ForwardMsg` over the WebSocket `/_stcore/stream`, through the proxy
with the sign-in and the sticky cookie), which sends what a browser sends when a widget
changes (a `rerun_script` with the Countries box's new value) and reads what the server
sends back, without drawing it. The sessions open one after another (the proxy gives each
new one to the server with the fewest connections), then, each round, every session picks
a country at once, then clears it at once. Each change is timed from the message leaving
the client to the Incidents figure arriving with the new count ("figures"), and to the
end of that run of the page ("run": the map, table and everything below sent too). Prints,
per number of servers: how the sessions were spread, the median and 95th percentile of
both times, and each server's memory (RSS of its Streamlit process) after the first
load, with the sessions open and after the rounds. Client, proxy, servers and database
share this machine; the clients only parse the messages, so nearly all the CPU is the
servers'.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import synthetic
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from test_browser import free_port  # noqa: E402

from dashboard.dataset import load_path  # noqa: E402
from dashboard.filters import Filters, apply_filters  # noqa: E402

USER, PASSWORD = "analyst", "load test"
COOKIE = "DASHBOARD_SERVER"  # deploy/haproxy.cfg's sticky cookie
FIGURE = "Incidents"
COUNTRIES = "Countries"


def resident_mb(group: int) -> float:
    """The largest resident set in the process group: the server's Streamlit (beside it
    is only the small `dashboard run` that started it)."""
    largest = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        with contextlib.suppress(OSError, ValueError):
            if os.getpgid(int(status.parent.name)) != group:
                continue
            for line in status.read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]) / 1024)
    return round(largest)


@contextlib.contextmanager
def stack(data: Path, servers: int, folder: Path):
    hashed = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=PASSWORD,
                            capture_output=True, text=True, check=True).stdout.strip()
    (folder / "passwords").write_text(f"{USER}:{hashed}\n")
    out = (folder / "stack.out").open("w")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "stack"), str(data), "--servers", str(servers),
         "--port", str(free_port()), "--passwords", str(folder / "passwords"),
         "--folder", str(folder / "stack")],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)
    try:
        while "Ready:" not in (folder / "stack.out").read_text():
            if process.poll() is not None:
                sys.exit(f"deploy/stack did not start:\n{(folder / 'stack.out').read_text()}")
            time.sleep(0.5)
        yield json.loads((folder / "stack" / "stack.json").read_text())
    except BaseException:
        for log in sorted((folder / "stack" / "logs").glob("*.log")):  # what went wrong
            print(f"--- {log.name}, last lines:", *log.read_text(errors="replace")
                  .splitlines()[-15:], sep="\n", file=sys.stderr)
        raise
    finally:
        # SIGTERM, which the stack takes as Ctrl-C: a SIGINT is ignored by a process
        # started in the background of a shell, as this script may be.
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        out.close()


class Session:
    """One analyst's page, as the server sees it: a WebSocket session through the proxy
    that sends widget changes and keeps what it needs of the answers (the figure, the
    Countries box, the link)."""

    def __init__(self, url: str):
        self.url = url
        self.authorization = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.server = ""
        self.query = ""
        self.page = ""
        self.countries: tuple[str, list[str]] | None = None  # widget id, its options
        self.figure: str | None = None
        self.want: str | None = None
        self.shown = asyncio.Event()  # the figure reads `want`
        self.finished = asyncio.Event()  # a run of the page ended
        self.socket = None
        self.reader: asyncio.Task | None = None

    async def open(self, server: str | None = None) -> None:
        """The page load: the proxy's first answer pins the session to a server (or the
        one given), then the WebSocket and the first run."""
        cookies = {COOKIE: server} if server else {}
        if not server:
            request = urllib.request.Request(self.url + "/", headers={
                "Authorization": self.authorization})
            answer = await asyncio.to_thread(urllib.request.urlopen, request, timeout=120)
            for header in answer.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                cookies[name] = rest.split(";")[0]
            answer.close()
        self.server = cookies[COOKIE]
        self.socket = await connect(
            self.url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
            max_size=None, open_timeout=120, ping_interval=None,
            additional_headers={"Authorization": self.authorization, "Origin": self.url,
                                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())})
        self.reader = asyncio.create_task(self.read())
        await self.run([])
        await asyncio.wait_for(self.finished.wait(), 600)

    async def read(self) -> None:
        async for data in self.socket:
            message = ForwardMsg.FromString(data)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.page = message.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query = message.page_info_changed.query_string
            elif kind == "script_finished":
                self.finished.set()
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                shown = element.WhichOneof("type")
                if shown == "metric" and element.metric.label == FIGURE:
                    self.figure = element.metric.body
                    if self.figure == self.want:
                        self.shown.set()
                elif shown == "multiselect" and element.multiselect.label == COUNTRIES:
                    self.countries = (element.multiselect.id,
                                      list(element.multiselect.options))

    async def run(self, countries: list[str]) -> None:
        """What the browser sends when the Countries box changes: a rerun with it."""
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_script_hash = self.page
        if self.countries is not None:
            widget = state.widget_states.widgets.add()
            widget.id = self.countries[0]
            options = self.countries[1]
            widget.string_array_value.data.extend(
                next(o for o in options if o.startswith(f"{name} (")) for name in countries)
        self.finished.clear()
        await self.socket.send(message.SerializeToString())

    async def change(self, countries: list[str], want: str) -> tuple[float, float]:
        """Seconds from the change leaving to the figure reading ``want``, and to the end
        of that run."""
        self.want = want
        self.shown.clear()
        started = time.perf_counter()
        await self.run(countries)
        await asyncio.wait_for(self.shown.wait(), 600)
        figures = time.perf_counter() - started
        await asyncio.wait_for(self.finished.wait(), 600)
        return figures, time.perf_counter() - started

    async def close(self) -> None:
        await self.socket.close()
        if self.reader is not None:
            with contextlib.suppress(Exception):
                await self.reader


def rss(up: dict) -> dict[str, float]:
    return {s["name"]: resident_mb(s["pid"]) for s in up["servers"]}


async def drive(up: dict, sessions: int, rounds: int, counts: dict[str, int], total: int
                ) -> tuple[dict, list[tuple[float, float]], dict]:
    # One session loads the file on every server first (the snapshot folder is shared,
    # so the second reads the first's snapshot), as a desk's morning would.
    for server in up["servers"]:
        first = Session(up["url"])
        await first.open(server["name"])
        await first.close()
    memory = {"after the first load": rss(up)}
    opened = []
    for number in range(sessions):  # one at a time: leastconn sees each one's connection
        session = Session(up["url"])
        started = time.perf_counter()
        await session.open()
        opened.append(session)
        print(f"session {number + 1} open on {session.server} in "
              f"{time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    spread: dict[str, int] = {}
    for session in opened:
        spread[session.server] = spread.get(session.server, 0) + 1
    memory["with the sessions open"] = rss(up)
    names = list(counts)
    took = []
    for round_ in range(rounds):
        chosen = [names[(i + round_) % len(names)] for i in range(sessions)]
        took += await asyncio.gather(*(s.change([name], f"{counts[name]:,}")
                                       for s, name in zip(opened, chosen, strict=True)))
        took += await asyncio.gather(*(s.change([], f"{total:,}") for s in opened))
    for session in opened:
        await session.close()
    return spread, took, memory


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[round(share * (len(ordered) - 1))]


def run(data: Path, servers: int, sessions: int, rounds: int, counts: dict[str, int],
        total: int) -> dict:
    with tempfile.TemporaryDirectory() as folder, stack(data, servers, Path(folder)) as up:
        started = time.perf_counter()
        spread, took, memory = asyncio.run(drive(up, sessions, rounds, counts, total))
        memory["after the rounds"] = rss(up)
        seconds = time.perf_counter() - started
    figures = [f for f, _ in took]
    runs = [r for _, r in took]
    return {"servers": servers, "sessions": sessions, "changes": len(took),
            "spread": spread,
            "figures_median_s": round(statistics.median(figures), 2),
            "figures_p95_s": round(percentile(figures, 0.95), 2),
            "run_median_s": round(statistics.median(runs), 2),
            "run_p95_s": round(percentile(runs, 0.95), 2),
            "rss_mb": memory, "wall_s": round(seconds)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--servers", default="1,2")
    parser.add_argument("--data", type=Path,
                        help="a file benchmarks/synthetic.py wrote (else one is written)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        data = args.data or synthetic.write(Path(folder) / "incidents.csv", args.rows)
        incidents = load_path(data).accepted
        # Names no other country's name contains ("Niger" would also find "Nigeria").
        names = [n for n in synthetic.COUNTRIES
                 if not any(n != other and n in other for other in synthetic.COUNTRIES)][:10]
        counts = {n: len(apply_filters(incidents, Filters(countries=(n,)))) for n in names}
        results = [run(data, int(n), args.sessions, args.rounds, counts, len(incidents))
                   for n in args.servers.split(",")]
    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"{args.sessions} sessions, {len(incidents):,} rows, {args.rounds} rounds of a country "
          "picked and cleared by every session at once:")
    for r in results:
        print(f"  {r['servers']} server(s): to the new figures median {r['figures_median_s']:.2f}"
              f" s, 95th percentile {r['figures_p95_s']:.2f} s; to the end of the run median "
              f"{r['run_median_s']:.2f} s, 95th percentile {r['run_p95_s']:.2f} s; over "
              f"{r['changes']} changes; sessions per server {r['spread']}; RSS per server "
              f"(MB) {r['rss_mb']}")


if __name__ == "__main__":
    main()

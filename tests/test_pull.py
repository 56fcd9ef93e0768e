"""`dashboard pull acled` against a local ACLED server: a first pull, a second that asks
only for what changed and reports it, faults on the way, and a pull that cannot finish."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from acled_server import EVENTS, PASSWORD, USERNAME, AcledServer
from test_ucdp import FIELDS, copy_loads_as_csv, fixture_rows, write_ged_csv
from ucdp_server import Ucdp, api_event, serving

from dashboard import pulled


def dashboard(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dashboard", *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def environment(server: AcledServer, home: Path) -> dict[str, str]:
    return {**os.environ, "DASHBOARD_HOME": str(home), "DASHBOARD_ACLED_URL": server.base,
            "ACLED_USERNAME": USERNAME, "ACLED_PASSWORD": PASSWORD}


def pull(copy: Path, env: dict[str, str], *options: object) -> subprocess.CompletedProcess:
    return dashboard("pull", "acled", "--country", "Nigeria", "--into", copy, "--json",
                     *options, env=env)


def test_a_second_pull_asks_for_the_changes_and_reports_each(tmp_path):
    copy = tmp_path / "nigeria.parquet"
    with AcledServer() as server:
        env = environment(server, tmp_path / "home")
        first = pull(copy, env)
        assert first.returncode == 0, first.stderr
        assert json.loads(first.stdout)["counts"] == {"new": 1200, "revised": 0, "deleted": 0}
        checked = json.loads(dashboard("check", copy, "--json", env=env).stdout)
        assert (checked["format"], checked["rows_in"], checked["accepted"]) == ("acled", 1200,
                                                                                1200)

        newest = max(int(t) for t in pd.read_parquet(copy)["timestamp"])
        ids = sorted(server.events)
        revised, deleted = ids[:10], ids[10:15]
        before = {i: server.events[i]["fatalities"] for i in revised}
        for ident in revised:  # each to a value it did not have
            server.revise([ident], {"fatalities": str(int(before[ident]) + 3)})
        server.delete(deleted)
        added = server.add(20)
        asked_before = len(server.data_requests)
        second = pull(copy, env)
        asked = server.data_requests[asked_before:]

    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["counts"] == {"new": 20, "revised": 10, "deleted": 5}
    assert sorted(report["new"]) == sorted(added)
    assert sorted(report["deleted"]) == deleted
    assert {r["id"]: r["changes"] for r in report["revised"]} == {
        i: {"fatalities": {"before": before[i], "after": str(int(before[i]) + 3)}}
        for i in revised}
    assert report["rows"] == 1215
    # Only the changes crossed the wire: 30 events, and the one stamped in the newest
    # second held (asked for again: another could share its second), and deletions.
    assert report["received"] == 31
    assert report["asked"]["since_timestamp"] == newest
    assert asked, "the second pull asked nothing"
    for path, params in asked:
        if path == EVENTS:
            assert (params["timestamp"], params["timestamp_where"]) == (str(newest), ">=")
        else:
            assert params["deleted_timestamp"] == str(newest)
    kept = pulled.read_copy(copy)
    assert len(kept.events) == 1215
    assert kept.events["event_id_cnty"].is_unique
    assert not set(deleted) & set(kept.events["event_id_cnty"])
    assert [entry["pull"] for entry in kept.history] == [1, 2]
    checked = json.loads(dashboard("check", copy, "--json", env=env).stdout)
    assert checked["accepted"] == 1215
    # The password is in no file written and in nothing said.
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert copy in written
    assert not [p for p in written if PASSWORD.encode() in p.read_bytes()]
    assert PASSWORD not in first.stdout + first.stderr + second.stdout + second.stderr


def test_a_copy_pulled_again_is_learned_once(tmp_path):
    # Every pull rewrites the copy (a new SHA-256 with mostly the same events): learning
    # each version would count every event once per pull.
    copy, own = tmp_path / "nigeria.parquet", tmp_path / "own.csv"
    with AcledServer() as server:
        env = environment(server, tmp_path / "home")
        assert pull(copy, env).returncode == 0
        own.write_text("date,country,place,latitude,longitude\n"  # the user's own file
                       "2020-01-02,Nigeria,Maiduguri,11.8464,13.1603\n"
                       "2020-01-03,Nigeria,Bama,11.5221,13.6856\n")
        for path in (own, copy):
            assert dashboard("learn", path, env=env).returncode == 0
        first = json.loads(dashboard("learn", "--list", "--json", env=env).stdout)
        server.add(40)
        assert pull(copy, env).returncode == 0
        assert dashboard("learn", copy, env=env).returncode == 0
    # Listed in the order of their SHA-256s: by name here.
    first = {file["name"]: file for file in first}
    files = {file["name"]: file for file in json.loads(
        dashboard("learn", "--list", "--json", env=env).stdout)}
    assert sorted(first) == sorted(files) == ["nigeria.parquet", "own.csv"]
    assert files["own.csv"] == first["own.csv"]
    was, now = first["nigeria.parquet"], files["nigeria.parquet"]
    assert now["sha256"] != was["sha256"]
    assert now["copy_of"] == was["copy_of"] == "ACLED Nigeria"
    assert now["rows"] > was["rows"]


def test_429_500_and_an_expiring_token_still_give_each_event_once(tmp_path):
    copy = tmp_path / "nigeria.parquet"
    with AcledServer() as server:
        server.fail(429, retry_after="1")
        server.fail(500)
        server.expire_tokens_after(3)
        done = pull(copy, environment(server, tmp_path / "home"), "--page-size", 100)
        grants = list(server.grants)
        served = len(server.events)
    assert done.returncode == 0, done.stderr
    events = pulled.read_copy(copy).events
    assert len(events) == served == 1200
    assert events["event_id_cnty"].is_unique
    assert "refresh_token" in grants  # the token did expire, and was refreshed
    assert "page 12" in done.stderr  # progress per page


def test_a_pull_the_server_abandons_leaves_the_copy_as_it_was(tmp_path):
    copy = tmp_path / "nigeria.parquet"
    with AcledServer() as server:
        env = environment(server, tmp_path / "home")
        assert pull(copy, env).returncode == 0
        kept = copy.read_bytes()
        server.add(300)
        server.vanish_after(2)  # two pages of the changes arrive, then nothing ever again
        failed = pull(copy, env, "--page-size", 100)
    assert failed.returncode == 1
    said = failed.stderr.strip().splitlines()
    assert [line for line in said if not line.startswith("dashboard pull: page ")] == [
        said[-1]]
    assert said[-1].startswith("dashboard pull: ")
    assert "Traceback" not in failed.stderr
    assert copy.read_bytes() == kept


def test_wrong_credentials_are_one_line_and_change_nothing(tmp_path):
    copy = tmp_path / "nigeria.parquet"
    with AcledServer() as server:
        env = {**environment(server, tmp_path / "home"), "ACLED_PASSWORD": "not it"}
        failed = pull(copy, env)
    assert failed.returncode == 1
    assert len(failed.stderr.strip().splitlines()) == 1
    assert "not it" not in failed.stderr
    assert not copy.exists()


def test_without_credentials_the_pull_says_what_to_set(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACLED_")}
    done = dashboard("pull", "acled", "--country", "Mali", "--into", tmp_path / "m.parquet",
                     env={**env, "DASHBOARD_HOME": str(tmp_path)})
    assert done.returncode == 2
    assert "ACLED_USERNAME and ACLED_PASSWORD" in done.stderr


def test_a_users_own_file_is_never_pulled_into(tmp_path):
    mine = tmp_path / "mine.parquet"
    pd.DataFrame({"a": ["1"]}).to_parquet(mine)
    kept = mine.read_bytes()
    with AcledServer() as server:
        done = pull(mine, environment(server, tmp_path / "home"))
    assert done.returncode == 1
    assert "not a copy this dashboard pulled" in done.stderr
    assert mine.read_bytes() == kept


@pytest.fixture
def exported(tmp_path):
    """A copy pulled twice, and an export made after the first pull."""
    copy = tmp_path / "nigeria.parquet"
    with AcledServer(count=50) as server:
        env = environment(server, tmp_path / "home")
        assert pull(copy, env).returncode == 0
        export = tmp_path / "export.csv"
        done = dashboard("export", copy, "-o", export, "--provenance", tmp_path / "p.json",
                         env=env)
        assert done.returncode == 0, done.stderr
        ids = sorted(server.events)
        server.revise(ids[:2], {"fatalities": "99"})
        server.delete(ids[2:3])
        assert pull(copy, env).returncode == 0
    return copy, export, tmp_path / "p.json", ids, env


def test_an_exports_rows_revised_or_deleted_later_can_be_found(exported):
    copy, export, record, ids, env = exported
    source = json.loads(record.read_text())["sources"][0]
    assert source["pulled"]["source"] == "acled"
    assert source["pulled"]["pull"] == 1
    assert "ACLED" in source["pulled"]["terms"]
    done = dashboard("changes", copy, "--since", source["pulled"]["pull"], "--rows", export,
                     "--json", env=env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert sorted(r["id"] for r in found["revised"]) == ids[:2]
    assert found["deleted"] == ids[2:3]


def test_a_ucdp_pull_loads_as_the_ged_csv_of_the_same_events(tmp_path):
    rows = fixture_rows()
    csv_path = write_ged_csv(tmp_path / "ged.csv", rows, FIELDS)
    copy = tmp_path / "ged.parquet"
    release = [api_event(row) for row in rows]
    with serving(Ucdp(versions={"25.1": release})) as server:
        env = {**os.environ, "DASHBOARD_HOME": str(tmp_path / "home"),
               "DASHBOARD_UCDP_URL": server.url, "UCDP_ACCESS_TOKEN": server.token}
        countries = [a for name in ("Nigeria", "Iraq", "Syria", "DR Congo")
                     for a in ("--country", name)]
        first = dashboard("pull", "ucdp", *countries, "--version", "25.1", "--into", copy,
                          "--page-size", 7, "--json", env=env)
        assert first.returncode == 0, first.stderr
        copy_loads_as_csv(copy, csv_path, len(rows))
        # The next release revises one event's deaths and drops another.
        changed = [dict(event) for event in release[1:]]
        changed[0]["best"] += 5
        server.versions["25.1"] = changed
        second = dashboard("pull", "ucdp", *countries, "--version", "25.1", "--into", copy,
                           "--json", env=env)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["counts"] == {"new": 0, "revised": 1, "deleted": 1}
    assert report["deleted"] == [str(release[0]["id"])]
    (revision,) = report["revised"]
    assert revision["changes"] == {"best": {"before": str(release[1]["best"]),
                                            "after": str(release[1]["best"] + 5)}}
    assert server.token not in first.stdout + first.stderr + second.stdout + second.stderr

"""A team's shared store: the saved choices in PostgreSQL (Debian's, started by the tests,
`postgres.Cluster`), through the same commands and functions as the files; and the
snapshots in a folder several servers share."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from dashboard import database, dataset, online, snapshot, store

import postgres

PLACED = "event_id,date,country,place\nx1,2021-06-12,Nigeria,Xyzzyville\n"


@pytest.fixture(scope="session")
def cluster():
    yield from postgres.cluster()


@pytest.fixture
def team(cluster, monkeypatch):
    """Team mode on a fresh, empty database; its URL (with the password in it)."""
    url = cluster.new_database()
    monkeypatch.setenv(store.DATABASE_ENV, url)
    return url


@pytest.fixture(params=["files", "database"])
def either(request, monkeypatch):
    """Each mode in turn: the files in DASHBOARD_HOME, then a database."""
    if request.param == "database":
        return request.getfixturevalue("team")
    return None


def dashboard(*arguments: str, check: bool = True) -> subprocess.CompletedProcess:
    """`dashboard ...` in a process of its own, with this test's environment."""
    return subprocess.run([sys.executable, "-m", "dashboard", *arguments], env=dict(
        os.environ), capture_output=True, text=True, check=check, timeout=300)


def test_a_fix_from_the_command_line_places_the_name_for_another_process(either, write_csv,
                                                                         tmp_path):
    dashboard("fix", "Xyzzyville", "--country", "Nigeria", "--lat", "10.5", "--lon", "12.25")
    out = tmp_path / "placed.csv"
    dashboard("geocode", str(write_csv(PLACED)), "-o", str(out))
    row = pd.read_csv(out).iloc[0]
    assert (row["geo_method"], row["latitude"], row["longitude"]) == ("manual", 10.5, 12.25)
    (listed,) = json.loads(dashboard("fix", "--list", "--json").stdout)
    assert listed["place"] == "Xyzzyville"
    assert listed["country"] == "NG"
    assert listed["by"] == store.local_user()
    assert listed["at"]

    dashboard("fix", "--remove", "Xyzzyville", "--country", "NG")
    assert json.loads(dashboard("fix", "--list", "--json").stdout) == []
    gone = dashboard("fix", "--remove", "Xyzzyville", "--country", "NG", check=False)
    assert (gone.returncode, gone.stderr.count("\n")) == (2, 1)


SAVER = """
import sys, time
from dashboard import cli
started = time.perf_counter()
for number in range(50):
    assert cli.main(["fix", f"{sys.argv[1]} {number}", "--country", "NG",
                     "--lat", str(number), "--lon", "7"]) == 0
print(time.perf_counter() - started)
"""


def test_two_processes_saving_50_fixes_each_keep_all_100(either):
    savers = [subprocess.Popen([sys.executable, "-c", SAVER, name], stdout=subprocess.PIPE,
                               text=True) for name in ("Left", "Right")]
    seconds = [float(saver.communicate(timeout=300)[0].split()[-1]) for saver in savers]
    assert [saver.returncode for saver in savers] == [0, 0]
    listed = json.loads(dashboard("fix", "--list", "--json").stdout)
    assert len(listed) == 100
    assert {fix["place"] for fix in listed} == {f"{side} {n}" for side in ("Left", "Right")
                                                for n in range(50)}
    print(f"2 x 50 fixes saved at once ({'database' if either else 'files'}): "
          f"{max(seconds):.2f} s")


def blocked_on_a_lock(url: str) -> bool:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        return bool(connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone()[0])


def test_the_store_stopping_mid_save_leaves_nothing_half_written_and_saving_resumes(
        team, cluster):
    import psycopg

    store.save_override("kabul|AF", store.new_fix("Kabul", 34.5, 69.2, "Kabul", by="ana"))
    before = store.read_saved()
    # Another analyst's save holds the counter: ours writes its entry, then waits there.
    holder = psycopg.connect(team)
    holder.execute("SELECT counter FROM saved_version FOR UPDATE")
    with ThreadPoolExecutor(1) as pool:
        saving = pool.submit(store.save_override, "mosul|IQ",
                             store.new_fix("Mosul", 36.3, 43.1, "Mosul", by="ana"))
        deadline = time.monotonic() + 30
        while not blocked_on_a_lock(team):
            assert time.monotonic() < deadline, "the save never reached the counter"
            time.sleep(0.05)
        cluster.stop()
        with pytest.raises(store.SaveError) as refused:
            saving.result(timeout=60)
    holder.close()
    said = str(refused.value)
    assert said.startswith(f"not saved: the shared store at 127.0.0.1:{cluster.port} is "
                           "unreachable")
    assert "\n" not in said
    assert postgres.PASSWORD not in said

    # While it is down the page goes on with what it read, and says so.
    down = store.read_saved()
    assert down.fixes == before.fixes
    assert down.fingerprint == before.fingerprint
    assert "could not be read" in down.notices[database.NOTICE]
    with pytest.raises(store.SaveError):
        store.save_override("x|", store.new_fix("X", 1.0, 1.0, "X", by="ana"))

    cluster.start()
    back = store.read_saved()
    assert back.fixes == before.fixes  # Mosul's entry went with its transaction
    assert database.NOTICE not in back.notices
    assert database.NOTICE in back.read_well
    store.save_override("mosul|IQ", store.new_fix("Mosul", 36.3, 43.1, "Mosul", by="ana"))
    assert set(store.read_saved().fixes) == {"kabul|AF", "mosul|IQ"}  # same process


def test_a_change_in_another_process_changes_the_next_fingerprint(team):
    empty = store.read_saved()
    assert store.read_saved().fingerprint == empty.fingerprint  # unchanged: the same
    dashboard("fix", "Xyzzyville", "--lat", "1", "--lon", "2")
    fixed = store.read_saved()
    assert fixed.fingerprint != empty.fingerprint
    assert list(fixed.fixes) == ["xyzzyville|"]
    dashboard("fix", "--remove", "Xyzzyville")
    # The fingerprint follows what is saved: the same choices, the same fingerprint (a
    # snapshot another server made of them is good here too).
    assert store.read_saved().fingerprint == empty.fingerprint


def test_each_fix_says_who_saved_it_and_when(team):
    store.save_override("kabul|AF", store.new_fix("Kabul", 34.5, 69.2, "Kabul", by="ana"))
    fix = store.read_saved().fixes["kabul|AF"]
    assert fix["by"] == "ana"
    assert abs(pd.Timestamp(fix["at"]) - pd.Timestamp.now(tz="UTC")) < pd.Timedelta("1min")


def test_an_older_schema_is_migrated_and_keeps_what_was_saved(cluster, monkeypatch):
    import psycopg

    url = cluster.new_database()
    with psycopg.connect(url) as connection:
        database.migrate(connection, to=1)  # as the first version of the app left it
        connection.execute("INSERT INTO entries VALUES ('fixes', 'kabul|AF', "
                           "'{\"latitude\": 34.5, \"longitude\": 69.2}')")
        connection.execute("UPDATE saved_version SET counter = 1")
    monkeypatch.setenv(store.DATABASE_ENV, url)
    assert store.read_saved().fixes == {"kabul|AF": {"latitude": 34.5, "longitude": 69.2}}
    store.save_override("mosul|IQ", store.new_fix("Mosul", 36.3, 43.1, "Mosul", by="ana"))
    with psycopg.connect(url) as connection:
        versions = connection.execute(
            "SELECT version FROM schema_version ORDER BY version").fetchall()
        made_by = connection.execute("SELECT key, made_by FROM entries ORDER BY key").fetchall()
    assert [v for (v,) in versions] == list(range(1, database.SCHEMA_VERSION + 1))
    assert made_by == [("kabul|AF", None), ("mosul|IQ", "ana")]


def test_a_schema_newer_than_the_app_is_not_written_to(cluster, monkeypatch):
    import psycopg

    url = cluster.new_database()
    with psycopg.connect(url) as connection:
        database.migrate(connection)
        connection.execute("INSERT INTO schema_version (version) VALUES (%s)",
                           (database.SCHEMA_VERSION + 1,))
    monkeypatch.setenv(store.DATABASE_ENV, url)
    with pytest.raises(store.SaveError, match="newer than this dashboard"):
        store.save_override("x|", store.new_fix("X", 1.0, 1.0, "X", by="ana"))
    assert "upgrade the dashboard" in store.read_saved().notices[database.NOTICE]


def test_the_password_is_never_said(cluster, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    down = f"postgresql://postgres:{postgres.PASSWORD}@127.0.0.1:{postgres.free_port()}/x"
    # psycopg quotes a URL it cannot parse, password and all.
    garbled = f"postgresql://postgres:{postgres.PASSWORD}@[127.0.0.1/x"
    wrong = cluster.url().replace(postgres.PASSWORD, postgres.PASSWORD + "-not")
    said = []
    for url in (down, garbled, wrong):
        monkeypatch.setenv(store.DATABASE_ENV, url)
        with pytest.raises(store.SaveError) as refused:
            store.save_override("x|", store.new_fix("X", 1.0, 1.0, "X", by="ana"))
        said += [str(refused.value), repr(store.backend()),
                 *store.read_saved().notices.values()]
        failed = dashboard("fix", "X", "--lat", "1", "--lon", "1", check=False)
        assert failed.returncode == 2
        said.append(failed.stderr)
    assert "authentication failed" in said[-1]  # the reason is said, the secret is not
    for text in [*said, caplog.text, cluster.log()]:
        assert postgres.PASSWORD not in text


def test_online_answers_are_shared_through_the_store(team, cluster):
    first, second = online.configured(), online.configured()  # two servers' clients
    assert isinstance(first.cache, database.SharedAnswers)
    first.cache.put("q|kabul|af", online.Answer(34.5, 69.2))
    first.cache.put("q|nowhere|", online.Answer())
    assert second.cache.get("q|kabul|af") == online.Answer(34.5, 69.2)
    assert second.cache.get("q|nowhere|") == online.Answer()  # "not found" is kept too
    cluster.stop()
    try:  # a cache that cannot be reached misses; it never fails a load
        assert second.cache.get("q|kabul|af") is None
        second.cache.put("q|mosul|iq", online.Answer(36.3, 43.1))
    finally:
        cluster.start()


NO_DRIVER = """
import sys
from dashboard import cli, online, store
store.save_override("x|", store.new_fix("X", 1.0, 2.0, "X", by="me"))
assert store.read_saved().fixes
online.configured()
print(sorted(name for name in sys.modules if name.split(".")[0] == "psycopg"))
"""


def test_one_person_needs_no_database_driver():
    loaded = subprocess.run([sys.executable, "-c", NO_DRIVER], capture_output=True,
                            text=True, check=True, timeout=120)
    assert loaded.stdout.strip() == "[]"


DIES_MID_SNAPSHOT = """
import sys
from pathlib import Path
from dashboard import dataset
import os
Path.rename = lambda *args: os._exit(3)  # every part written, not yet renamed into place
dataset.load_path(Path(sys.argv[1]))
"""


def test_snapshots_go_to_the_shared_folder_whole_or_not_at_all(write_csv, tmp_path,
                                                                monkeypatch):
    shared = tmp_path / "shared-snapshots"
    monkeypatch.setenv(snapshot.FOLDER_ENV, str(shared))
    path = write_csv(PLACED)
    died = subprocess.run([sys.executable, "-c", DIES_MID_SNAPSHOT, str(path)],
                          env=dict(os.environ), check=False, timeout=120)
    assert died.returncode == 3
    assert [p.name.startswith(".partial-") for p in shared.iterdir()] == [True]
    reads = []
    monkeypatch.setattr(snapshot, "read", lambda key, read=snapshot.read: reads.append(
        read(key)) or reads[-1])
    first = dataset.load_path(path)
    assert reads == [None]  # the half-written one was not taken for a snapshot
    second = dataset.load_path(path)
    assert reads[-1] is not None  # the whole one is
    pd.testing.assert_frame_equal(first.accepted, second.accepted)
    assert not (store.home() / snapshot.FOLDER).exists()


def test_reads_and_saves_take_milliseconds(team):
    """Not a limit, a measure (printed with -s): a save, and a run's read of 1,000 fixes
    when nothing changed and when something did."""
    for number in range(1000):
        store.backend().save("fixes", f"place {number}|", store.new_fix(
            f"place {number}", 1.0, 2.0, "x", by="ana"))
    timings = {}
    started = time.perf_counter()
    store.save_override("one more|", store.new_fix("one more", 1.0, 2.0, "x", by="ana"))
    timings["save"] = time.perf_counter() - started
    started = time.perf_counter()
    assert len(store.read_saved().fixes) == 1001
    timings["read 1,001 fixes after a change"] = time.perf_counter() - started
    started = time.perf_counter()
    store.read_saved()
    timings["read, unchanged"] = time.perf_counter() - started
    print({name: f"{seconds * 1000:.0f} ms" for name, seconds in timings.items()})
    assert all(seconds < 5 for seconds in timings.values())


class SignedIn:
    """Streamlit's request context as the sign-in proxy's request makes it."""

    def __init__(self, real, user: str):
        self.real, self.headers = real, {"X-Forwarded-User": user}

    def __getattr__(self, name: str):
        return getattr(self.real, name)


def test_the_page_records_who_saved_and_keeps_serving_while_the_store_is_down(
        team, cluster, monkeypatch, write_csv):
    import streamlit as st

    from conftest import opened

    monkeypatch.setattr(st, "context", SignedIn(st.context, "ana@desk"))
    at = opened(monkeypatch, write_csv(PLACED))
    label = next(o for o in at.selectbox(key="review-place").options
                 if o.startswith("Xyzzyville"))
    at.selectbox(key="review-place").select(label).run()
    at.radio(key="review-pick").set_value(at.radio(key="review-pick").options[-1]).run()
    at.number_input(key="fix-latitude").set_value(10.5).run()
    at.number_input(key="fix-longitude").set_value(12.25).run()
    at.button(key="review-save").click().run()
    assert not at.exception
    assert store.read_saved().fixes["xyzzyville|NG"]["by"] == "ana@desk"
    (listed,) = [frame.value for frame in at.dataframe if "by" in frame.value.columns]
    assert listed[["place", "by"]].values.tolist() == [["Xyzzyville", "ana@desk"]]

    cluster.stop()
    try:
        at.run()
        assert not at.exception
        assert any("could not be read" in warning.value for warning in at.sidebar.warning)
        # Still placed by the fix it read before.
        (listed,) = [frame.value for frame in at.dataframe if "by" in frame.value.columns]
        assert listed["place"].tolist() == ["Xyzzyville"]
    finally:
        cluster.start()
    at.run()
    assert not any("could not be read" in w.value for w in at.sidebar.warning)


def signer() -> None:
    import streamlit as st

    from dashboard.ui.data import user_ui

    st.write(user_ui())


@pytest.mark.parametrize("team_mode", [False, True])
def test_the_proxys_user_header_is_trusted_only_in_team_mode(monkeypatch, team_mode):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    if team_mode:  # never contacted: who is signed in comes from the request
        monkeypatch.setenv(store.DATABASE_ENV, "postgresql://127.0.0.1:9/none")
    monkeypatch.setattr(st, "context", SignedIn(st.context, "ana@desk"))
    at = AppTest.from_function(signer).run()
    assert [m.value for m in at.markdown] == ["ana@desk" if team_mode else store.local_user()]


# Made-up names (no gazetteer has them): only a learned file can place them.
CODED = ("event_id,date,place,country,admin1,admin2,latitude,longitude\n"
         "c1,2015-01-01,Qurzakawa village,Nigeria,Borno,Konduga,11.61,13.42\n"
         "c2,2015-01-02,Qurzakawa village,Nigeria,Borno,Konduga,11.62,13.41\n")
UNCODED = ("event_id,date,place,country,admin1,admin2\n"
           "u1,2016-01-01,Qurzakawa village,Nigeria,Borno,Konduga\n")


def test_places_learned_on_one_server_place_names_on_another(team, write_csv, tmp_path,
                                                            monkeypatch):
    coded = write_csv(CODED, "coded.csv")
    assert "learned 1 place name" in dashboard("learn", str(coded)).stdout
    # Another process, with a home of its own: the learned places are in the store only.
    monkeypatch.setenv(store.HOME_ENV, str(tmp_path / "elsewhere"))
    out = tmp_path / "placed.csv"
    dashboard("geocode", str(write_csv(UNCODED, "uncoded.csv")), "-o", str(out), "--no-learn")
    row = pd.read_csv(out).iloc[0]
    assert row["geo_method"] == "learned"
    assert abs(row["latitude"] - 11.615) < 0.01  # the median of its two points
    assert not (tmp_path / "elsewhere" / store.LEARNED_FOLDER).exists()
    (listed,) = json.loads(dashboard("learn", "--list", "--json").stdout)
    assert (listed["name"], listed["rows"]) == ("coded.csv", 2)
    assert "learned from already" in dashboard("learn", str(coded)).stdout  # once per file

    database.last_reads.clear()  # as a new server process would
    assert [f["name"] for f in store.read_saved().learned.files] == ["coded.csv"]
    dashboard("learn", "--forget", listed["sha256"][:12])
    assert json.loads(dashboard("learn", "--list", "--json").stdout) == []
    assert not store.read_saved().learned  # this process sees it at its next read


def test_learning_while_the_store_is_down_is_refused_and_keeps_nothing(team, cluster,
                                                                      write_csv):
    table = dataset.load_path(write_csv(CODED, "coded.csv"))
    cluster.stop()
    try:
        with pytest.raises(store.SaveError, match=r"^not saved: the shared store at "):
            store.learn(table.files[0]["sha256"], "coded.csv", table.accepted)
    finally:
        cluster.start()
    assert not store.read_saved().learned
    assert store.learn(table.files[0]["sha256"], "coded.csv", table.accepted)
    assert [f["name"] for f in store.learned_files()] == ["coded.csv"]

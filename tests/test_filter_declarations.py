"""Every declared filter, walked through each front door: the link (URL -> filters ->
URL), `dashboard export` (its rows are the rows `matching` picks) and the page (it shows
as many incidents). A new declaration is walked too, once it has a test value here."""

import dataclasses
import datetime as dt

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard.cli import OPTION_KINDS, main
from dashboard.dataset import load_path
from dashboard.export import to_csv_bytes
from dashboard.filters import (
    FILTERS,
    KINDS,
    QUERY_NAMES,
    Filter,
    Filters,
    apply_filters,
    from_query,
    to_arguments,
    to_query,
)
from dashboard.ui.sidebar import WIDGETS
from dashboard.vicinity import locate_near

from conftest import ROOT

# n3's place is unknown: it is placed only at its country.
TABLE = """event_id,date,country,admin1,place,fatalities,actor,event_type,notes
n1,2019-03-01,Nigeria,Borno,Maiduguri,4,ISWAP,Battles,attack on a base
n2,2020-06-13,Nigeria,Yobe,Buni Yadi,20,ISWAP,Explosions,bomb in the market
n3,2021-06-01,Nigeria,,Xyzzy-unknown,,ISWAP,Battles,three
i1,2016-07-03,Iraq,Baghdad,Baghdad,300,Islamic State,Explosions,Market bombing
a1,2021-06-12,Afghanistan,Kabul,Kabul,7,ISKP,Battles,five
m1,2018-05-19,Mali,Mopti,Mopti,3,JNIM,Battles,ambush
"""
# A value for each declared filter (by field) that picks some of TABLE's rows, not all.
EXAMPLES = {
    "start": dt.date(2020, 1, 1),
    "end": dt.date(2020, 12, 31),
    "countries": ("Nigeria",),
    "admin1": ("Borno",),
    "actors": ("ISKP",),
    "families": ("al-Qaeda",),
    "event_types": ("Explosions",),
    "text": "market",
    "min_fatalities": 10,
    "hide_country_level": True,
    "near": locate_near("Maiduguri, Nigeria", 50),
}


@pytest.fixture
def table(write_csv):
    path = write_csv(TABLE)
    return path, load_path(path).accepted


def example(declared: Filter, incidents) -> Filters:
    """The filters of the whole period with this filter's test value set: a link the page
    writes always holds the period, so these come back from a URL exactly."""
    if declared.field not in EXAMPLES:
        pytest.fail(f"filter {declared.field!r} has no test value: add one to EXAMPLES")
    dates = incidents["date"].dropna()
    whole = Filters(start=dates.min().date(), end=dates.max().date())
    return dataclasses.replace(whole, **{declared.field: EXAMPLES[declared.field]})


def test_the_filters_fields_are_the_declarations():
    fields = dataclasses.fields(Filters)
    assert [f.name for f in fields] == [declared.field for declared in FILTERS]
    assert [f.default for f in fields] == [declared.unset for declared in FILTERS]
    assert sorted(EXAMPLES) == sorted(declared.field for declared in FILTERS)
    assert len(set(QUERY_NAMES)) == len(QUERY_NAMES)  # no URL name taken twice
    assert set(WIDGETS) == set(OPTION_KINDS) == set(KINDS)  # every kind drawn and typed


@pytest.mark.parametrize("declared", FILTERS, ids=lambda declared: declared.field)
def test_url_to_filters_to_url(table, declared):
    _, incidents = table
    filters = example(declared, incidents)
    known = {d.field: set(incidents[d.column].dropna().astype(str))
             for d in FILTERS if d.kind == "choices"}
    query = to_query(filters)
    assert declared.name in query
    back, notices = from_query(query, known, filters.start, filters.end)
    assert (back, notices) == (filters, [])
    assert to_query(back) == query


@pytest.mark.parametrize("declared", FILTERS, ids=lambda declared: declared.field)
def test_export_writes_the_rows_matching_picks(table, tmp_path, declared):
    path, incidents = table
    filters = example(declared, incidents)
    shown = apply_filters(incidents, filters)
    assert 0 < len(shown) < len(incidents)  # the test value narrows, and not to nothing
    out = tmp_path / "out.csv"
    arguments = to_arguments(filters)
    assert declared.option in arguments
    assert main(["export", str(path), "-o", str(out), *arguments]) == 0
    assert out.read_bytes() == to_csv_bytes(shown)


@pytest.mark.parametrize("declared", FILTERS, ids=lambda declared: declared.field)
def test_the_page_opened_with_the_link_shows_those_rows(table, monkeypatch, declared):
    path, incidents = table
    filters = example(declared, incidents)
    query = to_query(filters)
    monkeypatch.setenv("DASHBOARD_DATA", str(path))
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, values in query.items():
        at.query_params[name] = values
    at.run()
    assert not at.exception
    assert not [info.value for info in at.sidebar.info]  # no part of the link ignored
    figures = {metric.label: metric.value for metric in at.metric}
    assert figures["Incidents"] == str(len(apply_filters(incidents, filters)))
    # ... and the link the page writes back says the same filters.
    written = {name: at.query_params[name] for name in QUERY_NAMES if name in at.query_params}
    assert {name: value if isinstance(value, list) else [value]
            for name, value in written.items()} == query

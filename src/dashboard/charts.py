"""What the filtered incidents add up to: a sentence, and Altair charts over time and
by region, built from small aggregates (never the rows themselves)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import altair as alt
import pandas as pd

from dashboard.gazetteer import DATA_DIR
from dashboard.geo import is_placed
from dashboard.layers import OTHER, PALETTE
from dashboard.wording import plural

REGIONS_PATH = DATA_DIR / "regions.csv"
UNKNOWN_REGION = "country unknown"
TOP = 10
COLOURS = ["#{:02x}{:02x}{:02x}".format(*rgb) for rgb in [*PALETTE, OTHER]]
CHART_COLUMNS = ["date", "country", "country_code", "place", "admin1", "actor",
                 "fatalities", "latitude"]
# The columns `totals` reads: callers pass only these.
TOTALS_COLUMNS = ["country", "fatalities", "latitude", "longitude"]


@functools.cache
def regions() -> dict[str, str]:
    """ISO alpha-2 code -> World Bank region (built by scripts/build_regions.py)."""
    # keep_default_na=False: "NA" is Namibia.
    table = pd.read_csv(REGIONS_PATH, dtype=str, keep_default_na=False)
    return dict(zip(table["country_code"], table["region"], strict=True))


def region_of(country_code: pd.Series) -> pd.Series:
    # A categorical column maps its few categories, not its million rows.
    return country_code.map(regions()).astype("string").fillna(UNKNOWN_REGION)


@dataclass(frozen=True)
class Totals:
    """The figures above the map, counted once for the sentence and the metrics."""

    incidents: int
    fatalities: int
    countries: int
    unplaced: int


def totals(incidents: pd.DataFrame) -> Totals:
    """The figures of ``incidents`` (TOTALS_COLUMNS suffice)."""
    return Totals(incidents=len(incidents), fatalities=int(incidents["fatalities"].sum()),
                  countries=incidents["country"].nunique(),
                  unplaced=int((~is_placed(incidents)).sum()))


def summarise(shown: Totals, start: dt.date | None, end: dt.date | None,
              loaded: int | None = None) -> str:
    """One sentence for screen readers and for people who would rather read; when the
    filters leave some of the ``loaded`` incidents out, it says of how many."""
    count, fatalities, countries = shown.incidents, shown.fatalities, shown.countries
    period = f", {day(start)} to {day(end)}" if start and end else ""
    of = f"{count:,} of {plural(loaded, 'incident')}" if loaded and count < loaded else (
        plural(count, "incident"))
    return (f"{of}, {plural(fatalities, 'fatality', 'fatalities')}, "
            f"in {plural(countries, 'country', 'countries')}{period}; "
            f"{shown.unplaced:,} not placed.")


def day(date: dt.date) -> str:
    return f"{date.day} {date:%b %Y}"  # "1 Jan 2020"


def monthly(incidents: pd.DataFrame, by: str) -> pd.DataFrame:
    """Incidents and fatalities per month and group: ``by`` is "region" or "country"
    (the TOP countries by incidents, the rest together)."""
    if by == "region":
        group = region_of(incidents["country_code"])
    else:
        group = incidents["country"].astype("string").fillna("country unknown")
        top = group.value_counts().head(len(PALETTE)).index
        group = group.where(group.isin(top), "other countries")
    frame = pd.DataFrame({"month": incidents["date"].dt.to_period("M").dt.start_time,
                          "group": group.astype(str),
                          "fatalities": incidents["fatalities"].fillna(0).astype("int64")})
    return frame.groupby(["month", "group"], as_index=False).agg(
        incidents=("fatalities", "size"), fatalities=("fatalities", "sum"))


def region_share(incidents: pd.DataFrame) -> pd.DataFrame:
    """Each region's share of the incidents per year."""
    frame = pd.DataFrame({"year": incidents["date"].dt.year,
                          "region": region_of(incidents["country_code"])}).dropna()
    counts = frame.groupby(["year", "region"], as_index=False).size()
    counts["share"] = counts["size"] / counts.groupby("year")["size"].transform("sum")
    return counts.astype({"year": "int64"})


def top(incidents: pd.DataFrame, column: str) -> pd.DataFrame:
    counts = incidents[column].value_counts()
    counts = counts[counts > 0].head(TOP)  # a categorical column counts absent values too
    return pd.DataFrame({column: counts.index.astype(str), "incidents": counts.to_numpy()})


def colour(field: str) -> alt.Color:
    return alt.Color(f"{field}:N", scale=alt.Scale(range=COLOURS), title=None,
                     legend=alt.Legend(orient="bottom", columns=3))


def monthly_chart(incidents: pd.DataFrame, by: str, measure: str) -> alt.Chart:
    data = monthly(incidents, by)
    return alt.Chart(data, title=f"{measure.capitalize()} per month, by {by}").mark_bar().encode(
        x=alt.X("yearmonth(month):T", title=None),
        y=alt.Y(f"sum({measure}):Q", title=measure),
        color=colour("group"),
        tooltip=[alt.Tooltip("yearmonth(month):T", title="month"), "group:N",
                 alt.Tooltip(f"sum({measure}):Q", title=measure)])


def region_share_chart(incidents: pd.DataFrame) -> alt.Chart:
    data = region_share(incidents)
    return alt.Chart(data, title="Share of incidents by region, per year").mark_area().encode(
        x=alt.X("year:O", title=None),
        y=alt.Y("share:Q", stack="normalize", axis=alt.Axis(format="%"), title="share"),
        color=colour("region"),
        tooltip=["year:O", "region:N", alt.Tooltip("share:Q", format=".0%"),
                 alt.Tooltip("size:Q", title="incidents")])


def top_chart(incidents: pd.DataFrame, column: str, title: str) -> alt.Chart:
    data = top(incidents, column)
    return alt.Chart(data, title=title).mark_bar(color=COLOURS[4]).encode(
        x=alt.X("incidents:Q", title="incidents"),
        y=alt.Y(f"{column}:N", sort="-x", title=None),
        tooltip=[f"{column}:N", "incidents:Q"])

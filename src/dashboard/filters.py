"""What the user chose to look at, the rows that match it, and the URL that says it.

Each filter is declared once, in `FILTERS`: its field of `Filters`, its URL name, its
`dashboard export` option, its kind (how it is read, written and drawn), its widget's
label and how it matches rows. `matching`, the URL (`from_query`, `to_query`), the export
options (`to_arguments`; `cli.add_filter_options`, `cli.filters_from_args`), `describe`
(the summary and provenance) and the sidebar (`ui.sidebar.filters_ui`) all walk that list.
See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.geo import is_placed
from dashboard.vicinity import (
    DEFAULT_KM,
    Near,
    Unresolved,
    locate_near,
    parse_km,
    within,
    written_km,
)

if TYPE_CHECKING:
    from dashboard.gazetteer import Gazetteer

# The kinds of filter; each is read from the URL and the command line, written back,
# described and drawn in one way (its widget in `ui.sidebar.WIDGETS`).
# - "period": a date bounding the period, inclusive; the two (start, then end) share one
#   slider and are clipped to the data's dates.
# - "choices": any of the values of a column the data has (none chosen: all).
# - "text": text searched for, any case, at most MAX_SEARCH characters.
# - "at_least": a whole number a row's count must reach (0: all).
# - "flag": on or off (URL value "1").
# - "near": a place and a radius (`vicinity.Near`), under two URL names: the filter's
#   own for the place, its ``radius`` for the kilometres (DEFAULT_KM when not given).
KINDS = ("period", "choices", "text", "at_least", "flag", "near")
UNSET = {"period": None, "choices": (), "text": "", "at_least": 0, "flag": False,
         "near": None}
SEARCHED = ["place", "notes"]
MAX_SEARCH = 200

Matcher = Callable[[pd.DataFrame, Any], np.ndarray]


@dataclass(frozen=True)
class Filter:
    """One filter, declared once; see the module's docstring for what reads it."""

    field: str  # its field of `Filters`, and its widget's session-state key
    name: str  # its URL query name
    option: str  # its `dashboard export` option
    kind: str  # one of KINDS
    label: str  # the widget's label
    matches: Matcher  # one boolean per row: kept by a value that is set
    column: str = ""  # "choices": the column whose values it offers
    metavar: str = ""  # the option's placeholder in `dashboard export --help`
    help: str = ""  # the option's help
    widget_help: str = ""  # the widget's help (a tooltip)
    follows: str = ""  # "choices": the field whose chosen values narrow its offers
    # "choices" typed on the command line: the data's spelling of a value as typed
    # (a country through the gazetteer); without it a value must be written as in the file.
    spelling: Callable[[str, Gazetteer], str] | None = None
    radius: str = ""  # "near": the URL name of its kilometres (its option: "--" + it)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"filter {self.field}: unknown kind {self.kind!r}")
        if (self.kind == "choices") != bool(self.column):
            raise ValueError(f"filter {self.field}: a column if and only if it is a choice")

    @property
    def names(self) -> tuple[str, ...]:
        """Its URL query names: its own, and its radius's if it has one."""
        return (self.name, self.radius) if self.radius else (self.name,)

    def option_of(self, name: str) -> str:
        """The `dashboard export` option of one of its URL names."""
        return self.option if name == self.name else f"--{name}"

    @property
    def unset(self) -> Any:
        return UNSET[self.kind]

    def is_set(self, value: Any) -> bool:
        """Whether ``value`` narrows the rows (a negative least count does not)."""
        return value > 0 if self.kind == "at_least" else bool(value)


def bools(values: pd.Series, missing: bool = False) -> np.ndarray:
    return values.to_numpy(dtype=bool, na_value=missing)


def on_or_after(column: str) -> Matcher:
    return lambda rows, day: bools(rows[column] >= pd.Timestamp(day))


def on_or_before(column: str) -> Matcher:
    return lambda rows, day: bools(rows[column] <= pd.Timestamp(day))


def one_of(column: str) -> Matcher:
    """Rows whose ``column`` holds one of the chosen values (a table without the column:
    every row, as an upload without actors is not emptied by an actor in the link)."""
    return lambda rows, chosen: (bools(rows[column].isin(chosen)) if column in rows
                                 else np.ones(len(rows), dtype=bool))


def contains(*columns: str) -> Matcher:
    """Rows where any of ``columns`` holds the text, any case, literally (not a pattern)."""

    def match(rows: pd.DataFrame, text: str) -> np.ndarray:
        found = np.zeros(len(rows), dtype=bool)
        for column in columns:
            found |= bools(rows[column].str.contains(text, case=False, regex=False))
        return found

    return match


def at_least(column: str) -> Matcher:
    """Rows whose ``column`` reaches the count; an unknown count does not."""
    return lambda rows, least: bools(rows[column] >= least)


def placed_finer_than_country(rows: pd.DataFrame, _on: bool) -> np.ndarray:
    # Rows not placed at all stay: they are not "placed only at their country".
    return bools(rows["geo_precision"] != "country", missing=True)


def country_spelling(name: str, gazetteer: Gazetteer) -> str:
    """A country as the gazetteer names it ("nigeria", "NG": "Nigeria"); a name it does
    not know as typed (it may still be the file's own spelling)."""
    code = gazetteer.country_code(name)
    return (gazetteer.country_name(code) or name) if code else name


FILTERS = (
    Filter("start", "start", "--start", "period", "Period", on_or_after("date"),
           metavar="YYYY-MM-DD"),
    Filter("end", "end", "--end", "period", "Period", on_or_before("date"),
           metavar="YYYY-MM-DD"),
    Filter("countries", "country", "--country", "choices", "Countries", one_of("country"),
           column="country", metavar="NAME", spelling=country_spelling),
    Filter("admin1", "admin1", "--admin1", "choices", "Regions (admin-1)", one_of("admin1"),
           column="admin1", metavar="NAME", follows="countries",
           help="a region (state, province) as the file names it",
           widget_help="States, provinces, governorates; the list follows the chosen "
                       "countries."),
    Filter("actors", "actor", "--actor", "choices", "Actors", one_of("actor"),
           column="actor", metavar="NAME"),
    Filter("families", "family", "--family", "choices", "Actor families",
           one_of("actor_family"), column="actor_family", metavar="FAMILY",
           help="an actor family of data/actor_families.csv (\"Islamic State\": IS, ISIL, "
                "ISWAP, ISKP, ...)",
           widget_help="Groups of actor names from data/actor_families.csv: \"Islamic "
                       "State\" holds IS, ISIS, ISIL and every province (ISWAP, ISGS, ISKP, "
                       "ISCAP, Sinai); an incident whose actor has none takes the other "
                       "side's."),
    Filter("event_types", "type", "--type", "choices", "Event types", one_of("event_type"),
           column="event_type", metavar="EVENT_TYPE"),
    Filter("text", "q", "--search", "text", "Search place and notes", contains(*SEARCHED),
           metavar="TEXT", help="rows whose place or notes contain TEXT (any case)"),
    Filter("min_fatalities", "min_fatalities", "--min-fatalities", "at_least",
           "At least this many fatalities", at_least("fatalities"), metavar="N"),
    Filter("hide_country_level", "hide_country_level", "--hide-country-level", "flag",
           "Hide incidents placed only at country level", placed_finer_than_country,
           help="leave out incidents placed only at their country"),
    Filter("near", "near", "--near", "near", "Near a place", within, radius="km",
           metavar="TEXT",
           help="rows whose point lies within --km (default 50) of a place ('Palma, "
                "Mozambique') or of coordinates ('-10.77, 40.47'); rows with no point are "
                "left out, and counted",
           widget_help="A town, 'Town, Country' or coordinates ('-10.77, 40.47'). "
                       "Incidents with no point on the map are left out."),
)
DECLARED = {declared.field: declared for declared in FILTERS}
PERIOD_FILTERS = tuple(declared for declared in FILTERS if declared.kind == "period")
QUERY_NAMES = [name for declared in FILTERS for name in declared.names]


@dataclass(frozen=True)
class Filters:
    """A view of the incidents; an empty choice means all, and every filter combines
    with every other. One field per declaration in FILTERS, in its order (a test holds
    them equal): written out for readers and type checkers."""

    start: dt.date | None = None  # inclusive
    end: dt.date | None = None  # inclusive
    countries: tuple[str, ...] = ()
    admin1: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    families: tuple[str, ...] = ()  # actor families (the `actor_family` column)
    event_types: tuple[str, ...] = ()
    text: str = ""  # in the place or the notes, any case
    min_fatalities: int = 0
    hide_country_level: bool = False  # incidents placed only at their country
    near: Near | None = None  # within some km of a place


def matching(incidents: pd.DataFrame, filters: Filters) -> np.ndarray:
    """One boolean per row: whether it matches every filter that is set."""
    keep = np.ones(len(incidents), dtype=bool)
    for declared in FILTERS:
        value = getattr(filters, declared.field)
        if declared.is_set(value):
            keep &= declared.matches(incidents, value)
    return keep


def unplaced_near(incidents: pd.DataFrame, filters: Filters) -> int:
    """How many rows every other filter keeps that the distance filter leaves out only
    for having no point (they might be near)."""
    others = matching(incidents, dataclasses.replace(filters, near=None))
    return int((others & ~is_placed(incidents).to_numpy()).sum())


def apply_filters(incidents: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows that match every filter that is set, in their original order."""
    return Selection(incidents, filters).rows()


class Selection:
    """The rows a filter picks, copied only as far as each use needs.

    A loaded table has about thirty columns; copying all of them for a million rows on
    every filter change takes longer than drawing the map, which needs three to ten.
    """

    def __init__(self, incidents: pd.DataFrame, filters: Filters):
        self.incidents = incidents
        mask = matching(incidents, filters)
        self.everything = bool(mask.all())
        # Row positions, not the mask: taking a few rows beats masking all of them, and
        # a cached selection of a million rows holds 4 MB, not 9.
        self.positions = np.flatnonzero(mask).astype(np.int32 if len(mask) < 2**31
                                                     else np.int64)

    def __len__(self) -> int:
        return len(self.positions)

    def placed_count(self) -> int:
        return int(is_placed(self.incidents).to_numpy()[self.positions].sum())

    def columns(self, names: list[str]) -> pd.DataFrame:
        """The matching rows, only the ``names`` the table has."""
        present = [name for name in names if name in self.incidents.columns]
        return self.incidents[present] if self.everything else self.incidents[
            present].iloc[self.positions]

    def rows(self, limit: int | None = None) -> pd.DataFrame:
        """Every column of the matching rows (the first ``limit`` of them if given).

        Unfiltered, the shared table itself: a copy per session per rerun is what would
        make memory grow with every user (callers never modify what they get).
        """
        if self.everything and limit is None:
            return self.incidents
        return self.incidents.iloc[self.positions[:limit]]


def windows(start: dt.date, end: dt.date, step: str) -> list[tuple[dt.date, dt.date]]:
    """The playback's windows over [start, end]: calendar months or weeks (from Monday),
    the first and last clipped to the period."""
    frequency = {"month": "MS", "week": "W-MON"}[step]
    first = pd.Timestamp(start).to_period("M" if step == "month" else "W-SUN").start_time
    starts = pd.date_range(first, end, freq=frequency)
    return [(max(a.date(), start), min((b - pd.Timedelta(days=1)).date(), end))
            for a, b in zip(starts, [*starts[1:], starts[-1] + starts.freq], strict=True)]


def written_query(declared: Filter, value: Any) -> dict[str, list[str]]:
    """A value that is set, as the values of each of its URL names (and options)."""
    if declared.kind == "near":
        return {declared.name: [value.text], declared.radius: [written_km(value.km)]}
    return {declared.name: written(declared, value)}


def written(declared: Filter, value: Any) -> list[str]:
    """A value that is set, as its URL query values (and its export option's)."""
    if declared.kind == "period":
        return [value.isoformat()]
    if declared.kind == "choices":
        return list(value)
    if declared.kind == "flag":
        return ["1"]
    return [str(value)]


def described(declared: Filter, value: Any) -> Any:
    """A value as plain JSON."""
    if declared.kind == "period":
        return value.isoformat() if value else None
    if declared.kind == "near":
        return {"text": value.text, "km": value.km, "latitude": value.latitude,
                "longitude": value.longitude, "found": value.label} if value else None
    return list(value) if declared.kind == "choices" else value


def describe(filters: Filters) -> dict:
    """The filters as plain JSON values, by field, in `dashboard export`'s own terms."""
    return {declared.field: described(declared, getattr(filters, declared.field))
            for declared in FILTERS}


def to_arguments(filters: Filters) -> list[str]:
    """The `dashboard export` options that pick the same rows (the URL's, renamed)."""
    arguments = []
    for declared in FILTERS:
        value = getattr(filters, declared.field)
        if not declared.is_set(value):
            continue
        if declared.kind == "flag":  # no value
            arguments.append(declared.option)
        else:
            arguments += [part for name, texts in written_query(declared, value).items()
                          for text in texts for part in (declared.option_of(name), text)]
    return arguments


def read(declared: Filter, given: list[str], known: set[str],
         period: tuple[dt.date | None, dt.date | None]) -> tuple[Any, list[str]]:
    """One filter's value from its URL query values, and a notice for each value that
    was ignored."""
    name, kind = declared.name, declared.kind
    if kind == "choices":
        return (tuple(value for value in given if value in known),
                [f"{name}={value!r} is not in the data; ignored."
                 for value in given if value not in known])
    if kind == "period":
        return read_day(declared, given, period)
    if not given:
        return declared.unset, []
    value = given[-1]
    if kind == "text":
        return value[:MAX_SEARCH], []
    if kind == "flag":
        return value == "1", []
    if value.isascii() and value.isdigit():  # "²" is a digit to Python, not to int()
        return int(value), []
    return declared.unset, [f"{name}={value!r} is not a whole number; ignored."]


def read_day(declared: Filter, given: list[str],
             period: tuple[dt.date | None, dt.date | None]) -> tuple[Any, list[str]]:
    """A bound of the period: the data's own when not given, else clipped to the data's."""
    first, last = period
    default = first if declared is PERIOD_FILTERS[0] else last
    if not given:
        return default, []
    try:
        day = dt.date.fromisoformat(given[-1])
    except ValueError:
        return default, [f"{declared.name}={given[-1]!r} is not a YYYY-MM-DD date; ignored."]
    if first is None or last is None:
        return day, []
    clipped = min(max(day, first), last)
    if clipped == day:
        return day, []
    return clipped, [f"{declared.name}={given[-1]} is outside the data ({first.isoformat()} "
                     f"to {last.isoformat()}); {clipped.isoformat()} is used."]


def read_near(declared: Filter, params: dict[str, list[str]],
              gazetteer: Gazetteer | None) -> tuple[Near | None, list[str]]:
    """A place and radius from the URL; a place that names no point, or a radius that is
    not a usable distance, is said (the default radius is used for the latter)."""
    places, radii = params.get(declared.name, []), params.get(declared.radius, [])
    if not places or not places[-1].strip():
        return None, [f"{declared.radius}={radii[-1]!r} without {declared.name}=; ignored."
                      ] if radii else []
    notices = []
    km = DEFAULT_KM
    if radii:
        try:
            km = parse_km(radii[-1])
        except Unresolved as reason:
            notices.append(f"{declared.radius}={radii[-1]!r} is {reason}; {written_km(km)} "
                           "is used.")
    try:
        return locate_near(places[-1], km, gazetteer), notices
    except Unresolved as reason:
        return None, [*notices, f"{declared.name}: {reason}; the distance filter is not "
                                "applied."]


def from_query(params: dict[str, list[str]], known: dict[str, set[str]],
               first: dt.date | None, last: dt.date | None,
               gazetteer: Gazetteer | None = None) -> tuple[Filters, list[str]]:
    """Filters from URL query parameters, and a notice for each value that was ignored.

    ``known`` holds, per field of a "choices" filter, the values the data has: a country
    (or actor, ...) the data lacks is ignored. Dates (YYYY-MM-DD) are clipped to the
    data's period, [first, last]. A place (near=) is found in ``gazetteer`` (the embedded
    one unless given).
    """
    notices = []
    values = {}
    for declared in FILTERS:
        if declared.kind == "near":
            values[declared.field], said = read_near(declared, params, gazetteer)
        else:
            values[declared.field], said = read(declared, params.get(declared.name, []),
                                                known.get(declared.field, set()),
                                                (first, last))
        notices += said
    start, end = (values[declared.field] for declared in PERIOD_FILTERS)
    if start and end and start > end:
        notices.append(f"{PERIOD_FILTERS[0].name} is after {PERIOD_FILTERS[1].name}; "
                       "the whole period is shown.")
        values.update(zip((declared.field for declared in PERIOD_FILTERS), (first, last),
                          strict=True))
    return Filters(**values), notices


def to_query(filters: Filters) -> dict[str, list[str]]:
    """The URL query parameters that `from_query` reads back to the same filters."""
    return {name: texts for declared in FILTERS
            if declared.is_set(getattr(filters, declared.field))
            for name, texts in written_query(declared, getattr(filters, declared.field)).items()}

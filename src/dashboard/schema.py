"""Raw tables to canonical incidents, and the rows that could not be taken, with reasons.

The layout (ACLED, UCDP GED, GTD or a generic table) is recognised from its columns.
Column names map to canonical ones through ``SYNONYMS``, with ``LAYOUT_SYNONYMS`` first
where a layout's own names differ (GTD's ``country`` is a numeric code; its name is
``country_txt``), so a new layout is a new entry, not new code.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from dashboard.dates import PRECISIONS as DATE_PRECISIONS
from dashboard.dates import ParsedDates, parse_dates
from dashboard.geo import is_placed
from dashboard.sources import LoaderError, Malformed
from dashboard.wording import plural

CANONICAL_COLUMNS = [
    "event_id", "date", "date_end", "date_precision", "country", "country_code", "admin1",
    "admin2", "place", "latitude", "longitude", "geo_precision", "geo_method",
    "geo_ambiguous", "fatalities", "actor", "target", "event_type", "notes", "source",
    "source_url", "dataset", "flags",
]
TEXT_COLUMNS = [
    "event_id", "country", "country_code", "admin1", "admin2", "place", "actor", "target",
    "event_type", "notes", "source", "source_url", "dataset", "flags",
]
# Finest first. admin2 (a district) was not in the first design's list: UCDP codes it, and a
# village missing from the gazetteer is often placed by its district's main town.
GEO_PRECISIONS = ("exact", "place", "admin2", "admin1", "country", "unresolved")
GEO_METHODS = ("source", "gazetteer", "online", "manual", "learned")

# Column names tables use for a canonical column, matched case-insensitively; the first
# one present wins.
SYNONYMS = {
    "event_id": ["event_id", "id", "eventid", "event_id_cnty", "incident_id"],
    "date": ["date", "event_date", "date_start", "day", "start_date"],
    "date_end": ["date_end", "end_date"],
    "country": ["country", "country_txt", "nation", "country_code", "iso2"],
    "admin1": ["admin1", "adm_1", "provstate", "province", "state", "region"],
    "admin2": ["admin2", "adm_2", "district"],
    "place": ["place", "location", "where_coordinates", "city", "town", "locality"],
    "latitude": ["latitude", "lat", "y"],
    "longitude": ["longitude", "lon", "lng", "long", "x"],
    "fatalities": ["fatalities", "best", "nkill", "deaths", "killed", "dead"],
    "actor": ["actor", "actor1", "side_a", "gname", "perpetrator", "perpetrators", "group"],
    "target": ["target", "actor2", "side_b", "targtype1_txt"],
    "event_type": ["event_type", "attacktype1_txt", "type"],
    "notes": ["notes", "summary", "source_headline", "description", "details"],
    "source": ["source", "source_original", "scite1"],
    "source_url": ["source_url", "url", "link"],
}
LAYOUT_SYNONYMS = {
    "gtd": {"country": ["country_txt"], "admin1": ["provstate"], "place": ["city"],
            "event_type": ["attacktype1_txt"], "target": ["targtype1_txt"]},
    "acled": {"place": ["location"], "actor": ["actor1"], "target": ["actor2"]},
    # source_article cites every report (outlet, date, headline); source_original names
    # only who the report quotes ("police", "witnesses").
    "ucdp": {"place": ["where_coordinates"], "actor": ["side_a"], "target": ["side_b"],
             "event_type": ["type_of_violence"], "source": ["source_article"]},
}
# Columns a layout fills with codes, and the names its codebook gives them.
CODED_COLUMNS = {
    "ucdp": {"type_of_violence": {"1": "State-based conflict", "2": "Non-state conflict",
                                  "3": "One-sided violence"}},
}
GTD_DATE_COLUMNS = ("iyear", "imonth", "iday")
# A layout is recognised by columns only it has; ordered most specific first.
LAYOUT_SIGNATURES = {
    "acled": {"event_id_cnty", "geo_precision"},
    "ucdp": {"where_prec", "best"},
    "gtd": {"eventid", "iyear"},
}
# The sources' own location precision codes, mapped onto ours (UCDP codebook where_prec,
# ACLED geo_precision, GTD specificity).
SOURCE_PRECISION = {
    "ucdp": ("where_prec", {"1": "exact", "2": "place", "3": "admin2", "4": "admin1",
                            "5": "place", "6": "country", "7": "country"}),
    "acled": ("geo_precision", {"1": "exact", "2": "place", "3": "admin1"}),
    "gtd": ("specificity", {"1": "exact", "2": "place", "3": "place", "4": "admin1",
                            "5": "country"}),
}
# "13", "13+", "+5", "26 (+2 terrorists)", "c. 40", "at least 30", ">21", "1,234", "5.0" (a
# spreadsheet's whole number): a leading count. "3.7" and "-1" are no count of people.
FATALITIES_PATTERN = (r"^\s*(?:c\.|ca\.|about|approx\.?|approximately|at least|over|"
                      r"more than|~|≈|>)?\s*\+?(\d{1,3}(?:[,\s]\d{3})+|\d+)(?:\.0+)?"
                      r"(?![\d.,]*\d)")
# Fatality cells that say the toll is not known, as many files write it: missing, and no
# surprise worth a flag. "Unknown (+6)": Wikipedia's lists add the attackers in brackets.
UNKNOWN_COUNT_PATTERN = r"(?:unknown|n/?a|\?+|-+)(?:\s*\(.*\))?"
# 12°30′15″S, 12°30'N, 12 30 00 N, N 12.5°, 3°W: degrees, minutes and seconds, with
# the hemisphere before or after (S and W are negative) or a sign, not both.
DMS_PATTERN = (r"^(?P<sign>[-−+]?)\s*(?P<before>[NSEWnsew]?)\s*(?P<degrees>\d{1,3}(?:\.\d+)?)"
               r"\s*[°º˚]?\s*(?:(?P<minutes>\d{1,2}(?:\.\d+)?)\s*['′’]?\s*"
               r"(?:(?P<seconds>\d{1,2}(?:\.\d+)?)\s*(?:\"|″|''|′′|”)?)?)?\s*"
               r"(?P<after>[NSEWnsew]?)$")
# Above this a "count" is a typo or an overflow, not a number of people killed.
MAX_COUNT = 1_000_000

# A cell longer than this is not a field of an incident table but a broken file or an
# attack on whatever displays it.
MAX_CELL_CHARS = 10_000

# Columns added beside a file's own: to rejected rows here, to every row by the dataset
# (and `online_error` when places are looked up online: the lookup's failure, or NA;
# `geo_district`, the geocoder's, which the dataset reads and drops: see
# `geocode.GEO_DISTRICT`).
REJECT_COLUMNS = ("row", "reason")
ADDED_COLUMNS = ("source_file", "online_error", "geo_district")

REASON_NO_DATE = "date missing or not recognised"
REASON_HXL = "HXL hashtag row (column tags, not an incident)"
REASON_LONG_CELL = f"a cell is longer than {MAX_CELL_CHARS:,} characters"
FLAG_OUT_OF_RANGE = "coordinates out of range, dropped"
FLAG_NOT_A_COORDINATE = "coordinates not read as numbers, dropped"
FLAG_SWAPPED = "latitude and longitude look swapped, dropped"
FLAG_DUPLICATE_ID = "duplicate event_id"
FLAG_URL = "source_url dropped: not an http(s) link"
FLAG_NOT_A_COUNT = "fatalities not read as a count"


class AccountingError(ValueError):
    """A table whose accepted and rejected rows do not add up to the rows read: a bug, or
    a damaged snapshot."""


@dataclass(frozen=True)
class Table:
    """The outcome of reading one file: accepted rows, rejected rows, the layout seen."""

    accepted: pd.DataFrame
    rejected: pd.DataFrame  # the raw row, plus `row` (1-based data row) and `reason`
    layout: str
    warnings: tuple[str, ...] = ()  # about the whole file, e.g. an ambiguous date order
    source: str = ""  # the file's name, or the names of the files combined
    files: tuple[dict, ...] = ()  # {"name", "sha256"} of each file read, for provenance
    rows_in: int = -1  # data rows the file held, counted before any was sorted

    def __post_init__(self):
        if self.rows_in == -1:
            object.__setattr__(self, "rows_in", len(self.accepted) + len(self.rejected))
        if self.rows_in != len(self.accepted) + len(self.rejected):
            raise AccountingError(f"row accounting broken: {self.rows_in} rows in, "
                                  f"{len(self.accepted)} accepted, "
                                  f"{len(self.rejected)} rejected")

    def reason_counts(self) -> dict[str, int]:
        return self.rejected["reason"].value_counts().to_dict() if len(self.rejected) else {}


def column_key(name) -> str:
    """How a column name is looked up: trimmed, in any case ("Latitude ", "LATITUDE")."""
    return str(name).strip().lower()


def columns_by_key(columns) -> dict[str, str]:
    """The file's column names by `column_key`: how every lookup of a column finds it."""
    return {column_key(column): column for column in columns}


def detect_layout(columns: pd.Index) -> str:
    names = set(columns_by_key(columns))
    for layout, signature in LAYOUT_SIGNATURES.items():
        if signature <= names:
            return layout
    return "generic"


def normalize(raw: pd.DataFrame, dataset: str, country_code: Callable[[str], str | None],
              country_name: Callable[[str], str | None], layout: str = "auto",
              mapping: dict[str, str] | None = None, require_date: bool = True,
              malformed: Sequence[Malformed] = ()) -> Table:
    """Canonical incidents from a frame of text cells, and the file's records that did
    not fit it (``malformed``, from sources), as rejected rows.

    ``country_code``/``country_name`` come from the gazetteer, so every spelling of a
    country ends up as one name and one ISO code. ``mapping`` (canonical -> the file's
    column) overrides what the column names suggest. ``require_date=False`` accepts rows
    without a date (a list of places to geocode is not a list of incidents).
    """
    raw = raw.rename(columns=lambda column: str(column).strip())
    layout, picked = read_header(raw.columns, layout, mapping or {})
    column = functools.partial(picked_cells, raw, picked)
    dates = read_dates(raw, layout, picked, column)
    countries = read_countries(column("country"), country_code, country_name)
    url, url_flag = read_urls(column("source_url"))
    location, location_flags = read_location(raw, layout, column)
    fatalities, unread_fatalities = read_fatalities(column("fatalities"))
    canonical = {
        "event_id": fill_ids(column("event_id"), raw), "date": dates.start,
        "date_end": dates.end,
        "date_precision": dates.precision.astype(pd.CategoricalDtype(DATE_PRECISIONS)),
        **countries, **read_texts(column, picked, layout), "source_url": url, **location,
        "geo_ambiguous": False, "fatalities": fatalities,
        "dataset": dataset,
    }
    out = pd.DataFrame(index=raw.index)
    for name, values in canonical.items():
        out[name] = values
    flags = pd.DataFrame({FLAG_URL: url_flag, **location_flags,
                          FLAG_NOT_A_COUNT: '"' + unread_fatalities + '"'}, index=raw.index)
    flags[FLAG_DUPLICATE_ID] = out["event_id"].duplicated(keep=False)
    out["flags"] = join_flags(flags)
    out = add_extras(type_columns(out), raw, picked)
    bad, rejected = reject_rows(raw, out, require_date, malformed)
    return Table(accepted=out[~bad].reset_index(drop=True), rejected=rejected, layout=layout,
                 warnings=tuple(w for w in (dates.warning,
                                            unread_counts_warning(unread_fatalities[~bad]),
                                            duplicate_ids_warning(out["event_id"][~bad]))
                                if w),
                 rows_in=len(raw) + len(malformed))


def read_header(columns: pd.Index, layout: str, mapping: dict[str, str]
                ) -> tuple[str, dict[str, str]]:
    """The layout (``layout``, or the one the columns show for "auto") and the file's
    column for each canonical one (``mapping`` first); a LoaderError where the columns
    cannot be read so: a name repeated, a mapped column missing, GTD without its dates."""
    repeated = columns[columns.map(column_key).duplicated()].tolist()
    if repeated:
        raise LoaderError(f"the column name {repeated[0]!r} appears twice; rename one of "
                          "them so each column can be told apart.")
    layout = detect_layout(columns) if layout == "auto" else layout
    picked = pick_columns(columns, layout)
    for canonical, name in mapping.items():
        if name not in columns:
            raise LoaderError(f"no column named {name!r} for {canonical}; the columns are: "
                              f"{', '.join(map(str, columns))}")
        picked[canonical] = name
    if layout == "gtd":
        missing = [c for c in GTD_DATE_COLUMNS if c not in columns_by_key(columns)]
        if missing:
            raise LoaderError(f"a GTD table needs the columns {', '.join(GTD_DATE_COLUMNS)}; "
                              f"{', '.join(missing)} missing.")
    return layout, picked


def picked_cells(raw: pd.DataFrame, picked: dict[str, str], canonical: str) -> pd.Series:
    """The trimmed cells of the file's column for ``canonical``; empty where it has none."""
    if canonical in picked:
        return raw[picked[canonical]].str.strip()
    return pd.Series("", index=raw.index, dtype="string")


def read_dates(raw: pd.DataFrame, layout: str, picked: dict[str, str],
               column: Callable[[str], pd.Series]) -> ParsedDates:
    """Start, end and precision of each row's date; an end column of its own wins."""
    dates = parse_gtd_dates(raw) if layout == "gtd" else parse_dates(column("date"))
    if "date_end" in picked:
        dates = dataclasses.replace(dates, end=parse_dates(column("date_end")).start)
    return dates


def read_countries(text: pd.Series, country_code: Callable[[str], str | None],
                   country_name: Callable[[str], str | None]) -> dict[str, pd.Series]:
    """Each row's country as one name and its ISO code; text the gazetteer does not know
    is kept as written, without a code."""
    codes = per_distinct(text, lambda names: names.map(country_code).astype("string"))
    names = codes.map(country_name, na_action="ignore").astype("string").fillna(text)
    return {"country": names, "country_code": codes}


def read_texts(column: Callable[[str], pd.Series], picked: dict[str, str],
               layout: str) -> dict[str, pd.Series]:
    """The free-text columns, with a layout's codes (CODED_COLUMNS) as their names."""
    coded = CODED_COLUMNS.get(layout, {})
    texts = {}
    for name in ("admin1", "admin2", "place", "actor", "target", "event_type", "notes",
                 "source"):
        texts[name] = column(name)
        meanings = coded.get(column_key(picked.get(name, "")))
        if meanings:
            texts[name] = decode(texts[name], meanings)
    return texts


def read_urls(url: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Links kept where they are http(s), and where a cell was dropped for not being one."""
    web = url.str.match(r"(?i)^https?://")
    return url.where(web, ""), (url != "") & ~web


def read_location(raw: pd.DataFrame, layout: str, column: Callable[[str], pd.Series]
                  ) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """The file's own points, with how precise they are and how they were found; and
    the flags of rows whose coordinates were dropped."""
    points, flags = read_points({name: column(name) for name in ("latitude", "longitude")})
    placed = is_placed(pd.DataFrame(points))
    return {**points, **read_geo(raw, layout, placed)}, flags


def read_points(texts: dict[str, pd.Series]) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """Latitude and longitude in degrees from their text, and the flags of rows whose
    coordinates were dropped: not numbers, swapped, out of range or (0, 0)."""
    degrees = {name: per_distinct(text, coordinate) for name, text in texts.items()}
    latitude, longitude = degrees["latitude"], degrees["longitude"]
    flags = {FLAG_NOT_A_COORDINATE: unread_coordinates(texts, degrees)}
    # A latitude that would be a valid longitude, beside a longitude that would be a
    # valid latitude, was most likely typed into the wrong column.
    flags[FLAG_SWAPPED] = latitude.abs().between(90, 180, inclusive="right") & (
        longitude.abs() <= 90)
    flags[FLAG_OUT_OF_RANGE] = ((latitude.abs() > 90) | (longitude.abs() > 180)) & ~flags[
        FLAG_SWAPPED]
    # (0, 0) is how many exports write "unknown", not a point in the Gulf of Guinea.
    unusable = flags[FLAG_SWAPPED] | flags[FLAG_OUT_OF_RANGE] | ((latitude == 0) & (
        longitude == 0))
    points = {"latitude": latitude.mask(unusable).astype("float64"),
              "longitude": longitude.mask(unusable).astype("float64")}
    return points, flags


def read_geo(raw: pd.DataFrame, layout: str, placed: pd.Series) -> dict[str, pd.Series]:
    """geo_precision and geo_method of the rows ``placed`` by the file's own coordinates."""
    geo = {"geo_precision": source_precision(raw, layout).where(placed),
           "geo_method": pd.Series("source", index=raw.index).where(placed)}
    # A table this dashboard exported says how each point was found: keep that rather
    # than calling every point exact.
    lower = columns_by_key(raw.columns)
    for name, values in (("geo_precision", GEO_PRECISIONS), ("geo_method", GEO_METHODS)):
        if layout == "generic" and name in lower:
            stated = raw[lower[name]].str.strip()
            geo[name] = stated.where(stated.isin(values) & placed, geo[name])
    return geo


def fill_ids(ids: pd.Series, raw: pd.DataFrame) -> pd.Series:
    """Each row's event_id ("12.0" read as "12"); a hash of its cells (`row_hashes`)
    where the file gives none."""
    ids = ids.str.replace(r"\.0$", "", regex=True)
    missing_id = ids == ""
    if missing_id.any():
        ids = ids.mask(missing_id, row_hashes(raw[missing_id]))
    return ids


def type_columns(out: pd.DataFrame) -> pd.DataFrame:
    """Text columns as text with missing for empty, the geo columns as categories."""
    for name in TEXT_COLUMNS:
        out[name] = out[name].astype("string").replace("", pd.NA)
    for name, values in (("geo_precision", GEO_PRECISIONS), ("geo_method", GEO_METHODS)):
        out[name] = out[name].astype(pd.CategoricalDtype(values))
    return out


def add_extras(out: pd.DataFrame, raw: pd.DataFrame, picked: dict[str, str]) -> pd.DataFrame:
    """The canonical columns, then the file's columns not read into one."""
    # Columns not read into a canonical one travel along; one whose name a canonical
    # column already has (a file's own `place` beside a mapped one) is kept renamed.
    extras = raw.drop(columns=list(picked.values()))
    extras = extras.rename(columns=kept_apart(raw.columns, {*CANONICAL_COLUMNS, *ADDED_COLUMNS}))
    return pd.concat([out[CANONICAL_COLUMNS], extras], axis=1)


def reject_rows(raw: pd.DataFrame, out: pd.DataFrame, require_date: bool,
                malformed: Sequence[Malformed]) -> tuple[pd.Series, pd.DataFrame]:
    """Which rows are rejected, and the rejected rows as the file gave them with the
    reason (no date, a cell too long, an HXL tag row), then the ``malformed`` records."""
    reasons = pd.Series(pd.NA, index=raw.index, dtype="string")
    if require_date:
        reasons = reasons.mask(out["date"].isna(), REASON_NO_DATE)
    too_long = raw.apply(lambda col: col.str.len() > MAX_CELL_CHARS).any(axis=1)
    reasons = reasons.mask(too_long, REASON_LONG_CELL)
    if len(raw) and is_hxl_row(raw.iloc[0]):
        reasons.iloc[0] = REASON_HXL
    bad = reasons.notna()
    own = raw.rename(columns=kept_apart(raw.columns, {*REJECT_COLUMNS, *ADDED_COLUMNS}))
    rejected = pd.concat([own[bad].assign(row=raw.index[bad] + 1, reason=reasons[bad]),
                          malformed_rows(malformed, own.columns)], ignore_index=True)
    return bad, rejected


def kept_apart(columns: pd.Index, reserved: set[str]) -> dict[str, str]:
    """New names for a file's columns whose name is one we add ("place", "reason"):
    "place_source" (or "place_source_source", if the file has that too), so no cell of
    the file is overwritten and no two columns share a name."""
    taken = {*columns, *reserved}
    renames = {}
    for name in columns:
        if name in reserved:
            new = f"{name}_source"
            while new in taken:
                new += "_source"
            taken.add(new)
            renames[name] = new
    return renames


def malformed_rows(malformed: Sequence[Malformed], columns: pd.Index) -> pd.DataFrame:
    """Records the reader could not fit to the header, as rejected rows with the reason:
    no cell lost (those past the last column are joined into it)."""
    width = len(columns)
    rows = []
    for record in malformed:
        cells = record.cells
        if len(cells) > width:
            cells = [*cells[: width - 1], ",".join(cells[width - 1:])]
        rows.append([*cells, *[None] * (width - len(cells)), record.reason])
    return pd.DataFrame(rows, columns=[*columns, "reason"], dtype="string")


def join_flags(flags: pd.DataFrame) -> pd.Series:
    """One text cell per row naming each flag that is set, "; "-separated. A flag held
    as text (what was dropped) is set where the text is, and followed by it."""
    joined = pd.Series("", index=flags.index, dtype="string")
    for name in flags.columns:
        values = flags[name]
        if pd.api.types.is_bool_dtype(values.dtype):
            joined = joined.mask(values, joined + name + "; ")
        else:
            joined = joined.mask(values.notna(), joined + name + ": " + values + "; ")
    return joined.str.removesuffix("; ")


def is_hxl_row(row: pd.Series) -> bool:
    """HDX re-exports put HXL hashtags ("#geo+lat") right under the header; a leading
    index column may still hold a number there, so one other filled cell is allowed."""
    tags = row.str.match(r"#[a-z]").sum()
    return bool(tags >= 3 and tags >= (row != "").sum() - 1)


def decode(codes: pd.Series, meanings: dict[str, str]) -> pd.Series:
    """Codes as their names ("3" or "3.0": "One-sided violence"); a code the codebook
    does not list is kept as written rather than lost."""
    return per_distinct(codes, lambda distinct: distinct.str.replace(
        r"\.0$", "", regex=True).map(meanings).fillna(distinct).astype("string"))


def pick_columns(columns: pd.Index, layout: str = "generic") -> dict[str, str]:
    """canonical -> the file's column, by synonyms; the first synonym present wins."""
    lower = columns_by_key(columns)
    own = LAYOUT_SYNONYMS.get(layout, {})
    picked = {}
    for canonical, names in SYNONYMS.items():
        present = [lower[name] for name in own.get(canonical, []) + names if name in lower]
        if present:
            picked[canonical] = present[0]
    return picked


def parse_gtd_dates(raw: pd.DataFrame) -> ParsedDates:
    """GTD dates from iyear/imonth/iday; 0 means unknown: the month or day falls to 1 and
    the precision says so."""
    lower = columns_by_key(raw.columns)
    year, month, day = (pd.to_numeric(raw[lower[name]], errors="coerce").astype("float64")
                        for name in ("iyear", "imonth", "iday"))
    start = pd.to_datetime(pd.DataFrame({"year": year, "month": month.replace(0, 1),
                                         "day": day.replace(0, 1)}), errors="coerce")
    precision = pd.Series("day", index=raw.index, dtype="string")
    precision = precision.mask(day == 0, "month").mask(month == 0, "year")
    return ParsedDates(start=start.astype("datetime64[s]"),
                       end=pd.Series(pd.NaT, index=raw.index, dtype="datetime64[s]"),
                       precision=precision.where(start.notna()), warning=None)


def per_distinct(values: pd.Series, parse: Callable[[pd.Series], pd.Series]) -> pd.Series:
    """``parse`` run once per distinct value and spread back over the rows: a million
    rows hold a few thousand counts, countries or coordinates."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    parsed = parse(pd.Series(distinct, dtype=values.dtype))
    return pd.Series(parsed.to_numpy()[codes], index=values.index, dtype=parsed.dtype)


def parse_counts(text: pd.Series) -> pd.Series:
    """Counts as FATALITIES_PATTERN reads them; "Unknown", "1.5e3" and the like are missing."""
    digits = text.str.lower().str.extract(FATALITIES_PATTERN, expand=False)
    counts = pd.to_numeric(digits.str.replace(r"[,\s]", "", regex=True), errors="coerce")
    return counts.where(counts <= MAX_COUNT).astype("Int64")


def read_fatalities(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each row's count (`parse_counts`), and the cell where it was not read though it
    was neither empty nor a way of writing "unknown": kept for the row's flag, so a toll
    we could not read is said, not silently left out of the totals."""
    counts = per_distinct(text, parse_counts)
    # Only the rows without a count are looked at again: in most files, few or none.
    missing = counts.isna()
    unread = per_distinct(text[missing], lambda cells: cells.where(
        cells.ne("") & ~cells.str.lower().str.fullmatch(UNKNOWN_COUNT_PATTERN, na=True)))
    return counts, unread.reindex(text.index)


def unread_counts_warning(unread: pd.Series) -> str | None:
    """The table's warning about the fatality cells not read (`read_fatalities`) in the
    rows loaded: how many, and a few of them as written."""
    unread = unread.dropna()
    if unread.empty:
        return None
    distinct = unread.unique()
    shown = ", ".join(f'"{clipped(cell)}"' for cell in distinct[:3])
    return (f"{plural(len(unread), 'fatality value')} could not be read as a count "
            f"({'e.g. ' if len(distinct) > 3 else ''}{shown}): each such row is kept, with "
            "fatalities unknown, and adds nothing to fatality totals; its flags column quotes "
            "the cell. Write a whole number, such as 5, for it to count.")


def clipped(cell: object, limit: int = 40) -> str:
    """A cell quoted in a warning, cut to ``limit`` characters: a long one would swamp
    the message, and the row's flag or the table has all of it."""
    text = str(cell)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def duplicate_ids_warning(ids: pd.Series) -> str | None:
    """The table's warning about rows loaded with an event_id another row has: each is
    counted, so an event entered twice counts twice, which a flag alone hid."""
    shared = ids[ids.duplicated(keep=False)]
    if shared.empty:
        return None
    return (f"{plural(len(shared), 'row')} share an event_id with another row "
            f"({plural(shared.nunique(), 'event_id')}, such as \"{clipped(shared.iloc[0])}\"): "
            f"each row is kept and counted, flagged \"{FLAG_DUPLICATE_ID}\". If they are "
            "one event entered twice, remove the copies from the file.")


def coordinate(text: pd.Series) -> pd.Series:
    """Degrees from text: decimal (a lone decimal comma, as European spreadsheets write
    it, is a decimal mark), or degrees, minutes and seconds (DMS_PATTERN)."""
    decimal_comma = text.str.fullmatch(r"-?\d+,\d+")
    text = text.where(~decimal_comma.fillna(False), text.str.replace(",", ".", regex=False))
    decimal = pd.to_numeric(text, errors="coerce").astype("float64")
    unread = decimal.isna() & text.fillna("").ne("")  # most files: none, no regex run
    return decimal.fillna(sexagesimal(text[unread])).astype("float64")


def sexagesimal(text: pd.Series) -> pd.Series:
    """Degrees from degrees, minutes and seconds (DMS_PATTERN); NaN where not."""
    parts = text.str.extract(DMS_PATTERN).astype(object).fillna("")
    number = {name: pd.to_numeric(parts[name], errors="coerce").astype("float64")
              for name in ("degrees", "minutes", "seconds")}
    minutes, seconds = number["minutes"].fillna(0), number["seconds"].fillna(0)
    hemisphere = (parts["before"] + parts["after"]).str.upper()
    degrees = number["degrees"] + minutes / 60 + seconds / 3600
    degrees = degrees.mask(parts["sign"].isin(["-", "−"]) | hemisphere.isin(["S", "W"]),
                           -degrees)
    read = ((minutes < 60) & (seconds < 60) & (hemisphere.str.len() <= 1)
            & ~(parts["sign"].ne("") & hemisphere.ne("")))
    return degrees.where(read)


def unread_coordinates(texts: dict[str, pd.Series], degrees: dict[str, pd.Series]
                       ) -> pd.Series:
    """Per row, the coordinate text that was not read as degrees ("latitude 12°X"), kept
    in the flag so dropping the number does not lose what the file said."""
    unread = pd.Series(pd.NA, index=next(iter(texts.values())).index, dtype="string")
    for name, text in texts.items():
        missed = text.fillna("").ne("") & degrees[name].isna()
        said = name + " " + text[missed]
        unread[missed] = (unread[missed] + ", " + said).fillna(said)
    return unread


def source_precision(raw: pd.DataFrame, layout: str) -> pd.Series:
    """Our geo_precision for rows whose coordinates came with the file."""
    column, codes = SOURCE_PRECISION.get(layout, (None, {}))
    lower = columns_by_key(raw.columns)
    if column not in lower:
        return pd.Series("exact", index=raw.index)
    return raw[lower[column]].str.strip().str.replace(r"\.0$", "", regex=True).map(codes).fillna(
        "place")


def row_hashes(rows: pd.DataFrame) -> pd.Series:
    """A stable id for rows without one: a hash of their cells, so reloads agree.

    pandas' row hash uses a fixed key, so the same cells give the same id in every
    process; a repeated row gets its occurrence number so ids stay unique.
    """
    hashes = pd.util.hash_pandas_object(rows, index=False).map("h{:016x}".format)
    occurrence = hashes.groupby(hashes).cumcount()
    return hashes.where(occurrence == 0, hashes + "-" + (occurrence + 1).astype(str))

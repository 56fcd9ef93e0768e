"""The pipeline without a browser: `dashboard check|geocode|export|areas|rising|pull|
changes|learn|fix|run`.

A contract other scripts rely on: exit 0 on success, 2 on unusable input with a one-line
reason on stderr, 1 when a pull could not be finished (one line; the local copy is as it
was), never a traceback for bad input. See docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import hashlib
import json
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from dashboard import ROOT, __version__, acled, areas, pulled, store, ucdp
from dashboard.actors import read_families
from dashboard.dataset import load_path, prepare_raw
from dashboard.export import provenance, to_csv_bytes, to_geojson_bytes
from dashboard.filters import FILTERS, Filter, Filters, Selection, apply_filters, unplaced_near
from dashboard.gazetteer import load_gazetteer, normalize_name
from dashboard.geocode import override_key
from dashboard.learned import LEARN_ENV
from dashboard.online import ATTRIBUTION, URL_ENV, USER_AGENT_ENV, configured
from dashboard.remote import PullError
from dashboard.schema import GEO_PRECISIONS, LAYOUT_SIGNATURES
from dashboard.sources import LoaderError, check_regular, read_path
from dashboard.trends import LEVELS, PERIOD_WORDS, PERIODS, Rising, flagged, rising, said_date
from dashboard.vicinity import (
    DEFAULT_KM,
    MAX_KM,
    Near,
    Unresolved,
    left_out,
    locate_near,
    parse_km,
)
from dashboard.wording import plural

if TYPE_CHECKING:
    from dashboard.gazetteer import Gazetteer
    from dashboard.schema import Table

APP_PATH = ROOT / "app.py"
# Streamlit reads .streamlit/config.toml only from the folder it is started in (and the
# user's home); `dashboard run` passes its settings as options, so they hold from any folder.
CONFIG_PATH = ROOT / ".streamlit" / "config.toml"
LAYOUT_CHOICES = ["auto", *LAYOUT_SIGNATURES, "generic"]
# Events per request: ACLED's default, UCDP's most (it takes no more).
PAGE_SIZES = {"acled": 5000, "ucdp": ucdp.MAX_PAGE_SIZE}
MOST_PER_PAGE = {"acled": None, "ucdp": ucdp.MAX_PAGE_SIZE}


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from error


def add_online_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--online", action="store_true",
                         help="ask OpenStreetMap Nominatim for places the gazetteer lacks "
                              "(sends those place names off this machine; 1 request/s)")
    command.add_argument("--nominatim-url", metavar="URL",
                         help=f"Nominatim server (default: ${URL_ENV}, else the public one)")
    command.add_argument("--user-agent", help=f"sent to Nominatim (default: ${USER_AGENT_ENV})")


# How each kind of filter is given on the command line (see filters.KINDS).
OPTION_KINDS = {"period": {"type": iso_date},
                "choices": {"action": "append", "default": []},
                "text": {"default": ""},
                "at_least": {"type": int, "default": 0},
                "flag": {"action": "store_true"},
                "near": {"default": None}}
# A filter's second option (its radius: "--km").
RADIUS_OPTION = {"metavar": "N", "default": None, "help": "kilometres around --near "
                 f"(default {DEFAULT_KM:g}, at most {MAX_KM:,.0f})"}


def add_filter_options(command: argparse.ArgumentParser) -> None:
    """One option per declared filter, stored under the filter's field."""
    for declared in FILTERS:
        command.add_argument(declared.option, dest=declared.field,
                             help=declared.help or None,
                             **({"metavar": declared.metavar} if declared.metavar else {}),
                             **OPTION_KINDS[declared.kind])
        if declared.radius:
            command.add_argument(declared.option_of(declared.radius), dest=declared.radius,
                                 **RADIUS_OPTION)


def filters_from_args(args: argparse.Namespace, incidents: pd.DataFrame,
                      gazetteer: Gazetteer) -> Filters:
    """The filters the options ask for. A chosen value no incident has is an error, not an
    empty file: a typo would otherwise export nothing without a word."""
    values = {}
    for declared in FILTERS:
        value = getattr(args, declared.field)
        if declared.kind == "choices":
            present = set(incidents[declared.column].dropna().astype(str))
            value = tuple(spelled(declared, name, present, gazetteer, args.file.name)
                          for name in value)
        elif declared.kind == "near":
            value = near_from(declared, value, getattr(args, declared.radius), gazetteer)
        values[declared.field] = value
    return Filters(**values)


def near_from(declared: Filter, text: str | None, km: str | None, gazetteer: Gazetteer
              ) -> Near | None:
    """--near TEXT --km N as a vicinity; a place that names no point, or a distance that
    is none, is an error (an export of the wrong rows would look like an answer)."""
    radius = declared.option_of(declared.radius)
    if text is None:
        if km is not None:
            raise LoaderError(f"{radius} needs {declared.option}")
        return None
    try:
        distance = DEFAULT_KM if km is None else parse_km(km)
    except Unresolved as reason:
        raise LoaderError(f"{radius} {km!r}: {reason}") from None
    try:
        return locate_near(text, distance, gazetteer)
    except Unresolved as reason:
        raise LoaderError(f"{declared.option} {text!r}: {reason}") from None


def spelled(declared: Filter, name: str, present: set[str], gazetteer: Gazetteer,
            file_name: str) -> str:
    """A typed value as the file spells it (a country in any spelling the gazetteer
    knows, or as the file writes it)."""
    canonical = declared.spelling(name, gazetteer) if declared.spelling else name
    if canonical in present:
        return canonical
    if name in present:
        return name
    said = "." if declared.spelling else " (it must be written as in the file)."
    raise LoaderError(f"{declared.option} {name!r}: no incident in {file_name} has that "
                      f"{declared.column}{said}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="dashboard", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="load and validate a file; print what was read")
    check.add_argument("file", type=Path)
    check.add_argument("--format", choices=LAYOUT_CHOICES, default="auto")
    check.add_argument("--json", action="store_true", help="print one JSON object")

    geocode = commands.add_parser("geocode", help="fill coordinates; write CSV or Parquet")
    geocode.add_argument("file", type=Path)
    geocode.add_argument("-o", "--output", type=Path, required=True)
    geocode.add_argument("--place-column", help="the column that holds the place text")
    geocode.add_argument("--country-column", help="the column that holds the country")
    add_online_options(geocode)

    export = commands.add_parser("export", help="the dashboard's filtered CSV export")
    export.add_argument("file", type=Path)
    export.add_argument("-o", "--output", type=Path, required=True)
    add_filter_options(export)
    add_online_options(export)
    export.add_argument("--geojson", type=Path, metavar="OUT",
                        help="also write the placed rows as GeoJSON points")
    export.add_argument("--provenance", type=Path, metavar="OUT",
                        help="also write a JSON record of the filters, sources and counts")

    by_area = commands.add_parser("areas", help="incidents and fatalities per area")
    by_area.add_argument("file", type=Path)
    by_area.add_argument("--by", choices=["admin1", "country"], default="admin1",
                         help="admin-1 regions (the file's, else the outline holding the "
                              "point) or countries")
    add_filter_options(by_area)
    by_area.add_argument("--json", action="store_true", help="print one JSON object")
    trend = commands.add_parser("rising", help="the areas whose rising flags fired, with why")
    trend.add_argument("file", type=Path)
    trend.add_argument("--by", choices=LEVELS, default="admin1",
                       help="areas: admin-1 regions (default) or countries")
    trend.add_argument("--period", choices=PERIODS, default="4w",
                       help="the last 4 weeks (default) or the last complete month, against "
                            "the area's own past")
    add_filter_options(trend)
    trend.add_argument("--json", action="store_true", help="print one JSON object")

    add_pull_parsers(commands)

    run = commands.add_parser("run", help="open the dashboard in the browser")
    run.add_argument("file", type=Path, nargs="?")
    run.add_argument("--port", type=int, default=8501)
    add_learning(commands, check, geocode, export, run)
    add_fix_command(commands)
    return top


def add_pull_parsers(commands) -> None:
    pull = commands.add_parser("pull", help="pull a live source (ACLED, UCDP) into a local "
                                            "copy; again: only what changed, and a report")
    sources = pull.add_subparsers(dest="source", required=True)
    for name, text in (("acled", "ACLED's API (your myACLED account: $ACLED_USERNAME and "
                                 "$ACLED_PASSWORD)"),
                       ("ucdp", "UCDP's GED API (token: $UCDP_ACCESS_TOKEN)")):
        source = sources.add_parser(name, help=text)
        source.add_argument("--country", action="append", required=True, metavar="NAME",
                            help="repeat for several countries")
        source.add_argument("--start", type=iso_date, help="first event date (YYYY-MM-DD)")
        source.add_argument("--end", type=iso_date, help="last event date (YYYY-MM-DD)")
        source.add_argument("--into", type=Path, required=True, metavar="FILE",
                            help="the local copy (Parquet); pulled again, it is updated")
        source.add_argument("--json", action="store_true", help="print the report as JSON")
        source.add_argument("--page-size", type=events_per_page(MOST_PER_PAGE[name]),
                            default=PAGE_SIZES[name], metavar="N",
                            help=f"events per request (default {PAGE_SIZES[name]:,})")
    sources.choices["ucdp"].add_argument("--version", help="a GED release such as 25.1 "
                                                           "(default: the latest)")
    sources.choices["ucdp"].add_argument("--candidate", action="store_true",
                                         help="UCDP's monthly candidate events instead")
    changes = commands.add_parser("changes", help="what the pulls of a copy changed: which "
                                                  "events were revised or deleted")
    changes.add_argument("file", type=Path)
    changes.add_argument("--since", type=int, default=0, metavar="PULL",
                         help="only changes after this pull (an export's provenance names "
                              "the pull it was made from)")
    changes.add_argument("--rows", type=Path, metavar="CSV",
                         help="only events in this export (its event_id column)")
    changes.add_argument("--json", action="store_true", help="print one JSON object")


def events_per_page(most: int | None):
    """`--page-size`: a whole number from 1 (to ``most``, if any); else argparse's
    one-line usage error, not a client's ValueError."""

    def parse(text: str) -> int:
        if not (text.isdigit() and 1 <= int(text) <= (most or int(text))):
            raise argparse.ArgumentTypeError(
                f"{text!r}: a number of events from 1" + (f" to {most:,}" if most else ""))
        return int(text)

    return parse


def pull_command(args: argparse.Namespace) -> int:
    question = pulled.Question(
        pulled.CANDIDATE if getattr(args, "candidate", False) else args.source,
        tuple(args.country), args.start and args.start.isoformat(),
        args.end and args.end.isoformat(), getattr(args, "version", None))

    def progress(page: int, rows: int) -> None:
        print(f"dashboard pull: page {page}, {plural(rows, 'event')} so far", file=sys.stderr)

    account = acled.Credentials.from_environment()
    if args.source == "acled" and account is None:
        print("dashboard pull: set ACLED_USERNAME and ACLED_PASSWORD (your myACLED "
              "account) to pull from ACLED", file=sys.stderr)
        return 2
    copy, report = pulled.pull(question, args.into, progress, account=account,
                               page_size=args.page_size)
    entry = copy.history[-1]
    if args.json:
        print(json.dumps({"file": str(args.into), "source": question.source,
                          "pull": entry["pull"], "rows": entry["rows"],
                          "received": entry["received"], "asked": entry["asked"],
                          **report.to_json()}))
    elif entry["pull"] == 1:
        print(f"Pulled {plural(entry['rows'], 'event')} into {args.into} (pull 1).")
    else:
        print(f"Since the last pull: {report.summary()}. {args.into} holds "
              f"{plural(entry['rows'], 'event')} (pull {entry['pull']}).")
    return 0


def changes_command(args: argparse.Namespace) -> int:
    copy = pulled.read_copy(args.file)
    if copy is None:
        raise LoaderError(f"{args.file}: no such file")
    report = pulled.since_pull(copy, args.since)
    if args.rows:
        rows = read_path(args.rows).frame
        if "event_id" not in rows.columns:
            raise LoaderError(f"{args.rows.name} has no event_id column (an export has)")
        report = report.touching(set(rows["event_id"]))
    if args.json:
        print(json.dumps({"file": str(args.file), "since_pull": args.since,
                          "pulls": len(copy.history), **report.to_json()}))
        return 0
    print(f"{args.file}: after pull {args.since} of {len(copy.history)}: {report.summary()}")
    for revision in report.revised:
        changed = "; ".join(f"{name} {printable(before)} -> {printable(after)}"
                            for name, (before, after) in revision.changes.items())
        print(f"  revised {printable(revision.id)}: {changed}")
    for event in report.deleted:
        print(f"  deleted {printable(event)}")
def add_learning(commands, *loading: argparse.ArgumentParser) -> None:
    """`--no-learn` on the commands that load a file, and `dashboard learn`."""
    for command in loading:
        command.add_argument("--no-learn", action="store_true",
                             help="do not learn places from this file's coordinates")
    learn = commands.add_parser("learn", help="learn places from a file with coordinates; "
                                "list or forget the files learned from")
    learn.add_argument("file", type=Path, nargs="?")
    learn.add_argument("--list", action="store_true", help="list the files learned from")
    learn.add_argument("--forget", metavar="SHA",
                       help="forget the file whose SHA-256 starts so (see --list)")
    learn.add_argument("--json", action="store_true", help="print JSON")


def learn_from(args: argparse.Namespace, name: str, accepted: pd.DataFrame,
               identity: tuple[str, str | None]) -> None:
    """Learn a loaded file's places unless --no-learn; a failure to save is a warning
    (the command's own output is written all the same). ``identity``: `identify`'s."""
    if getattr(args, "no_learn", False):
        return
    try:
        file = store.learn(identity[0], name, accepted, identity[1])
    except store.SaveError as error:
        print(f"dashboard {args.command}: warning: {error}", file=sys.stderr)
        return
    if file:
        print(f"learned {plural(int(file['names']), 'place name')} from "
              f"{plural(int(file['rows']), 'row')} of {name} (`dashboard learn --list`)",
              file=sys.stderr)


def identify(path: Path) -> tuple[str, str | None]:
    """A file's SHA-256, and what it holds if it is a pulled copy (`pulled.about`)."""
    data = path.read_bytes()
    return hashlib.sha256(data).hexdigest(), (pulled.about(data) or {}).get("holds")


def identify_loaded(table: Table, path: Path) -> tuple[str, str | None]:
    """`identify` from what loading the file found, without reading it again."""
    if not table.files:
        return identify(path)
    return table.files[0]["sha256"], table.files[0].get("pulled", {}).get("holds")


def learn_command(args: argparse.Namespace) -> int:
    """`dashboard learn FILE`, `--list [--json]`, `--forget SHA`."""
    if args.forget:
        try:
            file = store.forget_learned(args.forget)
        except (LookupError, store.SaveError) as error:
            raise LoaderError(str(error)) from None
        print(f"forgot {file['name']} ({file['sha256'][:12]})")
        return 0
    if args.file is not None:
        table = load_path(args.file, saved=read_saved("learn"), gazetteer=load_gazetteer())
        digest, copy_of = identify_loaded(table, args.file)
        try:
            file = store.learn(digest, args.file.name, table.accepted, copy_of)
        except store.SaveError as error:
            raise LoaderError(str(error)) from None
        if file is None and not any(f["sha256"] == digest for f in store.learned_files()):
            raise LoaderError(f"{args.file.name} teaches no place: no row has coordinates "
                              "the source says are the place's, and a place name")
        print(f"{args.file.name}: " + (f"learned {plural(int(file['names']), 'place name')} "
                                        f"from {plural(int(file['rows']), 'row')}" if file
                                        else "learned from already; counted once"))
    if args.list or args.file is None:
        files = store.learned_files()
        if args.json:
            print(json.dumps(files, ensure_ascii=False))
            return 0
        for file in files:
            print(f"{file['sha256'][:12]}  {file['name']}  {plural(int(file['rows']), 'row')}, "
                  f"{plural(int(file['names']), 'name')}")
        if not files:
            print("no file learned from")
    return 0


def read_saved(command: str) -> store.Saved:
    """The user's saved fixes and mappings, read once per command; what is wrong with
    them is said on stderr (the command goes on without them)."""
    saved = store.read_saved()
    for notice in saved.notices.values():
        print(f"dashboard {command}: warning: {notice}", file=sys.stderr)
    return saved


def check(args: argparse.Namespace) -> int:
    raw = read_path(args.file)
    # Validation only: no fixes to apply, and (as ever) no saved mapping.
    table = prepare_raw(raw.frame, "custom", args.format, geocode=False,
                        malformed=raw.malformed, gazetteer=load_gazetteer())
    learn_from(args, args.file.name, table.accepted, identify(args.file))
    report = {"format": table.layout, "rows_in": table.rows_in,
              "accepted": len(table.accepted), "rejected": len(table.rejected),
              "reasons": table.reason_counts(), "warnings": list(table.warnings)}
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{args.file}: {report['format']} layout; {plural(report['rows_in'], 'row')} in, "
          f"{report['accepted']:,} accepted, {report['rejected']:,} rejected")
    for reason, count in report["reasons"].items():
        print(f"  {count:,} rejected: {reason}")
    for warning in report["warnings"]:
        print(f"  warning: {warning}")
    return 0


def geocode(args: argparse.Namespace) -> int:
    mapping = {"place": args.place_column, "country": args.country_column}
    client = configured(args.nominatim_url, args.user_agent) if args.online else None
    raw = read_path(args.file)
    table = prepare_raw(raw.frame, "custom", "auto",
                        mapping={k: v for k, v in mapping.items() if v}, require_date=False,
                        online=client, malformed=raw.malformed, saved=read_saved("geocode"),
                        gazetteer=load_gazetteer())
    incidents = table.accepted
    if args.output.suffix.lower() == ".parquet":
        incidents.to_parquet(args.output, index=False)
    else:
        args.output.write_bytes(to_csv_bytes(incidents))
    learn_from(args, args.file.name, incidents, identify(args.file))
    counts = incidents["geo_precision"].value_counts()
    print(f"wrote {plural(len(incidents), 'row')} to {args.output} "
          f"({plural(len(table.rejected), 'row')} rejected; `dashboard check` lists why)")
    for precision in GEO_PRECISIONS:
        print(f"  {precision}: {counts.get(precision, 0):,}")
    if client is not None:
        errors = int(incidents["online_error"].notna().sum())
        print(f"  online: {plural(client.requests, 'request')}, "
              f"{plural(errors, 'row')} with a lookup error. "
              f"{ATTRIBUTION}")
    return 0


def export(args: argparse.Namespace) -> int:
    gazetteer = load_gazetteer()
    saved = read_saved("export")
    client = configured(args.nominatim_url, args.user_agent) if args.online else None
    families = read_families()  # once: the rows and the provenance name the same table
    table = load_path(args.file, online=client, saved=saved, gazetteer=gazetteer,
                      families=families)
    filters = filters_from_args(args, table.accepted, gazetteer)
    shown = apply_filters(table.accepted, filters)
    args.output.write_bytes(to_csv_bytes(shown))
    # After the command's own work: an unusable filter stays a one-line error.
    learn_from(args, args.file.name, table.accepted, identify_loaded(table, args.file))
    print(f"wrote {plural(len(shown), 'row')} to {args.output}")
    if filters.near:
        unsaid = left_out(unplaced_near(table.accepted, filters))
        print(f"  within {filters.near.km:g} km of {filters.near.label}; "
              + (unsaid or "no row without a point is left out."))
    if args.geojson:
        args.geojson.write_bytes(to_geojson_bytes(shown))
        print(f"wrote the placed ones to {args.geojson}")
    if args.provenance:
        record = provenance(table, filters, shown,
                            online=client.service.domain if client else None,
                            fixes=saved.fixes, families=families.version,
                            learned=saved.learned.files)
        args.provenance.write_text(json.dumps(record, indent=1, ensure_ascii=False))
        print(f"wrote the provenance record to {args.provenance}")
    return 0


def printable(text: object) -> str:
    """A cell of the file as one line a terminal shows as text (no control characters)."""
    return "".join(character if character.isprintable() else "?" for character in str(text))


def areas_command(args: argparse.Namespace) -> int:
    """Incidents and fatalities per area of the filtered rows, most incidents first;
    the rows in no area are counted, so the figures add up to the rows shown."""
    gazetteer = load_gazetteer()
    table = load_path(args.file, saved=read_saved("areas"), gazetteer=gazetteer)
    filters = filters_from_args(args, table.accepted, gazetteer)
    selection = Selection(table.accepted, filters)
    counts = areas.count_areas(areas.index_areas(table.accepted, args.by), selection.positions)
    in_areas = int(counts["incidents"].sum())
    unplaced = len(selection) - selection.placed_count()
    if args.json:
        rows = [{"area": row.area, "country": None if pd.isna(row.country) else row.country,
                 "id": None if pd.isna(row.id) else row.id, "incidents": int(row.incidents),
                 "fatalities": int(row.fatalities)} for row in counts.itertuples(index=False)]
        print(json.dumps({"by": args.by, "rows": len(selection), "in_areas": in_areas,
                          "not_in_any_area": len(selection) - in_areas, "unplaced": unplaced,
                          "areas": rows}, ensure_ascii=False))
        return 0
    print(f"{args.file}: {plural(len(selection), 'row')} shown, {in_areas:,} in "
          f"{plural(len(counts), 'area')} by {args.by}; {len(selection) - in_areas:,} in none "
          f"({unplaced:,} without a point)")
    width = min(40, max([len("area"), *(len(printable(a)) for a in counts["area"])]))
    print(f"{'area':{width}}  {'country':24}  {'incidents':>10}  {'fatalities':>10}")
    for row in counts.itertuples(index=False):
        country = "" if pd.isna(row.country) else printable(row.country)
        print(f"{printable(row.area)[:width]:{width}}  {country[:24]:24}  "
              f"{row.incidents:>10,}  {row.fatalities:>10,}")
def json_value(value: object) -> object:
    """A cell of the rising table as plain JSON: NaN as null, days as ISO dates, tuples
    as lists, numpy numbers as Python ones."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dt.datetime | dt.date):  # pandas' Timestamp is a datetime
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    return None if isinstance(value, float) and math.isnan(value) else value


def rising_report(result: Rising, areas: int) -> dict:
    """The flagged areas and what they were measured against, as plain JSON."""
    shown = flagged(result)
    return {"by": result.by, "period": result.period,
            "start": json_value(result.start), "end": json_value(result.end),
            "areas": areas, "undated": result.undated, "later": result.later,
            "flagged": [{name: json_value(value) for name, value in row.items()}
                        for row in shown.to_dict("records")]}


def rising_header(result: Rising, areas: int, start_given: bool) -> str:
    """What was compared, as of when, and the rows in no period."""
    level = "admin-1 region" if result.by == "admin1" else "country"
    if result.start is None:
        line = f"no dated incident to compare ({plural(result.undated, 'undated row')})"
    else:
        line = (f"{plural(areas, level)} compared: the {PERIOD_WORDS[result.period]} "
                f"{said_date(result.start)} to {said_date(result.end)} (as of "
                f"{said_date(result.end)}) against each one's own past; "
                f"{plural(result.undated, 'undated row')} and "
                f"{plural(result.later, 'row')} after the period not counted")
    if start_given:
        line += "; --start is not applied: the baselines reach back before it"
    return line


def rising_command(args: argparse.Namespace) -> int:
    gazetteer = load_gazetteer()
    table = load_path(args.file, saved=read_saved("rising"), gazetteer=gazetteer)
    filters = filters_from_args(args, table.accepted, gazetteer)
    # The period's end is "as of" (later rows are counted, not compared); its start would
    # cut off the baselines.
    shown = apply_filters(table.accepted, dataclasses.replace(filters, start=None, end=None))
    result = rising(shown, args.by, args.period, as_of=filters.end)
    areas = len(result.areas)
    if args.json:
        print(json.dumps(rising_report(result, areas), ensure_ascii=False))
        return 0
    print(rising_header(result, areas, filters.start is not None))
    shown_areas = flagged(result)
    if shown_areas.empty:
        print("no area's flags fired")
    for row in shown_areas.itertuples():
        where = row.area if args.by == "country" else f"{row.area}, {row.country}"
        killed = plural(int(row.fatalities_last), "fatality", "fatalities")
        print(f"{where}: {plural(row.last, 'incident')} (previous {row.previous:,}; "
              f"average {row.baseline:.1f}); {killed}\n  {row.reasons}")
    return 0


def add_fix_command(commands) -> None:
    fix = commands.add_parser("fix", help="save, list or remove a place fix (as the review "
                                          "panel saves them)")
    fix.add_argument("place", nargs="?", help="the place as the files write it")
    fix.add_argument("--country", metavar="C", help="the rows' country (a name or ISO code); "
                                                    "leave it out for rows with none")
    fix.add_argument("--lat", type=float, help="its latitude, -90 to 90")
    fix.add_argument("--lon", type=float, help="its longitude, -180 to 180")
    fix.add_argument("--list", action="store_true", help="print the saved fixes")
    fix.add_argument("--json", action="store_true", help="with --list: one JSON array")
    fix.add_argument("--remove", metavar="PLACE", help="stop using the fix of PLACE")


def fix_command(args: argparse.Namespace) -> int:
    """`dashboard fix`: the review panel's fixes from a script, through the same store."""
    if args.list:
        return list_fixes(args.json)
    place = args.remove or args.place
    if not place or (args.remove and args.place):
        raise LoaderError("give PLACE --lat Y --lon X, --remove PLACE, or --list")
    key = fix_key(place, args.country)
    if args.remove:
        if not store.remove_override(key):
            raise LoaderError(f"no fix is saved for {place!r} ({key})")
        print(f"removed the fix of {place} ({key})")
        return 0
    if not (store.is_degrees(args.lat, 90) and store.is_degrees(args.lon, 180)):
        raise LoaderError("--lat and --lon: a latitude from -90 to 90 and a longitude from "
                          "-180 to 180")
    notice = store.save_override(key, store.new_fix(place, args.lat, args.lon, place,
                                                    by=store.local_user()))
    print(f"saved: {place} ({key}) at {args.lat:.5f}, {args.lon:.5f}")
    if notice:
        print(f"dashboard fix: warning: {notice}", file=sys.stderr)
    return 0


def fix_key(place: str, country: str | None) -> str:
    """The key the review panel files a fix of ``place`` in ``country`` under."""
    code = load_gazetteer().country_code(country) if country else None
    if country and code is None:
        raise LoaderError(f"--country {country!r}: not a country the gazetteer knows")
    if not normalize_name(place):
        raise LoaderError(f"{place!r} is not a place name (nothing left once folded)")
    return str(override_key(pd.Series([place]), pd.Series([code])).iloc[0])


def list_fixes(as_json: bool) -> int:
    fixes = [{"place": fix.get("place") or key.rpartition("|")[0],
              "country": key.rpartition("|")[2] or None, "lat": fix["latitude"],
              "lon": fix["longitude"], "by": fix.get("by"), "at": fix.get("at")}
             for key, fix in sorted(read_saved("fix").fixes.items())]
    if as_json:
        print(json.dumps(fixes, ensure_ascii=False))
        return 0
    for fix in fixes:
        print(f"{printable(fix['place'])}\t{fix['country'] or ''}\t{fix['lat']:.5f}\t"
              f"{fix['lon']:.5f}\t{printable(fix['by'] or '')}\t{fix['at'] or ''}")
    print(f"{plural(len(fixes), 'fix', 'fixes')}", file=sys.stderr)
    return 0


def streamlit_options(port: int) -> list[str]:
    """.streamlit/config.toml as `streamlit run` options, plus the port and the two
    settings the page cannot work without (whatever the file says)."""
    config = tomllib.loads(CONFIG_PATH.read_text(encoding="utf-8"))
    settings = {f"{section}.{name}": value for section, values in config.items()
                for name, value in values.items()}
    settings.update({"server.port": port, "server.address": "localhost",
                     # Serves static/ beside app.py at app/static/ (outlines, map style).
                     "server.enableStaticServing": True})
    return [f"--{name}={str(value).lower() if isinstance(value, bool) else value}"
            for name, value in settings.items()]


def run(args: argparse.Namespace) -> int:
    env = dict(os.environ)
    if args.file is not None:
        check_regular(args.file, args.file.stat())  # the page would wait on a FIFO forever
        env["DASHBOARD_DATA"] = str(args.file.resolve())
    if args.no_learn:
        env[LEARN_ENV] = "0"
    command = [sys.executable, "-m", "streamlit", "run", str(APP_PATH),
               *streamlit_options(args.port)]
    try:
        return subprocess.call(command, env=env, cwd=APP_PATH.parent)
    except KeyboardInterrupt:  # Ctrl-C stops the server; it is not an error
        return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    handler = {"check": check, "geocode": geocode, "export": export, "areas": areas_command,
               "rising": rising_command, "run": run, "pull": pull_command,
               "changes": changes_command, "learn": learn_command,
               "fix": fix_command}[args.command]
    try:
        return handler(args)
    except (LoaderError, OSError, store.SaveError) as error:
        print(f"dashboard {args.command}: {error}", file=sys.stderr)
        return 2
    except PullError as error:  # the local copy is as it was
        print(f"dashboard {args.command}: {error}", file=sys.stderr)
        return 1

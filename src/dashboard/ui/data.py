"""The sidebar's data part: which files are loaded, how their columns map, what was not
loaded and why, and the review of places the geocoder could not place well."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard import store
from dashboard.actors import NO_FAMILIES, Families, FamiliesError, read_families
from dashboard.dataset import SAMPLE_PATH, load_path, load_raw, unmapped
from dashboard.export import to_csv_bytes
from dashboard.gazetteer import load_gazetteer
from dashboard.geocode import candidates
from dashboard.learned import NO_LEARNED, Learned
from dashboard.online import ATTRIBUTION, configured
from dashboard.schema import Table
from dashboard.sources import MAX_BYTES, LoaderError, RawTable, check_regular
from dashboard.ui import caches
from dashboard.ui.learned import learned_ui
from dashboard.ui.sources import sources_ui
from dashboard.ui.state import SAVED_FIX, SAVED_NOTICES, UPLOAD_DIGESTS, as_cells, plain
from dashboard.ui.team import proxy_user
from dashboard.wording import plural

DATA_ENV = "DASHBOARD_DATA"
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "parquet", "json"]
TYPE_COORDINATES = "None of these: type its coordinates"
MAPPABLE = ["date", "place", "country", "latitude", "longitude", "fatalities", "actor"]


@dataclass(frozen=True)
class Loaded:
    """What the page shows: the data, and how it came to be (for provenance)."""

    data: caches.Data
    files: tuple[tuple[str, str], ...]  # (name, SHA-256) of each file, in order
    online: bool
    saved: store.Saved  # the fixes and mappings this run read, and applied
    mappings: dict[str, dict[str, str]] = field(default_factory=dict)  # upload -> columns
    families: Families = NO_FAMILIES  # the actor alias table this run read, and applied
    copies: tuple[Path, ...] = ()  # the pulled copies loaded (sources.changes_ui)


@dataclass(frozen=True)
class Uploads:
    """The tables of the user's uploads, and what the user chose about them."""

    tables: list[Table]
    keep_base: bool  # keep the dataset the page opened with beside them
    mappings: dict[str, dict[str, str]]  # upload name -> the column mapping it needed


def dataset_path() -> Path:
    """`dashboard run FILE` and DASHBOARD_DATA choose the file; else the bundled sample."""
    return Path(os.environ.get(DATA_ENV) or SAMPLE_PATH)


def load_base(path: Path, digest: str, saved: store.Saved, online: bool,
              families: Families) -> Table:
    """The dataset the page opened with, per file content, saved choices (place fixes,
    column mappings), online setting and actor alias table."""
    return caches.loaded(
        caches.fingerprint("base", str(path), digest, saved.fingerprint, online,
                           families.version), path.name,
        lambda progress: load_path(path, online=configured() if online else None,
                                   progress=progress, saved=saved, gazetteer=load_gazetteer(),
                                   families=families))


def load_upload(digest: str, name: str, mapping: dict[str, str], saved: store.Saved,
                online: bool, raw: RawTable, families: Families) -> Table:
    return caches.loaded(
        caches.fingerprint("upload", digest, name, mapping, saved.fingerprint, online,
                           families.version), name,
        lambda progress: load_raw(raw.frame, name, mapping=mapping,
                                  online=configured() if online else None, digest=digest,
                                  malformed=raw.malformed, progress=progress, saved=saved,
                                  gazetteer=load_gazetteer(), families=families))


def families_ui() -> Families:
    """The actor alias table, read once per run (an edit shows on the next run); one
    that cannot be used is said, and the incidents load without families."""
    try:
        return read_families()
    except FamiliesError as error:
        st.sidebar.error(plain(f"Actor families are not shown: {error}"))
        return NO_FAMILIES


def online_ui() -> bool:
    """Whether to ask OpenStreetMap for places the gazetteer lacks: off unless chosen."""
    online = st.sidebar.toggle(
        "Look up missing places online", value=False,
        help="Sends the names of places the built-in gazetteer lacks to OpenStreetMap's "
             "Nominatim (or $DASHBOARD_NOMINATIM_URL), one per second; answers are kept "
             "on this machine. Everything else stays offline.")
    if online:
        st.sidebar.caption(ATTRIBUTION)
    return online


def data_ui() -> Loaded:
    """The sidebar's data part, and the table it loads; stops the page when nothing is
    loaded."""
    st.sidebar.title("Data")
    online = online_ui()
    saved = store.read_saved()  # the user's fixes and mappings, read once per run
    families = families_ui()
    copies = sources_ui()
    uploads = uploads_ui(online, saved, families, added=bool(copies))
    tables = uploads.tables + [t for path in copies
                               if (t := base_ui(path, saved, online, families))]
    if uploads.keep_base:
        base = base_ui(dataset_path(), saved, online, families)
        tables = [base, *tables] if base else tables
    if not tables:
        st.info("No incidents loaded: add a file in the sidebar.")
        st.stop()
    for part in tables:
        st.sidebar.caption(f"{plain(part.source)}: {part.layout} layout, {part.rows_in:,} rows "
                           f"read, {len(part.accepted):,} loaded, {len(part.rejected):,} not.")
    files = tuple((r["name"], r["sha256"]) for t in tables for r in t.files)
    data = caches.combined(caches.fingerprint(files, saved.fingerprint, online,
                                              uploads.mappings, families.version),
                           tuple(tables))
    rejected_ui(data.table)
    learned_ui(tables, saved)
    saved_notices_ui(saved)
    return Loaded(data, files, online, saved, uploads.mappings, families, tuple(copies))


def saved_notices_ui(saved: store.Saved) -> None:
    """What this session's reads of the saved files found wrong: a file set aside stays
    news on every run until a sound one is read."""
    notices = saved.notices_after(st.session_state.get(SAVED_NOTICES, {}))
    st.session_state[SAVED_NOTICES] = notices
    for notice in notices.values():
        st.sidebar.warning(plain(notice))


def base_ui(path: Path, saved: store.Saved, online: bool, families: Families) -> Table | None:
    try:
        stat = path.stat()
        check_regular(path, stat)  # a FIFO would block the page for ever
        digest = caches.file_digest(caches.FileVersion.of(path, stat))
        return load_base(path, digest, saved, online, families)
    except (LoaderError, OSError) as error:
        st.error(plain(f"Could not load {path.name}: {error}"))
        return None


def review_ui(data: caches.Data, fixes: store.Saved) -> None:
    """Names the geocoder could not place well; a fix is saved and used on every load.
    The fixes in force are listed, with who saved each and when; the places learned from
    the user's coded files are among the choices."""
    saved = st.session_state.pop(SAVED_FIX, None)
    if saved:
        st.success(saved)
    fixes_ui(fixes)
    pending = caches.review_list(data)
    if pending.empty:
        return
    with st.expander(f"Places to review: {plural(len(pending), 'name')}, "
                     f"{plural(int(pending['incidents'].sum()), 'incident')}"):
        st.dataframe(as_cells(pending.drop(columns="key")), hide_index=True)
        labels = [f"{row.place} ({row.country if isinstance(row.country, str) else 'no country'}"
                  f"): {row.reason}, {plural(row.incidents, 'incident')}"
                  for row in pending.itertuples()]
        chosen = pending.iloc[labels.index(st.selectbox("Place name", labels, key="review-place"))]
        fix = fix_ui(chosen["place"], fixes.learned)
        if st.button("Save this fix", key="review-save", disabled=fix is None):
            save_fix(chosen, *fix)


def fix_ui(place: str, learned: Learned = NO_LEARNED) -> tuple[float, float, str] | None:
    """Where the user says ``place`` is: a learned place or a gazetteer candidate, or
    typed coordinates."""
    options = candidates(place, load_gazetteer(), learned=learned)
    choices = [candidate_label(o) for o in options.itertuples()] + [TYPE_COORDINATES]
    pick = st.radio("Where is it?", choices, key="review-pick")
    if pick == TYPE_COORDINATES:
        return typed_fix(place)
    option = options.iloc[choices.index(pick)]
    return (float(option["latitude"]), float(option["longitude"]),
            f"{option['name']}, {option['country']}")


def fixes_ui(saved: store.Saved) -> None:
    if not saved.fixes:
        return
    with st.expander(f"Saved fixes: {plural(len(saved.fixes), 'place')}"):
        st.dataframe(as_cells(pd.DataFrame(
            [{"place": fix.get("place"), "country": key.rpartition("|")[2],
              "latitude": fix["latitude"], "longitude": fix["longitude"],
              "as": fix.get("name"), "by": fix.get("by"), "at": fix.get("at")}
             for key, fix in sorted(saved.fixes.items())])), hide_index=True)


def user_ui() -> str:
    """Who saves a fix: with a shared store, the name the sign-in proxy passes (its servers
    listen on localhost only, so the proxy is the one door and the header is its) or
    Streamlit's own sign-in; else, and for one person, this machine's user."""
    if os.environ.get(store.DATABASE_ENV) and st.user.get("is_logged_in"):
        return str(st.user.get("email") or st.user.get("name"))
    return proxy_user() or store.local_user()


def candidate_label(option) -> str:
    """A choice of the review panel: a learned place names its files and events (their
    names from the user's files: radio labels are Markdown)."""
    where = f"{option.latitude:.3f}, {option.longitude:.3f}"
    if isinstance(option.learned_from, str):
        return (f"{plain(option.name)}, {option.country} (learned from "
                f"{plain(option.learned_from)}: {plural(int(option.events), 'event')}; "
                f"{where})")
    return f"{option.name}, {option.country} ({option.kind}; {where})"


def save_fix(chosen: pd.Series, latitude: float, longitude: float, label: str) -> None:
    try:
        notice = store.save_override(chosen["key"], store.new_fix(
            chosen["place"], latitude, longitude, label, by=user_ui()))
    except store.SaveError as error:
        st.error(plain(error))
        return
    st.session_state[SAVED_FIX] = plain(
        f"Saved: {chosen['place']} at {latitude:.5f}, {longitude:.5f} ({label}); "
        "used for every incident with this name from now on." + (f" {notice}" if notice
                                                                 else ""))
    st.rerun()


def typed_fix(place: str) -> tuple[float, float, str] | None:
    """Coordinates the user typed, or None until both are there and make sense. They
    start empty: a default of 0 once saved a village at 0°, 0° in the Gulf of Guinea."""
    left, right = st.columns(2)
    latitude = left.number_input("Latitude", -90.0, 90.0, value=None, format="%.5f",
                                 placeholder="-90 to 90, north positive", key="fix-latitude")
    longitude = right.number_input("Longitude", -180.0, 180.0, value=None, format="%.5f",
                                   placeholder="-180 to 180, east positive",
                                   key="fix-longitude")
    if latitude is None or longitude is None:
        st.caption("Type both coordinates to save a fix.")
        return None
    if latitude == 0 and longitude == 0 and not st.checkbox(
            "Yes, this place really is at 0°, 0° (at sea, south of Ghana)", key="fix-zero"):
        st.warning("0°, 0° is how many files write \"unknown\"; tick the box if you mean it.")
        return None
    return latitude, longitude, place


def mapping_ui(name: str, digest: str, raw: pd.DataFrame, saved: store.Saved
               ) -> dict[str, str] | None:
    """Which column is which, for a file whose names do not say; None until it is known."""
    remembered = saved.mapping(raw.columns)
    if not unmapped(raw) or remembered:
        return remembered
    with st.sidebar.expander(f"Columns of {plain(name)}", expanded=True):
        st.write("The column names do not say which is the date and which the place. "
                 "Pick them; the choice is remembered for files with these columns.")
        columns = ["(none)", *map(str, raw.columns)]
        chosen = {field: st.selectbox(field, columns, key=f"map-{digest}-{field}")
                  for field in MAPPABLE}
        mapping = {field: column for field, column in chosen.items() if column != "(none)"}
        if st.button("Use these columns", key=f"map-{digest}"):
            try:
                notice = store.save_mapping(raw.columns, mapping)
            except store.SaveError as error:  # used now all the same, not remembered
                notice = str(error)
            if notice:
                st.warning(plain(notice))
            return mapping
    return None


def uploads_ui(online: bool, saved: store.Saved, families: Families, added: bool
               ) -> Uploads:
    """The sidebar's uploader and the tables of what was uploaded; `added`: other files
    (pulled copies) are chosen beside them."""
    files = st.sidebar.file_uploader(
        "Add incident files", type=UPLOAD_TYPES, accept_multiple_files=True,
        help=f"ACLED, UCDP GED, GTD or any table; up to {MAX_BYTES // 2**20} MB per file.",
    )
    tables, mappings = [], {}
    for file in files or []:
        data = file.getvalue()
        # Hashed once per upload, not on every rerun (a 200 MB file takes half a second).
        digests = st.session_state.setdefault(UPLOAD_DIGESTS, {})
        digest = digests.get(file.file_id) or digests.setdefault(
            file.file_id, hashlib.sha256(data).hexdigest())
        try:
            raw = caches.read_upload(caches.Upload(file.name, digest, data))
            mapping = mapping_ui(file.name, digest, raw.frame, saved)
            if mapping is None:
                continue
            if mapping:
                mappings[file.name] = mapping
            tables.append(load_upload(digest, file.name, mapping, saved, online, raw,
                                      families))
        except LoaderError as error:
            st.sidebar.error(plain(error))
    # A user's file is rarely meant to be mixed with the bundled IS sample; beside a
    # dataset of their own (`dashboard run FILE`) it may well be.
    keep_base = not (files or added) or st.sidebar.checkbox(
        "Keep the loaded dataset beside the added files", value=dataset_path() != SAMPLE_PATH,
        key="keep-base")
    return Uploads(tables, keep_base, mappings)


def rejected_ui(table: Table) -> None:
    for warning in table.warnings:
        st.sidebar.warning(plain(warning))
    if table.rejected.empty:
        return
    with st.sidebar.expander(f"{plural(len(table.rejected), 'row')} not loaded",
                             expanded=True):
        for reason, count in table.reason_counts().items():
            st.write(f"{count:,}: {plain(reason)}")
        st.download_button("Download rejected rows", data=lambda: to_csv_bytes(table.rejected),
                           file_name="rejected_rows.csv", mime="text/csv", on_click="ignore")

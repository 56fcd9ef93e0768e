"""The sidebar's live sources: pull ACLED or UCDP into a local copy, choose the copies to
load, and what each copy's last pull changed (a page part, with a CSV of the changes).

Credentials typed here live in this session's memory only (the form's widgets): never in
a file, the link, a log or a message. $ACLED_USERNAME, $ACLED_PASSWORD and
$UCDP_ACCESS_TOKEN are used when nothing is typed.
"""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from dashboard import acled, pulled, store, ucdp
from dashboard.export import to_csv_bytes
from dashboard.remote import PullError
from dashboard.ui.state import as_cells, plain
from dashboard.wording import plural

PULLS_DIR = "pulls"  # under store.home(): the copies pulled from the page
CHOSEN = "pulled-copies"  # the data menu's choice of copies
SOURCE_LABELS = {"acled": "ACLED (weekly)", "ucdp": "UCDP GED (yearly release)",
                 pulled.CANDIDATE: "UCDP candidate events (monthly)"}


def sources_ui() -> list[Path]:
    """The pull form and the data menu's copies; the copies chosen to load."""
    pull_ui()
    known = [str(path) for path in pulled.known_copies()]
    if not known:
        return []
    st.session_state[CHOSEN] = [p for p in st.session_state.get(CHOSEN, []) if p in known]
    chosen = st.sidebar.multiselect(
        "Pulled copies", known, format_func=lambda p: Path(p).name, key=CHOSEN,
        help="Local copies of ACLED or UCDP pulled here or with `dashboard pull`; each "
             "loads like a file. Pull again to bring one up to date.")
    return [Path(p) for p in chosen]


def pull_ui() -> None:
    with st.sidebar.expander("Sources: pull from ACLED or UCDP"), st.form("pull"):
        source = st.selectbox("Source", list(SOURCE_LABELS), format_func=SOURCE_LABELS.get)
        countries = st.text_input("Countries", placeholder="Nigeria, Mali")
        start = st.date_input("From", value=None, format="YYYY-MM-DD")
        end = st.date_input("To", value=None, format="YYYY-MM-DD")
        name = st.text_input("Name of the copy", placeholder="acled-nigeria",
                             help="Pulling again into the same name updates it.")
        username = st.text_input("myACLED e-mail (ACLED)")
        password = st.text_input("myACLED password (ACLED)", type="password",
                                 help="Kept in this session's memory only.")
        token = st.text_input("UCDP access token (UCDP)", type="password",
                              help="Kept in this session's memory only.")
        st.caption(plain(f"{acled.ATTRIBUTION} {ucdp.ATTRIBUTION}"))
        if not st.form_submit_button("Pull"):
            return
    names = [c.strip() for c in countries.split(",") if c.strip()]
    if not names:
        st.sidebar.error("Name at least one country to pull.")
        return
    question = pulled.Question(source, tuple(names), start and start.isoformat(),
                               end and end.isoformat())
    account = (acled.Credentials(username, password) if username and password
               else acled.Credentials.from_environment())
    run_pull(question, copy_path(name or f"{source}-{'-'.join(names)}"), account,
             token or None)


def copy_path(name: str) -> Path:
    """A file name from what the user typed: letters, digits, dashes; in the home."""
    safe = re.sub(r"[^\w-]+", "-", name.strip().lower()).strip("-") or "copy"
    return store.home() / PULLS_DIR / f"{safe[:80]}.parquet"


def run_pull(question: pulled.Question, path: Path, account: acled.Credentials | None,
             token: str | None) -> None:
    """One pull with what was typed (else the environment's credentials)."""
    status = st.sidebar.status(f"Pulling {pulled.describe(question)} into {path.name}",
                               expanded=True)

    def progress(page: int, rows: int) -> None:
        status.write(f"Page {page}: {plural(rows, 'event')} so far")

    try:
        copy, report = pulled.pull(question, path, progress, account=account, token=token)
    except PullError as error:
        status.update(label=plain(f"Not pulled: {error}"), state="error")
        st.sidebar.error(plain(f"Not pulled: {error}"))
        return
    status.update(label=plain(f"{path.name}: {summary(copy, report)}"), state="complete",
                  expanded=False)
    chosen = st.session_state.get(CHOSEN, [])
    st.session_state[CHOSEN] = chosen if str(path) in chosen else [*chosen, str(path)]


def summary(copy: pulled.Copy, report: pulled.Report) -> str:
    entry = copy.history[-1]
    if entry["pull"] == 1:
        return f"{plural(entry['rows'], 'event')} (first pull)."
    return f"Since the last pull: {report.summary()}."


def said_time(iso: str) -> str:
    """"2026-12-02T07:17:42+00:00" as "2026-12-02 07:17 UTC" (pulls are stamped in UTC)."""
    return f"{iso[:10]} {iso[11:16]} UTC"


def changes_ui(paths: list[Path]) -> None:
    """Per loaded copy: when it was pulled, from where, and what the last pull changed."""
    for path in paths:
        try:
            copy = pulled.read_copy(path, events=False)
        except PullError as error:
            st.warning(plain(error))
            continue
        if copy is None or not copy.history:
            continue
        entry = copy.history[-1]
        report = pulled.Report.from_json(entry["report"])
        st.info(plain(f"{path.name}: {SOURCE_LABELS[copy.question.source]}, pull "
                      f"{entry['pull']} at {said_time(entry['pulled_at'])}. "
                      f"{summary(copy, report)}"))
        st.caption(plain(pulled.TERMS[copy.question.source]))
        if entry["pull"] > 1 and (report.revised or report.deleted or report.new):
            with st.expander(f"What the last pull of {plain(path.name)} changed"):
                changes = report.rows()
                st.dataframe(as_cells(changes), hide_index=True)
                st.download_button("Download the changes (CSV)",
                                   data=lambda c=changes: to_csv_bytes(c),
                                   file_name=f"{path.stem}-pull-{entry['pull']}-changes.csv",
                                   mime="text/csv", on_click="ignore",
                                   key=f"changes-{path}")

"""The sidebar's learned places: whether the files loaded teach places, the files learned
from (rows, names), and a Forget button for each."""

from __future__ import annotations

import os

import streamlit as st

from dashboard import store
from dashboard.learned import LEARN_ENV
from dashboard.schema import Table
from dashboard.ui.state import plain
from dashboard.wording import plural

# The digests of files this session need not offer to learn from again: they taught
# nothing (no coordinates, none precise: `store.learn` would fold every row again on every
# rerun to find that out), or the user forgot them (learning again at once would undo the
# click). A file loaded again in a later session is checked again.
SETTLED = "learn-settled"


def learned_ui(tables: list[Table], saved: store.Saved) -> None:
    """Learn from the loaded files (unless unticked), and list what was learned from.

    The tables were loaded with the places ``saved`` held; one learned now places rows
    from the next run on (a new file changes `Saved.fingerprint`, so every load and cache
    follows)."""
    with st.sidebar.expander(f"Places learned from your data: "
                             f"{plural(len(saved.learned.files), 'file')}"):
        learn = st.checkbox("Learn places from this file", key="learn-places",
                            value=os.environ.get(LEARN_ENV) != "0",
                            help="Rows with coordinates their source says are the place's "
                                 "(UCDP where_prec 1-2, ACLED geo_precision 1, GTD "
                                 "specificity 1-2, or any file's coordinates with a place "
                                 "name) teach their names; rows without coordinates in "
                                 "later files are placed from them.")
        if learn and learn_tables(tables, saved):
            st.rerun()
        for file in saved.learned.files:
            # One under the other: the sidebar is too narrow for a button beside the text.
            st.caption(plain(f"{file['name']}: {plural(int(file['rows']), 'row')}, "
                             f"{plural(int(file['names']), 'name')}"))
            if st.button(f"Forget {plain(file['name'])}", key=f"forget-{file['sha256']}"):
                forget(str(file["sha256"]))


def learn_tables(tables: list[Table], saved: store.Saved) -> bool:
    """Learn each loaded file not learned from yet; whether any taught something."""
    settled = st.session_state.setdefault(SETTLED, set())
    known = {file["sha256"] for file in saved.learned.files} | settled
    taught = False
    for table in tables:
        for file in table.files:
            if file["sha256"] in known or not file["sha256"]:
                continue
            try:
                learned = store.learn(file["sha256"], file["name"], table.accepted,
                                      file.get("pulled", {}).get("holds"))
            except store.SaveError as error:
                st.sidebar.error(plain(error))
                continue
            taught |= learned is not None
            if learned is None:
                settled.add(file["sha256"])
    return taught


def forget(digest: str) -> None:
    try:
        store.forget_learned(digest)
    except (LookupError, store.SaveError) as error:
        st.sidebar.error(plain(error))
        return
    st.session_state.setdefault(SETTLED, set()).add(digest)
    st.rerun()

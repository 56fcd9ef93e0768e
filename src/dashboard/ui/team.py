"""The page's part of the team mode: who the proxy signed in."""

from __future__ import annotations

import os

import streamlit as st

from dashboard import store
from dashboard.ui.data import USER_HEADER
from dashboard.ui.state import plain


def signed_in_ui() -> str | None:
    """The signed-in analyst's name, said at the top of the sidebar ("Signed in as
    alice"); None outside the team mode (no DASHBOARD_DATABASE_URL) or without sign-in."""
    if not os.environ.get(store.DATABASE_ENV):
        return None
    name = (st.context.headers.get(USER_HEADER) or "").strip()
    if not name:
        return None
    st.sidebar.caption(f"Signed in as **{plain(name)}**")
    return name

"""The page's part of the team mode: who the proxy signed in."""

from __future__ import annotations

import os

import streamlit as st

from dashboard.ui.state import plain

# Set by the proxy in front of the servers (deploy/haproxy.cfg), which throws away any
# such header a browser sent; read only in team mode, where the servers listen on
# 127.0.0.1 behind that proxy.
USER_HEADER = "X-Forwarded-User"


def signed_in_ui() -> str | None:
    """The signed-in analyst's name, said at the top of the sidebar ("Signed in as
    alice"); None outside the team mode (no DASHBOARD_DATABASE_URL) or without sign-in."""
    if not os.environ.get("DASHBOARD_DATABASE_URL"):
        return None
    name = (st.context.headers.get(USER_HEADER) or "").strip()
    if not name:
        return None
    st.sidebar.caption(f"Signed in as **{plain(name)}**")
    return name

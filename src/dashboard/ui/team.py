"""The page's part of the team mode: who the proxy signed in."""

from __future__ import annotations

import os

import streamlit as st

from dashboard import store
from dashboard.ui.state import plain

# Who is signed in, as the team's sign-in proxy passes it (deploy/haproxy.cfg), which
# throws away any such header a browser sent; read only in team mode, where the servers
# listen on 127.0.0.1 behind that proxy (signed_in_ui says it, ui.data signs fixes with it).
USER_HEADER = "X-Forwarded-User"


def proxy_user() -> str | None:
    """The name the sign-in proxy passed; None outside the team mode (no
    DASHBOARD_DATABASE_URL) or without one."""
    if not os.environ.get(store.DATABASE_ENV):
        return None
    return (st.context.headers.get(USER_HEADER) or "").strip() or None


def signed_in_ui() -> str | None:
    """The signed-in analyst's name, said at the top of the sidebar ("Signed in as
    alice"); None outside the team mode or without sign-in."""
    name = proxy_user()
    if not name:
        return None
    st.sidebar.caption(f"Signed in as **{plain(name)}**")
    return name

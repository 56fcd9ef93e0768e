"""What a session remembers between runs, and the link (URL) that says the view.

Every session-state key that more than one function reads is named here once; a
widget's own key, read only through the widget, stays beside the widget.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dashboard.compare import Periods, read_periods, written_periods
from dashboard.export import neutralise
from dashboard.filters import QUERY_NAMES, Filters, from_query, to_query
from dashboard.layers import LAYERS
from dashboard.trends import LEVELS, PERIODS

# Session-state keys.
PERIOD = "period"  # the period slider's (start, end)
PERIOD_DATA = "period_data"  # the files (names, hashes) the period was set for
PLAYING = "playing"
PLAYBACK_INDEX = "playback_index"  # the window on screen; None when not playing back
PLAYBACK_DUE = "playback_due"  # when (time.monotonic()) the next window is due
SPEED = "speed"  # the playback's speed selectbox
LAYER = "layer"  # the map layer radio
MAP_VIEW = "map_view"  # where the map looks: (latitude, longitude, zoom)
FITS = "fits"  # how often the user asked to fit the map again
LINK_READ = "link_read"  # the link the page was opened with has been read
SAVED_FIX = "saved_fix"  # what the last saved place fix was, said once after the rerun
SAVED_NOTICES = "saved_notices"  # saved file name -> what this session was told about it
PICKED_ROW = "picked_row"  # the incident the last map click picked
UPLOAD_DIGESTS = "upload_digests"  # upload file id -> SHA-256 of its bytes
# The rising list's and the comparison's choices: the sidebar radios' keys are also their
# URL names; COMPARE holds the chosen `compare.Periods` (None: the default ones).
RISING_BY = "rising_by"
RISING_PERIOD = "rising_period"
COMPARE = "compare"
TRENDS_LINK_READ = "trends_link_read"  # the link's rising and comparison choices are read

EVENT_QUERY = "event"  # ?event=ID opens one incident
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Text from a file (names, cells in messages) shown as itself: Streamlit renders
    Markdown in labels and messages, and `![x](https://host/t.png)` would fetch a URL."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def as_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A table for `st.dataframe` with its text cells as the CSV export writes them: a
    missing text is an empty cell, not the word "None" (which a place could be), and a
    cell a spreadsheet would run as a formula is quoted. Every table's toolbar offers its
    own CSV download, which does not pass through `export.to_csv_bytes`."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_datetime64_any_dtype(frame[c])]
    return frame.assign(**{c: neutralise(frame[c]).astype("string").fillna("") for c in text})


def link_view(known: dict[str, set[str]], first, last) -> tuple[Filters, str]:
    """The view a pasted URL asks for (filters and map layer); a value that cannot be used
    is said once, in the sidebar, not fatal."""
    params = {name: st.query_params.get_all(name) for name in QUERY_NAMES}
    default, notices = from_query(params, known, first, last)
    layer = st.query_params.get(LAYER, LAYERS[0])
    if layer not in LAYERS:
        notices.append(f"layer={layer!r} is not one of {', '.join(LAYERS)}; ignored.")
        layer = LAYERS[0]
    # Only the link the page was opened with is the user's; later the URL is the page's
    # own, and its old period would be "outside" new data.
    if not st.session_state.get(LINK_READ):
        for notice in notices:
            st.sidebar.info(f"Link: {plain(notice)}")
    st.session_state[LINK_READ] = True
    return default, layer


def show_in_link(filters: Filters, layer: str) -> None:
    """The URL always shows this view, so it can be sent to a colleague."""
    query = {**to_query(filters), LAYER: [layer]}
    if st.query_params.get(EVENT_QUERY):
        query[EVENT_QUERY] = [st.query_params[EVENT_QUERY]]
    st.query_params.from_dict(query)


def link_trends() -> None:
    """The rising list's and the comparison's choices from the link the page was opened
    with (``rising_by``, ``rising_period``, ``compare=A..A,B..B``), into the session once;
    a value that cannot be used is said in the sidebar and ignored. Read before
    `show_in_link`, which writes the link anew."""
    if st.session_state.get(TRENDS_LINK_READ):
        return
    st.session_state[TRENDS_LINK_READ] = True
    notices = []
    for key, allowed in ((RISING_BY, LEVELS), (RISING_PERIOD, PERIODS)):
        value = st.query_params.get(key)
        if value is None:
            continue
        if value in allowed:
            st.session_state[key] = value
        else:
            notices.append(f"{key}={value!r} is not one of {', '.join(allowed)}; ignored.")
    text = st.query_params.get(COMPARE)
    if text is not None:
        periods, wrong = read_periods(text)
        if periods is None:
            notices.append(f"{COMPARE}={text!r} {wrong}; the default periods are compared.")
        st.session_state[COMPARE] = periods
    for notice in notices:
        st.sidebar.info(f"Link: {plain(notice)}")


def show_trends_in_link(by: str, period: str, periods: Periods | None) -> None:
    """The rising and comparison choices in the URL, beside `show_in_link`'s view (the
    comparison's periods only when the user chose them: by default they follow the
    filters)."""
    st.query_params[RISING_BY] = by
    st.query_params[RISING_PERIOD] = period
    if periods is None:
        st.query_params.pop(COMPARE, None)
    else:
        st.query_params[COMPARE] = written_periods(periods)

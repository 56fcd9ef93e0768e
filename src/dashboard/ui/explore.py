"""The page's middle: the playback controls, then a fragment with the summary, figures,
map, legend, the selected incident and the charts of the current view. The playback
reruns only the fragment."""

from __future__ import annotations

import dataclasses
import html
import re
import time
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard import charts
from dashboard.filters import DECLARED, Filters, windows
from dashboard.layers import OTHER_LABEL, POINT_LIMIT, IncidentMap, needs_framing
from dashboard.ui import caches
from dashboard.ui.areas import areas_ui
from dashboard.ui.sidebar import COLOUR_NAMES, MapSettings, set_near
from dashboard.ui.state import (
    EVENT_QUERY,
    FITS,
    MAP_VIEW,
    PICKED_ROW,
    PLAYBACK_DUE,
    PLAYBACK_INDEX,
    PLAYING,
    SPEED,
    as_cells,
    plain,
)
from dashboard.ui.trends import rising_ui
from dashboard.vicinity import left_out

SPEEDS = {"slow": 2.0, "normal": 1.0, "fast": 0.5}  # seconds per playback step


@dataclass(frozen=True)
class Playback:
    step: str = "month"  # or "week"
    mode: str = "moving"  # or "cumulative"
    playing: bool = False


@dataclass(frozen=True)
class Window:
    """What the fragment shows on this run: the filters narrowed to the playback's
    window (the filters themselves when not playing back)."""

    filters: Filters
    index: int | None = None  # the window's number; None when not playing back
    line: str | None = None  # which window, in words


def toggle_playback(count: int) -> None:
    """Play from the window on screen (from the start when none is, or at the end);
    Pause stays on the window on screen."""
    playing = not st.session_state.get(PLAYING, False)
    st.session_state[PLAYING] = playing
    if playing:
        index = st.session_state.get(PLAYBACK_INDEX)
        if index is None or index >= count - 1:
            st.session_state[PLAYBACK_INDEX] = 0
        st.session_state[PLAYBACK_DUE] = time.monotonic() + speed()


def stop_playback() -> None:
    st.session_state[PLAYING] = False
    st.session_state[PLAYBACK_INDEX] = None


def speed() -> float:
    return SPEEDS[st.session_state.get(SPEED, "normal")]


def playback_ui(filters: Filters) -> Playback:
    """Play/pause and how to step."""
    if filters.start is None or filters.end is None:
        return Playback()
    playing = st.session_state.get(PLAYING, False)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        step = st.selectbox("Playback step", ["month", "week"], key="step", width=140)
        mode = st.selectbox("Window", ["moving", "cumulative"], key="mode", width=150,
                            help="Moving: one step at a time. Cumulative: from the start "
                                 "of the period to the current step.")
        st.selectbox("Speed", list(SPEEDS), index=1, key=SPEED, width=120)
        count = len(windows(filters.start, filters.end, step))
        st.button("Pause" if playing else "Play", key="play", on_click=toggle_playback,
                  args=(count,), icon=":material/pause:" if playing else
                  ":material/play_arrow:")
        st.button("Stop", key="stop", on_click=stop_playback, icon=":material/stop:",
                  disabled=st.session_state.get(PLAYBACK_INDEX) is None)
    return Playback(step, mode, playing)


def playback_window(filters: Filters, playback: Playback) -> Window:
    """The playback's window on this run. While playing, the next window once its time
    has come: a run that is not the timer's (a click on Pause) shows the same window."""
    index = st.session_state.get(PLAYBACK_INDEX)
    if index is None or filters.start is None or filters.end is None:
        return Window(filters)
    spans = windows(filters.start, filters.end, playback.step)
    now = time.monotonic()
    if playback.playing and now >= st.session_state.get(PLAYBACK_DUE, 0):
        index += 1
        st.session_state[PLAYBACK_DUE] = now + speed()
    if index >= len(spans) - 1 and playback.playing:  # played through: stay on the last
        st.session_state[PLAYING] = False
        st.session_state[PLAYBACK_INDEX] = len(spans) - 1
        st.rerun(scope="app")  # a full run draws the fragment without its timer
    index = min(index, len(spans) - 1)
    start, end = spans[index]
    shown = dataclasses.replace(filters, end=end,
                                start=filters.start if playback.mode == "cumulative" else start)
    return Window(shown, index, f"Playback: {charts.day(shown.start)} to {charts.day(end)} "
                                f"({playback.step} {index + 1} of {len(spans)}, "
                                f"{playback.mode})")


def figures_ui(shown: charts.Totals) -> None:
    with st.container(horizontal=True):  # wraps on a narrow screen, never cuts a label
        st.metric("Incidents", f"{shown.incidents:,}", width=150)
        st.metric("Fatalities", f"{shown.fatalities:,}", width=150)
        st.metric("Countries", f"{shown.countries:,}", width=150)
        st.metric("Not on the map", f"{shown.unplaced:,}", width=150,
                  help="Incidents whose place could not be located; they stay in the "
                       "table and the export.")


def swatches(entries: list[tuple[str, tuple[int, int, int]]], mark: str) -> str:
    """Coloured marks with their labels. Labels may be cells of the file: escaped for
    HTML, then for Markdown (where `![x](https://host/t.png)` would make the page fetch
    from that host)."""
    return " &nbsp; ".join(f'<span style="color:rgb{rgb}">{mark}</span> '
                           + plain(html.escape(label, quote=False)) for label, rgb in entries)


def legend_ui(incident_map: IncidentMap, colour_by: str, placed: int) -> None:
    if incident_map.legend:
        st.markdown(f"{COLOUR_NAMES[colour_by].capitalize()}: "
                    f"{swatches(incident_map.legend, '&#9679;')}", unsafe_allow_html=True)
        st.caption("Paler points are placed only at district, region or country level, or "
                   f"at one of several places of their name. Grey points: {OTHER_LABEL}.")
    if incident_map.scale:
        st.markdown(f"{plain(incident_map.scale_title)}: "
                    f"{swatches(incident_map.scale, '&#9632;')}", unsafe_allow_html=True)
    if incident_map.aggregated:
        size = f"{incident_map.cell_degrees:g}°"
        if incident_map.layer == "grid":
            st.caption(f"Aggregated: {placed:,} incidents counted in {size} grid cells "
                       "(the cell size follows the framing).")
        else:
            st.caption(f"Aggregated: {placed:,} incidents counted in {size} cells first; "
                       f"narrow the filters below {POINT_LIMIT:,} placed incidents to see "
                       "each one.")


def details_ui(incidents: pd.DataFrame, row: int) -> None:
    """Every field of one incident, as text; its source link only when it is http(s)."""
    record = incidents.loc[row]
    with st.container(border=True):
        st.subheader("Selected incident")
        st.dataframe(as_cells(pd.DataFrame({"field": record.index.astype(str),
                                            "value": record.astype("string").to_numpy()})),
                     hide_index=True, width="stretch")
        url = record.get("source_url")
        if isinstance(url, str) and re.match(r"(?i)^https?://", url):
            st.link_button("Open the source", url)
        near_this_ui(record)
        st.button("Close", key="close-details", on_click=close_details)


def near_this_ui(record: pd.Series) -> None:
    """A button that sets the distance filter to this incident's point."""
    if pd.isna(record.get("latitude")) or pd.isna(record.get("longitude")):
        return
    point = f"{float(record['latitude']):.5f}, {float(record['longitude']):.5f}"
    if st.button("Incidents near this one", key="near-this", on_click=set_near,
                 args=(DECLARED["near"], point),
                 help="Sets the sidebar's 'Near a place' to this incident's point; the "
                      "distance is the one set there."):
        st.rerun(scope="app")  # a click in the map's fragment reruns only the fragment


def near_note_ui(period: caches.View) -> None:
    """Where the distance filter's circle is, and the incidents with no point it leaves
    out though they may lie within it."""
    near = period.filters.near
    if near is None:
        return
    others = caches.view(period.data, dataclasses.replace(period.filters, near=None))
    unplaced = len(others.selection) - others.selection.placed_count()
    st.caption(f"Red circle: within {near.km:g} km of {plain(near.label)}. "
               + left_out(unplaced))


def selected_row(event, incidents: pd.DataFrame) -> int | None:
    """The row a click picked on the map, else the one the URL names (?event=ID).

    A new click opens its incident and puts it in the URL (when its id is unique, so the
    link opens that row); a click beside the points closes it.
    """
    picked = event.selection.objects.get("incidents", []) if event else []
    row = picked[0].get("row") if picked else None
    row = row if row in incidents.index else None
    previous = st.session_state.get(PICKED_ROW)
    st.session_state[PICKED_ROW] = row
    if row is not None and row != previous:
        event_id = incidents.at[row, "event_id"]
        if (incidents["event_id"] == event_id).sum() == 1:
            st.query_params[EVENT_QUERY] = str(event_id)
        else:
            st.query_params.pop(EVENT_QUERY, None)
        return int(row)
    if row is None and previous is not None:
        st.query_params.pop(EVENT_QUERY, None)
        return None
    wanted = st.query_params.get(EVENT_QUERY)
    if wanted:
        hits = incidents.index[incidents["event_id"] == wanted]
        if len(hits):
            return int(hits[0])
        st.info(f"Link: {EVENT_QUERY}={plain(repr(wanted))} is not in the data; ignored.")
    return None


def close_details() -> None:
    st.query_params.pop(EVENT_QUERY, None)


def charts_ui(shown: caches.View) -> None:
    by_column, measure_column = st.columns(2)
    by = by_column.radio("Stack by", ["region", "country"], key="chart_by", horizontal=True)
    measure = measure_column.radio("Count", ["incidents", "fatalities"], key="chart_measure",
                                   horizontal=True)
    monthly, share, places, actors = caches.chart_list(shown, by, measure)
    st.altair_chart(monthly, width="stretch")
    st.altair_chart(share, width="stretch")
    left, right = st.columns(2)
    left.altair_chart(places, width="stretch")
    right.altair_chart(actors, width="stretch")


def map_view(period: caches.View) -> tuple[float, float, float]:
    """Where the map looks: it frames the incidents the filters show whenever they no
    longer fit the view, or fill only a corner of it (another country, an upload); a
    change that leaves them in view keeps the map where the user moved it. The map
    is framed on the whole period, not on each playback window."""
    fitted = caches.framing(period)
    last = st.session_state.get(MAP_VIEW)
    if last is None or needs_framing(last, fitted.box, fitted.zoom):
        # deck.gl moves the map only when the view it is sent changes: after a click on
        # "Fit", the view is sent a hair's breadth different from the last one.
        nudge = 1e-6 * (st.session_state.get(FITS, 0) % 2)
        st.session_state[MAP_VIEW] = (fitted.latitude, fitted.longitude, fitted.zoom + nudge)
    return st.session_state[MAP_VIEW]


def refit() -> None:
    st.session_state[FITS] = st.session_state.get(FITS, 0) + 1
    st.session_state[MAP_VIEW] = None


def explore_ui(period: caches.View, settings: MapSettings, playback: Playback) -> None:
    """Summary, figures, map, details and charts of the current view (a fragment):
    ``period`` is what the filters pick, the playback shows a window of it."""
    window = playback_window(period.filters, playback)
    shown = caches.view(period.data, window.filters)
    look = map_view(period)
    figures = charts.totals(shown.selection.columns(charts.TOTALS_COLUMNS))
    incident_map = caches.incident_map(shown, settings.layer, settings.colour_by,
                                       settings.tiles, look, settings.shade_by)
    # Everything is computed before anything is drawn, and the window is recorded only
    # once its map is: a run cut short by a click (Pause) leaves the screen and the
    # recorded window in step.
    line = st.empty()  # drawn while not playing too, so the map keeps its place
    if window.line:
        line.markdown(f"**{window.line}**")
    incidents = period.data.incidents
    st.write(charts.summarise(figures, window.filters.start, window.filters.end,
                              len(incidents)))
    figures_ui(figures)
    event = st.pydeck_chart(incident_map.deck, height=520, key="map", on_select="rerun",
                            selection_mode="single-object")
    if window.index is not None:
        st.session_state[PLAYBACK_INDEX] = window.index
    legend_ui(incident_map, settings.colour_by, figures.incidents - figures.unplaced)
    st.button("Fit the map to the incidents shown", key="refit", on_click=refit)
    areas_ui(event, shown, settings)
    near_note_ui(period)
    row = selected_row(event, incidents)
    if row is not None:
        details_ui(incidents, row)
    st.caption("Outlines: Natural Earth. Place names: GeoNames (CC BY 4.0), countrystatecity "
               "(ODbL), OpenStreetMap contributors (ODbL)."
               + (" Basemap: © CARTO, © OpenStreetMap contributors." if settings.tiles
                  else ""))
    rising_ui(period)
    if figures.incidents > 0:
        charts_ui(shown)

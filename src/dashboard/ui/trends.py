"""Where is it rising: the sidebar's choices, the "Rising" list below the map, and the
comparison of two periods (a table of areas and actors, a map of the difference).

Both read the view of every filter but the period (`past_view`): an area's baseline and
period A reach back before the period's start; the period's end is "as of".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html

import pandas as pd
import streamlit as st

from dashboard.compare import Periods, default_periods, said_span
from dashboard.trends import LEVELS, PERIOD_WORDS, PERIODS, RULES, flagged, said_date
from dashboard.ui import caches
from dashboard.ui.state import (
    COMPARE,
    RISING_BY,
    RISING_PERIOD,
    link_trends,
    plain,
    show_trends_in_link,
)
from dashboard.wording import plural

LEVEL_NAMES = {"admin1": "admin-1 regions", "country": "countries"}
LEVEL_NAME = {"admin1": "admin-1 region", "country": "country"}
PERIOD_NAMES = {"4w": "4 weeks", "month": "month"}
SHOWN = 15  # areas listed at once; the rest behind "more"
RULES_HELP = (
    "Each area's last period (the 4 weeks to the end of the chosen period, or the last "
    "complete month) against its own past. The flags, no black box: "
    f"**surge**: at least {RULES.min_count} incidents, at least {RULES.min_ratio:g}x the "
    "average of the previous 52 weeks (12 months), and as many would happen by chance "
    f"with probability under {RULES.max_p:g} if incidents were Poisson at that average; "
    f"**highest in N years**: more than every period of the last {RULES.record_years} "
    f"years or more (at least {RULES.min_count} incidents, {RULES.record_ratio:g}x the "
    "average); **first incidents** in an area, or the first after a year without any; "
    "**new actors**: first seen in the area. Surges, records and new actors need at "
    f"least {RULES.min_history_days} days of the area's history. The filters other "
    "than the period pick the incidents; the period's start does not cut the baselines.")
COMPARE_LABELS = {"a": "A", "b": "B", "change": "Change", "ratio": "B / A",
                  "area": "Area", "country": "Country", "actor": "Actor"}


def choices() -> tuple[str, str]:
    return (st.session_state.get(RISING_BY, LEVELS[1]),
            st.session_state.get(RISING_PERIOD, PERIODS[0]))


def trend_settings_ui() -> None:
    """The sidebar's choices for the rising list and the comparison, starting from the
    link's (read here, before the page writes the link anew)."""
    link_trends()
    st.sidebar.title("Rising and comparison")
    st.sidebar.radio("Areas", [LEVELS[1], LEVELS[0]], key=RISING_BY, horizontal=True,
                     format_func=LEVEL_NAMES.get)
    st.sidebar.radio("Last period", list(PERIODS), key=RISING_PERIOD, horizontal=True,
                     format_func=PERIOD_NAMES.get,
                     help="The last 4 weeks, or the last complete month, to the end of the "
                          "period chosen above; also the length of the comparison's "
                          "default periods.")


def past_view(period: caches.View) -> caches.View:
    """Every filter but the period."""
    return caches.view(period.data, dataclasses.replace(period.filters, start=None, end=None))


def area_said(row: object, by: str) -> str:
    name = plain(row.area) if by == "country" else f"{plain(row.area)}, {plain(row.country)}"
    average = "none" if pd.isna(row.baseline) else f"{row.baseline:.1f}"
    reasons = plain(row.reasons[:1].upper() + row.reasons[1:])
    return (f"**{name}**: {plural(int(row.last), 'incident')} in the last period, against "
            f"an average of {average} (the period before: {int(row.previous):,})  \n"
            f"{reasons}.")


def rising_ui(period: caches.View) -> None:
    """The areas whose flags fired, as of the end of the filters' period."""
    by, kind = choices()
    result = caches.rising_areas(past_view(period), by, kind, period.filters.end)
    st.markdown("### Rising", help=RULES_HELP)
    if result.start is None:
        # The file may well have dated incidents: the other filters left none of them.
        st.write("No dated incident passes the filters (the period aside): nothing to "
                 "compare.")
        return
    shown = flagged(result)
    st.caption(f"{plural(len(result.areas), LEVEL_NAME[by], LEVEL_NAMES[by])}: "
               f"the {PERIOD_WORDS[kind]} {said_date(result.start)} to "
               f"{said_date(result.end)} against each one's own past; "
               f"{plural(result.undated, 'undated incident')} and "
               f"{plural(result.later, 'incident')} after it not counted.")
    if shown.empty:
        st.write("No area's flags fired.")
        return
    lines = [f"- {area_said(row, by)}" for row in shown.itertuples()]
    st.markdown("\n".join(lines[:SHOWN]))
    if len(lines) > SHOWN:
        with st.expander(f"{plural(len(lines) - SHOWN, 'more area')} flagged"):
            st.markdown("\n".join(lines[SHOWN:]))


def keep_chosen() -> None:
    """The periods the user picked (both ends of both), from then on in the link."""
    a, b = (st.session_state.get(key, ()) for key in ("compare_a", "compare_b"))
    if len(a) == 2 and len(b) == 2:
        st.session_state[COMPARE] = Periods(tuple(a), tuple(b))


def reset_periods() -> None:
    st.session_state[COMPARE] = None


def periods_ui(default: Periods, first: dt.date, last: dt.date) -> Periods:
    """Two date ranges, on the default periods until the user picks others."""
    chosen = st.session_state.get(COMPARE) or default
    for key, span in (("compare_a", chosen.a), ("compare_b", chosen.b)):
        if len(st.session_state.get(key, ())) != 1:  # not while a range is half picked
            st.session_state[key] = span
    low = min(first, chosen.a[0], chosen.b[0])
    high = max(last, chosen.a[1], chosen.b[1])
    with st.container(horizontal=True, vertical_alignment="bottom"):
        st.date_input("Period A", key="compare_a", min_value=low, max_value=high,
                      on_change=keep_chosen, width=260)
        st.date_input("Period B", key="compare_b", min_value=low, max_value=high,
                      on_change=keep_chosen, width=260)
        st.button("Back to the last two periods", key="compare_reset", on_click=reset_periods,
                  disabled=st.session_state.get(COMPARE) is None)
    return chosen


def table(frame: pd.DataFrame) -> None:
    """A sortable table (a click on a column's name sorts by it); cells shown as text,
    never as Markdown or HTML."""
    st.dataframe(frame.rename(columns=COMPARE_LABELS), hide_index=True, width="stretch",
                 height=min(400, 38 + 35 * max(len(frame), 1)),
                 column_config={"B / A": st.column_config.NumberColumn(format="%.2f")})


def difference_ui(past: caches.View, chosen: Periods, period: caches.View) -> None:
    fitted = caches.framing(period)
    shown = caches.difference(past, chosen, (fitted.latitude, fitted.longitude, fitted.zoom))
    st.pydeck_chart(shown.deck, height=420, key="compare_map")
    if shown.scale:
        st.markdown(f"{plain(shown.scale_title)}: " + " &nbsp; ".join(
            f'<span style="color:rgb{rgb}">&#9632;</span> {html.escape(label)}'
            for label, rgb in shown.scale), unsafe_allow_html=True)


def compare_ui(period: caches.View) -> None:
    """Period A against period B: the areas and actors that changed most, and the
    difference on a map when asked for; the choices go into the link."""
    by, kind = choices()
    st.header("Compare two periods")
    facts = caches.facts(period.data)
    end = period.filters.end or facts.last
    if end is None or facts.first is None:
        st.write("No dated incident to compare.")
        show_trends_in_link(by, kind, None)
        return
    chosen = periods_ui(default_periods(end, kind), facts.first, facts.last)
    show_trends_in_link(by, kind, st.session_state.get(COMPARE))
    past = past_view(period)
    result = caches.comparison(past, by, chosen)
    st.caption(f"A: {said_span(chosen.a)}; B: {said_span(chosen.b)}. The filters other "
               "than the period apply. Change: B minus A, largest first; B / A: none when A "
               "has none. Click a column's name to sort by it.")
    areas, actors = st.columns(2)
    with areas:
        st.markdown(f"**{LEVEL_NAMES[by].capitalize()}**")
        table(result.areas)
    with actors:
        st.markdown("**Actors**")
        table(result.actors)
    if st.toggle("Show the difference on a map", key="compare_on_map",
                 help="Grid cells coloured by B minus A: orange where B has more "
                      "incidents, blue where it has fewer."):
        difference_ui(past, chosen, period)

"""The Streamlit page, in parts. The only package that imports Streamlit; the logic it
calls is pandas. See docs/ARCHITECTURE.md.

Each ``*_ui`` function draws one part of the page and returns plain values: `state`
(session keys, the link), `caches` (work shared by every session, under one identity per
table and per view), `data` (files, columns, rejects, place review), `sources` (pulls of
live sources, their copies and changes), `sidebar` (filters,
map settings), `explore` (playback and the map fragment), `areas` (the areas layer's
table and clicks), `trends` (the Rising list, two periods compared), `outputs` (table,
downloads).
"""

from __future__ import annotations

import streamlit as st

from dashboard.ui import caches
from dashboard.ui.data import data_ui, review_ui
from dashboard.ui.explore import explore_ui, playback_ui, speed
from dashboard.ui.outputs import downloads_ui, table_ui
from dashboard.ui.sidebar import filters_ui, map_settings_ui
from dashboard.ui.sources import changes_ui
from dashboard.ui.state import link_view, show_in_link
from dashboard.ui.trends import compare_ui, trend_settings_ui


def main() -> None:
    st.set_page_config(page_title="Incident dashboard", layout="wide")
    loaded = data_ui()
    facts = caches.facts(loaded.data)
    st.sidebar.title("Filters")  # above any notice about the link's filters
    default, default_layer = link_view(facts.known(), facts.first, facts.last)
    filters = filters_ui(facts, default, loaded.files)
    settings = map_settings_ui(default_layer)
    trend_settings_ui()
    show_in_link(filters, settings.layer)

    st.title("Reported incidents")
    changes_ui(list(loaded.copies))
    playback = playback_ui(filters)
    period = caches.view(loaded.data, filters)
    explore = st.fragment(explore_ui, run_every=speed() if playback.playing else None)
    explore(period, settings, playback)

    table_ui(period.selection)
    downloads_ui(period, loaded)
    compare_ui(period)
    review_ui(loaded.data, loaded.saved.learned)

"""The areas layer's part of the page below the map: the table of admin-1 areas in view,
and a click on a region that filters to it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import areas
from dashboard.filters import DECLARED
from dashboard.ui import caches
from dashboard.ui.sidebar import MapSettings
from dashboard.ui.state import as_cells
from dashboard.wording import plural

PICKED_AREA = "picked_area"  # the region (outline id) the last map click picked
COUNTRIES, ADMIN1 = DECLARED["countries"].field, DECLARED["admin1"].field
TABLE_NAMES = {"area": "Region", "country": "Country", "incidents": "Incidents",
               "fatalities": "Fatalities"}


def picked_area(event) -> str | None:
    """The outline id of the region a map click picked; None for a click elsewhere."""
    picked = event.selection.objects.get("areas", []) if event else []
    properties = picked[0].get("properties") if picked else None
    area_id = properties.get("id") if isinstance(properties, dict) else None
    return str(area_id) if area_id is not None else None


def area_filters(incidents: pd.DataFrame, index: areas.AreaIndex, area_id: str
                 ) -> dict[str, list[str]] | None:
    """The session state of the country and admin1 filters that picks one region's rows
    (each spelling of it the file uses); None when no row lies in it."""
    countries, admin1 = areas.area_choices(incidents, index, area_id)
    if not admin1:
        return None
    return {COUNTRIES: list(countries), ADMIN1: list(admin1)}


def follow_pick(event, shown: caches.View) -> None:
    """A click on a region filters the page to it: the sidebar's country and region
    filters are set to it and the whole page runs again (the filters are drawn outside
    this fragment). A click is acted on once, however often the map reports it."""
    area_id = picked_area(event)
    previous = st.session_state.get(PICKED_AREA)
    st.session_state[PICKED_AREA] = area_id
    if area_id is None or area_id == previous:
        return
    chosen = area_filters(shown.data.incidents, caches.area_index(shown.data), area_id)
    if chosen is not None:
        st.session_state.update(chosen)
        st.rerun(scope="app")


def areas_ui(event, shown: caches.View, settings: MapSettings) -> None:
    """With the areas layer on: a sortable table of the admin-1 areas in view (a click
    on a column's header sorts it), and a region clicked on the map filters to it."""
    if settings.layer != "areas":
        return
    follow_pick(event, shown)
    counts = caches.area_counts(shown, settings.shade_by)
    table = counts.table[list(TABLE_NAMES)].rename(columns=TABLE_NAMES)
    outside = len(shown.selection) - int(counts.table["incidents"].sum())
    st.caption(f"{plural(len(table), 'admin-1 area')} in view; click a region on the map to "
               "filter to it." + (f" {plural(outside, 'incident')} in none (no region in "
                                  "the file, and placed only at country level or at a point "
                                  "outside every outline)." if outside else ""))
    st.dataframe(as_cells(table), hide_index=True, key="areas_table",
                 column_config={name: st.column_config.NumberColumn(name, format="localized")
                                for name in ("Incidents", "Fatalities")})

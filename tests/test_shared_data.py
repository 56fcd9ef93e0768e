"""The real incident files in ../shared/data: layout detected, every row accounted for."""

import pytest

from dashboard.dataset import load_path

from conftest import SHARED_DATA, needs_shared_data

pytestmark = needs_shared_data

# file, layout, records (from SOURCES.md; the HDX files add one HXL row, rejected)
FILES = [
    ("ucdp_ged_iraq_hdx_v19_1.csv", "ucdp", 7473),
    ("ucdp_ged_nigeria_hdx_v20_1.csv", "ucdp", 4603),  # newlines inside quoted fields
    ("ucdp_ged_syria_IS_2016_part1.csv", "ucdp", 2153),  # the older 41-column layout
    ("ucdp_ged_syria_IS_2017_2019_part2.csv", "ucdp", 4319),
    ("wikipedia_terrorist_incidents_1970_2019.csv", "generic", 9319),
]


@pytest.mark.parametrize(("name", "layout", "records"), FILES)
def test_loads_with_every_row_accounted_for(name, layout, records):
    table = load_path(SHARED_DATA / name)
    assert table.layout == layout
    assert table.rows_in == len(table.accepted) + len(table.rejected)
    assert len(table.accepted) + (table.rejected["reason"] != "HXL hashtag row (column tags, "
                                  "not an incident)").sum() == records
    assert table.rejected["reason"].notna().all()
    if layout == "ucdp":
        assert len(table.accepted) >= 0.995 * records
        # UCDP gives true coordinates for every event: all of them must be kept.
        assert table.accepted["geo_method"].eq("source").all()

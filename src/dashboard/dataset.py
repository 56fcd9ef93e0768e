"""One incident file through the whole pipeline: read -> canonical rows -> geocoded."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dashboard.gazetteer import DATA_DIR, load_gazetteer
from dashboard.geocode import geocode as geocode_incidents
from dashboard.schema import Table, normalize
from dashboard.sources import read_path

SAMPLE_PATH = DATA_DIR / "incidents.csv"


def load_path(path: str | Path, layout: str = "auto") -> Table:
    """Read, validate and geocode one file; raises LoaderError on unusable input."""
    path = Path(path)
    dataset = "sample" if path.resolve() == SAMPLE_PATH.resolve() else "custom"
    return prepare_raw(read_path(path), dataset, layout)


def prepare_raw(raw: pd.DataFrame, dataset: str, layout: str = "auto",
                mapping: dict[str, str] | None = None, geocode: bool = True) -> Table:
    """Canonical, geocoded incidents from a frame of text cells.

    ``mapping`` names the file's column for a canonical one where detection cannot know
    ({"place": "Ort"}); ``geocode=False`` only validates (for `dashboard check`).
    """
    gazetteer = load_gazetteer()
    table = normalize(raw, dataset, gazetteer.country_code, gazetteer.country_name, layout,
                      mapping or {})
    if not geocode:
        return table
    return Table(accepted=geocode_incidents(table.accepted, gazetteer),
                 rejected=table.rejected, layout=table.layout)

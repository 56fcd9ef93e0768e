"""Points on the earth: whether a row has one, and how far apart two are.

One definition of each, for every module that asks (see docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_KM = 6371.0  # mean radius


def distance_km(lat1, lon1, lat2, lon2):
    """Great-circle (haversine) distance between points in degrees: numbers, arrays or
    Series (whose index the result keeps); NaN where a point is missing."""
    lat1, lon1, lat2, lon2 = (np.radians(as_float(v)) for v in (lat1, lon1, lat2, lon2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_KM * np.arcsin(np.sqrt(a))


def as_float(values):
    # A Series stays one (nullable numbers become NaN); anything else becomes numpy's.
    if isinstance(values, pd.Series):
        return values.astype("float64")
    return np.asarray(values, dtype="float64")


def is_placed(incidents: pd.DataFrame) -> pd.Series:
    """Per row, whether it has a point: a latitude and a longitude (one alone is none)."""
    return incidents["latitude"].notna() & incidents["longitude"].notna()

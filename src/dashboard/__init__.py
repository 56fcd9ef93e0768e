"""Incident dashboard: load, geocode, filter, map and export reported incidents.

The modules are described in docs/ARCHITECTURE.md.
"""

from importlib import metadata, resources
from pathlib import Path

try:
    # The one place the version is written is pyproject.toml.
    __version__ = metadata.version("incident-dashboard")
except metadata.PackageNotFoundError:  # a checkout on PYTHONPATH that was never installed
    __version__ = "0+unknown"


def _root() -> Path:
    """The folder holding app.py, data/, static/ and .streamlit/: the repository's top
    level in a checkout (and an editable install), ``dashboard/bundle`` in an installed
    wheel (setup.py copies them there)."""
    package = Path(str(resources.files("dashboard")))  # pip installs wheels unzipped
    bundle = package / "bundle"
    return bundle if (bundle / "app.py").is_file() else package.parents[1]


ROOT = _root()

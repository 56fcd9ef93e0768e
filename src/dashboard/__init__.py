"""Incident dashboard: load, geocode, filter, map and export reported incidents."""

__version__ = "0.1.0"

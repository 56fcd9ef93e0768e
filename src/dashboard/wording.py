"""How counts are said to people, in the page, the summary sentence and the CLI alike."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """ "1 incident", "1,566 incidents", "2 fatalities" (``nouns`` when not noun + "s")."""
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"

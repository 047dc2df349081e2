"""IANA zone names from untrusted text (settings, slash options, upstream JSON)."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones


@cache
def _names() -> dict[str, str]:
    # Case-insensitive index of the real zone names. Only names in it ever reach ZoneInfo(), which otherwise
    # opens files: "America" (a folder) raises IsADirectoryError and "../x" is refused only by accident.
    return {name.lower(): name for name in available_timezones()}


def canonical_zone(name: str) -> str | None:
    """The IANA spelling of ``name`` (any case, surrounding blanks ignored), or None if it names no zone."""
    return _names().get(name.strip().lower())


def load_zone(name: str) -> ZoneInfo | None:
    """``ZoneInfo`` for ``name``, or None if it names no zone; never raises."""
    canonical = canonical_zone(name)
    return ZoneInfo(canonical) if canonical else None


def zone_names() -> list[str]:
    """Every IANA zone name, sorted (for autocomplete)."""
    return sorted(_names().values())

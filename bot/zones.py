"""IANA zone names from untrusted text (settings, slash options, upstream JSON)."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

# Names tzdata ships that are not places: "localtime" is whatever the host says, "Factory" means "unset", and
# the POSIX-style legacy names (EST, MST, HST, EST5EDT...) are fixed or US-only rules that people type meaning
# something else ("est" for New York, which has DST). Only UTC and GMT are kept among the slash-less names.
_NOT_PLACES = frozenset({"localtime", "factory", "posixrules", "leapseconds"})
_SLASHLESS_KEPT = frozenset({"UTC", "GMT"})


@cache
def _names() -> dict[str, str]:
    # Case-insensitive index of the real zone names. Only names in it ever reach ZoneInfo(), which otherwise
    # opens files: "America" (a folder) raises IsADirectoryError and "../x" is refused only by accident.
    return {
        name.lower(): name
        for name in available_timezones()
        if name.lower() not in _NOT_PLACES and ("/" in name or name in _SLASHLESS_KEPT)
    }


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


def unknown_zone_message(name: str) -> str:
    """What settings, ``parse-time --tz`` and ``extract --tz`` say about a name that is no zone."""
    return f"{name!r} is not an IANA time zone name such as UTC or America/New_York"

"""IANA zone names from untrusted text (settings, slash options, upstream JSON)."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from bot.exceptions import InputError

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


# Cities people type that are not the city an IANA zone is named after (and launch sites), -> their zone.
CITY_ZONES: dict[str, str] = {
    "beijing": "Asia/Shanghai",
    "hong kong": "Asia/Hong_Kong",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "sriharikota": "Asia/Kolkata",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "vandenberg": "America/Los_Angeles",
    "washington": "America/New_York",
    "boston": "America/New_York",
    "miami": "America/New_York",
    "orlando": "America/New_York",
    "cape canaveral": "America/New_York",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "austin": "America/Chicago",
    "starbase": "America/Chicago",
    "boca chica": "America/Chicago",
    "montreal": "America/Toronto",
    "kourou": "America/Cayenne",
    "baikonur": "Asia/Qyzylorda",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "milan": "Europe/Rome",
    "barcelona": "Europe/Madrid",
    "st petersburg": "Europe/Moscow",
    "saint petersburg": "Europe/Moscow",
    "osaka": "Asia/Tokyo",
    "tanegashima": "Asia/Tokyo",
    "wellington": "Pacific/Auckland",
    "mahia": "Pacific/Auckland",
    "canberra": "Australia/Sydney",
    "dubai": "Asia/Dubai",
    "tel aviv": "Asia/Jerusalem",
}

# Abbreviations name an offset (or several), not a place with its daylight-saving rules: /timezone set answers
# them with the zones they are usually meant for and changes nothing.
ABBREVIATION_ZONES: dict[str, tuple[str, ...]] = {
    "IST": ("Asia/Kolkata", "Asia/Jerusalem", "Europe/Dublin"),
    "CST": ("America/Chicago", "Asia/Shanghai", "America/Havana"),
    "CDT": ("America/Chicago", "America/Havana"),
    "AST": ("America/Halifax", "Asia/Riyadh"),
    "BST": ("Europe/London", "Asia/Dhaka"),
    "GST": ("Asia/Dubai", "Atlantic/South_Georgia"),
    "SST": ("Pacific/Pago_Pago", "Asia/Singapore"),
    "ECT": ("America/Guayaquil", "America/Port_of_Spain"),
    "EST": ("America/New_York",),
    "EDT": ("America/New_York",),
    "ET": ("America/New_York",),
    "CT": ("America/Chicago",),
    "MST": ("America/Denver", "America/Phoenix"),
    "MDT": ("America/Denver",),
    "MT": ("America/Denver",),
    "PST": ("America/Los_Angeles",),
    "PDT": ("America/Los_Angeles",),
    "PT": ("America/Los_Angeles",),
    "AKST": ("America/Anchorage",),
    "HST": ("Pacific/Honolulu",),
    "CET": ("Europe/Paris", "Europe/Berlin"),
    "CEST": ("Europe/Paris", "Europe/Berlin"),
    "WET": ("Europe/Lisbon",),
    "EET": ("Europe/Athens", "Europe/Helsinki"),
    "EEST": ("Europe/Athens", "Europe/Helsinki"),
    "MSK": ("Europe/Moscow",),
    "JST": ("Asia/Tokyo",),
    "KST": ("Asia/Seoul",),
    "HKT": ("Asia/Hong_Kong",),
    "SGT": ("Asia/Singapore",),
    "AEST": ("Australia/Sydney", "Australia/Brisbane"),
    "AEDT": ("Australia/Sydney",),
    "ACST": ("Australia/Adelaide", "Australia/Darwin"),
    "AWST": ("Australia/Perth",),
    "NZST": ("Pacific/Auckland",),
    "NZDT": ("Pacific/Auckland",),
    "BRT": ("America/Sao_Paulo",),
    "GFT": ("America/Cayenne",),
    "PKT": ("Asia/Karachi",),
    "WAT": ("Africa/Lagos",),
    "CAT": ("Africa/Maputo",),
    "EAT": ("Africa/Nairobi",),
}


def _fold(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").casefold().split())


@cache
def _city_index() -> dict[str, str]:
    # The place part of each IANA name ("America/Argentina/Buenos_Aires" -> "buenos aires"), then the extra
    # cities; a place two zones share keeps the first, alphabetically, which is the canonical one in tzdata.
    index: dict[str, str] = {}
    for name in sorted(_names().values()):
        place = _fold(name.rsplit("/", 1)[-1])
        index.setdefault(place, name)
    index.update({_fold(city): zone for city, zone in CITY_ZONES.items()})
    return index


def zone_for_place(text: str) -> str | None:
    """The IANA zone for an IANA name (any case) or a city name ("new york", "Mumbai"), else None."""
    return canonical_zone(text) or _city_index().get(_fold(text))


def abbreviation_zones(text: str) -> tuple[str, ...] | None:
    """The zones an abbreviation (or an offset like "UTC+5") is usually meant for; None when ``text`` is none.

    An offset gets an empty tuple: it names no place, so there is nothing to suggest but a city.
    """
    token = text.strip().upper()
    if token in ABBREVIATION_ZONES:
        return ABBREVIATION_ZONES[token]
    compact = token.replace(" ", "")
    if compact.startswith(("UTC+", "UTC-", "GMT+", "GMT-")) and compact[4:].replace(":", "").isdigit():
        return ()
    return None


def search_zones(text: str, limit: int = 25) -> list[tuple[str, str]]:
    """``(label, zone)`` pairs for autocomplete: IANA names and city names containing ``text``, exact first."""
    needle = _fold(text)
    found: dict[str, str] = {}
    exact = zone_for_place(text) if needle else None
    if exact is not None:
        found[exact] = exact if _fold(exact) == needle else f"{text.strip().title()} ({exact})"
    for city, zone in sorted(_city_index().items()):
        if len(found) >= limit:
            break
        if needle in city and zone not in found:
            label = zone if _fold(zone.rsplit("/", 1)[-1]) == city else f"{city.title()} ({zone})"
            found[zone] = label
    if len(found) < limit:
        for name in zone_names():
            if needle in _fold(name) and name not in found:
                found[name] = name
                if len(found) >= limit:
                    break
    return [(label, zone) for zone, label in found.items()][:limit]


def choose_zone(text: str) -> str:
    """The IANA zone a reader means by ``text`` for their setting, or InputError saying what to type instead.

    Abbreviations and offsets are refused with the zones they usually mean: "IST" is India, Israel or Ireland,
    and even an unambiguous "EST" is an offset without the daylight-saving rules of the place meant.
    """
    cleaned = text.strip().replace("`", "'")
    zone = zone_for_place(cleaned)
    if zone is not None:
        return zone
    suggested = abbreviation_zones(cleaned)
    if suggested is not None:
        if not suggested:
            raise InputError(
                f"`{cleaned[:40]}` is an offset, which does not follow daylight saving. Nothing was changed: "
                "type your city or an IANA zone instead, e.g. `Europe/Paris` or `Tokyo`."
            )
        options = " or ".join(f"`{z}`" for z in suggested)
        many = "can mean several zones" if len(suggested) > 1 else "is an abbreviation, not a zone with its own rules"
        raise InputError(f"`{cleaned.upper()}` {many}. Nothing was changed: pick {options}, or type your city.")
    raise InputError(
        f"I don't know the time zone `{cleaned[:60]}`. Nothing was changed: pick one from the list, or type a city "
        "or an IANA zone such as `America/New_York` or `Europe/Berlin`."
    )

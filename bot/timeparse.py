"""Read human-written times ("10:25 p.m. EST (0325 GMT)", "early Saturday (Feb. 17)") as a careful person would.

The reading is strict on purpose: every word of the input must be understood, and anything a careful reader
would have to guess at (an abbreviation that names two zones, a wall time that happens twice or never, a date
whose year could go either way, two renderings that disagree) is a ``TimeParseError`` that says what to type
instead. python-dateutil supplies the ISO-8601 parser, month and weekday names, day arithmetic and the DST
existence checks; zoneinfo supplies the zones.

Rules a caller should know (also in the tests):

* No zone in the text: the reader's zone is used and ``ParsedTime.zone_assumed`` is True; say so to the user.
* An abbreviation that names one offset is that offset all year: "EST" in July is still UTC-5, because the
  writer said EST. Generic names ("ET", "Eastern time", "PT") follow the IANA zone's DST rules.
* A date without a year is the occurrence nearest to ``ref`` (a weekday given with it picks the year whose date
  falls on that weekday). If the runner-up year is less than ``YEAR_AMBIGUITY_MARGIN`` further away, i.e. the date
  is about six months from ``ref``, the year is asked for instead of guessed.
* A weekday alone ("Saturday", "early Saturday") is the next one on or after ref's day in the zone of the time.
* A clock time with no date is the next such time at or after ``ref`` (the note says which day was taken).
* A bracketed time with no date ("0730 GMT Mar. 9 (2:30 a.m. ET)") takes the day, of the three around the other
  rendering, that puts it nearest that rendering. Only the day taken must have the wall time exactly once: a
  DST gap or fold on a day not taken is no reason to refuse. If the day taken is the gap or fold, that is refused
  with the offsets to write, even when one reading of it would agree with the other rendering (the text named a
  clock reading that never or twice happened; "Nov. 3, 2024 1:30 a.m. ET" is refused the same way).
* "tonight"/"<weekday> night" with a time before 5 a.m. means the early hours of the following day.
* "midnight" with a date is the start of that day; "midnight tonight" is the end of today. "tomorrow midnight" or
  "Saturday midnight" could be either end of the day and is refused with both readings to choose from.
* Zones are looked up in one order: the fixed-abbreviation table first (so "CET" is UTC+1 in July, as the table
  says, though tzdata's "CET" zone has DST), then IANA names through ``bot.zones`` (the one zone authority: no
  "localtime", "Factory" or other non-places), then generic names, launch sites and offsets (UTC-12 to UTC+14).
* Four digits after a date are its year when a comma precedes them ("March 3, 2025 UTC") or a clock was already
  given ("12 a.m. Feb 17 2024 UTC"); "Feb. 15 0612 GMT" is a clock because 0612 cannot be a year; "Feb 17 2024
  UTC" (20:24 or the year?) is refused.
* Durations ("in 2 hours", "in 1h30m", "90 minutes from now", "now") count from ``now`` (default ``ref``) and are
  read to the minute. Hours and minutes are elapsed time, also across a DST change; days and weeks are calendar
  days in the zone of the time, keeping the clock time (refused if that clock time does not exist or happens twice
  that day). Only days combine with a clock ("in 2 days at 14:00 UTC"); negative, zero, past ("ago"), over ten
  years, months/years, seconds, and counts that also read as clocks ("in 1:30 hours") are refused. Prose is not
  read for durations: an article's "in 2 hours" counts from when it was written.
* A year-less date whose nearest occurrence is more than half a year away (Feb. 29 outside leap years) is
  refused, and so is a weekday-only time that falls earlier on the reader's today ("Wednesday 9am UTC" said on a
  Wednesday evening): this morning or next week could be meant.
"""

from __future__ import annotations

import calendar
import enum
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from fractions import Fraction
from zoneinfo import ZoneInfo

from dateutil import tz as dateutil_tz
from dateutil.parser import isoparse, parserinfo
from dateutil.relativedelta import relativedelta
from dateutil.relativedelta import weekday as rd_weekday

from bot.models import Precision, ensure_utc, isoformat_z
from bot.zones import canonical_zone, unknown_zone_message

__all__ = [
    "AMBIGUOUS_ABBREVIATIONS",
    "FIXED_ABBREVIATIONS",
    "GENERIC_ZONES",
    "MAX_DURATION",
    "SITE_ZONES",
    "YEAR_AMBIGUITY_MARGIN",
    "ParsedTime",
    "TimeParseError",
    "ZoneRef",
    "lookup_zone",
    "parse_time",
    "reader_zone",
    "scan_prose",
]

# A year-less date is refused when the two nearest candidate years are within this many days of being equally
# close to ref: "July 1" read on Jan 2 is 180 days ahead or 185 days back, and nobody should guess which.
YEAR_AMBIGUITY_MARGIN = timedelta(days=30)

# A year-less date is the nearest occurrence; one further away than this is not what anybody means.
_STALE_DATE = timedelta(days=183)

# "tonight at 1 a.m." means the small hours after midnight; an hour before this is taken as the next morning.
_NIGHT_ROLLOVER_HOUR = 5

# Years outside this range are typos; refusing them also keeps date arithmetic far from datetime's limits.
_MIN_YEAR, _MAX_YEAR = 1950, 2200


def _h(hours: float) -> timedelta:
    return timedelta(hours=hours)


# Abbreviations that mean exactly one UTC offset. They stay that offset all year: a writer who says "EST" in
# July has told us UTC-5 (maybe by mistake, but the text is what we have and the note shows the zone used).
FIXED_ABBREVIATIONS: dict[str, timedelta] = {
    "UTC": _h(0),
    "UT": _h(0),
    "GMT": _h(0),
    "Z": _h(0),  # military/aviation "Zulu", as in "0612Z"
    "ZULU": _h(0),
    # North America. CST/CDT are taken as US Central; China Standard Time must be written "Beijing time",
    # "UTC+8" or "Asia/Shanghai" (the US reading is overwhelmingly the common one in launch news).
    "EST": _h(-5),
    "EDT": _h(-4),
    "CST": _h(-6),
    "CDT": _h(-5),
    "MST": _h(-7),
    "MDT": _h(-6),
    "PST": _h(-8),
    "PDT": _h(-7),
    "AKST": _h(-9),
    "AKDT": _h(-8),
    "HST": _h(-10),
    "HDT": _h(-9),
    "ADT": _h(-3),  # Atlantic Daylight (Arabia has no DST, so only one reading)
    "NST": _h(-3.5),  # Newfoundland
    "NDT": _h(-2.5),
    # South America: Kourou (French Guiana) launches are often given in GFT.
    "GFT": _h(-3),
    "BRT": _h(-3),
    # Europe and Africa. BST is British Summer Time (Bangladesh writers should use "UTC+6" or Asia/Dhaka).
    "WET": _h(0),
    "WEST": _h(1),
    "BST": _h(1),
    "CET": _h(1),
    "CEST": _h(2),
    "EET": _h(2),
    "EEST": _h(3),
    "MSK": _h(3),
    "WAT": _h(1),
    "CAT": _h(2),
    "EAT": _h(3),
    # Asia and Oceania.
    "PKT": _h(5),
    "HKT": _h(8),
    "SGT": _h(8),
    "AWST": _h(8),
    "JST": _h(9),
    "KST": _h(9),
    "ACST": _h(9.5),
    "ACDT": _h(10.5),
    "AEST": _h(10),
    "AEDT": _h(11),
    "NZST": _h(12),
    "NZDT": _h(13),
}

# Abbreviations in common use for more than one offset: refused with the readings spelled out.
AMBIGUOUS_ABBREVIATIONS: dict[str, str] = {
    "IST": "India (UTC+5:30), Israel (UTC+2) or Irish Summer Time (UTC+1)",
    "AST": "Atlantic (UTC-4) or Arabia (UTC+3)",
    "GST": "Gulf (UTC+4) or South Georgia (UTC-2)",
    "SST": "Samoa (UTC-11) or Singapore (UTC+8)",
    "ECT": "Ecuador (UTC-5) or Eastern Caribbean (UTC-4)",
}
# The offsets each ambiguous abbreviation can mean. An article whose launch site keeps one of them ("16:08 IST"
# in a text about Sriharikota) is read in that one; anywhere else the abbreviation is refused.
AMBIGUOUS_READINGS: dict[str, tuple[timedelta, ...]] = {
    "IST": (_h(5.5), _h(2), _h(1)),
    "AST": (_h(-4), _h(3)),
    "GST": (_h(4), _h(-2)),
    "SST": (_h(-11), _h(8)),
    "ECT": (_h(-5), _h(-4)),
}

# Generic zone names that follow daylight saving, so they map to an IANA zone rather than an offset.
GENERIC_ZONES: dict[str, str] = {
    "et": "America/New_York",
    "eastern": "America/New_York",
    "eastern time": "America/New_York",
    "ct": "America/Chicago",
    "central": "America/Chicago",
    "central time": "America/Chicago",
    "mt": "America/Denver",
    "mountain": "America/Denver",
    "mountain time": "America/Denver",
    "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "pacific time": "America/Los_Angeles",
    "moscow time": "Europe/Moscow",
    "beijing time": "Asia/Shanghai",
    "japan time": "Asia/Tokyo",
}

# Spelled-out zone names that mean one fixed offset, like their abbreviations.
_SPELLED_FIXED: dict[str, str] = {
    "eastern standard time": "EST",
    "eastern daylight time": "EDT",
    "central standard time": "CST",
    "central daylight time": "CDT",
    "mountain standard time": "MST",
    "mountain daylight time": "MDT",
    "pacific standard time": "PST",
    "pacific daylight time": "PDT",
    "greenwich mean time": "GMT",
    "coordinated universal time": "UTC",
    "universal time": "UTC",
    "moscow standard time": "MSK",
    "japan standard time": "JST",
}

# Launch sites and other places that appear in "local time in X" / "X time". Baikonur runs on Asia/Qyzylorda:
# UTC+6 until 21 Dec 2018, UTC+5 since (the installed tzdata agrees); a fixed offset would be wrong for one era.
# Vostochny is in Amur Oblast, which keeps UTC+9 (tzdata's Asia/Yakutsk), not Vladivostok's UTC+10.
SITE_ZONES: dict[str, str] = {
    "baikonur": "Asia/Qyzylorda",
    "cape canaveral": "America/New_York",
    "kennedy": "America/New_York",
    "florida": "America/New_York",
    "wallops": "America/New_York",
    "vandenberg": "America/Los_Angeles",
    "california": "America/Los_Angeles",
    "boca chica": "America/Chicago",
    "starbase": "America/Chicago",
    "houston": "America/Chicago",
    "kourou": "America/Cayenne",
    "french guiana": "America/Cayenne",
    "tanegashima": "Asia/Tokyo",
    "jiuquan": "Asia/Shanghai",
    "wenchang": "Asia/Shanghai",
    "xichang": "Asia/Shanghai",
    "taiyuan": "Asia/Shanghai",
    "sriharikota": "Asia/Kolkata",
    "mahia": "Pacific/Auckland",
    "plesetsk": "Europe/Moscow",
    "moscow": "Europe/Moscow",
    "vostochny": "Asia/Yakutsk",
    # "Kazakhstan time" in landing reports: tzdata's Asia/Almaty is UTC+6 until March 2024 and UTC+5 since, as the
    # country was. Never taken as an article's launch site (Baikonur is named for that).
    "kazakhstan": "Asia/Almaty",
}

_EXAMPLE = '"Feb. 17 1:12 a.m. EST", "2024-02-17T06:12Z", "tomorrow 13:05 UTC" or "in 2 hours"'


class TimeParseError(ValueError):
    """The text cannot be read as one instant without guessing; ``suggestion`` says what to type instead."""

    def __init__(self, message: str, suggestion: str) -> None:
        self.message = " ".join(message.split()).rstrip(".")
        self.suggestion = " ".join(suggestion.split())
        super().__init__(f"{self.message}. Try: {self.suggestion}")


@dataclass(frozen=True, slots=True)
class ParsedTime:
    """One instant read from text, with how exactly it is known and which zone it was read in."""

    utc: datetime
    precision: Precision
    zone: str
    zone_assumed: bool
    note: str | None = None
    # Set when only a date was given: the calendar date meant. ``utc`` is then that date's midnight in the zone
    # it was read in; storage keeps dates as 00:00Z of ``day`` instead, as LL2 does (see bot.manual_events).
    day: date | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "utc", ensure_utc(self.utc))


@dataclass(frozen=True, slots=True)
class ZoneRef:
    """A zone named by the text: a tzinfo, or the reason it cannot be used (``tz`` is None then)."""

    name: str
    tz: tzinfo | None
    problem: str | None = None
    suggestion: str | None = None
    site_needed: bool = False  # "local time" with no place: extraction may fill it in from the article

    @property
    def is_iana(self) -> bool:
        return isinstance(self.tz, ZoneInfo)


# --- zone lookup -------------------------------------------------------------------------------------------


def _offset_name(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"


def _fixed(label: str, offset: timedelta) -> ZoneRef:
    name = _offset_name(offset) if label.startswith("UTC") and label != "UTC" else label
    if label not in ("UTC", "GMT", "Z", "UT", "ZULU") and not label.startswith("UTC"):
        name = f"{label} ({_offset_name(offset)})"
    if label in ("Z", "ZULU", "UT"):
        name = "UTC"
    return ZoneRef(name=name, tz=timezone(offset, label if offset else "UTC"))


def _iana(name: str) -> ZoneRef:
    return ZoneRef(name=name, tz=ZoneInfo(name))


def lookup_zone(name: str) -> ZoneRef:
    """Look up a zone by abbreviation, IANA name, generic name, offset ("UTC+3") or launch-site name.

    The fixed-abbreviation table comes first: "CET", "EET", "WET", "EST", "MST" and "HST" are also tzdata names,
    some with DST, but the table is what the documentation promises. IANA names come only through ``bot.zones``.
    """
    key = " ".join(name.strip().split())
    low = key.lower()
    upper = key.upper()
    if upper in FIXED_ABBREVIATIONS:
        return _fixed(upper, FIXED_ABBREVIATIONS[upper])
    canonical = canonical_zone(key)
    if canonical is not None:
        return _iana(canonical)
    if upper in AMBIGUOUS_ABBREVIATIONS:
        return ZoneRef(
            name=upper,
            tz=None,
            problem=f"{upper} can mean {AMBIGUOUS_ABBREVIATIONS[upper]}",
            suggestion="the UTC offset (e.g. UTC+5:30) or an IANA zone such as Asia/Kolkata",
        )
    if low in _SPELLED_FIXED:
        abbr = _SPELLED_FIXED[low]
        return _fixed(abbr, FIXED_ABBREVIATIONS[abbr])
    if low in GENERIC_ZONES:
        return _iana(GENERIC_ZONES[low])
    if low in SITE_ZONES:
        return _iana(SITE_ZONES[low])
    match = _OFFSET_RE.fullmatch(key)
    if match:
        return _offset_zone(match)
    raise TimeParseError(
        f"unknown time zone {key!r}", "an IANA name such as America/New_York, an abbreviation such as EST, or UTC"
    )


# Offsets in use on Earth: UTC-12 (Baker Island) to UTC+14 (Line Islands). Anything else is a typo.
_MIN_OFFSET, _MAX_OFFSET = _h(-12), _h(14)


def _check_offset(offset: timedelta, text: str) -> None:
    if not _MIN_OFFSET <= offset <= _MAX_OFFSET:
        raise TimeParseError(f"{text!r} is not a UTC offset in use", "an offset between UTC-12 and UTC+14")


def _offset_zone(match: re.Match[str]) -> ZoneRef:
    sign = -1 if match["sign"] in "-\u2212" else 1
    hours, minutes = int(match["oh"]), int(match["om"] or 0)
    if minutes >= 60:
        raise TimeParseError(f"{match[0]!r} is not a UTC offset", "an offset between UTC-12 and UTC+14")
    offset = sign * timedelta(hours=hours, minutes=minutes)
    _check_offset(offset, match[0])
    return ZoneRef(name=_offset_name(offset), tz=timezone(offset))


# --- tokens ------------------------------------------------------------------------------------------------


class Kind(enum.Enum):
    """What a token is."""

    CLOCK = "clock"
    DATE = "date"
    WEEKDAY = "weekday"
    RELDAY = "relday"
    DURATION = "duration"  # "in 2 hours", "90 minutes from now", "now": counted from the caller's now
    ZONE = "zone"
    OPEN = "open"
    CLOSE = "close"
    FILLER = "filler"  # words and punctuation that may sit inside a time expression ("at", "on", ",")
    SEP = "sep"  # "and"/"or"/"/": joins renderings inside brackets
    WORD = "word"  # anything else; breaks a time expression
    STOP = "stop"  # sentence or clause end: ". ", ";", "!", "?"


@dataclass(frozen=True, slots=True)
class Clock:
    """A wall-clock time as written."""

    hour: int
    minute: int
    second: int | None
    has_meridiem: bool
    word: str | None = None  # "noon" or "midnight"
    approximate: bool = False


@dataclass(frozen=True, slots=True)
class DateValue:
    """A calendar date as written; ``year`` is None when the text left it out."""

    year: int | None
    month: int
    day: int


@dataclass(frozen=True, slots=True)
class WeekdayRef:
    """A weekday, with the word in front of it ("early", "this", "next", "last") and a day part if any."""

    weekday: int
    modifier: str | None
    night: bool


@dataclass(frozen=True, slots=True)
class RelDay:
    """A day named relative to today: today, tonight, tomorrow, yesterday."""

    offset: int
    night: bool


@dataclass(frozen=True, slots=True)
class Duration:
    """A span ahead of now: whole calendar days (days and weeks) and minutes (hours and minutes)."""

    days: int
    minutes: int


TokenValue = Clock | DateValue | WeekdayRef | RelDay | Duration | ZoneRef | None


@dataclass(frozen=True, slots=True)
class Token:
    """One recognised piece of text with its span."""

    kind: Kind
    start: int
    end: int
    text: str
    value: TokenValue = None


_INFO = parserinfo()

_MONTH = (
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY_FULL = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_WEEKDAY_SHORT = r"mon|tues?|weds?|thu(?:rs?)?|fri|sat|sun"
_MERIDIEM = r"(?P<mer>[ap])(?:\.\s?m\b\.?|m\b\.?)"
_END = r"(?![\w])"

_OFFSET_RE = re.compile(r"(?:utc|gmt|ut)\s*(?P<sign>[+\-\u2212])\s*(?P<oh>\d{1,2})(?::?(?P<om>\d{2}))?", re.IGNORECASE)
_ISO_RE = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})"
    # A 12-hour clock after an ISO date ("2024-02-17 12:30 a.m.") is left to the clock scanner: only the date is ISO.
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(?![ \t]*[ap]\.?[ \t]?m\b)"
    r"(?P<zone>Z|[+\-]\d{2}(?::?\d{2})?)?)?" + _END,
    re.IGNORECASE,
)
_YMD_SLASH_RE = re.compile(r"(?P<y>\d{4})/(?P<mo>\d{1,2})/(?P<d>\d{1,2})" + _END)
_NUMERIC_DATE_RE = re.compile(r"(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?" + _END)
_DATE_MD_RE = re.compile(_MONTH + r"\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?" + _END, re.IGNORECASE)
_DATE_DM_RE = re.compile(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"\b\.?", re.IGNORECASE)
_YEAR_RE = re.compile(r",?\s+(?P<y>\d{4})" + _END)
_WEEKDAY_RE = re.compile(
    r"(?:(?P<mod>early|late|this|next|last)\s+)?(?P<wd>" + _WEEKDAY_FULL + "|" + _WEEKDAY_SHORT + r")\b\.?"
    r"(?:\s+(?P<part>morning|afternoon|evening|night))?" + _END,
    re.IGNORECASE,
)
_RELDAY_RE = re.compile(
    r"(?:(?:early|late|later)\s+)?(?P<rel>today|tonight|tomorrow|yesterday|this|last)"
    r"(?:\s+(?P<part>morning|afternoon|evening|night))?" + _END,
    re.IGNORECASE,
)
_CLOCK_HM_RE = re.compile(
    r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?::(?P<s>\d{2}))?(?:\s*" + _MERIDIEM + r"|\s*(?P<hrs>hrs|hours|h)\b\.?)?" + _END,
    re.IGNORECASE,
)
_CLOCK_H_RE = re.compile(r"(?P<h>\d{1,2})\s*" + _MERIDIEM + _END, re.IGNORECASE)
_CLOCK_MIL_RE = re.compile(r"(?P<h>[01]\d|2[0-3])(?P<m>[0-5]\d)(?:\s*(?:hours|hrs|h)\b)?", re.IGNORECASE)
_CLOCK_Z_RE = re.compile(r"(?P<h>[01]\d|2[0-3]):?(?P<m>[0-5]\d)(?P<z>Z)" + _END, re.IGNORECASE)
_CLOCK_WORD_RE = re.compile(r"(?:12\s+)?(?P<word>noon|midday|midnight)" + _END, re.IGNORECASE)
_APPROX_RE = re.compile(r"(?:around|about|approximately|approx\.|roughly|~)", re.IGNORECASE)
_LOCAL_TIME_RE = re.compile(r"local\s+time" + _END, re.IGNORECASE)
_IANA_RE = re.compile(r"[A-Za-z_]+(?:/[A-Za-z0-9_+\-]+)+")
_WORD_RE = re.compile(r"[\w'\u2019]+")

_SITE_ALT = "|".join(sorted((re.escape(s).replace(r"\ ", r"\s+") for s in SITE_ZONES), key=len, reverse=True))
_SITE_SUFFIX = (
    r"(?:\s+(?:cosmodrome|space\s+(?:center|centre|force\s+station|launch\s+center)|spaceport"
    r"|launch\s+(?:site|complex|center)|flight\s+facility|air\s+force\s+base|space\s+force\s+base))?"
)
_SITE_PHRASE_RE = re.compile(
    r"(?:local\s+time\s+(?:in|at)\s+(?:the\s+)?(?P<a>"
    + _SITE_ALT
    + ")"
    + _SITE_SUFFIX
    + r"|(?:local\s+)?(?P<b>"
    + _SITE_ALT
    + ")"
    + _SITE_SUFFIX
    + r"(?:\s+local)?\s+time"
    + r"|(?P<c>"
    + _SITE_ALT
    + r")"
    + _SITE_SUFFIX
    + r"\s+local)"
    + _END,
    re.IGNORECASE,
)
_NAMED_ZONE_RE = re.compile(
    "(?:"
    + "|".join(
        re.escape(k).replace(r"\ ", r"\s+") for k in sorted([*_SPELLED_FIXED, *GENERIC_ZONES], key=len, reverse=True)
    )
    + ")"
    + _END,
    re.IGNORECASE,
)
_ABBR_RE = re.compile(r"[A-Za-z]{1,5}" + _END)
_SPACES_RE = re.compile(r"\s*")
_END_RE = re.compile(_END)
_BARE_OFFSET_RE = re.compile(r"(?P<sign>[+\-\u2212])(?P<oh>\d{2}):?(?P<om>\d{2})" + _END)

# Words that may sit inside a time expression without changing it.
_FILLERS = frozenset({"at", "on", "the", "of", "in", "for", ",", "-", "\u2013", "\u2014", "@", "time"})
_SEPARATORS = frozenset({"and", "or", "/"})

# --- durations ("in 2 hours", "90 minutes from now") --------------------------------------------------------

# Durations longer than this are typos or jokes; a date says a far-off day better than a count of weeks does.
MAX_DURATION = timedelta(days=3653)  # ten years

_ONES = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    *("thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"),
]
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORDS: dict[str, int] = {word: value for value, word in enumerate(_ONES)}
for _tens_word, _tens_value in _TENS.items():
    _NUMBER_WORDS[_tens_word] = _tens_value
    for _unit_value, _unit_word in enumerate(_ONES[1:10], start=1):
        _NUMBER_WORDS[f"{_tens_word}-{_unit_word}"] = _tens_value + _unit_value
_NUMBER_WORD_RE = "|".join(re.escape(w).replace(r"\-", r"[-\s]") for w in sorted(_NUMBER_WORDS, key=len, reverse=True))
# Minutes in one of each unit; days and weeks are calendar days (counted in ``_DAY_UNITS``), the rest minutes.
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}
_DAY_UNITS = frozenset({"day", "week"})
_DURATION_PART_RE = re.compile(
    r"(?P<sign>[-\u2212+])?(?P<amount>(?:\d+(?:\.\d+)?|half\s+an?|an?|" + _NUMBER_WORD_RE + r")(?:\s+and\s+a\s+half)?)"
    # Digits may touch their unit ("90m"); a word may not ("and" is no "an d").
    r"(?:(?<=\d)\s*|\s+)"
    r"(?:(?P<minute>minutes?|mins?|m)|(?P<hour>hours?|hrs?|h)|(?P<day>days?|d)|(?P<week>weeks?|wks?|w)"
    r"|(?P<vague>months?|years?|yrs?|decades?|fortnights?)|(?P<second>seconds?|secs?|s))"
    # A unit may run straight into the next amount ("1h30m"), so only a letter after it breaks the match.
    r"(?![^\W\d_])"
    r"(?P<half>\s+and\s+a\s+half" + _END + ")?",
    re.IGNORECASE,
)
_DURATION_JOIN_RE = re.compile(r"\s*(?:,\s*)?(?:and\s+)?", re.IGNORECASE)
_IN_RE = re.compile(r"in\s+", re.IGNORECASE)
_FROM_NOW_RE = re.compile(r"\s+from\s+now" + _END, re.IGNORECASE)
_AGO_RE = re.compile(r"\s+(?:ago|before\s+now|earlier)" + _END, re.IGNORECASE)
_NOW_RE = re.compile(r"(?:right\s+)?now" + _END, re.IGNORECASE)
# "in 1:30 hours" could be a clock (01:30, "hours" as in "11:50 hrs") or an hour and a half.
_CLOCK_DURATION_RE = re.compile(r"(?P<h>\d{1,2})[:.](?P<m>\d{2})\s*(?:hours?|hrs?|h)" + _END, re.IGNORECASE)
_DURATION_HINT = "'in 2 hours', 'in 1 hour 30 minutes', 'in 3 days' or '2 hours from now'"


def _count(amount: int, unit: str) -> str:
    return f"{amount} {unit}" + ("" if amount == 1 else "s")


def _amount(text: str, written: str) -> Fraction:
    low = " ".join(text.lower().split())
    half = low.endswith(" and a half")
    low = low.removesuffix(" and a half")
    if low in ("a", "an"):
        value = Fraction(1)
    elif low.startswith("half"):
        value = Fraction(1, 2)
    elif low.replace(" ", "-") in _NUMBER_WORDS:
        value = Fraction(_NUMBER_WORDS[low.replace(" ", "-")])
    else:
        if len(low.partition(".")[2]) > 1:
            raise TimeParseError(f"{written!r} has more than one decimal place", _DURATION_HINT)
        value = Fraction(low)
    return value + Fraction(1, 2) if half else value


def _meridiem_hour(hour: int, meridiem: str | None, text: str) -> int:
    if meridiem is None:
        if hour > 23:
            raise TimeParseError(f"{text!r} is not a time of day", "a time such as 13:05 or 1:05 p.m.")
        return hour
    if not 1 <= hour <= 12:
        raise TimeParseError(f"{text!r} mixes a 24-hour clock with a.m./p.m.", "either 13:05 or 1:05 p.m., not both")
    hour %= 12
    return hour + 12 if meridiem.lower() == "p" else hour


def _make_date(year: int | None, month: int, day: int, text: str) -> DateValue:
    if year is not None and not _MIN_YEAR <= year <= _MAX_YEAR:
        raise TimeParseError(f"the year in {text!r} is out of range", f"a year between {_MIN_YEAR} and {_MAX_YEAR}")
    try:
        date(year if year is not None else 2000, month, day)  # 2000 is a leap year, so Feb. 29 may pass here
    except ValueError:
        raise TimeParseError(f"{text!r} is not a calendar date", "a real date such as Feb. 17, 2024") from None
    return DateValue(year, month, day)


class _Scanner:
    """Turns text into tokens. ``strict`` is for typed input; lenient mode is for running prose."""

    def __init__(self, text: str, *, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.tokens: list[Token] = []
        self.problems: list[str] = []  # lenient mode: pieces that could not be read, one line each

    def add(self, kind: Kind, start: int, end: int, value: TokenValue = None) -> None:
        self.tokens.append(Token(kind, start, end, self.text[start:end], value))

    def run(self) -> list[Token]:
        pos, text = 0, self.text
        while pos < len(text):
            char = text[pos]
            if char.isspace():
                pos += 1
                continue
            pos = self._step(pos, char)
        return self.tokens

    def _step(self, pos: int, char: str) -> int:
        text = self.text
        if char in "([":
            self.add(Kind.OPEN, pos, pos + 1)
            return pos + 1
        if char in ")]":
            self.add(Kind.CLOSE, pos, pos + 1)
            return pos + 1
        if char in ";!?" or (char == "." and (pos + 1 == len(text) or text[pos + 1].isspace())):
            self.add(Kind.STOP, pos, pos + 1)
            return pos + 1
        if pos > 0 and text[pos - 1].isalnum() and char.isalnum():
            # Mid-word (e.g. the "m" after a number we could not use): swallow the rest of the word.
            match = _WORD_RE.match(text, pos)
            end = match.end() if match else pos + 1
            self.add(Kind.WORD, pos, end)
            return end
        for matcher in self._matchers:
            try:
                matched = matcher(self, pos)
            except TimeParseError as exc:
                if self.strict:
                    raise
                # In prose one unreadable piece ("05/07/2024") must not cost the rest of the paragraph: it is
                # reported and read as a plain word, which also keeps it out of any neighbouring time expression.
                end = pos
                while end < len(text) and not text[end].isspace():
                    end += 1
                self.problems.append(f"{text[pos:end]!r}: {exc}")
                self.add(Kind.WORD, pos, end)
                return end
            if matched is not None:
                return matched
        match = _WORD_RE.match(text, pos)
        end = match.end() if match else pos + 1
        word = text[pos:end].lower()
        if word in _FILLERS:
            self.add(Kind.FILLER, pos, end)
        elif word in _SEPARATORS:
            self.add(Kind.SEP, pos, end)
        else:
            self.add(Kind.WORD, pos, end)
        return end

    # Each matcher returns the end of what it consumed, or None. Order matters: longest, most specific first.

    def _iso(self, pos: int) -> int | None:
        match = _ISO_RE.match(self.text, pos)
        if not match:
            return None
        try:
            parsed = isoparse(match[0].upper().replace(" ", "T"))
        except ValueError:
            raise TimeParseError(f"{match[0]!r} is not a valid ISO-8601 time", "2024-02-17T06:12Z") from None
        date_end = match.end("date")
        self.add(Kind.DATE, pos, date_end, _make_date(parsed.year, parsed.month, parsed.day, match[0]))
        if match["time"]:
            seconds = parsed.second if match["time"].count(":") == 2 else None
            clock = Clock(parsed.hour, parsed.minute, seconds, has_meridiem=True)
            self.add(Kind.CLOCK, match.start("time"), match.end("time"), clock)
        if match["zone"]:
            offset = parsed.utcoffset()
            assert offset is not None  # isoparse always attaches a tzinfo when the string has a zone
            _check_offset(offset, match["zone"])
            zone = ZoneRef(name="UTC", tz=UTC) if not offset else ZoneRef(_offset_name(offset), parsed.tzinfo)
            self.add(Kind.ZONE, match.start("zone"), match.end("zone"), zone)
        return match.end()

    def _slash_dates(self, pos: int) -> int | None:
        match = _YMD_SLASH_RE.match(self.text, pos)
        if match:
            self.add(
                Kind.DATE, pos, match.end(), _make_date(int(match["y"]), int(match["mo"]), int(match["d"]), match[0])
            )
            return match.end()
        match = _NUMERIC_DATE_RE.match(self.text, pos)
        if not match or (not match["y"] and not self.strict):
            return None
        a, b = int(match["a"]), int(match["b"])
        year = None if not match["y"] else int(match["y"]) + (2000 if len(match["y"]) == 2 else 0)
        if a <= 12 and b <= 12 and a != b:
            raise TimeParseError(
                f"{match[0]!r} could be month/day or day/month", "the month as a word, e.g. Feb. 3 or 2 March"
            )
        month, day = (a, b) if b > 12 or a == b else (b, a)
        self.add(Kind.DATE, pos, match.end(), _make_date(year, month, day, match[0]))
        return match.end()

    def _zone_phrase(self, pos: int) -> int | None:
        text = self.text
        match = _SITE_PHRASE_RE.match(text, pos)
        if match:
            site = " ".join((match["a"] or match["b"] or match["c"]).lower().split())
            self.add(Kind.ZONE, pos, match.end(), _iana(SITE_ZONES[site]))
            return match.end()
        match = _LOCAL_TIME_RE.match(text, pos)
        if match:
            zone = ZoneRef(
                name="local time",
                tz=None,
                problem="'local time' does not say where",
                suggestion="name the place ('local time in Baikonur') or the zone (UTC+5, Asia/Qyzylorda)",
                site_needed=True,
            )
            self.add(Kind.ZONE, pos, match.end(), zone)
            return match.end()
        match = _OFFSET_RE.match(text, pos)
        if match and _END_RE.match(text, match.end()):
            self.add(Kind.ZONE, pos, match.end(), _offset_zone(match))
            return match.end()
        # IANA names before generic ones: "Pacific/Auckland" is a zone, not "Pacific" (US) and a stray word.
        match = _IANA_RE.match(text, pos)
        canonical = canonical_zone(match[0]) if match else None
        if match and canonical:
            self.add(Kind.ZONE, pos, match.end(), _iana(canonical))
            return match.end()
        match = _NAMED_ZONE_RE.match(text, pos)
        if match and (self.strict or text[pos].isupper()):
            self.add(Kind.ZONE, pos, match.end(), lookup_zone(match[0]))
            return match.end()
        return None

    def _dates(self, pos: int) -> int | None:
        text = self.text
        for regex in (_DATE_MD_RE, _DATE_DM_RE):
            match = regex.match(self.text, pos)
            if not match:
                continue
            month = _INFO.month(match["mon"])
            if month is None:  # pragma: no cover - the regex only admits month names parserinfo knows
                continue
            if not self.strict and match["mon"].lower() == "may" and not match["mon"][0].isupper():
                continue  # "may 17" in prose is a verb and a number more often than a date
            end, year = match.end(), None
            year_match = _YEAR_RE.match(text, end)
            if year_match and self._is_year(year_match, text[pos : year_match.end()]):
                end, year = year_match.end(), int(year_match["y"])
            self.add(Kind.DATE, pos, end, _make_date(year, month, int(match["d"]), text[pos:end]))
            return end
        return None

    def _is_year(self, match: re.Match[str], written: str) -> bool:
        """Whether the four digits after a date are its year rather than a clock ("Feb. 15 0612 GMT")."""
        digits = match["y"]
        if match[0].startswith(",") or not self._zone_follows(match.end()):
            return True  # "March 3, 2025 UTC": a comma joins a year to its date, never a clock
        if int(digits[:2]) > 23 or int(digits[2:]) > 59 or self._clock_before():
            return True  # cannot be a clock, or the clock was given already; bad years are refused by _make_date
        if not _MIN_YEAR <= int(digits) <= _MAX_YEAR:
            return False  # "Feb. 15 0612 GMT": cannot be a year, so it is the clock
        raise TimeParseError(
            f"in {written + ' ...'!r}, {digits} could be the year or the time {digits[:2]}:{digits[2:]}",
            f"a comma before the year ('{written[: -len(digits)].rstrip()}, {digits}') or a colon in the time "
            f"('{digits[:2]}:{digits[2:]}')",
        )

    def _clock_before(self) -> bool:
        # "12 a.m. Feb 17 2024 UTC": a clock earlier in the same expression leaves only the year for the digits.
        # A bracket starts another rendering: "10:25 p.m. EST (Feb. 15 0325 GMT)" has no clock before 0325.
        for token in reversed(self.tokens):
            if token.kind is Kind.CLOCK:
                return True
            if token.kind in (Kind.WORD, Kind.STOP, Kind.OPEN, Kind.CLOSE):
                return False
        return False

    def _weekday(self, pos: int) -> int | None:
        match = _WEEKDAY_RE.match(self.text, pos)
        if not match:
            return None
        name = match["wd"]
        if not self.strict and not re.fullmatch(_WEEKDAY_FULL, name, re.IGNORECASE) and not name[0].isupper():
            return None  # "sun", "sat" and "wed" are ordinary words in prose
        weekday = _INFO.weekday(name[:3])  # dateutil knows "Tue"/"Thu"; news copy writes "Tues."/"Thurs."
        if weekday is None:  # pragma: no cover - the regex only admits names parserinfo knows
            return None
        modifier = match["mod"].lower() if match["mod"] else None
        night = (match["part"] or "").lower() == "night"
        self.add(Kind.WEEKDAY, pos, match.end(), WeekdayRef(weekday, modifier, night))
        return match.end()

    def _relday(self, pos: int) -> int | None:
        match = _RELDAY_RE.match(self.text, pos)
        if not match:
            return None
        rel = match["rel"].lower()
        part = (match["part"] or "").lower()
        if rel in ("this", "last") and not part:
            return None  # bare "this"/"last" are ordinary words; "last night"/"this morning" are days
        offsets = {"today": 0, "tonight": 0, "tomorrow": 1, "yesterday": -1, "this": 0, "last": -1}
        night = rel == "tonight" or part == "night"
        self.add(Kind.RELDAY, pos, match.end(), RelDay(offsets[rel], night))
        return match.end()

    def _clock(self, pos: int) -> int | None:
        text = self.text
        approximate = False
        start = pos
        match_approx = _APPROX_RE.match(text, pos)
        if match_approx:
            after = match_approx.end()
            while after < len(text) and text[after].isspace():
                after += 1
            approximate = True
            pos = after
        end = self._clock_at(pos, start, approximate=approximate)
        if end is None and approximate:
            return None
        return end

    def _clock_at(self, pos: int, start: int, *, approximate: bool) -> int | None:
        text = self.text
        match = _CLOCK_WORD_RE.match(text, pos)
        if match:
            word = match["word"].lower()
            word = "noon" if word == "midday" else word
            clock = Clock(12 if word == "noon" else 0, 0, None, True, word, approximate)
            self.add(Kind.CLOCK, start, match.end(), clock)
            return match.end()
        match = _CLOCK_HM_RE.match(text, pos)
        if match and (match[0][len(match["h"])] == ":" or match["mer"]):
            hour = _meridiem_hour(int(match["h"]), match["mer"], match[0])
            minute = int(match["m"])
            if minute > 59 or (match["s"] and int(match["s"]) > 59):
                raise TimeParseError(f"{match[0]!r} is not a time of day", "a time such as 13:05 or 1:05 p.m.")
            second = int(match["s"]) if match["s"] else None
            # "11:50 hrs" says 24-hour as plainly as "a.m." says 12-hour: no note about how it was read.
            clock = Clock(hour, minute, second, bool(match["mer"] or match["hrs"]), None, approximate)
            self.add(Kind.CLOCK, start, match.end(), clock)
            return match.end()
        match = _CLOCK_H_RE.match(text, pos)
        if match:
            hour = _meridiem_hour(int(match["h"]), match["mer"], match[0])
            self.add(Kind.CLOCK, start, match.end(), Clock(hour, 0, None, True, None, approximate))
            return match.end()
        match = _CLOCK_MIL_RE.match(text, pos)
        if match and (match[0].lower().endswith(("h", "hours", "hrs")) or self._zone_follows(match.end())):
            clock = Clock(int(match["h"]), int(match["m"]), None, True, None, approximate)
            self.add(Kind.CLOCK, start, match.end(), clock)
            return match.end()
        return None

    def _zone_follows(self, pos: int) -> bool:
        # "0612 GMT", "0612Z", "0612 UTC+1": four digits are a clock only with a zone right after them;
        # otherwise they are much more likely a year or a count.
        # Matching at a position (never slicing text[pos:]) keeps scanning linear in the length of the text.
        text = self.text
        at = _SPACES_RE.match(text, pos).end()  # type: ignore[union-attr]  # r"\s*" always matches
        match = _ABBR_RE.match(text, at)
        if match and (match[0].upper() in FIXED_ABBREVIATIONS or match[0].upper() in AMBIGUOUS_ABBREVIATIONS):
            return True
        return bool(_OFFSET_RE.match(text, at) or _NAMED_ZONE_RE.match(text, at) or _SITE_PHRASE_RE.match(text, at))

    def _abbreviation(self, pos: int) -> int | None:
        match = _ABBR_RE.match(self.text, pos)
        if not match:
            return None
        word = match[0]
        upper = word.upper()
        if not self.strict and word != upper:
            return None  # in prose only capitals are abbreviations ("est", "cat" and "eat" are words)
        if upper == "Z" and not (self.tokens and self.tokens[-1].kind is Kind.CLOCK):
            return None  # a lone "Z" is a zone only straight after a time ("0612Z", "06:12 Z")
        if upper in FIXED_ABBREVIATIONS or upper in AMBIGUOUS_ABBREVIATIONS:
            self.add(Kind.ZONE, pos, match.end(), lookup_zone(upper))
            return match.end()
        return None

    def _bare_offset(self, pos: int) -> int | None:
        if not (self.tokens and self.tokens[-1].kind is Kind.CLOCK):
            return None
        match = _BARE_OFFSET_RE.match(self.text, pos)
        if not match:
            return None
        self.add(Kind.ZONE, pos, match.end(), _offset_zone(match))
        return match.end()

    def _military_with_z(self, pos: int) -> int | None:
        # "0612Z" / "06:12Z": the Z is glued to the digits, so split it off here.
        match = _CLOCK_Z_RE.match(self.text, pos)
        if not match:
            return None
        self.add(Kind.CLOCK, pos, match.start("z"), Clock(int(match["h"]), int(match["m"]), None, True))
        self.add(Kind.ZONE, match.start("z"), match.end(), lookup_zone("Z"))
        return match.end()

    def _duration(self, pos: int) -> int | None:
        """ "in 2 hours", "90 minutes from now", "now". Typed input only: in prose they are left as words, because an
        article's "in 2 hours" counts from when it was written, which the reader does not know to the minute."""
        if not self.strict:
            return None
        text = self.text
        match = _NOW_RE.match(text, pos)
        if match:
            self.add(Kind.DURATION, pos, match.end(), Duration(0, 0))
            return match.end()
        lead = _IN_RE.match(text, pos)
        start = lead.end() if lead else pos
        clockish = _CLOCK_DURATION_RE.match(text, start)
        if lead and clockish:
            hours, minutes = int(clockish["h"]), clockish["m"]
            raise TimeParseError(
                f"{text[pos : clockish.end()]!r} could be the time {hours:02d}:{minutes} or "
                f"{_count(hours, 'hour')} {minutes} minutes from now",
                f"'in {_count(hours, 'hour')} {minutes} minutes', or '{hours:02d}:{minutes}' for the time",
            )
        parts = self._duration_parts(start)
        if parts is None:
            return None
        end, duration, military = parts
        phrase = " ".join(text[pos:end].split())
        tail = _FROM_NOW_RE.match(text, end)
        if tail:
            end = tail.end()
        elif not lead:
            if military is not None:
                return None  # "0612 hours": a clock, read by _clock
            if _AGO_RE.match(text, end):
                raise TimeParseError(f"'{phrase} ago' is in the past", "a time ahead, e.g. 'in 2 hours'")
            raise TimeParseError(f"{phrase!r} does not say from when", f"'in {phrase}' or '{phrase} from now'")
        if military is not None:
            clock, count = f"{military[:2]}:{military[2:]}", int(military)
            days, left = divmod(count, 24)
            rest = f" {_count(left, 'hour')}" if left else ""
            raise TimeParseError(
                f"{phrase!r} could be the time {clock} or {count} hours from now",
                f"'{clock}' for the time, or 'in {_count(days, 'day')}{rest}'",
            )
        if duration.days == 0 and duration.minutes == 0:
            raise TimeParseError(f"{phrase!r} is no time from now", "'now', or a time ahead such as 'in 2 hours'")
        # In whole minutes, not a timedelta: a typed count can be far beyond what a timedelta holds.
        if duration.days * 1440 + duration.minutes > MAX_DURATION // timedelta(minutes=1):
            raise TimeParseError(f"{phrase!r} is more than ten years ahead", "the date, e.g. 'Feb. 17, 2030 14:00 UTC'")
        self.add(Kind.DURATION, pos, end, duration)
        return end

    def _duration_parts(self, pos: int) -> tuple[int, Duration, str | None] | None:
        """The amounts from ``pos`` on ("1 hour 30 minutes", "1h30m", "an hour and a half"): (end, duration, the
        digits if the whole is one four-digit count of hours that also reads as a 24-hour clock), or None."""
        text = self.text
        seen: set[str] = set()
        days, minutes = 0, Fraction(0)
        end = at = pos
        military: str | None = None
        while match := _DURATION_PART_RE.match(text, at):
            written = " ".join(match[0].split())
            if match["vague"]:
                raise TimeParseError(
                    f"{written!r}: months and years differ in length", "the date, e.g. 'Feb. 17, 2030 14:00 UTC'"
                )
            if match["second"]:
                raise TimeParseError(f"{written!r}: times are read to the minute", "minutes, e.g. 'in 1 minute'")
            unit = next(u for u in _UNIT_MINUTES if match[u])
            if match["sign"] and match["sign"] != "+":
                raise TimeParseError(f"{written!r} is in the past", "a time ahead, e.g. 'in 2 hours'")
            if unit in seen:
                raise TimeParseError(f"{text[pos : match.end()]!r} gives the {unit}s twice", _DURATION_HINT)
            seen.add(unit)
            amount = _amount(match["amount"], written) + (Fraction(1, 2) if match["half"] else 0)
            if unit in _DAY_UNITS:
                count = amount * (7 if unit == "week" else 1)
                if count.denominator != 1:
                    raise TimeParseError(
                        f"{written!r} is not a whole number of days", "the rest in hours, e.g. 'in 1 day 12 hours'"
                    )
                days += int(count)
            else:
                minutes += amount * _UNIT_MINUTES[unit]
            if unit == "hour" and not seen - {"hour"} and re.fullmatch(r"(?:[01]\d|2[0-3])[0-5]\d", match["amount"]):
                military = match["amount"]
            end = match.end()
            at = _DURATION_JOIN_RE.match(text, end).end()  # type: ignore[union-attr]  # always matches
        if not seen:
            return None
        if len(seen) > 1:
            military = None
        if minutes.denominator != 1:
            raise TimeParseError(
                f"{' '.join(text[pos:end].split())!r} is not a whole number of minutes",
                "whole minutes, e.g. 'in 90 minutes'",
            )
        return end, Duration(days, int(minutes)), military

    _matchers: Sequence[Callable[[_Scanner, int], int | None]] = (
        _iso,
        _duration,
        _military_with_z,
        _slash_dates,
        _zone_phrase,
        _dates,
        _weekday,
        _relday,
        _clock,
        _abbreviation,
        _bare_offset,
    )


def scan(text: str, *, strict: bool) -> list[Token]:
    """Split ``text`` into tokens; raises ``TimeParseError`` for pieces that are malformed rather than unknown."""
    return _Scanner(text, strict=strict).run()


def scan_prose(text: str) -> tuple[list[Token], list[str]]:
    """Lenient scan of running prose: malformed pieces become plain words and one problem line each."""
    scanner = _Scanner(text, strict=False)
    return scanner.run(), scanner.problems


# --- grouping ------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Rendering:
    """One clock reading with the zone and date words that belong to it (or date words alone)."""

    clock: Token | None = None
    zone: Token | None = None
    date: Token | None = None
    weekday: Token | None = None
    relday: Token | None = None
    duration: Token | None = None  # "in 2 days" names the day; "in 2 hours" the whole instant
    nested: bool = False  # inside brackets: an alternative rendering of the instant outside them
    tokens: list[Token] = field(default_factory=list)

    @property
    def has_day(self) -> bool:
        return any(t is not None for t in (self.date, self.weekday, self.relday, self.duration))

    @property
    def start(self) -> int:
        return min(t.start for t in self.tokens)

    @property
    def end(self) -> int:
        return max(t.end for t in self.tokens)


_SLOTS = {
    Kind.ZONE: "zone",
    Kind.DATE: "date",
    Kind.WEEKDAY: "weekday",
    Kind.RELDAY: "relday",
    Kind.DURATION: "duration",
}


def _set_part(rendering: Rendering, token: Token) -> None:
    slot = _SLOTS[token.kind]
    existing: Token | None = getattr(rendering, slot)
    if existing is not None:
        raise TimeParseError(
            f"two {slot}s for one time: {existing.text!r} and {token.text!r}", "one " + slot + " per time"
        )
    setattr(rendering, slot, token)
    rendering.tokens.append(token)


def group(tokens: Sequence[Token]) -> list[Rendering]:
    """Attach zone and day tokens to the clock readings they belong to.

    A bracketed group with no clock ("Saturday (Feb. 17)") clarifies what is outside it; a bracketed clock is
    another rendering of the clock before the brackets. Zones go to the clock before them, day words to the
    clock before them unless that clock already has one (then to the next clock).
    """
    group_of: list[int] = []
    parents: dict[int, int] = {0: 0}
    stack, next_id = [0], 1
    for token in tokens:
        if token.kind is Kind.OPEN:
            parents[next_id] = stack[-1]
            stack.append(next_id)
            next_id += 1
        elif token.kind is Kind.CLOSE and len(stack) > 1:
            stack.pop()
        group_of.append(stack[-1])

    clocks = [i for i, t in enumerate(tokens) if t.kind is Kind.CLOCK]
    clock_groups = {group_of[i] for i in clocks}

    def effective(gid: int) -> int:
        while gid not in clock_groups and gid != parents[gid]:
            gid = parents[gid]
        return gid

    renderings: dict[int, Rendering] = {}
    for i in clocks:
        gid = group_of[i]
        renderings[i] = Rendering(clock=tokens[i], nested=gid != 0, tokens=[tokens[i]])
    loose = Rendering()  # day words with no clock anywhere
    for i, token in enumerate(tokens):
        if token.kind not in _SLOTS:
            continue
        gid = effective(group_of[i])
        same = [c for c in clocks if effective(group_of[c]) == gid]
        before = [c for c in same if c < i]
        after = [c for c in same if c > i]
        target: int | None = None
        if before:
            target = before[-1]
            if getattr(renderings[target], _SLOTS[token.kind]) is not None and after:
                target = after[0]
        elif after:
            target = after[0]
        _set_part(renderings[target] if target is not None else loose, token)
    result = [renderings[i] for i in clocks]
    if not result and loose.tokens:
        result = [loose]
    elif loose.tokens:  # "in 2 hours (22:00 UTC)": the duration outside the brackets has no clock of its own
        result.append(loose)
    return result


# --- resolution ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Resolved:
    """A rendering turned into an instant."""

    utc: datetime
    precision: Precision
    zone: str
    zone_assumed: bool
    notes: tuple[str, ...]
    text: str
    day: date | None = None  # the calendar date, when only a date was given


@dataclass(frozen=True, slots=True)
class Context:
    """What resolution needs besides the text: the reader's zone, now, and how to read bare days."""

    default_zone: ZoneRef
    ref: datetime | None  # None: nothing relative can be resolved (an article with no publication date)
    today: date | None = None  # the day "today" means in every zone (an article's publication date)
    prefer_past: bool = False  # a bare weekday in a past-tense report is the last one, not the next one
    site_zone: ZoneRef | None = None  # what plain "local time" means (the article's launch site)
    bare_time_is_today: bool = False  # a time with no day is on ``today``, not the next occurrence
    now: datetime | None = None  # what durations ("in 2 hours") count from; ``ref`` when None


def _zone_for(rendering: Rendering, ctx: Context) -> tuple[ZoneRef, bool]:
    if rendering.zone is None:
        return ctx.default_zone, True
    zone = rendering.zone.value
    assert isinstance(zone, ZoneRef)
    if zone.site_needed and ctx.site_zone is not None:
        return ctx.site_zone, False
    if zone.tz is None and ctx.site_zone is not None and zone.name in AMBIGUOUS_READINGS:
        site_zone = _site_reading(zone.name, ctx)
        if site_zone is not None:
            return site_zone, False
    if zone.tz is None:
        raise TimeParseError(zone.problem or f"cannot use zone {zone.name!r}", zone.suggestion or "UTC")
    return zone, False


def _site_reading(abbreviation: str, ctx: Context) -> ZoneRef | None:
    """The reading of an ambiguous abbreviation that is the launch site's offset ("IST" near Sriharikota)."""
    assert ctx.site_zone is not None
    assert ctx.site_zone.tz is not None
    moment = ctx.ref or datetime.combine(ctx.today or date(2000, 1, 1), time(12), tzinfo=UTC)
    offset = moment.astimezone(ctx.site_zone.tz).utcoffset()
    if offset is None or offset not in AMBIGUOUS_READINGS[abbreviation]:
        return None
    return ZoneRef(
        name=f"{abbreviation} ({_offset_name(offset)}, the launch site's)", tz=timezone(offset, abbreviation)
    )


def _today(ctx: Context, zone: ZoneRef) -> date:
    if ctx.today is not None:
        return ctx.today
    if ctx.ref is None:
        raise TimeParseError("no reference date to read a relative or year-less day against", "a full date")
    assert zone.tz is not None
    return ctx.ref.astimezone(zone.tz).date()


def _fmt_day(day: date) -> str:
    return day.strftime("%a %d %b %Y")


def _pick_year(value: DateValue, today: date, text: str) -> date:
    # The weekday is deliberately not used to choose the year: "Friday (Feb. 17)" read in 2024 is more likely a
    # wrong weekday than a date in 2023, so the caller checks the weekday against the year picked here.
    candidates: list[date] = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, value.month, value.day))
        except ValueError:  # Feb. 29 outside a leap year
            continue
    candidates.sort(key=lambda d: abs(d - today))
    if not candidates or abs(candidates[0] - today) > _STALE_DATE:
        # Only Feb. 29 gets here: the nearest one is a year or more away (or further than the years looked at),
        # which nobody writing today means.
        # Counted, not ranged: 2100 is no leap year, so from 2097 the next one is 2104, seven years on.
        leap = next(y for y in itertools.count(today.year) if calendar.isleap(y))
        raise TimeParseError(
            f"{text!r} is not a date in {today.year}", f"add the year, e.g. '{text} {leap}' (a leap year)"
        )
    if len(candidates) > 1 and abs(candidates[1] - today) - abs(candidates[0] - today) < YEAR_AMBIGUITY_MARGIN:
        first, second = sorted(candidates[:2])
        raise TimeParseError(
            f"{text!r} could be {first.isoformat()} or {second.isoformat()}",
            f"add the year, e.g. '{text} {candidates[0].year}'",
        )
    return candidates[0]


def _resolve_day(rendering: Rendering, ctx: Context, zone: ZoneRef) -> tuple[date | None, bool]:
    """The calendar day the rendering names (None if it names none) and whether it is a 'night' day."""
    if rendering.duration is not None:
        # "in 2 days at 14:00 UTC": the duration names the day, counted in the zone of the time as "tomorrow" is.
        span = _span(rendering.duration)
        other = rendering.date or rendering.relday or rendering.weekday
        if other is not None:
            raise TimeParseError(
                f"two days for one time: {rendering.duration.text!r} and {other.text!r}", "one day per time"
            )
        return _now(ctx).astimezone(zone.tz).date() + timedelta(days=span.days), False
    weekday_ref = rendering.weekday.value if rendering.weekday else None
    assert weekday_ref is None or isinstance(weekday_ref, WeekdayRef)
    day: date | None = None
    night = False
    if rendering.date is not None:
        value = rendering.date.value
        assert isinstance(value, DateValue)
        if value.year is None:
            day = _pick_year(value, _today(ctx, zone), rendering.date.text)
        else:
            day = date(value.year, value.month, value.day)
    if rendering.relday is not None:
        rel = rendering.relday.value
        assert isinstance(rel, RelDay)
        night = rel.night
        rel_day = _today(ctx, zone) + timedelta(days=rel.offset)
        if day is not None and day != rel_day:
            raise TimeParseError(
                f"{rendering.relday.text!r} is {rel_day.isoformat()} but the date says {day.isoformat()}",
                "the date alone, e.g. 'Feb. 17 1:12 a.m. EST'",
            )
        day = rel_day
    if weekday_ref is not None:
        assert rendering.weekday is not None
        night = night or weekday_ref.night
        if day is not None:
            if day.weekday() != weekday_ref.weekday:
                raise TimeParseError(
                    f"{_fmt_day(day)} is not a {rendering.weekday.text.split()[-1].strip('.')}",
                    f"check the date; {day.isoformat()} is a {day.strftime('%A')}",
                )
        else:
            day = _weekday_day(weekday_ref, _today(ctx, zone), ctx.prefer_past, rendering.weekday.text)
    return day, night


def _now(ctx: Context) -> datetime:
    now = ctx.now or ctx.ref
    if now is None:
        raise TimeParseError("no reference time to count a duration from", "a full date and time")
    return now


def _span_text(minutes: int) -> str:
    hours, left = divmod(minutes, 60)
    return " ".join([_count(hours, "hour")] * bool(hours) + [_count(left, "minute")] * bool(left))


def _span(token: Token) -> Duration:
    assert isinstance(token.value, Duration)
    return token.value


def _resolve_span(rendering: Rendering, ctx: Context, zone: ZoneRef, assumed: bool) -> Resolved:
    """A duration with no clock: "in 90 minutes", "in 2 days", "in 1 day 3 hours", "now".

    Hours and minutes are elapsed time: "in 24 hours" is 24 hours later whatever the clocks do. Days and weeks are
    calendar days in the zone of the time, keeping the clock time ("in 1 day" is the same clock time tomorrow, 23
    or 25 hours later across a DST change); days are counted first, then the hours and minutes added. Read to the
    minute: the seconds of now are dropped.
    """
    token = rendering.duration
    assert token is not None
    assert zone.tz is not None
    span = _span(token)
    other = next((t for t in (rendering.clock, rendering.date, rendering.weekday, rendering.relday) if t), None)
    if other is not None:
        raise TimeParseError(
            f"{token.text!r} already says when, so {other.text!r} cannot be added",
            "the duration alone ('in 2 hours'), or a day and time ('tomorrow 14:00 UTC'); "
            "only days combine with a time ('in 2 days at 14:00')",
        )
    start = _now(ctx).replace(second=0, microsecond=0)
    notes: list[str] = []
    landed = start
    if span.days:
        local = start.astimezone(zone.tz)
        day = local.date() + timedelta(days=span.days)
        try:
            landed = _localize(day, local.time(), zone)
        except TimeParseError as exc:
            exact = _span_text(span.days * 1440 + span.minutes)
            raise TimeParseError(
                f"{token.text!r} keeps the clock time, and {exc.message}",
                f"'in {exact}' for exactly that long, or {exc.suggestion}",
            ) from None
        elapsed = landed - start
        if elapsed != timedelta(days=span.days):
            hours = elapsed / timedelta(hours=1)
            notes.append(
                f"{_count(span.days, 'day')} taken as the same clock time on {_fmt_day(day)}, {hours:g} hours "
                "later (the clocks change in between)"
            )
    utc = ensure_utc(landed) + timedelta(minutes=span.minutes)
    # Elapsed hours and minutes are the same instant in any zone, so nothing was assumed about the zone.
    return Resolved(utc, Precision.MINUTE, zone.name, assumed and bool(span.days), tuple(notes), token.text)


def _weekday_day(ref: WeekdayRef, today: date, prefer_past: bool, text: str) -> date:
    modifier = ref.modifier
    if modifier == "next":
        raise TimeParseError(
            f"{text!r} can mean this coming one or the one after", "the date, e.g. 'Saturday, Feb. 17'"
        )
    # relativedelta(weekday=SA) moves to the next Saturday or stays on today; SA(-1) to the last one or today.
    if modifier == "last":
        result: date = today + relativedelta(days=-1, weekday=rd_weekday(ref.weekday, -1))
    elif prefer_past and modifier != "this":
        result = today + relativedelta(weekday=rd_weekday(ref.weekday, -1))
    else:
        result = today + relativedelta(weekday=rd_weekday(ref.weekday))
    return result


def _label(moment: datetime) -> str:
    """The abbreviation for ``moment``'s offset if our table reads it back the same way, else "UTC+hh:mm"."""
    offset = moment.utcoffset() or timedelta()
    name = moment.tzname() or ""
    return name if FIXED_ABBREVIATIONS.get(name.upper()) == offset else _offset_name(offset)


def _localize(day: date, clock: time, zone: ZoneRef) -> datetime:
    assert zone.tz is not None
    local = datetime.combine(day, clock, tzinfo=zone.tz)
    if not zone.is_iana:
        return local
    wall = f"{day.isoformat()} {clock.strftime('%H:%M')}"
    first, second = local.replace(fold=0), local.replace(fold=1)
    if not dateutil_tz.datetime_exists(local):
        raise TimeParseError(
            f"{wall} does not exist in {zone.name}: clocks jump from {_label(first)} to {_label(second)}",
            f"the offset you mean instead of the zone name, e.g. '{wall} {_label(first)}' or '{wall} {_label(second)}'",
        )
    if dateutil_tz.datetime_ambiguous(local):
        raise TimeParseError(
            f"{wall} happens twice in {zone.name}: first in {_label(first)}, then in {_label(second)}",
            f"the offset you mean instead of the zone name, e.g. '{wall} {_label(first)}' or '{wall} {_label(second)}'",
        )
    return local


def _readings(day: date, clock: time, zone: ZoneRef) -> tuple[datetime, datetime]:
    """The UTC instants ``clock`` on ``day`` could mean, earliest first; both the same unless DST interferes.

    Only for choosing between candidate days: a wall time that never happens or happens twice still gets a
    position near its day, so the choice does not depend on whether a day's wall time is usable.
    """
    assert zone.tz is not None
    local = datetime.combine(day, clock, tzinfo=zone.tz)
    a, b = local.replace(fold=0).astimezone(UTC), local.replace(fold=1).astimezone(UTC)
    return (a, b) if a <= b else (b, a)


def _localize_nearest(days: Sequence[date], clock: time, zone: ZoneRef, target: datetime) -> datetime:
    """``clock`` on whichever of ``days`` puts it nearest ``target``.

    Only the chosen day's wall time has to exist once: a DST gap or fold on a candidate day that is not chosen
    is no reason to refuse. If the nearest day is the one whose wall time never happens or happens twice, that
    is still refused (``_localize``), not quietly swapped for a day further away.
    """

    def distance(day: date) -> timedelta:
        return min(abs(reading - target) for reading in _readings(day, clock, zone))

    return _localize(min(days, key=distance), clock, zone)


def resolve(rendering: Rendering, ctx: Context, text: str, anchor: datetime | None = None) -> Resolved:
    """Turn one rendering into an instant. ``anchor`` (another rendering's instant) supplies a missing day."""
    zone, assumed = _zone_for(rendering, ctx)
    assert zone.tz is not None
    if rendering.duration is not None and (rendering.clock is None or _span(rendering.duration).minutes):
        return _resolve_span(rendering, ctx, zone, assumed)  # only a count of days leaves the clock to the text
    notes: list[str] = []
    day, night = _resolve_day(rendering, ctx, zone)
    clock_token = rendering.clock
    if clock_token is None:
        if day is None:
            raise TimeParseError(f"no time or date in {text!r}", _EXAMPLE)
        local = datetime.combine(day, time(), tzinfo=zone.tz)
        if zone.is_iana and not dateutil_tz.datetime_exists(local):
            local = dateutil_tz.resolve_imaginary(local)  # a day whose midnight is skipped starts later
        return Resolved(ensure_utc(local), Precision.DAY, zone.name, assumed, tuple(notes), text, day)
    clock_value = clock_token.value
    assert isinstance(clock_value, Clock)
    wall = time(clock_value.hour, clock_value.minute, clock_value.second or 0)
    precision = Precision.SECOND if clock_value.second is not None else Precision.MINUTE
    if clock_value.approximate:
        notes.append("the text gives this time as approximate")
    if not clock_value.has_meridiem and 1 <= clock_value.hour <= 12 and not clock_token.text.startswith("0"):
        notes.append(f"{clock_token.text} read as a 24-hour time")
    if day is not None and clock_value.word == "midnight" and not night and rendering.date is None:
        # "tomorrow midnight", "Saturday midnight": people mean the night that starts the day as often as the one
        # that ends it, and a wrong guess is a day off.
        start, end = _fmt_day(day), _fmt_day(day + timedelta(days=1))
        raise TimeParseError(
            f"{text!r} could be the start of {start} or its end (the start of {end})",
            f"'00:00 {day.isoformat()}' for the start or '00:00 {(day + timedelta(days=1)).isoformat()}' for the end",
        )
    if day is not None:
        if night and clock_value.hour < _NIGHT_ROLLOVER_HOUR:
            day += timedelta(days=1)
            if clock_value.word == "midnight":
                notes.append(f"midnight taken as the end of {_fmt_day(day - timedelta(days=1))}")
            else:
                notes.append(f"{clock_token.text} at night taken as the early hours of {_fmt_day(day)}")
        elif clock_value.word == "midnight":
            notes.append(f"midnight taken as the start of {_fmt_day(day)}")
        local = _localize(day, wall, zone)
        _check_not_earlier_today(rendering, ctx, local, text)
    elif anchor is not None:
        # Another rendering fixed the instant; this one's day is whichever puts it nearest (a GMT time in
        # brackets after an EST one is often the next calendar day).
        base = anchor.astimezone(zone.tz).date()
        local = _localize_nearest([base + timedelta(days=d) for d in (-1, 0, 1)], wall, zone, anchor)
    elif ctx.bare_time_is_today:
        local = _localize(_today(ctx, zone), wall, zone)
    elif ctx.ref is None:
        raise TimeParseError(f"no date for {clock_token.text!r}", "a full date with the time")
    else:
        now_local = ctx.ref.astimezone(zone.tz)
        today = now_local.date()
        # Today's reading is taken unless every instant it could mean has passed; only the day taken must have
        # a usable wall time (a DST change earlier today does not spoil tomorrow's reading, or the reverse).
        day = today if _readings(today, wall, zone)[1] >= ctx.ref else today + timedelta(days=1)
        local = _localize(day, wall, zone)
        notes.append(f"no date given: took the next {clock_token.text} ({_fmt_day(local.date())})")
    return Resolved(ensure_utc(local), precision, zone.name, assumed, tuple(notes), text)


def _check_not_earlier_today(rendering: Rendering, ctx: Context, local: datetime, text: str) -> None:
    """Refuse "Wednesday 9am" said on a Wednesday after 9am: this morning and next week are both possible."""
    weekday_only = rendering.weekday is not None and rendering.date is None and rendering.relday is None
    if not weekday_only or ctx.ref is None or ctx.today is not None or ctx.prefer_past or local >= ctx.ref:
        return
    if local.date() != ctx.ref.astimezone(local.tzinfo).date():
        return
    next_week = local.date() + timedelta(days=7)
    raise TimeParseError(
        f"{text!r} is earlier today ({_fmt_day(local.date())}), which has passed",
        f"the date: '{next_week.strftime('%b')} {next_week.day}' for next week's, or 'today' for this morning's",
    )


def rendering_text(rendering: Rendering) -> str:
    """The words a rendering was read from, in text order."""
    return " ".join(t.text for t in sorted(rendering.tokens, key=lambda t: t.start))


def resolve_group(
    renderings: Sequence[Rendering], ctx: Context, *, lenient: bool = False
) -> tuple[Resolved, list[Resolved], str | None]:
    """Resolve one instant given in several renderings; returns (primary, alternatives, disagreement).

    ``lenient``: an alternative that cannot be read becomes the disagreement instead of an error.
    """

    # The rendering that fixes the instant: one with both a day and a zone, else a day, else a zone.
    def strength(item: tuple[int, Rendering]) -> tuple[bool, bool, int]:
        index, rendering = item
        return (rendering.has_day, rendering.zone is not None, -index)

    primary_index = max(enumerate(renderings), key=strength)[0]
    primary_r = renderings[primary_index]
    primary = resolve(primary_r, ctx, rendering_text(primary_r))
    alternatives: list[Resolved] = []
    conflict: str | None = None
    for i, rendering in enumerate(renderings):
        if i == primary_index:
            continue
        piece = rendering_text(rendering)
        try:
            alt = resolve(rendering, ctx, piece, anchor=primary.utc)
        except TimeParseError as exc:
            if not lenient:
                raise
            conflict = conflict or f"{piece!r} cannot be read: {exc.message}"
            continue
        alternatives.append(alt)
        if alt.utc != primary.utc and conflict is None:
            conflict = f"{primary.text!r} is {isoformat_z(primary.utc)} but {alt.text!r} is {isoformat_z(alt.utc)}"
    return primary, alternatives, conflict


# --- the public entry point ------------------------------------------------------------------------------


def reader_zone(tz: str | ZoneInfo) -> ZoneRef:
    """The reader's zone (``--tz``, a saved zone): refused with the message settings give for a non-zone."""
    if isinstance(tz, ZoneInfo):
        return ZoneRef(name=tz.key, tz=tz)
    try:
        zone = lookup_zone(tz)
    except TimeParseError:
        raise TimeParseError(
            unknown_zone_message(tz.strip()),
            "an IANA name such as America/New_York, an abbreviation such as EST, or UTC",
        ) from None
    if zone.tz is None:
        raise TimeParseError(zone.problem or f"cannot use zone {tz!r}", zone.suggestion or "UTC")
    return zone


def _check_words(tokens: Iterable[Token]) -> list[Token]:
    useful: list[Token] = []
    for token in tokens:
        if token.kind is Kind.WORD:
            raise TimeParseError(f"I don't understand {token.text!r}", _EXAMPLE)
        if token.kind is not Kind.FILLER and token.kind is not Kind.STOP:
            useful.append(token)
    return useful


def parse_time(text: str, *, tz: str | ZoneInfo, ref: datetime, now: datetime | None = None) -> ParsedTime:
    """Read ``text`` as one instant; ``tz`` is the reader's zone, used when the text names none.

    ``ref`` (aware) is "now" for relative words and year-less dates. ``now`` (default ``ref``) is what durations
    ("in 2 hours", "now") count from: a caller that reads days against another instant (a coverage start against
    its milestone, a correction against the time found) still means the real now by "in 2 hours".
    Raises ``TimeParseError`` rather than guess.
    """
    ref = ensure_utc(ref)
    if not text or not text.strip():
        raise TimeParseError("no time given", _EXAMPLE)
    if len(text) > 200:
        raise TimeParseError("that is too long to be one time", _EXAMPLE)
    try:
        zone = reader_zone(tz)
        tokens = _check_words(scan(text, strict=True))
        renderings = group(tokens)
        if not renderings:
            raise TimeParseError(f"no time or date in {text.strip()!r}", _EXAMPLE)
        if sum(1 for r in renderings if not r.nested and r.clock is not None) > 1:
            raise TimeParseError("more than one time given", "one time, optionally with another zone in brackets")
        ctx = Context(default_zone=zone, ref=ref, now=ensure_utc(now) if now is not None else None)
        primary, alternatives, conflict = resolve_group(renderings, ctx)
    except TimeParseError:
        raise
    except (ValueError, OverflowError) as exc:  # a date at the edge of datetime's range, and similar
        raise TimeParseError(f"cannot read {text.strip()[:60]!r} as a time ({exc})", _EXAMPLE) from None
    if conflict:
        raise TimeParseError(f"the renderings disagree: {conflict}", "one of them, or check which is right")
    notes = list(primary.notes)
    for alt in alternatives:
        notes.extend(n for n in alt.notes if "24-hour" not in n)
    if primary.zone_assumed and any(not a.zone_assumed for a in alternatives):
        # "1:12 (0612 GMT)": the bracket's zone fixed the instant, so nothing was really assumed.
        named = next(a for a in alternatives if not a.zone_assumed)
        return ParsedTime(primary.utc, primary.precision, named.zone, False, "; ".join(notes) or None, primary.day)
    return ParsedTime(
        primary.utc, primary.precision, primary.zone, primary.zone_assumed, "; ".join(notes) or None, primary.day
    )

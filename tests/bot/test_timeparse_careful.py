"""Issue 12 for ``parse-time``: the families of silently wrong readings, each refused or read right.

Every example the issue names is here, with at least one other member of its family, and a hypothesis test that
writes generated instants in the common English forms: ``parse_time`` gives that instant or refuses.
"""

from __future__ import annotations

import argparse
import io
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli import extract as extract_cli
from bot.cli import parse_time as parse_time_cli
from bot.config import ConfigError, load_settings
from bot.extract import extract_milestones
from bot.models import isoformat_z
from bot.timeparse import FIXED_ABBREVIATIONS, TimeParseError, lookup_zone, parse_time
from tests.cli_env import SETTINGS_VARIABLES

# Wednesday 2024-07-03 20:00Z: a Wednesday evening in UTC.
WEDNESDAY_EVENING = datetime(2024, 7, 3, 20, 0, tzinfo=UTC)


def _utc(text: str, ref: datetime = WEDNESDAY_EVENING, tz: str = "UTC") -> str:
    return isoformat_z(parse_time(text, tz=tz, ref=ref).utc)


# --- a year followed by a zone ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("March 3, 2025 UTC", "2025-03-03T00:00:00Z"),  # the example: was 2024-03-03T20:25Z
        ("Feb. 17, 2024 EST", "2024-02-17T05:00:00Z"),  # the example
        ("12 a.m. Feb 17 2024 UTC", "2024-02-17T00:00:00Z"),  # the example: was "two times"
        ("17 February, 2024 GMT", "2024-02-17T00:00:00Z"),
        ("1:12 a.m. Feb. 17 2024 EST", "2024-02-17T06:12:00Z"),
        ("Feb. 17, 2024 0612 GMT", "2024-02-17T06:12:00Z"),
        ("Feb. 15 0612 GMT", "2024-02-15T06:12:00Z"),  # 0612 cannot be a year: still the clock
    ],
)
def test_four_digits_after_a_date_are_its_year_when_comma_or_clock_says_so(text: str, expected: str) -> None:
    assert _utc(text, ref=datetime(2024, 2, 10, tzinfo=UTC)) == expected


@pytest.mark.parametrize("text", ["Feb 17 2024 UTC", "17 February 2024 EST", "March 3 2025 GMT"])
def test_year_or_clock_after_a_date_is_refused_with_both_readings(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        _utc(text)
    assert "could be the year or the time" in info.value.message
    assert "comma" in info.value.suggestion


# --- fixed abbreviations ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(FIXED_ABBREVIATIONS))
@pytest.mark.parametrize("month", [1, 7])
def test_every_fixed_abbreviation_is_its_table_offset_all_year(name: str, month: int) -> None:
    # One rule for every name in the table, in winter and in summer: the table, not tzdata's same-named zone.
    offset = FIXED_ABBREVIATIONS[name]
    zone = lookup_zone(name)
    assert zone.tz is not None
    assert datetime(2024, month, 4, 12, tzinfo=zone.tz).utcoffset() == offset
    expected = datetime(2024, month, 4, 12, tzinfo=UTC) - offset
    assert _utc(f"2024-{month:02d}-04 12:00 {name}") == isoformat_z(expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("July 4 2024 12:00 CET", "2024-07-04T11:00:00Z"),  # the example: was 10:00Z (tzdata's CET has DST)
        ("July 4 2024 12:00 EET", "2024-07-04T10:00:00Z"),
        ("July 4 2024 12:00 WET", "2024-07-04T12:00:00Z"),
    ],
)
def test_cet_eet_wet_do_not_follow_dst(text: str, expected: str) -> None:
    assert _utc(text) == expected


# --- impossible or stale dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("Feb 29", datetime(2025, 3, 1, tzinfo=UTC)),  # the example: was 2024-02-29, 366 days back
        ("29 February 10:00 UTC", datetime(2026, 6, 1, tzinfo=UTC)),
        ("Feb. 29", datetime(2025, 1, 5, tzinfo=UTC)),
    ],
)
def test_year_less_feb_29_far_from_a_leap_year_is_refused(text: str, ref: datetime) -> None:
    with pytest.raises(TimeParseError) as info:
        _utc(text, ref=ref)
    assert "add the year" in info.value.suggestion


def test_year_less_feb_29_in_a_leap_year_is_read() -> None:
    assert _utc("Feb 29 10:00 UTC", ref=datetime(2024, 2, 1, tzinfo=UTC)) == "2024-02-29T10:00:00Z"


@pytest.mark.parametrize(
    ("text", "ref", "tz"),
    [
        ("Wednesday 9am UTC", WEDNESDAY_EVENING, "UTC"),  # the example: was this morning
        ("this Friday 10:00 EST", datetime(2024, 7, 5, 20, 0, tzinfo=UTC), "UTC"),  # Friday 15:00 EST
        ("Wed 6 a.m.", WEDNESDAY_EVENING, "America/New_York"),  # 16:00 in New York: 6 a.m. has passed
    ],
)
def test_weekday_time_already_passed_today_is_refused(text: str, ref: datetime, tz: str) -> None:
    with pytest.raises(TimeParseError) as info:
        _utc(text, ref=ref, tz=tz)
    assert "earlier today" in info.value.message
    assert "next week" in info.value.suggestion


def test_weekday_time_still_ahead_today_is_today() -> None:
    assert _utc("Wednesday 9pm UTC") == "2024-07-03T21:00:00Z"
    assert _utc("Thursday 9am UTC") == "2024-07-04T09:00:00Z"


@pytest.mark.parametrize("text", ["tomorrow midnight", "Saturday midnight", "midnight Sunday", "today midnight"])
def test_midnight_with_a_relative_day_or_weekday_is_refused(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        _utc(text)
    assert "could be the start of" in info.value.message
    assert "00:00" in info.value.suggestion


def test_midnight_with_a_date_or_tonight_keeps_its_documented_reading() -> None:
    assert _utc("midnight tonight") == "2024-07-04T00:00:00Z"
    assert _utc("Feb 17 2025 midnight UTC", ref=datetime(2025, 2, 1, tzinfo=UTC)) == "2025-02-17T00:00:00Z"


# --- offsets and the one zone authority -----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["10:00 UTC-14", "10:00 UTC+15", "10:00 GMT-13", "2024-07-04T10:00-13:00"])
def test_offsets_outside_utc_minus_12_to_plus_14_are_refused_as_the_error_says(text: str) -> None:
    with pytest.raises(TimeParseError) as info:
        _utc(text)
    assert info.value.suggestion == "an offset between UTC-12 and UTC+14"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("July 4 10:00 UTC-12", "2024-07-04T22:00:00Z"), ("July 4 10:00 UTC+14", "2024-07-03T20:00:00Z")],
)
def test_offsets_at_the_ends_of_the_range_are_read(text: str, expected: str) -> None:
    assert _utc(text) == expected


def _settings_message(name: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(default_timezone=name)
    return str(info.value).split(": ", 1)[1].removesuffix(" (see .env.example)")


@pytest.mark.parametrize("name", ["localtime", "Factory", "posixrules", "EST5EDT"])
def test_non_place_zones_are_refused_by_parse_time_and_extract_as_settings_refuse_them(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in SETTINGS_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    message = _settings_message(name)
    assert parse_time_cli.run(argparse.Namespace(text="Feb. 17, 2024 13:05", tz=name, ref=None)) == 2
    assert capsys.readouterr().err.startswith(f"error: {message}. Try: ")
    with pytest.raises(TimeParseError) as info:
        extract_milestones("Launch at 10:00 on Feb. 17, 2024.", published=date(2024, 2, 1), tz=name)
    assert info.value.message == message


def test_extract_cli_refuses_a_non_place_zone_with_status_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("Launch at 10:00."))
    args = argparse.Namespace(file="-", published="2024-02-14", tz="Factory", json=False)
    assert extract_cli.run(args) == 2
    assert "'Factory' is not an IANA time zone name" in capsys.readouterr().err


# --- the property: the instant written, or a refusal ----------------------------------------------------------

_ZONES = [
    ("UTC", UTC),
    ("GMT", UTC),
    ("EST", timezone(timedelta(hours=-5))),
    ("EDT", timezone(timedelta(hours=-4))),
    ("PDT", timezone(timedelta(hours=-7))),
    ("CET", timezone(timedelta(hours=1))),
    ("MSK", timezone(timedelta(hours=3))),
    ("JST", timezone(timedelta(hours=9))),
    ("UTC+5:30", timezone(timedelta(hours=5, minutes=30))),
    ("UTC-3", timezone(timedelta(hours=-3))),
    ("ET", ZoneInfo("America/New_York")),
    ("PT", ZoneInfo("America/Los_Angeles")),
    ("Moscow time", ZoneInfo("Europe/Moscow")),
    ("Beijing time", ZoneInfo("Asia/Shanghai")),
    ("Europe/Paris", ZoneInfo("Europe/Paris")),
    ("local time in Kourou", ZoneInfo("America/Cayenne")),
]
_MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec."]
_LONG_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"]  # fmt: skip


def _twelve(hour: int, minute: int, dotted: bool) -> str:
    h = hour % 12 or 12
    suffix = ("a.m." if hour < 12 else "p.m.") if dotted else ("am" if hour < 12 else "pm")
    return f"{h}:{minute:02d} {suffix}" if minute or dotted else f"{h}{suffix}"


def _written(local: datetime, zone: str, form: int, year: bool) -> str:
    y = f", {local.year}" if year else ""
    month, long_month = _MONTHS[local.month - 1], _LONG_MONTHS[local.month - 1]
    weekday = local.strftime("%A")
    forms = [
        f"{month} {local.day}{y} {_twelve(local.hour, local.minute, True)} {zone}",
        f"{_twelve(local.hour, local.minute, True)} {zone} {month} {local.day}{y}",
        f"{local.day} {long_month}{y} {local.hour:02d}:{local.minute:02d} {zone}",
        f"{weekday}, {month} {local.day}{y}, at {_twelve(local.hour, local.minute, False)} {zone}",
        f"{local:%Y-%m-%d} {local.hour:02d}:{local.minute:02d} {zone}",
        f"{_twelve(local.hour, local.minute, True)} {zone} on {weekday} ({month} {local.day}{y})",
        f"{long_month} {local.day}{y} at {local.hour:02d}{local.minute:02d} {zone}",
    ]
    return forms[form]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)),  # noqa: DTZ001 - naive wall times, given a zone below
    zone_index=st.integers(0, len(_ZONES) - 1),
    form=st.integers(0, 6),
    with_year=st.booleans(),
    ref_offset_days=st.integers(-200, 200),
    reader=st.sampled_from(["UTC", "America/New_York", "Asia/Tokyo"]),
)
def test_a_written_instant_is_read_as_that_instant_or_refused(
    moment: datetime, zone_index: int, form: int, with_year: bool, ref_offset_days: int, reader: str
) -> None:
    name, tz = _ZONES[zone_index]
    local = moment.replace(second=0, microsecond=0, tzinfo=tz)
    if isinstance(tz, ZoneInfo):
        local = local.replace(fold=0)
    intended = local.astimezone(UTC)
    if form == 4:
        with_year = True  # an ISO date always has its year
    text = _written(local, name, form, with_year)
    if not with_year:
        # Without a year the text names the occurrence nearest "now" (documented); keep "now" within five months
        # so that the nearest one is the one written, and the property is about reading, not about the rule.
        ref_offset_days = max(-150, min(150, ref_offset_days))
    ref = intended + timedelta(days=ref_offset_days)
    try:
        parsed = parse_time(text, tz=reader, ref=ref)
    except TimeParseError:
        return  # refusing is always allowed; a different instant never is
    assert isoformat_z(parsed.utc) == isoformat_z(intended), text

"""Relative durations: "in 2 hours", "90 minutes from now", "in 2 days at 14:00 UTC", "now".

Hours and minutes are elapsed time (across a DST change too); days and weeks are calendar days in the zone of the
time, keeping the clock time; everything is read to the minute. A hypothesis test writes generated durations in
every accepted form and checks the instant against arithmetic done here, independently of the parser.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Precision, isoformat_z
from bot.timeparse import MAX_DURATION, ParsedTime, TimeParseError, parse_time, scan_prose

# Wednesday 2024-02-14 20:00:37Z: the seconds show that a duration is read to the minute.
REF = datetime(2024, 2, 14, 20, 0, 37, tzinfo=UTC)
LONDON = "Europe/London"
NY = "America/New_York"


def _read(text: str, tz: str = "UTC", ref: datetime = REF, now: datetime | None = None) -> ParsedTime:
    return parse_time(text, tz=tz, ref=ref, now=now)


def _utc(text: str, tz: str = "UTC", ref: datetime = REF) -> str:
    return isoformat_z(_read(text, tz, ref).utc)


def _refusal(text: str, tz: str = "UTC", ref: datetime = REF) -> str:
    with pytest.raises(TimeParseError) as info:
        _read(text, tz, ref)
    return str(info.value)


# --- the forms --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("now", "2024-02-14T20:00:00Z"),
        ("right now", "2024-02-14T20:00:00Z"),
        ("Now", "2024-02-14T20:00:00Z"),
        ("in 1 minute", "2024-02-14T20:01:00Z"),
        ("in 5 min", "2024-02-14T20:05:00Z"),
        ("in 5 mins", "2024-02-14T20:05:00Z"),
        ("in 45m", "2024-02-14T20:45:00Z"),
        ("in 90 minutes", "2024-02-14T21:30:00Z"),
        ("in 2 hours", "2024-02-14T22:00:00Z"),
        ("in 1 hour", "2024-02-14T21:00:00Z"),
        ("in 3 hrs", "2024-02-14T23:00:00Z"),
        ("in 3 hr", "2024-02-14T23:00:00Z"),
        ("in 6h", "2024-02-15T02:00:00Z"),
        ("in 1 hour 30 minutes", "2024-02-14T21:30:00Z"),
        ("in 1h30m", "2024-02-14T21:30:00Z"),
        ("in 1h 30m", "2024-02-14T21:30:00Z"),
        ("in 1 h and 30 min", "2024-02-14T21:30:00Z"),
        ("in 1 hour, 30 minutes", "2024-02-14T21:30:00Z"),
        ("in 30 minutes 1 hour", "2024-02-14T21:30:00Z"),
        ("in an hour", "2024-02-14T21:00:00Z"),
        ("in a minute", "2024-02-14T20:01:00Z"),
        ("in half an hour", "2024-02-14T20:30:00Z"),
        ("in an hour and a half", "2024-02-14T21:30:00Z"),
        ("in two and a half hours", "2024-02-14T22:30:00Z"),
        ("in 1.5 hours", "2024-02-14T21:30:00Z"),
        ("in two hours", "2024-02-14T22:00:00Z"),
        ("in twenty-five minutes", "2024-02-14T20:25:00Z"),
        ("in forty five minutes", "2024-02-14T20:45:00Z"),
        ("in a day", "2024-02-15T20:00:00Z"),
        ("in 2 days", "2024-02-16T20:00:00Z"),
        ("in 3d", "2024-02-17T20:00:00Z"),
        ("in a week", "2024-02-21T20:00:00Z"),
        ("in 2 weeks", "2024-02-28T20:00:00Z"),
        ("in 1 week 2 days", "2024-02-23T20:00:00Z"),
        ("in 1 day 2 hours", "2024-02-15T22:00:00Z"),
        ("2 hours from now", "2024-02-14T22:00:00Z"),
        ("90 minutes from now", "2024-02-14T21:30:00Z"),
        ("an hour from now", "2024-02-14T21:00:00Z"),
        ("in 2 hours from now", "2024-02-14T22:00:00Z"),
        ("IN 2 HOURS", "2024-02-14T22:00:00Z"),
        ("in 2 hours UTC", "2024-02-14T22:00:00Z"),
        ("in 2 hours (22:00 UTC)", "2024-02-14T22:00:00Z"),
    ],
)
def test_each_duration_form_counts_from_now_to_the_minute(text: str, utc: str) -> None:
    parsed = _read(text)
    assert isoformat_z(parsed.utc) == utc
    assert parsed.precision is Precision.MINUTE


def test_hours_and_minutes_name_no_zone_so_none_is_assumed() -> None:
    parsed = _read("in 2 hours", tz=NY)
    assert parsed.zone_assumed is False
    assert parsed.note is None


def test_days_keep_the_clock_time_in_the_readers_zone_and_say_the_zone_was_assumed() -> None:
    parsed = _read("in 2 days", tz=NY)
    assert isoformat_z(parsed.utc) == "2024-02-16T20:00:00Z"
    assert (parsed.zone, parsed.zone_assumed) == (NY, True)


@pytest.mark.parametrize(
    ("text", "tz", "utc", "assumed"),
    [
        # The day is counted in the zone of the time, as for "tomorrow": 20:00Z on the 14th is the 15th in
        # Auckland, so "in 2 days at 14:00" (Auckland) is the 17th there, and "at 14:00 UTC" the 16th in UTC.
        ("in 2 days at 14:00 UTC", "Pacific/Auckland", "2024-02-16T14:00:00Z", False),
        ("tomorrow 14:00 UTC", "Pacific/Auckland", "2024-02-15T14:00:00Z", False),
        ("in 1 day at 14:00 UTC", "Pacific/Auckland", "2024-02-15T14:00:00Z", False),
        ("in 2 days at 14:00", "Pacific/Auckland", "2024-02-17T01:00:00Z", True),
        ("14:00 UTC in 2 days", "UTC", "2024-02-16T14:00:00Z", False),
        ("in a week at 9 a.m. EST", "UTC", "2024-02-21T14:00:00Z", False),
        ("in 2 days at 14:00 UTC (9 a.m. EST)", "UTC", "2024-02-16T14:00:00Z", False),
    ],
)
def test_days_combine_with_a_clock_which_sets_the_time(text: str, tz: str, utc: str, assumed: bool) -> None:
    parsed = _read(text, tz)
    assert (isoformat_z(parsed.utc), parsed.zone_assumed) == (utc, assumed)


def test_durations_count_from_now_while_day_words_read_against_ref() -> None:
    # A coverage start is read against its milestone's day, but "in 2 hours" still means two hours from now.
    milestone_eve = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    assert isoformat_z(_read("in 2 hours", ref=milestone_eve, now=REF).utc) == "2024-02-14T22:00:00Z"
    assert isoformat_z(_read("tomorrow 10:00", ref=milestone_eve, now=REF).utc) == "2024-03-02T10:00:00Z"
    assert isoformat_z(_read("in 2 hours", ref=milestone_eve).utc) == "2024-03-01T14:00:00Z"


def test_the_longest_duration_is_ten_years_to_the_day() -> None:
    assert timedelta(days=3653) == MAX_DURATION
    assert _utc("in 3653 days") == isoformat_z(REF.replace(second=0) + MAX_DURATION)
    assert _refusal("in 3653 days 1 minute") == (
        "'in 3653 days 1 minute' is more than ten years ahead. Try: the date, e.g. 'Feb. 17, 2030 14:00 UTC'"
    )


# --- DST: elapsed hours, calendar days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "ref", "text", "utc", "note"),
    [
        # Europe/London springs forward at 01:00Z on Sunday 2024-03-31 (GMT -> BST).
        (LONDON, datetime(2024, 3, 30, 12, 0, tzinfo=UTC), "in 24 hours", "2024-03-31T12:00:00Z", None),
        (
            LONDON,
            datetime(2024, 3, 30, 12, 0, tzinfo=UTC),
            "in 1 day",
            "2024-03-31T11:00:00Z",
            "1 day taken as the same clock time on Sun 31 Mar 2024, 23 hours later (the clocks change in between)",
        ),
        (LONDON, datetime(2024, 3, 31, 0, 30, tzinfo=UTC), "in 1 hour", "2024-03-31T01:30:00Z", None),
        # ... and falls back at 01:00Z on Sunday 2024-10-27.
        (
            LONDON,
            datetime(2024, 10, 26, 12, 0, tzinfo=UTC),
            "in 1 day",
            "2024-10-27T13:00:00Z",
            "1 day taken as the same clock time on Sun 27 Oct 2024, 25 hours later (the clocks change in between)",
        ),
        (LONDON, datetime(2024, 10, 26, 12, 0, tzinfo=UTC), "in 24 hours", "2024-10-27T12:00:00Z", None),
        # America/New_York falls back at 06:00Z on Sunday 2024-11-03 (EDT -> EST): 01:30 EDT plus an hour is
        # 01:30 EST, the same wall time an hour later.
        (NY, datetime(2024, 11, 3, 5, 30, tzinfo=UTC), "in 1 hour", "2024-11-03T06:30:00Z", None),
        (NY, datetime(2024, 11, 2, 16, 0, tzinfo=UTC), "in 24 hours", "2024-11-03T16:00:00Z", None),
        (
            NY,
            datetime(2024, 11, 2, 16, 0, tzinfo=UTC),
            "in 1 day",
            "2024-11-03T17:00:00Z",
            "1 day taken as the same clock time on Sun 03 Nov 2024, 25 hours later (the clocks change in between)",
        ),
        # ... and springs forward at 07:00Z on Sunday 2024-03-10; a week is seven calendar days.
        (
            NY,
            datetime(2024, 3, 5, 17, 0, tzinfo=UTC),
            "in a week",
            "2024-03-12T16:00:00Z",
            "7 days taken as the same clock time on Tue 12 Mar 2024, 167 hours later (the clocks change in between)",
        ),
        (NY, datetime(2024, 3, 5, 17, 0, tzinfo=UTC), "in 168 hours", "2024-03-12T17:00:00Z", None),
        # Days first, then the hours: noon tomorrow (23 hours on) plus two elapsed hours.
        (
            NY,
            datetime(2024, 3, 9, 17, 0, tzinfo=UTC),
            "in 1 day 2 hours",
            "2024-03-10T18:00:00Z",
            "1 day taken as the same clock time on Sun 10 Mar 2024, 23 hours later (the clocks change in between)",
        ),
    ],
)
def test_hours_are_elapsed_time_and_days_keep_the_clock_across_dst(
    tz: str, ref: datetime, text: str, utc: str, note: str | None
) -> None:
    parsed = _read(text, tz, ref)
    assert (isoformat_z(parsed.utc), parsed.note) == (utc, note)


@pytest.mark.parametrize(
    ("tz", "ref", "text", "said"),
    [
        (
            LONDON,
            datetime(2024, 3, 30, 1, 30, tzinfo=UTC),
            "in 1 day",
            "'in 1 day' keeps the clock time, and 2024-03-31 01:30 does not exist in Europe/London: clocks jump "
            "from GMT to BST. Try: 'in 24 hours' for exactly that long, or the offset you mean instead of the zone "
            "name, e.g. '2024-03-31 01:30 GMT' or '2024-03-31 01:30 BST'",
        ),
        (
            NY,
            datetime(2024, 11, 2, 5, 30, tzinfo=UTC),
            "in 1 day 15 minutes",
            "'in 1 day 15 minutes' keeps the clock time, and 2024-11-03 01:30 happens twice in America/New_York: "
            "first in EDT, then in EST. Try: 'in 24 hours 15 minutes' for exactly that long, or the offset you mean "
            "instead of the zone name, e.g. '2024-11-03 01:30 EDT' or '2024-11-03 01:30 EST'",
        ),
    ],
)
def test_a_day_that_lands_in_a_dst_gap_or_fold_is_refused_with_the_elapsed_reading_to_type(
    tz: str, ref: datetime, text: str, said: str
) -> None:
    assert _refusal(text, tz, ref) == said


# --- every written form of a generated duration gives the instant computed here --------------------------------


def _plural(amount: int, unit: str) -> str:
    return f"{amount} {unit}" + ("" if amount == 1 else "s")


def _forms(days: int, hours: int, minutes: int) -> list[str]:
    weeks, rest_days = divmod(days, 7)
    long_parts = [_plural(n, u) for n, u in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    short_parts = [f"{n}{u}" for n, u in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    forms = [
        "in " + " ".join(long_parts),
        "in " + "".join(short_parts),
        "in " + " ".join(short_parts),
        " ".join(long_parts) + " from now",
    ]
    if len(long_parts) > 1:
        forms.append("in " + ", ".join(long_parts[:-1]) + " and " + long_parts[-1])
    if not days:
        forms.append(f"in {hours * 60 + minutes} minutes")
    if weeks:
        week_parts = [_plural(weeks, "week"), *long_parts[1:]]
        if rest_days:
            week_parts.insert(1, _plural(rest_days, "day"))
        forms.append("in " + " ".join(week_parts))
    return forms


def _expected(ref: datetime, tz: ZoneInfo, days: int, hours: int, minutes: int) -> datetime | None:
    """The instant by plain arithmetic, or None when the day's clock time falls in a DST gap or fold."""
    start = ref.replace(second=0, microsecond=0)
    landed = start
    if days:
        local = start.astimezone(tz)
        wall = datetime.combine(local.date() + timedelta(days=days), local.time())
        first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
        second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if first != second or first.astimezone(tz).replace(tzinfo=None) != wall:
            return None
        landed = first
    return landed.astimezone(UTC) + timedelta(hours=hours, minutes=minutes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.integers(0, 800),
    hours=st.integers(0, 47),
    minutes=st.integers(0, 59),
    ref=st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC)),  # noqa: DTZ001 - bounds are naive, the values UTC
    tz=st.sampled_from(["UTC", LONDON, NY, "Australia/Lord_Howe"]),
)
def test_a_generated_duration_in_every_form_is_that_long_after_now(
    days: int, hours: int, minutes: int, ref: datetime, tz: str
) -> None:
    if not days and not hours and not minutes:
        minutes = 1
    expected = _expected(ref, ZoneInfo(tz), days, hours, minutes)
    for text in _forms(days, hours, minutes):
        if expected is None:
            with pytest.raises(TimeParseError, match="keeps the clock time"):
                _read(text, tz, ref)
            continue
        parsed = _read(text, tz, ref)
        assert parsed.utc == expected, text
        assert parsed.precision is Precision.MINUTE


# --- what is refused ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("in -2 hours", "'-2 hours' is in the past. Try: a time ahead, e.g. 'in 2 hours'"),
        ("in \u22122 hours", "'\u22122 hours' is in the past. Try: a time ahead, e.g. 'in 2 hours'"),
        ("2 hours ago", "'2 hours ago' is in the past. Try: a time ahead, e.g. 'in 2 hours'"),
        ("in 0 minutes", "'in 0 minutes' is no time from now. Try: 'now', or a time ahead such as 'in 2 hours'"),
        ("in 0h0m", "'in 0h0m' is no time from now. Try: 'now', or a time ahead such as 'in 2 hours'"),
        (
            "in 522 weeks",
            "'in 522 weeks' is more than ten years ahead. Try: the date, e.g. 'Feb. 17, 2030 14:00 UTC'",
        ),
        (
            "in 99999999999999999999 hours",
            "'in 99999999999999999999 hours' is more than ten years ahead. "
            "Try: the date, e.g. 'Feb. 17, 2030 14:00 UTC'",
        ),
        (
            "in 2 months",
            "'2 months': months and years differ in length. Try: the date, e.g. 'Feb. 17, 2030 14:00 UTC'",
        ),
        ("in a year", "'a year': months and years differ in length. Try: the date, e.g. 'Feb. 17, 2030 14:00 UTC'"),
        ("in 30 seconds", "'30 seconds': times are read to the minute. Try: minutes, e.g. 'in 1 minute'"),
        (
            "in 1:30 hours",
            "'in 1:30 hours' could be the time 01:30 or 1 hour 30 minutes from now. "
            "Try: 'in 1 hour 30 minutes', or '01:30' for the time",
        ),
        (
            "in 2.45 hours",
            "'in 2.45 hours' could be the time 02:45 or 2 hours 45 minutes from now. "
            "Try: 'in 2 hours 45 minutes', or '02:45' for the time",
        ),
        (
            "in 1200 hours",
            "'in 1200 hours' could be the time 12:00 or 1200 hours from now. "
            "Try: '12:00' for the time, or 'in 50 days'",
        ),
        (
            "0630 hours from now",
            "'0630 hours' could be the time 06:30 or 630 hours from now. "
            "Try: '06:30' for the time, or 'in 26 days 6 hours'",
        ),
        ("2 hours", "'2 hours' does not say from when. Try: 'in 2 hours' or '2 hours from now'"),
        ("in 1.5 days", "'1.5 days' is not a whole number of days. Try: the rest in hours, e.g. 'in 1 day 12 hours'"),
        (
            "in half a day",
            "'half a day' is not a whole number of days. Try: the rest in hours, e.g. 'in 1 day 12 hours'",
        ),
        ("in 0.1 minutes", "'0.1 minutes' is not a whole number of minutes. Try: whole minutes, e.g. 'in 90 minutes'"),
        (
            "in 1.125 minutes",
            "'1.125 minutes' has more than one decimal place. "
            "Try: 'in 2 hours', 'in 1 hour 30 minutes', 'in 3 days' or '2 hours from now'",
        ),
        (
            "in 1 hour 2 hours",
            "'1 hour 2 hours' gives the hours twice. "
            "Try: 'in 2 hours', 'in 1 hour 30 minutes', 'in 3 days' or '2 hours from now'",
        ),
        (
            "in 2 hours 14:00",
            "'in 2 hours' already says when, so '14:00' cannot be added. Try: the duration alone ('in 2 hours'), or "
            "a day and time ('tomorrow 14:00 UTC'); only days combine with a time ('in 2 days at 14:00')",
        ),
        (
            "tomorrow now",
            "'now' already says when, so 'tomorrow' cannot be added. Try: the duration alone ('in 2 hours'), or "
            "a day and time ('tomorrow 14:00 UTC'); only days combine with a time ('in 2 days at 14:00')",
        ),
        (
            "in 2 days Feb. 17 10:00",
            "two days for one time: 'in 2 days' and 'Feb. 17'. Try: one day per time",
        ),
        (
            "in 2 days at midnight",
            "'in 2 days midnight' could be the start of Fri 16 Feb 2024 or its end (the start of Sat 17 Feb 2024). "
            "Try: '00:00 2024-02-16' for the start or '00:00 2024-02-17' for the end",
        ),
        (
            "in 2 days 3 days",
            "'2 days 3 days' gives the days twice. Try: 'in 2 hours', 'in 1 hour 30 minutes', "
            "'in 3 days' or '2 hours from now'",
        ),
        (
            "in 2 hours and 2 hours",
            "'2 hours and 2 hours' gives the hours twice. Try: 'in 2 hours', "
            "'in 1 hour 30 minutes', 'in 3 days' or '2 hours from now'",
        ),
    ],
)
def test_a_duration_that_cannot_be_read_is_refused_with_what_to_type(text: str, said: str) -> None:
    assert _refusal(text) == said


@pytest.mark.parametrize("text", ["in a few minutes", "in a couple of hours", "in 2 hours or so", "soon"])
def test_vague_durations_are_not_guessed(text: str) -> None:
    with pytest.raises(TimeParseError):
        _read(text)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        # Nothing a time already meant is read as a duration: clocks with "hours", "a.m." and the word "and".
        ("0612 hours UTC", "2024-02-15T06:12:00Z"),
        ("11:50 hrs UTC", "2024-02-15T11:50:00Z"),
        ("Feb. 17 10 am", "2024-02-17T10:00:00Z"),
        ("10:25 p.m. EST (0325 GMT and 8:25 a.m. on Feb. 15 local time in Baikonur)", "2024-02-15T03:25:00Z"),
        ("in Baikonur local time Feb. 17 10:00", "2024-02-17T05:00:00Z"),
    ],
)
def test_times_that_look_a_little_like_durations_read_as_before(text: str, utc: str) -> None:
    assert _utc(text) == utc


# --- prose: an article's durations are not read -------------------------------------------------------------------


def test_prose_keeps_durations_as_words() -> None:
    tokens, problems = scan_prose("Liftoff is now in 2 hours, 90 minutes from now.")
    assert problems == []
    assert {t.kind.name for t in tokens} <= {"WORD", "FILLER", "STOP"}

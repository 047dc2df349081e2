"""Digest schedules: typed times, cron triggers at local wall time across DST, the slot a fire is for."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.db.digests import Digest
from bot.digests import last_slot, nonce, parse_local_time, trigger
from bot.exceptions import InputError

NEW_YORK = ZoneInfo("America/New_York")


def digest(
    *, cadence: str = "daily", weekday: int | None = None, at: str = "08:00", zone: str = "America/New_York"
) -> Digest:
    return Digest(1, 10, None, None, cadence, weekday, at, zone, None, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", "08:00"),
        ("8", "08:00"),
        ("8:30", "08:30"),
        ("20h15", "20:15"),
        ("7:30 pm", "19:30"),
        ("12 am", "00:00"),
        ("12pm", "12:00"),
        ("9 a.m.", "09:00"),
    ],
)
def test_times_of_day_people_type(text: str, expected: str) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize("text", ["", "25:00", "8:75", "13 pm", "tomorrow", "8:5"])
def test_what_is_not_a_time_of_day_says_what_to_type(text: str) -> None:
    with pytest.raises(InputError, match="08:00"):
        parse_local_time(text)


def fire_times(d: Digest, start: datetime, days: int) -> list[datetime]:
    """The trigger's fire times from ``start`` as the scheduler chains them (next after the previous)."""
    cron = trigger(d)
    out: list[datetime] = []
    at = cron.get_next_fire_time(None, start)
    while at is not None and at < start + timedelta(days=days):
        out.append(at)
        at = cron.get_next_fire_time(at, at)
    return out


@pytest.mark.parametrize(
    "change_day",
    [date(2027, 3, 14), date(2027, 11, 7)],  # US DST starts / ends
    ids=["spring-forward", "fall-back"],
)
def test_daily_0800_new_york_fires_once_a_day_at_0800_local_around_dst(change_day: date) -> None:
    start = datetime.combine(change_day - timedelta(days=3), datetime.min.time(), NEW_YORK)
    times = fire_times(digest(), start, days=7)
    local = [t.astimezone(NEW_YORK) for t in times]
    assert [t.date() for t in local] == [change_day - timedelta(days=3) + timedelta(days=i) for i in range(7)]
    assert {(t.hour, t.minute) for t in local} == {(8, 0)}
    offsets = {t.utcoffset() for t in local}
    assert offsets == {timedelta(hours=-5), timedelta(hours=-4)}  # the UTC instant moved, the wall time did not


@pytest.mark.parametrize(
    ("at", "change_day"),
    [("01:30", date(2027, 11, 7)), ("01:00", date(2027, 11, 7)), ("02:30", date(2027, 3, 14))],
    ids=["0130-repeated-in-fall", "0100-repeated-in-fall", "0230-in-the-spring-gap"],
)
def test_a_digest_in_a_repeated_or_skipped_hour_fires_once_each_day(at: str, change_day: date) -> None:
    start = datetime.combine(change_day - timedelta(days=3), datetime.min.time(), NEW_YORK)
    times = fire_times(digest(at=at), start, days=7)
    local_days = [t.astimezone(NEW_YORK).date() for t in times]
    assert local_days == [change_day - timedelta(days=3) + timedelta(days=i) for i in range(7)], times
    first_pass = [t for t in times if t.astimezone(NEW_YORK).date() == change_day]
    if change_day.month == 11:  # the first pass of the repeated hour is the one that fires (still daylight time)
        assert [t.astimezone(NEW_YORK).utcoffset() for t in first_pass] == [timedelta(hours=-4)]


def test_weekly_fires_on_its_day_only() -> None:
    times = fire_times(digest(cadence="weekly", weekday=0), datetime(2027, 3, 1, tzinfo=UTC), days=28)
    assert [t.astimezone(NEW_YORK).strftime("%a %d %H:%M") for t in times] == [
        "Mon 01 08:00",
        "Mon 08 08:00",
        "Mon 15 08:00",
        "Mon 22 08:00",
    ]


def test_the_slot_of_a_fire_is_the_latest_fire_time_reached() -> None:
    d = digest()
    eight = datetime(2027, 3, 15, 8, 0, tzinfo=NEW_YORK)
    assert last_slot(d, eight) == eight
    assert last_slot(d, eight + timedelta(hours=23)) == eight
    assert last_slot(d, eight - timedelta(seconds=1)) == eight - timedelta(days=1)


def test_nonces_are_short_and_differ_per_slot() -> None:
    assert len(nonce(1, 100)) <= 25
    assert nonce(1, 100) != nonce(1, 200) != nonce(2, 100)


def walked_last_slot(d: Digest, now: datetime) -> datetime | None:
    """The latest fire time at or before ``now``, walking every slot of the week before it (in UTC)."""
    cron = trigger(d)
    found, at = None, cron.get_next_fire_time(None, now - timedelta(days=8))
    while at is not None and at.astimezone(UTC) <= now.astimezone(UTC):
        found, at = at, cron.get_next_fire_time(at, at.astimezone(UTC) + timedelta(seconds=1))
    return found


@pytest.mark.parametrize(
    "d",
    [digest(), digest(at="02:30"), digest(at="01:30"), digest(cadence="weekly", weekday=6, at="02:30")],
    ids=["daily-0800", "daily-0230-in-the-gap", "daily-0130-twice-in-fall", "weekly-sunday-0230"],
)
def test_the_last_slot_is_the_latest_of_the_week_before_at_every_hour_around_dst(d: Digest) -> None:
    # last_slot looks at the last 26 hours first: a slot skipped by the spring gap or doubled in the fall must
    # still give the slot a walk over the whole week finds.
    for change in (datetime(2027, 3, 14, tzinfo=NEW_YORK), datetime(2027, 11, 7, tzinfo=NEW_YORK)):
        for hour in range(-30, 60):
            now = change + timedelta(hours=hour, minutes=17)
            assert last_slot(d, now) == walked_last_slot(d, now), now
            assert last_slot(d, now.astimezone(UTC)) == walked_last_slot(d, now), now  # the bot's clock is UTC


def test_a_daily_0130_digest_the_week_after_clocks_go_back_has_a_last_slot() -> None:
    # Stepping in New York time, 01:30 (second fold) + 1 s led the trigger back to that same 01:30 for ever:
    # every fire and start-up catch-up of such a digest hung the bot for a week.
    d = digest(at="01:30")
    assert last_slot(d, datetime(2027, 11, 8, 12, tzinfo=UTC)) == datetime(2027, 11, 8, 1, 30, tzinfo=NEW_YORK)

"""``bot.timeparse``'s rules one family at a time: what the reader is told, and where each boundary lies.

tests/bot/test_timeparse.py checks that the accepted forms give the right instant and that refusals name the
problem; these tests pin the rest of what a user sees and relies on: the whole refusal (what went wrong and what
to type instead), the zone name and notes shown with a reading, and the first and last value on each side of a
limit (minutes, seconds, years, offsets, the four digits that are a year or a clock, the year-ambiguity margin).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.extract import extract_with_problems
from bot.models import isoformat_z
from bot.timeparse import ParsedTime, TimeParseError, lookup_zone, parse_time

# Wednesday 2024-02-14 20:00Z, as in tests/bot/test_timeparse.py.
REF = datetime(2024, 2, 14, 20, 0, tzinfo=UTC)
NY = "America/New_York"
EXAMPLE = '"Feb. 17 1:12 a.m. EST", "2024-02-17T06:12Z", "tomorrow 13:05 UTC" or "in 2 hours"'


def _parse(text: str, tz: str = "UTC", ref: datetime = REF) -> ParsedTime:
    return parse_time(text, tz=tz, ref=ref)


def _refusal(text: str, tz: str = "UTC", ref: datetime = REF) -> str:
    with pytest.raises(TimeParseError) as info:
        _parse(text, tz, ref)
    return str(info.value)


# --- the whole refusal: what is wrong, then what to type -----------------------------------------------------

REFUSALS = [
    (
        "13:05 p.m.",
        "'13:05 p.m.' mixes a 24-hour clock with a.m./p.m. Try: either 13:05 or 1:05 p.m., not both",
    ),
    ("13 p.m.", "'13 p.m.' mixes a 24-hour clock with a.m./p.m. Try: either 13:05 or 1:05 p.m., not both"),
    ("24:00", "'24:00' is not a time of day. Try: a time such as 13:05 or 1:05 p.m."),
    ("10:60", "'10:60' is not a time of day. Try: a time such as 13:05 or 1:05 p.m."),
    ("10:30:60", "'10:30:60' is not a time of day. Try: a time such as 13:05 or 1:05 p.m."),
    ("Feb. 29, 2023", "'Feb. 29, 2023' is not a calendar date. Try: a real date such as Feb. 17, 2024"),
    ("Feb. 17, 1949", "the year in 'Feb. 17, 1949' is out of range. Try: a year between 1950 and 2200"),
    ("Feb. 17, 2201", "the year in 'Feb. 17, 2201' is out of range. Try: a year between 1950 and 2200"),
    ("Feb. 17 10:00 UTC+5:60", "'UTC+5:60' is not a UTC offset. Try: an offset between UTC-12 and UTC+14"),
    ("Feb. 17 10:00 UTC+15", "'UTC+15' is not a UTC offset in use. Try: an offset between UTC-12 and UTC+14"),
    ("Feb. 17 10:00 GMT-13", "'GMT-13' is not a UTC offset in use. Try: an offset between UTC-12 and UTC+14"),
    (
        "Feb 17 2024 UTC",
        "in 'Feb 17 2024 ...', 2024 could be the year or the time 20:24. Try: a comma before the year "
        "('Feb 17, 2024') or a colon in the time ('20:24')",
    ),
    (
        "next Saturday",
        "'next Saturday' can mean this coming one or the one after. Try: the date, e.g. 'Saturday, Feb. 17'",
    ),
    (
        "Wednesday 9am UTC",
        "'Wednesday 9am UTC' is earlier today (Wed 14 Feb 2024), which has passed. "
        "Try: the date: 'Feb 21' for next week's, or 'today' for this morning's",
    ),
    ("Aug. 15", "'Aug. 15' could be 2023-08-15 or 2024-08-15. Try: add the year, e.g. 'Aug. 15 2023'"),
    ("Aug. 10", "'Aug. 10' could be 2023-08-10 or 2024-08-10. Try: add the year, e.g. 'Aug. 10 2024'"),
    (
        "tonight (Feb. 15)",
        "'tonight' is 2024-02-14 but the date says 2024-02-15. Try: the date alone, e.g. 'Feb. 17 1:12 a.m. EST'",
    ),
    ("Fri. (Feb. 17)", "Sat 17 Feb 2024 is not a Fri. Try: check the date; 2024-02-17 is a Saturday"),
    ("10 a.m. EST PST", "two zones for one time: 'EST' and 'PST'. Try: one zone per time"),
    ("Feb. 17 Feb. 18", "two dates for one time: 'Feb. 17' and 'Feb. 18'. Try: one date per time"),
    ("10 a.m. and 11 a.m.", "more than one time given. Try: one time, optionally with another zone in brackets"),
    (
        "Feb. 17 1:12 (0612 GMT)|UTC",
        "the renderings disagree: 'Feb. 17 1:12' is 2024-02-17T01:12:00Z but '0612 GMT' is 2024-02-17T06:12:00Z. "
        "Try: one of them, or check which is right",
    ),
    ("", f"no time given. Try: {EXAMPLE}"),
    ("Feb. 17 10:00 UTC".ljust(201), f"that is too long to be one time. Try: {EXAMPLE}"),
    (
        "tomorrow midnight",
        "'tomorrow midnight' could be the start of Thu 15 Feb 2024 or its end (the start of Fri 16 Feb 2024). "
        "Try: '00:00 2024-02-15' for the start or '00:00 2024-02-16' for the end",
    ),
    (
        "IST 10:00 Feb. 17",
        "IST can mean India (UTC+5:30), Israel (UTC+2) or Irish Summer Time (UTC+1). "
        "Try: the UTC offset (e.g. UTC+5:30) or an IANA zone such as Asia/Kolkata",
    ),
    (
        "Feb. 17 10:00 local time",
        "'local time' does not say where. "
        "Try: name the place ('local time in Baikonur') or the zone (UTC+5, Asia/Qyzylorda)",
    ),
    (
        "Feb. 17 10:00 +05:30 (0500 GMT)",
        "the renderings disagree: 'Feb. 17 10:00 +05:30' is 2024-02-17T04:30:00Z but '0500 GMT' is "
        "2024-02-17T05:00:00Z. Try: one of them, or check which is right",
    ),
    ("this", f"I don't understand 'this'. Try: {EXAMPLE}"),
    ("last", f"I don't understand 'last'. Try: {EXAMPLE}"),
    ("Z 10:00 Feb. 17", f"I don't understand 'Z'. Try: {EXAMPLE}"),
    ("+05:30 Feb. 17 10:00", f"I don't understand '+'. Try: {EXAMPLE}"),
    (
        "2024-03-10 00:30 America/Havana",
        "2024-03-10 00:30 does not exist in America/Havana: clocks jump from UTC-05:00 to UTC-04:00. "
        "Try: the offset you mean instead of the zone name, e.g. '2024-03-10 00:30 UTC-05:00' or "
        "'2024-03-10 00:30 UTC-04:00'",
    ),
    # Durations (tests/bot/test_timeparse_durations.py has the families).
    ("in 0 minutes", "'in 0 minutes' is no time from now. Try: 'now', or a time ahead such as 'in 2 hours'"),
    ("in -2 hours", "'-2 hours' is in the past. Try: a time ahead, e.g. 'in 2 hours'"),
    ("2 hours", "'2 hours' does not say from when. Try: 'in 2 hours' or '2 hours from now'"),
    ("in 2 years", "'2 years': months and years differ in length. Try: the date, e.g. 'Feb. 17, 2030 14:00 UTC'"),
    ("in 3654 days", "'in 3654 days' is more than ten years ahead. Try: the date, e.g. 'Feb. 17, 2030 14:00 UTC'"),
    (
        "in 2 hours 14:00",
        "'in 2 hours' already says when, so '14:00' cannot be added. Try: the duration alone ('in 2 hours'), or "
        "a day and time ('tomorrow 14:00 UTC'); only days combine with a time ('in 2 days at 14:00')",
    ),
    ("in a few hours", f"I don't understand 'a'. Try: {EXAMPLE}"),
]


@pytest.mark.parametrize(("text", "said"), REFUSALS)
def test_a_refusal_says_what_is_wrong_and_what_to_type_instead(text: str, said: str) -> None:
    assert _refusal(text.removesuffix("|UTC")) == said


def test_two_hundred_characters_are_not_too_long() -> None:
    assert isoformat_z(_parse("Feb. 17 10:00 UTC".ljust(200)).utc) == "2024-02-17T10:00:00Z"


def test_a_dst_message_names_offsets_where_the_zone_abbreviation_means_another_offset_in_our_table() -> None:
    # Cuba's "CST"/"CDT" are UTC-5/-4; the table reads CST as US Central (UTC-6), so the message says offsets.
    message = _refusal("2024-03-10 00:30 America/Havana")
    assert "CST" not in message
    assert "CDT" not in message
    # New York's abbreviations are the table's, so they are shown as such.
    assert "from EST to EDT" in _refusal("2024-03-10 02:30 America/New_York")


# --- Feb. 29 without a year -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref_year", "leap"),
    [(2025, 2028), (2026, 2028), (2027, 2028), (2097, 2104), (2098, 2104), (2099, 2104), (2101, 2104)],
)
def test_feb_29_far_from_a_leap_year_is_refused_with_the_next_leap_year_to_write(ref_year: int, leap: int) -> None:
    # 2100 is no leap year: from 2097 the next is 2104, seven years on (the search once stopped at four and crashed).
    ref = datetime(ref_year, 3, 1, tzinfo=UTC)
    assert _refusal("Feb. 29", ref=ref) == (
        f"'Feb. 29' is not a date in {ref_year}. Try: add the year, e.g. 'Feb. 29 {leap}' (a leap year)"
    )


# --- what a reading shows: the zone's name and the notes -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Feb. 17 10:00 UTC", "UTC"),
        ("Feb. 17 10:00 GMT", "GMT"),
        ("Feb. 17 10:00 Z", "UTC"),
        ("Feb. 17 10:00 ZULU", "UTC"),
        ("Feb. 17 10:00 UT", "UTC"),
        ("Feb. 17 1000Z", "UTC"),
        ("2024-02-17T10:00Z", "UTC"),
        ("Feb. 17 10:00 EST", "EST (UTC-05:00)"),
        ("Feb. 17 10:00 eastern standard time", "EST (UTC-05:00)"),
        ("Feb. 17 10:00 NST", "NST (UTC-03:30)"),
        ("Feb. 17 10:00 ACST", "ACST (UTC+09:30)"),
        ("Feb. 17 10:00 UTC+0", "UTC+00:00"),
        ("Feb. 17 10:00 UTC+5:30", "UTC+05:30"),
        ("Feb. 17 10:00 GMT-05:30", "UTC-05:30"),
        ("Feb. 17 10:00 UTC\u22123", "UTC-03:00"),
        ("2024-02-17T06:12:30+05:00", "UTC+05:00"),
        ("Feb. 17 10:00 ET", "America/New_York"),
        ("Feb. 17 10:00 Kourou time", "America/Cayenne"),
    ],
)
def test_a_reading_names_the_zone_it_was_read_in(text: str, zone: str) -> None:
    parsed = _parse(text, NY)
    assert (parsed.zone, parsed.zone_assumed) == (zone, False)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Feb. 17 10:00 +05:30", "2024-02-17T04:30:00Z"),
        ("Feb. 17 10:00 -0300", "2024-02-17T13:00:00Z"),
        ("Feb. 17 10:00 \u221203:00", "2024-02-17T13:00:00Z"),
    ],
)
def test_a_bare_offset_straight_after_a_time_is_its_zone(text: str, utc: str) -> None:
    parsed = _parse(text, NY)
    assert (isoformat_z(parsed.utc), parsed.zone_assumed) == (utc, False)


@pytest.mark.parametrize(
    ("text", "note"),
    [
        # Only a clock that could be a 12-hour one and says nothing of it gets the 24-hour note.
        ("Feb. 17 10:30 UTC", "10:30 read as a 24-hour time"),
        ("Feb. 17 10:30:59 UTC", "10:30:59 read as a 24-hour time"),
        ("Feb. 17 10:30 a.m. UTC", None),
        ("Feb. 17 10:30 hrs UTC", None),
        ("Feb. 17 10 a.m. UTC", None),
        ("Feb. 17 noon UTC", None),
        ("Feb. 17 1130 GMT", None),
        ("Feb. 17 1130Z", None),
        ("Feb. 17 09:30 UTC", None),
        ("Feb. 17 23:59 UTC", None),
        # "around", "about", "approximately", "roughly", "~" before any form of clock.
        ("Feb. 17 around noon UTC", "the text gives this time as approximate"),
        ("Feb. 17 about 10 a.m. UTC", "the text gives this time as approximate"),
        ("Feb. 17 roughly 10:30 a.m. UTC", "the text gives this time as approximate"),
        ("Feb. 17 approximately 1130 GMT", "the text gives this time as approximate"),
        ("Feb. 17 ~ 11:30 a.m. UTC", "the text gives this time as approximate"),
        ("Feb. 17 around 10:30 UTC", "the text gives this time as approximate; around 10:30 read as a 24-hour time"),
        # An alternative rendering's notes join the reading's, less its own 24-hour note (one is enough).
        (
            "Feb. 17 10:00 UTC (around 11:00 CET)",
            "10:00 read as a 24-hour time; the text gives this time as approximate",
        ),
        # Night and midnight.
        ("tomorrow night 1 a.m. UTC", "1 a.m. at night taken as the early hours of Fri 16 Feb 2024"),
        ("Saturday night 1 a.m. UTC", "1 a.m. at night taken as the early hours of Sun 18 Feb 2024"),
        ("Sat. Night 1 a.m. UTC", "1 a.m. at night taken as the early hours of Sun 18 Feb 2024"),
        ("midnight tonight", "midnight taken as the end of Wed 14 Feb 2024"),
        ("Feb. 17 midnight", "midnight taken as the start of Sat 17 Feb 2024"),
        # A time with no day says which day it took.
        ("10 a.m. EST", "no date given: took the next 10 a.m. (Thu 15 Feb 2024)"),
        ("noon UTC", "no date given: took the next noon (Thu 15 Feb 2024)"),
        ("9:30 p.m. UTC", "no date given: took the next 9:30 p.m. (Wed 14 Feb 2024)"),
        ("1130Z", "no date given: took the next 1130 (Thu 15 Feb 2024)"),
    ],
)
def test_a_reading_carries_the_notes_the_reader_should_see(text: str, note: str | None) -> None:
    assert _parse(text).note == note


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Feb. 17 around 10:30 UTC", "2024-02-17T10:30:00Z"),
        ("Feb. 17 around  10:30 UTC", "2024-02-17T10:30:00Z"),
        ("Feb. 17 about 10 a.m. UTC", "2024-02-17T10:00:00Z"),
        ("Feb. 17 approx. noon UTC", "2024-02-17T12:00:00Z"),
    ],
)
def test_an_approximate_time_is_read_as_the_time_written(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


# --- clocks: every form, and the last value before each limit ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Feb. 17 midday UTC", "2024-02-17T12:00:00Z"),
        ("Feb. 17 Midday UTC", "2024-02-17T12:00:00Z"),
        ("Feb. 17 12 noon UTC", "2024-02-17T12:00:00Z"),
        ("Feb. 17 10.30 p.m. EST", "2024-02-18T03:30:00Z"),
        ("Feb. 17 10:59 UTC", "2024-02-17T10:59:00Z"),
        ("Feb. 17 10:30:59 UTC", "2024-02-17T10:30:59Z"),
        ("Feb. 17 23:59 UTC", "2024-02-17T23:59:00Z"),
        ("Feb. 17 12 a.m. UTC", "2024-02-17T00:00:00Z"),
        ("Feb. 17 12 p.m. UTC", "2024-02-17T12:00:00Z"),
        ("1130 hours Feb. 17", "2024-02-17T11:30:00Z"),
        ("1130 hrs Feb. 17", "2024-02-17T11:30:00Z"),
        ("1130h Feb. 17", "2024-02-17T11:30:00Z"),
        ("1130 HOURS Feb. 17", "2024-02-17T11:30:00Z"),
    ],
)
def test_every_clock_form_reads_its_time(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("feb 17 10:00 est", "2024-02-17T15:00:00Z"),
        ("FEB. 17 10:00 UTC", "2024-02-17T10:00:00Z"),
        ("Feb. 17 10:00 Pacific Time", "2024-02-17T18:00:00Z"),
    ],
)
def test_typed_input_is_read_whatever_its_case(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


# --- four digits after a date: the year or the clock ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Feb. 17 1975 UTC", "1975-02-17T00:00:00Z"),  # 19:75 is no time: the year
        ("Feb. 17 1960 UTC", "1960-02-17T00:00:00Z"),  # 19:60 is no time: the year
        ("Feb. 17 2300 UTC", "2024-02-17T23:00:00Z"),  # no year 2300 here: the clock
        ("12 a.m. on Feb. 17 2024 UTC", "2024-02-17T00:00:00Z"),  # a clock before it, past a filler word
        ("Feb. 15 0612 Eastern", "2024-02-15T11:12:00Z"),  # a named zone after it: the clock
        ("Feb. 15 0612 Moscow time", "2024-02-15T03:12:00Z"),
        ("Feb. 15 0825 Baikonur time", "2024-02-15T03:25:00Z"),  # a launch site's time after it
        # A clock outside the brackets belongs to another rendering: inside them 0325 is still the clock.
        ("10:25 p.m. EST (Feb. 15 0325 GMT)", "2024-02-15T03:25:00Z"),
        ("10:25 p.m. EST Feb. 14 (Feb. 15, 2024 0325 GMT)", "2024-02-15T03:25:00Z"),
    ],
)
def test_four_digits_after_a_date_are_read_as_year_or_clock_by_what_they_can_be(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


@pytest.mark.parametrize(
    ("text", "digits", "clock"),
    [
        ("Feb. 17 1950 UTC", "1950", "19:50"),  # the first year in range
        ("Feb. 17 2200 UTC", "2200", "22:00"),  # the last year in range
        ("Feb. 17 2059 UTC", "2059", "20:59"),  # the last minute of an hour
        ("10:00; Feb. 17 2024 UTC", "2024", "20:24"),  # a clock in another clause gives no year
        ("(10:00) Feb. 17 2024 UTC", "2024", "20:24"),  # nor does one in brackets before it
    ],
)
def test_four_digits_that_could_be_either_are_refused(text: str, digits: str, clock: str) -> None:
    assert f"{digits} could be the year or the time {clock}" in _refusal(text)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("Feb. 17 2430 UTC", "2430"),  # 24:30 is no time and 2430 no year in range
        ("UTC+3 Feb. 17 0612", "0612"),  # a zone before the date is not a zone after the digits
        ("Eastern Feb. 17 0612", "0612"),
        ("Baikonur time Feb. 17 0612", "0612"),
    ],
)
def test_four_digits_after_a_date_with_no_zone_after_them_are_a_year(text: str, digits: str) -> None:
    assert f"the year in 'Feb. 17 {digits}' is out of range" in _refusal(text)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("0612 on Saturday", "I don't understand '0612'"),  # four digits alone are no clock
        ("Feb. 15 0612 IST", "IST can mean"),  # an ambiguous zone after them: a clock, in a zone refused
    ],
)
def test_four_digits_are_a_clock_only_with_a_zone_after_them(text: str, said: str) -> None:
    assert said in _refusal(text)


# --- days ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("this morning 10:00 UTC", "2024-02-14T10:00:00Z"),
        ("This Evening 7 p.m. UTC", "2024-02-14T19:00:00Z"),
        ("last night 11 p.m. UTC", "2024-02-13T23:00:00Z"),
        ("last night 1 a.m. UTC", "2024-02-14T01:00:00Z"),  # the small hours after last night: today's
        ("tomorrow NIGHT 1 a.m. UTC", "2024-02-16T01:00:00Z"),
        ("yesterday 10:00 UTC", "2024-02-13T10:00:00Z"),
    ],
)
def test_relative_days_with_a_part_of_the_day(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


@pytest.mark.parametrize("today", [date(2024, 2, 12) + timedelta(days=n) for n in range(7)])
@pytest.mark.parametrize("weekday", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"])
def test_last_weekday_is_the_one_in_the_seven_days_before_today(today: date, weekday: str) -> None:
    ref = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    day = _parse(f"last {weekday}", ref=ref).utc.date()
    assert day.strftime("%A") == weekday
    assert timedelta(days=1) <= today - day <= timedelta(days=7)


@pytest.mark.parametrize("today", [date(2024, 2, 12) + timedelta(days=n) for n in range(7)])
@pytest.mark.parametrize("weekday", ["Monday", "Thursday", "Sunday"])
def test_a_weekday_alone_is_the_next_one_from_today_on(today: date, weekday: str) -> None:
    ref = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=12)
    day = _parse(weekday, ref=ref).utc.date()
    assert day.strftime("%A") == weekday
    assert timedelta(0) <= day - today <= timedelta(days=6)


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("Feb. 14 9 a.m.", "2024-02-14T09:00:00Z"),  # the date written: this morning, though it has passed
        ("today 9 a.m.", "2024-02-14T09:00:00Z"),
        ("Wednesday, Feb. 14 9 a.m.", "2024-02-14T09:00:00Z"),
        ("Wednesday 8 p.m. UTC", "2024-02-14T20:00:00Z"),  # exactly now is not earlier today
        ("Wednesday 9 p.m. UTC", "2024-02-14T21:00:00Z"),
    ],
)
def test_a_time_earlier_today_is_read_when_the_day_is_written_or_it_is_not_yet_past(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


def test_a_weekday_time_passed_today_in_its_own_zone_is_refused_though_utc_has_moved_to_tomorrow() -> None:
    # 03:00Z Thursday is 10 p.m. Wednesday in New York: "Wednesday 9 a.m. ET" is this morning's, which has passed.
    thursday_utc = datetime(2024, 2, 15, 3, 0, tzinfo=UTC)
    assert "is earlier today (Wed 14 Feb 2024)" in _refusal("Wednesday 9 a.m. ET", ref=thursday_utc)


# --- a year-less date: the nearest year, unless the other is nearly as near ------------------------------------


@pytest.mark.parametrize(
    ("text", "ref", "utc"),
    [
        ("Jan. 3", datetime(2024, 12, 28, tzinfo=UTC), "2025-01-03T00:00:00Z"),  # next year's, a week ahead
        ("Dec. 28", datetime(2025, 1, 3, tzinfo=UTC), "2024-12-28T00:00:00Z"),  # last year's, a week back
    ],
)
def test_a_year_less_date_near_new_year_takes_the_nearer_year(text: str, ref: datetime, utc: str) -> None:
    assert isoformat_z(_parse(text, ref=ref).utc) == utc


def test_the_year_is_asked_for_when_the_other_year_is_less_than_thirty_days_further() -> None:
    ref = datetime(2024, 3, 1, tzinfo=UTC)
    # Sept. 14: 2023's is 169 days back, 2024's 197 ahead (28 days further): asked for.
    assert "could be 2023-09-14 or 2024-09-14" in _refusal("Sept. 14", ref=ref)
    # Sept. 15: 168 back, 198 ahead: exactly 30 days further, which is enough to take the nearer one.
    assert isoformat_z(_parse("Sept. 15", ref=ref).utc) == "2023-09-15T00:00:00Z"


# --- a zone given only in brackets, and a date alone ------------------------------------------------------------


def test_a_zone_given_only_in_brackets_is_the_zone_of_the_reading_not_an_assumed_one() -> None:
    parsed = _parse("Feb. 17 1:12 (around 0612 GMT)", NY)
    assert (isoformat_z(parsed.utc), parsed.zone, parsed.zone_assumed, parsed.day) == (
        "2024-02-17T06:12:00Z",
        "GMT",
        False,
        None,
    )
    assert parsed.note == "1:12 read as a 24-hour time; the text gives this time as approximate"


@pytest.mark.parametrize(
    ("text", "day"),
    [("Feb. 17", date(2024, 2, 17)), ("tomorrow", date(2024, 2, 15)), ("Saturday", date(2024, 2, 17))],
)
def test_a_date_alone_carries_the_calendar_day_meant(text: str, day: date) -> None:
    assert _parse(text, NY).day == day


@pytest.mark.parametrize(
    ("text", "utc"), [("Feb. 17, 1950", "1950-02-17T00:00:00Z"), ("Feb. 17, 2200", "2200-02-17T00:00:00Z")]
)
def test_the_first_and_last_years_in_range_are_read(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


def test_a_time_carries_no_calendar_day() -> None:
    assert _parse("Feb. 17 10:00 UTC").day is None


# --- a bracketed time takes the day nearest the other rendering ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # The day before the other rendering's date in the bracket's zone, and the day after.
        ("2024-02-17T00:30Z (11:30 p.m. UTC)", "'11:30 p.m. UTC' is 2024-02-16T23:30:00Z"),
        ("2024-02-17T23:30Z (00:30 UTC)", "'00:30 UTC' is 2024-02-18T00:30:00Z"),
        # 23:45Z is 12:45 on the 18th in Auckland: its nearest 00:30 is the 19th's, a day after UTC's date.
        ("2024-02-17T23:45Z (00:30 Pacific/Auckland)", "'00:30 Pacific/Auckland' is 2024-02-18T11:30:00Z"),
    ],
)
def test_a_disagreeing_bracketed_time_is_named_at_its_reading_nearest_the_other(text: str, named: str) -> None:
    assert named in _refusal(text)


@pytest.mark.parametrize(
    ("text", "utc", "zone", "note"),
    [
        # Neither rendering has a day: the one with a zone fixes the instant.
        ("1:12 (0612 GMT)", "2024-02-15T06:12:00Z", "GMT", "no date given: took the next 0612 (Thu 15 Feb 2024)"),
        # Both have a zone: the first written fixes it.
        (
            "1:12 a.m. EST (0612 GMT)",
            "2024-02-15T06:12:00Z",
            "EST (UTC-05:00)",
            "no date given: took the next 1:12 a.m. (Thu 15 Feb 2024)",
        ),
        # A bracketed time with no zone is read in the reader's zone and must agree.
        ("Feb. 17 0612 GMT (1:12 a.m.)", "2024-02-17T06:12:00Z", "GMT", None),
    ],
)
def test_the_rendering_with_a_day_then_a_zone_then_the_first_fixes_the_instant(
    text: str, utc: str, zone: str, note: str | None
) -> None:
    parsed = _parse(text, NY)
    assert (isoformat_z(parsed.utc), parsed.zone, parsed.note) == (utc, zone, note)


@pytest.mark.parametrize(
    ("text", "utc", "zone"),
    [
        ("Feb. 17 10:00 Pacific/Auckland", "2024-02-16T21:00:00Z", "Pacific/Auckland"),
        ("Feb. 17 10:00 Pacific/Honolulu", "2024-02-17T20:00:00Z", "Pacific/Honolulu"),
        ("Feb. 17 10:00 Pacific", "2024-02-17T18:00:00Z", "America/Los_Angeles"),
    ],
)
def test_an_iana_zone_is_not_mistaken_for_the_generic_name_it_starts_with(text: str, utc: str, zone: str) -> None:
    # "Pacific/Auckland" was once read as US Pacific followed by a word nobody understood.
    parsed = _parse(text, NY)
    assert (isoformat_z(parsed.utc), parsed.zone) == (utc, zone)


# --- the day of a time: night, now, and the reader's own zone -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("tonight 4:59 a.m.", "2024-02-15T04:59:00Z"),  # before 5 a.m.: the small hours after tonight
        ("tonight 5 a.m.", "2024-02-14T05:00:00Z"),  # from 5 a.m. on: today's morning
    ],
)
def test_tonight_before_five_in_the_morning_is_the_next_calendar_day(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


def test_a_bare_time_exactly_now_is_now() -> None:
    assert isoformat_z(_parse("20:00 UTC").utc) == "2024-02-14T20:00:00Z"


def test_a_bare_time_is_the_next_one_in_its_own_zone_when_utc_has_moved_to_tomorrow() -> None:
    # 03:00Z on the 15th is 10 p.m. on the 14th in New York: the next 11 p.m. there is in an hour.
    parsed = _parse("11 p.m.", NY, datetime(2024, 2, 15, 3, 0, tzinfo=UTC))
    assert isoformat_z(parsed.utc) == "2024-02-15T04:00:00Z"
    assert parsed.note == "no date given: took the next 11 p.m. (Wed 14 Feb 2024)"


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("Feb. 17 1:30 UTC", "1:30 read as a 24-hour time"),
        ("Feb. 17 12:30 UTC", "12:30 read as a 24-hour time"),
        ("Feb. 17 13:05 UTC", None),
        ("Feb. 17 00:30 UTC", None),
    ],
)
def test_only_hours_one_to_twelve_get_the_24_hour_note(text: str, note: str | None) -> None:
    assert _parse(text).note == note


def test_a_date_alone_in_a_zone_whose_midnight_is_skipped_starts_when_the_day_does() -> None:
    # Cuba springs forward at midnight: 2024-03-10 begins at 01:00 CDT (05:00Z).
    parsed = _parse("2024-03-10 America/Havana")
    assert (isoformat_z(parsed.utc), parsed.zone, parsed.day) == (
        "2024-03-10T05:00:00Z",
        "America/Havana",
        date(2024, 3, 10),
    )


def test_a_date_alone_is_read_in_the_readers_zone() -> None:
    parsed = _parse("Feb. 17", NY)
    assert (isoformat_z(parsed.utc), parsed.zone, parsed.zone_assumed) == ("2024-02-17T05:00:00Z", NY, True)


def test_a_launch_site_followed_by_local_is_its_zone() -> None:
    parsed = _parse("Feb. 17 10:00 Baikonur local")
    assert (isoformat_z(parsed.utc), parsed.zone) == ("2024-02-17T05:00:00Z", "Asia/Qyzylorda")


# --- numeric dates ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2030/02/17", "2030-02-17T00:00:00Z"),
        ("2030/2/7 10:00 UTC", "2030-02-07T10:00:00Z"),
        ("10:00 UTC 2030/02/17", "2030-02-17T10:00:00Z"),
        ("10:00 UTC 17/2/2030", "2030-02-17T10:00:00Z"),
        ("17/2/2030", "2030-02-17T00:00:00Z"),  # the day first: 17 cannot be a month
        ("2/17/30", "2030-02-17T00:00:00Z"),  # the month first; a two-digit year is this century's
        ("13/5/2030", "2030-05-13T00:00:00Z"),  # the first past 12 is the day
        ("5/13/2030", "2030-05-13T00:00:00Z"),  # the second past 12 is the day
        ("13/12/2030", "2030-12-13T00:00:00Z"),
        ("12/12/2030", "2030-12-12T00:00:00Z"),  # both the same: either way round
    ],
)
def test_a_numeric_date_is_read_when_only_one_order_is_possible(text: str, utc: str) -> None:
    assert isoformat_z(_parse(text).utc) == utc


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("12/5/2030", "'12/5/2030' could be month/day or day/month. Try: the month as a word, e.g. Feb. 3 or 2 March"),
        ("5/12/2030", "'5/12/2030' could be month/day or day/month. Try: the month as a word, e.g. Feb. 3 or 2 March"),
        ("2/3", "'2/3' could be month/day or day/month. Try: the month as a word, e.g. Feb. 3 or 2 March"),
        ("31/2/2030", "'31/2/2030' is not a calendar date. Try: a real date such as Feb. 17, 2024"),
        ("2030/02/30", "'2030/02/30' is not a calendar date. Try: a real date such as Feb. 17, 2024"),
        (
            "2030/02/17 1:12 (0612 GMT)",
            "the renderings disagree: '2030/02/17 1:12' is 2030-02-17T01:12:00Z but '0612 GMT' is "
            "2030-02-17T06:12:00Z. Try: one of them, or check which is right",
        ),
        (
            "17/2/2030 1:12 (0612 GMT)",
            "the renderings disagree: '17/2/2030 1:12' is 2030-02-17T01:12:00Z but '0612 GMT' is "
            "2030-02-17T06:12:00Z. Try: one of them, or check which is right",
        ),
    ],
)
def test_a_numeric_date_either_way_round_or_impossible_is_refused(text: str, said: str) -> None:
    assert _refusal(text) == said


# --- ISO-8601 and the military "Z" ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc", "precision_is_second", "zone"),
    [
        ("2024-02-17T06:12:30.5Z", "2024-02-17T06:12:30Z", True, "UTC"),
        ("2024-02-17t06:12z", "2024-02-17T06:12:00Z", False, "UTC"),
        ("2024-02-17 06:12Z", "2024-02-17T06:12:00Z", False, "UTC"),
        ("2024-02-17T10:30+14:00", "2024-02-16T20:30:00Z", False, "UTC+14:00"),
        ("2024-02-17T06:12Z (1:12 a.m. EST)", "2024-02-17T06:12:00Z", False, "UTC"),
        ("Feb. 17 06:12Z", "2024-02-17T06:12:00Z", False, "UTC"),
    ],
)
def test_iso_and_military_times_are_read_with_their_zone_and_precision(
    text: str, utc: str, precision_is_second: bool, zone: str
) -> None:
    parsed = _parse(text, NY)
    assert (isoformat_z(parsed.utc), parsed.precision.name == "SECOND", parsed.zone, parsed.note) == (
        utc,
        precision_is_second,
        zone,
        None,
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("2024-13-45", "'2024-13-45' is not a valid ISO-8601 time. Try: 2024-02-17T06:12Z"),
        (
            "2024-02-17T06:12Z (1:13 a.m. ET)",
            "the renderings disagree: '2024-02-17 06:12 Z' is 2024-02-17T06:12:00Z but '1:13 a.m. ET' is "
            "2024-02-17T06:13:00Z",
        ),
        (
            "Feb. 17 1130Z (1:12 a.m. EST)",
            "the renderings disagree: 'Feb. 17 1130 Z' is 2024-02-17T11:30:00Z but '1:12 a.m. EST' is "
            "2024-02-17T06:12:00Z. Try: one of them, or check which is right",
        ),
    ],
)
def test_iso_and_military_refusals_quote_what_was_written(text: str, said: str) -> None:
    assert _refusal(text).startswith(said)


# --- zones written out: launch sites, offsets, punctuation around them -------------------------------------------


@pytest.mark.parametrize(
    ("text", "utc", "zone"),
    [
        ("Feb. 17 10:00 local time at the Baikonur Cosmodrome", "2024-02-17T05:00:00Z", "Asia/Qyzylorda"),
        ("Feb. 17 10:00 Cape Canaveral Space Force Station time", "2024-02-17T15:00:00Z", NY),
        ("Feb. 17 10:00 Kennedy Space Center local time", "2024-02-17T15:00:00Z", NY),
        ("Feb. 17 10:00 local time in Wallops Flight Facility", "2024-02-17T15:00:00Z", NY),
        ("Feb. 17 10:00 UTC+03:00", "2024-02-17T07:00:00Z", "UTC+03:00"),
        ("Feb. 17 10:00 UTC+0300", "2024-02-17T07:00:00Z", "UTC+03:00"),
        ("Feb. 17 10:00 US/Eastern", "2024-02-17T15:00:00Z", "US/Eastern"),
        ("Feb. 17 10:00 utc", "2024-02-17T10:00:00Z", "UTC"),
        ("Feb. 17 10:00 UTC.", "2024-02-17T10:00:00Z", "UTC"),
        ("Feb. 17, 10:00 UTC", "2024-02-17T10:00:00Z", "UTC"),
        ("Feb. 17 at 10:00 UTC!", "2024-02-17T10:00:00Z", "UTC"),
        ("10:00 on Feb. 17 \u2013 UTC", "2024-02-17T10:00:00Z", "UTC"),
    ],
)
def test_zones_and_the_words_around_them_are_read(text: str, utc: str, zone: str) -> None:
    parsed = _parse(text)
    assert (isoformat_z(parsed.utc), parsed.zone) == (utc, zone)


@pytest.mark.parametrize(
    ("text", "word"),
    [("Feb. 17 10:00 UTC+3x", "+"), ("Feb. 17 10:00 America/New_Yorkx", "America")],
)
def test_a_zone_glued_to_more_letters_is_not_a_zone(text: str, word: str) -> None:
    assert _refusal(text).startswith(f"I don't understand {word!r}")


# --- the reader's zone --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "zone", "utc"),
    [
        ("EST", "EST (UTC-05:00)", "2024-07-04T15:00:00Z"),
        ("est", "EST (UTC-05:00)", "2024-07-04T15:00:00Z"),
        (" America/New_York ", NY, "2024-07-04T14:00:00Z"),
        ("Eastern", NY, "2024-07-04T14:00:00Z"),
        ("eastern standard time", "EST (UTC-05:00)", "2024-07-04T15:00:00Z"),
        ("Kourou", "America/Cayenne", "2024-07-04T13:00:00Z"),
        ("utc+5:30", "UTC+05:30", "2024-07-04T04:30:00Z"),
    ],
)
def test_the_readers_zone_may_be_written_any_way_a_zone_in_the_text_may(tz: str, zone: str, utc: str) -> None:
    parsed = parse_time("July 4, 2024 10:00", tz=tz, ref=REF)
    assert (isoformat_z(parsed.utc), parsed.zone, parsed.zone_assumed) == (utc, zone, True)


@pytest.mark.parametrize(
    ("tz", "said"),
    [
        (
            "IST",
            "IST can mean India (UTC+5:30), Israel (UTC+2) or Irish Summer Time (UTC+1). "
            "Try: the UTC offset (e.g. UTC+5:30) or an IANA zone such as Asia/Kolkata",
        ),
        (
            "Mars/Olympus_Mons",
            "'Mars/Olympus_Mons' is not an IANA time zone name such as UTC or America/New_York. "
            "Try: an IANA name such as America/New_York, an abbreviation such as EST, or UTC",
        ),
    ],
)
def test_a_readers_zone_that_cannot_be_used_is_refused_with_what_to_set_instead(tz: str, said: str) -> None:
    with pytest.raises(TimeParseError) as info:
        parse_time("July 4, 2024 10:00", tz=tz, ref=REF)
    assert str(info.value) == said


# --- brackets: which rendering each day and zone belongs to --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Saturday (Feb. 17) at 1:12 a.m. EST (0612 GMT)", "EST (UTC-05:00)"),
        ("Feb. 17 (Saturday) 1:12 a.m. EST (0612 GMT)", "EST (UTC-05:00)"),
        ("1:12 a.m. EST (0612 GMT [Feb. 17])", "GMT"),
        ("(Feb. 17) 1:12 a.m. EST", "EST (UTC-05:00)"),
        ("1:12 a.m. EST (Saturday) (0612 GMT)", "EST (UTC-05:00)"),
        ("(Saturday) (Feb. 17) 1:12 a.m. EST", "EST (UTC-05:00)"),
        # Inside one bracket, a day word after a clock that has one goes to the next clock.
        ("1:12 a.m. EST Feb. 17 (Feb. 17 06:12 GMT and Feb. 17 9:12 a.m. Moscow time)", "EST (UTC-05:00)"),
    ],
)
def test_bracketed_days_and_renderings_belong_to_the_time_they_explain(text: str, zone: str) -> None:
    parsed = _parse(text, NY)
    assert (isoformat_z(parsed.utc), parsed.zone) == ("2024-02-17T06:12:00Z", zone)


def test_fillers_alone_are_no_time() -> None:
    assert _refusal("on the") == f"no time or date in 'on the'. Try: {EXAMPLE}"


def test_a_bare_time_one_reading_of_which_is_still_ahead_on_a_spring_forward_day_is_refused() -> None:
    # 07:00Z on 2024-03-10 is 3 a.m. EDT: "2:30 a.m." never happened today, but read as EST (07:30Z) it is still
    # ahead, so today is the day taken, and its wall time does not exist.
    message = _refusal("2:30 a.m.", NY, datetime(2024, 3, 10, 7, 0, tzinfo=UTC))
    assert message.startswith("2024-03-10 02:30 does not exist in America/New_York: clocks jump from EST to EDT")


def test_a_date_past_the_end_of_the_calendar_is_refused_not_a_crash() -> None:
    text = "tomorrow" + " at the" * 10
    assert _refusal(text, ref=datetime(9999, 12, 31, 12, tzinfo=UTC)) == (
        f"cannot read {text[:60]!r} as a time (date value out of range). Try: {EXAMPLE}"
    )


# --- words, separators and punctuation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Feb. 17 10:00UTC", f"I don't understand '10'. Try: {EXAMPLE}"),  # glued letters make one unknown word
        ("Feb. 17 10:00 UTC..", f"I don't understand '.'. Try: {EXAMPLE}"),
        ("10 a.m. or 11 a.m.", "more than one time given. Try: one time, optionally with another zone in brackets"),
        ("10 a.m. / 11 a.m.", "more than one time given. Try: one time, optionally with another zone in brackets"),
    ],
)
def test_words_that_join_or_break_a_time_are_told_apart(text: str, said: str) -> None:
    assert _refusal(text) == said


@pytest.mark.parametrize(
    "text", ["Feb. 17 AT 10:00 UTC", "Feb. 17 10:00 UTC!?", "Feb. 17 10:00 Eastern   time", "Feb. 17 10:00 UTC ; "]
)
def test_fillers_stops_and_extra_spaces_do_not_change_a_reading(text: str) -> None:
    assert _parse(text, NY).utc == _parse(" ".join(text.split()).rstrip(" !?;").replace(" AT ", " at "), NY).utc


def test_lookup_zone_refuses_an_unknown_name_and_describes_an_ambiguous_one() -> None:
    with pytest.raises(TimeParseError) as info:
        lookup_zone("Nowhere")
    assert str(info.value) == (
        "unknown time zone 'Nowhere'. Try: an IANA name such as America/New_York, an abbreviation such as EST, or UTC"
    )
    ist = lookup_zone(" ist ")
    assert (ist.name, ist.tz, ist.site_needed) == ("IST", None, False)


# --- prose: the lenient reading extraction uses ---------------------------------------------------------------------


def _prose(text: str, published: date | None) -> tuple[list[tuple[str, str, str, bool]], list[str]]:
    found, problems = extract_with_problems(text, published=published)
    return [(f.kind.value, isoformat_z(f.utc), f.zone, f.past) for f in found], problems


def test_prose_reads_a_weekday_time_earlier_on_the_day_of_publication_as_that_day() -> None:
    # An article is read against its day of publication, not against "now": a time already past that day is fine.
    found, _ = _prose("The launch is set for Wednesday at 9 a.m. UTC.", date(2024, 2, 14))
    assert found == [("liftoff", "2024-02-14T09:00:00Z", "UTC", False)]


@pytest.mark.parametrize("published", [date(2024, 2, 14), None])
def test_an_ambiguous_abbreviation_is_read_as_the_launch_sites_offset(published: date | None) -> None:
    found, _ = _prose("Liftoff is scheduled for 16:08 IST on Feb. 17, 2024 from Sriharikota.", published)
    assert found == [("liftoff", "2024-02-17T10:38:00Z", "IST (UTC+05:30, the launch site's)", False)]


def test_an_ambiguous_abbreviation_that_is_not_the_launch_sites_offset_is_refused() -> None:
    found, problems = _prose("Ariane 6 will lift off from Kourou at 16:08 IST on Feb. 17, 2024.", date(2024, 2, 14))
    assert found == []
    assert problems == [
        "'16:08 IST on Feb. 17, 2024': IST can mean India (UTC+5:30), Israel (UTC+2) or Irish Summer Time (UTC+1). "
        "Try: the UTC offset (e.g. UTC+5:30) or an IANA zone such as Asia/Kolkata"
    ]


def test_prose_without_a_publication_date_cannot_read_a_relative_day() -> None:
    found, problems = _prose("The rocket launches tomorrow at 10:00 UTC.", None)
    assert found == []
    assert problems == [
        "'tomorrow at 10:00 UTC': no reference date to read a relative or year-less day against. Try: a full date"
    ]


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("The rocket launched on Saturday at 10:00 UTC.", "2024-02-17T10:00:00Z"),  # a report: the last Saturday
        ("The rocket launched this Saturday at 10:00 UTC.", "2024-02-24T10:00:00Z"),  # "this": the coming one
    ],
)
def test_a_weekday_in_a_past_tense_report_is_the_last_one_unless_it_says_this(text: str, utc: str) -> None:
    found, _ = _prose(text, date(2024, 2, 21))
    assert found == [("liftoff", utc, "UTC", True)]


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Soyuz launches from Baikonur at 10:00 local time on Feb. 17, 2024.", "Asia/Qyzylorda"),
        ("Launch from Sriharikota at 16:08 IST on Feb. 17, 2024.", "IST (UTC+05:30, the launch site's)"),
    ],
)
def test_a_zone_taken_from_the_launch_site_is_not_an_assumed_zone(text: str, zone: str) -> None:
    (item,) = extract_with_problems(text, published=date(2024, 2, 14))[0]
    assert (item.zone, item.zone_assumed, item.zone_source) == (zone, False, "site")


def test_prose_keeps_reading_the_other_renderings_after_one_it_cannot_read() -> None:
    text = "Liftoff is at 10:25 p.m. EST on Feb. 14, 2024 (0325 IST and 0325 GMT on Feb. 15)."
    (item,) = extract_with_problems(text, published=date(2024, 2, 14))[0]
    assert item.conflict is not None
    assert item.conflict.startswith("'0325 IST' cannot be read: IST can mean")
    assert [(a.phrase, isoformat_z(a.utc)) for a in item.alternatives] == [("0325 GMT Feb. 15", "2024-02-15T03:25:00Z")]


def test_an_offset_zone_in_a_disagreement_is_quoted_as_written() -> None:
    assert _refusal("Feb. 17 10:00 UTC+3 (0600 GMT)") == (
        "the renderings disagree: 'Feb. 17 10:00 UTC+3' is 2024-02-17T07:00:00Z but '0600 GMT' is "
        "2024-02-17T06:00:00Z. Try: one of them, or check which is right"
    )

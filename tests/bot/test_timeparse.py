"""Table-driven tests for ``bot.timeparse``: every accepted form, every refusal, DST edges, and fuzzing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.models import Precision, isoformat_z
from bot.timeparse import (
    AMBIGUOUS_ABBREVIATIONS,
    FIXED_ABBREVIATIONS,
    SITE_ZONES,
    ParsedTime,
    TimeParseError,
    lookup_zone,
    parse_time,
)

# Wednesday 2024-02-14 20:00Z = 15:00 in New York: the evening the Progress 87 article was written.
REF = datetime(2024, 2, 14, 20, 0, tzinfo=UTC)
NY = "America/New_York"


def _parse(text: str, tz: str = NY, ref: datetime = REF) -> ParsedTime:
    return parse_time(text, tz=tz, ref=ref)


# (text, reader's zone, expected UTC, precision, zone assumed)
ACCEPTED = [
    # ISO-8601
    ("2024-02-17T06:12Z", NY, "2024-02-17T06:12:00Z", Precision.MINUTE, False),
    # An ISO date followed by a 12-hour clock: the clock is not ISO, the a.m./p.m. decides.
    ("2024-02-17 12:30 a.m. EST", NY, "2024-02-17T05:30:00Z", Precision.MINUTE, False),
    ("2024-02-17 1:12 p.m. EST", NY, "2024-02-17T18:12:00Z", Precision.MINUTE, False),
    ("2024-02-17T06:12:30+05:00", NY, "2024-02-17T01:12:30Z", Precision.SECOND, False),
    ("2024-02-17T01:12", NY, "2024-02-17T06:12:00Z", Precision.MINUTE, True),
    ("2024-02-17 06:12 UTC", NY, "2024-02-17T06:12:00Z", Precision.MINUTE, False),
    ("2024-02-17", NY, "2024-02-17T05:00:00Z", Precision.DAY, True),
    # dates with and without a year
    ("Feb. 17", NY, "2024-02-17T05:00:00Z", Precision.DAY, True),
    ("17 February", "UTC", "2024-02-17T00:00:00Z", Precision.DAY, True),
    ("Feb 17, 2024", "UTC", "2024-02-17T00:00:00Z", Precision.DAY, True),
    ("2/17/2024", "UTC", "2024-02-17T00:00:00Z", Precision.DAY, True),
    ("Dec. 30", "UTC", "2023-12-30T00:00:00Z", Precision.DAY, True),  # nearest occurrence is last year's
    # 12- and 24-hour clocks
    ("Feb. 17 1:12 a.m. EST", NY, "2024-02-17T06:12:00Z", Precision.MINUTE, False),
    ("Feb. 14 10:25 p.m. EST", "UTC", "2024-02-15T03:25:00Z", Precision.MINUTE, False),
    ("Feb. 15 0612 GMT", NY, "2024-02-15T06:12:00Z", Precision.MINUTE, False),
    ("Feb. 15 0612Z", NY, "2024-02-15T06:12:00Z", Precision.MINUTE, False),
    ("Feb. 15 13:05", "UTC", "2024-02-15T13:05:00Z", Precision.MINUTE, True),
    ("Feb. 15 13:05:09", "UTC", "2024-02-15T13:05:09Z", Precision.SECOND, True),
    ("Feb. 15 noon", "UTC", "2024-02-15T12:00:00Z", Precision.MINUTE, True),
    ("Feb. 15 12 noon", "UTC", "2024-02-15T12:00:00Z", Precision.MINUTE, True),
    ("midnight Feb. 15", "UTC", "2024-02-15T00:00:00Z", Precision.MINUTE, True),
    ("Feb. 15 10 p.m. EDT", "UTC", "2024-02-16T02:00:00Z", Precision.MINUTE, False),
    ("Feb. 15 9am PT", "UTC", "2024-02-15T17:00:00Z", Precision.MINUTE, False),
    ("12:30 a.m. EST Feb. 17", "UTC", "2024-02-17T05:30:00Z", Precision.MINUTE, False),
    # relative days, against ref in the zone of the time
    ("today", NY, "2024-02-14T05:00:00Z", Precision.DAY, True),
    ("tonight 10:25 p.m. EST", "UTC", "2024-02-15T03:25:00Z", Precision.MINUTE, False),
    ("tonight at 12:30 a.m. EST", "UTC", "2024-02-15T05:30:00Z", Precision.MINUTE, False),
    ("midnight tonight", NY, "2024-02-15T05:00:00Z", Precision.MINUTE, True),
    ("tomorrow 13:05 UTC", NY, "2024-02-15T13:05:00Z", Precision.MINUTE, False),
    ("tomorrow", NY, "2024-02-15T05:00:00Z", Precision.DAY, True),
    ("early Saturday", NY, "2024-02-17T05:00:00Z", Precision.DAY, True),
    ("Saturday", NY, "2024-02-17T05:00:00Z", Precision.DAY, True),
    ("Wednesday", NY, "2024-02-14T05:00:00Z", Precision.DAY, True),  # today is Wednesday
    ("last Saturday", NY, "2024-02-10T05:00:00Z", Precision.DAY, True),
    ("on Saturday (Feb. 17) at 1:12 a.m. EST", "UTC", "2024-02-17T06:12:00Z", Precision.MINUTE, False),
    ("Sat. Feb. 17 06:12Z", NY, "2024-02-17T06:12:00Z", Precision.MINUTE, False),
    ("Saturday 1:12 a.m. EST", "UTC", "2024-02-17T06:12:00Z", Precision.MINUTE, False),
    # several renderings of one instant, which must agree
    (
        "10:25 p.m. EST (0325 GMT and 8:25 a.m. on Feb. 15 local time in Baikonur)",
        "UTC",
        "2024-02-15T03:25:00Z",
        Precision.MINUTE,
        False,
    ),
    ("1:12 a.m. EST (0612 GMT) on Saturday", "UTC", "2024-02-17T06:12:00Z", Precision.MINUTE, False),
    ("Feb. 17 1:12 (0612 GMT)", NY, "2024-02-17T06:12:00Z", Precision.MINUTE, False),
    # zone names: abbreviations, generic names, IANA names, offsets, sites
    ("Feb. 17 10 a.m. Eastern", "UTC", "2024-02-17T15:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10 a.m. ET", "UTC", "2024-02-17T15:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10 a.m. Eastern time", "UTC", "2024-02-17T15:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10 a.m. CT", "UTC", "2024-02-17T16:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10 a.m. MT", "UTC", "2024-02-17T17:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10 a.m. Pacific", "UTC", "2024-02-17T18:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 America/Chicago", "UTC", "2024-02-17T16:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Europe/Moscow", "UTC", "2024-02-17T07:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Moscow time", "UTC", "2024-02-17T07:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 MSK", "UTC", "2024-02-17T07:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 UTC+3", "UTC", "2024-02-17T07:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 GMT-05:30", "UTC", "2024-02-17T15:30:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 JST", "UTC", "2024-02-17T01:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 AEDT", "UTC", "2024-02-16T23:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 CET", "UTC", "2024-02-17T09:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 CST", "UTC", "2024-02-17T16:00:00Z", Precision.MINUTE, False),  # documented: US Central
    ("Feb. 17 10:00 Cape Canaveral local time", "UTC", "2024-02-17T15:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Vandenberg time", "UTC", "2024-02-17T18:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 local time at Kourou", "UTC", "2024-02-17T13:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Tanegashima time", "UTC", "2024-02-17T01:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 local time in Jiuquan", "UTC", "2024-02-17T02:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Sriharikota time", "UTC", "2024-02-17T04:30:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Mahia local time", "UTC", "2024-02-16T21:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Boca Chica time", "UTC", "2024-02-17T16:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Houston time", "UTC", "2024-02-17T16:00:00Z", Precision.MINUTE, False),
    ("Feb. 17 10:00 Vostochny time", "UTC", "2024-02-17T01:00:00Z", Precision.MINUTE, False),
    # DST: abbreviations are fixed, IANA zones and generic names follow the rules
    ("July 4 10:00 EST", "UTC", "2024-07-04T15:00:00Z", Precision.MINUTE, False),
    ("July 4 10:00 ET", "UTC", "2024-07-04T14:00:00Z", Precision.MINUTE, False),
    ("2024-11-03 01:30 EDT", "UTC", "2024-11-03T05:30:00Z", Precision.MINUTE, False),
    ("2024-11-03 01:30 EST", "UTC", "2024-11-03T06:30:00Z", Precision.MINUTE, False),
    ("2024-03-31 01:30 GMT", "Europe/London", "2024-03-31T01:30:00Z", Precision.MINUTE, False),
    # Baikonur: UTC+6 until Dec 2018, UTC+5 since
    ("Feb. 15 2017 8:25 a.m. Baikonur time", "UTC", "2017-02-15T02:25:00Z", Precision.MINUTE, False),
    ("Feb. 15 2024 8:25 a.m. Baikonur time", "UTC", "2024-02-15T03:25:00Z", Precision.MINUTE, False),
]


@pytest.mark.parametrize(("text", "tz", "utc", "precision", "assumed"), ACCEPTED)
def test_reads_human_written_time(text: str, tz: str, utc: str, precision: Precision, assumed: bool) -> None:
    parsed = _parse(text, tz)
    assert (isoformat_z(parsed.utc), parsed.precision, parsed.zone_assumed) == (utc, precision, assumed)
    assert parsed.utc.tzinfo is UTC


# (text, reader's zone, words the message must contain)
REFUSED = [
    ("", NY, "no time given"),
    ("   ", NY, "no time given"),
    ("hello", NY, "don't understand 'hello'"),
    ("10:25 p.m. EST please", NY, "don't understand 'please'"),
    ("EST", NY, "no time or date"),
    ("IST 10:00 Feb. 17", NY, "IST can mean"),
    ("AST 10:00 Feb. 17", NY, "AST can mean"),
    ("Feb. 17 10:00 local time", NY, "does not say where"),
    ("13:05 p.m.", NY, "mixes a 24-hour clock with a.m./p.m"),
    ("Feb. 17 1:12 (0612 GMT)", "UTC", "renderings disagree"),
    ("25:00", NY, "not a time of day"),
    ("10:75", NY, "not a time of day"),
    ("Feb. 30", NY, "not a calendar date"),
    ("Feb. 17 1850", NY, "year in 'Feb. 17 1850' is out of range"),
    ("2/3", NY, "month/day or day/month"),
    ("Aug. 15", NY, "could be 2023-08-15 or 2024-08-15"),
    ("Friday (Feb. 17)", NY, "is not a Friday"),
    ("Saturday, Feb. 18, 2024", NY, "is not a Saturday"),
    ("tonight (Feb. 15)", NY, "'tonight' is 2024-02-14 but the date says 2024-02-15"),
    ("next Saturday", NY, "this coming one or the one after"),
    ("1:12 a.m. EST (0712 GMT) on Saturday", NY, "renderings disagree"),
    ("10 a.m. and 11 a.m.", NY, "more than one time"),
    ("10 a.m. EST PST", NY, "two zones"),
    ("Feb. 17 Feb. 18", NY, "two dates"),
    # DST gap and fold, America/New_York and Europe/London
    ("2024-03-10 02:30", NY, "does not exist in America/New_York"),
    ("2024-11-03 01:30", NY, "happens twice in America/New_York"),
    ("2024-03-10 02:30 America/New_York", "UTC", "does not exist"),
    ("2024-03-31 01:30", "Europe/London", "does not exist in Europe/London"),
    ("2024-10-27 01:30", "Europe/London", "happens twice in Europe/London"),
    ("Nov. 3, 2024 1:30 a.m. ET", "UTC", "happens twice"),
    ("Feb. 17 10:00 UTC+15", NY, "not a UTC offset"),
    ("Feb. 17, 1800", NY, "year"),
]


@pytest.mark.parametrize(("text", "tz", "words"), REFUSED)
def test_refuses_to_guess(text: str, tz: str, words: str) -> None:
    with pytest.raises(TimeParseError) as info:
        _parse(text, tz)
    error = info.value
    assert words in error.message
    assert error.suggestion
    assert "\n" not in str(error)
    assert str(error) == f"{error.message}. Try: {error.suggestion}"


# A bracketed time with no day takes the day (of yesterday, today, tomorrow in its zone) that puts it nearest
# the other rendering. Only the day taken must have a usable wall time: a DST gap or fold on a neighbouring day
# is no reason to refuse. When the nearest day is the gap or fold itself, the text is refused with the offsets
# to use, even if one reading of it would match: a wall time that never shows on a clock is a mistake in the
# text, and one that shows twice is refused the same way as "Nov. 3, 2024 1:30 a.m. ET" with its date written.
# (text, expected UTC, or None and the words the refusal must contain)
BORROWED_DAY_NEAR_DST: list[tuple[str, str | None, str]] = [
    # The day before spring-forward: Mar 10's missing 2:30 is a neighbour, not the day taken.
    ("2024-03-09T07:30Z (2:30 a.m. ET)", "2024-03-09T07:30:00Z", ""),
    ("Mar. 9, 2024 0730 GMT (2:30 a.m. Eastern time)", "2024-03-09T07:30:00Z", ""),
    # The day after spring-forward: same gap, other side.
    ("2024-03-11T06:30Z (2:30 a.m. ET)", "2024-03-11T06:30:00Z", ""),
    # The day after fall-back: Nov 3's doubled 1:30 is a neighbour.
    ("2024-11-04T06:30Z (1:30 a.m. ET)", "2024-11-04T06:30:00Z", ""),
    # The day before fall-back.
    ("2024-11-02T05:30Z (1:30 a.m. ET)", "2024-11-02T05:30:00Z", ""),
    # Europe/London, the last Sunday of March: 01:30 does not exist on Mar 31.
    ("2024-03-30T01:30Z (01:30 Europe/London)", "2024-03-30T01:30:00Z", ""),
    # Genuine problems on the day taken: still refused, with the offsets to write instead.
    ("2024-03-10T07:30Z (2:30 a.m. ET)", None, "2024-03-10 02:30 does not exist in America/New_York"),
    ("2024-11-03T06:30Z (1:30 a.m. ET)", None, "2024-11-03 01:30 happens twice in America/New_York"),
    ("2024-11-03T05:30Z (1:30 a.m. ET)", None, "2024-11-03 01:30 happens twice in America/New_York"),
    ("2024-03-31T00:30Z (01:30 Europe/London)", None, "2024-03-31 01:30 does not exist in Europe/London"),
    # A valid neighbouring day that disagrees is a disagreement, not a way round the gap.
    ("2024-03-09T08:30Z (2:30 a.m. ET)", None, "renderings disagree"),
]


@pytest.mark.parametrize(("text", "utc", "words"), BORROWED_DAY_NEAR_DST)
def test_bracketed_time_borrows_its_day_past_a_neighbouring_dst_change(text: str, utc: str | None, words: str) -> None:
    if utc is not None:
        parsed = _parse(text, "UTC")
        assert (isoformat_z(parsed.utc), parsed.zone_assumed) == (utc, False)
        return
    with pytest.raises(TimeParseError) as info:
        _parse(text, "UTC")
    assert words in info.value.message
    assert info.value.suggestion
    if "does not exist" in words or "happens twice" in words:
        assert "Try: the offset you mean" in str(info.value)


# A time with no day is the next one at or after ref; only the day taken must have a usable wall time.
# (text, ref, expected UTC, or None and the words the refusal must contain)
BARE_TIME_NEAR_DST: list[tuple[str, datetime, str | None, str]] = [
    # 8 a.m. EDT on spring-forward day: today's 2:30 never happened and is past anyway; tomorrow's is taken.
    ("2:30 a.m.", datetime(2024, 3, 10, 12, tzinfo=UTC), "2024-03-11T06:30:00Z", ""),
    # 7 a.m. EST on fall-back day: both of today's 1:30s have passed.
    ("1:30 a.m.", datetime(2024, 11, 3, 12, tzinfo=UTC), "2024-11-04T06:30:00Z", ""),
    # Midnight before the change: the next 2:30 / 1:30 is the one that never / twice happens.
    ("2:30 a.m.", datetime(2024, 3, 10, 5, tzinfo=UTC), None, "does not exist"),
    ("1:30 a.m.", datetime(2024, 11, 3, 4, tzinfo=UTC), None, "happens twice"),
    # The evening before: tomorrow is taken, and it is the problem day.
    ("2:30 a.m.", datetime(2024, 3, 9, 23, tzinfo=UTC), None, "does not exist"),
    # 1:45 a.m. EDT: the second 1:30 (EST) is still to come, but the text does not say which 1:30 it means.
    ("1:30 a.m.", datetime(2024, 11, 3, 5, 45, tzinfo=UTC), None, "happens twice"),
]


@pytest.mark.parametrize(("text", "ref", "utc", "words"), BARE_TIME_NEAR_DST)
def test_bare_time_skips_a_dst_change_on_a_day_it_does_not_take(
    text: str, ref: datetime, utc: str | None, words: str
) -> None:
    if utc is not None:
        assert isoformat_z(_parse(text, NY, ref).utc) == utc
        return
    with pytest.raises(TimeParseError, match=words):
        _parse(text, NY, ref)


def test_dst_fold_suggestion_names_both_offsets() -> None:
    with pytest.raises(TimeParseError) as info:
        _parse("2024-11-03 01:30", NY)
    assert "EDT" in info.value.suggestion
    assert "EST" in info.value.suggestion
    # Following the suggestion works.
    assert isoformat_z(_parse("2024-11-03 01:30 EST").utc) == "2024-11-03T06:30:00Z"


def test_unknown_reader_zone_is_an_error() -> None:
    with pytest.raises(TimeParseError, match="is not an IANA time zone name"):
        _parse("13:05", tz="Mars/Olympus_Mons")


def test_accepts_zoneinfo_object_for_reader_zone() -> None:
    parsed = parse_time("Feb. 17 13:05", tz=ZoneInfo("Asia/Tokyo"), ref=REF)
    assert (isoformat_z(parsed.utc), parsed.zone) == ("2024-02-17T04:05:00Z", "Asia/Tokyo")


def test_bare_clock_time_is_the_next_occurrence_with_a_note() -> None:
    parsed = _parse("13:05")  # 15:00 in New York now, so 13:05 today has passed
    assert isoformat_z(parsed.utc) == "2024-02-15T18:05:00Z"
    assert parsed.note is not None
    assert "no date given" in parsed.note


def test_twelve_hour_looking_time_without_meridiem_is_flagged() -> None:
    parsed = _parse("Feb. 17 10:25", "UTC")
    assert parsed.note is not None
    assert "24-hour" in parsed.note


def test_year_rule_takes_nearest_year_near_new_year() -> None:
    jan_2 = datetime(2025, 1, 2, 12, tzinfo=UTC)
    assert isoformat_z(parse_time("Dec. 30", tz="UTC", ref=jan_2).utc) == "2024-12-30T00:00:00Z"
    assert isoformat_z(parse_time("Jan. 5", tz="UTC", ref=jan_2).utc) == "2025-01-05T00:00:00Z"
    with pytest.raises(TimeParseError, match="add the year"):
        parse_time("July 3", tz="UTC", ref=jan_2)


def test_ref_is_read_in_the_zone_of_the_time() -> None:
    # 03:00Z on Feb 15 is still Feb 14 in New York, so "today" there is the 14th.
    late = datetime(2024, 2, 15, 3, tzinfo=UTC)
    assert isoformat_z(parse_time("today 11 p.m. ET", tz="UTC", ref=late).utc) == "2024-02-15T04:00:00Z"


def test_naive_ref_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive"):
        parse_time("13:05", tz="UTC", ref=datetime(2024, 2, 14))  # noqa: DTZ001 - the point of the test


def test_abbreviation_tables_are_consistent() -> None:
    assert not set(FIXED_ABBREVIATIONS) & set(AMBIGUOUS_ABBREVIATIONS)
    for name in FIXED_ABBREVIATIONS:
        assert lookup_zone(name).tz is not None
    for site, zone in SITE_ZONES.items():
        assert lookup_zone(site).name == zone
    assert lookup_zone("EST").tz.utcoffset(None) == timedelta(hours=-5)  # type: ignore[union-attr]


_REFS = st.datetimes(
    min_value=datetime(1960, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; timezones= makes values aware
    max_value=datetime(2190, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, ZoneInfo(NY), ZoneInfo("Asia/Qyzylorda"), ZoneInfo("Pacific/Auckland")]),
)
_WORDS = st.sampled_from(
    [
        "10:25", "p.m.", "a.m.", "EST", "GMT", "(", ")", "Feb.", "17", "2024", "Saturday", "tonight", "on", "at",
        "0612", "noon", "midnight", "local time in Baikonur", "IST", "2024-03-10", "02:30", "UTC+3", "and", ",",
        "early", "next", "Z", "T", "-", "/", "2/3", "America/New_York", "12", "late", "Moscow time", "1:12",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=60), ref=_REFS, tz=st.sampled_from(["UTC", NY, "Europe/London", "EST"]))
def test_no_text_crashes_the_parser(text: str, ref: datetime, tz: str) -> None:
    _check_total(text, tz, ref)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.lists(_WORDS, max_size=8), ref=_REFS, tz=st.sampled_from(["UTC", NY, "Europe/London"]))
def test_no_time_like_text_crashes_the_parser(words: list[str], ref: datetime, tz: str) -> None:
    _check_total(" ".join(words), tz, ref)


def _check_total(text: str, tz: str, ref: datetime) -> None:
    error: TimeParseError | None = None
    try:
        parsed = parse_time(text, tz=tz, ref=ref)
    except TimeParseError as exc:  # the only exception allowed out
        error = exc
    if error is not None:
        assert error.message
        assert error.suggestion
        assert "\n" not in str(error)
    else:
        assert parsed.utc.tzinfo is UTC
        assert parsed.utc.utcoffset() == timedelta(0)

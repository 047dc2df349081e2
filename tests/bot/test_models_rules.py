"""The domain model's rules, pinned: which precisions are exact, how long each period lasts, which statuses are
final, how a change reads in a log line, and how instants are normalised.

Several of these rules are module constants (``PERIOD_SECONDS``, the final statuses) that mutation testing does
not change by itself, so each value is stated here as the rule it implements.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from bot.models import (
    Change,
    ChangeKind,
    Event,
    EventStatus,
    EventType,
    GoneReason,
    Milestone,
    MilestoneKind,
    Precision,
    Source,
    ensure_utc,
    isoformat_z,
    period_end,
    start_of_date,
)

AT = datetime(2024, 2, 12, tzinfo=UTC)  # a Monday, 00:00Z: how LL2 stores a date
HOUR = timedelta(hours=1)
DAY_EVERYWHERE = timedelta(hours=24 + 14)  # a date is over once it is over in UTC+14


@pytest.mark.parametrize(
    ("precision", "exact"),
    [
        (Precision.SECOND, True),
        (Precision.MINUTE, True),
        (Precision.HOUR, False),
        (Precision.DAY, False),
        (Precision.WEEK, False),
        (Precision.MONTH, False),
        (Precision.QUARTER, False),
        (Precision.HALF_YEAR, False),
        (Precision.YEAR, False),
    ],
)
def test_only_minute_or_finer_is_exact_enough_for_a_timed_alert(precision: Precision, exact: bool) -> None:
    assert precision.is_exact is exact


def test_precisions_rank_from_finest_to_coarsest() -> None:
    order = [Precision.SECOND, Precision.MINUTE, Precision.HOUR, Precision.DAY, Precision.WEEK, Precision.MONTH]
    order += [Precision.QUARTER, Precision.HALF_YEAR, Precision.YEAR]
    assert [p.rank for p in order] == list(range(9))


@pytest.mark.parametrize(
    ("precision", "lasts"),
    [
        (Precision.SECOND, timedelta(0)),
        (Precision.MINUTE, timedelta(0)),
        (Precision.HOUR, HOUR),
        (Precision.DAY, DAY_EVERYWHERE),
        # A week is six whole days and then a seventh that must be over everywhere.
        (Precision.WEEK, timedelta(days=6) + DAY_EVERYWHERE),
        # LL2 stores a month, quarter, half or year NET on its last day: what is left is that day.
        (Precision.MONTH, DAY_EVERYWHERE),
        (Precision.QUARTER, DAY_EVERYWHERE),
        (Precision.HALF_YEAR, DAY_EVERYWHERE),
        (Precision.YEAR, DAY_EVERYWHERE),
    ],
)
def test_a_milestone_is_over_when_its_precisions_period_is(precision: Precision, lasts: timedelta) -> None:
    assert period_end(AT, precision) == AT + lasts


def test_a_week_from_monday_is_over_on_the_next_monday_at_14z() -> None:
    assert period_end(AT, Precision.WEEK) == datetime(2024, 2, 19, 14, 0, tzinfo=UTC)


def test_period_end_of_an_exact_time_is_that_time_in_utc() -> None:
    berlin = datetime(2024, 2, 12, 10, 30, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    end = period_end(berlin, Precision.SECOND)
    assert end == datetime(2024, 2, 12, 9, 30, 15, tzinfo=UTC)
    assert end.tzinfo is UTC


@pytest.mark.parametrize(
    ("status", "final", "label"),
    [
        (EventStatus.GO, False, "Go"),
        (EventStatus.TBD, False, "TBD"),
        (EventStatus.TBC, False, "TBC"),
        (EventStatus.HOLD, False, "Hold"),
        (EventStatus.IN_FLIGHT, False, "In Flight"),
        (EventStatus.SUCCESS, True, "Success"),
        (EventStatus.FAILURE, True, "Failure"),
        (EventStatus.PARTIAL_FAILURE, True, "Partial Failure"),
        (EventStatus.PAYLOAD_DEPLOYED, True, "Payload Deployed"),
        (EventStatus.SCHEDULED, False, "Scheduled"),
        (EventStatus.CANCELLED, True, "Cancelled"),
    ],
)
def test_an_event_that_happened_or_never_will_has_a_final_status(status: EventStatus, final: bool, label: str) -> None:
    assert status.is_final is final
    assert status.label == label


def test_every_status_is_stated_above() -> None:
    # A new status must be added to the table above, deciding whether it is final.
    assert len(EventStatus) == 11


class _Unknown(tzinfo):
    """A tzinfo that does not know its offset: as good as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


def test_naive_and_offsetless_instants_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match=r"naive datetime .* timezone-aware"):
        ensure_utc(datetime(2024, 2, 12))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive datetime"):
        ensure_utc(datetime(2024, 2, 12, tzinfo=_Unknown()))


def test_aware_instants_are_turned_into_utc() -> None:
    local = datetime(2024, 7, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert ensure_utc(local) == local
    assert ensure_utc(local).tzinfo is UTC
    assert ensure_utc(local).hour == 13


def test_a_date_alone_is_stored_as_its_midnight_utc() -> None:
    stored = start_of_date(date(2024, 2, 17))
    assert stored == datetime(2024, 2, 17, tzinfo=UTC)
    assert stored.tzinfo is UTC


def test_milestones_and_event_times_are_kept_in_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    m = Milestone(MilestoneKind.LIFTOFF, datetime(2024, 2, 17, 9, 22, tzinfo=tokyo))
    assert m.precision == Precision.MINUTE
    assert (m.at.tzinfo, m.at.hour) == (UTC, 0)
    e = Event(
        Source.LL2,
        "launch:h3",
        EventType.LAUNCH,
        "H3 TF2",
        EventStatus.GO,
        (m,),
        window_start=datetime(2024, 2, 17, 9, 22, tzinfo=tokyo),
        window_end=datetime(2024, 2, 17, 13, 6, tzinfo=tokyo),
        last_updated=datetime(2024, 2, 16, 18, 0, tzinfo=tokyo),
    )
    assert [(t.tzinfo, t.hour) for t in (e.window_start, e.window_end, e.last_updated) if t] == [
        (UTC, 0),
        (UTC, 4),
        (UTC, 9),
    ]
    with pytest.raises(ValueError, match="naive datetime"):
        Event(Source.LL2, "x", EventType.LAUNCH, "x", EventStatus.GO, (), window_end=datetime(2024, 2, 17))  # noqa: DTZ001
    with pytest.raises(ValueError, match="naive datetime"):
        Event(Source.LL2, "x", EventType.LAUNCH, "x", EventStatus.GO, (), last_updated=datetime(2024, 2, 17))  # noqa: DTZ001


def test_an_event_has_at_most_one_milestone_of_each_kind() -> None:
    liftoff = Milestone(MilestoneKind.LIFTOFF, AT)
    webcast = Milestone(MilestoneKind.COVERAGE_START, AT - HOUR)
    with pytest.raises(ValueError, match=r"launch:x has two milestones of one kind"):
        Event(Source.LL2, "launch:x", EventType.LAUNCH, "x", EventStatus.GO, (liftoff, webcast, liftoff))
    e = Event(Source.LL2, "launch:x", EventType.LAUNCH, "x", EventStatus.GO, (webcast, liftoff))
    assert e.milestone(MilestoneKind.LIFTOFF) is liftoff
    assert e.milestone(MilestoneKind.COVERAGE_START) is webcast
    assert e.milestone(MilestoneKind.DOCKING) is None


def test_isoformat_z_is_utc_to_the_second_with_a_z() -> None:
    local = datetime(2024, 2, 17, 9, 22, 55, 987_654, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert isoformat_z(local) == "2024-02-17T00:22:55Z"


T1 = datetime(2024, 2, 17, 0, 22, tzinfo=UTC)
T2 = datetime(2024, 2, 18, 1, 0, 30, tzinfo=UTC)


def change(kind: ChangeKind, **kw: object) -> Change:
    return Change(kind, 7, Source.LL2, "launch:h3", "H3 TF2", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("c", "line"),
    [
        (change(ChangeKind.NEW), "new     H3 TF2 (ll2:launch:h3)"),
        (change(ChangeKind.RETURNED), "returned H3 TF2 (ll2:launch:h3)"),
        (
            change(ChangeKind.MOVED, milestone=MilestoneKind.LIFTOFF, old_at=T1, new_at=T2),
            "moved   H3 TF2 (ll2:launch:h3) liftoff: 2024-02-17T00:22:00Z -> 2024-02-18T01:00:30Z",
        ),
        (
            change(ChangeKind.MOVED, milestone=MilestoneKind.LIFTOFF, new_at=T2),
            "moved   H3 TF2 (ll2:launch:h3) liftoff: ? -> 2024-02-18T01:00:30Z",
        ),
        (
            change(
                ChangeKind.PRECISION,
                milestone=MilestoneKind.LIFTOFF,
                old_precision=Precision.MINUTE,
                new_precision=Precision.DAY,
            ),
            "precis. H3 TF2 (ll2:launch:h3) liftoff: minute -> day",
        ),
        (
            change(ChangeKind.STATUS, old_status=EventStatus.GO, new_status=EventStatus.PARTIAL_FAILURE),
            "status  H3 TF2 (ll2:launch:h3): Go -> Partial Failure",
        ),
        (change(ChangeKind.STATUS), "status  H3 TF2 (ll2:launch:h3): ? -> ?"),
        (
            change(ChangeKind.MILESTONE_ADDED, milestone=MilestoneKind.COVERAGE_START, new_at=T1),
            "added   H3 TF2 (ll2:launch:h3) coverage_start at 2024-02-17T00:22:00Z",
        ),
        (
            change(ChangeKind.MILESTONE_REMOVED, milestone=MilestoneKind.COVERAGE_START, old_at=T1),
            "removed H3 TF2 (ll2:launch:h3) coverage_start (was 2024-02-17T00:22:00Z)",
        ),
        (
            change(ChangeKind.DETAILS, fields=("name", "window_end")),
            "details H3 TF2 (ll2:launch:h3): name, window_end",
        ),
        (change(ChangeKind.GONE, reason=GoneReason.WITHDRAWN), "gone    H3 TF2 (ll2:launch:h3) (withdrawn)"),
        (change(ChangeKind.GONE), "gone    H3 TF2 (ll2:launch:h3) (unknown)"),
    ],
)
def test_a_change_reads_as_one_log_line(c: Change, line: str) -> None:
    assert c.describe() == line

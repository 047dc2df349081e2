"""The event repository: change detection on upsert, history, and upcoming queries."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.db.events import (
    events_by_mission,
    get_event_by_source,
    mark_gone,
    milestone_history,
    next_milestones,
    upsert_events,
)
from bot.models import (
    ChangeKind,
    Event,
    EventStatus,
    EventType,
    Milestone,
    MilestoneKind,
    Precision,
    Source,
)

NOW = datetime(2024, 2, 14, 12, 0, tzinfo=UTC)
LIFTOFF = datetime(2024, 2, 15, 3, 25, tzinfo=UTC)
DOCKING = datetime(2024, 2, 17, 6, 12, tzinfo=UTC)


def progress_launch(**kw: object) -> Event:
    base = Event(
        source=Source.LL2,
        source_id="launch:p87",
        type=EventType.LAUNCH,
        name="Soyuz 2.1a | Progress MS-26 (87P)",
        status=EventStatus.GO,
        milestones=(Milestone(MilestoneKind.LIFTOFF, LIFTOFF, Precision.SECOND),),
        mission_key="ll2-launch:p87",
        provider="Roscosmos",
        vehicle="Soyuz 2.1a",
        location="Baikonur Cosmodrome",
        location_tz="Asia/Qyzylorda",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def progress_docking(**kw: object) -> Event:
    base = Event(
        source=Source.LL2,
        source_id="docking:p87",
        type=EventType.DOCKING,
        name="Progress MS-26 docking",
        status=EventStatus.SCHEDULED,
        milestones=(Milestone(MilestoneKind.DOCKING, DOCKING),),
        mission_key="ll2-launch:p87",
        station="ISS",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


async def test_new_events_are_reported_new(db: Database) -> None:
    changes = await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    assert [(c.kind, c.source_id) for c in changes] == [(ChangeKind.NEW, "launch:p87")]
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    assert stored.event == progress_launch()


async def test_same_data_twice_changes_nothing(db: Database) -> None:
    await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    row_before = await db.fetchone("SELECT updated_at FROM events")
    assert await upsert_events(db, [progress_launch()], feed="launches", now=NOW + timedelta(hours=1)) == []
    row_after = await db.fetchone("SELECT updated_at FROM events")
    assert row_before is not None
    assert row_after is not None
    assert row_after["updated_at"] == row_before["updated_at"]
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    assert len(await milestone_history(db, stored.milestone_ids[MilestoneKind.LIFTOFF])) == 1


async def test_slip_reports_old_and_new_time_and_keeps_history(db: Database) -> None:
    await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    later = LIFTOFF + timedelta(days=1)
    earlier = LIFTOFF + timedelta(hours=20)
    for step, new_at in enumerate((later, earlier), start=1):
        ms = (Milestone(MilestoneKind.LIFTOFF, new_at, Precision.SECOND),)
        changes = await upsert_events(
            db, [progress_launch(milestones=ms)], feed="launches", now=NOW + timedelta(hours=step)
        )
        assert len(changes) == 1
        change = changes[0]
        assert change.kind == ChangeKind.MOVED
        assert change.milestone == MilestoneKind.LIFTOFF
        assert change.new_at == new_at
    assert changes[0].old_at == later
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    history = await milestone_history(db, stored.milestone_ids[MilestoneKind.LIFTOFF])
    assert [h.at for h in history] == [LIFTOFF, later, earlier]


async def test_status_change_and_precision_change_are_separate(db: Database) -> None:
    await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    ms = (Milestone(MilestoneKind.LIFTOFF, LIFTOFF, Precision.DAY),)
    changes = await upsert_events(
        db, [progress_launch(status=EventStatus.TBD, milestones=ms)], feed="launches", now=NOW
    )
    kinds = {c.kind: c for c in changes}
    assert set(kinds) == {ChangeKind.STATUS, ChangeKind.PRECISION}
    assert kinds[ChangeKind.STATUS].old_status == EventStatus.GO
    assert kinds[ChangeKind.STATUS].new_status == EventStatus.TBD
    assert kinds[ChangeKind.PRECISION].old_precision == Precision.SECOND
    assert kinds[ChangeKind.PRECISION].new_precision == Precision.DAY


async def test_hold_alone_is_a_status_change_recorded_in_history(db: Database) -> None:
    await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    changes = await upsert_events(db, [progress_launch(status=EventStatus.HOLD)], feed="launches", now=NOW)
    assert [c.kind for c in changes] == [ChangeKind.STATUS]
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    history = await milestone_history(db, stored.milestone_ids[MilestoneKind.LIFTOFF])
    assert [h.status for h in history] == [EventStatus.GO, EventStatus.HOLD]


async def test_missing_from_complete_feed_is_gone_and_can_return(db: Database) -> None:
    await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    await upsert_events(db, [progress_docking()], feed="docking_events", now=NOW)
    # An empty launches feed makes the launch gone, but says nothing about the docking feed.
    changes = await upsert_events(db, [], feed="launches", now=NOW, source=Source.LL2)
    assert [(c.kind, c.source_id) for c in changes] == [(ChangeKind.GONE, "launch:p87")]
    assert await upsert_events(db, [], feed="launches", now=NOW, source=Source.LL2) == []
    assert [u.event.source_id for u in await next_milestones(db, now=NOW)] == ["docking:p87"]
    changes = await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    assert [c.kind for c in changes] == [ChangeKind.RETURNED]


async def test_partial_upsert_marks_nothing_gone(db: Database) -> None:
    await upsert_events(db, [progress_launch(), progress_launch(source_id="launch:other")], feed="launches", now=NOW)
    changes = await upsert_events(db, [progress_launch()], feed="launches", now=NOW, complete=False)
    assert changes == []


async def test_milestone_added_and_removed(db: Database) -> None:
    await upsert_events(db, [progress_docking()], feed="docking_events", now=NOW)
    coverage = Milestone(MilestoneKind.COVERAGE_START, DOCKING - timedelta(minutes=42))
    with_cov = progress_docking(milestones=(*progress_docking().milestones, coverage))
    changes = await upsert_events(db, [with_cov], feed="docking_events", now=NOW)
    assert [(c.kind, c.milestone, c.new_at) for c in changes] == [
        (ChangeKind.MILESTONE_ADDED, MilestoneKind.COVERAGE_START, coverage.at)
    ]
    changes = await upsert_events(db, [progress_docking()], feed="docking_events", now=NOW)
    assert [(c.kind, c.milestone) for c in changes] == [(ChangeKind.MILESTONE_REMOVED, MilestoneKind.COVERAGE_START)]
    upcoming = await next_milestones(db, now=NOW)
    assert [u.milestone.kind for u in upcoming] == [MilestoneKind.DOCKING]


async def test_detail_change_is_reported_with_field_names(db: Database) -> None:
    await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    changes = await upsert_events(
        db, [progress_launch(webcast_urls=("https://example.org/live",))], feed="launches", now=NOW
    )
    assert [(c.kind, c.fields) for c in changes] == [(ChangeKind.DETAILS, ("webcast_urls",))]


async def test_mark_gone_with_final_status(db: Database) -> None:
    await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    changes = await mark_gone(db, Source.LL2, "launch:p87", now=NOW, status=EventStatus.SUCCESS)
    assert [c.kind for c in changes] == [ChangeKind.STATUS, ChangeKind.GONE]
    assert await mark_gone(db, Source.LL2, "launch:p87", now=NOW) == []


async def test_failed_upsert_writes_nothing(db: Database) -> None:
    with pytest.raises(ValueError, match="appears twice"):
        await upsert_events(db, [progress_launch(), progress_launch()], feed="launches", now=NOW)
    assert await db.fetchall("SELECT * FROM events") == []


async def test_launch_and_docking_of_one_mission_are_linked(db: Database) -> None:
    await upsert_events(db, [progress_launch()], feed="launches", now=NOW)
    await upsert_events(db, [progress_docking()], feed="docking_events", now=NOW)
    linked = await events_by_mission(db, "ll2-launch:p87")
    assert sorted(s.event.type for s in linked) == [EventType.DOCKING, EventType.LAUNCH]


async def test_next_milestones_orders_filters_and_scopes(db: Database) -> None:
    manual = Event(
        source=Source.MANUAL,
        source_id="g1:1",
        type=EventType.SPACEWALK,
        name="US EVA 90",
        status=EventStatus.SCHEDULED,
        milestones=(Milestone(MilestoneKind.SPACEWALK, NOW + timedelta(hours=2)),),
        guild_id=111,
    )
    past = progress_launch(
        source_id="launch:past", milestones=(Milestone(MilestoneKind.LIFTOFF, NOW - timedelta(hours=1)),)
    )
    done = progress_launch(source_id="launch:done", status=EventStatus.SUCCESS)
    await upsert_events(db, [progress_launch(), past, done], feed="launches", now=NOW)
    await upsert_events(db, [progress_docking()], feed="docking_events", now=NOW)
    await upsert_events(db, [manual], feed="manual", now=NOW, complete=False)

    everywhere = await next_milestones(db, now=NOW)
    assert [u.event.source_id for u in everywhere] == ["launch:p87", "docking:p87"]
    in_guild = await next_milestones(db, now=NOW, guild_id=111)
    assert [u.event.source_id for u in in_guild] == ["g1:1", "launch:p87", "docking:p87"]
    assert [u.event.source_id for u in await next_milestones(db, now=NOW, guild_id=222)] == [
        "launch:p87",
        "docking:p87",
    ]
    dockings = await next_milestones(db, now=NOW, kinds=[MilestoneKind.DOCKING], guild_id=111)
    assert [u.milestone.at for u in dockings] == [DOCKING]
    assert await next_milestones(db, now=NOW, providers=["roscosmos"], limit=1) != []
    assert await next_milestones(db, now=NOW, providers=["SpaceX"]) == []
    assert len(await next_milestones(db, now=NOW, limit=1, guild_id=111)) == 1
    with_final = await next_milestones(db, now=NOW, include_final=True)
    assert "launch:done" in {u.event.source_id for u in with_final}


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        Milestone(MilestoneKind.LIFTOFF, datetime(2024, 2, 15, 3, 25))  # noqa: DTZ001


@pytest.mark.parametrize(
    ("precision", "hours_after", "listed"),
    [
        (Precision.MINUTE, 0, True),
        (Precision.MINUTE, 1, False),
        (Precision.DAY, 10, True),  # "Feb 17" is still ahead at 10:00 on Feb 17
        (Precision.DAY, 37, True),  # ... and until Feb 17 is over everywhere (14:00Z on Feb 18)
        (Precision.DAY, 39, False),
        (Precision.HOUR, 0.5, True),
        (Precision.HOUR, 2, False),
        (Precision.MONTH, 23, True),  # LL2's Month NET: the month's last day at 00:00Z
        (Precision.MONTH, 48, False),
        (Precision.WEEK, 24 * 6, True),
    ],
)
async def test_coarse_milestone_stays_upcoming_for_its_period(
    db: Database, precision: Precision, hours_after: float, listed: bool
) -> None:
    at = datetime(2024, 2, 17, tzinfo=UTC)
    launch = progress_launch(milestones=(Milestone(MilestoneKind.LIFTOFF, at, precision),))
    await upsert_events(db, [launch], feed="launches", now=NOW)
    upcoming = await next_milestones(db, now=at + timedelta(hours=hours_after))
    assert bool(upcoming) is listed

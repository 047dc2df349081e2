"""Change detection on upsert, pinned as behaviour: what a sync reports, and what it leaves stored.

The alert engine arms, moves and drops alerts from these changes, so each test says one thing a sync can do
to an event (move a liftoff, add a webcast, drop and restore a milestone, leave and rejoin a feed) and checks
both the change list and what a later read of the database sees.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.db.events import (
    events_in_feed,
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
    GoneReason,
    Milestone,
    MilestoneKind,
    Precision,
    Source,
)

NOW = datetime(2024, 2, 14, 12, 0, tzinfo=UTC)
LIFTOFF = datetime(2024, 2, 15, 3, 25, tzinfo=UTC)
WEBCAST = LIFTOFF - timedelta(minutes=30)


def launch(source_id: str = "launch:p87", **kw: object) -> Event:
    base = Event(
        source=Source.LL2,
        source_id=source_id,
        type=EventType.LAUNCH,
        name="Soyuz 2.1a | Progress MS-26 (87P)",
        status=EventStatus.GO,
        milestones=(Milestone(MilestoneKind.LIFTOFF, LIFTOFF, Precision.SECOND),),
        provider="Roscosmos",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def docking(source_id: str = "docking:p87", **kw: object) -> Event:
    base = Event(
        source=Source.LL2,
        source_id=source_id,
        type=EventType.DOCKING,
        name="Progress MS-26 docking",
        status=EventStatus.SCHEDULED,
        milestones=(Milestone(MilestoneKind.DOCKING, LIFTOFF + timedelta(days=2)),),
        station="ISS",
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def manual(source_id: str = "g1:1", **kw: object) -> Event:
    base = Event(
        source=Source.MANUAL,
        source_id=source_id,
        type=EventType.SPACEWALK,
        name="US EVA 90",
        status=EventStatus.SCHEDULED,
        milestones=(Milestone(MilestoneKind.SPACEWALK, LIFTOFF + timedelta(hours=5)),),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def at(kind: MilestoneKind, when: datetime, precision: Precision = Precision.SECOND) -> Milestone:
    return Milestone(kind, when, precision)


async def stored_liftoff(db: Database, source_id: str = "launch:p87") -> datetime | None:
    stored = await get_event_by_source(db, Source.LL2, source_id)
    assert stored is not None
    m = stored.event.milestone(MilestoneKind.LIFTOFF)
    return m.at if m else None


async def test_a_webcast_added_and_a_liftoff_moved_in_one_sync_yields_added_and_moved(db: Database) -> None:
    await upsert_events(db, [launch()], feed="launches", now=NOW)
    slipped = LIFTOFF + timedelta(hours=2)
    # The new milestone comes first, so the moved one is looked at after it.
    both = launch(milestones=(at(MilestoneKind.COVERAGE_START, WEBCAST), at(MilestoneKind.LIFTOFF, slipped)))
    changes = await upsert_events(db, [both], feed="launches", now=NOW + timedelta(hours=1))
    assert sorted((c.kind, c.milestone) for c in changes) == [
        (ChangeKind.MILESTONE_ADDED, MilestoneKind.COVERAGE_START),
        (ChangeKind.MOVED, MilestoneKind.LIFTOFF),
    ]
    added = next(c for c in changes if c.kind == ChangeKind.MILESTONE_ADDED)
    assert (added.new_at, added.new_precision) == (WEBCAST, Precision.SECOND)
    moved = next(c for c in changes if c.kind == ChangeKind.MOVED)
    assert (moved.old_at, moved.new_at) == (LIFTOFF, slipped)
    assert await stored_liftoff(db) == slipped


async def test_a_milestone_removed_then_back_at_the_same_instant_is_added_again(db: Database) -> None:
    with_webcast = launch(milestones=(at(MilestoneKind.LIFTOFF, LIFTOFF), at(MilestoneKind.COVERAGE_START, WEBCAST)))
    await upsert_events(db, [with_webcast], feed="launches", now=NOW)
    removed = await upsert_events(db, [launch()], feed="launches", now=NOW + timedelta(hours=1))
    assert [(c.kind, c.milestone, c.old_at) for c in removed] == [
        (ChangeKind.MILESTONE_REMOVED, MilestoneKind.COVERAGE_START, WEBCAST)
    ]
    back = await upsert_events(db, [with_webcast], feed="launches", now=NOW + timedelta(hours=2))
    assert [(c.kind, c.milestone, c.new_at, c.new_precision) for c in back] == [
        (ChangeKind.MILESTONE_ADDED, MilestoneKind.COVERAGE_START, WEBCAST, Precision.SECOND)
    ]
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    assert stored.event.milestone(MilestoneKind.COVERAGE_START) == at(MilestoneKind.COVERAGE_START, WEBCAST)
    upcoming = await next_milestones(db, now=NOW + timedelta(hours=3))
    assert [u.milestone.kind for u in upcoming] == [MilestoneKind.COVERAGE_START, MilestoneKind.LIFTOFF]
    history = await milestone_history(db, stored.milestone_ids[MilestoneKind.COVERAGE_START])
    assert [h.recorded_at for h in history] == [NOW, NOW + timedelta(hours=2)]
    # Back for good: the same data again reports nothing.
    assert await upsert_events(db, [with_webcast], feed="launches", now=NOW + timedelta(hours=3)) == []


async def test_a_milestone_back_at_a_new_instant_is_added_at_the_new_instant(db: Database) -> None:
    with_webcast = launch(milestones=(at(MilestoneKind.LIFTOFF, LIFTOFF), at(MilestoneKind.COVERAGE_START, WEBCAST)))
    await upsert_events(db, [with_webcast], feed="launches", now=NOW)
    await upsert_events(db, [launch()], feed="launches", now=NOW)
    later = WEBCAST + timedelta(minutes=10)
    back = launch(milestones=(at(MilestoneKind.LIFTOFF, LIFTOFF), at(MilestoneKind.COVERAGE_START, later)))
    changes = await upsert_events(db, [back], feed="launches", now=NOW)
    # One ADDED, not a MOVED from a time nobody was alerted for.
    assert [(c.kind, c.new_at) for c in changes] == [(ChangeKind.MILESTONE_ADDED, later)]
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    assert stored.event.milestone(MilestoneKind.COVERAGE_START) == at(MilestoneKind.COVERAGE_START, later)


async def test_a_returned_event_is_no_longer_gone(db: Database) -> None:
    await upsert_events(db, [launch()], feed="launches", now=NOW)
    await upsert_events(db, [], feed="launches", now=NOW, source=Source.LL2)
    gone = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert gone is not None
    assert gone.gone_at == NOW
    assert await events_in_feed(db, Source.LL2, "launches") == []

    changes = await upsert_events(db, [launch()], feed="launches", now=NOW + timedelta(hours=1))
    assert [(c.kind, c.event_id) for c in changes] == [(ChangeKind.RETURNED, gone.id)]
    back = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert back is not None
    assert back.gone_at is None
    assert back.updated_at == NOW + timedelta(hours=1)
    assert [s.id for s in await events_in_feed(db, Source.LL2, "launches")] == [gone.id]
    assert [u.event.source_id for u in await next_milestones(db, now=NOW)] == ["launch:p87"]
    # Returned once: the next sync of the same data has nothing to say.
    assert await upsert_events(db, [launch()], feed="launches", now=NOW + timedelta(hours=2)) == []


async def test_a_gone_event_back_with_a_new_status_is_returned_and_changed(db: Database) -> None:
    await upsert_events(db, [launch()], feed="launches", now=NOW)
    await mark_gone(db, Source.LL2, "launch:p87", now=NOW)
    changes = await upsert_events(db, [launch(status=EventStatus.HOLD)], feed="launches", now=NOW)
    assert [c.kind for c in changes] == [ChangeKind.RETURNED, ChangeKind.STATUS]
    back = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert back is not None
    assert (back.gone_at, back.event.status) == (None, EventStatus.HOLD)


async def test_an_event_that_changed_feed_is_gone_only_from_its_new_feed(db: Database) -> None:
    await upsert_events(db, [launch()], feed="previous", now=NOW)
    # The same event, unchanged, now listed by another feed of the same source.
    assert await upsert_events(db, [launch()], feed="upcoming", now=NOW + timedelta(hours=1)) == []
    assert [s.event.source_id for s in await events_in_feed(db, Source.LL2, "upcoming")] == ["launch:p87"]
    assert await events_in_feed(db, Source.LL2, "previous") == []
    # Its old feed no longer lists it: that says nothing about it.
    assert await upsert_events(db, [], feed="previous", now=NOW + timedelta(hours=2), source=Source.LL2) == []
    still = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert still is not None
    assert still.gone_at is None
    # Its new feed dropping it does.
    changes = await upsert_events(db, [], feed="upcoming", now=NOW + timedelta(hours=3), source=Source.LL2)
    assert [(c.kind, c.source_id, c.event_id, c.reason) for c in changes] == [
        (ChangeKind.GONE, "launch:p87", still.id, GoneReason.UNKNOWN)
    ]


async def test_window_and_last_updated_are_stored_and_read_back(db: Database) -> None:
    window = launch(
        window_start=LIFTOFF,
        window_end=LIFTOFF + timedelta(minutes=10),
        last_updated=NOW - timedelta(hours=3),
        webcast_urls=("https://example.org/a", "https://example.org/b"),
        created_by=42,
    )
    changes = await upsert_events(db, [window], feed="launches", now=NOW)
    assert [c.kind for c in changes] == [ChangeKind.NEW]
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    assert stored.id == changes[0].event_id
    assert stored.event == window
    assert (stored.feed, stored.first_seen, stored.updated_at, stored.gone_at) == ("launches", NOW, NOW, None)


async def test_a_new_window_is_a_detail_change_and_is_stored(db: Database) -> None:
    await upsert_events(db, [launch(window_start=LIFTOFF, window_end=LIFTOFF)], feed="launches", now=NOW)
    wider = launch(window_start=LIFTOFF - timedelta(minutes=5), window_end=LIFTOFF + timedelta(minutes=5))
    changes = await upsert_events(db, [wider], feed="launches", now=NOW)
    assert [(c.kind, c.fields) for c in changes] == [(ChangeKind.DETAILS, ("window_start", "window_end"))]
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    assert (stored.event.window_start, stored.event.window_end) == (wider.window_start, wider.window_end)


async def test_a_new_last_updated_alone_is_stored_but_reported_as_nothing(db: Database) -> None:
    await upsert_events(db, [launch(last_updated=NOW - timedelta(hours=3))], feed="launches", now=NOW)
    newer = launch(last_updated=NOW - timedelta(minutes=1))
    assert await upsert_events(db, [newer], feed="launches", now=NOW + timedelta(hours=1)) == []
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    assert stored.event.last_updated == NOW - timedelta(minutes=1)
    assert stored.updated_at == NOW + timedelta(hours=1)


async def test_every_change_names_the_stored_event_it_is_about(db: Database) -> None:
    first = await upsert_events(db, [launch(), launch("launch:other", name="Other")], feed="launches", now=NOW)
    assert [(c.kind, c.source, c.source_id, c.name) for c in first] == [
        (ChangeKind.NEW, Source.LL2, "launch:p87", launch().name),
        (ChangeKind.NEW, Source.LL2, "launch:other", "Other"),
    ]
    ids = {c.source_id: c.event_id for c in first}
    for source_id, event_id in ids.items():
        stored = await get_event_by_source(db, Source.LL2, source_id)
        assert stored is not None
        assert stored.id == event_id
    moved = launch(
        status=EventStatus.HOLD,
        name="Renamed",
        milestones=(at(MilestoneKind.LIFTOFF, LIFTOFF + timedelta(hours=1)), at(MilestoneKind.COVERAGE_START, WEBCAST)),
    )
    changes = await upsert_events(db, [moved], feed="launches", now=NOW)
    assert {c.kind for c in changes} == {
        ChangeKind.STATUS,
        ChangeKind.DETAILS,
        ChangeKind.MOVED,
        ChangeKind.MILESTONE_ADDED,
        ChangeKind.GONE,
    }
    for c in changes:
        assert c.event_id == ids[c.source_id], c
        assert c.source == Source.LL2
    assert {c.name for c in changes if c.source_id == "launch:p87"} == {"Renamed"}
    assert {c.name for c in changes if c.source_id == "launch:other"} == {"Other"}


async def test_marking_gone_with_a_final_status_reports_both_about_the_stored_event(db: Database) -> None:
    (new,) = await upsert_events(db, [launch()], feed="launches", now=NOW)
    changes = await mark_gone(
        db,
        Source.LL2,
        "launch:p87",
        now=NOW + timedelta(hours=1),
        status=EventStatus.SUCCESS,
        reason=GoneReason.HAPPENED,
    )
    assert [(c.kind, c.event_id, c.source, c.source_id, c.name) for c in changes] == [
        (ChangeKind.STATUS, new.event_id, Source.LL2, "launch:p87", launch().name),
        (ChangeKind.GONE, new.event_id, Source.LL2, "launch:p87", launch().name),
    ]
    assert (changes[0].old_status, changes[0].new_status) == (EventStatus.GO, EventStatus.SUCCESS)
    assert changes[1].reason == GoneReason.HAPPENED
    stored = await get_event_by_source(db, Source.LL2, "launch:p87")
    assert stored is not None
    assert stored.id == new.event_id
    assert (stored.event.status, stored.gone_at) == (EventStatus.SUCCESS, NOW + timedelta(hours=1))


async def test_marking_gone_with_the_status_it_already_has_reports_only_gone(db: Database) -> None:
    await upsert_events(db, [launch()], feed="launches", now=NOW)
    changes = await mark_gone(db, Source.LL2, "launch:p87", now=NOW, status=EventStatus.GO)
    assert [(c.kind, c.reason) for c in changes] == [(ChangeKind.GONE, GoneReason.UNKNOWN)]
    assert await mark_gone(db, Source.LL2, "launch:unknown", now=NOW) == []


async def test_upcoming_milestone_ids_are_the_stored_milestone_ids(db: Database) -> None:
    both = launch(milestones=(at(MilestoneKind.LIFTOFF, LIFTOFF), at(MilestoneKind.COVERAGE_START, WEBCAST)))
    await upsert_events(db, [both, docking()], feed="launches", now=NOW)
    upcoming = await next_milestones(db, now=NOW)
    assert len(upcoming) == 3
    for u in upcoming:
        assert u.milestone_id == u.stored.milestone_ids[u.milestone.kind]
        assert u.event.milestone(u.milestone.kind) == u.milestone
    assert len({u.milestone_id for u in upcoming}) == 3


async def test_next_milestones_filters_by_event_type(db: Database) -> None:
    await upsert_events(db, [launch(), docking()], feed="launches", now=NOW)
    only_dockings = await next_milestones(db, now=NOW, event_types=[EventType.DOCKING])
    assert [u.event.type for u in only_dockings] == [EventType.DOCKING]
    both = await next_milestones(db, now=NOW, event_types=[EventType.DOCKING, EventType.LAUNCH])
    assert [u.event.type for u in both] == [EventType.LAUNCH, EventType.DOCKING]
    assert await next_milestones(db, now=NOW, event_types=[]) == []
    assert await next_milestones(db, now=NOW, kinds=[]) == []
    assert await next_milestones(db, now=NOW, providers=[]) == []


async def test_next_milestones_leaves_gone_events_out_unless_asked(db: Database) -> None:
    await upsert_events(db, [launch(), docking()], feed="launches", now=NOW)
    await mark_gone(db, Source.LL2, "docking:p87", now=NOW)
    assert [u.event.source_id for u in await next_milestones(db, now=NOW)] == ["launch:p87"]
    everything = await next_milestones(db, now=NOW, include_gone=True)
    assert [u.event.source_id for u in everything] == ["launch:p87", "docking:p87"]


async def test_events_in_feed_leaves_gone_events_out_unless_asked(db: Database) -> None:
    await upsert_events(db, [launch(), launch("launch:other")], feed="launches", now=NOW)
    await upsert_events(db, [docking()], feed="docking_events", now=NOW)
    await mark_gone(db, Source.LL2, "launch:other", now=NOW)
    assert [s.event.source_id for s in await events_in_feed(db, Source.LL2, "launches")] == ["launch:p87"]
    with_gone = await events_in_feed(db, Source.LL2, "launches", include_gone=True)
    assert [(s.event.source_id, s.gone_at) for s in with_gone] == [("launch:p87", None), ("launch:other", NOW)]
    assert await events_in_feed(db, Source.MANUAL, "launches", include_gone=True) == []


async def test_ll2_and_manual_events_in_one_upsert_are_refused_and_nothing_is_written(db: Database) -> None:
    with pytest.raises(ValueError, match="one source"):
        await upsert_events(db, [launch(), manual()], feed="launches", now=NOW, complete=False)
    with pytest.raises(ValueError, match="one source"):
        await upsert_events(db, [launch()], feed="launches", now=NOW, source=Source.MANUAL)
    assert await db.fetchall("SELECT * FROM events") == []


async def test_a_complete_upsert_of_nothing_needs_the_source(db: Database) -> None:
    await upsert_events(db, [launch()], feed="launches", now=NOW)
    with pytest.raises(ValueError, match=r"^a complete upsert of an empty list needs source="):
        await upsert_events(db, [], feed="launches", now=NOW)
    assert [s.event.source_id for s in await events_in_feed(db, Source.LL2, "launches")] == ["launch:p87"]


async def test_a_partial_upsert_of_nothing_changes_nothing(db: Database) -> None:
    await upsert_events(db, [launch()], feed="launches", now=NOW)
    assert await upsert_events(db, [], feed="launches", now=NOW, complete=False) == []
    assert [s.event.source_id for s in await events_in_feed(db, Source.LL2, "launches")] == ["launch:p87"]


async def test_a_complete_upsert_leaves_other_sources_alone(db: Database) -> None:
    # Same feed name, same source id, other source: a manual event is not LL2's to mark gone.
    await upsert_events(db, [manual("launch:p87")], feed="launches", now=NOW, complete=False)
    await upsert_events(db, [launch()], feed="launches", now=NOW)
    assert await upsert_events(db, [], feed="launches", now=NOW, source=Source.LL2) != []
    kept = await get_event_by_source(db, Source.MANUAL, "launch:p87")
    assert kept is not None
    assert kept.gone_at is None
    assert kept.event.type == EventType.SPACEWALK

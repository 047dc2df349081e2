"""What the repository reads back and how a feed upsert behaves: every field round-trips, history keeps
precision, a feed's build step sees the stored rows, and the narrow reads the LL2 sync and the browser use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.db.events import (
    StoredEvent,
    feed_events_with_milestone_between,
    get_event_by_source,
    load_events_in,
    mark_gone,
    milestone_history,
    upsert_events,
    upsert_feed,
    upsert_in,
)
from bot.models import ChangeKind, Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source

NOW = datetime(2024, 2, 14, 12, 0, tzinfo=UTC)
T0 = datetime(2024, 2, 15, 3, 25, tzinfo=UTC)


def launch(n: int, at: datetime = T0, **kw: object) -> Event:
    base = Event(
        source=Source.LL2,
        source_id=f"launch:{n}",
        type=EventType.LAUNCH,
        name=f"Launch {n}",
        status=EventStatus.GO,
        milestones=(Milestone(MilestoneKind.LIFTOFF, at, Precision.MINUTE),),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def full_event() -> Event:
    """An event with every optional field set to something other than its default."""
    return Event(
        source=Source.MANUAL,
        source_id="g:7",
        type=EventType.SPACEWALK,
        name="US EVA 90",
        status=EventStatus.SCHEDULED,
        milestones=(Milestone(MilestoneKind.SPACEWALK, T0, Precision.HOUR),),
        guild_id=4242,
        mission_key="manual:eva90",
        provider="NASA",
        provider_abbrev="NASA",
        vehicle="EMU",
        mission="Expedition 71",
        station="ISS",
        location="Quest airlock",
        location_tz="UTC",
        description="Replace a camera on the truss.",
        image_url="https://example.invalid/eva.png",
        webcast_urls=("https://example.invalid/live",),
        window_start=T0 - timedelta(minutes=30),
        window_end=T0 + timedelta(hours=6),
        last_updated=NOW - timedelta(days=1),
        created_by=99,
    )


async def test_every_field_of_an_event_reads_back_as_written(db: Database) -> None:
    event = full_event()
    await upsert_events(db, [event], feed="manual", now=NOW, complete=False)
    stored = await get_event_by_source(db, Source.MANUAL, "g:7")
    assert stored is not None
    assert stored.event == event
    # Field by field as well, so a failure names the field that did not survive.
    for name in ("guild_id", "provider_abbrev", "mission", "description", "image_url", "created_by"):
        assert getattr(stored.event, name) == getattr(event, name), name


async def test_history_keeps_each_values_precision(db: Database) -> None:
    await upsert_events(db, [launch(1)], feed="launches", now=NOW)
    moved = launch(1, milestones=(Milestone(MilestoneKind.LIFTOFF, T0 + timedelta(hours=1), Precision.HOUR),))
    await upsert_events(db, [moved], feed="launches", now=NOW + timedelta(minutes=5))
    stored = await get_event_by_source(db, Source.LL2, "launch:1")
    assert stored is not None
    history = await milestone_history(db, stored.milestone_ids[MilestoneKind.LIFTOFF])
    assert [(h.at, h.precision) for h in history] == [(T0, Precision.MINUTE), (T0 + timedelta(hours=1), Precision.HOUR)]


async def test_an_event_stored_without_milestones_later_gets_its_first_one(db: Database) -> None:
    bare = launch(1, milestones=(), status=EventStatus.TBD)
    await upsert_events(db, [bare], feed="launches", now=NOW)
    changes = await upsert_events(db, [launch(1, status=EventStatus.TBD)], feed="launches", now=NOW)
    assert [(c.kind, c.milestone) for c in changes] == [(ChangeKind.MILESTONE_ADDED, MilestoneKind.LIFTOFF)]
    stored = await get_event_by_source(db, Source.LL2, "launch:1")
    assert stored is not None
    assert stored.event.milestones == launch(1).milestones


def builder(events: Sequence[Event], seen: list[dict[str, StoredEvent]]) -> object:
    def build(before: Mapping[str, StoredEvent]) -> Sequence[Event]:
        seen.append(dict(before))
        return events

    return build


async def test_a_feed_upsert_shows_build_the_stored_rows_and_reports_what_changed(db: Database) -> None:
    await upsert_events(db, [launch(1), launch(2)], feed="launches", now=NOW)
    seen: list[dict[str, StoredEvent]] = []
    slipped = launch(1, at=T0 + timedelta(hours=2))
    done = await upsert_feed(
        db,
        source=Source.LL2,
        feed="launches",
        now=NOW,
        build=builder([slipped, launch(2)], seen),  # type: ignore[arg-type]
    )
    assert sorted(seen[0]) == ["launch:1", "launch:2"]
    assert [(c.kind, c.source_id) for c in done.changes] == [(ChangeKind.MOVED, "launch:1")]
    assert sorted(done.before) == ["launch:1", "launch:2"]
    stored = await get_event_by_source(db, Source.LL2, "launch:1")
    assert stored is not None
    assert stored.event.milestones[0].at == T0 + timedelta(hours=2)


async def test_a_feed_whose_build_returns_nothing_changes_nothing(db: Database) -> None:
    await upsert_events(db, [launch(1)], feed="launches", now=NOW)
    done = await upsert_feed(db, source=Source.LL2, feed="launches", now=NOW, build=lambda before: [])
    assert done.changes == []
    assert sorted(done.before) == ["launch:1"]
    assert await get_event_by_source(db, Source.LL2, "launch:1") is not None


async def test_a_feed_upsert_takes_over_an_event_stored_under_another_feed_instead_of_adding_a_copy(
    db: Database,
) -> None:
    await upsert_events(db, [launch(1)], feed="previous", now=NOW)
    first = await get_event_by_source(db, Source.LL2, "launch:1")
    assert first is not None
    moved = launch(1, at=T0 + timedelta(hours=3))
    done = await upsert_feed(db, source=Source.LL2, feed="launches", now=NOW, build=lambda before: [moved, launch(2)])
    assert {(c.kind, c.source_id) for c in done.changes} == {
        (ChangeKind.NEW, "launch:2"),
        (ChangeKind.MOVED, "launch:1"),
    }
    after = await get_event_by_source(db, Source.LL2, "launch:1")
    assert after is not None
    assert (after.id, after.feed) == (first.id, "launches")


async def test_a_feed_upsert_refuses_events_of_another_source_and_writes_nothing(db: Database) -> None:
    await upsert_events(db, [launch(1)], feed="launches", now=NOW)
    with pytest.raises(ValueError, match="one source"):
        await upsert_feed(db, source=Source.LL2, feed="launches", now=NOW, build=lambda before: [full_event()])
    assert await get_event_by_source(db, Source.MANUAL, "g:7") is None


async def test_upserting_one_event_in_a_transaction_leaves_the_rest_of_its_feed_alone(db: Database) -> None:
    await upsert_events(db, [launch(1), launch(2)], feed="launches", now=NOW)
    async with db.transaction() as conn:
        changes = await upsert_in(conn, [launch(3)], feed="launches", now=NOW, source=Source.LL2)
    assert [(c.kind, c.source_id) for c in changes] == [(ChangeKind.NEW, "launch:3")]
    for n in (1, 2):
        stored = await get_event_by_source(db, Source.LL2, f"launch:{n}")
        assert stored is not None
        assert stored.gone_at is None


async def test_only_live_events_of_the_feed_with_that_milestone_in_the_range_are_loaded(db: Database) -> None:
    docking = Event(
        Source.LL2,
        "docking:1",
        EventType.DOCKING,
        "Docking 1",
        EventStatus.SCHEDULED,
        (Milestone(MilestoneKind.DOCKING, T0 + timedelta(hours=1)),),
    )
    in_range = [launch(1, at=T0), launch(2, at=T0 + timedelta(hours=2))]  # at either end: in
    outside = [launch(3, at=T0 + timedelta(hours=2, seconds=1)), launch(4, at=T0 - timedelta(seconds=1))]
    gone = launch(5, at=T0 + timedelta(hours=1))
    await upsert_events(db, [*in_range, *outside, gone, docking], feed="launches", now=NOW)
    await upsert_events(db, [launch(6, at=T0 + timedelta(hours=1))], feed="previous", now=NOW)
    await mark_gone(db, Source.LL2, "launch:5", now=NOW)
    found = await feed_events_with_milestone_between(
        db, Source.LL2, "launches", MilestoneKind.LIFTOFF, T0, T0 + timedelta(hours=2)
    )
    assert sorted(s.event.source_id for s in found) == ["launch:1", "launch:2"]
    assert [s.event for s in sorted(found, key=lambda s: s.event.source_id)] == in_range


async def test_events_are_loaded_by_a_condition_inside_the_callers_transaction(db: Database) -> None:
    await upsert_events(db, [launch(1), launch(2)], feed="launches", now=NOW)
    second = await get_event_by_source(db, Source.LL2, "launch:2")
    assert second is not None
    async with db.transaction() as conn:
        found = await load_events_in(conn, "id = ?", (second.id,))
    assert [(s.id, s.event) for s in found] == [(second.id, launch(2))]

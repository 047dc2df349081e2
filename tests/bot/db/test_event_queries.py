"""What the repository's reads return: single events, upcoming lists and their limits, and the summary counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db import Database
from bot.db.events import count_events, get_event_by_source, next_milestones, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source

NOW = datetime(2024, 2, 14, 12, 0, tzinfo=UTC)


def launch(n: int, **kw: object) -> Event:
    return Event(
        source=Source.LL2,
        source_id=f"launch:{n}",
        type=EventType.LAUNCH,
        name=f"Launch {n}",
        status=EventStatus.GO,
        milestones=(Milestone(MilestoneKind.LIFTOFF, NOW + timedelta(hours=n)),),
        **kw,  # type: ignore[arg-type]
    )


def manual(n: int, guild_id: int | None) -> Event:
    return Event(
        source=Source.MANUAL,
        source_id=f"g:{n}",
        type=EventType.SPACEWALK,
        name=f"EVA {n}",
        status=EventStatus.SCHEDULED,
        milestones=(Milestone(MilestoneKind.SPACEWALK, NOW + timedelta(hours=n)),),
        guild_id=guild_id,
    )


async def test_an_unknown_event_is_none(db: Database) -> None:
    await upsert_events(db, [launch(1)], feed="launches", now=NOW)
    assert await get_event_by_source(db, Source.LL2, "launch:999") is None
    assert await get_event_by_source(db, Source.MANUAL, "launch:1") is None


async def test_an_event_without_milestones_is_stored_and_read_back(db: Database) -> None:
    bare = Event(Source.LL2, "launch:tbd", EventType.LAUNCH, "Someday", EventStatus.TBD, ())
    changes = await upsert_events(db, [bare, launch(1)], feed="launches", now=NOW, complete=False)
    stored = await get_event_by_source(db, Source.LL2, "launch:tbd")
    assert stored is not None
    assert stored.id == changes[0].event_id
    assert stored.event == bare
    assert stored.milestone_ids == {}


async def test_the_upcoming_list_holds_ten_unless_asked_for_more(db: Database) -> None:
    await upsert_events(db, [launch(n) for n in range(1, 13)], feed="launches", now=NOW)
    default = await next_milestones(db, now=NOW)
    assert [u.event.source_id for u in default] == [f"launch:{n}" for n in range(1, 11)]
    assert len(await next_milestones(db, now=NOW, limit=12)) == 12


async def test_the_upcoming_list_filters_by_several_providers_in_any_case(db: Database) -> None:
    events = [launch(1, provider="SpaceX"), launch(2, provider="Roscosmos"), launch(3, provider="JAXA")]
    await upsert_events(db, events, feed="launches", now=NOW)
    both = await next_milestones(db, now=NOW, providers=["spacex", "ROSCOSMOS"])
    assert [u.event.provider for u in both] == ["SpaceX", "Roscosmos"]


async def add_subscription(db: Database, *, active: bool) -> int:
    await db.execute(
        "INSERT INTO subscriptions (owner_id, target, active, created_at) VALUES (1, 'dm', ?, 0)", (int(active),)
    )
    row = await db.fetchone("SELECT max(id) FROM subscriptions")
    assert row is not None
    return int(row[0])


async def add_delivery(db: Database, subscription_id: int, milestone_id: int, lead: int, state: str) -> None:
    await db.execute(
        "INSERT INTO deliveries (recipient_id, subscription_id, milestone_id, lead_seconds, target_at, fire_at, "
        "subscribed_at, state, nonce, created_at, updated_at) VALUES (1, ?, ?, ?, 0, 0, 0, ?, ?, 0, 0)",
        (subscription_id, milestone_id, lead, state, f"n{subscription_id}-{milestone_id}-{lead}"),
    )


async def test_counts_cover_live_events_milestones_subscriptions_and_pending_alerts(db: Database) -> None:
    await upsert_events(db, [launch(1), launch(2), launch(3)], feed="launches", now=NOW)
    await upsert_events(db, [manual(1, None), manual(2, 111), manual(3, 222)], feed="manual", now=NOW)
    await upsert_events(db, [launch(1), launch(2)], feed="launches", now=NOW)  # launch 3 is gone
    sub = await add_subscription(db, active=True)
    await add_subscription(db, active=True)
    await add_subscription(db, active=False)
    stored = await get_event_by_source(db, Source.LL2, "launch:1")
    assert stored is not None
    liftoff = stored.milestone_ids[MilestoneKind.LIFTOFF]
    await add_delivery(db, sub, liftoff, 0, "pending")
    await add_delivery(db, sub, liftoff, 600, "pending")
    await add_delivery(db, sub, liftoff, 3600, "sent")

    assert await count_events(db) == {
        "events_ll2": 2,
        "events_manual": 3,
        "milestones": 5,
        "subscriptions": 2,
        "deliveries_pending": 2,
    }


async def test_a_server_counts_only_the_events_it_may_see(db: Database) -> None:
    await upsert_events(db, [launch(1)], feed="launches", now=NOW)
    await upsert_events(db, [manual(1, None), manual(2, 111), manual(3, 222)], feed="manual", now=NOW)
    seen = await count_events(db, visible_in=111, everything=False)
    assert seen == {"events_ll2": 1, "events_manual": 2, "milestones": 3}, "no bot-wide alert counts"
    outside = await count_events(db, visible_in=None, everything=False)
    assert (outside["events_manual"], outside["milestones"]) == (1, 2)
    assert (await count_events(db, visible_in=111))["events_manual"] == 3


async def test_counts_of_an_empty_database_are_zero(db: Database) -> None:
    assert await count_events(db) == {"milestones": 0, "subscriptions": 0, "deliveries_pending": 0}

"""Alerts end to end: the real bot on the fake Discord, a real SQLite file, time moved with time-machine.

The bot, APScheduler and the fake all read the wall clock that time-machine moves; after each move the test
wakes the scheduler, as the passing of real time would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from bot.bot import TMinusBot
from bot.db import alerts as store
from bot.db.events import get_event_by_source, to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.world import User

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=True) as t:
        yield t


def launch(
    at: datetime,
    *,
    source_id: str = "launch:1",
    name: str = "Falcon 9 | Starlink 6-1",
    status: EventStatus = EventStatus.GO,
    precision: Precision = Precision.MINUTE,
    guild_id: int | None = None,
) -> Event:
    source = Source.MANUAL if guild_id else Source.LL2
    return Event(
        source=source,
        source_id=source_id,
        type=EventType.LAUNCH,
        name=name,
        status=status,
        milestones=(Milestone(MilestoneKind.LIFTOFF, at, precision),),
        guild_id=guild_id,
        provider="SpaceX",
        vehicle="Falcon 9",
        mission_key=source_id,
    )


async def store_launch(bot: TMinusBot, event: Event, *, feed: str = "launches") -> None:
    """What a sync does: upsert, then publish the changes (the hint)."""
    changes = await upsert_events(bot.db, [event], feed=feed, now=bot.clock.now(), complete=False)
    await bot.changes.publish(changes)


def dms(fake: FakeDiscordWithScene, user: User) -> list[dict[str, Any]]:
    return fake.world.channel_messages(fake.world.dm_channel(user))


async def subscribe(fake: FakeDiscordWithScene, user: User, **options: Any) -> str:
    scene = fake.scene
    result = await fake.slash("subscribe", user=user, guild=scene.guild, channel=scene.general, options=options)
    assert result.ephemeral
    return str(result.original["content"] if result.original else "")


async def settle(bot: TMinusBot) -> None:
    """Wake the scheduler and let due jobs and hints run to the end."""
    bot.scheduler.wakeup()
    for _ in range(50):
        await asyncio.sleep(0.02)
        if not bot.alerts._lock.locked() and not bot.alerts._hints:
            await asyncio.sleep(0.02)
            if not bot.alerts._lock.locked():
                return
    raise AssertionError("the alert engine did not settle")


async def test_each_lead_fires_once_at_its_instant(tminus_bot: BotOnFake, traveller: time_machine.Coordinates) -> None:
    fake, bot = tminus_bot
    user = fake.scene.member
    liftoff = START + timedelta(hours=3)
    await subscribe(fake, user, what="liftoff", leads="1h, 10m")
    await store_launch(bot, launch(liftoff))
    await settle(bot)
    fires = [liftoff - timedelta(hours=1), liftoff - timedelta(minutes=10)]
    assert sorted(bot.alerts.jobs.alert_jobs()) == [f"alert:{to_epoch(f)}" for f in fires]
    for count, fire in enumerate(fires, start=1):
        traveller.move_to(fire - timedelta(seconds=5))
        await settle(bot)
        assert len(dms(fake, user)) == count - 1, "nothing before its time"
        run_at = bot.alerts.jobs.alert_jobs()[f"alert:{to_epoch(fire)}"]
        assert fire - timedelta(seconds=1) < run_at <= fire
        traveller.move_to(run_at)
        await settle(bot)
        await fake.wait_for(lambda n=count: len(dms(fake, user)) == n)
        sent = dms(fake, user)[-1]
        assert run_at <= datetime.fromisoformat(sent["timestamp"]) <= fire, "on time, never late"
        assert f"<t:{to_epoch(liftoff)}:F>" in sent["content"]
        traveller.move_to(fire + timedelta(minutes=1))
        await settle(bot)
        assert len(dms(fake, user)) == count, "once"
    assert "T-1h" in dms(fake, user)[0]["content"]
    assert "T-10m" in dms(fake, user)[1]["content"]
    rows = await store.deliveries_of(bot.db, user.id)
    assert [(r["state"], r["late"]) for r in rows] == [("sent", 0), ("sent", 0)]
    assert [r["message_id"] for r in rows] == [int(m["id"]) for m in dms(fake, user)]
    stored = await get_event_by_source(bot.db, Source.LL2, "launch:1")
    assert stored is not None

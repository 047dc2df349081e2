"""Shared set-up of the server-alert e2e tests: the real bot and the fake Discord on one manual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.bot import TMinusBot
from bot.clock import ManualClock
from bot.config import Settings
from bot.db.events import upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source
from tests.fakediscord import Limit
from tests.fakediscord.pytest_plugin import START_TIMEOUT_S, FakeDiscordWithScene, bot_running
from tests.fakediscord.world import Role

# A fixed instant in the future of the real clock (the fake's ids and the client's own timers use real time).
START = datetime(datetime.now(UTC).year + 1, 3, 2, 12, 0, tzinfo=UTC)


def bot_role(fake: FakeDiscordWithScene) -> Role:
    """The bot's own role in the scene's guild."""
    return next(r for r in fake.scene.guild.roles.values() if r.name == fake.world.bot_user.username)


def launch(
    source_id: str,
    at: datetime,
    *,
    name: str = "Falcon 9 | Starlink 10-1",
    status: EventStatus = EventStatus.GO,
    precision: Precision = Precision.MINUTE,
    **extra: Any,
) -> Event:
    """An LL2-like launch with one liftoff milestone."""
    fields: dict[str, Any] = {
        "provider": "SpaceX",
        "vehicle": "Falcon 9",
        "mission": name.rsplit("|", maxsplit=1)[-1].strip(),
        "location": "SLC-40, Cape Canaveral",
        "webcast_urls": ("https://www.youtube.com/watch?v=abc",),
        **extra,
    }
    return Event(
        Source.LL2,
        source_id,
        EventType.LAUNCH,
        name,
        status,
        (Milestone(MilestoneKind.LIFTOFF, at, precision),),
        mission_key=source_id,
        **fields,
    )


def moved(event: Event, at: datetime, **changes: Any) -> Event:
    """``event`` with its liftoff at ``at`` (and other fields changed)."""
    milestone = replace(event.milestones[0], at=at, **{k: v for k, v in changes.items() if k == "precision"})
    rest = {k: v for k, v in changes.items() if k != "precision"}
    return replace(event, milestones=(milestone,), **rest)


async def store(bot: TMinusBot, *events: Event) -> None:
    """Upsert as a sync would (partial feed) and publish the changes on the ChangeBus."""
    changes = await upsert_events(bot.db, list(events), feed="launches", now=bot.clock.now(), complete=False)
    await bot.changes.publish(changes)


@asynccontextmanager
async def bot_on_manual_clock(
    fake: FakeDiscordWithScene, db_path: Path, clock: ManualClock
) -> AsyncIterator[TMinusBot]:
    """The real TMinusBot on ``fake``; both read ``clock``."""
    fake.clock = clock
    # A clock that moves only when told never refills rate-limit windows: these tests are not about them.
    fake.set_rate_limits(global_limit=Limit(100_000, 1.0), default_limit=Limit(100_000, 1.0), routes={})
    settings = Settings(
        discord_token=SecretStr("fake-token"),
        db_path=db_path,
        ll2_base_url="http://127.0.0.1:1/2.3.0",
        default_timezone="UTC",
        owner_ids=frozenset({fake.world.owner.id}),
        dev_guild_id=None,
        _env_file=None,  # type: ignore[call-arg]
    )
    bot = TMinusBot(settings, clock=clock)
    async with bot, bot_running(fake, bot):
        await fake.wait_for(lambda: bool(fake.global_commands), timeout_s=START_TIMEOUT_S)
        # The digests' start-up (jobs from rows, catch-up) runs in the background: tests start after it.
        await getattr(bot.get_cog("Digest"), "started")  # noqa: B009
        yield bot


def later(clock: ManualClock, **delta: float) -> datetime:
    """Advance ``clock``; returns the new instant."""
    return clock.advance(timedelta(**delta))

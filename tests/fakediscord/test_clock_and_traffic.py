"""The fake's time windows follow the tests' clock; traffic statistics (peak rate, 429s by scope) with timestamps."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
import pytest

from bot.clock import ManualClock
from tests.fakediscord import Limit
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running, fake_discord_running
from tests.fakediscord.server import TOKEN_LIFETIME_S
from tests.fakediscord.traffic import peak_per_window

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
MESSAGES = "/channels/{channel_id}/messages"


@pytest.fixture
async def clocked() -> AsyncIterator[tuple[FakeDiscordWithScene, ManualClock]]:
    clock = ManualClock(START)
    async with fake_discord_running(clock=clock) as fake:
        yield fake, clock
        assert fake.violations == []


async def request(
    fake: FakeDiscordWithScene, method: str, path: str, body: Any = None
) -> tuple[int, Any, dict[str, str]]:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, fake.base_url + path, json=body, headers=headers) as response,
    ):
        data = await response.json() if response.content_type == "application/json" else None
        return response.status, data, dict(response.headers)


def post_to(fake: FakeDiscordWithScene, channel_id: int) -> Any:
    return request(fake, "POST", f"/channels/{channel_id}/messages", {"content": "hi"})


async def test_callback_deadline_follows_the_tests_clock(clocked: tuple[FakeDiscordWithScene, ManualClock]) -> None:
    fake, clock = clocked
    scene = fake.scene
    data = {"id": "1", "name": "x", "type": 1}
    on_time = await fake.start_interaction(2, data, user=scene.member, guild=scene.guild)
    late = await fake.start_interaction(2, data, user=scene.member, guild=scene.guild)
    status, _, _ = await request(fake, "POST", f"/interactions/{on_time.id}/{on_time.token}/callback", {"type": 5})
    assert status == 204
    clock.advance(timedelta(seconds=3.5))
    status, body, _ = await request(fake, "POST", f"/interactions/{late.id}/{late.token}/callback", {"type": 5})
    assert (status, body["code"]) == (404, 10062)
    (violation,) = fake.take_violations("deadline")
    assert "0.50s after the 3.0s deadline" in str(violation)


async def test_interaction_token_expires_on_the_tests_clock(clocked: tuple[FakeDiscordWithScene, ManualClock]) -> None:
    fake, clock = clocked
    scene = fake.scene
    result = await fake.start_interaction(2, {"id": "1", "name": "x", "type": 1}, user=scene.member, guild=scene.guild)
    await request(fake, "POST", f"/interactions/{result.id}/{result.token}/callback", {"type": 5})
    original = f"/webhooks/{fake.world.application_id}/{result.token}/messages/@original"
    clock.advance(timedelta(seconds=TOKEN_LIFETIME_S))
    assert (await request(fake, "PATCH", original, {"content": "in time"}))[0] == 200
    clock.advance(timedelta(seconds=1))
    status, body, _ = await request(fake, "PATCH", original, {"content": "too late"})
    assert (status, body["code"]) == (401, 50027)


async def test_route_bucket_refills_when_the_tests_clock_moves(
    clocked: tuple[FakeDiscordWithScene, ManualClock],
) -> None:
    fake, clock = clocked
    fake.set_rate_limits(routes={("POST", MESSAGES): Limit(2, 10.0)})
    general = fake.scene.general.id
    statuses = [(await post_to(fake, general))[0] for _ in range(3)]
    assert statuses == [200, 200, 429]
    clock.advance(timedelta(seconds=9))
    status, body, headers = await post_to(fake, general)
    assert (status, body["retry_after"], headers["X-RateLimit-Scope"]) == (429, 1.0, "user")
    clock.advance(timedelta(seconds=1))
    assert (await post_to(fake, general))[0] == 200
    assert fake.traffic().limited_by_scope == {"user": 2, "global": 0, "shared": 0}


async def test_global_limit_answers_global_429s_and_is_counted_by_scope(
    clocked: tuple[FakeDiscordWithScene, ManualClock],
) -> None:
    fake, clock = clocked
    fake.set_rate_limits(global_limit=Limit(3, 1.0), default_limit=Limit(100, 1.0), routes={})
    channels = [fake.world.dm_channel(u).id for u in (fake.scene.member, fake.scene.admin, fake.scene.moderator)]
    channels.append(fake.scene.general.id)
    answers = [await post_to(fake, channel) for channel in channels]
    assert [a[0] for a in answers] == [200, 200, 200, 429]
    _, body, headers = answers[-1]
    assert body["global"] is True
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    clock.advance(timedelta(seconds=1))
    assert (await post_to(fake, channels[-1]))[0] == 200
    fake.ratelimiter.force_429("POST", MESSAGES, scope="shared")
    status, _, headers = await post_to(fake, channels[0])
    assert (status, headers["X-RateLimit-Scope"]) == (429, "shared")
    stats = fake.traffic()
    assert stats.limited_by_scope == {"user": 0, "global": 1, "shared": 1}
    assert stats.by_route == {f"POST {MESSAGES}": 6}


async def test_traffic_stats_give_peak_rate_and_a_timeline_on_the_tests_clock(
    clocked: tuple[FakeDiscordWithScene, ManualClock],
) -> None:
    fake, clock = clocked
    fake.set_rate_limits(global_limit=Limit(1000, 1.0), default_limit=Limit(1000, 1.0), routes={})
    general = fake.scene.general.id
    for _ in range(5):
        await post_to(fake, general)
    clock.advance(timedelta(seconds=0.5))
    for _ in range(3):
        await post_to(fake, general)
    clock.advance(timedelta(seconds=2))
    await request(fake, "GET", f"/channels/{general}")
    await post_to(fake, general)
    stats = fake.traffic()
    assert stats.total == 10
    assert stats.peak_rps == 8
    assert stats.peak_global_accepted_rps == 8
    assert stats.by_route == {f"POST {MESSAGES}": 9, "GET /channels/{channel_id}": 1}
    assert stats.duration_s == pytest.approx(2.5)
    start = int(START.timestamp())
    assert [(s.at - start, s.requests, s.accepted) for s in stats.timeline] == [(0, 8, 8), (2, 2, 2)]
    assert fake.traffic(since=START.timestamp() + 1).total == 2


def test_peak_counts_the_busiest_sliding_second() -> None:
    # [0.1, 1.1) holds 0.1, 0.9, 1.0 and 1.05; the window is half-open, so 0.0 and 1.0 never share one.
    assert peak_per_window([0.0, 0.1, 0.9, 1.0, 1.05, 1.8, 3.0]) == 4
    assert peak_per_window([0.0, 0.99, 0.999]) == 3
    assert peak_per_window([]) == 0


async def test_discord_py_waits_out_global_429s_and_delivers_everything(
    fake_discord: FakeDiscordWithScene,
) -> None:
    limit = 10
    users = [fake_discord.world.create_user(f"fan{i}") for i in range(25)]
    bot = discord.Client(intents=discord.Intents(guilds=True))
    async with bot, bot_running(fake_discord, bot):
        since = fake_discord.now_s()
        fake_discord.set_rate_limits(global_limit=Limit(limit, 1.0), default_limit=Limit(1000, 1.0), routes={})
        channels = [fake_discord.world.dm_channel(u) for u in users]
        await asyncio.gather(*(bot.get_partial_messageable(c.id).send(f"T-10 {c.id}") for c in channels))
    stats = fake_discord.traffic(since=since)
    assert fake_discord.ledger.per_recipient() == {u.id: 1 for u in users}
    assert stats.limited_by_scope["global"] > 0
    # Fixed one-second windows let at most two windows' worth through in any sliding second.
    assert stats.peak_global_accepted_rps <= 2 * limit

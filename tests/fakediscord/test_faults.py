"""Fault injection: 5xx answers and held requests, by count or for a period of the tests' clock."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import discord
import pytest

from bot.clock import ManualClock
from tests.fakediscord.faults import TIMEOUT, Fault
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running, fake_discord_running

MESSAGES = "/channels/{channel_id}/messages"


async def raw(
    fake: FakeDiscordWithScene, method: str, path: str, body: Any = None, *, timeout_s: float = 10.0
) -> tuple[int, Any]:
    """(status, parsed JSON or None) of one request with the bot's token."""
    headers = {"Authorization": f"Bot {fake.token}"}
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.request(method, fake.base_url + path, json=body, headers=headers) as response,
    ):
        if response.content_type == "application/json":
            return response.status, await response.json()
        return response.status, None


def general_path(fake: FakeDiscordWithScene) -> str:
    return f"/channels/{fake.scene.general.id}/messages"


async def test_fault_answers_n_requests_then_the_route_works_again(fake_discord: FakeDiscordWithScene) -> None:
    fault = fake_discord.fail("POST", MESSAGES, status=503, times=2)
    statuses = [(await raw(fake_discord, "POST", general_path(fake_discord), {"content": "go"}))[0] for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert len(fault.hits) == 2
    assert len(fake_discord.world.channel_messages(fake_discord.scene.general)) == 1
    assert [r.fault for r in fake_discord.requests_to("POST", MESSAGES)] == ["503 before", "503 before", None]


async def test_fault_before_leaves_no_message_and_carries_discords_error_json(
    fake_discord: FakeDiscordWithScene,
) -> None:
    fake_discord.fail("POST", MESSAGES, status=502)
    status, body = await raw(fake_discord, "POST", general_path(fake_discord), {"content": "go"})
    assert (status, body) == (502, {"message": "502: Bad Gateway", "code": 0})
    assert fake_discord.world.channel_messages(fake_discord.scene.general) == []


async def test_fault_after_creates_the_message_and_still_answers_500(fake_discord: FakeDiscordWithScene) -> None:
    fake_discord.fail("POST", MESSAGES, status=500, after=True)
    body = {"content": "T-10 minutes", "nonce": "alert-1-u1", "enforce_nonce": True}
    status, _ = await raw(fake_discord, "POST", general_path(fake_discord), body)
    assert status == 500
    (created,) = fake_discord.world.channel_messages(fake_discord.scene.general)
    # The retry with the same nonce gets the message the failed request made, not a second one.
    status, again = await raw(fake_discord, "POST", general_path(fake_discord), body)
    assert status == 200
    assert again["id"] == created["id"]
    assert len(fake_discord.world.channel_messages(fake_discord.scene.general)) == 1


async def test_fault_after_without_nonce_lets_a_retry_duplicate(fake_discord: FakeDiscordWithScene) -> None:
    fake_discord.fail("POST", MESSAGES, status=500, after=True)
    for _ in range(2):
        await raw(fake_discord, "POST", general_path(fake_discord), {"content": "T-10 minutes"})
    assert len(fake_discord.world.channel_messages(fake_discord.scene.general)) == 2


async def test_discord_py_retry_after_500_with_a_nonce_makes_one_message(fake_discord: FakeDiscordWithScene) -> None:
    bot = discord.Client(intents=discord.Intents(guilds=True))
    async with bot, bot_running(fake_discord, bot):
        channel = bot.get_channel(fake_discord.scene.general.id)
        assert isinstance(channel, discord.TextChannel)
        fake_discord.fail("POST", MESSAGES, status=500, after=True)
        # discord.py retries a 500 by itself (after 1 s) with the same body, nonce included.
        sent = await channel.send("Liftoff in 10 minutes", nonce="a1-general")
    (message,) = fake_discord.world.channel_messages(fake_discord.scene.general)
    assert str(sent.id) == message["id"]
    assert [r.status for r in fake_discord.requests_to("POST", MESSAGES)] == [500, 200]


async def test_fault_filtered_by_path_parameter_spares_other_channels(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    fake_discord.fail("POST", MESSAGES, status=503, times=None, params={"channel_id": str(scene.general.id)})
    dm = fake_discord.world.dm_channel(scene.member)
    assert (await raw(fake_discord, "POST", f"/channels/{dm.id}/messages", {"content": "hi"}))[0] == 200
    assert (await raw(fake_discord, "POST", general_path(fake_discord), {"content": "hi"}))[0] == 503
    assert (await raw(fake_discord, "POST", general_path(fake_discord), {"content": "hi"}))[0] == 503


@pytest.fixture
async def clocked_fake() -> AsyncIterator[tuple[FakeDiscordWithScene, ManualClock]]:
    clock = ManualClock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    async with fake_discord_running(clock=clock) as fake:
        yield fake, clock


async def test_fault_for_a_period_ends_when_the_tests_clock_passes_it(
    clocked_fake: tuple[FakeDiscordWithScene, ManualClock],
) -> None:
    fake, clock = clocked_fake
    fake.fail("POST", MESSAGES, status=502, times=None, for_s=60)
    for _ in range(3):
        assert (await raw(fake, "POST", general_path(fake), {"content": "hi"}))[0] == 502
    clock.advance(timedelta(seconds=59))
    assert (await raw(fake, "POST", general_path(fake), {"content": "hi"}))[0] == 502
    clock.advance(timedelta(seconds=1))
    assert (await raw(fake, "POST", general_path(fake), {"content": "hi"}))[0] == 200


async def test_timeout_fault_holds_the_request_then_drops_the_connection(fake_discord: FakeDiscordWithScene) -> None:
    fake_discord.fail("POST", MESSAGES, status=TIMEOUT, hold_s=0.3)
    started = time.monotonic()
    with pytest.raises(aiohttp.ClientError):
        await raw(fake_discord, "POST", general_path(fake_discord), {"content": "hi"})
    assert time.monotonic() - started >= 0.3
    (request,) = fake_discord.requests_to("POST", MESSAGES)
    assert (request.status, request.fault) == (0, "timeout before")
    assert fake_discord.world.channel_messages(fake_discord.scene.general) == []


async def test_timeout_after_creates_the_message_while_the_client_gives_up(fake_discord: FakeDiscordWithScene) -> None:
    fake_discord.fail("POST", MESSAGES, status=TIMEOUT, after=True, hold_s=5.0)
    with pytest.raises(TimeoutError):
        await raw(fake_discord, "POST", general_path(fake_discord), {"content": "hi"}, timeout_s=0.2)
    assert len(fake_discord.world.channel_messages(fake_discord.scene.general)) == 1


async def test_stop_releases_held_requests_at_once() -> None:
    async with fake_discord_running() as fake:
        fake.fail("POST", MESSAGES, status=TIMEOUT, hold_s=60.0)
        task = asyncio.create_task(raw(fake, "POST", general_path(fake), {"content": "hi"}))
        await fake.wait_for(lambda: bool(fake.requests_to("POST", MESSAGES)))
        started = time.monotonic()
    with pytest.raises(aiohttp.ClientError):
        await task
    assert time.monotonic() - started < 5.0


def test_fault_refuses_statuses_that_are_not_server_errors() -> None:
    with pytest.raises(ValueError, match="400"):
        Fault("POST", MESSAGES, status=400)


async def test_fail_refuses_a_route_the_spec_does_not_have(fake_discord: FakeDiscordWithScene) -> None:
    with pytest.raises(KeyError, match="not a route template"):
        fake_discord.fail("POST", "/channels/{channel_id}/mesages")

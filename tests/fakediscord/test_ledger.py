"""Nonce de-duplication as Discord documents it (author + nonce, a few minutes) and the delivery ledger."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from bot.clock import ManualClock
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, fake_discord_running
from tests.fakediscord.server import NONCE_WINDOW_S
from tests.fakediscord.world import User


async def post(fake: FakeDiscordWithScene, channel_id: int, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}/channels/{channel_id}/messages", json=body, headers=headers) as response,
    ):
        assert response.status == 200, await response.text()
        message: dict[str, Any] = await response.json()
        return message


async def dm(fake: FakeDiscordWithScene, user: User, content: str, nonce: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"content": content}
    if nonce is not None:
        body |= {"nonce": nonce, "enforce_nonce": True}
    return await post(fake, fake.world.dm_channel(user).id, body)


async def test_same_nonce_from_the_same_author_returns_the_first_message(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    first = await dm(fake_discord, scene.member, "T-10", nonce="a1")
    again = await dm(fake_discord, scene.member, "T-10", nonce="a1")
    assert again["id"] == first["id"]
    assert len(fake_discord.ledger.to_recipient(scene.member.id)) == 1
    assert len(fake_discord.ledger.replays) == 1


async def test_nonce_is_keyed_by_author_not_channel(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    first = await dm(fake_discord, scene.member, "T-10", nonce="alert-7")
    # A bot that reuses one nonce for every recipient gets the first recipient's message back: the second
    # recipient gets nothing, and the ledger shows it.
    other = await dm(fake_discord, scene.admin, "T-10", nonce="alert-7")
    assert other["id"] == first["id"]
    assert other["channel_id"] == str(fake_discord.world.dm_channel(scene.member).id)
    assert fake_discord.ledger.to_recipient(scene.admin.id) == []
    assert fake_discord.ledger.per_recipient() == {scene.member.id: 1}


async def test_nonce_without_enforce_nonce_does_not_deduplicate(fake_discord: FakeDiscordWithScene) -> None:
    channel = fake_discord.world.dm_channel(fake_discord.scene.member)
    body = {"content": "T-10", "nonce": "a1"}
    first, second = await post(fake_discord, channel.id, body), await post(fake_discord, channel.id, body)
    assert first["id"] != second["id"]
    kinds = sorted(d.kind for d in fake_discord.ledger.duplicates())
    assert kinds == ["content", "nonce"]


async def test_a_deleted_message_is_not_returned_for_its_nonce(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    first = await dm(fake_discord, scene.member, "T-10", nonce="a1")
    channel = fake_discord.world.dm_channel(scene.member)
    headers = {"Authorization": f"Bot {fake_discord.token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.delete(f"{fake_discord.base_url}/channels/{channel.id}/messages/{first['id']}", headers=headers) as r,
    ):
        assert r.status == 204
    second = await dm(fake_discord, scene.member, "T-10", nonce="a1")
    assert second["id"] != first["id"]
    assert [d.deleted for d in fake_discord.ledger.to_recipient(scene.member.id)] == [True, False]


@pytest.fixture
async def clocked_fake() -> AsyncIterator[tuple[FakeDiscordWithScene, ManualClock]]:
    clock = ManualClock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    async with fake_discord_running(clock=clock) as fake:
        yield fake, clock


async def test_nonce_window_follows_the_tests_clock(clocked_fake: tuple[FakeDiscordWithScene, ManualClock]) -> None:
    fake, clock = clocked_fake
    member = fake.scene.member
    first = await dm(fake, member, "T-10", nonce="a1")
    clock.advance(timedelta(seconds=NONCE_WINDOW_S - 1))
    assert (await dm(fake, member, "T-10", nonce="a1"))["id"] == first["id"]
    clock.advance(timedelta(seconds=1))
    assert (await dm(fake, member, "T-10", nonce="a1"))["id"] != first["id"]
    assert len(fake.ledger.with_nonce("a1")) == 2
    (duplicate, _) = sorted(fake.ledger.duplicates(), key=lambda d: d.kind)
    assert (duplicate.target, duplicate.kind) == (f"user:{member.id}", "content")


async def test_ledger_counts_per_recipient_and_finds_content_duplicates(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    await dm(fake_discord, scene.member, "T-10 Falcon 9", nonce="a1-m")
    await dm(fake_discord, scene.member, "T-1 Falcon 9", nonce="a2-m")
    await dm(fake_discord, scene.admin, "T-10 Falcon 9", nonce="a1-a")
    await post(fake_discord, scene.general.id, {"content": "T-10 Falcon 9"})
    ledger = fake_discord.ledger
    assert ledger.per_recipient() == {scene.member.id: 2, scene.admin.id: 1}
    assert ledger.per_target()[f"channel:{scene.general.id}"] == 1
    assert [d.content for d in ledger.to_recipient(scene.member.id)] == ["T-10 Falcon 9", "T-1 Falcon 9"]
    assert [d.recipient_id for d in ledger.in_channel(scene.general.id)] == [None]
    assert ledger.duplicates() == []
    # The same text under a new nonce to the same person is a duplicate by content.
    await dm(fake_discord, scene.member, "T-10 Falcon 9", nonce="a1-m-retry")
    (duplicate,) = ledger.duplicates()
    assert (duplicate.target, duplicate.kind, len(duplicate.deliveries)) == (f"user:{scene.member.id}", "content", 2)
    summary = ledger.summary()
    assert summary["deliveries"] == 5
    assert summary["per_recipient"][str(scene.member.id)] == 3

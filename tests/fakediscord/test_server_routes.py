"""The fake's routes for server alerts: mentions as Discord computes them, thread renames, crossposts seen on
the gateway, and Discord's scheduled-event rules (start in the future, status transitions, 100 per guild)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import discord
import pytest

from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running
from tests.fakediscord.test_fake_discord import no_rate_limits, raw
from tests.fakediscord.world import (
    DEFAULT_EVERYONE,
    MANAGE_EVENTS,
    MENTION_EVERYONE,
    Overwrite,
)


def bot_role(fake: FakeDiscordWithScene) -> Any:
    guild = fake.scene.guild
    return next(r for r in guild.roles.values() if r.name == fake.world.bot_user.username)


async def send(fake: FakeDiscordWithScene, body: dict[str, Any], channel_id: int | None = None) -> tuple[int, Any]:
    return await raw(fake, "POST", f"/channels/{channel_id or fake.scene.general.id}/messages", body)


# Mentions -------------------------------------------------------------------------------------


async def test_allowed_mentions_naming_one_role_pings_only_that_role(fake_discord: FakeDiscordWithScene) -> None:
    world, scene = fake_discord.world, fake_discord.scene
    fans = world.create_role(scene.guild, "launch-fans", 0, mentionable=True)
    other = world.create_role(scene.guild, "other-fans", 0, mentionable=True)
    content = f"<@&{fans.id}> <@&{other.id}> @everyone @here <@{scene.member.id}>"
    status, message = await send(
        fake_discord, {"content": content, "allowed_mentions": {"parse": [], "roles": [str(fans.id)]}}
    )
    assert status == 200
    assert message["mention_roles"] == [str(fans.id)]
    assert message["mentions"] == []
    assert message["mention_everyone"] is False


async def test_without_allowed_mentions_everything_the_bot_may_ping_is_pinged(
    fake_discord: FakeDiscordWithScene,
) -> None:
    world, scene = fake_discord.world, fake_discord.scene
    open_role = world.create_role(scene.guild, "open", 0, mentionable=True)
    closed_role = world.create_role(scene.guild, "closed", 0, mentionable=False)
    content = f"<@&{open_role.id}> <@&{closed_role.id}> @everyone <@{scene.member.id}> <@!{scene.member.id}>"
    status, message = await send(fake_discord, {"content": content})
    assert status == 200
    # The bot lacks Mention Everyone: the closed role and @everyone do not ping.
    assert message["mention_roles"] == [str(open_role.id)]
    assert [u["id"] for u in message["mentions"]] == [str(scene.member.id)]
    assert message["mention_everyone"] is False
    bot_role(fake_discord).permissions |= MENTION_EVERYONE
    status, message = await send(fake_discord, {"content": content})
    assert message["mention_roles"] == [str(open_role.id), str(closed_role.id)]
    assert message["mention_everyone"] is True


async def test_mention_everyone_denied_in_one_channel_only(fake_discord: FakeDiscordWithScene) -> None:
    world, scene = fake_discord.world, fake_discord.scene
    bot_role(fake_discord).permissions |= MENTION_EVERYONE
    closed_role = world.create_role(scene.guild, "closed", 0)
    quiet = world.create_channel(scene.guild, "quiet", overwrites=[Overwrite(scene.guild.id, 0, deny=MENTION_EVERYONE)])
    body = {"content": f"<@&{closed_role.id}> @everyone", "allowed_mentions": {"parse": ["roles", "everyone"]}}
    _, loud = await send(fake_discord, body)
    _, muted = await send(fake_discord, body, quiet.id)
    assert (loud["mention_roles"], loud["mention_everyone"]) == ([str(closed_role.id)], True)
    assert (muted["mention_roles"], muted["mention_everyone"]) == ([], False)


async def test_an_edit_recomputes_mentions(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    _, message = await send(fake_discord, {"content": "nobody", "allowed_mentions": {"parse": []}})
    path = f"/channels/{scene.general.id}/messages/{message['id']}"
    status, edited = await raw(
        fake_discord, "PATCH", path, {"content": f"<@{scene.member.id}>", "allowed_mentions": {"parse": ["users"]}}
    )
    assert status == 200
    assert [u["id"] for u in edited["mentions"]] == [str(scene.member.id)]


# Threads --------------------------------------------------------------------------------------


async def forum_post(fake: FakeDiscordWithScene, name: str) -> dict[str, Any]:
    status, thread = await raw(
        fake, "POST", f"/channels/{fake.scene.forum.id}/threads", {"name": name, "message": {"content": "first"}}
    )
    assert status == 201
    assert isinstance(thread, dict)
    return thread


async def test_the_bot_renames_its_own_forum_post(fake_discord: FakeDiscordWithScene) -> None:
    thread = await forum_post(fake_discord, "Starlink 10-1 | NET Dec 1")
    status, renamed = await raw(
        fake_discord, "PATCH", f"/channels/{thread['id']}", {"name": "Starlink 10-1 | NET Dec 2"}
    )
    assert status == 200
    assert renamed["name"] == "Starlink 10-1 | NET Dec 2"
    assert fake_discord.world.channels[int(thread["id"])].name == "Starlink 10-1 | NET Dec 2"


async def test_renaming_someone_elses_thread_needs_manage_threads(fake_discord: FakeDiscordWithScene) -> None:
    thread = await forum_post(fake_discord, "theirs")
    fake_discord.world.channels[int(thread["id"])].owner_id = fake_discord.scene.member.id
    status, error = await raw(fake_discord, "PATCH", f"/channels/{thread['id']}", {"name": "mine now"})
    assert (status, error["code"]) == (403, 50013)


async def test_a_forum_post_needs_send_messages_in_the_forum(fake_discord: FakeDiscordWithScene) -> None:
    scene = fake_discord.scene
    scene.forum.overwrites.append(Overwrite(bot_role(fake_discord).id, 0, deny=1 << 11))
    status, error = await raw(
        fake_discord, "POST", f"/channels/{scene.forum.id}/threads", {"name": "x", "message": {"content": "y"}}
    )
    assert (status, error["code"]) == (403, 50013)


# Crosspost on the gateway -----------------------------------------------------------------------


@pytest.fixture
async def listener(fake_discord: FakeDiscordWithScene) -> AsyncIterator[discord.Client]:
    client = discord.Client(intents=discord.Intents(guilds=True, guild_messages=True))
    async with client, bot_running(fake_discord, client):
        yield client


async def test_a_crosspost_sends_message_update_to_guild_message_listeners(
    fake_discord: FakeDiscordWithScene, listener: discord.Client
) -> None:
    scene = fake_discord.scene
    _, message = await send(fake_discord, {"content": "liftoff"}, scene.announcements.id)
    updated = asyncio.ensure_future(
        listener.wait_for("raw_message_edit", check=lambda e: e.message_id == int(message["id"]), timeout=5)
    )
    status, published = await raw(
        fake_discord, "POST", f"/channels/{scene.announcements.id}/messages/{message['id']}/crosspost"
    )
    assert status == 200
    assert published["flags"] & 1
    event = await updated
    assert event.data["flags"] & 1
    status, again = await raw(
        fake_discord, "POST", f"/channels/{scene.announcements.id}/messages/{message['id']}/crosspost"
    )
    assert (status, again["code"]) == (400, 40033)


# Scheduled events ------------------------------------------------------------------------------


def external_event(start: datetime, *, name: str = "Launch", hours: float = 1.0) -> dict[str, Any]:
    return {
        "name": name,
        "privacy_level": 2,
        "entity_type": 3,
        "entity_metadata": {"location": "https://example.com/webcast"},
        "scheduled_start_time": start.isoformat(),
        "scheduled_end_time": (start + timedelta(hours=hours)).isoformat(),
    }


@pytest.fixture
def may_manage_events(fake_discord: FakeDiscordWithScene) -> None:
    bot_role(fake_discord).permissions = DEFAULT_EVERYONE | MANAGE_EVENTS
    no_rate_limits(fake_discord)


@pytest.mark.usefixtures("may_manage_events")
async def test_scheduled_events_start_in_the_future_and_end_after_they_start(
    fake_discord: FakeDiscordWithScene,
) -> None:
    path = f"/guilds/{fake_discord.scene.guild.id}/scheduled-events"
    now = datetime.now(UTC)
    status, error = await raw(fake_discord, "POST", path, external_event(now - timedelta(minutes=1)))
    assert status == 400
    assert "scheduled_start_time" in error["errors"]
    status, error = await raw(fake_discord, "POST", path, external_event(now + timedelta(hours=1), hours=-0.5))
    assert status == 400
    assert "scheduled_end_time" in error["errors"]
    status, event = await raw(fake_discord, "POST", path, external_event(now + timedelta(hours=1)))
    assert status == 200
    status, _ = await raw(fake_discord, "PATCH", f"{path}/{event['id']}", {"scheduled_start_time": now.isoformat()})
    assert status == 400


@pytest.mark.usefixtures("may_manage_events")
async def test_scheduled_event_status_moves_only_as_discord_documents(fake_discord: FakeDiscordWithScene) -> None:
    path = f"/guilds/{fake_discord.scene.guild.id}/scheduled-events"
    start = datetime.now(UTC) + timedelta(hours=1)
    _, event = await raw(fake_discord, "POST", path, external_event(start))
    one = f"{path}/{event['id']}"
    assert (await raw(fake_discord, "PATCH", one, {"status": 3}))[0] == 400  # scheduled -> completed
    assert (await raw(fake_discord, "PATCH", one, {"status": 2}))[0] == 200
    assert (await raw(fake_discord, "PATCH", one, {"status": 1}))[0] == 400  # active -> scheduled
    assert (await raw(fake_discord, "PATCH", one, {"status": 3}))[0] == 200
    assert (await raw(fake_discord, "PATCH", one, {"status": 2}))[0] == 400  # completed is final
    _, other = await raw(fake_discord, "POST", path, external_event(start))
    assert (await raw(fake_discord, "PATCH", f"{path}/{other['id']}", {"status": 4}))[0] == 200
    assert (await raw(fake_discord, "PATCH", f"{path}/{other['id']}", {"status": 2}))[0] == 400


@pytest.mark.usefixtures("may_manage_events")
async def test_at_most_100_open_scheduled_events_per_guild(fake_discord: FakeDiscordWithScene) -> None:
    path = f"/guilds/{fake_discord.scene.guild.id}/scheduled-events"
    start = datetime.now(UTC) + timedelta(hours=1)
    status, first = await raw(fake_discord, "POST", path, external_event(start, name="e0"))
    assert status == 200
    events = fake_discord.scene.guild.scheduled_events
    # 98 more in the world directly (the global rate limit is not under test here), then the 100th by REST.
    for i in range(1, 99):
        events[fake_discord.world.snowflake()] = {**first, "name": f"e{i}"}
    assert (await raw(fake_discord, "POST", path, external_event(start, name="e99")))[0] == 200
    status, error = await raw(fake_discord, "POST", path, external_event(start, name="one too many"))
    assert (status, error["code"]) == (400, 30038)
    # A canceled event no longer counts.
    assert (await raw(fake_discord, "PATCH", f"{path}/{first['id']}", {"status": 4}))[0] == 200
    assert (await raw(fake_discord, "POST", path, external_event(start, name="room again")))[0] == 200
    status, error = await raw(fake_discord, "POST", path, external_event(start, name="full again"))
    assert (status, error["code"]) == (400, 30038)


async def test_scheduled_events_need_manage_events(fake_discord: FakeDiscordWithScene) -> None:
    path = f"/guilds/{fake_discord.scene.guild.id}/scheduled-events"
    status, error = await raw(fake_discord, "POST", path, external_event(datetime.now(UTC) + timedelta(hours=1)))
    assert (status, error["code"]) == (403, 50013)

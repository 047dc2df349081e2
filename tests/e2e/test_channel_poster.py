"""Channel alert posts through discord.py and the fake: role pings, publishing, forum posts per mission."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import discord
import pytest

from bot import channel_alerts as ca
from bot.channel_poster import ChannelPoster, ForumContext, Target
from bot.db import forum_posts
from bot.db.database import Database
from bot.inert import ZWSP
from bot.models import MilestoneKind, Precision
from bot.server_ports import DiscordChannelTransport
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running
from tests.fakediscord.world import Overwrite

AT = int(datetime(datetime.now(UTC).year + 1, 3, 3, 14, 0, tzinfo=UTC).timestamp())
UTC_ZONE = ZoneInfo("UTC")
Env = tuple[FakeDiscordWithScene, ChannelPoster, Database]


@pytest.fixture
async def env(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> AsyncIterator[Env]:
    client = discord.Client(intents=discord.Intents(guilds=True))
    async with Database(tmp_path / "t.sqlite3") as db, client, bot_running(fake_discord, client):
        assert client.user is not None
        me = client.user.id
        poster = ChannelPoster(db, DiscordChannelTransport(client), lambda: me, lambda: datetime.now(UTC))
        yield fake_discord, poster, db


def cached_guild(poster: ChannelPoster, guild_id: int) -> discord.Guild:
    """The guild as the poster's client caches it (what its permission check reads)."""
    transport = poster.transport
    assert isinstance(transport, DiscordChannelTransport)
    guild = transport.client.get_guild(guild_id)
    assert guild is not None
    return guild


def alert(name: str = "Falcon 9 | Starlink 10-1", *, role_id: int | None = None, lead: int = 3_600) -> ca.Post:
    return ca.alert_post(
        name=name,
        kind=MilestoneKind.LIFTOFF,
        lead=lead,
        at=AT,
        precision=Precision.MINUTE,
        zone=UTC_ZONE,
        role_id=role_id,
        webcast="https://www.youtube.com/watch?v=abc",
    )


def forum_ctx(at: int = AT, name: str = "Falcon 9 | Starlink 10-1") -> ForumContext:
    return ForumContext("mission-1", 1, ca.forum_title(name, at, Precision.MINUTE, UTC_ZONE))


async def test_a_role_ping_names_that_role_only_and_nothing_else_pings(env: Env) -> None:
    fake, poster, _ = env
    scene = fake.scene
    fans = fake.world.create_role(scene.guild, "launch-fans", 0, mentionable=True)
    other = fake.world.create_role(scene.guild, "others", 0, mentionable=True)
    name = f"@everyone <@&{other.id}> <@{scene.member.id}> Starlink"
    target = Target(scene.guild.id, scene.general.id, ca.ChannelKind.TEXT)
    channel_id, message_id = await poster.deliver(target, alert(name, role_id=fans.id), "n1")
    (request,) = fake.requests_to("POST", "/channels/{channel_id}/messages")
    assert request.body["allowed_mentions"] == {"parse": [], "roles": [str(fans.id)]}
    message = fake.world.messages[channel_id][message_id]
    assert message["mention_roles"] == [str(fans.id)]
    assert message["mentions"] == []
    assert message["mention_everyone"] is False
    assert message["content"].startswith(f"<@&{fans.id}>\n")
    assert f"@{ZWSP}everyone" in message["content"]


async def test_an_announcement_post_is_published(env: Env) -> None:
    fake, poster, _ = env
    scene = fake.scene
    target = Target(scene.guild.id, scene.announcements.id, ca.ChannelKind.ANNOUNCEMENT)
    channel_id, message_id = await poster.deliver(target, alert(), "n1")
    assert fake.world.messages[channel_id][message_id]["flags"] & 1
    # A retry after a crash (same nonce): the same message, published once.
    assert await poster.deliver(target, alert(), "n1") == (channel_id, message_id)
    assert len(fake.ledger.in_channel(scene.announcements.id)) == 1


async def test_a_forum_gets_one_post_per_mission_reused_and_retitled_on_a_slip(env: Env) -> None:
    fake, poster, db = env
    scene = fake.scene
    target = Target(scene.guild.id, scene.forum.id, ca.ChannelKind.FORUM)
    thread_id, first = await poster.deliver(target, alert(lead=3_600), "n1", forum_ctx())
    thread = fake.world.channels[thread_id]
    assert thread.parent_id == scene.forum.id
    assert thread.name == forum_ctx().title
    assert "NET" in thread.name
    assert first == thread_id  # the alert is the post's first message
    again, second = await poster.deliver(target, alert(lead=600), "n2", forum_ctx())
    assert again == thread_id
    assert second != first
    slipped = forum_ctx(AT + 86_400)
    await poster.deliver(target, alert(lead=0), "n3", slipped)
    assert fake.world.channels[thread_id].name == slipped.title
    assert len(fake.requests_to("POST", "/channels/{channel_id}/threads")) == 1
    assert len(fake.ledger.in_channel(thread_id)) == 3
    stored = await forum_posts.get_post(db, scene.forum.id, "mission-1")
    assert stored is not None
    assert stored.title == slipped.title


async def test_a_slip_retitles_forum_posts_before_the_next_alert(env: Env) -> None:
    fake, poster, db = env
    scene = fake.scene
    target = Target(scene.guild.id, scene.forum.id, ca.ChannelKind.FORUM)
    thread_id, _ = await poster.deliver(target, alert(), "n1", forum_ctx())
    # The milestone the title shows, as the database has it after a slip.
    await db.execute(
        "INSERT INTO events (id, source, source_id, feed, type, name, status, first_seen, updated_at) "
        "VALUES (1, 'll2', 'x', 'launches', 'launch', 'Falcon 9 | Starlink 10-1', 'go', 0, 0)"
    )
    await db.execute(
        "INSERT INTO milestones (id, event_id, kind, at_utc, precision) VALUES (1, 1, 'liftoff', ?, 'minute')",
        (AT + 7_200,),
    )
    assert await poster.retitle(lambda guild_id: UTC_ZONE) == 1
    assert fake.world.channels[thread_id].name == forum_ctx(AT + 7_200).title
    assert await poster.retitle(lambda guild_id: UTC_ZONE) == 0


async def test_a_forum_post_deleted_by_a_moderator_is_made_again(env: Env) -> None:
    fake, poster, _ = env
    scene = fake.scene
    target = Target(scene.guild.id, scene.forum.id, ca.ChannelKind.FORUM)
    thread_id, _ = await poster.deliver(target, alert(), "n1", forum_ctx())
    del fake.world.channels[thread_id]
    new_thread, _ = await poster.deliver(target, alert(lead=600), "n2", forum_ctx())
    assert new_thread != thread_id
    assert len(fake.requests_to("POST", "/channels/{channel_id}/threads")) == 2


async def test_a_forum_post_made_before_a_crash_is_adopted_not_made_twice(env: Env) -> None:
    fake, poster, db = env
    scene = fake.scene
    target = Target(scene.guild.id, scene.forum.id, ca.ChannelKind.FORUM)
    thread_id, _ = await poster.deliver(target, alert(), "n1", forum_ctx())
    # As if the bot died after Discord made the post, before it stored the thread id.
    await db.execute("UPDATE forum_posts SET thread_id = NULL")
    assert await poster.deliver(target, alert(), "n1", forum_ctx()) == (thread_id, thread_id)
    assert len(fake.requests_to("POST", "/channels/{channel_id}/threads")) == 1
    assert len(fake.ledger.in_channel(thread_id)) == 1


async def test_a_channel_without_send_messages_is_a_forbidden_error(env: Env) -> None:
    fake, poster, _ = env
    scene = fake.scene
    with pytest.raises(ca.ChannelForbiddenError):
        await poster.deliver(Target(scene.guild.id, scene.readonly.id, ca.ChannelKind.TEXT), alert(), "n1")
    bot_role = next(r for r in scene.guild.roles.values() if r.name == fake.world.bot_user.username)
    scene.forum.overwrites.append(Overwrite(bot_role.id, 0, deny=1 << 11))
    with pytest.raises(ca.ChannelForbiddenError):
        await poster.deliver(Target(scene.guild.id, scene.forum.id, ca.ChannelKind.FORUM), alert(), "n2", forum_ctx())


async def test_a_role_that_cannot_be_pinged_stops_the_post_instead_of_a_silent_no_ping(env: Env) -> None:
    fake, poster, _ = env
    scene = fake.scene
    quiet = fake.world.create_role(scene.guild, "quiet", 0, mentionable=False)
    await fake.role_changed(quiet, created=True)
    guild = cached_guild(poster, scene.guild.id)
    await fake.wait_for(lambda: guild.get_role(quiet.id) is not None)
    target = Target(scene.guild.id, scene.general.id, ca.ChannelKind.TEXT)
    with pytest.raises(ca.ChannelForbiddenError, match="Mention @everyone"):
        await poster.deliver(target, alert(role_id=quiet.id), "n1", role_id=quiet.id)
    assert fake.ledger.in_channel(scene.general.id) == []


async def test_embed_links_taken_away_is_caught_before_posting(env: Env) -> None:
    fake, poster, _ = env
    scene = fake.scene
    bot_role = next(r for r in scene.guild.roles.values() if r.name == fake.world.bot_user.username)
    scene.general.overwrites.append(Overwrite(bot_role.id, 0, deny=1 << 14))
    await fake.channel_changed(scene.general)
    guild = cached_guild(poster, scene.guild.id)
    await fake.wait_for(lambda: not guild.get_channel(scene.general.id).permissions_for(guild.me).embed_links)  # type: ignore[union-attr]
    target = Target(scene.guild.id, scene.general.id, ca.ChannelKind.TEXT)
    with pytest.raises(ca.ChannelForbiddenError, match="Embed Links"):
        await poster.deliver(target, alert(), "n1")

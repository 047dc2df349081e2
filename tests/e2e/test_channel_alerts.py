"""Channel alerts end to end: ``/alerts add|list|remove|test`` and the alert engine posting in text,
announcement and forum channels, with role pings and every missing-permission path (time-machine moves time,
as in the DM alert tests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from bot.bot import TMinusBot
from bot.db import channel_alerts as channel_store
from bot.db.events import to_epoch
from bot.db.privacy import forget_user
from bot.inert import ZWSP
from tests.e2e.test_alerts import launch, settle, store_launch
from tests.fakediscord.interactions import InteractionResult
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.world import MENTION_EVERYONE, Channel, Overwrite, Role

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]
START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
LIFTOFF = START + timedelta(hours=3)
SEND_MESSAGES = 1 << 11


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=True) as t:
        yield t


async def add(fake: FakeDiscordWithScene, channel: Channel, **options: Any) -> InteractionResult:
    scene = fake.scene
    return await fake.slash(
        "alerts add",
        user=scene.moderator,
        guild=scene.guild,
        channel=scene.general,
        options={"channel": channel, "what": "liftoff", **options},
    )


async def fans(fake: FakeDiscordWithScene, bot: TMinusBot, *, mentionable: bool = True) -> Role:
    """A role made in the server; the bot learns of it on the gateway, as from Discord."""
    role = fake.world.create_role(fake.scene.guild, "launch-fans", 0, mentionable=mentionable)
    await fake.role_changed(role, created=True)
    guild = bot.get_guild(fake.scene.guild.id)
    assert guild is not None
    await fake.wait_for(lambda: guild.get_role(role.id) is not None)
    return role


def bot_role(fake: FakeDiscordWithScene) -> Role:
    return next(r for r in fake.scene.guild.roles.values() if r.name == fake.world.bot_user.username)


async def overwrite(fake: FakeDiscordWithScene, bot: TMinusBot, channel: Channel, deny: int) -> None:
    """Deny the bot ``deny`` in ``channel``, and wait until the bot's cache knows."""
    channel.overwrites.append(Overwrite(bot_role(fake).id, 0, deny=deny))
    await fake.channel_changed(channel)
    guild = bot.get_guild(fake.scene.guild.id)
    assert guild is not None
    await fake.wait_for(lambda: bool(getattr(guild.get_channel(channel.id), "overwrites", None)))


async def fire(bot: TMinusBot, traveller: time_machine.Coordinates, at: datetime) -> None:
    """Move to the job of fire time ``at`` and let it run (jobs exist a few hours ahead: come near first)."""
    traveller.move_to(at - timedelta(minutes=5))
    await settle(bot)
    run_at = bot.alerts.jobs.alert_jobs()[f"alert:{to_epoch(at)}"]
    traveller.move_to(run_at)
    await settle(bot)


def posts(fake: FakeDiscordWithScene, channel_id: int) -> list[dict[str, Any]]:
    """Messages the bot made in a channel (not interaction answers): the ledger's, as the channel holds them."""
    return [fake.world.messages[channel_id][d.message_id] for d in fake.ledger.in_channel(channel_id)]


async def test_a_channel_alert_pings_its_role_and_only_it(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    role = await fans(fake, bot)
    answer = await add(fake, scene.general, role=role, leads="1h")
    assert answer.ephemeral
    assert answer.content is not None
    assert answer.content.startswith("Added #")
    await store_launch(bot, launch(LIFTOFF, name="@everyone Falcon 9 | Starlink 6-1"))
    await fire(bot, traveller, LIFTOFF - timedelta(hours=1))
    (post,) = posts(fake, scene.general.id)
    (request,) = [r for r in fake.requests_to("POST", "/channels/{channel_id}/messages") if r.body.get("nonce")]
    assert request.body["allowed_mentions"] == {"parse": [], "roles": [str(role.id)]}
    assert post["mention_roles"] == [str(role.id)]
    assert post["mentions"] == []
    assert post["mention_everyone"] is False
    assert post["content"].startswith(f"<@&{role.id}>")
    assert f"@{ZWSP}everyone" in post["content"]
    assert "T-1h" in post["content"]
    # Once: later runs send nothing more.
    traveller.move_to(LIFTOFF - timedelta(minutes=30))
    await settle(bot)
    assert len(posts(fake, scene.general.id)) == 1
    assert fake.ledger.duplicates() == []


async def test_an_announcement_channel_post_is_published(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    await add(fake, scene.announcements, leads="1h")
    await store_launch(bot, launch(LIFTOFF))
    await fire(bot, traveller, LIFTOFF - timedelta(hours=1))
    (post,) = posts(fake, scene.announcements.id)
    assert post["flags"] & 1, "published (crossposted)"
    assert len(fake.requests_to("POST", "/channels/{channel_id}/messages/{message_id}/crosspost")) == 1


async def test_a_forum_gets_one_post_per_mission_reused_and_retitled_when_it_slips(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    await add(fake, scene.forum, leads="2h, 1h")
    await store_launch(bot, launch(LIFTOFF))
    await fire(bot, traveller, LIFTOFF - timedelta(hours=2))
    assert len(fake.requests_to("POST", "/channels/{channel_id}/threads")) == 1
    (thread,) = [c for c in fake.world.channels.values() if c.parent_id == scene.forum.id]
    assert thread.parent_id == scene.forum.id
    assert thread.name.startswith("Falcon 9 | Starlink 6-1 · NET ")
    first_title = thread.name
    # A slip of a day: the post is retitled now, and told in the post; the next alert goes into it.
    slipped = LIFTOFF + timedelta(days=1)
    await store_launch(bot, launch(slipped))
    await settle(bot)
    assert thread.name != first_title
    assert thread.name.startswith("Falcon 9 | Starlink 6-1 · NET ")
    assert any("moved" in m["content"] for m in posts(fake, thread.id))
    await fire(bot, traveller, slipped - timedelta(hours=2))
    await fire(bot, traveller, slipped - timedelta(hours=1))
    assert len(fake.requests_to("POST", "/channels/{channel_id}/threads")) == 1, "one post per mission"
    alerts = [m for m in posts(fake, thread.id) if "T-" in m["content"]]
    assert len(alerts) == 3


async def test_adding_where_the_bot_cannot_post_says_what_to_grant(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    answer = await add(fake, scene.readonly)
    assert answer.ephemeral
    assert answer.content is not None
    assert "Send Messages" in answer.content
    await overwrite(fake, bot, scene.forum, 1 << 38)  # Send Messages in Threads
    answer = await add(fake, scene.forum)
    assert answer.content is not None
    assert "Send Messages in Threads" in answer.content
    assert await channel_store.guild_channel_subscriptions(bot.db, scene.guild.id) == []


async def test_a_role_the_bot_cannot_ping_is_refused_unless_it_may_mention_everyone(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    quiet = await fans(fake, bot, mentionable=False)
    answer = await add(fake, scene.general, role=quiet)
    assert answer.content is not None
    assert "Mention @everyone" in answer.content
    assert "make the role mentionable" in answer.content
    everyone = scene.guild.roles[scene.guild.id]
    answer = await add(fake, scene.general, role=everyone)
    assert answer.content is not None
    assert "not @everyone" in answer.content
    bot_role(fake).permissions |= MENTION_EVERYONE
    await fake.role_changed(bot_role(fake))
    guild = bot.get_guild(scene.guild.id)
    assert guild is not None
    await fake.wait_for(lambda: guild.me.guild_permissions.mention_everyone)
    answer = await add(fake, scene.general, role=quiet)
    assert answer.content is not None
    assert answer.content.startswith("Added #")


async def test_a_post_refused_later_pauses_the_alert_and_dms_who_added_it(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    await add(fake, scene.general, leads="2h, 1h")
    await store_launch(bot, launch(LIFTOFF))
    await overwrite(fake, bot, scene.general, SEND_MESSAGES)
    await fire(bot, traveller, LIFTOFF - timedelta(hours=2))
    assert posts(fake, scene.general.id) == []
    (sub,) = await channel_store.guild_channel_subscriptions(bot.db, scene.guild.id)
    assert sub.paused_reason is not None
    dms = fake.ledger.to_recipient(scene.moderator.id)
    assert len(dms) == 1
    assert "paused" in dms[0].content
    assert f"<#{scene.general.id}>" in dms[0].content
    # Paused, not retried: the next lead is not even planned, and nothing is posted in the channel.
    attempts = len(fake.requests_to("POST", "/channels/{channel_id}/messages"))
    traveller.move_to(LIFTOFF - timedelta(minutes=30))
    await settle(bot)
    assert f"alert:{to_epoch(LIFTOFF - timedelta(hours=1))}" not in bot.alerts.jobs.alert_jobs()
    assert len(fake.requests_to("POST", "/channels/{channel_id}/messages")) == attempts
    listing = await fake.slash("alerts list", user=scene.moderator, guild=scene.guild, channel=scene.general)
    assert listing.content is not None
    assert "paused" in listing.content


async def test_an_alert_whose_adder_was_forgotten_pauses_without_dming_anyone(
    tminus_bot: BotOnFake, traveller: time_machine.Coordinates, caplog: pytest.LogCaptureFixture
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    await add(fake, scene.general, leads="2h")
    await forget_user(bot.db, scene.moderator.id)  # /forget me: the alert stays, added by 0 (no one)
    await store_launch(bot, launch(LIFTOFF))
    await overwrite(fake, bot, scene.general, SEND_MESSAGES)
    await fire(bot, traveller, LIFTOFF - timedelta(hours=2))
    (sub,) = await channel_store.guild_channel_subscriptions(bot.db, scene.guild.id)
    assert sub.paused_reason is not None
    assert fake.ledger.to_recipient(scene.moderator.id) == []
    assert not [r for r in caplog.records if "could not tell user" in r.getMessage()]  # no DM tried to user 0


async def test_list_remove_with_autocomplete_and_test_post(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    role = await fans(fake, bot)
    await add(fake, scene.general, role=role)
    await add(fake, scene.announcements, what="docking")
    listing = await fake.slash("alerts list", user=scene.moderator, guild=scene.guild, channel=scene.general)
    assert listing.content is not None
    assert listing.content.count("\n") == 1
    assert f"<#{scene.general.id}>" in listing.content
    choices = await fake.autocomplete(
        "alerts remove", "alert", user=scene.moderator, guild=scene.guild, channel=scene.general,
        options={"alert": "launch"},
    )  # fmt: skip
    assert [c["name"] for c in choices] == [f"#2 #{scene.announcements.name} · docking"]
    nothing = await fake.autocomplete(
        "alerts remove", "alert", user=scene.member, guild=scene.guild, channel=scene.general
    )
    assert nothing == []
    sample = await fake.slash(
        "alerts test",
        user=scene.moderator,
        guild=scene.guild,
        channel=scene.general,
        options={"channel": scene.general},
    )
    assert sample.content is not None
    assert "Posted a sample" in sample.content
    (post,) = posts(fake, scene.general.id)
    assert post["mention_roles"] == [str(role.id)]
    assert "test of this channel" in post["content"]
    removed = await fake.slash(
        "alerts remove", user=scene.moderator, guild=scene.guild, channel=scene.general, options={"alert": "1"}
    )
    assert removed.content == "Removed channel alert #1."
    assert len(await channel_store.guild_channel_subscriptions(bot.db, scene.guild.id)) == 1


async def test_members_without_manage_server_cannot_add_channel_alerts(tminus_bot: BotOnFake) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    answer = await fake.slash(
        "alerts add", user=scene.member, guild=scene.guild, channel=scene.general,
        options={"channel": scene.general, "what": "liftoff"},
    )  # fmt: skip
    assert answer.content is not None
    assert "Manage Server" in answer.content
    assert await channel_store.guild_channel_subscriptions(bot.db, scene.guild.id) == []

"""The Scheduled Events mirror through the real bot and the fake Discord (``/alerts events on|off``)."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from aiohttp import web

from bot.bot import TMinusBot
from bot.clock import ManualClock
from bot.covers import CoverFetcher
from bot.db import guild_events as mirror_store
from bot.db.events import mark_gone
from bot.db.privacy import forget_user
from bot.db.settings import get_guild_timezone
from bot.inert import ZWSP
from bot.models import EventStatus, GoneReason, Precision, Source
from cogs.server_alerts import ServerAlerts
from tests.e2e.server_helpers import START, bot_on_manual_clock, bot_role, later, launch, moved, store
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.world import DEFAULT_EVERYONE, MANAGE_EVENTS

Env = tuple[FakeDiscordWithScene, TMinusBot, ManualClock]


@pytest.fixture
async def env(fake_discord: FakeDiscordWithScene, tmp_path: Path) -> AsyncIterator[Env]:
    bot_role(fake_discord).permissions = DEFAULT_EVERYONE | MANAGE_EVENTS
    clock = ManualClock(START)
    async with bot_on_manual_clock(fake_discord, tmp_path / "t.sqlite3", clock) as bot:
        yield fake_discord, bot, clock


def cog(bot: TMinusBot) -> ServerAlerts:
    # load_extension imports the module afresh, so the class is not the one imported here.
    found = bot.get_cog("ServerAlerts")
    assert type(found).__name__ == "ServerAlerts"
    return cast(ServerAlerts, found)


def events_of(fake: FakeDiscordWithScene) -> list[dict[str, Any]]:
    return sorted(fake.scene.guild.scheduled_events.values(), key=lambda e: e["scheduled_start_time"])


def start_of(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["scheduled_start_time"])


async def turn_on(fake: FakeDiscordWithScene, bot: TMinusBot, **options: Any) -> str:
    scene = fake.scene
    result = await fake.slash(
        "alerts events on", user=scene.moderator, guild=scene.guild, channel=scene.general, options=options
    )
    await cog(bot).mirror.reconcile()
    assert result.content is not None
    return result.content


async def test_upcoming_launches_within_days_become_external_events(env: Env) -> None:
    fake, bot, _ = env
    await store(
        bot,
        launch("a", START.replace(hour=18), name="Falcon 9 | Starlink 10-1"),
        launch("b", START.replace(day=5), name="Electron | Owl Night"),
        launch("c", START.replace(day=20), name="Ariane 6 | Far Away"),
    )
    answer = await turn_on(fake, bot)
    assert "next 7 days" in answer
    first, second = events_of(fake)
    assert first["name"] == "🚀 Falcon 9 | Starlink 10-1"
    assert start_of(first) == START.replace(hour=18)
    assert datetime.fromisoformat(first["scheduled_end_time"]) > start_of(first)
    assert first["entity_type"] == 3
    assert first["entity_metadata"] == {"location": "https://www.youtube.com/watch?v=abc"}
    assert "SpaceX · Falcon 9" in first["description"]
    assert second["name"] == "🚀 Electron | Owl Night"


async def test_days_what_and_match_narrow_the_mirror(env: Env) -> None:
    fake, bot, _ = env
    await store(
        bot,
        launch("a", START.replace(day=3), name="Falcon 9 | Starlink 10-1"),
        launch("b", START.replace(day=4), name="Electron | Owl Night", provider="Rocket Lab", vehicle="Electron"),
        launch("c", START.replace(day=12), name="Electron | Later", provider="Rocket Lab", vehicle="Electron"),
    )
    await turn_on(fake, bot, days=14, match="rocket lab", what="liftoff")
    assert [e["name"] for e in events_of(fake)] == ["🚀 Electron | Owl Night", "🚀 Electron | Later"]


async def test_a_slip_moves_the_event_and_keeps_its_id(env: Env) -> None:
    fake, bot, _ = env
    original = launch("a", START.replace(day=3))
    await store(bot, original)
    await turn_on(fake, bot)
    (before,) = events_of(fake)
    await store(bot, moved(original, START.replace(day=4, hour=9)))  # the ChangeBus hint reconciles
    (after,) = events_of(fake)
    assert after["id"] == before["id"]
    assert start_of(after) == START.replace(day=4, hour=9)
    assert fake.requests_to("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")


@pytest.mark.parametrize(
    "scrub",
    [
        {"precision": Precision.DAY},  # scrubbed to a date only
        {"status": EventStatus.TBD},
        {"status": EventStatus.HOLD},
    ],
    ids=["to-a-date", "tbd", "hold"],
)
async def test_a_scrub_to_an_unknown_time_deletes_the_event(env: Env, scrub: dict[str, Any]) -> None:
    fake, bot, _ = env
    original = launch("a", START.replace(day=3))
    await store(bot, original)
    await turn_on(fake, bot)
    assert len(events_of(fake)) == 1
    await store(bot, moved(original, START.replace(day=3), **scrub))
    assert events_of(fake) == []
    assert await mirror_store.links(bot.db) == []


async def test_a_withdrawn_launch_loses_its_event(env: Env) -> None:
    fake, bot, _ = env
    await store(bot, launch("a", START.replace(day=3)))
    await turn_on(fake, bot)
    changes = await mark_gone(bot.db, Source.LL2, "a", now=bot.clock.now(), reason=GoneReason.WITHDRAWN)
    await bot.changes.publish(changes)
    assert events_of(fake) == []


async def test_a_slip_after_the_event_began_makes_it_again_at_the_new_time(env: Env) -> None:
    fake, bot, clock = env
    original = launch("a", START.replace(hour=14))
    await store(bot, original)
    await turn_on(fake, bot)
    (began,) = events_of(fake)
    later(clock, hours=2, minutes=5)  # 14:05: the event is under way
    await store(bot, moved(original, START.replace(hour=14, minute=3)))  # the actual minute, after the fact
    (same,) = events_of(fake)
    assert same["id"] == began["id"], "a correction to a time already past leaves the event alone"
    await store(bot, moved(original, START.replace(hour=17)))  # recycled: liftoff at 17:00
    (again,) = events_of(fake)
    assert again["id"] != began["id"]
    assert start_of(again) == START.replace(hour=17)
    assert [e["id"] for e in events_of(fake)] == [again["id"]], "no event left showing it under way"
    links = await mirror_store.links(bot.db)
    assert [(link.discord_event_id, link.start_at) for link in links] == [
        (int(again["id"]), int(START.replace(hour=17).timestamp()))
    ]


async def test_a_cover_image_goes_to_discord_as_a_data_uri_with_the_create(env: Env) -> None:
    fake, bot, _ = env
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=png, content_type="image/png")

    app = web.Application()
    app.router.add_get("/f9.png", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/f9.png"
        # LL2's real image hosts are on the internet; here the local server stands in for one.
        cog(bot).mirror.covers = CoverFetcher(
            bot.http_session, allowed=re.compile(r"127\.0\.0\.1"), schemes=frozenset({"http"})
        )
        await store(bot, launch("a", START.replace(day=3), image_url=url))
        await turn_on(fake, bot)
    finally:
        await runner.cleanup()
    (create,) = fake.requests_to("POST", "/guilds/{guild_id}/scheduled-events")
    assert (create.body or {})["image"] == "data:image/png;base64," + base64.b64encode(png).decode()
    assert len(events_of(fake)) == 1  # Discord's spec took it (the fake checks every body against it)


async def test_without_covers_turned_on_no_image_is_read_or_sent(env: Env) -> None:
    fake, bot, _ = env
    assert cog(bot).mirror.covers is None  # TMINUS_EVENT_COVERS is off unless the operator turns it on
    await store(
        bot, launch("a", START.replace(day=3), image_url="https://thespacedevs-prod.nyc3.digitaloceanspaces.com/x.png")
    )
    await turn_on(fake, bot)
    (create,) = fake.requests_to("POST", "/guilds/{guild_id}/scheduled-events")
    assert "image" not in (create.body or {})


async def test_events_are_removed_after_the_fact(env: Env) -> None:
    fake, bot, clock = env
    await store(bot, launch("a", START.replace(hour=14)))
    await turn_on(fake, bot)
    assert len(events_of(fake)) == 1
    later(clock, hours=2, minutes=30)  # 14:30: liftoff was at 14:00, the event lasts until 15:00
    await cog(bot).mirror.reconcile()
    assert len(events_of(fake)) == 1
    later(clock, minutes=31)
    await cog(bot).mirror.reconcile()
    assert events_of(fake) == []


async def test_a_launch_entering_the_window_is_added_by_the_timer(env: Env) -> None:
    fake, bot, clock = env
    await store(bot, launch("a", START.replace(day=10)))
    await turn_on(fake, bot)
    assert events_of(fake) == []
    later(clock, days=3, hours=1)
    await cog(bot).reconcile_mirror()  # what the interval job runs
    assert len(events_of(fake)) == 1


async def test_upstream_mentions_are_inert_in_event_names_and_descriptions(env: Env) -> None:
    fake, bot, _ = env
    await store(bot, launch("a", START.replace(day=3), name="@everyone party <@&1234>", description="hi @here"))
    await turn_on(fake, bot)
    (event,) = events_of(fake)
    assert "@everyone" not in event["name"]
    assert f"@{ZWSP}everyone" in event["name"]
    assert "@here" not in event["description"]
    assert "<@&1234>" not in event["name"] + event["description"]


async def test_at_most_100_events_per_guild_counting_others(env: Env) -> None:
    fake, bot, _ = env
    guild = fake.scene.guild
    someone_elses = {
        "status": 1,
        "name": "Movie night",
        "description": "not ours",
        "scheduled_start_time": START.replace(day=9).isoformat(),
        "scheduled_end_time": START.replace(day=9, hour=14).isoformat(),
        "entity_type": 3,
        "entity_metadata": {"location": "VC"},
    }
    for _ in range(98):
        event_id = fake.world.snowflake()
        guild.scheduled_events[event_id] = {**someone_elses, "id": str(event_id)}
    await store(bot, *(launch(f"l{i}", START.replace(day=3, hour=i)) for i in range(13, 17)))
    await turn_on(fake, bot)
    ours = [e for e in events_of(fake) if "tminus:m" in (e["description"] or "")]
    # Soonest first: the two that fit are 13:00 and 14:00.
    assert [start_of(e).hour for e in ours] == [13, 14]
    assert len(guild.scheduled_events) == 100
    assert cog(bot).mirror.last is not None
    assert cog(bot).mirror.last.total("skipped_full") == 2


async def test_off_removes_the_mirrored_events(env: Env) -> None:
    fake, bot, _ = env
    await store(bot, launch("a", START.replace(day=3)))
    await turn_on(fake, bot)
    scene = fake.scene
    result = await fake.slash("alerts events off", user=scene.moderator, guild=scene.guild, channel=scene.general)
    await cog(bot).mirror.reconcile()
    assert result.content is not None
    assert "Stopped" in result.content
    assert events_of(fake) == []


@pytest.mark.parametrize(
    ("match", "echo"),
    [(" " * 1865, None), ("  falcon\n  9 ", "falcon 9"), ("@everyone **bold**", "@\u200beveryone \\*\\*bold\\*\\*")],
    ids=["blank-and-huge", "spaces-collapsed", "hostile"],
)
async def test_the_reply_echoes_the_match_as_stored_within_discords_limit(
    env: Env, match: str, echo: str | None
) -> None:
    # Discord's 100-character limit on the option is client-side: a crafted interaction can carry more. A
    # blank match is no filter; the reply must say so, stay under 2,000 characters and ping no one.
    fake, bot, _ = env
    answer = await turn_on(fake, bot, match=match)
    mirror = await mirror_store.get_mirror(bot.db, fake.scene.guild.id)
    assert mirror is not None
    assert len(answer) <= 2000
    if echo is None:
        assert mirror.match is None
        assert "matching" not in answer
    else:
        assert f"matching “{echo}”" in answer, answer


async def test_without_manage_events_the_admin_is_told_what_to_grant(env: Env) -> None:
    fake, bot, _ = env
    bot_role(fake).permissions = DEFAULT_EVERYONE
    result = await fake.slash(
        "alerts events on", user=fake.scene.moderator, guild=fake.scene.guild, channel=fake.scene.general
    )
    assert result.ephemeral
    assert result.content is not None
    assert "Manage Events" in result.content
    assert await mirror_store.get_mirror(bot.db, fake.scene.guild.id) is None


async def test_a_later_refusal_pauses_the_mirror_and_dms_who_turned_it_on(env: Env) -> None:
    fake, bot, _ = env
    await store(bot, launch("a", START.replace(day=3)))
    await turn_on(fake, bot)
    bot_role(fake).permissions = DEFAULT_EVERYONE  # someone took Manage Events away
    await store(bot, launch("b", START.replace(day=4)))
    mirror = await mirror_store.get_mirror(bot.db, fake.scene.guild.id)
    assert mirror is not None
    assert mirror.paused_reason is not None
    dms = fake.ledger.to_recipient(fake.scene.moderator.id)
    assert len(dms) == 1
    assert "Manage Events" in dms[0].content
    # Paused: not retried on every sync (no new request to the events routes).
    before = len(fake.requests_to("GET", "/guilds/{guild_id}/scheduled-events"))
    await store(bot, launch("c", START.replace(day=5)))
    assert len(fake.requests_to("GET", "/guilds/{guild_id}/scheduled-events")) == before


async def test_a_mirror_whose_admin_was_forgotten_pauses_without_dming_anyone(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    fake, bot, _ = env
    await store(bot, launch("a", START.replace(day=3)))
    await turn_on(fake, bot)
    await forget_user(bot.db, fake.scene.moderator.id)  # /forget me: the mirror stays, turned on by 0 (no one)
    bot_role(fake).permissions = DEFAULT_EVERYONE
    await store(bot, launch("b", START.replace(day=4)))
    mirror = await mirror_store.get_mirror(bot.db, fake.scene.guild.id)
    assert mirror is not None
    assert (mirror.enabled_by, mirror.paused_reason is not None) == (0, True)
    assert fake.ledger.to_recipient(fake.scene.moderator.id) == []
    assert not [r for r in caplog.records if "could not tell user" in r.getMessage()]  # no DM tried to user 0


async def test_members_without_manage_server_cannot_turn_it_on(env: Env) -> None:
    fake, bot, _ = env
    result = await fake.slash(
        "alerts events on", user=fake.scene.member, guild=fake.scene.guild, channel=fake.scene.general
    )
    assert result.content is not None
    assert "Manage Server" in result.content
    assert await mirror_store.get_mirror(bot.db, fake.scene.guild.id) is None


async def test_alerts_timezone_sets_the_servers_zone(env: Env) -> None:
    fake, bot, _ = env
    assert await get_guild_timezone(bot.db, fake.scene.guild.id) is None
    scene = fake.scene
    result = await fake.slash(
        "alerts timezone", user=scene.moderator, guild=scene.guild, channel=scene.general,
        options={"zone": "america/new_york"},
    )  # fmt: skip
    assert result.content is not None
    assert "America/New_York" in result.content
    assert await get_guild_timezone(bot.db, fake.scene.guild.id) == "America/New_York"
    bad = await fake.slash(
        "alerts timezone", user=scene.moderator, guild=scene.guild, channel=scene.general,
        options={"zone": "Mars/Olympus"},
    )  # fmt: skip
    assert bad.content is not None
    assert "not a time zone" in bad.content


async def test_restart_finds_events_again_and_never_duplicates(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    fake = fake_discord
    bot_role(fake).permissions = DEFAULT_EVERYONE | MANAGE_EVENTS
    clock = ManualClock(START)
    db_path = tmp_path / "t.sqlite3"
    async with bot_on_manual_clock(fake, db_path, clock) as bot:
        await store(bot, launch("a", START.replace(day=3)), launch("b", START.replace(day=4)))
        await turn_on(fake, bot)
        ids = sorted(e["id"] for e in events_of(fake))
        assert len(ids) == 2
        # As if the bot died between Discord's answer and storing the id: the link lost its event id.
        await bot.db.execute("UPDATE guild_event_links SET discord_event_id = NULL WHERE milestone_id = 1")
        await bot.db.execute("DELETE FROM guild_event_links WHERE milestone_id = 2")
    async with bot_on_manual_clock(fake, db_path, clock) as bot:
        await cog(bot).mirror.reconcile()  # the start-up reconcile already ran; a second finds nothing to do
        assert sorted(e["id"] for e in events_of(fake)) == ids
        assert sorted(link.discord_event_id or 0 for link in await mirror_store.links(bot.db)) == sorted(
            int(i) for i in ids
        )
    creates = fake.requests_to("POST", "/guilds/{guild_id}/scheduled-events")
    assert len(creates) == 2


async def test_alerts_is_for_server_managers_and_digest_for_anyone(env: Env) -> None:
    fake, _, _ = env
    upload = fake.requests_to("PUT", "/applications/{application_id}/commands")[-1]
    commands = {c["name"]: c for c in upload.body}
    alerts, digest = commands["alerts"], commands["digest"]
    assert str(alerts["default_member_permissions"]) == "32"  # Manage Server
    assert alerts["contexts"] == [0]  # servers only
    assert digest.get("default_member_permissions") is None
    assert {o["name"] for o in alerts["options"]} >= {"timezone", "events"}
    events = next(o for o in alerts["options"] if o["name"] == "events")
    assert {o["name"] for o in events["options"]} == {"on", "off"}
    assert {o["name"] for o in digest["options"]} == {"daily", "weekly", "off"}

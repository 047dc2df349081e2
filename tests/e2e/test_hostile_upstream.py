"""Upstream text (issue 15): a Launch Library 2 record whose name, mission description and pad carry
``@everyone``, role and user mentions, markdown, an iCalendar line break injection and 10,000 characters, taken
through the real sync into the bot's database and shown by every command that shows LL2 data (embeds, lists,
details, the ``.ics`` file), and by everything that posts it (DM alerts, channel posts, forum post titles
and bodies, Scheduled Event names and descriptions, DM and channel digests). Nothing pings, every message
stays within Discord's limits (the fake fails the test on any violation), the calendar holds one event per
milestone and nothing injected, and a long name leaves the alert's time and the digest's other lines in place.
"""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import aiohttp
import icalendar
import pytest

from bot.bot import TMinusBot
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import digests as digest_store
from bot.db.events import to_epoch
from bot.ll2.sync import LL2Options, LL2Sync
from bot.render import embed_length
from tests.e2e.server_helpers import START, bot_on_manual_clock, bot_role, launch, store
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
from tests.fakediscord.world import (
    CREATE_PUBLIC_THREADS,
    DEFAULT_EVERYONE,
    MANAGE_EVENTS,
    SEND_MESSAGES_IN_THREADS,
    User,
)
from tests.fakell2.server import FakeLL2

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]
PING = "@everyone @here <@&123456789012345678> <@123456789012345678> **FREE** [click](https://evil.example) "
ICS_INJECTION = "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\nDTSTART:20300101T000000Z\r\n"
LONG = (PING + ICS_INJECTION) * (10_000 // len(PING + ICS_INJECTION) + 1)


def wall() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def hostile_ll2() -> AsyncIterator[FakeLL2]:
    server = FakeLL2(wall)
    launch = copy.deepcopy(server.launches[0])
    net = (wall() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    launch.update(name=LONG[:10_000], net=net, window_start=net, window_end=net)
    launch["mission"] = (launch.get("mission") or {}) | {"name": LONG[:5000], "description": LONG[:10_000]}
    launch["pad"]["name"] = LONG[:2000]
    launch["pad"]["location"]["name"] = PING
    server.launches = [launch]
    server.events, server.dockings, server.details = [], [], {}
    await server.start()
    yield server
    await server.close()


def texts(result: Any) -> str:
    parts = [result.content or ""]
    for embed in result.embeds:
        parts += [embed.get("title", ""), embed.get("description", ""), (embed.get("footer") or {}).get("text", "")]
        parts += [f["name"] + f["value"] for f in embed.get("fields", [])]
    return "\n".join(parts)


async def test_hostile_upstream_text_pings_no_one_and_stays_within_limits_everywhere(
    tminus_bot: BotOnFake, hostile_ll2: FakeLL2
) -> None:
    fake, bot = tminus_bot
    settings = Settings(ll2_base_url=hostile_ll2.base_url, db_path=bot.db.path, _env_file=None)  # type: ignore[call-arg]
    async with aiohttp.ClientSession() as session:
        sync = LL2Sync(bot.db, session, settings, bot.changes, now=wall, options=LL2Options(fetch_details=False))
        report = await sync.sync_once()
    assert report.ok, report.summary()
    assert report.fetched["launches"] == 1
    scene = fake.scene
    where = {"user": scene.member, "guild": scene.guild, "channel": scene.general}
    shown = [
        await fake.slash("nextlaunch", **where),
        await fake.slash("launches", **where),
        await fake.slash("launch", options={"name": "everyone"}, **where),
    ]
    for result in shown:
        assert result.embeds, texts(result)
        for embed in result.embeds:
            assert embed_length(embed) <= 6000
        text = texts(result)
        assert "@everyone" not in text
        assert "@here" not in text
        assert re.search(r"<@[!&]?\d+>", text) is None  # no mention in a form Discord would resolve
        body = "\n".join(
            e.get("description", "") + "".join(f["value"] for f in e.get("fields", [])) for e in result.embeds
        )
        assert re.search(r"(?<!\\)\[click\]\(", body) is None  # markdown links from upstream are escaped, not live
    calendar = await fake.slash("calendar", **where)
    (raw,) = fake.attachment_bytes(calendar.message or {}).values()
    events = list(icalendar.Calendar.from_ical(raw).walk("VEVENT"))
    assert len(events) == 1  # the injected END/BEGIN:VEVENT is text inside the one event, not a second event
    assert "injected" not in [str(e.get("SUMMARY")) for e in events]
    assert all(len(line) <= 75 for line in raw.decode().split("\r\n"))  # folded as RFC 5545 says
    callbacks = fake.requests_to("POST", "/interactions/{interaction_id}/{interaction_token}/callback")
    mentions = [(r.body or {}).get("data", {}).get("allowed_mentions") for r in callbacks if r.body]
    assert mentions
    assert all(m == {"parse": []} for m in mentions)


def assert_inert(text: str, where: str, *, markdown: bool) -> None:
    """No live mention in any form Discord resolves; where markdown renders, no live link from upstream."""
    assert re.search(r"@(everyone|here)", text) is None, where
    assert re.search(r"<@[!&]?\d+>", text) is None, where
    if markdown:
        assert re.search(r"(?<!\\)\[click\]\(", text) is None, where
        assert re.search(r"(?<!\\)\*\*FREE", text) is None, where


def assert_message_inert(message: dict[str, Any], where: str) -> None:
    """Content, embed descriptions and field values render markdown; titles, footers and field names do not (as
    for browsing: there only mentions are broken)."""
    rendered = [message.get("content") or ""]
    plain: list[str] = []
    for embed in message.get("embeds") or []:
        rendered += [embed.get("description", "")] + [f["value"] for f in embed.get("fields", [])]
        plain += [embed.get("title", ""), (embed.get("footer") or {}).get("text", "")]
        plain += [f["name"] for f in embed.get("fields", [])]
    assert_inert("\n".join(rendered), where, markdown=True)
    assert_inert("\n".join(plain), where, markdown=False)


async def test_hostile_upstream_text_is_inert_in_alerts_posts_threads_events_and_digests(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    fake = fake_discord
    scene = fake.scene
    bot_role(fake).permissions = DEFAULT_EVERYONE | MANAGE_EVENTS | CREATE_PUBLIC_THREADS | SEND_MESSAGES_IN_THREADS
    clock = ManualClock(START)
    liftoff = START + timedelta(hours=3)
    hostile = launch(
        "hostile", liftoff, name=LONG[:10_000], description=LONG[:10_000], mission=LONG[:5000], location=PING
    )
    async with bot_on_manual_clock(fake, tmp_path / "t.sqlite3", clock) as bot:

        async def slash(command: str, user: User, **options: Any) -> None:
            answer = await fake.slash(command, user=user, guild=scene.guild, channel=scene.general, options=options)
            assert answer.content is not None
            assert "Sorry" not in answer.content, (command, answer.content)

        await slash("subscribe", scene.member, what="liftoff", leads="1h")
        await slash("alerts add", scene.moderator, channel=scene.general, what="liftoff", leads="1h")
        await slash("alerts add", scene.moderator, channel=scene.forum, what="liftoff", leads="1h")
        await slash("digest daily", scene.member, time="13:00")
        await slash("digest daily", scene.moderator, time="13:00", channel=scene.announcements)
        # A plain launch after it: the hostile name must not push its line out of the digests.
        await store(bot, hostile, launch("plain", liftoff + timedelta(hours=1), name="Electron | Owl Night"))
        await slash("alerts events on", scene.moderator)
        await cast(Any, bot.get_cog("ServerAlerts")).mirror.reconcile()
        # The digests' slot (13:00), then the alerts' (T-1h, 14:00).
        clock.set(START + timedelta(hours=1))
        for digest in await digest_store.all_digests(bot.db):
            await cast(Any, bot.get_cog("Digest")).service.fire(digest.id)
        clock.set(liftoff - timedelta(hours=1))
        report = await bot.alerts.run(due_by=to_epoch(liftoff - timedelta(hours=1)))
        # The DM, the text channel's post and the forum post (the engine may have sent them already).
        await fake.wait_for(lambda: len(fake.ledger.deliveries) == 2 + 3, timeout_s=10.0)
        assert report.alerts.failed == 0

    dms = [d for d in fake.ledger.deliveries if d.recipient_id == scene.member.id]
    assert len(dms) == 2  # the digest and the alert
    for d in dms:
        assert_inert(d.content, "a DM", markdown=True)
        assert len(d.content) <= 2000
    alert = next(d.content for d in dms if "T-1h" in d.content)
    assert f"<t:{to_epoch(liftoff)}:F>" in alert, "the time survives a 10,000-character name"
    for channel in (scene.general, scene.announcements):
        (message,) = [fake.world.messages[channel.id][d.message_id] for d in fake.ledger.in_channel(channel.id)]
        assert_message_inert(message, f"a post in #{channel.name}")
    digests = [d.content for d in fake.ledger.deliveries if d.content.startswith("🗓️")]
    assert len(digests) == 2
    assert all("Owl Night" in text and f"<t:{to_epoch(liftoff)}:R>" in text for text in digests)
    (thread,) = [c for c in fake.world.channels.values() if c.parent_id == scene.forum.id]
    assert thread.name
    assert_inert(thread.name, "the forum post's title", markdown=False)
    for message in fake.world.messages[thread.id].values():
        assert_message_inert(message, "the forum post")
    (event,) = [e for e in scene.guild.scheduled_events.values() if "everyone" in e["name"]]
    assert_inert(event["name"], "the Scheduled Event's name", markdown=False)
    assert_inert(event.get("description") or "", "the Scheduled Event's description", markdown=True)
    # Every body above went through the fake's spec check (lengths included): a violation fails the fixture.

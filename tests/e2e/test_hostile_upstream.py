"""Upstream text (issue 15): a Launch Library 2 record whose name, mission description and pad carry
``@everyone``, role and user mentions, markdown, an iCalendar line break injection and 10,000 characters, taken
through the real sync into the bot's database and shown by every command that shows LL2 data (embeds, lists,
details, the ``.ics`` file). Nothing pings, every message stays within Discord's limits (the fake fails the
test on any violation), and the calendar holds one event per milestone and nothing injected.
"""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import icalendar
import pytest

from bot.bot import TMinusBot
from bot.config import Settings
from bot.ll2.sync import LL2Options, LL2Sync
from bot.render import embed_length
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene
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

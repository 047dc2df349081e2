"""Crash test for channel alerts: the bot as a real process, SIGKILLed at random points of a fan-out to 200
channels (text, announcement and forum), then started cleanly.

Afterwards every channel has exactly one post for the alert (forums: exactly one post, holding that alert),
none is lost, nothing is posted twice, and every outbox row is marked sent with the message Discord made.
"""

from __future__ import annotations

import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.alerts.rules import WHAT_KINDS
from bot.channel_alerts import ChannelKind
from bot.db import Database
from bot.db import channel_alerts as channel_store
from bot.db.events import to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source
from tests.e2e.crash_helpers import kill_during_fan_out
from tests.fakediscord.launcher import BotProcess, FakeProcess

TEXT, ANNOUNCEMENT, FORUM = 160, 20, 20
CHANNELS = TEXT + ANNOUNCEMENT + FORUM
KILLS = 3
# Well above Discord's 50/s so the test takes seconds; pacing is what the alert benchmark measures.
GLOBAL_LIMIT = 200
KINDS = {0: ChannelKind.TEXT, 5: ChannelKind.ANNOUNCEMENT, 15: ChannelKind.FORUM}


async def make_channels(fake: FakeProcess) -> dict[int, int]:
    """Channel id -> Discord channel type, in the scene's guild."""
    made: dict[int, int] = {}
    for n, kind in enumerate([0] * TEXT + [5] * ANNOUNCEMENT + [15] * FORUM):
        body = {"guild_id": fake.scene["guild"], "name": f"alerts-{n}", "type": kind}
        made[int((await fake.control.request("POST", "/channels", body))["id"])] = kind
    return made


async def seed(db_path: Path, fake: FakeProcess, channels: dict[int, int]) -> None:
    """Channel alerts added a day ago, one launch whose 1 h alert is due in a few seconds."""
    now = datetime.now(UTC)
    fire = now + timedelta(seconds=4)
    guild = int(fake.scene["guild"])
    admin = int(fake.scene["moderator"])
    async with Database(db_path) as db:
        launch = Event(
            Source.LL2, "launch:crash", EventType.LAUNCH, "Falcon 9 | Channel Crash Test", EventStatus.GO,
            (Milestone(MilestoneKind.LIFTOFF, fire + timedelta(hours=1)),), mission_key="launch:crash",
        )  # fmt: skip
        await upsert_events(db, [launch], feed="launches", now=now - timedelta(days=1))
        day_ago = to_epoch(now - timedelta(days=1))
        for n, (channel_id, kind) in enumerate(channels.items()):
            # 200 in one server: past the product's 25 per server, so the limit is lifted for the test.
            await channel_store.add_channel_subscription(
                db,
                added_by=admin,
                guild_id=guild,
                channel_id=channel_id,
                kind=KINDS[kind],
                role_id=None,
                what="liftoff",
                kinds=WHAT_KINDS["liftoff"],
                leads=(3_600,),
                match=None,
                now=day_ago + n,
                limit=None,
            )


async def test_sigkill_during_a_fan_out_to_200_channels_posts_each_exactly_once(tmp_path: Path) -> None:
    seed_value = int(time.time())
    rng = random.Random(seed_value)
    async with FakeProcess(scene=True, global_limit=GLOBAL_LIMIT) as fake:
        channels = await make_channels(fake)
        db_path = tmp_path / "tminus.sqlite3"
        await seed(db_path, fake, channels)
        bot = BotProcess(fake, db_path, env={"DISCORD_GLOBAL_RATE_LIMIT": str(GLOBAL_LIMIT)})
        thresholds = sorted(rng.sample(range(10, CHANNELS - 30), KILLS))
        kills_at = await kill_during_fan_out(
            fake,
            bot,
            thresholds=thresholds,
            total=CHANNELS,
            rng=rng,
            max_pause_s=0.02,
            seed=seed_value,
            what="channel",
        )
        ledger = await fake.control.request("GET", "/ledger", query={"deliveries": "1"})
    assert len(kills_at) == KILLS
    assert kills_at[-1] < CHANNELS, f"the last kill came after the fan-out (seed {seed_value})"
    assert ledger["duplicates"] == [], f"seed {seed_value}"
    assert ledger["deliveries"] == CHANNELS
    per_channel: dict[int, int] = {}
    for d in ledger["entries"]:  # a forum's alert is in its post (a thread): one entry per channel or post
        per_channel[int(d["channel_id"])] = per_channel.get(int(d["channel_id"]), 0) + 1
    assert set(per_channel.values()) == {1}, "none twice"
    assert len(per_channel) == CHANNELS, "none lost"
    with sqlite3.connect(db_path) as conn:
        states = dict(conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
        no_id = conn.execute("SELECT count(*) FROM deliveries WHERE message_id IS NULL").fetchone()[0]
        forum_posts = conn.execute("SELECT count(*), count(DISTINCT thread_id) FROM forum_posts").fetchone()
    assert states == {"sent": CHANNELS}
    assert no_id == 0
    assert forum_posts == (FORUM, FORUM), "one post per forum"

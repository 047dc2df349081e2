"""Crash test: the bot as a real process, SIGKILLed five times at random points of a 2,000-recipient fan-out.

After a clean last start every recipient has exactly one message for the alert (counted in the fake's
ledger), none is lost, and every outbox row is marked sent with the message Discord made.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.alerts.rules import WHAT_KINDS
from bot.db import Database
from bot.db import alerts as store
from bot.db.events import to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source
from tests.e2e.crash_helpers import at_least, delivered, kill_during_fan_out
from tests.fakediscord.launcher import BotProcess, FakeProcess

RECIPIENTS = 2_000
KILLS = 5
# Well above Discord's 50/s so the test takes seconds, not minutes; pacing is what the benchmark measures.
GLOBAL_LIMIT = 400


async def seed(db_path: Path, fake: FakeProcess, users: list[int]) -> int:
    """Subscriptions made a day ago, DM channels known, one launch whose 1 h alert is due in a few seconds."""
    now = datetime.now(UTC)
    fire = now + timedelta(seconds=3)
    channels = [int((await fake.control.request("POST", "/dms", {"user_id": str(u)}))["id"]) for u in users]
    async with Database(db_path) as db:
        launch = Event(
            Source.LL2, "launch:crash", EventType.LAUNCH, "Falcon 9 | Crash Test", EventStatus.GO,
            (Milestone(MilestoneKind.LIFTOFF, fire + timedelta(hours=1)),),
        )  # fmt: skip
        await upsert_events(db, [launch], feed="launches", now=now - timedelta(days=1))
        day_ago = to_epoch(now - timedelta(days=1))
        for n, user in enumerate(users):
            await store.add_subscription(
                db, owner_id=user, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=(3_600,), now=day_ago + n
            )
        async with db.transaction() as conn:
            await conn.executemany(
                "UPDATE alert_recipients SET dm_channel_id = ? WHERE user_id = ?",
                list(zip(channels, users, strict=True)),
            )
    return to_epoch(fire)


async def test_sigkill_five_times_during_a_fan_out_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    seed_value = int(time.time())
    rng = random.Random(seed_value)
    async with FakeProcess(scene=True, global_limit=GLOBAL_LIMIT) as fake:
        users = [
            int(u)
            for u in (await fake.control.request("POST", "/users", {"username": "fan", "count": RECIPIENTS}))["ids"]
        ]
        db_path = tmp_path / "tminus.sqlite3"
        await seed(db_path, fake, users)
        bot = BotProcess(fake, db_path, env={"DISCORD_GLOBAL_RATE_LIMIT": str(GLOBAL_LIMIT)})
        thresholds = sorted(rng.sample(range(50, RECIPIENTS - 50), KILLS))
        kills_at = await kill_during_fan_out(
            fake,
            bot,
            thresholds=thresholds,
            total=RECIPIENTS,
            rng=rng,
            max_pause_s=0.05,
            seed=seed_value,
            what="recipient",
        )
        ledger = await fake.control.ledger()
    assert len(kills_at) == KILLS
    assert kills_at == sorted(kills_at)
    assert kills_at[-1] < RECIPIENTS, f"the last kill came after the fan-out (seed {seed_value})"
    assert ledger["duplicates"] == [], f"seed {seed_value}"
    per_recipient = {int(k): v for k, v in ledger["per_recipient"].items()}
    assert set(per_recipient) == set(users), "none lost"
    assert set(per_recipient.values()) == {1}, "none twice"
    with sqlite3.connect(db_path) as conn:
        states = dict(conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
        no_id = conn.execute("SELECT count(*) FROM deliveries WHERE message_id IS NULL").fetchone()[0]
    assert states == {"sent": RECIPIENTS}
    assert no_id == 0


async def test_sigterm_during_a_fan_out_stops_cleanly_and_the_next_start_finishes_it(tmp_path: Path) -> None:
    recipients = 300
    async with FakeProcess(scene=True, global_limit=50) as fake:
        users = [
            int(u)
            for u in (await fake.control.request("POST", "/users", {"username": "fan", "count": recipients}))["ids"]
        ]
        db_path = tmp_path / "tminus.sqlite3"
        await seed(db_path, fake, users)
        bot = BotProcess(fake, db_path)
        try:
            await bot.start()
            await fake.control.wait_for(lambda: at_least(fake, 100), 60.0, "no progress")
            started = time.monotonic()
            await bot.stop(timeout_s=20.0)
            assert bot.returncode == 0
            assert time.monotonic() - started < 15
            stopped_at = await delivered(fake)
            assert stopped_at < recipients, "stopped mid-fan-out"
            assert "Traceback" not in bot.log
            with sqlite3.connect(db_path) as conn:
                sent = conn.execute("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetchone()[0]
            assert sent == stopped_at, "every DM Discord confirmed before the stop is recorded as sent"
            await bot.start()
            await fake.control.wait_for(lambda: at_least(fake, recipients), 60.0, "the restart did not finish it")
            await asyncio.sleep(1.0)
        finally:
            await bot.stop()
        ledger = await fake.control.ledger()
    assert ledger["duplicates"] == []
    assert set(ledger["per_recipient"].values()) == {1}
    assert len(ledger["per_recipient"]) == recipients

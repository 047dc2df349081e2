"""Faults during an alert fan-out (issue 15): the real bot and its alert engine, in process, on the fake Discord
(real discord.py client, real SQLite file). Each test fans one alert out to a few hundred DM recipients while
something fails, then checks the fake's ledger (every recipient exactly one message, none twice), the outbox
(every row sent, with the message Discord made) and, where it matters, the fake's request log.

- the gateway dropped, told to RECONNECT or INVALID_SESSION mid-fan-out;
- Discord answering 5xx on the message route for 10 minutes of (time-machine) time, then a storm of 429s with
  ``retry_after`` up to 60 s: no retry storm, ``retry_after`` honoured, alerts late-marked, none lost;
- the database full (``PRAGMA max_page_count``) and locked by another process (``BEGIN IMMEDIATE``) mid-fan-out:
  reported once, ``integrity_check`` ok, nothing lost, finished once the fault is gone.

(A crash mid-fan-out, with the bot as a real process: ``tests/e2e/test_alert_crash.py``.)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from pydantic import SecretStr

from bot.alerts.dispatcher import WORKERS
from bot.alerts.jobs import RETRY_JOB
from bot.alerts.rules import WHAT_KINDS
from bot.bot import TMinusBot
from bot.config import Settings
from bot.db import alerts as store
from bot.db.database import Database, DatabaseError
from bot.db.events import to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source
from tests.cli_faults import WriteLockHolder, integrity_ok
from tests.e2e.test_alerts import START, settle
from tests.e2e.test_discord_faults import FAULTS
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running
from tests.fakediscord.ratelimit import Limit
from tests.fakediscord.world import User

MESSAGES = "/channels/{channel_id}/messages"
# Well above Discord's 50/s so a few hundred DMs take about a second; pacing is what bench/ measures.
RATE = 250
RECIPIENTS = 300


def fan_out_settings(fake: FakeDiscordWithScene, path: Path, **extra: object) -> Settings:
    return Settings(  # type: ignore[call-arg]
        discord_token=SecretStr(fake.token), db_path=path, ll2_base_url="http://127.0.0.1:1/2.3.0",
        default_timezone="UTC", dev_guild_id=None, discord_global_rate_limit=RATE, _env_file=None, **extra,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def fan_out_bot(fake: FakeDiscordWithScene, path: Path, **extra: object) -> AsyncIterator[TMinusBot]:
    """The real bot on ``fake``, READY, pacing its alerts at ``RATE`` (the fake enforces the same global limit)."""
    fake.set_rate_limits(global_limit=Limit(RATE, 1.0))
    bot = TMinusBot(fan_out_settings(fake, path, **extra))
    async with bot, bot_running(fake, bot):
        await settle(bot)  # the start-up reconcile is over before the test seeds
        yield bot


async def seed(fake: FakeDiscordWithScene, bot: TMinusBot, count: int) -> tuple[list[User], int]:
    """``count`` users subscribed a day ago (DM channels known), one launch whose 1 h alert is due in 2 s.

    Returns the users and the alert's fire time (epoch s). Written straight to the tables, as in the crash test:
    the engine is then run for that fire time, as its job would.
    """
    users = [fake.world.create_user(f"fan{n}") for n in range(count)]
    now = bot.clock.now()
    fire = now + timedelta(seconds=2)
    launch = Event(
        Source.LL2, "launch:faults", EventType.LAUNCH, "Falcon 9 | Fault Test", EventStatus.GO,
        (Milestone(MilestoneKind.LIFTOFF, fire + timedelta(hours=1)),),
    )  # fmt: skip
    await upsert_events(bot.db, [launch], feed="launches", now=now - timedelta(days=1))
    day_ago = to_epoch(now - timedelta(days=1))
    for n, user in enumerate(users):
        await store.add_subscription(
            bot.db, owner_id=user.id, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=(3_600,), now=day_ago + n
        )
    async with bot.db.transaction() as conn:
        await conn.executemany(
            "UPDATE alert_recipients SET dm_channel_id = ? WHERE user_id = ?",
            [(fake.world.dm_channel(u).id, u.id) for u in users],
        )
    return users, to_epoch(fire)


async def assert_each_got_exactly_one(fake: FakeDiscordWithScene, bot: TMinusBot, users: list[User]) -> None:
    """The ledger: one message per recipient, no duplicate; the outbox: every row sent, with that message."""
    assert fake.ledger.duplicates() == []
    per_recipient = fake.ledger.per_recipient()
    assert set(per_recipient) == {u.id for u in users}, "none lost"
    assert set(per_recipient.values()) == {1}, "none twice"
    rows = await bot.db.fetchall("SELECT recipient_id, state, message_id FROM deliveries")
    assert {r[1] for r in rows} == {"sent"}, "every outbox row sent"
    made = {d.recipient_id: int(d.message_id) for d in fake.ledger.deliveries}
    assert {int(r[0]): r[2] for r in rows} == made, "each row holds the message Discord made"
    # The row says late exactly when the message did (a send delayed by an outage included).
    said_late = {d.recipient_id: "Late" in d.content for d in fake.ledger.deliveries}
    recorded = await bot.db.fetchall("SELECT recipient_id, late FROM deliveries")
    assert {int(r[0]): bool(r[1]) for r in recorded} == said_late, "deliveries.late agrees with the text sent"


def delivered(fake: FakeDiscordWithScene) -> int:
    return len(fake.ledger.deliveries)


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_a_gateway_fault_during_a_fan_out_leaves_every_recipient_exactly_one_message(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, fault: str
) -> None:
    fake = fake_discord
    async with fan_out_bot(fake, tmp_path / "t.sqlite3") as bot:
        users, fire = await seed(fake, bot, RECIPIENTS)
        sessions = fake.gateway.identifies + fake.gateway.resumes
        run = asyncio.create_task(bot.alerts.run(due_by=fire))
        await fake.wait_for(lambda: delivered(fake) >= RECIPIENTS // 4, timeout_s=10.0)
        await FAULTS[fault](fake)
        at_fault = delivered(fake)
        report = (await asyncio.wait_for(run, 30.0)).alerts
        await fake.gateway.wait_for(
            lambda: fake.gateway.identifies + fake.gateway.resumes > sessions and bool(fake.gateway.live_sessions),
            10.0,
        )
        await settle(bot)
        assert at_fault < RECIPIENTS, "the fault came during the fan-out"
        assert (report.sent, report.left, report.failed) == (RECIPIENTS, 0, 0)
        await assert_each_got_exactly_one(fake, bot, users)


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(START, tick=True) as t:
        yield t


OUTAGE_S = 600.0
# The 429 storm after the outage: each asks for a wait longer than discord.py may sleep (30 s), up to 60 s.
STORM = (60.0, 31.0, 45.0, 60.0, 38.0)
LATE_AFTER_S = 60


async def test_ten_minutes_of_5xx_then_a_429_storm_loses_nothing_and_sends_no_retry_storm(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, traveller: time_machine.Coordinates
) -> None:
    fake, recipients = fake_discord, 200
    async with fan_out_bot(fake, tmp_path / "t.sqlite3") as bot:
        users, fire = await seed(fake, bot, recipients)
        # The in-run retries (0.5, 1, 2 s) sleep in real time, which time-machine does not shorten: a tenth of
        # them keeps the test to seconds; the spacing under test is the retry job's, on the moved clock.
        bot.alerts.dispatcher.retry_delays = (0.05, 0.1, 0.2)
        t0 = fake.now_s()
        fake.fail("POST", MESSAGES, status=503, times=None, for_s=OUTAGE_S)
        for retry_after in STORM:  # answered only once the 503s stop (faults come before rate limits)
            fake.ratelimiter.force_429("POST", MESSAGES, retry_after=retry_after, scope="user")
        await bot.alerts.run(due_by=fire)  # the alert job's run
        runs = 1
        # The test is the scheduler: move the clock to each retry the engine asked for and let it run.
        while delivered(fake) < recipients:
            job = bot.scheduler.get_job(RETRY_JOB)
            assert job is not None, f"rows left pending with no retry (after {runs} runs)"
            assert runs < 40, "never finished"
            traveller.move_to(job.next_run_time)
            await settle(bot)
            runs += 1
        await settle(bot)
        await assert_each_got_exactly_one(fake, bot, users)
        route = sorted(fake.requests_to("POST", MESSAGES), key=lambda r: r.at)
        outage = [r for r in route if r.at < t0 + OUTAGE_S]
        assert outage
        assert all(r.status == 503 for r in outage)
        # No hammering while Discord is down: one paced burst, then a lone probe per retry, spaced out.
        bursts = _bursts([r.at for r in outage], gap_s=10.0)
        assert len(outage) <= WORKERS + 4 * len(bursts), [len(b) for b in bursts]
        assert len(outage) < recipients // 2, "fewer requests in 10 minutes than there are recipients"
        assert len(bursts) <= 10, f"{len(bursts)} retry bursts in 10 minutes"
        assert all(b[0] - a[-1] >= 29.0 for a, b in itertools.pairwise(bursts)), "retries spaced"
        # Each 429's retry_after is honoured: the next request on the route waits at least that long.
        limited = [i for i, r in enumerate(route) if r.status == 429]
        assert len(limited) == len(STORM)
        for i, retry_after in zip(limited, STORM, strict=True):
            assert route[i + 1].at - route[i].at >= retry_after - 0.5, (i, retry_after)
        assert len(route) <= recipients + len(outage) + len(STORM), "no request beyond one per DM and the probes"
        # On time or marked late: everything here went out after the outage, so it all says late.
        for d in fake.ledger.deliveries:
            assert ("Late" in d.content) == (d.at > fire + LATE_AFTER_S), d.content
        assert all(d.at > fire + LATE_AFTER_S for d in fake.ledger.deliveries), "the outage began before the fire time"
        storm_end = max(route[i].at + r for i, r in zip(limited, STORM, strict=True))
        last = max(d.at for d in fake.ledger.deliveries)
        assert last - storm_end <= 2 * 60 + 5, "caught up within the longest retry wait of the storm's end"


def _bursts(times: list[float], *, gap_s: float) -> list[list[float]]:
    """Group sorted times into bursts separated by more than ``gap_s``."""
    groups: list[list[float]] = []
    for t in times:
        if groups and t - groups[-1][-1] <= gap_s:
            groups[-1].append(t)
        else:
            groups.append([t])
    return groups


async def fill_up(db: Database) -> None:
    """Insert filler rows until the file cannot take another."""
    refused = ""
    for _ in range(10_000):
        try:
            await db.execute("INSERT INTO filler VALUES (zeroblob(2000))")
        except DatabaseError as exc:
            refused = str(exc)
            break
    assert "full" in refused, "the database never filled up"


def _faults_reported(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelno == logging.ERROR and "alert storage fault" in r.getMessage()
    ]


async def test_a_full_database_during_a_fan_out_is_reported_once_loses_nothing_and_recovers(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake, path = fake_discord, tmp_path / "t.sqlite3"
    caplog.set_level(logging.INFO)
    async with fan_out_bot(fake, path) as bot:
        users, fire = await seed(fake, bot, RECIPIENTS)
        await bot.db.execute("CREATE TABLE filler (blob BLOB)")  # test-only: takes the room left in the file
        run = asyncio.create_task(bot.alerts.run(due_by=fire))
        await fake.wait_for(lambda: delivered(fake) >= RECIPIENTS // 4, timeout_s=10.0)
        (pages,) = await bot.db.fetchone("PRAGMA page_count") or (0,)
        await bot.db.execute(f"PRAGMA max_page_count = {int(pages)}")  # the disk is full: the file cannot grow
        await fill_up(bot.db)
        await asyncio.wait_for(run, 30.0)
        at_fault = delivered(fake)
        assert at_fault < RECIPIENTS, "the fan-out stopped at the fault, it did not carry on unrecorded"
        assert bot.scheduler.get_job(RETRY_JOB) is not None
        await bot.alerts.run(due_by=fire)  # the retry job, the disk still full
        assert len(_faults_reported(caplog)) == 1, "one line per episode"
        assert "full" in _faults_reported(caplog)[0]
        assert integrity_ok(path)
        pending = await bot.db.fetchall("SELECT count(*) FROM deliveries WHERE state = 'pending'")
        assert pending[0][0] > 0
        (rows,) = await bot.db.fetchone("SELECT count(*) FROM deliveries") or (0,)
        assert rows == RECIPIENTS, "no outbox row lost"
        # Room again: the next retry finishes the fan-out, without a restart and without a second message.
        await bot.db.execute("PRAGMA max_page_count = 1073741823")
        await bot.db.execute("DROP TABLE filler")
        await bot.alerts.run(due_by=fire)
        await settle(bot)
        await assert_each_got_exactly_one(fake, bot, users)
        assert any("alert storage fault over" in r.getMessage() for r in caplog.records)
        assert len(_faults_reported(caplog)) == 1
    assert integrity_ok(path)


async def test_a_database_locked_by_another_process_during_a_fan_out_is_waited_out_and_loses_nothing(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fake, path = fake_discord, tmp_path / "t.sqlite3"
    caplog.set_level(logging.INFO)
    # SQLite gives up at once, so the bot's own retry (one line per busy episode) is what waits.
    async with fan_out_bot(fake, path, db_busy_timeout=0.05) as bot:
        users, fire = await seed(fake, bot, RECIPIENTS)
        run = asyncio.create_task(bot.alerts.run(due_by=fire))
        await fake.wait_for(lambda: delivered(fake) >= RECIPIENTS // 4, timeout_s=10.0)
        with WriteLockHolder(path) as holder:
            await asyncio.sleep(1.0)  # long enough for the fan-out's writes to be waiting for the lock
            recorded_while_locked, made_while_locked = await _sent_rows(path), delivered(fake)
            assert not run.done(), "the run cannot end before its writes are made"
            holder.release()
        report = (await asyncio.wait_for(run, 30.0)).alerts
        await settle(bot)
        assert recorded_while_locked < made_while_locked, "sends confirmed while locked were waiting to be written"
        assert (report.sent, report.left, report.failed, report.storage_fault) == (RECIPIENTS, 0, 0, None)
        await assert_each_got_exactly_one(fake, bot, users)
    busy = [r.getMessage() for r in caplog.records if r.name == "bot.db.database" and "is busy" in r.getMessage()]
    again = [r.getMessage() for r in caplog.records if r.name == "bot.db.database" and "usable again" in r.getMessage()]
    assert (len(busy), len(again)) == (1, 1), "reported once when it starts and once when it ends"
    assert integrity_ok(path)


async def _sent_rows(path: Path) -> int:
    """What another reader sees in the file (the lock holder allows reads: WAL)."""
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetchone()[0])

"""Start-up at full size: ``python -m bot run`` on a database of 20,000 milestones and 100,000 subscriptions,
against the fake Discord in its own process, timed from spawning the process until it answers a slash command
with every job armed; and the bot's resident memory then.

Targets (issue 15): ≤ 3 s to READY with every job armed, ≤ 200 MB resident. "Every job armed" is the later of
two log lines the bot prints once its start-up work is done: ``alerts armed: N alert jobs`` (bot/alerts/engine.py,
after the start-up reconcile made the jobs of every fire time in the planner's window, and the reconcile timer)
and ``digests armed: N digest jobs`` (cogs/digest.py, after the digest jobs and the catch-up). Both counts are
checked against what the seed implies (bench/population.py works the fire times out on its own), so a start-up
that armed nothing cannot pass. The first answered command (/about) is timed too: discord.py answers commands
before it dispatches READY (it waits ``guild_ready_timeout``, 2 s, after the last GUILD_CREATE).

The schedule is bench/schedule.py's (the browsing benchmarks'), moved to start 90 minutes from now; the
subscribers were made a day ago.

Run: python -m bench.bench_startup [--subscriptions N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import population
from bench.figures import Figure
from bench.schedule import NOW, fill, schedule
from bot.alerts.planner import HORIZON_SECONDS
from bot.db import Database
from bot.db.events import to_epoch
from tests.fakediscord.launcher import BotProcess, ControlRequestError, FakeProcess

TARGET_S = 3.0
TARGET_MB = 200.0
ALERTS_ARMED = re.compile(r"alerts armed: (\d+) alert jobs")
DIGESTS_ARMED = re.compile(r"digests armed: (\d+) digest jobs")
TIMEOUT_S = 120.0


@dataclass
class Startup:
    """What one start-up measured."""

    answered_s: float  # spawn to the first answered command
    armed_s: float  # spawn to both "armed" lines
    memory_mb: float  # resident memory once armed
    cpu_s: float  # the bot's CPU time once armed
    alert_jobs: int
    digest_jobs: int
    expected_alert_jobs: tuple[int, int]  # the seed's fire times, fewest and most (the window's edges move)
    expected_digest_jobs: int
    milestones: int
    subscriptions: int

    @property
    def ready_s(self) -> float:
        """Answering commands with every job armed."""
        return max(self.answered_s, self.armed_s)


def cpu_s(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used, from /proc: the work itself, whatever else
    the machine is doing."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


async def measure(subscriptions: int) -> Startup:
    """Seed, start the bot, wait for the first answer and both armed lines; check the counts."""
    shift = datetime.now(UTC) - NOW + timedelta(minutes=30)  # the first milestone 90 min from now
    events = schedule(shift=shift)
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "tminus.sqlite3"
        async with Database(db_path) as db:
            milestones = await fill(db, shift)
            since = to_epoch(datetime.now(UTC))  # the milestones' rows exist from now on
            pop = await population.seed(db, events, NOW + shift, subscriptions) if subscriptions else None
        async with FakeProcess() as fake:
            bot = BotProcess(fake, db_path)
            scene = fake.scene
            spawned = time.time()
            start = time.perf_counter()
            await bot.start(timeout_s=TIMEOUT_S)
            try:
                answered, armed = await asyncio.gather(first_answer(fake, scene, start), both_armed(bot, start))
                armed_at = time.time()
                assert bot.process is not None
                memory = rss_mb(bot.process.pid)
                cpu = cpu_s(bot.process.pid)
            finally:
                await bot.stop()
    (armed_s, alert_jobs, digest_jobs) = armed
    if pop is None:
        expected, digests = (0, 0), 0
    else:
        horizon = HORIZON_SECONDS
        # The bot's "now" lies between spawning and the armed line: fire times sure to be in its window, and
        # those that may be.
        sure = pop.fire_times(events, since=since, after=int(armed_at) + 1, until=int(spawned) + horizon)
        maybe = pop.fire_times(events, since=since, after=int(spawned) - 1, until=int(armed_at) + 1 + horizon)
        expected, digests = (len(sure), len(maybe)), pop.digests
    result = Startup(
        answered, armed_s, memory, cpu, alert_jobs, digest_jobs, expected, digests, milestones,
        pop.total if pop else 0,
    )  # fmt: skip
    if not expected[0] <= alert_jobs <= expected[1] or digest_jobs != digests:
        raise SystemExit(
            f"the bot armed {alert_jobs} alert jobs and {digest_jobs} digest jobs; the seed implies "
            f"{expected[0]}-{expected[1]} and {digests}"
        )
    return result


async def first_answer(fake: FakeProcess, scene: dict[str, str], start: float) -> float:
    """Seconds from ``start`` to the first /about answered."""
    while True:
        try:
            answer = await fake.control.slash("about", user_id=scene["member"], guild_id=scene["guild"], timeout_s=2.0)
        except ControlRequestError:
            await asyncio.sleep(0.02)  # not connected yet, or the tree not synced
            continue
        if answer.get("type") == 4:
            return time.perf_counter() - start


async def both_armed(bot: BotProcess, start: float) -> tuple[float, int, int]:
    """Seconds from ``start`` to both armed lines in the bot's log, and their job counts."""
    while time.perf_counter() - start < TIMEOUT_S:
        log = bot.log
        alerts, digests = ALERTS_ARMED.search(log), DIGESTS_ARMED.search(log)
        if alerts and digests:
            return time.perf_counter() - start, int(alerts[1]), int(digests[1])
        if not bot.running:
            raise RuntimeError(f"the bot exited:\n{log[-3000:]}")
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no 'armed' lines after {TIMEOUT_S:.0f} s:\n{bot.log[-3000:]}")


def report(r: Startup) -> None:
    print(f"{r.milestones:,} milestones, {r.subscriptions:,} subscriptions")
    print(f"spawn to first answered command: {r.answered_s:.2f} s")
    print(
        f"spawn to every job armed: {r.armed_s:.2f} s ({r.alert_jobs} alert jobs, seed implies "
        f"{r.expected_alert_jobs[0]}-{r.expected_alert_jobs[1]}; "
        f"{r.digest_jobs} digest jobs of {r.expected_digest_jobs})"
    )
    print(f"the bot's CPU time then (user + system): {r.cpu_s:.2f} s")
    print(f"ready with every job armed: {r.ready_s:.2f} s (ratio to {TARGET_S:.0f} s: {r.ready_s / TARGET_S:.2f})")
    print(f"resident memory then: {r.memory_mb:.0f} MB (ratio to {TARGET_MB:.0f} MB: {r.memory_mb / TARGET_MB:.2f})")


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: start-up time and resident memory at full size (quick: 10,000 subscriptions)."""
    r = await measure(10_000 if quick else population.SUBSCRIPTIONS)
    with contextlib.redirect_stdout(sys.stderr):
        report(r)
    why = f"{r.milestones:,} milestones, {r.subscriptions:,} subscriptions, {r.alert_jobs} alert jobs armed"
    return [
        Figure("start-up to answering with every job armed", r.ready_s, "s", TARGET_S,
               note=f"{why}; first command answered at {r.answered_s:.2f} s; bot CPU {r.cpu_s:.2f} s"),
        Figure("resident memory with every job armed", r.memory_mb, "MB", TARGET_MB, note=why),
    ]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=population.SUBSCRIPTIONS)
    args = parser.parse_args()
    report(asyncio.run(measure(args.subscriptions)))

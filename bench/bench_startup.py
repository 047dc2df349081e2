"""Start-up at full size: ``python -m bot run`` on a database of 20,000 milestones, against the fake Discord in
its own process, timed from spawning the process to the first slash command answered; and the bot's resident
memory then.

Targets (issue 15): ≤ 3 s to READY with every job armed, ≤ 200 MB resident, at 20,000 milestones and 100,000
subscriptions. The alert engine (issue 10) is not on ``main`` yet, so there are no subscriptions or jobs to arm:
this measures the 20,000 milestones alone until it lands (then seed 100,000 subscriptions here too).
discord.py waits ``guild_ready_timeout`` (2 s) after the last GUILD_CREATE before it dispatches READY, but it
answers commands before that; the first answered command is what a user sees.

Run: python -m bench.bench_startup [--milestones N]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.bench_repository import NOW, make_events
from bench.figures import Figure
from bot.db import Database
from bot.db.events import upsert_events
from tests.fakediscord.launcher import BotProcess, ControlRequestError, FakeProcess

TARGET_S = 3.0
TARGET_MB = 200.0


async def seed(path: Path, milestones: int) -> None:
    """``milestones`` upcoming milestones (a liftoff and a coverage start per launch), from an hour from now."""
    shift = datetime.now(UTC) - NOW + timedelta(hours=1)
    async with Database(path) as db:
        events = make_events(milestones // 2, shift)
        for i in range(0, len(events), 1000):
            await upsert_events(db, events[i : i + 1000], feed="launches", now=datetime.now(UTC))


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


async def measure(milestones: int) -> tuple[float, float]:
    """(seconds from spawn to the first answered command, resident MB then)."""
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "tminus.sqlite3"
        await seed(db_path, milestones)
        async with FakeProcess() as fake:
            bot = BotProcess(fake, db_path)
            scene = fake.scene
            start = time.perf_counter()
            await bot.start()
            try:
                while True:
                    try:
                        answer = await fake.control.slash(
                            "about", user_id=scene["member"], guild_id=scene["guild"], timeout_s=2.0
                        )
                    except ControlRequestError:
                        await asyncio.sleep(0.02)  # not connected yet, or the tree not synced
                        continue
                    if answer.get("type") == 4:
                        break
                elapsed = time.perf_counter() - start
                assert bot.process is not None
                memory = rss_mb(bot.process.pid)
            finally:
                await bot.stop()
    return elapsed, memory


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: start-up time and resident memory at full size (2,000 milestones when quick)."""
    n = 2000 if quick else 20000
    elapsed, memory = await measure(n)
    why = f"{n:,} milestones; no subscriptions or jobs until the alert engine lands"
    return [
        Figure("start-up to the first answered command", elapsed, "s", TARGET_S, note=why),
        Figure("resident memory after start-up", memory, "MB", TARGET_MB, note=why),
    ]


async def main(milestones: int) -> None:
    elapsed, memory = await measure(milestones)
    print(f"milestones: {milestones:,}")
    print(f"spawn to first answered command: {elapsed:.2f} s (ratio to {TARGET_S:.0f} s: {elapsed / TARGET_S:.2f})")
    print(f"resident memory: {memory:.0f} MB (ratio to {TARGET_MB:.0f} MB: {memory / TARGET_MB:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--milestones", type=int, default=20000)
    asyncio.run(main(parser.parse_args().milestones))

"""LL2 budget and freshness over a simulated day: a launch every 3 hours, the real sync loop (``step``) on an
injected clock against the fake LL2 (``tests/fakell2``).

Figures: the most requests in any rolling hour (limit ``LL2_REQUESTS_PER_HOUR``, 15), and the oldest the data
ever was within 2 hours before a T-0 (the time since the last successful sync, checked every minute; target
20 minutes, the interval the schedule promises near a milestone). Issue 13's focused polls near T-0 will
tighten the second; their own simulation joins this table when it lands.

Run: python -m bench.bench_ll2 [--hours H]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench.figures import Figure
from bot.config import Settings
from bot.db import Database
from bot.ll2.sync import LL2Sync
from tests.fakell2.server import FakeClock, FakeLL2

START = datetime(2020, 7, 22, 12, 0, tzinfo=UTC)
LIMIT = 15
FRESH_TARGET = timedelta(minutes=20)
NEAR = timedelta(hours=2)


async def simulate(hours: int) -> tuple[int, timedelta, int]:
    """(busiest rolling hour, oldest data age within 2 h of a T-0, syncs) over ``hours`` simulated hours."""
    clock = FakeClock(START)
    ll2 = FakeLL2(clock, limit_per_hour=LIMIT)
    await ll2.start()
    template = copy.deepcopy(ll2.launches[0])
    ll2.launches, ll2.events, ll2.dockings = [], [], []
    t0s = [START + timedelta(hours=3 * (i + 1)) for i in range(hours // 3 + 1)]
    for i, at in enumerate(t0s):
        rec = copy.deepcopy(template)
        rec.update(id=f"00000000-0000-0000-0000-{i:012d}", net=at.strftime("%Y-%m-%dT%H:%M:%SZ"))
        ll2.launches.append(rec)
    worst = timedelta(0)
    syncs = 0
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(ll2_base_url=ll2.base_url, db_path=Path(tmp) / "b.sqlite3", _env_file=None)  # type: ignore[call-arg]
            async with aiohttp.ClientSession() as session, Database(settings.db_path) as db:
                sync = LL2Sync(db, session, settings, None, now=clock)
                last_ok: datetime | None = None
                due = await sync.step()
                end = START + timedelta(hours=hours)
                while clock() < end:
                    if sync.last_report is not None and sync.last_report.ok:
                        last_ok = sync.last_report.started_at
                    if last_ok is not None and any(timedelta(0) <= at - clock() <= NEAR for at in t0s):
                        worst = max(worst, clock() - last_ok)
                    clock.advance(timedelta(minutes=1))
                    if clock() >= due:
                        due = await sync.step()
                        syncs += 1
    finally:
        await ll2.close()
    return ll2.max_in_any_hour(), worst, syncs


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: the busiest hour and the data age near T-0 over a simulated day (6 h quick)."""
    hours = 6 if quick else 24
    busiest, worst, syncs = await simulate(hours)
    note = f"simulated {hours} h, a launch every 3 h, {syncs} syncs"
    return [
        Figure("LL2 requests in the busiest rolling hour", busiest, "requests", LIMIT, note=note),
        Figure("oldest LL2 data within 2 h before a T-0", worst.total_seconds() / 60, "min",
               FRESH_TARGET.total_seconds() / 60, note=note),
    ]  # fmt: skip


async def main(hours: int) -> None:
    busiest, worst, syncs = await simulate(hours)
    print(f"simulated {hours} h, {syncs} syncs")
    print(f"busiest rolling hour: {busiest} requests (ratio to {LIMIT}: {busiest / LIMIT:.2f})")
    print(f"oldest data within 2 h of a T-0: {worst} (ratio to {FRESH_TARGET}: {worst / FRESH_TARGET:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=int, default=24)
    asyncio.run(main(parser.parse_args().hours))

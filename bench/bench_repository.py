"""Repository benchmark: a full sync's upsert and the /nextlaunch-style query, against the limits they must meet.

Limits:
- a whole sync's upsert must fit many times into the shortest LL2 poll gap (3600 s / 15 requests = 240 s);
- an upcoming-list query must answer far inside Discord's 3 s interaction acknowledgement deadline.

Run: python -m bench.bench_repository [--events N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.figures import Figure
from bot.db import Database
from bot.db.events import next_milestones, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source

NOW = datetime(2026, 11, 26, tzinfo=UTC)
POLL_GAP_S = 3600 / 15
INTERACTION_DEADLINE_S = 3.0


def make_events(n: int, shift: timedelta = timedelta(0)) -> list[Event]:
    events = []
    for i in range(n):
        at = NOW + timedelta(hours=3 * i) + shift
        events.append(
            Event(
                source=Source.LL2,
                source_id=f"launch:{i:06d}",
                type=EventType.LAUNCH,
                name=f"Falcon 9 Block 5 | Starlink Group {i}",
                status=EventStatus.GO,
                milestones=(
                    Milestone(MilestoneKind.LIFTOFF, at, Precision.SECOND),
                    Milestone(MilestoneKind.COVERAGE_START, at - timedelta(minutes=20)),
                ),
                provider="SpaceX",
                vehicle="Falcon 9 Block 5",
                location="Cape Canaveral SFS, FL, USA",
                webcast_urls=(f"https://example.org/live/{i}",),
            )
        )
    return events


async def timed(coro_factory: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await coro_factory()
    return time.perf_counter() - start


async def measure(n: int) -> tuple[float, float, float, list[float]]:
    """(first, unchanged, all-slipped upsert seconds, 200 next-10 query latencies) for ``n`` events."""
    with tempfile.TemporaryDirectory() as tmp:
        async with Database(Path(tmp) / "bench.sqlite3") as db:
            events = make_events(n)
            first = await timed(lambda: upsert_events(db, events, feed="launches", now=NOW))
            same = await timed(lambda: upsert_events(db, events, feed="launches", now=NOW))
            slipped = [replace(e, status=EventStatus.HOLD) for e in make_events(n, timedelta(minutes=30))]
            moved = await timed(lambda: upsert_events(db, slipped, feed="launches", now=NOW))
            latencies = []
            for _ in range(200):
                latencies.append(await timed(lambda: next_milestones(db, now=NOW, limit=10)))
    return first, same, moved, latencies


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: the worst upsert of a sync and the p99 of the upcoming query."""
    n = 100 if quick else 500
    first, same, moved, latencies = await measure(n)
    p99 = statistics.quantiles(latencies, n=100)[98]
    return [
        Figure(f"upsert of a {n}-event LL2 sync, worst of new/unchanged/slipped", max(first, same, moved), "s",
               POLL_GAP_S, note="limit: the shortest LL2 poll gap"),
        Figure("next 10 milestones query, p99 of 200", p99 * 1000, "ms", INTERACTION_DEADLINE_S * 1000,
               note="limit: Discord's 3 s acknowledgement deadline"),
    ]  # fmt: skip


async def main(n: int) -> None:
    first, same, moved, latencies = await measure(n)
    p99 = statistics.quantiles(latencies, n=100)[98]
    worst_sync = max(first, same, moved)
    print(f"events per sync: {n}")
    print(f"upsert new: {first * 1000:.1f} ms; unchanged: {same * 1000:.1f} ms; all slipped: {moved * 1000:.1f} ms")
    print(f"worst upsert / poll gap {POLL_GAP_S:.0f} s: ratio {worst_sync / POLL_GAP_S:.5f}")
    print(f"next 10 milestones: median {statistics.median(latencies) * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms")
    print(f"p99 query / {INTERACTION_DEADLINE_S:.0f} s interaction deadline: ratio {p99 / INTERACTION_DEADLINE_S:.5f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=500, help="events in one sync (default 500)")
    asyncio.run(main(parser.parse_args().events))

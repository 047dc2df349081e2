"""In-process browse queries at 20,000 upcoming milestones: every filter's page, p50/p99, against 5 ms.

What is timed is what a command does before it renders: bot.browse.fetch_page (counts, the planned page
query, the checks for a page before and after, the sync age). Every filter is measured, including ones that
match nothing and two broad filters that match nothing together. Wall time is what a user waits; on a busy
machine its p99 is mostly time spent waiting for a CPU, so the process CPU time per call (both threads: the
event loop and SQLite's) is printed beside it as the cost of the work itself.

Run: python -m bench.bench_browse [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.figures import Figure
from bench.schedule import NOW, db_size, fill
from bot.browse import Filters, View, fetch_page
from bot.db import Database

LIMIT_S = 0.005
CASES: list[tuple[str, View, Filters]] = [
    ("/nextlaunch", View.NEXT_LAUNCH, Filters()),
    ("/nextlaunch provider:spacex (half of all)", View.NEXT_LAUNCH, Filters(provider="spacex")),
    ("/nextlaunch provider:ula (abbreviation)", View.NEXT_LAUNCH, Filters(provider="ula")),
    ("/nextlaunch provider:startup aerospace 7", View.NEXT_LAUNCH, Filters(provider="startup aerospace 7")),
    ("/nextlaunch provider:nobody (no match)", View.NEXT_LAUNCH, Filters(provider="nobody")),
    ("/nextlaunch rocket:electron", View.NEXT_LAUNCH, Filters(rocket="electron")),
    ("/nextlaunch location:vandenberg", View.NEXT_LAUNCH, Filters(location="vandenberg")),
    ("/nextlaunch spacex + mahia (none together)", View.NEXT_LAUNCH, Filters(provider="spacex", location="mahia")),
    (
        "/nextlaunch spacex + falcon + cape",
        View.NEXT_LAUNCH,
        Filters(provider="spacex", rocket="falcon", location="cape"),
    ),
    ("/launches", View.LAUNCHES, Filters()),
    ("/launches days:7", View.LAUNCHES, Filters(days=7)),
    ("/launches days:1 provider:arianespace", View.LAUNCHES, Filters(days=1, provider="arianespace")),
    ("/nextdocking", View.NEXT_DOCKING, Filters()),
    ("/nextdocking station:tiangong", View.NEXT_DOCKING, Filters(station="tiangong")),
    ("/nextdocking station:mir (no match)", View.NEXT_DOCKING, Filters(station="mir")),
    ("/events", View.EVENTS, Filters()),
    ("/events type:spacewalk", View.EVENTS, Filters(kind="spacewalk")),
    ("/events type:landing (none in the data)", View.EVENTS, Filters(kind="landing")),
]


async def main(runs: int) -> tuple[float, float]:
    """Print the table; return the worst wall and CPU p99 over every filter (seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        async with Database(path) as db:
            milestones = await fill(db)
            size = db_size(path)
            print(f"{milestones} upcoming milestones; database {size / 1e6:.1f} MB; {runs} runs per filter")
            print(
                f"{'filter':<48} {'index':<9} {'rows':>4} {'p50 ms':>7} {'p99 ms':>7} {'p99/5 ms':>8} "
                f"{'cpu p50':>7} {'cpu p99':>7}"
            )
            worst = worst_cpu = 0.0
            for label, view, filters in CASES:
                wall, cpu = [], []
                page = None
                for _ in range(runs):
                    start, start_cpu = time.perf_counter(), time.process_time()
                    page = await fetch_page(db, view, filters, now=NOW, guild_id=None)
                    wall.append(time.perf_counter() - start)
                    cpu.append(time.process_time() - start_cpu)
                assert page is not None
                worst, worst_cpu = max(worst, p99(wall)), max(worst_cpu, p99(cpu))
                print(f"{label:<48} {page.driver:<9} {len(page.items):>4} {row(wall, cpu)}")
            # Later pages: each press reads the page after the one before, 2 to runs + 1.
            wall, cpu = [], []
            page = await fetch_page(db, View.LAUNCHES, Filters(), now=NOW, guild_id=None)
            for _ in range(runs):
                cursor = (int(page.items[-1].milestone.at.timestamp()), page.items[-1].milestone_id)
                start, start_cpu = time.perf_counter(), time.process_time()
                page = await fetch_page(db, View.LAUNCHES, Filters(), now=NOW, guild_id=None, cursor=cursor)
                wall.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            worst, worst_cpu = max(worst, p99(wall)), max(worst_cpu, p99(cpu))
            label = f"/launches Next, pages 2..{runs + 1}"
            print(f"{label:<48} {page.driver:<9} {len(page.items):>4} {row(wall, cpu)}")
    print(f"worst wall p99 {worst * 1e3:.2f} ms / {LIMIT_S * 1e3:.0f} ms limit: ratio {worst / LIMIT_S:.3f}")
    print(f"worst cpu p99 {worst_cpu * 1e3:.2f} ms / {LIMIT_S * 1e3:.0f} ms limit: ratio {worst_cpu / LIMIT_S:.3f}")
    return worst, worst_cpu


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: the worst p99 of any browse filter's page at 20,000 milestones (table to stderr)."""
    with contextlib.redirect_stdout(sys.stderr):
        worst, worst_cpu = await main(30 if quick else 300)
    return [
        Figure("browse page query, worst p99 over every filter", worst * 1e3, "ms", LIMIT_S * 1e3,
               note=f"20,000 milestones; CPU p99 {worst_cpu * 1e3:.2f} ms"),
    ]  # fmt: skip


def p99(values: list[float]) -> float:
    """The 99th percentile."""
    return statistics.quantiles(values, n=100)[98]


def row(wall: list[float], cpu: list[float]) -> str:
    """p50 and p99 of wall time, the p99's ratio to the limit, then CPU p50 and p99, in ms."""
    return (
        f"{statistics.median(wall) * 1e3:>7.2f} {p99(wall) * 1e3:>7.2f} {p99(wall) / LIMIT_S:>8.3f} "
        f"{statistics.median(cpu) * 1e3:>7.2f} {p99(cpu) * 1e3:>7.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300, help="timed calls per filter (default 300)")
    asyncio.run(main(parser.parse_args().runs))

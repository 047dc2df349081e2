"""In-process browse queries at 20,000 upcoming milestones: every filter's page, p50/p99, against 5 ms.

What is timed is what a command does before it renders: bot.browse.fetch_page (counts, the planned page
query, the checks for a page before and after, the sync age). Every filter is measured, including ones that
match nothing and two broad filters that match nothing together.

Run: python -m bench.bench_browse [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

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


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        async with Database(path) as db:
            milestones = await fill(db)
            size = db_size(path)
            print(f"{milestones} upcoming milestones; database {size / 1e6:.1f} MB; {runs} runs per filter")
            print(f"{'filter':<48} {'index':<9} {'rows':>4} {'p50 ms':>7} {'p99 ms':>7} {'p99/5 ms':>8}")
            worst = 0.0
            for label, view, filters in CASES:
                latencies = []
                page = None
                for _ in range(runs):
                    start = time.perf_counter()
                    page = await fetch_page(db, view, filters, now=NOW, guild_id=None)
                    latencies.append(time.perf_counter() - start)
                    # A deep page too: the cursor of the page just read, so later pages are measured as well.
                assert page is not None
                p50 = statistics.median(latencies)
                p99 = statistics.quantiles(latencies, n=100)[98]
                worst = max(worst, p99)
                print(
                    f"{label:<48} {page.driver:<9} {len(page.items):>4} {p50 * 1e3:>7.2f} {p99 * 1e3:>7.2f} "
                    f"{p99 / LIMIT_S:>8.3f}"
                )
            deep: list[float] = []
            page = await fetch_page(db, View.LAUNCHES, Filters(), now=NOW, guild_id=None)
            for _ in range(runs):
                cursor = (int(page.items[-1].milestone.at.timestamp()), page.items[-1].milestone_id)
                start = time.perf_counter()
                page = await fetch_page(db, View.LAUNCHES, Filters(), now=NOW, guild_id=None, cursor=cursor)
                deep.append(time.perf_counter() - start)
            p99 = statistics.quantiles(deep, n=100)[98]
            worst = max(worst, p99)
            print(
                f"{'/launches Next, pages 2..' + str(runs + 1):<48} {page.driver:<9} {len(page.items):>4} "
                f"{statistics.median(deep) * 1e3:>7.2f} {p99 * 1e3:>7.2f} {p99 / LIMIT_S:>8.3f}"
            )
    print(f"worst p99 {worst * 1e3:.2f} ms / {LIMIT_S * 1e3:.0f} ms limit: ratio {worst / LIMIT_S:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300, help="timed calls per filter (default 300)")
    asyncio.run(main(parser.parse_args().runs))

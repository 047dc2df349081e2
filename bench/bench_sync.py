"""Sync cost benchmark: importing 5,000 launches, then re-syncing the same unchanged list.

An unchanged re-sync should cost far less than the first import (nothing is written, nothing is re-read).
Limit: a whole sync must fit many times into the shortest LL2 poll gap (3600 s / 15 requests = 240 s).

Run: python -m bench.bench_sync [--launches N] [--runs R]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.figures import Figure
from bot.config import Settings
from bot.db import Database
from bot.ll2.sync import DirectoryFetcher, LL2Options, LL2Sync

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "ll2"
NOW = datetime(2020, 7, 22, 12, 0, tzinfo=UTC)
POLL_GAP_S = 3600 / 15


def write_launches(directory: Path, n: int) -> None:
    """``launches.json`` with ``n`` launches cloned from the bundled sample, every 3 hours from NOW."""
    template = json.loads((DATA / "launches.json").read_text(encoding="utf-8"))["results"][0]
    results = []
    for i in range(n):
        rec = copy.deepcopy(template)
        at = (NOW + timedelta(hours=3 * (i + 1))).strftime("%Y-%m-%dT%H:%M:%SZ")
        rec.update(id=str(uuid.UUID(int=i + 1)), name=f"Falcon 9 | Starlink Group {i}", net=at)
        rec.update(window_start=at, window_end=at)
        results.append(rec)
    payload = {"count": n, "next": None, "previous": None, "results": results}
    (directory / "launches.json").write_text(json.dumps(payload), encoding="utf-8")
    for name in ("events.json", "docking_events.json"):
        (directory / name).write_text(json.dumps({"count": 0, "next": None, "previous": None, "results": []}))


async def one_run(root: Path) -> tuple[float, float, int, int]:
    db_path = root / "bench.sqlite3"
    db_path.unlink(missing_ok=True)
    settings = Settings(db_path=db_path, _env_file=None)  # type: ignore[call-arg]
    async with Database(db_path) as db:
        sync = LL2Sync(
            db, None, settings, None, now=lambda: NOW, options=LL2Options(fetch_details=False),
            fetcher=DirectoryFetcher(root),
        )  # fmt: skip
        start = time.perf_counter()
        first = await sync.sync_once()
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        again = await sync.sync_once()
        again_s = time.perf_counter() - start
    assert first.ok, first.summary()
    assert again.ok, again.summary()
    return first_s, again_s, len(first.changes), len(again.changes)


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: the worst unchanged re-sync of 5,000 launches (500 when quick)."""
    n, runs = (500, 1) if quick else (5000, 3)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_launches(root, n)
        results = [await one_run(root) for _ in range(runs)]
    worst = max(r[1] for r in results)
    return [
        Figure(f"unchanged LL2 re-sync of {n:,} launches, worst of {runs}", worst, "s", POLL_GAP_S,
               note="limit: the shortest LL2 poll gap"),
    ]  # fmt: skip


async def main(n: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_launches(root, n)
        results = [await one_run(root) for _ in range(runs)]
    firsts = sorted(r[0] for r in results)
    agains = sorted(r[1] for r in results)
    print(f"launches: {n}; changes first/again: {results[0][2]}/{results[0][3]}")
    print(f"first import:      {' / '.join(f'{s:.2f}' for s in firsts)} s")
    print(f"unchanged re-sync: {' / '.join(f'{s:.2f}' for s in agains)} s")
    print(f"re-sync / first import: {agains[len(agains) // 2] / firsts[len(firsts) // 2]:.2f}")
    print(f"ratio to the {POLL_GAP_S:.0f} s poll gap (re-sync, worst): {agains[-1] / POLL_GAP_S:.4f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--launches", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main(args.launches, args.runs))

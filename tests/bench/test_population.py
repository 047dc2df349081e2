"""bench/population.py: the full-size benchmarks' subscribers are the rows the bot writes, and the fire times
the start-up benchmark expects are the ones the bot arms."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bench import population
from bench.schedule import NOW, schedule
from bot.alerts.planner import HORIZON_SECONDS, reconcile
from bot.db import Database
from bot.db.events import to_epoch, upsert_events


async def test_the_bulk_seed_writes_the_rows_add_subscription_writes(tmp_path: Path) -> None:
    specs = population.dm_specs(400, schedule()[:50], to_epoch(NOW))
    assert {s.what for s in specs} >= {"mission", "liftoff", "all"}
    assert any(s.match for s in specs)
    tables = []
    for bulk in (True, False):
        async with Database(tmp_path / f"{bulk}.sqlite3") as db:
            await population.write_dm(db, specs, bulk=bulk)
            tables.append(
                (
                    [tuple(r) for r in await db.fetchall("SELECT * FROM subscriptions ORDER BY id")],
                    [tuple(r) for r in await db.fetchall("SELECT * FROM alert_recipients ORDER BY user_id")],
                )
            )
    assert len(tables[0][0]) == 400
    assert tables[0] == tables[1]


async def test_the_fire_times_the_seed_implies_are_the_jobs_the_bot_arms(tmp_path: Path) -> None:
    # The next three days of the schedule (a couple of dozen milestones) and 5,000 subscribers.
    events = [e for e in schedule() if all(m.at < NOW + timedelta(days=3) for m in e.milestones)]
    async with Database(tmp_path / "t.sqlite3") as db:
        await upsert_events(db, events, feed="bench", now=NOW, complete=False)
        pop = await population.seed(db, events, NOW, 5_000)
        assert pop.total == 5_000
        assert pop.channel == 25
        assert pop.muted
        counts = []
        for hours in (0, 5, 30):
            now = to_epoch(NOW + timedelta(hours=hours))
            bot = await reconcile(db, now=now, due_by=now)
            seed = pop.fire_times(events, since=to_epoch(NOW), after=now, until=now + HORIZON_SECONDS)
            assert set(bot.fire_times) == seed, hours
            counts.append(len(seed))
        assert min(counts[:2]) > 5, counts  # windows with work in them, not two empty sets

"""Alert benchmarks: the real bot and discord.py against the fake Discord, a real SQLite file, real time.

fanout      one alert to N DM subscribers under a global limit of L requests/s: total time, (N/L) / total
            (target >= 0.9), the last recipient's lateness against the due time (target <= 0), 429s,
            duplicates and losses (both 0). DM channels are cached, as they are after a user's first alert.
timeliness  500 alerts (100 fire times, 5 recipients each): p50/p99 of (send - due) per alert and of the
            first send of each fire time (target p99 <= 100 ms).
reconcile   one reconcile from rows with 5,000 subscriptions and 300 launches (600 milestones, one an hour),
            which runs when every job fires: it must fit in the job's start margin (0.5 s); and one at full
            size (bench/population.py: 100,000 subscriptions on 20,000 milestones), which takes seconds: jobs
            then start earlier by its length (AlertJobs.note_reconcile), and it is part of start-up (3 s).

Run: python -m bench.bench_alerts fanout [--n 5000] [--limit 50]
     python -m bench.bench_alerts timeliness [--fire-times 100] [--per 5]
     python -m bench.bench_alerts reconcile [--subscriptions 5000] [--launches 300]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import SecretStr

from bench import population
from bench.figures import Figure
from bench.schedule import NOW, fill, schedule
from bot.alerts.jobs import MARGIN_S
from bot.alerts.planner import reconcile
from bot.alerts.rules import WHAT_KINDS
from bot.bot import TMinusBot
from bot.config import Settings
from bot.db import Database
from bot.db import alerts as store
from bot.db.events import to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running, fake_discord_running
from tests.fakediscord.ratelimit import Limit, RateLimitConfig
from tests.fakediscord.world import User

LEAD = 3_600
STARTUP_S = 3.0  # issue 15's start-up target


def settings(path: Path, limit: float) -> Settings:
    return Settings(  # type: ignore[call-arg]
        discord_token=SecretStr("fake-token"), db_path=path, ll2_base_url="http://127.0.0.1:1/2.3.0",
        discord_global_rate_limit=limit, _env_file=None,
    )  # fmt: skip


async def seed(path: Path, fake: FakeDiscordWithScene, users: Sequence[User], fire_times: Sequence[int]) -> None:
    """Users subscribed a day ago, DM channels cached, one launch per fire time; user i follows launch i % k."""
    past = datetime.now(UTC) - timedelta(days=1)
    async with Database(path) as db:
        events = [
            Event(
                Source.LL2, f"launch:{i}", EventType.LAUNCH, f"Bench launch {i}", EventStatus.GO,
                (Milestone(MilestoneKind.LIFTOFF, datetime.fromtimestamp(f + LEAD, tz=UTC)),),
                provider=f"p{i:04d}x",
            )
            for i, f in enumerate(fire_times)
        ]  # fmt: skip
        await upsert_events(db, events, feed="launches", now=past)
        for n, user in enumerate(users):
            await store.add_subscription(
                db, owner_id=user.id, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=(LEAD,),
                now=to_epoch(past) + n, match=f"p{n % len(fire_times):04d}x",
            )  # fmt: skip
        async with db.transaction() as conn:
            await conn.executemany(
                "UPDATE alert_recipients SET dm_channel_id = ? WHERE user_id = ?",
                [(fake.world.dm_channel(u).id, u.id) for u in users],
            )


def send_times(fake: FakeDiscordWithScene, users: Sequence[User]) -> list[list[float]]:
    """For each user, the creation instants of the DMs they got."""
    return [
        [
            datetime.fromisoformat(m["timestamp"]).timestamp()
            for m in fake.world.channel_messages(fake.world.dm_channel(u))
        ]
        for u in users
    ]


async def run_bot(
    fake: FakeDiscordWithScene, path: Path, limit: float, users: Sequence[User], until: float
) -> list[list[float]]:
    bot = TMinusBot(settings(path, limit))
    async with bot, bot_running(fake, bot, timeout_s=60):
        # The ledger's count, not a look at every user: this check runs on every request the fake answers.
        await fake.wait_for(lambda: len(fake.ledger.deliveries) >= len(users), until)
        await asyncio.sleep(1.0)  # anything extra (a duplicate) would arrive now
    return send_times(fake, users)


async def fanout(n: int, limit: float) -> tuple[float, float]:
    """Print the fan-out figures; return ((N/L)/total, last recipient's send - due in seconds)."""
    config = RateLimitConfig(global_limit=Limit(int(limit), 1.0), default_limit=Limit(int(limit), 1.0))
    async with fake_discord_running(with_scene=False, ratelimits=config) as fake:
        users = [fake.world.create_user(f"user{i}") for i in range(n)]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.sqlite3"
            due = int(time.time()) + int(n / limit) + 30
            await seed(path, fake, users, [due])
            started = time.time()
            times = await run_bot(fake, path, limit, users, n / limit * 3 + 60)
        statuses = [r.status for r in fake.requests]
        duplicates = len(fake.ledger.duplicates())
        per = fake.ledger.per_recipient()
        losses = sum(1 for u in users if per.get(u.id, 0) == 0)
    sends = [t for ts in times for t in ts]
    first, last = min(sends), max(sends)
    total = last - first
    print(
        f"fan-out: {n} recipients, global limit L = {limit:g}/s (seeded, bot started {due - started:.0f} s before due)"
    )
    print(f"total {total:.2f} s (first -> last send); N/L = {n / limit:.2f} s; (N/L)/total = {n / limit / total:.3f}")
    print(f"last recipient vs due: {last - due:+.3f} s; first: {first - due:+.3f} s")
    print(f"429s: {statuses.count(429)}; duplicates (ledger): {duplicates}; losses: {losses}")
    if duplicates or losses:
        raise SystemExit(f"fan-out lost {losses} or duplicated {duplicates} alerts")
    return n / limit / total, last - due


async def timeliness(fire_count: int, per: int) -> tuple[float, float]:
    """Print the timeliness figures; return (p50, p99) of send - due in milliseconds."""
    async with fake_discord_running(with_scene=False) as fake:
        users = [fake.world.create_user(f"user{i}") for i in range(fire_count * per)]
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.sqlite3"
            start = int(time.time()) + 20
            fire_times = [start + i for i in range(fire_count)]
            await seed(path, fake, users, fire_times)
            times = await run_bot(fake, path, 50, users, fire_count + 60)
    late: list[float] = []
    firsts: dict[int, float] = {}
    for n, ts in enumerate(times):
        due = fire_times[n % fire_count]
        late.append(ts[0] - due)
        firsts[due] = min(firsts.get(due, ts[0]), ts[0])
    first_late = [firsts[d] - d for d in fire_times]

    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100)[q - 1] * 1000

    print(f"timeliness: {len(late)} alerts over {fire_count} fire times ({per} recipients each)")
    print(
        f"send - due, every alert: p50 {p(late, 50):+.1f} ms, p99 {p(late, 99):+.1f} ms, max {max(late) * 1000:+.1f} ms"
    )
    print(f"first send - due, per fire time: p50 {p(first_late, 50):+.1f} ms, p99 {p(first_late, 99):+.1f} ms")
    print(f"p99 lateness / 100 ms target: ratio {max(p(late, 99), 0) / 100:.3f}")
    return p(late, 50), p(late, 99)


async def reconcile_bench(n_subs: int, n_launches: int) -> float:
    """Print the reconcile figures; return the worst of five runs in seconds."""
    now = datetime.now(UTC)
    day_ago = now - timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        async with Database(Path(tmp) / "bench.sqlite3") as db:
            events = [
                Event(
                    Source.LL2, f"launch:{i}", EventType.LAUNCH, f"Rocket {i % 20} | Mission {i}", EventStatus.GO,
                    (Milestone(MilestoneKind.LIFTOFF, now + timedelta(hours=5 + i)),
                     Milestone(MilestoneKind.COVERAGE_START, now + timedelta(hours=4 + i))),
                    provider=f"Provider {i % 10}", vehicle=f"Rocket {i % 20}",
                )
                for i in range(n_launches)
            ]  # fmt: skip
            await upsert_events(db, events, feed="launches", now=day_ago)
            whats = list(WHAT_KINDS)
            for u in range(n_subs):
                what = whats[u % len(whats)]
                await store.add_subscription(
                    db, owner_id=u + 1, what=what, kinds=WHAT_KINDS[what], leads=(3_600, 600), now=to_epoch(day_ago),
                    match=f"Provider {u % 10}" if u % 3 == 0 else None,
                )  # fmt: skip
            times = []
            for _ in range(5):
                started = time.perf_counter()
                result = await reconcile(db, now=to_epoch(now), due_by=to_epoch(now))
                times.append(time.perf_counter() - started)
    print(
        f"reconcile: {n_subs} subscriptions x {2 * n_launches} milestones; {len(result.planned)} alerts in the window"
    )
    print(f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms of 5")
    print(f"worst / {MARGIN_S} s start margin: ratio {max(times) / MARGIN_S:.2f}")
    return max(times)


async def reconcile_full(n_subs: int) -> tuple[float, int]:
    """Print and return the worst of three reconciles (seconds) on the full-size seed (bench/population.py), and
    how many alerts its window held: what start-up, every alert job and the 10-minute timer run."""
    with tempfile.TemporaryDirectory() as tmp:
        async with Database(Path(tmp) / "bench.sqlite3") as db:
            milestones = await fill(db)
            pop = await population.seed(db, schedule(), NOW, n_subs, digests=False)
            times, cpu = [], []
            for _ in range(3):
                started, started_cpu = time.perf_counter(), time.process_time()
                result = await reconcile(db, now=to_epoch(NOW), due_by=to_epoch(NOW))
                times.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
    print(
        f"reconcile at full size: {pop.total:,} subscriptions x {milestones:,} milestones; "
        f"{len(result.planned):,} alerts in the window, {len(result.fire_times)} fire times"
    )
    print(f"worst {max(times):.2f} s of 3 (CPU, both threads: worst {max(cpu):.2f} s)")
    return max(times), len(result.planned)


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: fan-out, timeliness and reconcile (details to stderr). Quick: small sizes."""
    n, fires, subs = (500, 20, 500) if quick else (5_000, 100, 5_000)
    with contextlib.redirect_stdout(sys.stderr):
        ratio, last = await fanout(n, 50)
        p50, p99 = await timeliness(fires, 5)
        worst = await reconcile_bench(subs, 300)
        full_subs = 10_000 if quick else population.SUBSCRIPTIONS
        full, full_planned = await reconcile_full(full_subs)
    return [
        Figure("fan-out: (N/L) / first-to-last send time", ratio, "", 0.9, higher_is_better=True,
               note=f"{n:,} DM subscribers, global limit 50/s"),
        Figure("fan-out: last recipient's send - due", last, "s", 0.1, signed=True,
               note=f"{n:,} DM subscribers; negative: early, counted as 0 in the ratio"),
        Figure("alert timeliness, send - due, p50", p50, "ms", 100, signed=True,
               note=f"{fires * 5} alerts; negative: early (jobs start early by design)"),
        Figure("alert timeliness, send - due, p99", p99, "ms", 100, signed=True,
               note=f"{fires * 5} alerts; negative: early"),
        Figure("reconcile from rows, worst of 5", worst, "s", MARGIN_S,
               note=f"{subs:,} subscriptions x 600 milestones; limit: the job's start margin"),
        Figure("reconcile from rows at full size, worst of 3", full, "s", STARTUP_S,
               note=f"{full_subs:,} subscriptions x 20,000 milestones, {full_planned:,} alerts in the window; "
                    "limit: the start-up it is part of (alert jobs start earlier by its length)"),
    ]  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="which", required=True)
    fan = sub.add_parser("fanout")
    fan.add_argument("--n", type=int, default=5_000)
    fan.add_argument("--limit", type=float, default=50)
    tim = sub.add_parser("timeliness")
    tim.add_argument("--fire-times", type=int, default=100)
    tim.add_argument("--per", type=int, default=5)
    rec = sub.add_parser("reconcile")
    rec.add_argument("--subscriptions", type=int, default=5_000)
    rec.add_argument("--launches", type=int, default=300)
    args = parser.parse_args()
    if args.which == "reconcile":
        asyncio.run(reconcile_bench(args.subscriptions, args.launches))
    elif args.which == "fanout":
        asyncio.run(fanout(args.n, args.limit))
    else:
        asyncio.run(timeliness(args.fire_times, args.per))

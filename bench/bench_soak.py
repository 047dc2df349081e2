"""The soak at full size: a simulated week of T-Minus operation, checked against an independent oracle.

The real bot in process on the fake Discord and the fake LL2 with a real SQLite file, the wall clock moved
with time-machine (``tests/soak``): a launch every 3 hours, dockings and spacewalks, slips of minutes and of
days, holds, scrubs, withdrawals; 1,000 DM subscribers, 50 channel alerts in 5 guilds (text, announcement and
forum channels and threads, role pings), the Scheduled Events mirror on 2 guilds (one with the defaults, one
narrowed to SpaceX liftoffs within 3 days), 20 daily and 5 weekly DM digests and 3 channel digests in 5 zones
across Europe's change to summer time (28 March 2027), 30 "Alert me" presses, 30 users who mute (most unmute
later), two restarts (one just before a fire instant, one during a fan-out), two downtimes across fire instants
(one whose alerts go out late-marked, one across a liftoff whose alerts are recorded missed) and a few minutes
of Discord answering 503 around a fire instant.

Figures: the share of owed messages delivered exactly once with nothing else delivered (missing, duplicated
and not-owed messages all count against it), the daily job and mirror checks that matched the plan, resident
memory growth after day 1, the LL2 budget's busiest rolling hour, and the wall time. Run alone
(``python -m bench.bench_soak [--quick]``) it prints the run's details.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.figures import Figure
from tests.soak.runner import SoakConfig, SoakResult, run_soak

# Resident memory (sampled after malloc_trim, see tests/soak/runner.py) may grow this much after the first
# simulated day: SQLite's page cache filling (2 MB a connection by default) as the database grows by a few MB
# a day, discord.py's caches reaching their caps (its open forum threads grow all week: posts archive after 7
# days), the reconcile's reads growing as the 3-day notice window fills, and the fakes' per-channel state that
# is not trimmed (rate-limit buckets, forum threads, nonce windows). A leak of per-delivery state (a row
# object, a job or a task per DM) would grow by far more: 10,000-15,000 messages a day, ~1 KB each, is 10-15 MB
# a day.
RSS_TOLERANCE_MB = 10.0
WALL_LIMIT_S = 600.0
LL2_LIMIT = 15


def config(quick: bool) -> SoakConfig:
    """The full week, or (quick) two days across the DST change with a fifth of the subscribers."""
    if quick:
        return SoakConfig(
            start=datetime(2027, 3, 27, 6, tzinfo=UTC),
            days=2.0,
            users=200,
            channel_alerts=15,
            guilds=3,
            mirror_guilds=2,
            digest_users=10,
            weekly_digests=4,
            channel_digests=3,
            presses=8,
            mutes=8,
        )
    return SoakConfig()


async def measure(quick: bool) -> SoakResult:
    with tempfile.TemporaryDirectory(prefix="tminus-soak-") as tmp:
        return await run_soak(config(quick), Path(tmp), log=lambda line: print(line, file=sys.stderr))


def to_figures(r: SoakResult) -> list[Figure]:
    days = (
        f"simulated {r.config.days:g} days, {r.config.users} DM subscribers, {r.config.channel_alerts} channel alerts"
    )
    wrong = len(r.missing) + sum(n - 1 for _, n in r.duplicates) + len(r.unexpected) + len(r.unknown)
    return [
        Figure(
            "Soak: messages not delivered exactly once as owed, per million owed",
            1e6 * wrong / r.required if r.required else float("inf"),
            "ppm",
            # Below one in a million: at this size (~80,000 owed) a single missing or extra message fails it.
            1.0,
            note=f"{days}; {r.required} owed, {r.once} exactly once; {len(r.missing)} missing, "
            f"{len(r.duplicates)} duplicated, {len(r.unexpected)} not owed",
        ),
        Figure(
            "Soak: daily checks with scheduler jobs and mirror equal to the plan",
            100 * r.checkpoints_clean / r.checkpoints if r.checkpoints else 0.0,
            "%",
            100.0,
            higher_is_better=True,
            note=f"{len(r.job_mismatches)} job and {len(r.mirror_mismatches)} mirror mismatches "
            f"in {r.checkpoints} checks",
        ),
        Figure(
            "Soak: resident memory growth after day 1",
            max(r.rss_growth_mb, 0.0),
            "MB",
            RSS_TOLERANCE_MB,
            note="VmRSS at each day's end: "
            + ", ".join(f"{x:.0f}" for x in r.rss_mb)
            + "; of it anonymous: "
            + ", ".join(f"{a:.0f}" for a, _, _ in r.rss_split),
        ),
        Figure(
            "Soak: LL2 requests in the busiest rolling hour",
            r.ll2_busiest_hour,
            "requests",
            LL2_LIMIT,
            note=f"{r.ll2_429} answered 429",
        ),
        Figure("Soak: wall time", r.wall_s, "s", WALL_LIMIT_S, note=days),
    ]


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``."""
    return to_figures(await measure(quick))


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    result = asyncio.run(measure(quick))
    print("\n".join(result.lines()))
    for f in to_figures(result):
        print(f"{f.name}: {f.value_text()} (target {f.target_text()}, ratio {f.ratio:.2f}) {f.note}")


if __name__ == "__main__":
    main()

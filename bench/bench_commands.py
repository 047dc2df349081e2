"""Command latency through the fake Discord at 20,000 upcoming milestones, against the 3-second deadline.

The real bot (discord.py, cogs, SQLite file) runs against the local fake Discord in this process. Timed: from
the moment the fake sends INTERACTION_CREATE over the gateway to the moment it receives the bot's callback
(the acknowledgement Discord wants within 3 s), for /nextlaunch without and with a filter, and /launches.
The fake, which validates every request against Discord's OpenAPI spec, shares the process and its CPU; its
checks of a request run after the request has arrived, so they are outside the timed span (but inside the
printed CPU time, which counts the whole process).

Run: python -m bench.bench_commands [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pydantic import SecretStr

from bench.figures import Figure
from bench.schedule import NOW, db_size, fill
from bot.bot import TMinusBot
from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from tests.fakediscord import FakeDiscord
from tests.fakediscord.interactions import build_command_data
from tests.fakediscord.pytest_plugin import bot_running, fake_discord_running

CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
DEADLINE_S = 3.0
TARGET_P99_S = 0.050
CASES: list[tuple[str, str, dict[str, object]]] = [
    ("/nextlaunch", "nextlaunch", {}),
    ("/nextlaunch provider:rocket lab", "nextlaunch", {"provider": "rocket lab"}),
    ("/launches", "launches", {}),
]


async def main(runs: int) -> dict[str, float]:
    """Print the table; return each command's p99 (seconds)."""
    p99s: dict[str, float] = {}
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        async with Database(path) as db:
            milestones = await fill(db)
        settings = Settings(
            discord_token=SecretStr("fake-token"),
            db_path=path,
            # LL2 is never reached in the request path; an unroutable address keeps the sync quiet and failing.
            ll2_base_url="http://127.0.0.1:1/2.3.0",
            _env_file=None,  # type: ignore[call-arg]
        )
        async with fake_discord_running() as fake:
            bot = TMinusBot(settings, clock=ManualClock(NOW))
            async with bot, bot_running(fake, bot):
                await fake.wait_for(lambda: bool(fake.global_commands), timeout_s=10)
                scene = fake.scene
                # Many members take turns, so the per-user cooldowns (bot/cooldowns.py) never answer instead.
                members = []
                for i in range(100):
                    member = fake.world.create_user(f"bench{i}")
                    fake.world.add_member(scene.guild, member)
                    members.append(member)
                print(
                    f"{milestones} upcoming milestones; database {db_size(path) / 1e6:.1f} MB; "
                    f"{runs} invocations per command"
                )
                print(
                    f"{'command':<34} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'p99/3 s':>8} {'p99/50 ms':>9} "
                    f"{'proc cpu p50':>12} {'proc cpu p99':>12}"
                )
                for label, name, options in CASES:
                    data = build_command_data(fake.command(name), [], options, {})
                    latencies, cpu = [], []
                    for i in range(runs):
                        start_cpu = time.process_time()
                        member = members[i % len(members)]
                        result = await fake.start_interaction(2, data, user=member, guild=scene.guild)
                        await result.wait(lambda r: r.callback is not None, 5.0)
                        # From the fake's stamp just before it writes INTERACTION_CREATE to the arrival of the
                        # callback request (before the fake's own spec checks of it, which Discord does not make
                        # the bot wait for), both on the fake's clock.
                        latencies.append(callback_arrival(fake, result.id) - result.created)
                        # CPU of the whole process (bot, SQLite thread and the fake's checks): the work itself.
                        cpu.append(time.process_time() - start_cpu)
                        await fake.wait_for(lambda: fake._in_flight == 0)
                    p50, p99 = statistics.median(latencies), statistics.quantiles(latencies, n=100)[98]
                    p99s[label] = p99
                    cpu_p50, cpu_p99 = statistics.median(cpu), statistics.quantiles(cpu, n=100)[98]
                    print(
                        f"{label:<34} {p50 * 1e3:>7.2f} {p99 * 1e3:>7.2f} {max(latencies) * 1e3:>7.2f} "
                        f"{p99 / DEADLINE_S:>8.4f} {p99 / TARGET_P99_S:>9.3f} "
                        f"{cpu_p50 * 1e3:>12.2f} {cpu_p99 * 1e3:>12.2f}"
                    )
                if fake.violations:
                    raise SystemExit(f"the bot made requests Discord would reject: {fake.violations[:3]}")
    return p99s


async def figures(quick: bool) -> list[Figure]:
    """For ``python -m bench``: each command's p99 to the callback at 20,000 milestones (its table to stderr)."""
    with contextlib.redirect_stdout(sys.stderr):
        p99s = await main(30 if quick else 300)
    return [
        Figure(f"{label} p99, interaction to callback", p99 * 1e3, "ms", DEADLINE_S * 1e3,
               note="20,000 milestones; subscriptions not on main yet")
        for label, p99 in p99s.items()
    ]  # fmt: skip


def callback_arrival(fake: FakeDiscord, interaction_id: int) -> float:
    """When the bot's callback request for the interaction reached the fake."""
    for record in reversed(fake.requests):
        if record.template == CALLBACK and record.params.get("interaction_id") == str(interaction_id):
            return record.at
    raise AssertionError(f"no callback for interaction {interaction_id}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=500, help="invocations per command (default 500)")
    asyncio.run(main(parser.parse_args().runs))

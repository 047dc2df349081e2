"""Crash tests' common drill: SIGKILL the bot process at random points of a fan-out, then let it finish."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence

from tests.fakediscord.launcher import BotProcess, FakeProcess


async def delivered(fake: FakeProcess) -> int:
    """Messages the fake's delivery ledger holds (DMs and channel posts)."""
    return int((await fake.control.ledger())["deliveries"])


async def at_least(fake: FakeProcess, count: int) -> bool:
    """True once the ledger holds ``count`` messages (a wait_for condition)."""
    return await delivered(fake) >= count


async def kill_during_fan_out(
    fake: FakeProcess,
    bot: BotProcess,
    *,
    thresholds: Sequence[int],
    total: int,
    rng: random.Random,
    max_pause_s: float,
    seed: int,
    what: str,
) -> list[int]:
    """Start the bot and SIGKILL it once the ledger reaches each threshold (after a random pause of at most
    ``max_pause_s``), then start it cleanly and wait until ``total`` messages arrived; returns the ledger's count
    at each kill. The bot is stopped at the end, whatever happened."""
    kills_at: list[int] = []
    try:
        for threshold in thresholds:
            await bot.start()
            await fake.control.wait_for(
                lambda t=threshold: at_least(fake, t), 60.0, f"no progress to {threshold} (seed {seed})"
            )
            await asyncio.sleep(rng.uniform(0, max_pause_s))
            await bot.kill()
            kills_at.append(await delivered(fake))
        await bot.start()
        await fake.control.wait_for(lambda: at_least(fake, total), 120.0, f"not every {what} got it (seed {seed})")
        await asyncio.sleep(2.0)  # a duplicate would arrive now
    finally:
        await bot.stop()
    return kills_at

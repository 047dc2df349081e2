"""The global rate-limit lock given to discord.py: released when the task holding it is cancelled, and only then."""

from __future__ import annotations

import asyncio
import contextlib

from bot.alerts.transport import GlobalRateLimitLock


async def test_a_holder_cancelled_in_its_sleep_releases_the_lock() -> None:
    lock = GlobalRateLimitLock()
    assert lock.is_set()

    async def global_429() -> None:  # what discord.py does: clear, sleep retry_after, set
        lock.clear()
        await asyncio.sleep(30)
        lock.set()

    holder = asyncio.create_task(global_429())
    await asyncio.sleep(0)
    assert not lock.is_set()
    waiter = asyncio.create_task(lock.wait())
    holder.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await holder
    await asyncio.wait_for(waiter, 1.0)
    assert lock.is_set()


async def test_a_former_holder_ending_does_not_release_a_lock_another_task_holds() -> None:
    lock = GlobalRateLimitLock()
    released = asyncio.Event()

    async def first() -> None:
        lock.clear()
        await asyncio.sleep(0)
        lock.set()  # its own wait is over; it goes on with its request
        await released.wait()

    async def second() -> None:
        lock.clear()  # a new global 429
        await asyncio.sleep(30)

    one = asyncio.create_task(first())
    await asyncio.sleep(0.01)
    two = asyncio.create_task(second())
    await asyncio.sleep(0.01)
    released.set()
    await one
    await asyncio.sleep(0)
    assert not lock.is_set(), "the first task ending must not end the second's wait"
    two.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await two
    assert lock.is_set()

"""Fixtures: `fake_discord` (a started fake with a standard scene) and `tminus_bot` (the real bot on it), and
out of process: `fake_discord_process` (the fake in its own process) and `bot_process` (`python -m bot run` on it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import discord
import pytest
from pydantic import SecretStr

from .launcher import BotProcess, FakeProcess
from .scene import Scene, build_scene
from .server import FakeDiscord

if TYPE_CHECKING:
    from bot.bot import TMinusBot

START_TIMEOUT_S = 10.0


class FakeDiscordWithScene(FakeDiscord):
    """A FakeDiscord whose world holds the standard Scene."""

    scene: Scene


@contextlib.asynccontextmanager
async def fake_discord_running(*, with_scene: bool = True, **kwargs: Any) -> AsyncIterator[FakeDiscordWithScene]:
    """Start a fake, point discord.py at it, and undo both on exit."""
    fake = FakeDiscordWithScene(**kwargs)
    if with_scene:
        fake.scene = build_scene(fake.world)
        fake.control.scene = fake.scene
    await fake.start()
    fake.install()
    try:
        yield fake
    finally:
        await fake.stop()


@contextlib.asynccontextmanager
async def bot_running(
    fake: FakeDiscord, bot: discord.Client, *, timeout_s: float = START_TIMEOUT_S
) -> AsyncIterator[None]:
    """Log bot in to fake and connect it; on entry it is READY, on exit it is closed."""
    # discord.py waits guild_ready_timeout (2 s) after the last GUILD_CREATE before READY; the fake
    # sends them all at once, so a short wait loses nothing and keeps each test fast.
    bot._connection.guild_ready_timeout = 0.05

    # discord.py sleeps 5 s before every IDENTIFY after the first, to respect Discord's identify
    # rate limit; the fake has none, and INVALID_SESSION tests would otherwise take 5 s each.
    async def identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
        return None

    bot.before_identify_hook = identify_at_once  # type: ignore[method-assign]
    fake.clients.append(bot)
    task = asyncio.create_task(bot.start(fake.token), name="bot.start")
    ready = asyncio.create_task(bot.wait_until_ready())
    try:
        done, _ = await asyncio.wait({task, ready}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            task.result()  # re-raises the start-up error
            raise AssertionError("the bot stopped before it was ready")
        if ready not in done:
            raise AssertionError(f"the bot was not READY within {timeout_s}s")
        yield
    finally:
        ready.cancel()
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=5.0)
        fake.clients.remove(bot)


def fail_on_violations(fake: FakeDiscord) -> None:
    """Fail the test if the bot sent anything Discord would have rejected."""
    if fake.violations:
        report = "\n".join(f"  - {v}" for v in fake.violations)
        pytest.fail(f"the bot made requests Discord would reject:\n{report}", pytrace=False)


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscordWithScene]:
    """A running fake Discord with `fake.scene`; the test fails if any violation is left at teardown."""
    async with fake_discord_running() as fake:
        yield fake
        fail_on_violations(fake)


@pytest.fixture
async def tminus_bot(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> AsyncIterator[tuple[FakeDiscordWithScene, TMinusBot]]:
    """(fake, bot): the real TMinusBot, READY on the fake, with its command tree synced."""
    from bot.bot import TMinusBot
    from bot.config import Settings

    settings = Settings(
        discord_token=SecretStr("fake-token"),
        db_path=tmp_path / "t.sqlite3",
        ll2_base_url="http://127.0.0.1:1/2.3.0",
        default_timezone="UTC",
        owner_ids=frozenset({fake_discord.world.owner.id}),
        dev_guild_id=None,
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' init option; mypy has no pydantic plugin here
    )
    bot = TMinusBot(settings)
    async with bot, bot_running(fake_discord, bot):
        await fake_discord.wait_for(lambda: bool(fake_discord.global_commands), timeout_s=START_TIMEOUT_S)
        yield fake_discord, bot


@pytest.fixture
async def fake_discord_process() -> AsyncIterator[FakeProcess]:
    """The fake in its own OS process with the standard scene (ids in `.scene`), driven through `.control`.

    The test fails if any violation is left at teardown, as with `fake_discord`.
    """
    fake = FakeProcess()
    await fake.start()
    try:
        yield fake
        violations = await fake.control.violations()
        if violations:
            report = "\n".join(
                f"  - {v['kind']}: {v['method']} {v['path']}: {'; '.join(v['errors'])}" for v in violations
            )
            pytest.fail(f"the bot made requests Discord would reject:\n{report}", pytrace=False)
    finally:
        await fake.stop()


@pytest.fixture
async def bot_process(fake_discord_process: FakeProcess, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """`python -m bot run` as a real process on `fake_discord_process`, started (identified on the gateway).

    `await bot_process.kill()` SIGKILLs it; `await bot_process.start()` starts it again on the same database.
    """
    bot = BotProcess(fake_discord_process, tmp_path / "tminus.sqlite3")
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()

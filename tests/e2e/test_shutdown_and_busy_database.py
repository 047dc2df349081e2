"""The running bot: SIGTERM and SIGINT stop it cleanly (exit 0, database closed), and a command waits out another
process writing to the database instead of failing."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.bot import TMinusBot
from bot.db import Database
from tests.cli_env import clean_env
from tests.cli_faults import ROOT, integrity_ok
from tests.e2e.test_alerts import bot_settings
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_closes_the_gateway_and_the_database_and_exits_0(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, sig: signal.Signals
) -> None:
    db_path = tmp_path / "bot.sqlite3"
    env = clean_env(
        DISCORD_TOKEN=fake_discord.token,
        TMINUS_DB_PATH=str(db_path),
        DISCORD_API_URL=fake_discord.base_url,
        DISCORD_GATEWAY_URL=str(fake_discord.gateway_url),
        LL2_BASE_URL="http://127.0.0.1:1/2.3.0",  # nothing listens: the sync fails fast and backs off
        LOG_LEVEL="INFO",
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        # Logged in over the gateway and the command tree uploaded: the bot is fully up.
        await fake_discord.wait_for(
            lambda: fake_discord.gateway.identifies == 1 and bool(fake_discord.global_commands), timeout_s=30
        )
        live = fake_discord.gateway.live_sessions
        assert live, "the bot holds no gateway session, so closing it would prove nothing"
        proc.send_signal(sig)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), timeout=30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    err = err_bytes.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert f"{sig.name} received: shutting down" in err
    assert "bot stopped; database closed" in err
    await fake_discord.wait_for(lambda: not fake_discord.gateway.live_sessions, timeout_s=5)
    assert integrity_ok(db_path)
    with sqlite3.connect(db_path) as conn:  # the bot's own writes are there: the tree hash it stored
        assert conn.execute("SELECT count(*) FROM bot_state WHERE key = 'discord.command_tree_hash'").fetchone() == (1,)


async def test_closing_waits_for_the_transaction_in_flight(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.sqlite3")
    await db.connect()
    began = asyncio.Event()

    async def slow_write() -> None:
        async with db.transaction() as conn:
            began.set()
            await asyncio.sleep(0.3)
            await conn.execute("INSERT INTO bot_state (key, value) VALUES ('k', 'v')")

    writer = asyncio.create_task(slow_write())
    await began.wait()
    await db.close()
    await writer  # finished and committed, not cut off by the close
    assert integrity_ok(db.path)
    with sqlite3.connect(db.path) as conn:
        assert conn.execute("SELECT value FROM bot_state WHERE key = 'k'").fetchone() == ("v",)


async def test_a_command_waits_out_another_process_writing_and_answers(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from pydantic import SecretStr

    from bot.bot import TMinusBot
    from bot.config import Settings
    from tests.cli_faults import WriteLockHolder
    from tests.fakediscord.pytest_plugin import bot_running

    settings = Settings(
        discord_token=SecretStr(fake_discord.token),
        db_path=tmp_path / "t.sqlite3",
        db_busy_timeout=0.05,  # SQLite gives up at once, so the bot's own retry is what waits
        ll2_base_url="http://127.0.0.1:1/2.3.0",
        _env_file=None,  # type: ignore[call-arg]
    )
    bot = TMinusBot(settings)
    scene = fake_discord.scene
    year = datetime.now(UTC).year + 2
    async with bot, bot_running(fake_discord, bot):
        await fake_discord.wait_for(lambda: bool(fake_discord.global_commands), timeout_s=10)
        with WriteLockHolder(settings.db_path) as holder:
            release = asyncio.get_running_loop().call_later(1.0, holder.release)
            result = await fake_discord.slash(
                "event add", user=scene.moderator, guild=scene.guild, channel=scene.general,
                options={"name": "Busy docking", "kind": "docking", "time": f"Feb 15, {year} 06:12 UTC"},
            )  # fmt: skip
            release.cancel()
        assert result.embeds, result.content
        assert result.embeds[0]["title"] == "Added: Busy docking"
    assert any("is busy" in r.getMessage() for r in caplog.records if r.name == "bot.db.database")
    assert integrity_ok(settings.db_path)


async def test_start_up_waits_out_another_process_writing_then_migrates_and_runs(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    from bot.db.database import latest_version
    from tests.cli_faults import WriteLockHolder

    db_path = tmp_path / "bot.sqlite3"
    old = Database(db_path)  # one schema version behind: the start-up has a migration to write
    await old.connect(migrate=False, check_writable=False)
    await old.migrate(target=latest_version() - 1)
    await old.close()
    env = clean_env(
        DISCORD_TOKEN=fake_discord.token,
        TMINUS_DB_PATH=str(db_path),
        TMINUS_DB_BUSY_TIMEOUT="0.2",  # SQLite gives up at once: the start-up's own retries are what wait
        DISCORD_API_URL=fake_discord.base_url,
        DISCORD_GATEWAY_URL=str(fake_discord.gateway_url),
        LL2_BASE_URL="http://127.0.0.1:1/2.3.0",
        LOG_LEVEL="INFO",
    )
    with WriteLockHolder(db_path) as holder:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stderr is not None
            head = b""
            while b"is busy" not in head:  # the start-up met the lock (however long the interpreter took to start)
                line = await asyncio.wait_for(proc.stderr.readline(), timeout=30)
                assert line, head.decode()  # the process ended instead of waiting
                head += line
            await asyncio.sleep(2.0)  # ten times the busy timeout: the old start-up had exited 2 by now
            assert proc.returncode is None
            assert fake_discord.gateway.identifies == 0  # still waiting for the lock, not yet connected
            await asyncio.to_thread(holder.release)
            await fake_discord.wait_for(
                lambda: fake_discord.gateway.identifies == 1 and bool(fake_discord.global_commands), timeout_s=30
            )
            proc.send_signal(signal.SIGTERM)
            _, err_bytes = await asyncio.wait_for(proc.communicate(), timeout=30)
            err_bytes = head + err_bytes
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    err = err_bytes.decode()
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert err.count("is busy") == 1, err  # the episode is logged once, then its end
    assert "usable again" in err
    assert integrity_ok(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (latest_version(),)


def view_timeouts() -> list[asyncio.Task[object]]:
    """discord.py's pending view timeout tasks."""
    return [t for t in asyncio.all_tasks() if "timeout_task_impl" in getattr(t.get_coro(), "__qualname__", "")]


async def test_closing_the_bot_stops_the_timeout_tasks_of_its_views(
    fake_discord: FakeDiscordWithScene, tmp_path: Path
) -> None:
    # /subscriptions' Mute button edits its ephemeral reply with a new view, which discord.py gives a 15-minute
    # timeout task; left pending after close() it held the closed client (all its caches) alive for those 15
    # minutes, once per restart in one process (the soak's restarts and downtimes).
    fake, scene = fake_discord, fake_discord.scene
    bot = TMinusBot(bot_settings(fake, tmp_path / "t.sqlite3"))
    async with bot, bot_running(fake, bot):
        await fake.wait_for(lambda: bool(fake.global_commands), timeout_s=10)
        shown = await fake.slash("subscriptions", user=scene.member, guild=scene.guild, channel=scene.general)
        assert shown.original is not None
        await fake.press_button(shown.original, "tm:sub:mute:1", user=scene.member)
        assert view_timeouts(), "the reply's view has no timeout task, so closing would prove nothing"
    await asyncio.sleep(0)  # the cancelled tasks finish
    assert view_timeouts() == []

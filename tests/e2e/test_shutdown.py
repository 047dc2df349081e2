"""``python -m bot run`` stops cleanly on SIGTERM and SIGINT: gateway closed, database closed, exit 0."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.db import Database
from tests.cli_env import clean_env
from tests.cli_faults import ROOT, integrity_ok
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_closes_the_gateway_and_the_database_and_exits_0(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, sig: signal.Signals
) -> None:
    db_path = tmp_path / "bot.sqlite3"
    env = clean_env(
        DISCORD_TOKEN=fake_discord.token,
        TMINUS_DB_PATH=str(db_path),
        DISCORD_API_BASE_URL=fake_discord.base_url,
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

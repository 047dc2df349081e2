"""The bot token and the LL2 key never reach a log or the database file (SECURITY.md).

Every line the bot process prints at DEBUG, through start-up, command sync, an LL2 sync (one feed failing),
commands, a Discord failure while answering one and shutdown, plus the output of ``sync --once``, ``check`` and
a refused start, is searched for both."""

from __future__ import annotations

import asyncio
import sys
from asyncio.subprocess import PIPE, STDOUT
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli_env import clean_env
from tests.fakediscord.launcher import REPO, BotProcess, FakeProcess
from tests.fakell2.server import FakeLL2, Fault

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhXy2Q.secret-token-never-in-logs_7f3a"
LL2_KEY = "ll2-key-3c9e0d51b7a24f6e"


@pytest.fixture
async def ll2() -> AsyncIterator[FakeLL2]:
    server = FakeLL2(lambda: datetime.now(UTC))
    await server.start()
    yield server
    await server.close()


def _leaks(text: str) -> list[str]:
    # Also the halves: a secret cut in two by a line break or a truncated repr is still a leak.
    pieces = [TOKEN, TOKEN[: len(TOKEN) // 2], TOKEN[len(TOKEN) // 2 :], LL2_KEY, LL2_KEY[:12], LL2_KEY[-12:]]
    return [p for p in pieces if p in text]


def _database_files(folder: Path) -> dict[str, bytes]:
    files = {path.name: path.read_bytes() for path in sorted(folder.glob("tminus.sqlite3*"))}
    assert "tminus.sqlite3" in files
    return files


async def _cli(args: list[str], env: dict[str, str], cwd: Path) -> str:
    # Not subprocess.run: the fake LL2 it talks to is served by this test's own event loop.
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=cwd, stdout=PIPE, stderr=STDOUT
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return out.decode(errors="replace")


async def test_token_and_ll2_key_appear_in_no_log_of_a_debug_run(ll2: FakeLL2, tmp_path: Path) -> None:
    ll2.faults = [Fault(status=503, path="/docking_events/")]  # one feed fails: its error is logged
    env = {"LOG_LEVEL": "DEBUG", "LL2_BASE_URL": ll2.base_url, "LL2_API_KEY": LL2_KEY}
    async with FakeProcess(token=TOKEN) as fake:
        bot = BotProcess(fake, tmp_path / "tminus.sqlite3", env=env)
        await bot.start()
        try:
            scene = fake.scene
            where = {"guild_id": scene["guild"], "channel_id": scene["general"], "timeout_s": 10.0}
            about = await fake.control.slash("about", user_id=scene["member"], **where)
            assert about["type"] == 4
            refused = await fake.control.slash("event list", user_id=scene["member"], **where)
            assert "Manage Server" in str(refused)
            added = await fake.control.slash(
                "event add",
                user_id=scene["moderator"],
                options={"name": "Secret test", "kind": "docking", "time": "tomorrow 06:12 UTC"},
                **where,
            )
            assert added["type"] in (4, 5)
            # Discord fails once while the bot answers (discord.py retries at DEBUG, with the interaction token).
            await fake.control.fail("POST", "/interactions/{interaction_id}/{interaction_token}/callback", status=503)
            await fake.control.slash("about", user_id=scene["member"], **where)
            for _ in range(100):  # the LL2 sync runs in the background from start-up on
                if any("/docking_events/" in s.path for s in ll2.seen):
                    break
                await asyncio.sleep(0.05)
        finally:
            await bot.stop()
        await fake.control.take_violations()
    assert {s.authorization for s in ll2.counted} == {f"Token {LL2_KEY}"}, "the key was not in use"
    logs = {"bot run": bot.log}
    assert "DEBUG" in logs["bot run"]
    assert "503" in logs["bot run"]  # the LL2 failure and the Discord failure were both logged
    cli_env = clean_env(
        DISCORD_TOKEN=TOKEN,
        LL2_API_KEY=LL2_KEY,
        LL2_BASE_URL=ll2.base_url,
        TMINUS_DB_PATH=str(tmp_path / "tminus.sqlite3"),
        LOG_LEVEL="DEBUG",
        PYTHONPATH=str(REPO),
    )
    logs["sync --once"] = await _cli(["sync", "--once"], cli_env, tmp_path)
    logs["check"] = await _cli(["check"], cli_env, tmp_path)
    logs["refused start"] = await _cli(["run"], cli_env | {"DEFAULT_TIMEZONE": "Mars/Olympus_Mons"}, tmp_path)
    assert "DEFAULT_TIMEZONE" in logs["refused start"]
    for name, text in logs.items():
        assert text, name
        assert _leaks(text) == [], f"{name} printed a secret"
    # A leaked database file gives away neither secret either.
    for name, data in _database_files(tmp_path).items():
        assert _leaks(data.decode("latin-1")) == [], name

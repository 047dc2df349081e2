"""A full disk during command handling (issue 15): simulated with ``PRAGMA max_page_count`` on the bot's own
connection. The user is told plainly, the operator gets one ERROR line, nothing is half-written, the file passes
``PRAGMA integrity_check``, and commands work again once there is room. (Locked by another process while a
command runs: ``tests/e2e/test_shutdown_and_busy_database.py``; during an alert fan-out: with the alert engine.)
"""

from __future__ import annotations

import logging
import sqlite3

import pytest

from bot.bot import TMinusBot
from bot.errors import APOLOGY, STORAGE_TROUBLE
from tests.e2e.dbdump import user_data_dump
from tests.fakediscord.interactions import InteractionResult
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene

BotOnFake = tuple[FakeDiscordWithScene, TMinusBot]


async def test_a_full_database_is_reported_corrupts_nothing_and_recovers(
    tminus_bot: BotOnFake, caplog: pytest.LogCaptureFixture
) -> None:
    fake, bot = tminus_bot
    scene = fake.scene
    where = {"user": scene.moderator, "guild": scene.guild, "channel": scene.general}

    async def add(n: int) -> InteractionResult:
        options = {"name": f"Event {n}", "kind": "docking", "time": f"tomorrow 0{n % 10}:12 UTC"}
        return await fake.slash("event add", options=options | {"description": "x" * 1000}, **where)

    (pages,) = await bot.db.fetchone("PRAGMA page_count") or (0,)
    await bot.db.execute(f"PRAGMA max_page_count = {int(pages)}")  # the disk is full: the file cannot grow
    refused: InteractionResult | None = None
    for n in range(30):  # free pages inside the file take a few rows first
        before = user_data_dump(bot.db.path)
        result = await add(n)
        if result.content == STORAGE_TROUBLE:
            refused = result
            break
    assert refused is not None, "the database never filled up"
    assert refused.ephemeral
    assert APOLOGY not in (refused.content or "")
    assert user_data_dump(bot.db.path) == before  # the refused event left no row, not even part of one
    reports = [r for r in caplog.records if r.levelno == logging.ERROR and "storage fault" in r.getMessage()]
    assert reports
    assert "full" in reports[0].getMessage()
    check = sqlite3.connect(bot.db.path)
    try:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        check.close()
    # Room again: the same command works, without a restart.
    await bot.db.execute("PRAGMA max_page_count = 1073741823")
    again = await add(99)
    assert again.embeds[0]["title"].startswith("Added")

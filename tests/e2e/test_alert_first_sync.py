"""A restart after a downtime: late alerts of LL2 launches wait for the first LL2 sync (README, Alerts, "Downtime").

The real bot on the fake Discord and the fake LL2 (served over HTTP), a real SQLite file, time moved with
time-machine as in tests/e2e/test_alerts.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from pydantic import SecretStr

from bot.alerts import engine
from bot.bot import TMinusBot
from bot.config import Settings
from bot.db import alerts as store
from bot.db.events import to_epoch
from tests.e2e.test_alerts import START, content, dms, settle, subscribe, traveller
from tests.fakediscord.pytest_plugin import FakeDiscordWithScene, bot_running
from tests.fakell2.server import FakeLL2, load_fixture

__all__ = ["traveller"]  # the time-machine fixture, shared with tests/e2e/test_alerts.py

LAUNCH_ID = "5e1f0c1a-7d3b-4c2e-9a41-000000000001"


def ll2_launch(net: datetime) -> dict[str, Any]:
    """An LL2 2.3.0 launch (the vendored fixture's shape), Go, its NET known to the second."""
    launch: dict[str, Any] = copy.deepcopy(load_fixture("launches.json")["results"][0])
    iso = net.isoformat().replace("+00:00", "Z")
    launch.update(
        id=LAUNCH_ID,
        name="Soyuz 2.1a | Restart Moved",
        slug="soyuz-21a-restart-moved",
        net=iso,
        window_start=iso,
        window_end=iso,
        net_precision={"id": 0, "name": "Second", "abbrev": "SEC", "description": "The T-0 is accurate to the second."},
    )
    return launch


def settings_for(path: Path, ll2_url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        discord_token=SecretStr("fake-token"), db_path=path, ll2_base_url=ll2_url, default_timezone="UTC",
        dev_guild_id=None, _env_file=None,
    )  # fmt: skip


@contextlib.asynccontextmanager
async def fake_ll2(net: datetime) -> AsyncIterator[FakeLL2]:
    server = FakeLL2(lambda: datetime.now(UTC))  # time-machine moves it with the bot
    server.launches, server.events, server.dockings = [ll2_launch(net)], [], []
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def first_step(bot: TMinusBot) -> None:
    async with asyncio.timeout(30):
        await bot.ll2.first_step_done.wait()


async def armed_for(fake: FakeDiscordWithScene, tmp: Path, ll2_url: str, liftoff: datetime) -> None:
    """A first run of the bot: the sync stores the launch, the member subscribes, its 1 h alert is armed."""
    bot = TMinusBot(settings_for(tmp / "t.sqlite3", ll2_url))
    async with bot, bot_running(fake, bot):
        await subscribe(fake, fake.scene.member, what="liftoff", leads="1h")
        await first_step(bot)
        await settle(bot)
        assert list(bot.alerts.jobs.alert_jobs()) == [f"alert:{to_epoch(liftoff) - 3600}"]


async def test_a_launch_moved_while_the_bot_was_down_is_alerted_once_at_its_new_time_and_not_late_for_the_old(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, traveller: time_machine.Coordinates
) -> None:
    fake, user = fake_discord, fake_discord.scene.member
    old, new = START + timedelta(hours=3), START + timedelta(hours=4)
    async with fake_ll2(old) as ll2:
        await armed_for(fake, tmp_path, ll2.base_url, old)
        # Down across the old alert instant (old - 1 h); meanwhile LL2 moves the launch an hour later.
        traveller.move_to(START + timedelta(hours=2, minutes=30))
        ll2.launches = [ll2_launch(new)]
        bot = TMinusBot(settings_for(tmp_path / "t.sqlite3", ll2.base_url))
        async with bot, bot_running(fake, bot):
            await first_step(bot)
            await settle(bot)
            assert dms(fake, user) == [], "no late alert for the old time, and so no 'moved' notice either"
            assert list(bot.alerts.jobs.alert_jobs()) == [f"alert:{to_epoch(new) - 3600}"]
            traveller.move_to(new - timedelta(hours=1))
            await settle(bot)
            await fake.wait_for(lambda: len(dms(fake, user)) >= 1)
            await settle(bot)
            (alert,) = dms(fake, user)
            assert f"<t:{to_epoch(new)}:F>" in content(alert)
            assert "Late" not in content(alert)
            rows = await store.deliveries_of(bot.db, user.id)
            assert [(r["target_at"], r["state"]) for r in rows] == [(to_epoch(new), "sent")]


async def test_with_ll2_unreachable_at_restart_the_late_alert_goes_out_on_the_stored_time(
    fake_discord: FakeDiscordWithScene, tmp_path: Path, traveller: time_machine.Coordinates
) -> None:
    fake, user = fake_discord, fake_discord.scene.member
    liftoff = START + timedelta(hours=3)
    async with fake_ll2(liftoff) as ll2:
        await armed_for(fake, tmp_path, ll2.base_url, liftoff)
    traveller.move_to(START + timedelta(hours=2, minutes=30))
    # Nothing listens on port 1: the first sync fails at once, and the alert goes out on what is stored.
    bot = TMinusBot(settings_for(tmp_path / "t.sqlite3", "http://127.0.0.1:1/2.3.0"))
    async with bot, bot_running(fake, bot):
        await fake.wait_for(lambda: len(dms(fake, user)) == 1)
        await settle(bot)
        (late,) = dms(fake, user)
        assert "Late" in content(late)
        assert f"<t:{to_epoch(liftoff)}:F>" in content(late)
        assert bot.ll2.last_report is not None
        assert not bot.ll2.last_report.ok


@pytest.fixture
async def silent_ll2() -> AsyncIterator[str]:
    """An LL2 that accepts connections and never answers (the client's own timeout is 30 s)."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/2.3.0"
    finally:
        for writer in held:
            writer.close()
        server.close()


async def test_a_first_sync_that_hangs_holds_the_late_alert_no_longer_than_the_bounded_wait(
    fake_discord: FakeDiscordWithScene,
    tmp_path: Path,
    traveller: time_machine.Coordinates,
    silent_ll2: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake, user = fake_discord, fake_discord.scene.member
    liftoff = START + timedelta(hours=3)
    async with fake_ll2(liftoff) as ll2:
        await armed_for(fake, tmp_path, ll2.base_url, liftoff)
    traveller.move_to(START + timedelta(hours=2, minutes=30))
    monkeypatch.setattr(engine, "FIRST_SYNC_WAIT_S", 2.0)  # the bound, shortened (60 s in the bot)
    caplog.set_level(logging.INFO)
    bot = TMinusBot(settings_for(tmp_path / "t.sqlite3", silent_ll2))
    async with bot, bot_running(fake, bot):
        await fake.wait_for(lambda: "alerts armed" in caplog.text)
        assert "1 late alerts of LL2 milestones wait for the first LL2 sync (at most 2 s)" in caplog.text
        assert dms(fake, user) == []
        await fake.wait_for(lambda: len(dms(fake, user)) == 1, timeout_s=10)
        assert not bot.ll2.first_step_done.is_set(), "sent while the sync still hung, after the bounded wait"
        assert "no LL2 sync within 2 s of start: late alerts go out on the stored times" in caplog.text
        assert "Late" in content(dms(fake, user)[0])

"""The sync on the production clock (no injected ``now``), with time moved by time-machine: a simulated
half-day across a restart never exceeds the hourly budget. This guards the default clock path itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import time_machine

from bot.config import Settings
from bot.db import Database
from bot.ll2.sync import LL2Sync
from bot.pubsub import ChangeBus
from tests.bot.ll2.conftest import FIXTURE_NOW
from tests.fakell2.server import FakeLL2


def wall_clock() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def ll2_on_wall_clock() -> AsyncIterator[FakeLL2]:
    server = FakeLL2(wall_clock)
    await server.start()
    yield server
    await server.close()


async def test_budget_holds_on_the_real_clock_across_a_restart(ll2_on_wall_clock: FakeLL2, tmp_path: Path) -> None:
    ll2 = ll2_on_wall_clock
    settings = Settings(ll2_base_url=ll2.base_url, db_path=tmp_path / "t.sqlite3", _env_file=None)  # type: ignore[call-arg]
    # tick=False: time moves only when the test says, so the run is the same on a slow machine.
    with time_machine.travel(FIXTURE_NOW, tick=False) as traveller:
        async with aiohttp.ClientSession() as session:
            steps = 0
            for process in range(2):  # the second pass is a restart: new Database object, new LL2Sync
                async with Database(settings.db_path) as db:
                    sync = LL2Sync(db, session, settings, ChangeBus())  # no now=: the production clock
                    until = FIXTURE_NOW + timedelta(hours=6 * (process + 1))
                    while datetime.now(UTC) < until:
                        due = await sync.step()
                        assert due > datetime.now(UTC)
                        traveller.move_to(due)
                        steps += 1
    assert steps >= 6
    assert ll2.rate_limited == 0
    assert ll2.max_in_any_hour() <= settings.ll2_requests_per_hour
    assert len(ll2.counted) >= 12  # it did sync, both before and after the restart
    assert {s.at.hour for s in ll2.counted} & set(range(18, 24))

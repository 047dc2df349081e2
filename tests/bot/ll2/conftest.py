"""Fixtures for the LL2 tests: a fake clock, the fake LL2 server, a database file, and a sync wired to them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime

import aiohttp
import pytest

from bot.config import Settings
from bot.db import Database
from bot.ll2.sync import LL2Options, LL2Sync
from bot.models import Change
from bot.pubsub import ChangeBus
from tests.fakell2.server import FakeClock, FakeLL2

# The fixtures' date: the day before Progress MS-15 flew.
FIXTURE_NOW = datetime(2020, 7, 22, 12, 0, tzinfo=UTC)
PROGRESS = "c7f03e53-e4e3-42e3-9d57-71666ad80c18"
CREW1 = "0ede12be-ac6d-4571-9d0c-b2a85b5cf280"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FIXTURE_NOW)


@pytest.fixture
async def ll2(clock: FakeClock) -> AsyncIterator[FakeLL2]:
    server = FakeLL2(clock)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


class Recorder:
    """A ChangeBus subscriber that keeps every batch."""

    def __init__(self) -> None:
        self.batches: list[list[Change]] = []

    async def __call__(self, changes: Sequence[Change]) -> None:
        self.batches.append(list(changes))


@pytest.fixture
def bus() -> tuple[ChangeBus, Recorder]:
    changes = ChangeBus()
    recorder = Recorder()
    changes.subscribe(recorder)
    return changes, recorder


MakeSync = Callable[..., LL2Sync]


@pytest.fixture
def make_sync(
    db: Database, session: aiohttp.ClientSession, ll2: FakeLL2, clock: FakeClock, bus: tuple[ChangeBus, Recorder]
) -> MakeSync:
    def make(database: Database | None = None, options: LL2Options | None = None, **settings: object) -> LL2Sync:
        values: dict[str, object] = {"ll2_base_url": ll2.base_url, "db_path": db.path} | settings
        return LL2Sync(database or db, session, Settings(**values), bus[0], now=clock, options=options)  # type: ignore[arg-type]

    return make

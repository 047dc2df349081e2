"""A 429 or a 5xx on any page or detail stops the sync's requests and keeps what was read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.db.events import get_event_by_source
from bot.ll2 import records as r
from bot.ll2.client import ListResult
from bot.ll2.sync import LL2Options
from bot.models import Source
from tests.bot.ll2.conftest import FIXTURE_NOW, PROGRESS, MakeSync
from tests.fakell2.server import FakeClock, FakeLL2, Fault

NET = datetime(2020, 7, 23, 14, 26, 22, tzinfo=UTC)
LID = f"launch:{PROGRESS}"


def _rate_limit(path: str, *, after: int = 0, wait: int = 600) -> Fault:
    headers = {"Retry-After": str(wait)}
    return Fault(status=429, body="{}", headers=headers, content_type="application/json", path=path, after=after)


async def test_429_on_a_later_page_keeps_what_was_read_and_sends_nothing_more(
    make_sync: MakeSync, db: Database, ll2: FakeLL2
) -> None:
    ll2.max_limit = 1
    ll2.faults = [_rate_limit("/launches/upcoming/", after=1)]
    report = await make_sync(options=LL2Options(max_pages=5)).sync_once()
    assert [s.path for s in ll2.counted] == ["/2.3.0/launches/upcoming/"] * 2
    assert not report.ok
    assert report.retry_after == FIXTURE_NOW + timedelta(seconds=600)
    assert await db.get_state("ll2.blocked_until") == "2020-07-22T12:10:00Z"
    assert await get_event_by_source(db, Source.LL2, LID) is not None  # page 1 was stored


async def test_every_fetch_checks_the_wait_another_process_was_told(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = make_sync()
    inner = sync.fetcher.launches

    async def launches(now: datetime, pages: int) -> ListResult[r.Launch]:
        result = await inner(now, pages)
        await db.set_state("ll2.blocked_until", "2020-07-22T12:30:00Z")  # e.g. the CLI just got a 429
        return result

    monkeypatch.setattr(sync.fetcher, "launches", launches)
    report = await sync.sync_once()
    assert [s.path for s in ll2.counted] == ["/2.3.0/launches/upcoming/"]
    assert not report.ok
    assert report.retry_after == datetime(2020, 7, 22, 12, 30, tzinfo=UTC)
    assert await get_event_by_source(db, Source.LL2, LID) is not None


async def test_429_on_a_launch_detail_stops_the_sync(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync()
    await sync.sync_once()
    clock.set(NET + timedelta(minutes=30))
    ll2.launches = [x for x in ll2.launches if x["id"] != PROGRESS]
    ll2.faults = [_rate_limit(f"/launches/{PROGRESS}/")]
    before = len(ll2.counted)
    report = await sync.sync_once()
    assert [s.path for s in ll2.counted[before:]] == ["/2.3.0/launches/upcoming/", f"/2.3.0/launches/{PROGRESS}/"]
    assert not report.ok
    assert report.retry_after == clock() + timedelta(seconds=600)


async def test_5xx_on_a_later_page_fails_the_sync_but_keeps_what_was_read(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    ll2.max_limit = 1
    ll2.faults = [Fault(status=502, path="/launches/upcoming/", after=1)]
    sync = make_sync(options=LL2Options(max_pages=5))
    report = await sync.sync_once()
    assert not report.ok
    assert report.error is not None
    assert "launches" in report.error
    assert "LL2 sync failed" in report.summary()
    assert await get_event_by_source(db, Source.LL2, LID) is not None
    assert [s.path for s in ll2.counted] == ["/2.3.0/launches/upcoming/"] * 2  # no more requests spent
    assert await db.get_state("ll2.last_sync") is None
    await sync._plan(clock(), report)
    assert sync.failures == 1  # backs off instead of resetting

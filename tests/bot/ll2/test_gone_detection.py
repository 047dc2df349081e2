"""Events that leave the lists are marked gone with the reason why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.db import Database
from bot.ll2.sync import LL2Options
from bot.models import ChangeKind, EventStatus, GoneReason
from tests.bot.ll2.conftest import CREW1, PROGRESS, MakeSync, Recorder
from tests.fakell2.server import FakeClock, FakeLL2

NET = datetime(2020, 7, 23, 14, 26, 22, tzinfo=UTC)
LID = f"launch:{PROGRESS}"
CID = f"launch:{CREW1}"


def _gone(changes: list[Any]) -> dict[str, GoneReason | None]:
    return {c.source_id: c.reason for c in changes if c.kind is ChangeKind.GONE}


def _published(bus: tuple[object, Recorder]) -> list[Any]:
    return [c for batch in bus[1].batches for c in batch]


async def test_gone_changes_carry_their_reason_when_published(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock, bus: tuple[object, Recorder]
) -> None:
    sync = make_sync()
    await sync.sync_once()
    ll2.launches = [x for x in ll2.launches if x["id"] != CREW1]  # LL2 answers its detail with 404
    await sync.sync_once()
    clock.set(NET + timedelta(minutes=30))
    ll2.launches = []  # Progress flew: its detail says Success
    await sync.sync_once()
    published = _published(bus)
    assert {k: v for k, v in _gone(published).items() if k.startswith("launch:")} == {
        CID: GoneReason.WITHDRAWN,
        LID: GoneReason.HAPPENED,
    }
    assert any(c.source_id == LID and c.new_status is EventStatus.SUCCESS for c in published)
    assert "(happened)" in next(c.describe() for c in published if c.kind is ChangeKind.GONE and c.source_id == LID)


async def test_launch_given_up_on_without_a_detail_is_gone_for_an_unknown_reason(
    make_sync: MakeSync, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync(options=LL2Options(fetch_details=False))
    await sync.sync_once()
    clock.set(NET + timedelta(hours=7))
    ll2.launches = [x for x in ll2.launches if x["id"] != PROGRESS]
    report = await sync.sync_once()
    assert _gone(report.changes)[LID] is GoneReason.UNKNOWN
    assert LID not in report.happened

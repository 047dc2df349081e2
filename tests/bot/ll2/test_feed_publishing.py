"""Each feed's changes are published as soon as that feed is stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.ll2 import records as r
from bot.ll2.client import ListResult
from tests.bot.ll2.conftest import CREW1, PROGRESS, MakeSync, Recorder
from tests.fakell2.server import FakeLL2

LID = f"launch:{PROGRESS}"
CID = f"launch:{CREW1}"


def _published(bus: tuple[object, Recorder]) -> list[Any]:
    return [c for batch in bus[1].batches for c in batch]


async def test_each_feed_is_published_as_soon_as_it_is_stored(
    make_sync: MakeSync, ll2: FakeLL2, bus: tuple[object, Recorder], monkeypatch: pytest.MonkeyPatch
) -> None:
    sync = make_sync()
    inner = sync.fetcher.dockings
    published_before_dockings: list[list[str]] = []

    async def dockings(now: datetime, pages: int) -> ListResult[r.Docking]:
        published_before_dockings.append([c.source_id for c in _published(bus)])
        return await inner(now, pages)

    async def events(now: datetime, pages: int, type_ids: object) -> ListResult[r.Event]:
        raise RuntimeError("crash after two feeds were stored")

    monkeypatch.setattr(sync.fetcher, "dockings", dockings)
    monkeypatch.setattr(sync.fetcher, "events", events)
    with pytest.raises(RuntimeError):
        await sync.sync_once()
    assert published_before_dockings == [[LID, CID]]
    assert {c.source_id for c in _published(bus)} == {LID, CID, "docking:239", "docking:242"}

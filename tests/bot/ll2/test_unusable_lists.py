"""A list with nothing usable, or not read cleanly, changes nothing and withdraws nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bot.db import Database
from bot.db.events import events_in_feed
from bot.ll2 import records as r
from bot.ll2.client import ListResult
from bot.ll2.sync import DirectoryFetcher, LL2Options
from bot.models import ChangeKind, GoneReason, Source
from tests.bot.ll2.conftest import CREW1, PROGRESS, MakeSync, Recorder
from tests.fakell2.server import DATA, FakeLL2

LID = f"launch:{PROGRESS}"
CID = f"launch:{CREW1}"
LISTS = ("launches.json", "events.json", "docking_events.json")
GARBAGE = {"count": 3, "next": None, "previous": None, "results": [{"garbage": 1}, {"x": 2}, "str"]}


def _gone(changes: list[Any]) -> dict[str, GoneReason | None]:
    return {c.source_id: c.reason for c in changes if c.kind is ChangeKind.GONE}


def _published(bus: tuple[object, Recorder]) -> list[Any]:
    return [c for batch in bus[1].batches for c in batch]


@pytest.mark.parametrize(
    "payload",
    [
        GARBAGE,
        {"count": 2, "next": None, "previous": None, "results": [{"id": "a"}, {"id": "b", "name": "no net"}]},
        {"count": 5, "next": None, "previous": None, "results": []},
    ],
)
def test_a_page_with_nothing_usable_is_a_bad_response(payload: object) -> None:
    with pytest.raises(r.BadResponseError):
        r.parse_page(payload, r.Launch, what="launch")


def test_an_empty_list_that_says_it_is_empty_is_fine() -> None:
    page = r.parse_page({"count": 0, "next": None, "previous": None, "results": []}, r.Launch, what="launch")
    assert page.records == []


async def test_all_garbage_import_after_a_good_one_changes_nothing(
    make_sync: MakeSync, db: Database, tmp_path: Path, bus: tuple[object, Recorder]
) -> None:
    sync = make_sync()
    sync.fetcher = DirectoryFetcher(DATA)
    assert (await sync.sync_once()).ok
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in LISTS:
        (bad / name).write_text(json.dumps(GARBAGE), encoding="utf-8")
    sync.fetcher = DirectoryFetcher(bad)
    published = len(_published(bus))
    report = await sync.sync_once()
    assert not report.ok
    assert report.error is not None
    assert "invalid" in report.error
    assert report.changes == []
    assert len(_published(bus)) == published
    for feed in ("launches", "docking_events", "events"):
        live = await events_in_feed(db, Source.LL2, feed)
        assert live, f"the good sync stored nothing in {feed}, so this test would prove nothing"
        assert await events_in_feed(db, Source.LL2, feed, include_gone=True) == live


async def test_half_a_feed_is_not_marked_gone_from_an_unclean_list(
    make_sync: MakeSync, db: Database, ll2: FakeLL2
) -> None:
    sync = make_sync(options=LL2Options(fetch_details=False))
    await sync.sync_once()
    other = copy.deepcopy(ll2.launch(CREW1)) | {"id": "00000000-0000-0000-0000-000000000001", "name": "Other"}
    # One good record, one without even an id: the stored two look missing, but the list is not trustworthy.
    ll2.launches = [other, {"garbage": 1}]
    report = await sync.sync_once()
    assert report.ok  # a bad record is not a failed sync ...
    assert _gone(report.changes) == {}  # ... but it does not get to withdraw half the feed
    assert report.bad_records == 1
    assert any("not marked gone" in w for w in report.warnings)
    assert "warning:" in report.summary()
    # The same disappearance in a clean, complete list is believed.
    ll2.launches = [other]
    report = await sync.sync_once()
    assert _gone(report.changes) == {LID: GoneReason.WITHDRAWN, CID: GoneReason.WITHDRAWN}
    assert report.warnings == []


def test_a_list_shorter_than_its_count_is_not_clean() -> None:
    assert ListResult(count=2, received=2).clean
    assert not ListResult(count=5, received=1).clean
    assert not ListResult(count=1, received=1, skipped=1).clean
    assert not ListResult(count=1, received=1, complete=False).clean

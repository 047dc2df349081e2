"""Regression tests for the LL2 sync review: garbage lists, 429/5xx on later pages, the rolling-hour budget,
docking duplicates, GONE reasons and per-feed publishing."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db import Database
from bot.db.events import events_by_mission, events_in_feed, get_event_by_source, next_milestones
from bot.ll2 import mapping
from bot.ll2 import records as r
from bot.ll2.budget import WINDOW, RequestBudget
from bot.ll2.client import ListResult
from bot.ll2.sync import DirectoryFetcher, LL2Options
from bot.models import ChangeKind, EventStatus, GoneReason, MilestoneKind, Source
from tests.bot.ll2.conftest import CREW1, FIXTURE_NOW, PROGRESS, MakeSync, Recorder
from tests.fakell2.server import DATA, FakeClock, FakeLL2, Fault

NET = datetime(2020, 7, 23, 14, 26, 22, tzinfo=UTC)
LID = f"launch:{PROGRESS}"
CID = f"launch:{CREW1}"
LISTS = ("launches.json", "events.json", "docking_events.json")
GARBAGE = {"count": 3, "next": None, "previous": None, "results": [{"garbage": 1}, {"x": 2}, "str"]}


def _gone(changes: list[Any]) -> dict[str, GoneReason | None]:
    return {c.source_id: c.reason for c in changes if c.kind is ChangeKind.GONE}


def _published(bus: tuple[object, Recorder]) -> list[Any]:
    return [c for batch in bus[1].batches for c in batch]


def _rate_limit(path: str, *, after: int = 0, wait: int = 600) -> Fault:
    headers = {"Retry-After": str(wait)}
    return Fault(status=429, body="{}", headers=headers, content_type="application/json", path=path, after=after)


# -- 1. a wholly invalid response changes nothing ------------------------------------------------------------


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


# -- 2. a 429 stops all requests --------------------------------------------------------------------------------


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


# -- 3. the rolling-hour budget ---------------------------------------------------------------------------------


async def test_budget_counts_the_fraction_of_a_second_that_storage_drops(db: Database) -> None:
    budget = RequestBudget(db, 15)
    first = datetime(2020, 7, 22, 0, 0, 0, 900_000, tzinfo=UTC)
    for i in range(15):
        assert await budget.acquire(first + timedelta(seconds=i), "/x") is not None
    sixteenth = first + timedelta(seconds=3599.2)  # 00:59:60.1: inside the hour that began at 00:00:00.9
    assert await budget.acquire(sixteenth, "/x") is None
    assert await budget.used(sixteenth) == 15
    assert await budget.available(sixteenth) == 0
    free = await budget.free_at(sixteenth)
    assert free >= first + WINDOW
    assert await budget.available(free - timedelta(milliseconds=1)) == 0
    assert await budget.acquire(free, "/x") is not None


_GAPS = st.one_of(
    st.floats(min_value=0, max_value=4000, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1, 0.5, 0.9, 1.0, 3598.9, 3599.2, 3599.9, 3600.0, 3600.1]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(min_value=1, max_value=4),
    start=st.floats(min_value=0, max_value=0.999),
    gaps=st.lists(_GAPS, min_size=1, max_size=30),
)
async def test_no_rolling_hour_ever_holds_more_than_the_limit(
    db: Database, limit: int, start: float, gaps: list[float]
) -> None:
    await db.execute("DELETE FROM ll2_requests")
    budget = RequestBudget(db, limit)
    t = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=start)
    granted: list[datetime] = []
    for gap in gaps:
        t += timedelta(seconds=gap)
        if await budget.acquire(t, "/x") is not None:
            granted.append(t)
            continue
        # Refused: free_at is when a slot is back, and not a moment earlier.
        free = await budget.free_at(t)
        assert free > t
        assert await budget.available(free) >= 1
        assert await budget.available(free - timedelta(milliseconds=1)) == 0
    for i, begin in enumerate(granted):
        assert sum(1 for later in granted[i:] if later < begin + WINDOW) <= limit


# -- 4. one docking, one event ----------------------------------------------------------------------------------


async def test_a_docking_is_stored_once_not_again_from_the_events_list(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    await make_sync().sync_once()
    dockings = await next_milestones(db, now=clock(), limit=50, kinds=[MilestoneKind.DOCKING])
    assert [u.stored.event.source_id for u in dockings] == ["docking:239", "docking:242"]
    events = next(s for s in ll2.counted if s.path.endswith("/events/upcoming/"))
    assert events.query["mode"] == "detailed"  # the only mode that lists an event's launches


async def test_a_docking_only_listed_as_an_event_is_kept_linked_then_retired_when_its_record_appears(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    record_239 = next(d for d in ll2.dockings if d["id"] == 239)
    ll2.dockings = [d for d in ll2.dockings if d["id"] != 239]
    event_111 = next(e for e in ll2.events if e["id"] == 111)
    event_111["launches"] = [{"id": PROGRESS, "name": "Soyuz 2.1a | Progress MS-15 (76P)"}]  # as mode=detailed
    sync = make_sync(options=LL2Options(fetch_details=False))
    report = await sync.sync_once()
    assert {"event:111", "docking:242"} <= {c.source_id for c in report.changes}
    assert "event:187" not in {c.source_id for c in report.changes}  # its docking record 242 is there
    stored = await get_event_by_source(db, Source.LL2, "event:111")
    assert stored is not None
    assert stored.event.mission_key == f"ll2-launch:{PROGRESS}"
    mission = await events_by_mission(db, f"ll2-launch:{PROGRESS}")
    assert sorted(s.event.source_id for s in mission) == ["event:111", LID]
    # LL2 adds the docking record: it replaces the event copy, which is retired, not announced as withdrawn.
    ll2.dockings.append(record_239)
    clock.advance(timedelta(minutes=20))
    report = await sync.sync_once()
    assert _gone(report.changes) == {"event:111": GoneReason.UNKNOWN}
    assert (ChangeKind.NEW, "docking:239") in [(c.kind, c.source_id) for c in report.changes]
    dockings = await next_milestones(db, now=clock(), limit=50, kinds=[MilestoneKind.DOCKING])
    assert [u.stored.event.source_id for u in dockings] == ["docking:239", "docking:242"]


def _docking_event(at: str, launch: str | None) -> Any:
    return mapping.map_event(
        r.Event.model_validate(
            {
                "id": 1,
                "name": "x",
                "type": {"id": 2, "name": "Docking"},
                "date": at,
                "launches": [{"id": launch}] if launch else [],
            }
        )
    )


def test_same_docking_needs_the_same_launch_when_both_name_one() -> None:
    docking = mapping.map_docking(
        r.Docking.model_validate(
            {"id": 9, "docking": "2020-07-23T17:49:00Z", "flight_vehicle_chaser": {"launch": {"id": PROGRESS}}}
        )
    )
    assert mapping.same_docking(_docking_event("2020-07-23T17:47:00Z", PROGRESS), docking)
    assert mapping.same_docking(_docking_event("2020-07-24T20:00:00Z", PROGRESS), docking)  # slipped, same launch
    assert not mapping.same_docking(_docking_event("2020-07-23T17:47:00Z", CREW1), docking)  # another vehicle
    assert mapping.same_docking(_docking_event("2020-07-23T18:30:00Z", None), docking)
    assert not mapping.same_docking(_docking_event("2020-07-23T21:00:00Z", None), docking)


# -- 5. a failure on a later page is a failed sync --------------------------------------------------------------


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


# -- 6. GONE says why -------------------------------------------------------------------------------------------


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


# -- 7. each feed is published when it is stored ----------------------------------------------------------------


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

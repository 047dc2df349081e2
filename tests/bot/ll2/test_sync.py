"""LL2Sync against the fake LL2: storing, slips, holds, disappearances, bad answers and the request budget."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from bot.db import Database
from bot.db.events import events_by_mission, get_event_by_source, milestone_history, next_milestones
from bot.ll2 import records as r
from bot.ll2.budget import RequestBudget
from bot.ll2.client import LL2Client, LL2RateLimitedError, LL2UnavailableError
from bot.ll2.sync import LL2Options
from bot.models import ChangeKind, EventStatus, GoneReason, MilestoneKind, Precision, Source
from tests.bot.ll2.conftest import CREW1, FIXTURE_NOW, PROGRESS, MakeSync, Recorder
from tests.fakell2.server import FakeClock, FakeLL2, Fault

NET = datetime(2020, 7, 23, 14, 26, 22, tzinfo=UTC)
LID = f"launch:{PROGRESS}"


def _kinds(changes: list) -> list[tuple[ChangeKind, str]]:  # type: ignore[type-arg]
    return [(c.kind, c.source_id) for c in changes]


async def test_first_sync_stores_all_three_feeds_and_publishes(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, bus: tuple[object, Recorder]
) -> None:
    report = await make_sync().sync_once()
    assert report.ok, report.summary()
    assert report.fetched == {"launches": 2, "docking_events": 2, "events": 3}  # the press event is filtered out
    assert {c.kind for c in report.changes} == {ChangeKind.NEW}
    # One batch per feed, each published as soon as the feed was stored.
    assert [[c.source_id.split(":")[0] for c in batch] for batch in bus[1].batches] == [
        ["launch", "launch"],
        ["docking", "docking"],
        ["event"],
    ]
    assert [c for batch in bus[1].batches for c in batch] == report.changes
    # The Docking events 111 and 187 repeat dockings 239 and 242: only the docking records are stored.
    assert {c.source_id for c in report.changes if c.source_id.startswith("event:")} == {"event:188"}
    assert await db.get_state("ll2.last_sync") == "2020-07-22T12:00:00Z"
    mission = await events_by_mission(db, f"ll2-launch:{PROGRESS}")
    assert sorted(s.event.source_id for s in mission) == ["docking:239", LID]
    assert [s.path for s in ll2.counted] == [
        "/2.3.0/launches/upcoming/",
        "/2.3.0/docking_events/",
        "/2.3.0/events/upcoming/",
    ]
    launches = ll2.counted[0].query
    assert launches["mode"] == "normal"
    assert launches["hide_recent_previous"] == "true"
    assert launches["limit"] == "100"
    assert ll2.counted[1].query["docking__gte"] == "2020-07-22T12:00:00Z"
    assert ll2.counted[1].query["ordering"] == "docking"
    assert ll2.counted[2].query["type__ids"] == "2,3,4,8,13,25"
    assert all(s.authorization is None for s in ll2.seen)
    # A second sync of the same data changes nothing and publishes nothing.
    again = await make_sync().sync_once()
    assert again.ok
    assert again.changes == []
    assert len(bus[1].batches) == 3


async def test_api_key_is_sent_as_token(make_sync: MakeSync, ll2: FakeLL2) -> None:
    await make_sync(ll2_api_key="s3cret").sync_once()
    assert {s.authorization for s in ll2.seen} == {"Token s3cret"}


async def test_paging_follows_next_and_counts_every_page(make_sync: MakeSync, db: Database, ll2: FakeLL2) -> None:
    ll2.max_limit = 1
    report = await make_sync(options=LL2Options(max_pages=5)).sync_once()
    assert report.ok
    assert report.fetched == {"launches": 2, "docking_events": 2, "events": 3}
    paths = [s.path for s in ll2.counted]
    assert paths.count("/2.3.0/launches/upcoming/") == 2
    assert paths.count("/2.3.0/events/upcoming/") == 3
    assert ll2.counted[1].query["offset"] == "1"
    assert report.requests == len(ll2.counted) == 7


async def test_page_cap_reads_part_and_does_not_mark_the_rest_gone(
    make_sync: MakeSync, db: Database, ll2: FakeLL2
) -> None:
    await make_sync().sync_once()
    ll2.max_limit = 1
    report = await make_sync().sync_once()
    assert report.complete["launches"] is False
    assert not [c for c in report.changes if c.kind is ChangeKind.GONE]
    stored = await get_event_by_source(db, Source.LL2, f"launch:{CREW1}")
    assert stored is not None
    assert stored.gone_at is None


async def test_slip_sequence_later_earlier_tbd_and_back(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync(options=LL2Options(fetch_details=False))
    await sync.sync_once()
    launch = ll2.launch(PROGRESS)
    steps = [
        ("2020-07-23T16:00:00Z", 1, 1, ChangeKind.MOVED),  # later
        ("2020-07-23T15:00:00Z", 1, 1, ChangeKind.MOVED),  # earlier again
        ("2020-07-23T15:00:00Z", 5, 2, ChangeKind.PRECISION),  # TBD, to the day
        ("2020-07-23T14:26:22Z", 1, 1, ChangeKind.MOVED),  # back on
    ]
    for net, precision_id, status_id, expected in steps:
        clock.advance(timedelta(minutes=20))
        launch["net"] = net
        launch["net_precision"] = {"id": precision_id, "name": "Minute" if precision_id == 1 else "Day"}
        launch["status"] = {"id": status_id, "name": "x"}
        report = await sync.sync_once()
        kinds = [c.kind for c in report.changes if c.source_id == LID]
        assert expected in kinds, report.summary()
        if status_id == 2 or net == "2020-07-23T14:26:22Z":
            assert ChangeKind.STATUS in kinds
    stored = await get_event_by_source(db, Source.LL2, LID)
    assert stored is not None
    history = await milestone_history(db, stored.milestone_ids[MilestoneKind.LIFTOFF])
    assert [(h.at.strftime("%H:%M"), h.precision, h.status) for h in history] == [
        ("14:26", Precision.MINUTE, EventStatus.GO),
        ("16:00", Precision.MINUTE, EventStatus.GO),
        ("15:00", Precision.MINUTE, EventStatus.GO),
        ("15:00", Precision.DAY, EventStatus.TBD),
        ("14:26", Precision.MINUTE, EventStatus.GO),
    ]


async def test_hold_and_scrub(make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock) -> None:
    sync = make_sync(options=LL2Options(fetch_details=False))
    await sync.sync_once()
    clock.set(NET - timedelta(minutes=5))
    launch = ll2.launch(PROGRESS)
    launch["status"] = {"id": 5, "name": "On Hold"}
    hold = await sync.sync_once()
    assert [(c.kind, c.new_status) for c in hold.changes if c.source_id == LID] == [
        (ChangeKind.STATUS, EventStatus.HOLD)
    ]
    clock.advance(timedelta(minutes=20))
    launch["status"] = {"id": 2, "name": "To Be Determined"}
    launch["net"] = "2020-07-24T14:03:00Z"  # scrubbed: next day
    scrub = await sync.sync_once()
    mine = {c.kind: c for c in scrub.changes if c.source_id == LID}
    assert mine[ChangeKind.STATUS].new_status is EventStatus.TBD
    assert mine[ChangeKind.MOVED].new_at == datetime(2020, 7, 24, 14, 3, tzinfo=UTC)
    assert ChangeKind.GONE not in mine


async def test_launch_that_flew_leaves_the_list_as_success_not_cancelled(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync()
    await sync.sync_once()
    clock.set(NET + timedelta(minutes=30))
    ll2.launches = [x for x in ll2.launches if x["id"] != PROGRESS]
    report = await sync.sync_once()
    mine = [c for c in report.changes if c.source_id == LID]
    # The detail fetch brings the final status first (and the webcast details); the event is gone last.
    assert mine[0].kind is ChangeKind.STATUS
    assert (mine[-1].kind, mine[-1].reason) == (ChangeKind.GONE, GoneReason.HAPPENED)
    assert any(c.kind is ChangeKind.STATUS and c.new_status is EventStatus.SUCCESS for c in mine)
    assert LID in report.happened
    assert any(s.path == f"/2.3.0/launches/{PROGRESS}/" for s in ll2.counted)
    stored = await get_event_by_source(db, Source.LL2, LID)
    assert stored is not None
    assert stored.gone_at is not None
    assert stored.event.status is EventStatus.SUCCESS
    # The detail's webcast start survives later list syncs (mode=normal has no vid_urls).
    assert stored.event.milestone(MilestoneKind.COVERAGE_START) is not None


async def test_launch_deleted_before_its_time_is_gone_but_not_cancelled(
    make_sync: MakeSync, db: Database, ll2: FakeLL2
) -> None:
    sync = make_sync()
    await sync.sync_once()
    ll2.launches = [x for x in ll2.launches if x["id"] != CREW1]
    report = await sync.sync_once()
    crew = [c for c in report.changes if c.source_id == f"launch:{CREW1}"]
    assert [c.kind for c in crew] == [ChangeKind.GONE]
    assert f"launch:{CREW1}" in report.withdrawn
    stored = await get_event_by_source(db, Source.LL2, f"launch:{CREW1}")
    assert stored is not None
    assert stored.event.status is EventStatus.TBD


async def test_launch_missing_past_net_without_budget_waits_then_goes(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync(options=LL2Options(fetch_details=False))
    await sync.sync_once()
    clock.set(NET + timedelta(minutes=30))
    ll2.launches = [x for x in ll2.launches if x["id"] != PROGRESS]
    first = await sync.sync_once()
    assert LID not in {c.source_id for c in first.changes}
    clock.set(NET + timedelta(hours=7))
    later = await sync.sync_once()
    assert [c.kind for c in later.changes if c.source_id == LID] == [ChangeKind.GONE]


async def test_docking_that_happened_is_gone_and_a_withdrawn_event_too(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync(options=LL2Options(fetch_details=False))
    await sync.sync_once()
    clock.set(datetime(2020, 7, 23, 18, 0, tzinfo=UTC))  # after the Progress docking
    ll2.events = [e for e in ll2.events if e["id"] not in (111, 188)]  # 111 happened; 188 withdrawn early
    report = await sync.sync_once()
    assert report.happened == ["docking:239"]  # event:111 was never stored: a copy of docking:239
    assert report.withdrawn == ["event:188"]
    gone = {c.source_id: c.reason for c in report.changes if c.kind is ChangeKind.GONE}
    assert gone == {"docking:239": GoneReason.HAPPENED, "event:188": GoneReason.WITHDRAWN}
    assert not [c for c in report.changes if c.new_status is EventStatus.CANCELLED]


async def test_garbage_and_5xx_keep_the_last_good_data(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock, bus: tuple[object, Recorder]
) -> None:
    sync = make_sync()
    await sync.sync_once()
    before = await next_milestones(db, now=clock(), limit=50)
    last = await db.get_state("ll2.last_sync")
    for fault in (
        Fault(status=502),
        Fault(status=200, body="<html>maintenance</html>"),
        Fault(status=200, body='{"detail": "oops"}', content_type="application/json"),
        Fault(status=200, body='{"results": "nope"}', content_type="application/json"),
    ):
        clock.advance(timedelta(minutes=20))
        ll2.launches = []  # what a broken upstream might also show; must not be believed
        ll2.faults = [fault]
        report = await sync.sync_once()
        assert not report.ok, fault
        assert report.error, fault
        assert report.requests == 1  # stopped at the first failure: no budget wasted
        assert report.changes == []
    after = await next_milestones(db, now=clock(), limit=50)
    assert [(u.stored.event.source_id, u.milestone) for u in after] == [
        (u.stored.event.source_id, u.milestone) for u in before if u.milestone.at >= clock()
    ]
    assert await db.get_state("ll2.last_sync") == last
    assert len(bus[1].batches) == 3  # the first sync's three feeds; nothing since


async def test_one_bad_record_is_skipped_and_the_rest_used(make_sync: MakeSync, db: Database, ll2: FakeLL2) -> None:
    ll2.launches[0]["net"] = "not a date"
    report = await make_sync().sync_once()
    assert report.ok
    assert report.bad_records == 1
    assert await get_event_by_source(db, Source.LL2, f"launch:{CREW1}") is not None
    assert await get_event_by_source(db, Source.LL2, LID) is None


async def test_429_is_obeyed_with_retry_after(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync()
    ll2.faults = [Fault(status=429, body="{}", headers={"Retry-After": "900"}, content_type="application/json")]
    report = await sync.sync_once()
    assert report.retry_after == FIXTURE_NOW + timedelta(seconds=900)
    assert len(ll2.counted) == 1
    due = await sync._plan(clock(), report)
    assert due >= FIXTURE_NOW + timedelta(seconds=900)
    clock.advance(timedelta(minutes=10))
    skipped = await make_sync().sync_once()  # a restart remembers the wait
    assert skipped.skipped
    assert len(ll2.counted) == 1
    clock.advance(timedelta(minutes=6))
    assert (await sync.sync_once()).ok


async def test_client_errors_are_typed(
    session: aiohttp.ClientSession, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    client = LL2Client(session, ll2.base_url, budget=RequestBudget(db, 15), now=clock)
    ll2.faults = [Fault(status=503)]
    with pytest.raises(LL2UnavailableError):
        await client.fetch_list("/launches/upcoming/", {}, r.Launch, max_pages=1, what="launch")
    ll2.faults = [Fault(status=429, body="{}", headers={"Retry-After": "12"})]
    with pytest.raises(LL2RateLimitedError) as info:
        await client.fetch_list("/launches/upcoming/", {}, r.Launch, max_pages=1, what="launch")
    assert info.value.retry_after == 12
    throttle = await client.throttle()
    assert throttle.limit == 15
    assert throttle.current_use == 1  # the fake, like LL2, does not count the refused request
    assert len(ll2.counted) == 2  # the throttle read itself was free
    unreachable = LL2Client(session, "http://127.0.0.1:9/2.3.0", budget=RequestBudget(db, 15), now=clock)
    with pytest.raises(LL2UnavailableError):
        await unreachable.launch_detail(PROGRESS)


async def test_budget_never_exceeded_over_a_simulated_day_across_a_restart(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock, bus: tuple[object, Recorder]
) -> None:
    # A new launch appears two hours out every hour and flies half an hour after its NET, so a timed
    # milestone is always imminent: focused polls, regular syncs and launch details all share the budget.
    sync = make_sync()
    end = FIXTURE_NOW + timedelta(hours=24)
    restarted = False
    template = copy.deepcopy(ll2.launch(PROGRESS))
    added: set[int] = set()
    while clock() < end:
        if not restarted and clock() >= FIXTURE_NOW + timedelta(hours=11):
            # Restart: a new process, a new Database object on the same file, a new LL2Sync.
            other = Database(db.path)
            await other.connect()
            sync = make_sync(database=other)
            restarted = True
        hour = int((clock() - FIXTURE_NOW).total_seconds() // 3600)
        if hour not in added:
            added.add(hour)
            extra = copy.deepcopy(template)
            extra["id"] = f"00000000-0000-0000-0000-{hour:012d}"
            extra["net"] = (clock() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
            ll2.launches.append(extra)
        for launch in ll2.launches:
            if launch["id"].startswith("00000000") and clock() - _at(launch["net"]) >= timedelta(minutes=30):
                launch["status"] = {"id": 3, "name": "Launch Successful"}  # leaves the hide_recent_previous list
        due = await sync.step()
        assert due > clock()
        clock.set(due)
    assert ll2.rate_limited == 0
    assert ll2.query_errors == []
    assert ll2.max_in_any_hour() <= 15
    focused = [s for s in ll2.counted if "id" in s.query]
    assert len(focused) >= 24 * 10  # about one every 5 minutes ...
    assert len(ll2.counted) - len(focused) >= 24 * 3  # ... and still a full sync about every hour
    hour_counts = [
        sum(1 for s in ll2.counted if FIXTURE_NOW + timedelta(hours=h) <= s.at < FIXTURE_NOW + timedelta(hours=h + 1))
        for h in range(24)
    ]
    assert max(hour_counts) <= 15
    gone = {c.source_id: c.reason for batch in bus[1].batches for c in batch if c.kind is ChangeKind.GONE}
    flown = [f"launch:00000000-0000-0000-0000-{h:012d}" for h in range(20)]
    assert all(gone.get(i) is GoneReason.HAPPENED for i in flown), gone
    if restarted:
        await sync.db.close()


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_restart_immediately_after_spending_the_budget_waits(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    for _ in range(5):
        assert (await make_sync().sync_once()).ok  # five "restarts", three requests each: 15
        clock.advance(timedelta(minutes=1))
    other = Database(db.path)
    await other.connect()
    try:
        report = await make_sync(database=other).sync_once()
    finally:
        await other.close()
    assert report.skipped is not None
    assert "budget" in report.skipped
    assert len(ll2.counted) == 15
    assert ll2.rate_limited == 0


async def test_schedule_is_sparse_when_nothing_is_soon(make_sync: MakeSync, ll2: FakeLL2, clock: FakeClock) -> None:
    ll2.launches = [ll2.launch(CREW1)]  # month precision, weeks away
    ll2.events, ll2.dockings = [], []
    sync = make_sync()
    due = await sync.step()
    assert due - clock() == timedelta(hours=2)
    ll2.launches.append(
        copy.deepcopy(ll2.launch(CREW1))
        | {"id": PROGRESS, "net": "2020-07-22T13:30:00Z", "net_precision": {"id": 1, "name": "Minute"}}
    )
    clock.set(due)
    due = await sync.step()
    assert due - clock() == timedelta(minutes=20)


async def test_start_and_stop_run_in_the_background(make_sync: MakeSync, db: Database, ll2: FakeLL2) -> None:
    import asyncio

    sync = make_sync()
    await sync.start()
    # Look at every turn of the loop, and stop the moment a report shows: a report must never be visible
    # before the sync is fully recorded (it once was, and stopping then cancelled the write of ll2.last_sync).
    # The deadline is generous so a loaded machine does not fail the test; an idle one takes well under a second.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        if sync.last_report is not None:
            break
        await asyncio.sleep(0)
    await sync.stop()
    assert sync.last_report is not None
    assert sync.last_report.ok
    assert await db.get_state("ll2.last_sync") is not None

"""Focused polls of imminent station events (spacewalks, undockings, ...) against the fake LL2: by id in one
request, a partial list, resolved like the regular events sync, and taking turns with the launch polls within
the one rolling-hour budget."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.db import Database
from bot.db.events import get_event_by_source
from bot.ll2 import schedule
from bot.ll2.sync import FEED_EVENTS, FEED_LAUNCHES
from bot.models import ChangeKind, GoneReason, MilestoneKind, Source
from tests.bot.ll2.conftest import PROGRESS, MakeSync
from tests.fakell2.server import FakeClock, FakeLL2

NET = datetime(2020, 7, 23, 14, 26, 22, tzinfo=UTC)  # PROGRESS's T-0
EVA, UNDOCK, OTHER_EVA = 901, 902, 903
FOCUS_INTERVAL = schedule.focus_interval(per_hour=15, cost=1)


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _station_event(ll2: FakeLL2, event_id: int, at: datetime, *, type_id: int = 3, name: str = "EVA") -> dict[str, Any]:
    record = copy.deepcopy(next(e for e in ll2.events if e["id"] == 188))  # Russian EVA-47, a real record
    record |= {"id": event_id, "name": f"{name} {event_id}", "date": _iso(at), "slug": f"event-{event_id}"}
    record["type"] = {"id": type_id, "name": name}
    ll2.events.append(record)
    return record


def _event(ll2: FakeLL2, event_id: int) -> dict[str, Any]:
    return next(e for e in ll2.events if e["id"] == event_id)


async def _stored_at(db: Database, event_id: int) -> datetime | None:
    stored = await get_event_by_source(db, Source.LL2, f"event:{event_id}")
    assert stored is not None
    return min(m.at for m in stored.event.milestones if m.kind is not MilestoneKind.COVERAGE_START)


async def test_focused_poll_asks_for_the_imminent_station_events_by_id_in_one_request(
    make_sync: MakeSync, ll2: FakeLL2, clock: FakeClock
) -> None:
    start = datetime(2020, 7, 24, 12, 0, tzinfo=UTC)  # PROGRESS flew the day before: nothing else imminent
    _station_event(ll2, EVA, start + timedelta(minutes=40))
    _station_event(ll2, UNDOCK, start + timedelta(minutes=90), type_id=8, name="Undocking")
    _station_event(ll2, OTHER_EVA, start + timedelta(hours=5))  # not imminent: not asked
    clock.set(start - timedelta(hours=3))
    sync = make_sync()
    await sync.sync_once()
    clock.set(start)
    focus = await sync.focus_targets(clock())
    assert focus.event_ids == (str(EVA), str(UNDOCK))
    assert focus.feeds == (FEED_EVENTS,)
    before = len(ll2.counted)
    report = await sync.focused_poll()
    assert report.ok, report.summary()
    (asked,) = ll2.counted[before:]
    assert asked.path == "/2.3.0/events/upcoming/"
    assert set(asked.query["id"].split(",")) == {str(EVA), str(UNDOCK)}
    assert asked.query["mode"] == "detailed"
    assert ll2.query_errors == []  # ``id`` is a declared filter of /events/upcoming/ in the 2.3.0 document


async def test_spacewalk_slipping_20_minutes_before_start_is_stored_within_one_focus_interval(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    start = datetime(2020, 7, 24, 12, 0, tzinfo=UTC)
    _station_event(ll2, EVA, start)
    clock.set(start - timedelta(hours=4))
    sync = make_sync()
    await sync.step()  # a regular sync stores the spacewalk; the focus wakes 2 h before it
    while clock() < start - timedelta(minutes=20):
        clock.set(max(min(sync.due, start - timedelta(minutes=20)), clock() + timedelta(seconds=1)))
        await sync.step()
    slipped_at = clock()
    _event(ll2, EVA)["date"] = _iso(start + timedelta(minutes=45))
    while await _stored_at(db, EVA) != start + timedelta(minutes=45):
        assert clock() - slipped_at <= FOCUS_INTERVAL, "the slip was not stored within one focus interval"
        clock.set(max(sync.due, clock() + timedelta(seconds=1)))
        await sync.step()
    assert sync.last_report is not None
    assert sync.last_report.focused  # a focused poll saw it, not the hourly regular sync
    assert clock() - slipped_at <= FOCUS_INTERVAL
    assert ll2.query_errors == []


async def test_eva_that_happened_leaves_as_happened(
    make_sync: MakeSync, db: Database, clock: FakeClock, ll2: FakeLL2
) -> None:
    start = datetime(2020, 7, 24, 12, 0, tzinfo=UTC)
    _station_event(ll2, EVA, start)
    clock.set(start - timedelta(hours=1))
    sync = make_sync()
    await sync.sync_once()
    clock.set(start + timedelta(minutes=3))  # still in focus (10 min past); LL2 no longer lists it as upcoming
    report = await sync.focused_poll()
    assert report.ok, report.summary()
    assert [(c.source_id, c.reason) for c in report.changes if c.kind is ChangeKind.GONE] == [
        (f"event:{EVA}", GoneReason.HAPPENED)
    ]
    assert f"event:{EVA}" in report.happened
    assert not (await sync.focus_targets(clock())).active


async def test_station_event_poll_is_a_partial_list_and_withdraws_only_on_a_clean_answer(
    make_sync: MakeSync, db: Database, clock: FakeClock, ll2: FakeLL2
) -> None:
    start = datetime(2020, 7, 24, 12, 0, tzinfo=UTC)
    _station_event(ll2, EVA, start + timedelta(minutes=30))
    _station_event(ll2, UNDOCK, start + timedelta(minutes=60), type_id=8, name="Undocking")
    _station_event(ll2, OTHER_EVA, start + timedelta(hours=6))
    clock.set(start - timedelta(hours=3))
    sync = make_sync()
    await sync.sync_once()
    clock.set(start)
    # Deleted upstream: one imminent (asked), one far (not asked); the other imminent one is unreadable.
    ll2.events = [e for e in ll2.events if e["id"] not in (EVA, OTHER_EVA)]
    del _event(ll2, UNDOCK)["name"]
    report = await sync.focused_poll()
    gone = {c.source_id: c.reason for c in report.changes if c.kind is ChangeKind.GONE}
    assert gone == {}  # an answer with a bad record proves nothing about what it lacks
    _event(ll2, UNDOCK)["name"] = "Undocking 902"
    clock.advance(FOCUS_INTERVAL)
    report = await sync.focused_poll()
    gone = {c.source_id: c.reason for c in report.changes if c.kind is ChangeKind.GONE}
    assert gone == {f"event:{EVA}": GoneReason.WITHDRAWN}  # a clean answer without it, its time ahead
    far = await get_event_by_source(db, Source.LL2, f"event:{OTHER_EVA}")
    assert far is not None
    assert far.gone_at is None  # not asked: the next regular sync decides


async def test_undocking_and_launch_imminent_together_are_both_polled_within_the_budget(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    undock_at = NET + timedelta(minutes=30)
    _station_event(ll2, UNDOCK, undock_at, type_id=8, name="Undocking")
    clock.set(NET - timedelta(hours=3))
    sync = make_sync()
    slips = {"launch": NET - timedelta(minutes=50), "undocking": undock_at - timedelta(minutes=55)}
    seen: dict[str, datetime] = {}
    while clock() < NET + timedelta(minutes=30):
        if clock() >= slips["launch"] and "launch" not in seen:
            ll2.launch(PROGRESS)["net"] = _iso(NET + timedelta(minutes=12))
        if clock() >= slips["undocking"]:
            _event(ll2, UNDOCK)["date"] = _iso(undock_at + timedelta(minutes=20))
        await sync.step()
        launch = await get_event_by_source(db, Source.LL2, f"launch:{PROGRESS}")
        assert launch is not None
        liftoff = launch.event.milestone(MilestoneKind.LIFTOFF)
        if "launch" not in seen and liftoff is not None and liftoff.at == NET + timedelta(minutes=12):
            seen["launch"] = clock()
        if "undocking" not in seen and await _stored_at(db, UNDOCK) == undock_at + timedelta(minutes=20):
            seen["undocking"] = clock()
        clock.set(max(sync.due, clock() + timedelta(seconds=1)))
    polls = [s for s in ll2.counted if "id" in s.query]
    assert {s.path for s in polls} == {"/2.3.0/launches/upcoming/", "/2.3.0/events/upcoming/"}
    # Each feed in turn: neither waits longer than the other's terminal count (PROGRESS is never In Flight here:
    # 10 min either side of its T-0) and a poll, for its next read while both are imminent (a minute's slack: a
    # poll may wait for a regular sync's budget).
    for path in ("/2.3.0/launches/upcoming/", "/2.3.0/events/upcoming/"):
        times = [s.at for s in ll2.counted if s.path == path and s.at >= NET - timedelta(hours=1, minutes=30)]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert max(gaps) <= 2 * schedule.TERMINAL + FOCUS_INTERVAL + timedelta(minutes=1), (path, gaps)
    assert seen["launch"] - slips["launch"] <= 2 * FOCUS_INTERVAL
    assert seen["undocking"] - slips["undocking"] <= 2 * FOCUS_INTERVAL
    assert ll2.max_in_any_hour() <= 15
    assert ll2.rate_limited == 0
    assert ll2.query_errors == []
    assert FEED_LAUNCHES in (await sync.focus_targets(NET - timedelta(minutes=20))).feeds

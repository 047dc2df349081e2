"""The focused poll near T-0 against the fake LL2: one request for the imminent launches, a partial list that
proves nothing about what it was not asked, the end of the focused window, freshness for /about and check,
and a shorter run of the freshness simulation (bench/bench_freshness.py) that asserts the issue's targets."""

from __future__ import annotations

import contextlib
import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db import Database
from bot.db.events import get_event_by_source
from bot.freshness import read_freshness
from bot.ll2 import schedule
from bot.ll2.budget import WINDOW
from bot.ll2.client import BudgetExhaustedError
from bot.ll2.sync import FEED_EVENTS, LL2Options
from bot.models import ChangeKind, EventStatus, GoneReason, Source
from tests.bot.ll2.conftest import CREW1, FIXTURE_NOW, PROGRESS, MakeSync
from tests.fakell2.server import FakeClock, FakeLL2
from tests.fakell2.simulation import AFTER, NEAR, STATION_NEAR, run, summary

NET = datetime(2020, 7, 23, 14, 26, 22, tzinfo=UTC)
LID = f"launch:{PROGRESS}"
CID = f"launch:{CREW1}"
OTHER = "00000000-0000-4000-8000-000000000001"
UNDOCKING = 904


def _gone(changes: list[Any]) -> dict[str, GoneReason | None]:
    return {c.source_id: c.reason for c in changes if c.kind is ChangeKind.GONE}


def _another_launch(ll2: FakeLL2, net: datetime) -> None:
    extra = copy.deepcopy(ll2.launch(PROGRESS))
    extra["id"] = OTHER
    extra["net"] = net.strftime("%Y-%m-%dT%H:%M:%SZ")
    ll2.launches.append(extra)


async def test_focused_poll_asks_for_the_imminent_launches_by_id_in_one_request(
    make_sync: MakeSync, ll2: FakeLL2, clock: FakeClock
) -> None:
    _another_launch(ll2, NET + timedelta(minutes=50))
    sync = make_sync()
    await sync.sync_once()
    clock.set(NET - timedelta(hours=1))
    focus = await sync.focus_targets(clock())
    assert focus.imminent == (LID, f"launch:{OTHER}")  # soonest first; CREW1 (month precision) is not timed
    before = len(ll2.counted)
    report = await sync.focused_poll()
    assert report.ok, report.summary()
    assert report.summary().startswith("LL2 focused poll ok")
    (asked,) = ll2.counted[before:]
    assert asked.path == "/2.3.0/launches/upcoming/"
    assert set(asked.query["id"].split(",")) == {PROGRESS, OTHER}
    assert asked.query["mode"] == "detailed"  # the webcast start comes with it, at the same cost
    assert "hide_recent_previous" not in asked.query  # a launch that flew comes back with its final status
    assert ll2.query_errors == []


async def test_focused_poll_stores_a_slip_and_marks_nothing_it_was_not_asked_about_gone(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync()
    await sync.sync_once()
    clock.set(NET - timedelta(minutes=30))
    ll2.launches = [x for x in ll2.launches if x["id"] != CREW1]  # gone upstream, but the poll does not ask
    ll2.launch(PROGRESS)["net"] = "2020-07-23T14:41:22Z"
    report = await sync.focused_poll()
    moved = [c for c in report.changes if c.kind is ChangeKind.MOVED]
    assert [(c.source_id, c.new_at) for c in moved] == [(LID, NET + timedelta(minutes=15))]
    assert _gone(report.changes) == {}
    stored = await get_event_by_source(db, Source.LL2, CID)
    assert stored is not None
    assert stored.gone_at is None
    # The next regular sync, a complete list, is what may tell that CREW1 left.
    assert _gone((await sync.sync_once()).changes) == {CID: GoneReason.WITHDRAWN}


async def test_launch_that_flew_comes_back_final_and_ends_as_happened(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    _another_launch(ll2, NET + timedelta(hours=1))  # keeps the focus on while PROGRESS rides along
    sync = make_sync()
    await sync.sync_once()
    clock.set(NET + timedelta(minutes=2))
    ll2.launch(PROGRESS)["status"] = {"id": 6, "name": "In Flight"}
    flying = await sync.focused_poll()
    statuses = [c.new_status for c in flying.changes if c.source_id == LID and c.kind is ChangeKind.STATUS]
    assert statuses == [EventStatus.IN_FLIGHT]
    assert LID not in (await sync.focus_targets(clock())).imminent  # In Flight ends its focused window ...
    clock.set(NET + timedelta(minutes=20))
    ll2.launch(PROGRESS)["status"] = {"id": 3, "name": "Launch Successful"}  # leaves the regular list
    focus = await sync.focus_targets(clock())
    assert PROGRESS in focus.launch_ids  # ... but it rides along in the poll for the next launch
    before = len(ll2.counted)
    report = await sync.focused_poll()
    assert len(ll2.counted) - before == 1  # no detail needed: the answer has the final status
    assert _gone(report.changes) == {LID: GoneReason.HAPPENED}
    assert LID in report.happened
    stored = await get_event_by_source(db, Source.LL2, LID)
    assert stored is not None
    assert stored.event.status is EventStatus.SUCCESS


async def test_launch_deleted_after_liftoff_is_looked_up_and_ends_as_happened(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    _another_launch(ll2, NET + timedelta(hours=1))
    sync = make_sync()
    await sync.sync_once()
    clock.set(NET + timedelta(minutes=20))
    ll2.launches = [x for x in ll2.launches if x["id"] != PROGRESS]  # only its detail (Success) is left
    report = await sync.focused_poll()
    assert _gone(report.changes) == {LID: GoneReason.HAPPENED}
    assert any(s.path == f"/2.3.0/launches/{PROGRESS}/" for s in ll2.counted)
    stored = await get_event_by_source(db, Source.LL2, LID)
    assert stored is not None
    assert stored.event.status is EventStatus.SUCCESS


async def test_in_flight_launch_dropped_without_a_detail_ends_as_happened_not_withdrawn(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    _another_launch(ll2, NET + timedelta(hours=1))
    sync = make_sync(options=LL2Options(fetch_details=False))
    await sync.sync_once()
    clock.set(NET + timedelta(minutes=2))
    ll2.launch(PROGRESS)["status"] = {"id": 6, "name": "In Flight"}
    await sync.focused_poll()
    clock.set(NET + timedelta(minutes=25))
    ll2.launches = [x for x in ll2.launches if x["id"] != PROGRESS]
    report = await sync.focused_poll()
    assert _gone(report.changes) == {LID: GoneReason.HAPPENED}
    stored = await get_event_by_source(db, Source.LL2, LID)
    assert stored is not None
    assert stored.event.status is EventStatus.IN_FLIGHT  # the outcome is not guessed


async def test_imminent_launch_deleted_before_t0_is_withdrawn_only_on_its_404(
    make_sync: MakeSync, ll2: FakeLL2, clock: FakeClock
) -> None:
    _another_launch(ll2, NET + timedelta(minutes=30))
    sync = make_sync()
    await sync.sync_once()
    clock.set(NET - timedelta(minutes=30))
    ll2.launches = [x for x in ll2.launches if x["id"] != OTHER]  # and LL2 has no detail of it: 404
    report = await sync.focused_poll()
    assert _gone(report.changes) == {f"launch:{OTHER}": GoneReason.WITHDRAWN}
    assert [s.status for s in ll2.counted if s.path.endswith(f"/{OTHER}/")] == [404]


async def test_focus_ends_ten_minutes_after_t0_later_when_held(
    make_sync: MakeSync, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync()
    await sync.sync_once()
    assert not (await sync.focus_targets(NET - timedelta(hours=2, seconds=1))).active
    assert (await sync.focus_targets(NET - timedelta(hours=2))).imminent == (LID,)
    assert (await sync.focus_targets(NET + timedelta(minutes=10))).active
    assert not (await sync.focus_targets(NET + timedelta(minutes=10, seconds=1))).active
    clock.set(NET - timedelta(minutes=1))
    ll2.launch(PROGRESS)["status"] = {"id": 5, "name": "On Hold"}
    await sync.focused_poll()
    assert (await sync.focus_targets(NET + timedelta(minutes=59))).active
    assert not (await sync.focus_targets(NET + timedelta(hours=1, seconds=1))).active


async def test_loop_wakes_for_the_focus_and_polls_every_five_minutes(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync()
    await sync.step()
    # PROGRESS is 26 h away: an idle regular interval, and a focused poll due when it is 2 h away.
    assert sync.next_due == FIXTURE_NOW + timedelta(hours=2)
    assert sync.focus_due == NET - timedelta(hours=2)
    assert (await read_freshness(db)).next_refresh == FIXTURE_NOW + timedelta(hours=2)
    clock.set(NET - timedelta(hours=2))
    sync.next_due = NET  # as if the regular syncs had run until now: the focus is what wakes next
    due = await sync.step()
    assert sync.last_report is not None
    assert sync.last_report.focused
    assert due == NET - timedelta(hours=2) + timedelta(minutes=5)
    fresh = await read_freshness(db)
    assert fresh.last_refresh == NET - timedelta(hours=2)
    assert fresh.last_sync == FIXTURE_NOW  # a focused poll is not a full sync
    assert fresh.next_refresh == due


async def test_an_imminent_docking_gets_the_docking_list_polled_before_launches_riding_along(
    make_sync: MakeSync, ll2: FakeLL2, clock: FakeClock
) -> None:
    sync = make_sync()
    await sync.sync_once()
    clock.set(datetime(2020, 7, 23, 16, 20, tzinfo=UTC))  # docking 239 at 17:49; PROGRESS flew at 14:26
    focus = await sync.focus_targets(clock())
    assert focus.imminent == ("docking:239",)
    assert focus.launch_ids == (PROGRESS,)  # past T-0 and not known to be over: it rides along
    assert focus.feeds == ("launches", "docking_events")
    assert focus.cost == 1  # one feed per poll: they take turns
    before = len(ll2.counted)
    report = await sync.focused_poll()
    assert report.ok, report.summary()
    # Both were last read by the regular sync; the feed with an imminent item goes first.
    assert [s.path for s in ll2.counted[before:]] == ["/2.3.0/docking_events/"]
    clock.advance(timedelta(minutes=5))
    await sync.focused_poll()
    assert ll2.counted[-1].path == "/2.3.0/launches/upcoming/"  # the riders' feed, read longest ago


async def test_fake_refuses_a_filter_the_document_does_not_declare(
    session: aiohttp.ClientSession, ll2: FakeLL2
) -> None:
    base = f"{ll2.base_url}/launches/upcoming/"
    for query in ({"net__after": "2020-07-23T00:00:00Z"}, {"id": "not-a-uuid"}, {"mode": "verbose"}):
        async with session.get(base, params=query) as resp:
            assert resp.status == 400, query
    async with session.get(base, params={"net__gte": "2020-07-23T00:00:00Z", "id": PROGRESS}) as resp:
        assert resp.status == 200
    assert len(ll2.query_errors) == 3


# -- the budget holds with focused polls in the mix --------------------------------------------------------------

_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["regular", "focused", "station", "detail", "step"]),
        st.floats(min_value=0, max_value=1500, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=5), actions=_ACTIONS)
async def test_no_rolling_hour_holds_more_than_the_limit_with_focused_polls_in_the_mix(
    make_sync: MakeSync, db: Database, ll2: FakeLL2, clock: FakeClock, limit: int, actions: list[tuple[str, float]]
) -> None:
    await db.execute("DELETE FROM ll2_requests")
    await db.execute("DELETE FROM ll2_detail_fetches")
    ll2.seen.clear()
    clock.set(NET - timedelta(hours=1))  # PROGRESS imminent: focused polls have something to ask
    if not any(e["id"] == UNDOCKING for e in ll2.events):  # an undocking imminent too: the polls take turns
        undocking = copy.deepcopy(next(e for e in ll2.events if e["id"] == 188))
        undocking |= {"id": UNDOCKING, "date": "2020-07-23T14:50:00Z", "type": {"id": 8, "name": "Undocking"}}
        ll2.events.append(undocking)
    sync = make_sync(ll2_requests_per_hour=limit)
    for action, gap in actions:
        clock.advance(timedelta(seconds=gap))
        if action == "regular":
            await sync.sync_once()
        elif action == "focused":
            await sync.focused_poll()
        elif action == "station":
            await sync.focused_poll(feed=FEED_EVENTS)  # the undocking's turn (once a sync has stored it)
        elif action == "step":
            await sync.step()
        else:
            with contextlib.suppress(BudgetExhaustedError):  # refused before sending: nothing to count
                await sync.fetcher.launch_detail(PROGRESS)
    times = sorted(s.at for s in ll2.counted)
    for i, start in enumerate(times):
        assert sum(1 for t in times[i:] if t < start + WINDOW) <= limit
    assert ll2.rate_limited == 0


# -- the freshness simulation, shorter than the bench ------------------------------------------------------------


@pytest.mark.parametrize("seed", [11, 12])
async def test_simulated_half_day_meets_the_freshness_targets_near_t0(seed: int, tmp_path: Path) -> None:
    result = await run(seed, hours=15, tmp=tmp_path, stations=False)
    report = "\n".join(summary(result))  # printed with the seed when an assertion fails
    count, _, p95, worst = result.figures(NEAR)
    assert count >= 8, report  # enough changes near T-0 for the figures to mean something
    assert p95 <= 5.0, report
    assert worst <= 8.0, report
    assert result.busiest_hour <= 15, report
    assert result.rate_limited == 0, report
    assert result.query_errors == [], report
    assert result.wrong_gone == [], report  # every launch that left after liftoff ended as happened
    assert result.figures(AFTER)[0] >= 2, report
    assert result.focused_requests > result.requests / 2, report


@pytest.mark.parametrize("seed", [11, 12])
async def test_simulated_half_day_with_station_events_sees_every_imminent_change_within_its_turn(
    seed: int, tmp_path: Path
) -> None:
    result = await run(seed, hours=15, tmp=tmp_path)
    report = "\n".join(summary(result))
    # While two feeds are imminent each waits at most four polls for its turn, or the other's terminal count and
    # a poll (bot/ll2/schedule.py), so no change near T-0 waits more than about 25 minutes.
    poll = schedule.focus_interval(per_hour=15, cost=1)
    turn = max(4 * poll, 2 * schedule.TERMINAL + poll).total_seconds() / 60 + 1
    assert result.figures(STATION_NEAR)[0] >= 2, report
    for group in (NEAR, STATION_NEAR):
        assert result.figures(group)[3] <= turn, report
    assert result.figures(NEAR)[1] <= 5.0, report  # the median launch change still within one poll
    assert result.station_requests > 0, report
    assert result.busiest_hour <= 15, report
    assert result.rate_limited == 0, report
    assert result.query_errors == [], report
    assert result.wrong_gone == [], report  # launches that flew and station events that took place: happened

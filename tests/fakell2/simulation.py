"""A simulated stretch of LL2 life near T-0, to measure how soon the bot stores what upstream changed.

Everything real except time: the real ``LL2Sync`` loop (``step()``) with the real client over HTTP to the
fake LL2, a real SQLite file, and one injected :class:`~bot.clock.ManualClock` for both sides. A launch is due
every 3 hours; a seeded RNG writes, for each, a script of upstream changes at random moments: slips of
minutes and of days far out and near T-0, holds that resume, scrubs to TBD (Day precision, a day later), and
the end: In Flight just after T-0, then Success, when the launch leaves the ``hide_recent_previous`` list (or,
for some, is deleted from the upcoming list altogether, with only its detail left to tell that it flew).

Station events (spacewalks and undockings, ``/events/upcoming/``) come from a second RNG seeded from the same
seed, so a seed's launches are the same with or without them: one every ``STATION_SPACING`` or so, with slips
of minutes near their start, sometimes one far out or a slip of days, and the end: the time passes (LL2 stops
listing it as upcoming) and it must end as *happened*.

A change is *seen* when the stored item shows it (or a later change of the same item). Its delay is counted
in one group by when it happened upstream, against the item's T-0 at that moment:

- ``near``: a launch's change from 2 h before T-0 to ``FOCUS_AFTER`` past it, the launch not yet flying (the
  focused window; the issue's targets, p95 <= 5 min and max <= 8 min, apply here);
- ``after liftoff``: the end of a launch that is already In Flight (the focused window has ended for it);
- ``far``: a launch's other changes;
- ``station near`` / ``station far``: the same split for station events' slips;
- ``station end``: a station event's time passed (it must end as happened; like a launch's end after
  liftoff, this is resolved at its feed's next turn or, once out of focus, by the next regular sync).

Used by ``bench/bench_freshness.py`` (48 h, several seeds) and by a shorter test run.
"""

from __future__ import annotations

import copy
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from bot.clock import ManualClock
from bot.config import Settings
from bot.db import Database
from bot.db.events import get_event_by_source
from bot.ll2.schedule import FOCUS_AFTER, HOLD_AFTER, SOON
from bot.ll2.sync import LL2Sync
from bot.models import Change, ChangeKind, EventStatus, GoneReason, MilestoneKind, Precision, Source
from bot.pubsub import ChangeBus
from tests.fakell2.server import FakeLL2, load_fixture

START = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
SPACING = timedelta(hours=3)
NEAR, AFTER, FAR = "near", "after liftoff", "far"
STATION_NEAR, STATION_END, STATION_FAR = "station near", "station end", "station far"
GROUPS = (NEAR, AFTER, FAR, STATION_NEAR, STATION_END, STATION_FAR)
STATION_SPACING = timedelta(hours=16)
_EVA, _UNDOCKING = 3, 8

_GO, _TBD, _SUCCESS, _HOLD, _IN_FLIGHT = 1, 2, 3, 5, 6
_STATUS = {_GO: EventStatus.GO, _TBD: EventStatus.TBD, _SUCCESS: EventStatus.SUCCESS, _HOLD: EventStatus.HOLD}
_STATUS[_IN_FLIGHT] = EventStatus.IN_FLIGHT
_MINUTE, _DAY = 1, 5
_IN_FLIGHT_S = EventStatus.IN_FLIGHT


@dataclass
class State:
    """What upstream says about one launch after a change."""

    net: datetime
    precision: int = _MINUTE
    status: int = _GO
    listed: bool = True  # False: deleted from the upcoming list (only its detail is left)

    def matches(self, stored_at: datetime | None, precision: Precision, status: EventStatus, gone: bool) -> bool:
        """Whether the stored launch shows this state."""
        if self.status == _SUCCESS:
            # Over: gone from the stored launches, with its outcome (or In Flight when LL2 deleted it before
            # a detail could be had: ``Result.outcome_unknown`` counts those).
            return gone and status in (EventStatus.SUCCESS, EventStatus.IN_FLIGHT)
        want = Precision.MINUTE if self.precision == _MINUTE else Precision.DAY
        same_time = want is not Precision.MINUTE or stored_at == self.net
        return not gone and same_time and precision is want and status is _STATUS[self.status]


@dataclass
class StationState:
    """What upstream says about one station event after a change."""

    date: datetime
    type_id: int = _EVA
    over: bool = False  # its time passed: no longer listed as upcoming, and must end as happened

    def matches(self, stored_at: datetime | None, gone: GoneReason | None, is_gone: bool) -> bool:
        """Whether the stored event shows this state."""
        if self.over:
            return is_gone and gone is GoneReason.HAPPENED
        return not is_gone and stored_at == self.date


@dataclass
class UpstreamChange:
    """One scripted change: at ``at`` launch ``index`` (or station event ``index``) takes ``state``."""

    at: datetime
    index: int
    what: str
    state: State | StationState
    group: str = FAR
    seen_at: datetime | None = None

    @property
    def station(self) -> bool:
        """A station event's change, not a launch's."""
        return isinstance(self.state, StationState)


@dataclass
class Result:
    """What one run measured."""

    seed: int
    hours: float
    per_hour: int
    changes: list[UpstreamChange]
    busiest_hour: int
    requests: int
    focused_requests: int
    rate_limited: int
    query_errors: list[str]
    station_requests: int = 0  # focused polls of station events
    wrong_gone: list[str] = field(default_factory=list)  # flown launches not ended as HAPPENED, or others ended
    outcome_unknown: int = 0  # flown launches ended as HAPPENED but still In Flight (deleted, no detail had)

    def delays(self, group: str) -> list[float]:
        """Minutes from each change of ``group`` to its being stored (unseen ones count to the end of the run)."""
        end = START + timedelta(hours=self.hours)
        return [((c.seen_at or end) - c.at).total_seconds() / 60 for c in self.changes if c.group == group]

    def unseen(self, group: str) -> int:
        """Changes of ``group`` never stored (the run ended first)."""
        return sum(1 for c in self.changes if c.group == group and c.seen_at is None)

    def figures(self, group: str) -> tuple[int, float, float, float]:
        """(count, p50, p95, max) of the delays in minutes."""
        values = sorted(self.delays(group))
        if not values:
            return 0, 0.0, 0.0, 0.0
        return len(values), statistics.median(values), percentile(values, 0.95), values[-1]


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile of sorted ``values``."""
    rank = max(1, -(-len(values) * q // 1))  # ceil(n q), at least 1
    return values[int(rank) - 1]


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _uniform(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=round(rng.uniform(0, max(0.0, (end - start).total_seconds()))))


def script(rng: random.Random, hours: float) -> tuple[list[State], list[UpstreamChange]]:
    """The launches' first states and every later upstream change, in time order."""
    end = START + timedelta(hours=hours)
    firsts: list[State] = []
    changes: list[UpstreamChange] = []
    count = int(hours * 3600 // SPACING.total_seconds())
    for index in range(count):
        t0 = START + SPACING * (index + 1) + timedelta(minutes=rng.randint(-20, 20))
        state = State(t0)
        firsts.append(state)
        now = START

        def change(at: datetime, what: str, new: State, idx: int = index) -> State:
            changes.append(UpstreamChange(at, idx, what, new))
            return new

        # Far out: a small slip some hours before (when there is room for one).
        if t0 - SOON - timedelta(minutes=30) > START + timedelta(minutes=30) and rng.random() < 0.5:
            at = _uniform(rng, START + timedelta(minutes=30), t0 - SOON - timedelta(minutes=30))
            state = change(at, "slip of minutes (far)", State(state.net + timedelta(minutes=rng.randint(-15, 30))))
            now = at
        # Near T-0: up to two slips of minutes at random moments.
        for _ in range(rng.choice((0, 1, 1, 2))):
            window_start = max(now, state.net - SOON) + timedelta(seconds=1)
            at = _uniform(rng, window_start, state.net - timedelta(minutes=1))
            if at <= now:
                continue
            state = change(at, "slip of minutes", State(max(state.net + timedelta(minutes=rng.randint(-10, 30)), at)))
            now = at
        ending = rng.choices(("fly", "hold", "scrub", "days"), weights=(5, 2, 1, 1))[0]
        if ending == "hold":
            at = _uniform(rng, max(now, state.net - timedelta(minutes=40)), state.net - timedelta(minutes=1))
            state = change(at, "hold", State(state.net, status=_HOLD))
            resume = at + timedelta(minutes=rng.randint(3, 25))
            new_net = max(state.net, resume) + timedelta(minutes=rng.randint(5, 30))
            state = change(resume, "hold released, new T-0", State(new_net))
            now = resume
            ending = "fly"
        if ending == "scrub":
            at = _uniform(rng, max(now, state.net - SOON), state.net - timedelta(minutes=1))
            change(at, "scrub to TBD", State(state.net + timedelta(days=1), precision=_DAY, status=_TBD))
            continue
        if ending == "days":
            at = _uniform(rng, max(now, state.net - SOON), state.net - timedelta(minutes=1))
            change(at, "slip of days", State(state.net + timedelta(days=rng.randint(1, 3))))
            continue
        # Liftoff: In Flight within minutes of T-0, then over; it leaves the list LL2's way, or is deleted.
        flying = state.net + timedelta(seconds=rng.randint(20, 180))
        change(flying, "in flight", State(state.net, status=_IN_FLIGHT))
        over = flying + timedelta(minutes=rng.randint(8, 40))
        deleted = rng.random() < 0.3
        change(over, "left the list after liftoff", State(state.net, status=_SUCCESS, listed=not deleted))
    changes = [c for c in changes if c.at < end]
    changes.sort(key=lambda c: c.at)
    _classify(firsts, changes)
    return firsts, changes


def station_script(rng: random.Random, hours: float) -> tuple[list[StationState], list[UpstreamChange]]:
    """The station events' first states and every later upstream change, in time order."""
    end = START + timedelta(hours=hours)
    firsts: list[StationState] = []
    changes: list[UpstreamChange] = []
    count = max(1, int(hours * 3600 // STATION_SPACING.total_seconds()))
    for index in range(count):
        at0 = START + STATION_SPACING * index + timedelta(minutes=rng.randint(150, 900))
        state = StationState(at0, type_id=rng.choice((_EVA, _UNDOCKING)))
        firsts.append(state)
        now = START
        what = "spacewalk" if state.type_id == _EVA else "undocking"

        def change(at: datetime, text: str, new: StationState, idx: int = index) -> StationState:
            changes.append(UpstreamChange(at, idx, text, new))
            return new

        if state.date - SOON - timedelta(minutes=30) > START + timedelta(minutes=30) and rng.random() < 0.5:
            at = _uniform(rng, START + timedelta(minutes=30), state.date - SOON - timedelta(minutes=30))
            new = StationState(state.date + timedelta(minutes=rng.randint(-20, 40)), state.type_id)
            state = change(at, f"{what} slip of minutes (far)", new)
            now = at
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            at = _uniform(rng, max(now, state.date - SOON) + timedelta(seconds=1), state.date - timedelta(minutes=1))
            if at <= now:
                continue
            # Never moved to start within minutes of the announcement (the crew and the station need the time).
            soonest = at + timedelta(minutes=15)
            new = StationState(max(state.date + timedelta(minutes=rng.randint(-10, 40)), soonest), state.type_id)
            state = change(at, f"{what} slip of minutes", new)
            now = at
        if rng.random() < 0.15:
            at = _uniform(rng, max(now, state.date - SOON), state.date - timedelta(minutes=1))
            later = StationState(state.date + timedelta(days=rng.randint(1, 3)), state.type_id)
            state = change(at, f"{what} slip of days", later)  # it takes place then (if the run lasts)
        change(state.date, f"{what} took place", StationState(state.date, state.type_id, over=True))
    changes = [c for c in changes if c.at < end]
    changes.sort(key=lambda c: c.at)
    current = list(firsts)
    for c in changes:
        before = current[c.index]
        near = before.date - SOON <= c.at <= before.date + FOCUS_AFTER
        c.group = STATION_END if c.state.over else STATION_NEAR if near else STATION_FAR
        assert isinstance(c.state, StationState)
        current[c.index] = c.state
    return firsts, changes


def _after(state: State) -> timedelta:
    return HOLD_AFTER if state.status == _HOLD else FOCUS_AFTER


def _classify(firsts: list[State], changes: list[UpstreamChange]) -> None:
    current = list(firsts)
    for c in changes:
        assert isinstance(c.state, State)
        before = current[c.index]
        if before.status == _IN_FLIGHT:
            c.group = AFTER
        elif before.precision == _MINUTE and before.net - SOON <= c.at <= before.net + _after(before):
            c.group = NEAR
        current[c.index] = c.state


def _record(template: dict[str, Any], index: int, state: State) -> dict[str, Any]:
    record = copy.deepcopy(template)
    record["id"] = f"00000000-0000-4000-8000-{index:012d}"
    record["name"] = f"Simulated {index}"
    record["slug"] = f"simulated-{index}"
    for key in ("net", "window_start", "window_end"):
        record[key] = _iso(state.net)
    record["net_precision"] = {"id": state.precision, "name": "Minute" if state.precision == _MINUTE else "Day"}
    record["status"] = {"id": state.status, "name": _STATUS[state.status].label}
    return record


def _station_id(index: int) -> int:
    return 5000 + index


def _station_record(template: dict[str, Any], index: int, state: StationState) -> dict[str, Any]:
    record = copy.deepcopy(template)
    name = "EVA" if state.type_id == _EVA else "Undocking"
    record |= {"id": _station_id(index), "name": f"Simulated {name} {index}", "slug": f"simulated-event-{index}"}
    record["type"] = {"id": state.type_id, "name": name}
    record["date"] = _iso(state.date)
    return record


def _apply(ll2: FakeLL2, template: dict[str, Any], change: UpstreamChange, station: dict[str, Any]) -> None:
    if isinstance(change.state, StationState):
        # A station event that took place needs no edit: its date passed, so LL2 lists it no more as upcoming.
        if not change.state.over:
            record = _station_record(station, change.index, change.state)
            ll2.events = [e for e in ll2.events if e["id"] != record["id"]] + [record]
        return
    record = _record(template, change.index, change.state)
    ll2.launches = [x for x in ll2.launches if x["id"] != record["id"]]
    if change.state.listed:
        ll2.launches.append(record)
    else:
        ll2.details[record["id"]] = record | {"vid_urls": []}


async def run(
    seed: int,
    *,
    hours: float,
    tmp: Path,
    per_hour: int = 15,
    log: Callable[[str], None] | None = None,
    stations: bool = True,
) -> Result:
    """Simulate ``hours`` of upstream life and the bot's loop (launches only when ``stations`` is False: the
    figures issue 13 set its targets on); returns what was measured."""
    rng = random.Random(seed)
    firsts, launch_changes = script(rng, hours)
    # Its own RNG: a seed's launches stay what they were before station events joined the simulation.
    station_firsts, station_changes = station_script(random.Random(f"station-{seed}"), hours) if stations else ([], [])
    changes = sorted(launch_changes + station_changes, key=lambda c: c.at)
    template = load_fixture("launches.json")["results"][0]
    station = next(e for e in load_fixture("events.json")["results"] if e["id"] == 188)  # an EVA
    clock = ManualClock(START)
    ll2 = FakeLL2(clock.now, limit_per_hour=per_hour)
    ll2.launches = [_record(template, i, s) for i, s in enumerate(firsts)]
    ll2.events = [_station_record(station, i, s) for i, s in enumerate(station_firsts)]
    ll2.dockings, ll2.details = [], {}
    gone: dict[str, GoneReason | None] = {}

    async def on_changes(batch: list[Change]) -> None:
        for c in batch:
            if c.kind is ChangeKind.GONE:
                gone[c.source_id] = c.reason

    bus = ChangeBus()
    bus.subscribe(on_changes)  # type: ignore[arg-type]
    await ll2.start()
    end = START + timedelta(hours=hours)
    settings = Settings(  # type: ignore[call-arg]
        ll2_base_url=ll2.base_url, db_path=tmp / f"sim-{seed}.sqlite3", ll2_requests_per_hour=per_hour, _env_file=None
    )
    pending = list(changes)
    upcoming = list(changes)
    try:
        async with aiohttp.ClientSession() as session, Database(settings.db_path) as db:
            sync = LL2Sync(db, session, settings, bus, now=clock.now)
            while clock.now() < end:
                while upcoming and upcoming[0].at <= clock.now():
                    _apply(ll2, template, upcoming.pop(0), station)
                due = await sync.step()
                pending = await _check(db, pending, changes, clock.now(), gone)
                if log is not None and sync.last_report is not None and sync.last_report.started_at == clock.now():
                    log(f"{clock.now():%d %H:%M:%S} {sync.last_report.summary().splitlines()[0]}")
                nxt = min(due, upcoming[0].at) if upcoming else due
                clock.set(max(nxt, clock.now() + timedelta(seconds=1)))
            unknown = 0
            for i in range(len(firsts)):
                stored = await get_event_by_source(db, Source.LL2, f"launch:{_record(template, i, firsts[i])['id']}")
                unknown += stored is not None and stored.gone_at is not None and stored.event.status is _IN_FLIGHT_S
    finally:
        await ll2.close()
    result = Result(
        seed=seed,
        hours=hours,
        per_hour=per_hour,
        changes=changes,
        busiest_hour=ll2.max_in_any_hour(),
        requests=len(ll2.counted),
        focused_requests=sum(1 for s in ll2.counted if "id" in s.query),
        station_requests=sum(1 for s in ll2.counted if "id" in s.query and s.path.endswith("/events/upcoming/")),
        rate_limited=ll2.rate_limited,
        query_errors=list(ll2.query_errors),
        outcome_unknown=unknown,
    )
    flown = {c.index for c in launch_changes if isinstance(c.state, State) and c.state.status == _SUCCESS}
    for i in range(len(firsts)):
        source_id = f"launch:{_record(template, i, firsts[i])['id']}"
        if i in flown and source_id in gone and gone[source_id] is not GoneReason.HAPPENED:
            result.wrong_gone.append(f"{source_id} flew but ended {gone[source_id]}")
        elif i not in flown and source_id in gone:
            result.wrong_gone.append(f"{source_id} did not fly but ended {gone[source_id]}")
    over = {c.index for c in station_changes if isinstance(c.state, StationState) and c.state.over}
    for i in range(len(station_firsts)):
        source_id = f"event:{_station_id(i)}"
        if i in over and source_id in gone and gone[source_id] is not GoneReason.HAPPENED:
            result.wrong_gone.append(f"{source_id} took place but ended {gone[source_id]}")
        elif i not in over and source_id in gone:
            result.wrong_gone.append(f"{source_id} did not take place but ended {gone[source_id]}")
    return result


async def _check(
    db: Database,
    pending: list[UpstreamChange],
    changes: list[UpstreamChange],
    now: datetime,
    gone: dict[str, GoneReason | None],
) -> list[UpstreamChange]:
    """Mark as seen every pending change the database now shows (or has gone past); returns those still pending."""
    await _check_station(db, pending, changes, now, gone)
    happened = [c for c in changes if c.at <= now and not c.station]
    for index in {c.index for c in pending if c.at <= now and not c.station}:
        stored = await get_event_by_source(db, Source.LL2, f"launch:00000000-0000-4000-8000-{index:012d}")
        if stored is None:
            continue
        liftoff = stored.event.milestone(MilestoneKind.LIFTOFF)
        mine = [c for c in happened if c.index == index]
        shown = [
            i
            for i, c in enumerate(mine)
            if liftoff is not None
            and isinstance(c.state, State)
            and c.state.matches(liftoff.at, liftoff.precision, stored.event.status, stored.gone_at is not None)
        ]
        if not shown:
            continue
        for c in mine[: shown[-1] + 1]:
            if c.seen_at is None:
                c.seen_at = now
    return [c for c in pending if c.seen_at is None]


async def _check_station(
    db: Database,
    pending: list[UpstreamChange],
    changes: list[UpstreamChange],
    now: datetime,
    gone: dict[str, GoneReason | None],
) -> None:
    """The station events' part of :func:`_check`."""
    happened = [c for c in changes if c.at <= now and c.station]
    for index in {c.index for c in pending if c.at <= now and c.station}:
        source_id = f"event:{_station_id(index)}"
        stored = await get_event_by_source(db, Source.LL2, source_id)
        if stored is None:
            continue
        at = min((m.at for m in stored.event.milestones if m.kind is not MilestoneKind.COVERAGE_START), default=None)
        mine = [c for c in happened if c.index == index]
        shown = [
            i
            for i, c in enumerate(mine)
            if isinstance(c.state, StationState)
            and c.state.matches(at, gone.get(source_id), stored.gone_at is not None)
        ]
        if shown:
            for c in mine[: shown[-1] + 1]:
                if c.seen_at is None:
                    c.seen_at = now


def summary(result: Result) -> list[str]:
    """Printable lines: delays per group, requests, the busiest hour."""
    lines = [f"seed {result.seed}: {result.hours:g} h at {result.per_hour} requests/hour"]
    for group in GROUPS:
        n, p50, p95, worst = result.figures(group)
        lines.append(
            f"  {group:>13}: {n:3d} changes, delay p50 {p50:5.1f} min, p95 {p95:5.1f} min, max {worst:5.1f} min"
            f"{f' ({result.unseen(group)} never seen)' if result.unseen(group) else ''}"
        )
    lines.append(
        f"  requests {result.requests} ({result.focused_requests} focused polls, {result.station_requests} of "
        "station events), busiest rolling hour "
        f"{result.busiest_hour}/{result.per_hour}, 429s {result.rate_limited}; "
        f"{result.outcome_unknown} flown launches ended without their outcome"
    )
    lines.extend(f"  WRONG END: {w}" for w in result.wrong_gone)
    lines.extend(f"  QUERY ERROR: {e}" for e in result.query_errors)
    return lines

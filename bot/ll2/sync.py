"""The LL2 sync: fetch, map, upsert, detect what left the lists, publish the changes; and its background loop.

Three feeds, each upserted on its own so that one list's absence never makes another's events look gone:
``launches`` (``/launches/upcoming/``), ``docking_events`` (``/docking_events/?docking__gte=now``) and
``events`` (``/events/upcoming/`` of station types).

Gone detection is done here, not by the repository's ``complete=True``: a list read only in part (page cap,
budget, a failed later page) says nothing about events beyond its last record, so only stored events whose
time lies within the part that was read can be missing. A launch that left the upcoming list is not assumed
cancelled: its detail (``/launches/<id>/``) says whether it flew (final status) or merely moved; without budget
for that, a launch whose NET has passed waits (``DETAIL_GIVE_UP``) before it is marked gone with its status
unchanged. Nothing is ever marked CANCELLED by the sync: LL2 has no such status, so there is no evidence.
Every GONE says why (:class:`GoneReason`): a launch whose detail has a final status HAPPENED, a 404 WITHDRAWN,
a docking/event whose time passed HAPPENED, one that left the list with its time ahead WITHDRAWN, a launch
given up on without a detail UNKNOWN.

Safety: a list that was not read cleanly (cut short, bad records, fewer results than its ``count``) may not
mark more than half of the stored events it covers (a feed's events up to the last record read) gone in one
sync; that looks like a broken upstream, not a mass
withdrawal, so gone detection is skipped for that feed (logged as an error, noted in the report) until a clean
list confirms it. A clean list is believed, but a mass disappearance is still logged loudly, with two exceptions
that are never believed: a list that suddenly holds nothing while two or more of its stored events are still
ahead, and a list with a bad record for events still ahead (the bad record could be any of them).

Requests stop at the first sign LL2 is unhappy: a 429 (on any page, or a detail) records the wait in the
state table and ends the sync after storing what was read; every fetch checks that wait first, so another
process's 429 is obeyed too. A 5xx or garbage on a later page keeps what was read but fails the sync.
Each feed's changes are published as soon as the feed is stored, so a crash later in the sync loses none.

Near T-0 (see :mod:`bot.ll2.schedule`) the loop runs *focused polls* between regular syncs, one request each,
reading the feed whose imminent items are due first: the imminent launches by id (a partial list: what it
returns may move, change status or end as happened; a launch it asked for and did not get is looked up in
detail; nothing else is concluded), the imminent station events by id (spacewalks, undockings, ...: a partial
list too; one asked for and not returned is resolved as the regular events sync resolves a missing one), or
the docking list when a docking is imminent. Both kinds share the one request budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.clock import SystemClock
from bot.db import ll2 as rows
from bot.db.database import Database
from bot.db.events import (
    StoredEvent,
    events_in_feed,
    feed_events_with_milestone_between,
    get_event_by_source,
    mark_gone,
    to_epoch,
    upsert_events,
    upsert_feed,
)
from bot.db.ll2 import (
    STATE_BLOCKED_UNTIL,
    STATE_LAST_DEEP,
    STATE_LAST_REFRESH,
    STATE_LAST_SYNC,
    STATE_NEXT_REFRESH,
)
from bot.ll2 import mapping, schedule
from bot.ll2 import records as r
from bot.ll2.budget import RequestBudget
from bot.ll2.client import (
    BudgetExhaustedError,
    ListResult,
    LL2Client,
    LL2Error,
    LL2RateLimitedError,
    Throttle,
)
from bot.ll2.records import BadResponseError
from bot.models import (
    Change,
    Event,
    EventStatus,
    EventType,
    GoneReason,
    MilestoneKind,
    Precision,
    Source,
    isoformat_z,
)

if TYPE_CHECKING:
    import aiohttp

    from bot.config import Settings
    from bot.pubsub import ChangeBus

log = logging.getLogger(__name__)

FEED_LAUNCHES = "launches"
FEED_EVENTS = "events"
FEED_DOCKINGS = "docking_events"
FEEDS = (FEED_LAUNCHES, FEED_DOCKINGS, FEED_EVENTS)  # fetch order: what alerts depend on most comes first


DETAIL_GIVE_UP = timedelta(hours=6)
DETAIL_RETRY = timedelta(minutes=30)
COVERAGE_REFRESH_FAR = timedelta(hours=3)
COVERAGE_REFRESH_NEAR = timedelta(minutes=40)
DEFAULT_RETRY_AFTER = timedelta(minutes=15)
MAX_DETAILS_PER_SYNC = 3
# Launch ids one focused poll may ask for (a URL of ~40 characters each); imminent ones come first.
FOCUS_MAX_IDS = 20
_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class LL2Options:
    """Tunables of the sync; the defaults suit the free 15 requests/hour."""

    event_type_ids: tuple[int, ...] = mapping.STATION_EVENT_TYPE_IDS
    max_pages: int = 1  # per list in a regular sync: the nearest 100 records are what alerts need
    deep_max_pages: int = 4  # per list, in a deep sync every ``deep_every`` (far-future launches)
    deep_every: timedelta = timedelta(hours=6)
    fetch_details: bool = True


@dataclass(slots=True)
class SyncReport:
    """What one ``sync_once`` did."""

    started_at: datetime
    ok: bool = False
    skipped: str | None = None  # why nothing was fetched (budget, rate limit)
    error: str | None = None
    requests: int = 0
    fetched: dict[str, int] = field(default_factory=dict)
    complete: dict[str, bool] = field(default_factory=dict)
    bad_records: int = 0
    changes: list[Change] = field(default_factory=list)
    happened: list[str] = field(default_factory=list)  # source ids gone because they took place
    withdrawn: list[str] = field(default_factory=list)  # source ids gone before their time
    warnings: list[str] = field(default_factory=list)  # not failures, but worth a look (refused gone marking)
    retry_after: datetime | None = None
    published: int = 0  # how many of ``changes`` have been handed to the bus already
    focused: bool = False  # a focused poll of the imminent items, not a regular sync

    def summary(self) -> str:
        """A few lines for the CLI and the log."""
        what = "LL2 focused poll" if self.focused else "LL2 sync"
        if self.skipped:
            head = f"{what} skipped: {self.skipped}"
        elif self.error:
            head = f"{what} failed: {self.error}"
        else:
            head = f"{what} ok"
        counts = ", ".join(
            f"{feed} {n}{'' if self.complete.get(feed, True) else '+'}" for feed, n in self.fetched.items()
        )
        lines = [f"{head} ({self.requests} requests{'; ' + counts if counts else ''}; {len(self.changes)} changes)"]
        if self.bad_records:
            lines.append(f"  {self.bad_records} bad records skipped")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        lines.extend(f"  {c.describe()}" for c in self.changes)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class FocusTargets:
    """What focused polls ask about: imminent launches (and, riding along, launches past T-0 whose end is not
    known yet) by id, imminent station events by id, and the docking list when a docking is imminent."""

    imminent: tuple[str, ...] = ()  # source ids in the focused window (launches, dockings, station events)
    launch_ids: tuple[str, ...] = ()  # LL2 launch ids to ask for, imminent first
    dockings: bool = False
    event_ids: tuple[str, ...] = ()  # LL2 event ids (station events) to ask for, soonest first
    nearest: tuple[tuple[str, datetime], ...] = ()  # (feed, its nearest imminent milestone)

    @property
    def active(self) -> bool:
        """Whether anything is imminent (riders alone never cause a poll)."""
        return bool(self.imminent)

    @property
    def feeds(self) -> tuple[str, ...]:
        """The feeds a focused poll may read, in the order ties are broken."""
        wanted = {FEED_LAUNCHES: bool(self.launch_ids), FEED_DOCKINGS: self.dockings, FEED_EVENTS: bool(self.event_ids)}
        return tuple(feed for feed in FEEDS if wanted[feed])

    @property
    def cost(self) -> int:
        """Requests one focused poll sends: one feed per poll (the polls take turns, see the schedule)."""
        return 1 if self.active else 0

    def nearest_of(self, feed: str) -> datetime | None:
        """The nearest imminent milestone of ``feed`` (None: it only carries riders)."""
        return next((at for name, at in self.nearest if name == feed), None)


class Fetcher(Protocol):
    """Where LL2 data comes from: the API, or a directory of saved responses."""

    async def throttle(self) -> Throttle | None: ...

    async def launches(self, now: datetime, max_pages: int) -> ListResult[r.Launch]: ...

    async def launches_by_id(self, now: datetime, ids: Sequence[str]) -> ListResult[r.Launch]: ...

    async def events(self, now: datetime, max_pages: int, type_ids: Sequence[int]) -> ListResult[r.Event]: ...

    async def events_by_id(self, now: datetime, ids: Sequence[str]) -> ListResult[r.Event]: ...

    async def dockings(self, now: datetime, max_pages: int) -> ListResult[r.Docking]: ...

    async def launch_detail(self, launch_id: str) -> r.Launch | None: ...

    @property
    def online(self) -> bool: ...


class ApiFetcher:
    """Reads LL2 through :class:`LL2Client`."""

    online = True

    def __init__(self, client: LL2Client) -> None:
        self.client = client

    async def throttle(self) -> Throttle | None:
        """LL2's own count (free)."""
        return await self.client.throttle()

    async def launches(self, now: datetime, max_pages: int) -> ListResult[r.Launch]:
        """Upcoming launches, soonest first, without the last day's past ones."""
        params = {"mode": "normal", "hide_recent_previous": "true", "ordering": "net"}
        return await self.client.fetch_list("/launches/upcoming/", params, r.Launch, max_pages=max_pages, what="launch")

    async def launches_by_id(self, now: datetime, ids: Sequence[str]) -> ListResult[r.Launch]:
        """Just these launches, in one request: the focused poll.

        ``mode=detailed`` (same cost) brings the webcast start too. Without ``hide_recent_previous`` LL2 keeps
        a launch of the last 24 h in the answer, so one that flew comes back with its final status instead of
        vanishing. The answer is a partial list by design: it proves nothing about launches it was not asked.
        """
        params = {"id": ",".join(ids), "mode": "detailed", "ordering": "net", "limit": str(max(1, len(ids)))}
        return await self.client.fetch_list("/launches/upcoming/", params, r.Launch, max_pages=1, what="launch")

    async def events(self, now: datetime, max_pages: int, type_ids: Sequence[int]) -> ListResult[r.Event]:
        """Upcoming events of the given types, soonest first.

        ``mode=detailed`` (same request cost) because only it lists the event's ``launches``: the link from a
        docking or undocking to its launch, and what tells a Docking event from another docking.
        """
        params = {"mode": "detailed", "hide_recent_previous": "true", "ordering": "date"}
        if type_ids:
            params["type__ids"] = ",".join(str(t) for t in type_ids)
        return await self.client.fetch_list("/events/upcoming/", params, r.Event, max_pages=max_pages, what="event")

    async def events_by_id(self, now: datetime, ids: Sequence[str]) -> ListResult[r.Event]:
        """Just these station events, in one request: the focused poll of imminent spacewalks, undockings, ...

        ``hide_recent_previous`` as in the regular list, so an event whose time has passed is not returned and
        is resolved the way the regular sync resolves it (happened). A partial list by design.
        """
        params = {
            "id": ",".join(ids),
            "mode": "detailed",
            "hide_recent_previous": "true",
            "ordering": "date",
            "limit": str(max(1, len(ids))),
        }
        return await self.client.fetch_list("/events/upcoming/", params, r.Event, max_pages=1, what="event")

    async def dockings(self, now: datetime, max_pages: int) -> ListResult[r.Docking]:
        """Dockings from now on (LL2 has no upcoming path for them), soonest first."""
        params = {"mode": "normal", "docking__gte": isoformat_z(now), "ordering": "docking"}
        return await self.client.fetch_list("/docking_events/", params, r.Docking, max_pages=max_pages, what="docking")

    async def launch_detail(self, launch_id: str) -> r.Launch | None:
        """One launch in detail (None: LL2 no longer has it)."""
        return await self.client.launch_detail(launch_id)


class DirectoryFetcher:
    """Offline import from ``launches.json``, ``events.json`` and ``docking_events.json`` (each a 2.3.0 list
    response, as the API returns in ``mode=normal``). No detail fetches.

    Every file must be there: a missing or unreadable file fails its feed (BadResponseError) and so the sync,
    because reading it as "LL2 lists nothing" would mark every stored event of the feed gone. A feed with
    nothing in it is a file saying so: ``{"count": 0, "next": null, "previous": null, "results": []}``.
    """

    online = False
    FILES = ("launches.json", "events.json", "docking_events.json")

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def unreadable(cls, directory: Path) -> str | None:
        """Why an import from ``directory`` cannot start (a file missing or not readable), or None."""
        for name in cls.FILES:
            path = directory / name
            try:
                with path.open("rb") as handle:
                    handle.read(1)
            except FileNotFoundError:
                needs = ", ".join(cls.FILES)
                return f"{path} is missing (an import needs {needs}; an empty feed is a list with no results)"
            except OSError as exc:
                return f"cannot read {path}: {exc.strerror or exc}"
        return None

    def _load(self, name: str, model: type[r.RecordT], what: str) -> ListResult[r.RecordT]:
        path = self.directory / name
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BadResponseError(f"{path} is missing") from None
        except OSError as exc:
            raise BadResponseError(f"cannot read {path}: {exc.strerror or exc}") from None
        except RecursionError:
            raise BadResponseError(f"{path}: JSON nested too deeply to be an LL2 response") from None
        except ValueError as exc:
            raise BadResponseError(f"{path} is not JSON: {exc}") from None
        page = r.parse_page(payload, model, what=what)
        return ListResult(
            page.records,
            set(page.seen_ids),
            complete=page.next_url is None,
            pages=1,
            skipped=page.skipped,
            count=page.count,
            received=page.received,
        )

    async def throttle(self) -> Throttle | None:
        """No server, no throttle."""
        return None

    async def launches(self, now: datetime, max_pages: int) -> ListResult[r.Launch]:
        """The saved launch list."""
        return self._load("launches.json", r.Launch, "launch")

    async def launches_by_id(self, now: datetime, ids: Sequence[str]) -> ListResult[r.Launch]:
        """The saved launches with these ids."""
        result = self._load("launches.json", r.Launch, "launch")
        wanted = set(ids)
        result.records = [x for x in result.records if x.id in wanted]
        result.seen_ids &= wanted
        return result

    async def events(self, now: datetime, max_pages: int, type_ids: Sequence[int]) -> ListResult[r.Event]:
        """The saved event list, filtered to the types the API would have been asked for."""
        result = self._load("events.json", r.Event, "event")
        if type_ids:
            result.records = [e for e in result.records if e.type.id in type_ids]
        return result

    async def events_by_id(self, now: datetime, ids: Sequence[str]) -> ListResult[r.Event]:
        """The saved station events with these ids."""
        result = self._load("events.json", r.Event, "event")
        wanted = set(ids)
        result.records = [e for e in result.records if str(e.id) in wanted]
        result.seen_ids &= wanted
        return result

    async def dockings(self, now: datetime, max_pages: int) -> ListResult[r.Docking]:
        """The saved docking list."""
        return self._load("docking_events.json", r.Docking, "docking")

    async def launch_detail(self, launch_id: str) -> r.Launch | None:
        """Offline: never available."""
        raise LL2Error("offline import has no launch details")


class _Abort(Exception):
    """Stop this sync: LL2 failed in a way that makes further requests pointless."""


class LL2Sync:
    """Keeps the events table in step with LL2 within the request budget; runs as a background task."""

    def __init__(
        self,
        db: Database,
        session: aiohttp.ClientSession | None,
        settings: Settings,
        changes: ChangeBus | None,
        *,
        now: Callable[[], datetime] | None = None,
        options: LL2Options | None = None,
        fetcher: Fetcher | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.bus = changes
        self.options = options or LL2Options()
        self._now = now or SystemClock().now
        self.budget = RequestBudget(db, settings.ll2_requests_per_hour)
        if fetcher is None:
            if session is None:
                raise ValueError("LL2Sync needs an aiohttp session unless a fetcher is given")
            key = settings.ll2_api_key.get_secret_value().strip() if settings.ll2_api_key else None
            client = LL2Client(session, settings.ll2_base_url, budget=self.budget, now=self._now, api_key=key)
            fetcher = ApiFetcher(client)
        self.fetcher: Fetcher = fetcher
        self.failures = 0
        self.next_due: datetime | None = None
        self.focus_due: datetime | None = None  # the next focused poll (None: nothing timed is known)
        self.focus_failures = 0
        self._read_at: dict[str, datetime] = {}  # when each feed was last read (by a poll or a regular sync)
        self.last_report: SyncReport | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        # Set when the first step is over, whatever came of it (synced, failed, skipped for budget, cancelled):
        # the alert engine holds start-up's late alerts of LL2 milestones until then.
        self.first_step_done = asyncio.Event()

    # -- background loop -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the background loop (idempotent); it never blocks the caller."""
        if self._task is not None and not self._task.done():
            return
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="ll2-sync")

    async def stop(self) -> None:
        """Stop the loop and wait for it (a sync in flight is cancelled; its transaction rolls back)."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while not self._stop.is_set():
            due = await self.step()
            delay = max(1.0, (due - self._now()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=delay)

    async def step(self) -> datetime:
        """Run a regular sync or a focused poll if one is due, then return when the next refresh is due.

        Never raises (the loop must not die).
        """
        try:
            return await self._step()
        finally:
            self.first_step_done.set()

    async def _step(self) -> datetime:
        now = self._now()
        regular = self.next_due is None or now >= self.next_due
        if not regular and (self.focus_due is None or now < self.focus_due):
            return self.due
        try:
            if regular and await self._wait_for_regular(now):
                await self._note_due()
                return self.due
            if regular:
                report = await self.sync_once(now)
                self.next_due = await self._plan(now, report, await self.focus_targets(now))
            else:
                report = await self.focused_poll(now)
                if report.ok:
                    self.focus_failures = 0
                elif report.skipped is None:
                    self.focus_failures += 1
            self.focus_due = await self._plan_focus(now, report)
        except Exception:
            log.exception("LL2 %s crashed", "sync" if regular else "focused poll")
            if regular:
                self.failures += 1
                self.next_due = now + schedule.backoff(self.failures)
            else:
                self.focus_failures += 1
                self.focus_due = now + schedule.backoff(self.focus_failures)
        await self._note_due()
        return self.due

    async def _note_due(self) -> None:
        """Store the plan for ``/about`` and ``check`` (another process)."""
        with contextlib.suppress(Exception):  # a diagnostic only; the loop goes on without it
            await self.db.set_state(STATE_NEXT_REFRESH, isoformat_z(self.due))

    async def _wait_for_regular(self, now: datetime) -> bool:
        """Near T-0, a regular sync that is due but short of budget waits for it, and the focused polls wait
        with it when that is sooner than the next poll anyway (it reads the imminent launches too). Without
        this the polls would take every slot as it frees and the full lists would never be read."""
        focus = await self.focus_targets(now)
        if not focus.active or not self.fetcher.online:
            return False
        await self._read_throttle(now)  # free, and LL2's hour has slid since it was last read
        if await self.budget.available(now) >= len(FEEDS):
            return False
        self.next_due = await self.budget.free_at(now, len(FEEDS))
        interval = schedule.focus_interval(per_hour=self.budget.per_hour, cost=focus.cost)
        if self.focus_due is not None and self.next_due - now <= interval:
            self.focus_due = max(self.focus_due, self.next_due + timedelta(seconds=1))
        return True

    @property
    def due(self) -> datetime:
        """The next refresh of either kind (``now`` before the first one)."""
        dues = [d for d in (self.next_due, self.focus_due) if d is not None]
        return min(dues) if dues else self._now()

    async def _plan(self, now: datetime, report: SyncReport, focus: FocusTargets | None = None) -> datetime:
        cost = len(FEEDS)
        # A focus starting within the hour counts already: a burst of regular syncs just before it would take
        # the slots its polls need.
        focused = (focus is not None and focus.active) or await self._polls_ahead(now) > 0
        if report.skipped is None and report.error is None:
            self.failures = 0
            due = schedule.next_sync_at(
                await self._next_relevant(now),
                now,
                per_hour=self.budget.per_hour,
                cost=cost,
                focused=focused,
                next_timed=await self._next_timed(now),
            )
        elif report.skipped is None:
            self.failures += 1
            due = now + schedule.backoff(self.failures)
        else:
            due = now + schedule.MIN_INTERVAL
        if report.retry_after is not None:
            due = max(due, report.retry_after)
        # Near T-0 a regular sync waits until the budget also has room for the next focused poll after it.
        need = cost + (focus.cost if focus is not None and focus.active else 0)
        return max(due, await self.budget.free_at(now, need), await self._blocked_until() or now)

    async def _plan_focus(self, now: datetime, report: SyncReport) -> datetime | None:
        """The next focused poll: a focus interval after the last read while anything is imminent, else the
        moment the next timed milestone enters the focused window (None: none is known)."""
        focus = await self.focus_targets(now)
        if not focus.active:
            start = schedule.focus_starts_at(await self._next_timed(now))
            return None if start is None else max(start, now + schedule.MIN_FOCUS_INTERVAL)
        # One poll per interval, whichever feed it reads: an interval after the latest read of any feed (not of
        # the feeds in focus now: one leaving the focus must not make the others look overdue and cost an extra
        # request; the hour's budget holds only one poll per interval).
        last = max(self._read_at.values(), default=None)
        due = schedule.next_focus_at(
            last, now, per_hour=self.budget.per_hour, cost=focus.cost, failures=self.focus_failures
        )
        if report.retry_after is not None:
            due = max(due, report.retry_after)
        # Never twice at one instant (a regular sync just read the same items), never over budget.
        return max(
            due,
            now + schedule.MIN_FOCUS_INTERVAL,
            await self.budget.free_at(now, focus.cost),
            await self._blocked_until() or now,
        )

    async def _next_timed(self, now: datetime) -> datetime | None:
        """The next timed milestone a focused poll would cover (a launch, a docking or a station event)."""
        return await rows.next_timed_milestone(self.db, after=now, feeds=FEEDS)

    async def focus_targets(self, now: datetime) -> FocusTargets:
        """What is imminent now (see :mod:`bot.ll2.schedule`), and which launches ride along in the poll."""
        imminent: list[str] = []
        riders: list[str] = []
        nearest: dict[str, datetime] = {}
        done = {EventStatus.IN_FLIGHT}
        for m in await rows.timed_milestones(self.db, start=now - schedule.SOON, end=now + schedule.FOCUS_AHEAD):
            if m.status.is_final or m.feed not in FEEDS:
                continue
            if schedule.in_focus(m.at, now, on_hold=m.status is EventStatus.HOLD) and m.status not in done:
                if m.source_id not in imminent:
                    imminent.append(m.source_id)
                nearest[m.feed] = min(nearest.get(m.feed, m.at), m.at, key=lambda at: abs(at - now))
            elif m.feed == FEED_LAUNCHES and m.at <= now and m.source_id not in riders:
                riders.append(m.source_id)  # flew or is late: its end comes free with the poll
        launches = [i for i in imminent if i.startswith(mapping.LAUNCH_PREFIX)]
        launches += [i for i in riders if i not in launches]
        ids = tuple(i.removeprefix(mapping.LAUNCH_PREFIX) for i in launches[:FOCUS_MAX_IDS])
        events = [i.removeprefix(mapping.EVENT_PREFIX) for i in imminent if i.startswith(mapping.EVENT_PREFIX)]
        return FocusTargets(
            tuple(imminent),
            ids if imminent else (),
            FEED_DOCKINGS in nearest,
            tuple(events[:FOCUS_MAX_IDS]),
            tuple(nearest.items()),
        )

    def pick_feed(self, now: datetime, focus: FocusTargets) -> str | None:
        """The feed the next focused poll reads (see :func:`bot.ll2.schedule.pick_feed`); None: nothing imminent."""
        if not focus.active or not focus.feeds:
            return None
        candidates = [schedule.FocusFeed(f, self._read_at.get(f), focus.nearest_of(f)) for f in focus.feeds]
        return schedule.pick_feed(candidates, now, per_hour=self.budget.per_hour).name

    async def _next_relevant(self, now: datetime) -> datetime | None:
        """The next LL2 milestone known to the day or better; one that passed in the last 2 h counts as now
        (a launch in its window or just flown is when statuses change fastest)."""
        fine = [p.value for p in Precision if p.rank <= Precision.DAY.rank]
        finals = [s.value for s in EventStatus if s.is_final]
        at = await rows.next_live_milestone_at(
            self.db, since=to_epoch(now - schedule.SOON), precisions=fine, final_statuses=finals
        )
        return None if at is None else max(now, datetime.fromtimestamp(at, tz=UTC))

    async def _blocked_until(self) -> datetime | None:
        value = await self.db.get_state(STATE_BLOCKED_UNTIL)
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

    # -- one sync --------------------------------------------------------------------------------------

    async def sync_once(self, now: datetime | None = None) -> SyncReport:
        """Fetch every feed once (within budget), store, publish; the report says what happened."""
        now = now or self._now()
        report = SyncReport(started_at=now)
        before = await self._requests_since(now)
        try:
            await self._sync(now, report)
        finally:
            report.requests = await self._requests_since(now) - before
            await self._finish(now, report)
        return report

    async def _requests_since(self, now: datetime) -> int:
        return await rows.requests_since(self.db, to_epoch(now))

    async def _sync(self, now: datetime, report: SyncReport) -> None:
        # An offline import sends nothing, so LL2's "wait" does not apply to it.
        blocked = await self._blocked_until() if self.fetcher.online else None
        if blocked is not None and now < blocked:
            report.skipped = f"LL2 asked us to wait until {isoformat_z(blocked)}"
            report.retry_after = blocked
            return
        if self.fetcher.online:
            await self._read_throttle(now)
            if await self.budget.available(now) < 1:
                report.skipped = f"request budget spent ({self.budget.per_hour}/h)"
                return
        deep = await self._deep_due(now)
        pages = self.options.deep_max_pages if deep else self.options.max_pages
        try:
            launches = await self._fetch(report, FEED_LAUNCHES, lambda: self.fetcher.launches(now, pages))
            if launches is not None:
                await self._store_launches(now, launches, report)
                await self._feed_done(report, launches)
            dockings = await self._fetch(report, FEED_DOCKINGS, lambda: self.fetcher.dockings(now, pages))
            if dockings is not None:
                events = [mapping.map_docking(d) for d in dockings.records]
                horizon = max((d.docking for d in dockings.records), default=None)
                await self._store(now, FEED_DOCKINGS, lambda _: events, dockings, horizon, report)
                await self._feed_done(report, dockings)
            station = await self._fetch(
                report, FEED_EVENTS, lambda: self.fetcher.events(now, pages, self.options.event_type_ids)
            )
            if station is not None:
                await self._store_station_events(now, station, report)
                await self._feed_done(report, station)
            if self.fetcher.online and self.options.fetch_details:
                await self._coverage_details(now, report)
        except _Abort:
            return
        if report.fetched and report.error is None:
            report.ok = True
            if deep and all(report.complete.get(f) is not None for f in FEEDS):
                await self.db.set_state(STATE_LAST_DEEP, isoformat_z(now))

    # -- one focused poll ------------------------------------------------------------------------------

    async def focused_poll(
        self, now: datetime | None = None, focus: FocusTargets | None = None, feed: str | None = None
    ) -> SyncReport:
        """Read the imminent items of one feed (``feed``, or the one due first) in one request, store, publish.

        The launches come by id, a partial list: what it returns may move or change status, a final status
        ends the launch (GONE, happened), and a launch it was asked for but did not return is looked up in
        detail when the budget allows. Station events come by id too: what returns may move, one asked for and
        not returned is gone as the regular events sync decides (happened when its time passed, withdrawn only
        when the answer is clean and its time is ahead). Nothing is concluded about what was not asked.
        """
        now = now or self._now()
        focus = focus or await self.focus_targets(now)
        feed = feed or self.pick_feed(now, focus)
        report = SyncReport(started_at=now, focused=True)
        before = await self._requests_since(now)
        try:
            await self._focused(now, focus, feed, report)
        finally:
            report.requests = await self._requests_since(now) - before
            await self._finish(now, report)
        return report

    async def _focused(self, now: datetime, focus: FocusTargets, feed: str | None, report: SyncReport) -> None:
        if not focus.active or feed is None:
            report.skipped = "nothing imminent"
            return
        blocked = await self._blocked_until() if self.fetcher.online else None
        if blocked is not None and now < blocked:
            report.skipped = f"LL2 asked us to wait until {isoformat_z(blocked)}"
            report.retry_after = blocked
            return
        if self.fetcher.online:
            await self._read_throttle(now)
            if await self.budget.available(now) < 1:
                report.skipped = f"request budget spent ({self.budget.per_hour}/h)"
                return
        ids, event_ids = focus.launch_ids, focus.event_ids
        try:
            if feed == FEED_LAUNCHES and ids:
                launches = await self._fetch(report, FEED_LAUNCHES, lambda: self.fetcher.launches_by_id(now, ids))
                if launches is not None:
                    await self._store_focused_launches(now, ids, launches, report)
                    await self._feed_done(report, launches)
            if feed == FEED_EVENTS and event_ids:
                station = await self._fetch(report, FEED_EVENTS, lambda: self.fetcher.events_by_id(now, event_ids))
                if station is not None:
                    await self._store_focused_events(now, event_ids, station, report)
                    await self._feed_done(report, station)
            if feed == FEED_DOCKINGS and focus.dockings:
                # The docking list from now on is short and read whole: the regular code path, gone rules included.
                dockings = await self._fetch(report, FEED_DOCKINGS, lambda: self.fetcher.dockings(now, 1))
                if dockings is not None:
                    events = [mapping.map_docking(d) for d in dockings.records]
                    horizon = max((d.docking for d in dockings.records), default=None)
                    await self._store(now, FEED_DOCKINGS, lambda _: events, dockings, horizon, report)
                    await self._feed_done(report, dockings)
        except _Abort:
            return
        if report.fetched and report.error is None:
            report.ok = True

    async def _store_focused_launches(
        self, now: datetime, asked: Sequence[str], result: ListResult[r.Launch], report: SyncReport
    ) -> None:
        # Only the launches asked about are loaded (a handful), not the whole feed.
        stored: dict[str, StoredEvent] = {}
        for launch_id in asked:
            found = await get_event_by_source(self.db, Source.LL2, mapping.LAUNCH_PREFIX + launch_id)
            if found is not None and found.gone_at is None:
                stored[found.event.source_id] = found
        events = [
            _keep_coverage(mapping.map_launch(x), x, stored.get(mapping.LAUNCH_PREFIX + x.id)) for x in result.records
        ]
        if events:
            report.changes.extend(await upsert_events(self.db, events, feed=FEED_LAUNCHES, now=now, complete=False))
        for rec, event in zip(result.records, events, strict=True):
            if rec.vid_urls is not None:
                # A detailed record: the coverage refresh need not buy the same record again soon.
                await rows.record_detail_fetch(self.db, event.source_id, at=to_epoch(now), status=200)
            if event.status.is_final:
                await self._gone(now, report, event.source_id, GoneReason.HAPPENED, status=event.status)
        answered = {mapping.LAUNCH_PREFIX + i for i in result.seen_ids} | {e.source_id for e in events}
        details = 0
        for launch_id in asked:
            gone = stored.get(mapping.LAUNCH_PREFIX + launch_id)
            if gone is None or gone.event.source_id in answered:
                continue
            # Asked for and not returned: deleted, or out of LL2's "recent" reach. Its detail tells which.
            if (
                self.fetcher.online
                and self.options.fetch_details
                and result.error is None
                and details < MAX_DETAILS_PER_SYNC
                and await self._detail_allowed(now, gone.event.source_id, DETAIL_RETRY, reserve=1)
            ):
                details += 1
                if await self._resolve_missing(now, gone, report):
                    continue
            if gone.event.status is EventStatus.IN_FLIGHT and result.error is None:
                # It lifted off (LL2 said so) and LL2 no longer has it: it happened; only the outcome is
                # unknown, and the status stays In Flight rather than a guess.
                await self._gone(now, report, gone.event.source_id, GoneReason.HAPPENED)

    async def _store_focused_events(
        self, now: datetime, asked: Sequence[str], result: ListResult[r.Event], report: SyncReport
    ) -> None:
        """Store the station events a focused poll returned; resolve those asked for and not returned."""
        mapped, duplicates = await self._map_station_events(now, result.records)
        if mapped:
            report.changes.extend(await upsert_events(self.db, mapped, feed=FEED_EVENTS, now=now, complete=False))
        answered = {mapping.EVENT_PREFIX + i for i in result.seen_ids} | {e.source_id for e in mapped}
        answered |= set(duplicates)
        if result.error is not None:
            return  # an answer cut short proves nothing about what it lacks
        for event_id in asked:
            source_id = mapping.EVENT_PREFIX + event_id
            if source_id in answered:
                continue
            stored = await get_event_by_source(self.db, Source.LL2, source_id)
            if stored is None or stored.gone_at is not None:
                continue
            at = _main_time(stored.event) or now
            # As the regular events sync does: its time passed and LL2 no longer lists it as upcoming, so it took
            # place; with its time ahead, only a clean answer (the proof a clean regular list gives) withdraws it.
            if at <= now:
                await self._gone(now, report, source_id, GoneReason.HAPPENED)
            elif result.clean:
                await self._gone(now, report, source_id, GoneReason.WITHDRAWN)

    async def _read_throttle(self, now: datetime) -> None:
        try:
            throttle = await self.fetcher.throttle()
        except (LL2Error, BadResponseError) as exc:
            log.debug("LL2 throttle not readable: %s", exc)
            return
        if throttle is not None:
            self.budget.observe_server(
                now, limit=throttle.limit, current_use=throttle.current_use, next_use_secs=throttle.next_use_secs
            )

    async def _deep_due(self, now: datetime) -> bool:
        if self.options.deep_max_pages <= self.options.max_pages:
            return False
        last = await self.db.get_state(STATE_LAST_DEEP)
        if last is not None and now - datetime.fromisoformat(last.replace("Z", "+00:00")) < self.options.deep_every:
            return False
        # A deep sync only when the budget has room for it on top of a regular one.
        return await self.budget.available(now) >= len(FEEDS) + self.options.deep_max_pages

    async def _fetch(
        self, report: SyncReport, feed: str, call: Callable[[], Awaitable[ListResult[Any]]]
    ) -> ListResult[Any] | None:
        """Run one list fetch; classify failures (abort the sync, or skip just this list).

        A failure on a later page keeps the pages read (the caller stores them, then :meth:`_feed_done` ends
        the sync); it still fails the sync, so the next one backs off.
        """
        await self._check_blocked(report)
        try:
            result = await call()
        except BudgetExhaustedError as exc:
            log.info("LL2 %s not fetched: %s", feed, exc)
            return None
        except LL2RateLimitedError as exc:
            await self._rate_limited(report, exc)
            raise _Abort from None
        except (LL2Error, BadResponseError) as exc:
            # LL2 is down or answering garbage: keep the last good data and stop spending requests.
            log.warning("LL2 %s fetch failed: %s", feed, exc)
            report.error = str(exc)
            raise _Abort from None
        _drop_repeats(feed, result, report)
        if isinstance(result.error, LL2RateLimitedError):
            await self._rate_limited(report, result.error)
        elif result.error is not None:
            log.warning("LL2 %s read in part (%d pages): %s", feed, result.pages, result.error)
            report.error = f"{feed}: {result.error} (kept the {result.pages} page(s) read)"
        report.fetched[feed] = len(result.records)
        report.complete[feed] = result.complete
        self._read_at[feed] = report.started_at  # what the focused polls' turns are planned from
        report.bad_records += result.skipped
        return result

    async def _feed_done(self, report: SyncReport, result: ListResult[Any]) -> None:
        """A feed is stored: publish its changes now, and stop the sync if its list ended in a failure."""
        await self._publish(report)
        if result.error is not None:
            raise _Abort

    async def _publish(self, report: SyncReport) -> None:
        new = report.changes[report.published :]
        report.published = len(report.changes)
        if new and self.bus is not None:
            await self.bus.publish(new)

    async def _check_blocked(self, report: SyncReport) -> None:
        """Before any request: if LL2 asked (us or another process) to wait, stop the sync."""
        if not self.fetcher.online:
            return
        blocked = await self._blocked_until()
        if blocked is None or self._now() >= blocked:
            return
        report.retry_after = max(report.retry_after or blocked, blocked)
        if report.error is None:
            report.error = f"rate limited by LL2 until {isoformat_z(blocked)}"
        raise _Abort

    async def _rate_limited(self, report: SyncReport, exc: LL2RateLimitedError) -> None:
        wait = timedelta(seconds=exc.retry_after) if exc.retry_after is not None else DEFAULT_RETRY_AFTER
        until = self._now() + max(wait, timedelta(seconds=1))
        log.warning("LL2 rate limit hit (429); waiting until %s", isoformat_z(until))
        await self.db.set_state(STATE_BLOCKED_UNTIL, isoformat_z(until))
        report.error = f"rate limited by LL2 until {isoformat_z(until)}"
        report.retry_after = until

    async def _store(
        self,
        now: datetime,
        feed: str,
        build: Callable[[Mapping[str, StoredEvent]], list[Event]],
        result: ListResult[Any],
        horizon: datetime | None,
        report: SyncReport,
    ) -> tuple[list[StoredEvent], Mapping[str, StoredEvent]]:
        """Upsert one feed (``build`` makes its events from what is stored) and mark gone what is missing from
        the part of the list that was read.

        Returns the stored launches missing from the list, for the caller to resolve (other feeds' missing
        events are marked gone here), and the feed as it was stored before. Nothing is missing when the safety
        rule refuses. The feed is read once, in the upsert's transaction.
        """
        built: list[Event] = []

        def build_once(stored: Mapping[str, StoredEvent]) -> list[Event]:
            built.extend(build(stored))
            return built

        done = await upsert_feed(self.db, source=Source.LL2, feed=feed, now=now, build=build_once)
        report.changes.extend(done.changes)
        prefix = {FEED_LAUNCHES: mapping.LAUNCH_PREFIX, FEED_EVENTS: mapping.EVENT_PREFIX}.get(
            feed, mapping.DOCKING_PREFIX
        )
        seen = {e.source_id for e in built} | {prefix + i for i in result.seen_ids}
        limit = _FAR_FUTURE if result.complete else horizon
        if limit is None:
            return [], done.before
        # The feed's live events now: what was just stored, and what was live before and not touched (a record
        # seen but not readable included: it still counts as covered, not as missing).
        stored_now = {e.source_id for e in built}
        live = [(e.source_id, e) for e in built] + [
            (source_id, s.event)
            for source_id, s in done.before.items()
            if s.feed == feed and s.gone_at is None and source_id not in stored_now
        ]
        # Stored events within the part of the list that was read: only they can be missing from it.
        covered = [(i, e) for i, e in live if (at := _main_time(e)) is not None and at <= limit]
        missing = [done.before[i] for i, _ in covered if i not in seen]
        ahead = [s for s in missing if (_main_time(s.event) or now) > now]
        if ahead and result.skipped:
            # A record we could not read may be any of the missing ones (its id may be the broken field, or a
            # wrong-typed id that matches nothing): none of them is known to be withdrawn.
            what = f"{len(ahead)} stored {feed} still ahead missing from a list with {result.skipped} bad record(s)"
            log.error("LL2 %s: refusing to mark them gone", what)
            report.warnings.append(f"{what}; not marked gone")
            return [], done.before
        if len(ahead) >= 2 and result.received == 0:
            # An upcoming list that suddenly lists nothing while several of its events are still ahead is how
            # a broken upstream looks (a cache emptied, a filter gone wrong), not a mass withdrawal.
            what = f"{len(ahead)} stored {feed} still ahead, but the list is suddenly empty"
            log.error("LL2 %s: refusing to mark them gone", what)
            report.warnings.append(f"{what}; not marked gone")
            return [], done.before
        if missing and len(missing) * 2 > len(covered):
            what = f"{len(missing)} of {len(covered)} stored {feed} missing from the list"
            if not result.clean:
                # Half a feed vanishing from a list that was not read cleanly is a broken answer, not news.
                log.error("LL2 %s: refusing to mark them gone (list not clean: %s)", what, _unclean(result))
                report.warnings.append(f"{what}; not marked gone ({_unclean(result)})")
                return [], done.before
            log.warning("LL2 %s: a complete, valid list says so; marking them gone", what)
        if feed == FEED_LAUNCHES:
            return missing, done.before
        for stored in missing:
            at = _main_time(stored.event) or now
            reason = GoneReason.HAPPENED if at <= now else GoneReason.WITHDRAWN
            await self._gone(now, report, stored.event.source_id, reason)
        return missing, done.before

    async def _gone(
        self,
        now: datetime,
        report: SyncReport,
        source_id: str,
        reason: GoneReason,
        status: EventStatus | None = None,
    ) -> None:
        """Mark one event gone with its reason, and list it in the report."""
        changes = await mark_gone(self.db, Source.LL2, source_id, now=now, status=status, reason=reason)
        report.changes.extend(changes)
        if reason is GoneReason.HAPPENED:
            report.happened.append(source_id)
        elif reason is GoneReason.WITHDRAWN:
            report.withdrawn.append(source_id)

    async def _store_station_events(self, now: datetime, result: ListResult[r.Event], report: SyncReport) -> None:
        """Store the station events, minus Docking events that repeat a ``/docking_events/`` record.

        The docking record is the one kept (it has the chaser's launch); a Docking event that matches none is
        a docking LL2 lists only as an event, and is kept. A copy stored before this rule is retired (GONE,
        UNKNOWN: the docking itself lives on as ``docking:<id>``, so nothing was withdrawn).
        """
        mapped, duplicates = await self._map_station_events(now, result.records)
        horizon = max((x.date for x in result.records if x.date is not None), default=None)
        _, before = await self._store(now, FEED_EVENTS, lambda _: mapped, result, horizon, report)
        # A duplicate is in the list's ids, so the store above left it as it was.
        for source_id in duplicates:
            if (old := before.get(source_id)) is not None and old.gone_at is None:
                log.info("LL2 %s is a copy of a docking from /docking_events/; retired", source_id)
                await self._gone(now, report, source_id, GoneReason.UNKNOWN)

    async def _map_station_events(self, now: datetime, records: Sequence[r.Event]) -> tuple[list[Event], list[str]]:
        """The station events to store, and the source ids of Docking events that repeat a docking record."""
        dockings = [
            s.event
            for s in await events_in_feed(self.db, Source.LL2, FEED_DOCKINGS, include_gone=True)
            # A gone docking still matches its event copy only if it went because it took place.
            if s.gone_at is None or (_main_time(s.event) or now) <= now
        ]
        mapped: list[Event] = []
        duplicates: list[str] = []
        for rec in records:
            event = mapping.map_event(rec)
            if event is None:
                continue
            if event.type is EventType.DOCKING and any(mapping.same_docking(event, d) for d in dockings):
                duplicates.append(event.source_id)
                continue
            mapped.append(event)
        return mapped, duplicates

    async def _store_launches(self, now: datetime, result: ListResult[r.Launch], report: SyncReport) -> None:
        def build(stored: Mapping[str, StoredEvent]) -> list[Event]:
            return [
                _keep_coverage(mapping.map_launch(x), x, _live(stored, mapping.LAUNCH_PREFIX + x.id))
                for x in result.records
            ]

        horizon = max((x.net for x in result.records), default=None)
        missing, _ = await self._store(now, FEED_LAUNCHES, build, result, horizon, report)
        details = 0
        for gone in missing:
            source_id = gone.event.source_id
            at = _main_time(gone.event) or now
            if (
                self.fetcher.online
                and self.options.fetch_details
                and result.error is None  # a list that failed part-way: spend no more requests this sync
                and details < MAX_DETAILS_PER_SYNC
                and await self._detail_allowed(now, source_id, DETAIL_RETRY)
            ):
                details += 1
                if await self._resolve_missing(now, gone, report):
                    continue
            elif at > now or now - at >= DETAIL_GIVE_UP:
                # No detail to be had: a future launch missing from the list is withdrawn (it comes back as
                # RETURNED if it was only delayed past what we read); a past one has waited long enough, and
                # only an In Flight status last seen says it flew.
                reason = GoneReason.UNKNOWN
                if at > now:
                    reason = GoneReason.WITHDRAWN
                elif gone.event.status is EventStatus.IN_FLIGHT:
                    reason = GoneReason.HAPPENED
                await self._gone(now, report, source_id, reason)

    async def _detail_allowed(
        self, now: datetime, source_id: str, every: timedelta, reserve: int | None = None
    ) -> bool:
        # Details are what spare budget is for: keep a regular sync's worth of requests for the lists and,
        # near T-0, an hour's focused polls too (``reserve`` overrides: a focused poll keeps only its next one).
        if reserve is None:
            reserve = len(FEEDS) + await self._polls_ahead(now)
        if await self.budget.available(now) <= reserve:
            return False
        fetched_at = await rows.detail_fetched_at(self.db, source_id)
        return fetched_at is None or to_epoch(now) - fetched_at >= every.total_seconds()

    async def _polls_ahead(self, now: datetime) -> int:
        """Requests the focused polls will need in the coming hour (a focus now, or one starting within it)."""
        focus = await self.focus_targets(now)
        start: datetime | None = now
        cost = focus.cost
        if not focus.active:
            start, cost = schedule.focus_starts_at(await self._next_timed(now)), 1
        hour = timedelta(hours=1)
        if start is None or start >= now + hour:
            return 0
        gap = schedule.focus_interval(per_hour=self.budget.per_hour, cost=cost)
        return math.ceil((now + hour - max(now, start)) / gap) * cost

    async def _detail(self, now: datetime, source_id: str, report: SyncReport) -> tuple[bool, r.Launch | None]:
        """Fetch one launch's detail; (False, None) when it could not be had this time. A 429 ends the sync."""
        await self._check_blocked(report)
        status: int | None = 200
        try:
            rec = await self.fetcher.launch_detail(source_id.removeprefix(mapping.LAUNCH_PREFIX))
            if rec is None:
                status = 404
            return True, rec
        except LL2RateLimitedError as exc:
            status = 429
            await self._rate_limited(report, exc)
            raise _Abort from None
        except (LL2Error, BadResponseError) as exc:
            status = None
            log.info("LL2 detail of %s not fetched: %s", source_id, exc)
            return False, None
        finally:
            await rows.record_detail_fetch(self.db, source_id, at=to_epoch(now), status=status)

    async def _resolve_missing(self, now: datetime, gone: StoredEvent, report: SyncReport) -> bool:
        """Tell a launch that flew from one that moved or vanished; True when its fate is settled."""
        source_id = gone.event.source_id
        fetched, rec = await self._detail(now, source_id, report)
        if not fetched:
            return False
        if rec is None:
            # LL2 deleted it (a duplicate, or dropped from the manifest): gone, status as it was.
            await self._gone(now, report, source_id, GoneReason.WITHDRAWN)
            return True
        event = _keep_coverage(mapping.map_launch(rec), rec, gone)
        report.changes.extend(await upsert_events(self.db, [event], feed=FEED_LAUNCHES, now=now, complete=False))
        if event.status.is_final:
            await self._gone(now, report, source_id, GoneReason.HAPPENED, status=event.status)
            return True
        # Still pending: if it now lies in the future it only moved beyond what we read; a past NET without a
        # final status is LL2 lagging, asked again later (until DETAIL_GIVE_UP).
        return False

    async def _coverage_details(self, now: datetime, report: SyncReport) -> None:
        """Spare budget buys the detail of the next imminent launch: its webcast start (COVERAGE_START)."""
        soon = [
            s
            # Only the launches of the next day are loaded, not the whole feed again.
            for s in await feed_events_with_milestone_between(
                self.db, Source.LL2, FEED_LAUNCHES, MilestoneKind.LIFTOFF, now, now + schedule.TODAY
            )
            if (m := s.event.milestone(MilestoneKind.LIFTOFF)) is not None
            and m.precision.is_exact
            and now <= m.at <= now + schedule.TODAY
            and not s.event.status.is_final
        ]
        soon.sort(key=lambda s: _main_time(s.event) or now)
        # An imminent launch's webcast start comes with each focused poll (detailed mode) instead.
        imminent = set((await self.focus_targets(now)).imminent)
        soon = [s for s in soon if s.event.source_id not in imminent]
        for stored in soon[:1]:
            at = _main_time(stored.event) or now
            every = COVERAGE_REFRESH_NEAR if at - now <= schedule.SOON else COVERAGE_REFRESH_FAR
            if not await self._detail_allowed(now, stored.event.source_id, every):
                continue
            fetched, rec = await self._detail(now, stored.event.source_id, report)
            if fetched and rec is not None:
                event = _keep_coverage(mapping.map_launch(rec), rec, stored)
                report.changes.extend(
                    await upsert_events(self.db, [event], feed=FEED_LAUNCHES, now=now, complete=False)
                )

    async def _finish(self, now: datetime, report: SyncReport) -> None:
        await self._publish(report)  # whatever was stored after the last feed (coverage details)
        if report.ok:
            await self.db.set_state(STATE_LAST_REFRESH, isoformat_z(now))
            if not report.focused:
                await self.db.set_state(STATE_LAST_SYNC, isoformat_z(now))
        await rows.record_sync_run(
            self.db,
            started_at=to_epoch(now),
            finished_at=to_epoch(self._now()),
            ok=report.ok,
            requests=report.requests,
            changes=len(report.changes),
            error=report.error or report.skipped,
        )
        # Only now: whoever sees a report (and may stop the loop at once) must find the sync fully recorded.
        self.last_report = report
        log.info("%s", report.summary().splitlines()[0])


def _drop_repeats(feed: str, result: ListResult[Any], report: SyncReport) -> None:
    """Keep the last copy of a record listed more than once (a page boundary that shifted, a hand-made file)."""
    counts = Counter(str(rec.id) for rec in result.records)
    repeated = sorted(i for i, n in counts.items() if n > 1)
    if not repeated:
        return
    dropped = len(result.records) - len(counts)
    log.warning("LL2 %s list repeats record(s) %s; the last copy of each is kept", feed, ", ".join(repeated))
    report.warnings.append(
        f"{feed}: {dropped} repeated record(s) dropped, the last copy kept (ids {', '.join(repeated)})"
    )
    result.records = list({str(rec.id): rec for rec in result.records}.values())


def _unclean(result: ListResult[Any]) -> str:
    """Why a list is not trusted to say many events are gone."""
    why = []
    if not result.complete:
        why.append("not read to the end")
    if result.error is not None:
        why.append(f"failed: {result.error}")
    if result.skipped:
        why.append(f"{result.skipped} bad records")
    if result.count is not None and result.count != result.received:
        why.append(f"{result.received} results of a count of {result.count}")
    return ", ".join(why) or "clean"


def _main_time(event: Event) -> datetime | None:
    """The instant that decides whether an event is past: its first non-coverage milestone."""
    main = [m.at for m in event.milestones if m.kind is not MilestoneKind.COVERAGE_START]
    return min(main) if main else None


def _live(stored: Mapping[str, StoredEvent], source_id: str) -> StoredEvent | None:
    """A stored event that is not gone (what a launch keeps its webcast start from)."""
    found = stored.get(source_id)
    return found if found is not None and found.gone_at is None else None


def _keep_coverage(event: Event, rec: r.Launch, stored: StoredEvent | None) -> Event:
    """A list launch (``mode=normal`` has no ``vid_urls``) keeps the webcast start and links a detail gave,
    unless its ``mission.vid_urls`` told a start of its own."""
    if rec.vid_urls is not None or stored is None or event.milestone(MilestoneKind.COVERAGE_START) is not None:
        return event
    old = stored.event.milestone(MilestoneKind.COVERAGE_START)
    if old is None:
        return event
    return replace(
        event,
        milestones=(*event.milestones, old),
        webcast_urls=stored.event.webcast_urls or event.webcast_urls,
    )

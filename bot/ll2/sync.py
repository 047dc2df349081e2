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
list confirms it. A clean list is believed, but a mass disappearance is still logged loudly.

Requests stop at the first sign LL2 is unhappy: a 429 (on any page, or a detail) records the wait in the
state table and ends the sync after storing what was read; every fetch checks that wait first, so another
process's 429 is obeyed too. A 5xx or garbage on a later page keeps what was read but fails the sync.
Each feed's changes are published as soon as the feed is stored, so a crash later in the sync loses none.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.db import ll2 as rows
from bot.db.database import Database
from bot.db.events import (
    StoredEvent,
    events_in_feed,
    feed_events_with_milestone_between,
    mark_gone,
    to_epoch,
    upsert_events,
    upsert_feed,
)
from bot.db.ll2 import STATE_BLOCKED_UNTIL, STATE_LAST_DEEP, STATE_LAST_SYNC
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

    def summary(self) -> str:
        """A few lines for the CLI and the log."""
        if self.skipped:
            head = f"LL2 sync skipped: {self.skipped}"
        elif self.error:
            head = f"LL2 sync failed: {self.error}"
        else:
            head = "LL2 sync ok"
        counts = ", ".join(
            f"{feed} {n}{'' if self.complete.get(feed, True) else '+'}" for feed, n in self.fetched.items()
        )
        lines = [f"{head} ({self.requests} requests{'; ' + counts if counts else ''}; {len(self.changes)} changes)"]
        if self.bad_records:
            lines.append(f"  {self.bad_records} bad records skipped")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        lines.extend(f"  {c.describe()}" for c in self.changes)
        return "\n".join(lines)


class Fetcher(Protocol):
    """Where LL2 data comes from: the API, or a directory of saved responses."""

    async def throttle(self) -> Throttle | None: ...

    async def launches(self, now: datetime, max_pages: int) -> ListResult[r.Launch]: ...

    async def events(self, now: datetime, max_pages: int, type_ids: Sequence[int]) -> ListResult[r.Event]: ...

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

    async def events(self, now: datetime, max_pages: int, type_ids: Sequence[int]) -> ListResult[r.Event]:
        """Upcoming events of the given types, soonest first.

        ``mode=detailed`` (same request cost) because only it lists the event's ``launches``: the link from a
        docking or undocking to its launch, and what tells a Docking event from another docking.
        """
        params = {"mode": "detailed", "hide_recent_previous": "true", "ordering": "date"}
        if type_ids:
            params["type__ids"] = ",".join(str(t) for t in type_ids)
        return await self.client.fetch_list("/events/upcoming/", params, r.Event, max_pages=max_pages, what="event")

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

    async def events(self, now: datetime, max_pages: int, type_ids: Sequence[int]) -> ListResult[r.Event]:
        """The saved event list, filtered to the types the API would have been asked for."""
        result = self._load("events.json", r.Event, "event")
        if type_ids:
            result.records = [e for e in result.records if e.type.id in type_ids]
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
        self._now = now or (lambda: datetime.now(UTC))
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
        self.last_report: SyncReport | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

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
        """Sync if one is due, then return when the next one is due. Never raises (the loop must not die)."""
        now = self._now()
        if self.next_due is not None and now < self.next_due:
            return self.next_due
        try:
            report = await self.sync_once(now)
            self.next_due = await self._plan(now, report)
        except Exception:
            log.exception("LL2 sync crashed")
            self.failures += 1
            self.next_due = now + schedule.backoff(self.failures)
        return self.next_due

    async def _plan(self, now: datetime, report: SyncReport) -> datetime:
        cost = len(FEEDS)
        if report.skipped is None and report.error is None:
            self.failures = 0
            due = schedule.next_sync_at(await self._next_relevant(now), now, per_hour=self.budget.per_hour, cost=cost)
        elif report.skipped is None:
            self.failures += 1
            due = now + schedule.backoff(self.failures)
        else:
            due = now + schedule.MIN_INTERVAL
        if report.retry_after is not None:
            due = max(due, report.retry_after)
        return max(due, await self.budget.free_at(now, cost), await self._blocked_until() or now)

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
        dockings = [
            s.event
            for s in await events_in_feed(self.db, Source.LL2, FEED_DOCKINGS, include_gone=True)
            # A gone docking still matches its event copy only if it went because it took place.
            if s.gone_at is None or (_main_time(s.event) or now) <= now
        ]
        mapped: list[Event] = []
        duplicates: list[str] = []
        for rec in result.records:
            event = mapping.map_event(rec)
            if event is None:
                continue
            if event.type is EventType.DOCKING and any(mapping.same_docking(event, d) for d in dockings):
                duplicates.append(event.source_id)
                continue
            mapped.append(event)
        horizon = max((x.date for x in result.records if x.date is not None), default=None)
        _, before = await self._store(now, FEED_EVENTS, lambda _: mapped, result, horizon, report)
        # A duplicate is in the list's ids, so the store above left it as it was.
        for source_id in duplicates:
            if (old := before.get(source_id)) is not None and old.gone_at is None:
                log.info("LL2 %s is a copy of a docking from /docking_events/; retired", source_id)
                await self._gone(now, report, source_id, GoneReason.UNKNOWN)

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
                # RETURNED if it was only delayed past what we read); a past one has waited long enough, but
                # nothing says whether it flew.
                await self._gone(now, report, source_id, GoneReason.WITHDRAWN if at > now else GoneReason.UNKNOWN)

    async def _detail_allowed(self, now: datetime, source_id: str, every: timedelta) -> bool:
        # Keep a regular sync's worth of requests for the lists: details are what spare budget is for.
        if await self.budget.available(now) <= len(FEEDS):
            return False
        fetched_at = await rows.detail_fetched_at(self.db, source_id)
        return fetched_at is None or to_epoch(now) - fetched_at >= every.total_seconds()

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
        self.last_report = report
        await self._publish(report)  # whatever was stored after the last feed (coverage details)
        if report.ok:
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

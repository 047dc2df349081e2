"""The alert engine: reconcile from rows, keep the jobs, deliver. One run at a time."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.schedulers.base import BaseScheduler

from bot.alerts.channels import ChannelAlerts
from bot.alerts.dispatcher import Dispatcher, DispatchReport, Transport
from bot.alerts.jobs import AlertJobs
from bot.alerts.planner import HORIZON_SECONDS, Reconciled, reconcile
from bot.clock import Clock
from bot.db.database import Database, DatabaseError
from bot.db.events import to_epoch
from bot.models import Change

log = logging.getLogger(__name__)

# Discord's global limit is 50 requests/s; pacing at 96 % of it leaves room for commands and clock jitter.
GLOBAL_LIMIT_PER_S = 50.0
PACING_SHARE = 0.96
RETRY_AFTER = timedelta(seconds=30)
# Each retry run that still finds Discord (or the disk) failing doubles the wait, up to this: a 10-minute outage
# costs a handful of probes, and alerts go out (marked late) within this long of its end.
RETRY_AFTER_MAX = timedelta(minutes=2)
# How long a stop waits for the sends in flight (each is bounded by the transport's timeout).
STOP_TIMEOUT_S = 12.0
# At start-up, late alerts of LL2 milestones wait for the first LL2 sync (LL2 may have moved the launch while the
# bot was down) at most this long; then they go out on the stored times.
FIRST_SYNC_WAIT_S = 60.0


@dataclass
class RunReport:
    """One run: what the reconcile wrote and what the dispatcher sent."""

    reconciled: Reconciled
    alerts: DispatchReport
    notices: DispatchReport
    edits: DispatchReport


class AlertEngine:
    """Owned by the bot; started after the database is open and the client logged in."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        scheduler: BaseScheduler,
        transport: Transport,
        *,
        global_limit: float = GLOBAL_LIMIT_PER_S,
        channel_alerts: ChannelAlerts | None = None,
        first_sync: asyncio.Event | None = None,
        first_sync_wait_s: float | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.rate = global_limit * PACING_SHARE
        self.channel_alerts = channel_alerts
        self.dispatcher = Dispatcher(db, transport, clock, rate=self.rate, channel_alerts=channel_alerts)
        self.jobs = AlertJobs(scheduler, self.fire, self.poke, rate=self.rate)
        self._lock = asyncio.Lock()
        self._hints: set[asyncio.Task[None]] = set()
        self._retry_wait = RETRY_AFTER
        # The storage fault being reported (disk full, file locked too long): one ERROR line per episode.
        self.storage_fault: str | None = None
        # Set once the first LL2 sync is over (whatever its outcome); None: nothing to wait for.
        self.first_sync = first_sync
        self.first_sync_wait_s = FIRST_SYNC_WAIT_S if first_sync_wait_s is None else first_sync_wait_s
        # While set, late alerts of LL2 milestones firing before this instant are held (see planner.reconcile).
        self._hold_before: int | None = None

    async def start(self) -> RunReport:
        """Rebuild everything from rows: late alerts go out now, missed ones are recorded, jobs are made.

        Late alerts of LL2 milestones (fire time before now, no row yet) wait for the first LL2 sync, at most
        ``first_sync_wait_s``: a launch LL2 moved while the bot was down is then alerted at its new time only, not
        late for the old one and then "moved". Hand-entered events' late alerts and rows already written before a
        stop or crash (a send was promised: the same nonces) go out at once.
        """
        self.jobs.start_reconciling()
        if self.first_sync is not None and not self.first_sync.is_set():
            self._hold_before = to_epoch(self.clock.now())
        try:
            report = await self.run()
        except Exception:
            # The timer reconciles again; the bot keeps running.
            log.exception("alert start-up reconcile failed")
            self._release_after_first_sync()
            raise
        if not report.reconciled.held:
            self._hold_before = None  # nothing late to hold: later runs need not look
        self._release_after_first_sync(report.reconciled.held)
        # The start-up benchmark (bench/bench_startup.py) times start-up to this line and checks the count.
        log.info(
            "alerts armed: %d alert jobs (fire times in the next %d h), reconcile every %d min",
            len(self.jobs.alert_jobs()),
            HORIZON_SECONDS // 3600,
            self.jobs.reconcile_every.total_seconds() // 60,
        )
        return report

    def _release_after_first_sync(self, held: int = 0) -> None:
        if self._hold_before is None:
            return
        if held:
            log.info("%d late alerts of LL2 milestones wait for the first LL2 sync (at most %.0f s)", held,
                     self.first_sync_wait_s)  # fmt: skip
        task = asyncio.create_task(self._after_first_sync(), name="alerts.first-sync")
        self._hints.add(task)  # tracked as a hint: the engine is not idle while alerts wait
        task.add_done_callback(self._hints.discard)

    async def _after_first_sync(self) -> None:
        assert self.first_sync is not None
        try:
            async with asyncio.timeout(self.first_sync_wait_s):
                await self.first_sync.wait()
        except TimeoutError:
            log.warning("no LL2 sync within %.0f s of start: late alerts go out on the stored times",
                        self.first_sync_wait_s)  # fmt: skip
        self._hold_before = None
        try:
            await self.run()
        except Exception:
            log.exception("alert reconcile after the first LL2 sync failed")

    def stop(self) -> None:
        """Remove the engine's jobs and cancel background reconciles."""
        self.jobs.remove_all()
        for task in list(self._hints):
            task.cancel()

    async def aclose(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Stop cleanly: no new sends (those in flight finish and are recorded), then wait for the run to end.

        What is left stays pending in the outbox and goes out, with the same nonces, at the next start.
        """
        self.dispatcher.stopping = True
        self.stop()
        try:
            async with asyncio.timeout(timeout_s), self._lock:
                pass
        except TimeoutError:
            log.warning("an alert run did not stop within %.0f s; its rows stay pending for the next start", timeout_s)

    async def on_changes(self, changes: Sequence[Change]) -> None:
        """ChangeBus subscriber: a hint that something moved; the reconcile reads the rows, not the hint.

        It runs in the background: a sync or an ``/event edit`` never waits for a fan-out in progress.
        """
        self.hint()

    def _stopping(self) -> bool:
        # A method, not the attribute inline: the flag changes while a run awaits, which type narrowing ignores.
        return self.dispatcher.stopping

    @property
    def idle(self) -> bool:
        """No run in progress and no hinted run waiting (tests wait for this after moving the clock)."""
        return not self._lock.locked() and not self._hints

    def hint(self) -> None:
        """Reconcile soon, in the background (a command answers first; a fan-out in progress is not waited for)."""
        task = asyncio.create_task(self._hinted(), name="alerts.hint")
        self._hints.add(task)
        task.add_done_callback(self._hints.discard)

    async def _hinted(self) -> None:
        try:
            await self.run()
        except Exception:
            log.exception("alert reconcile after a hint failed")

    async def poke(self) -> None:
        """Reconcile now (after a subscription changed, or on the timer)."""
        await self.run()

    async def fire(self, fire_at: int) -> None:
        """The job of one fire time: deliver everything due by it."""
        await self.run(due_by=fire_at)

    async def run(self, *, due_by: int | None = None) -> RunReport:
        """Reconcile, deliver what is due by ``due_by`` (default now), send notices and edits, re-make the jobs.

        A write that fails (disk full, another process holding the file past its wait) stops the run: it is
        reported once per episode, nothing is given up, and the retry job runs it again.
        """
        async with self._lock:
            try:
                report = await self._run(due_by)
            except (sqlite3.Error, DatabaseError) as exc:
                self._storage_trouble(f"{type(exc).__name__}: {exc}")
                return RunReport(Reconciled([]), DispatchReport(), DispatchReport(), DispatchReport())
            if report.alerts.storage_fault:
                # Rows left pending have their retry already; a fault after the last send needs one.
                self._storage_trouble(report.alerts.storage_fault, retry=not report.alerts.left)
            elif self.storage_fault is not None:
                log.warning("alert storage fault over: alerts are recorded again (%s)", self.storage_fault)
                self.storage_fault = None
            return report

    def _storage_trouble(self, error: str, *, retry: bool = True) -> None:
        if self.storage_fault is None:
            log.error("alert storage fault: %s; pending alerts are kept and retried", error)
        self.storage_fault = error
        if retry:
            self._schedule_retry(0.0)

    def _schedule_retry(self, at_least_s: float) -> None:
        when = self.clock.now() + max(self._retry_wait, timedelta(seconds=at_least_s))
        waiting = self.jobs.retry_time()
        # An earlier retry already waiting stays (two runs failing at once, the fire job and the reconcile
        # timer, do not push it back); a run before a 429's wait is over sends nothing anyway.
        if waiting is None or when < waiting:
            self.jobs.retry_at(when)
        self._retry_wait = min(self._retry_wait * 2, RETRY_AFTER_MAX)

    async def _run(self, due_by: int | None) -> RunReport:
        if self._stopping():
            return RunReport(Reconciled([]), DispatchReport(), DispatchReport(), DispatchReport())
        now = to_epoch(self.clock.now())
        until = max(now, due_by or now)
        started = time.perf_counter()  # real seconds, whatever the clock (tests move it) says
        reconciled = await reconcile(self.db, now=now, due_by=until, hold_before=self._hold_before)
        self.jobs.note_reconcile(time.perf_counter() - started)
        alerts = await self.dispatcher.deliver_due(until)
        if self._stopping():
            return RunReport(reconciled, alerts, DispatchReport(), DispatchReport())
        notices = await self.dispatcher.send_notices()
        edits = await self.dispatcher.supersede(reconciled.supersede)
        if self.channel_alerts is not None:
            # Forum posts are titled with their mission's NET: a slip retitles them now, not at the next alert.
            try:
                await self.channel_alerts.retitle()
            except Exception:
                log.exception("retitling forum posts failed; the next run tries again")
        if alerts.paused:
            # Paused users' other pending rows are owed nothing now: a second reconcile drops them.
            reconciled = await reconcile(
                self.db, now=to_epoch(self.clock.now()), due_by=until, hold_before=self._hold_before
            )
        self.jobs.sync(reconciled.fire_times)
        if alerts.left or notices.left or edits.left:
            self._schedule_retry(alerts.retry_after)
        elif not alerts.storage_fault:
            self._retry_wait = RETRY_AFTER
        # Returned, not kept: the plan (every alert of the window, 87,000 at full size) is garbage once the jobs
        # are re-made; kept, it stayed in memory between runs and beside the next run's own plan.
        report = RunReport(reconciled, alerts, notices, edits)
        if alerts.sent or alerts.missed or notices.sent or edits.sent or alerts.failed:
            log.info(
                "alerts: %d sent, %d missed, %d failed, %d left; %d notices, %d superseded; %d fire times ahead",
                alerts.sent,
                alerts.missed,
                alerts.failed,
                alerts.left,
                notices.sent,
                edits.sent,
                len(reconciled.fire_times),
            )
        return report

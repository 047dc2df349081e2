"""Deliver what the outbox holds: paced under the global rate limit, earliest-subscribed first, each DM once.

A row is written (by the planner) before its send; it is marked sent, with the message id, only after Discord
confirmed it. A send that failed or timed out is retried with the row's own nonce, so if Discord did make
the message the retry returns that message instead of a second one.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Protocol, TypeVar

from bot.alerts.jobs import MARGIN_S, head_start
from bot.alerts.messages import alert_text, superseded_text
from bot.alerts.rules import is_late, is_over
from bot.channel_alerts import (
    ChannelForbiddenError,
    ChannelGoneError,
    ChannelSendError,
    ChannelTransientError,
)
from bot.channel_poster import Target
from bot.clock import Clock
from bot.db import alerts as store
from bot.db import channel_alerts as channel_store
from bot.db.database import Database, DatabaseError
from bot.db.events import to_epoch

if TYPE_CHECKING:
    from bot.alerts.channels import ChannelAlerts

log = logging.getLogger(__name__)
T = TypeVar("T")

DMS_CLOSED_REASON = "your DMs are closed to me (Discord error 50007)"
# Waits between tries of one send within a fan-out; after the last, the row waits for the retry job.
RETRY_DELAYS_S = (0.5, 1.0, 2.0)
# A notice that failed this often (over several runs) is given up and kept as failed with its last error.
MAX_ATTEMPTS = 12
# Sends in flight at once: enough that a slow answer or database write never leaves a paced slot unused.
WORKERS = 48
# Confirmed sends are written this many at a time, or at least this often.
FLUSH_ROWS = 50
FLUSH_S = 0.25
# How long before its share of the fan-out a send is started: the request's own trip to Discord.
START_EARLY_S = 0.05


class DMsClosedError(Exception):
    """The user does not accept DMs from the bot (50007): stop alerting them, do not retry."""


class TransientError(Exception):
    """A 5xx, a 429, a timeout or a dropped connection: retry later with the same nonce.

    ``retry_after``: how long Discord asked us to wait (a 429), if it said.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(Exception):
    """Discord refused the request for good (4xx other than the above)."""


# What a send may fail with and be tried again with the same nonce: a DM's and a channel post's transient failures
# go through the same probe and backoff, so a failing Discord sees one send retried whatever the recipient.
TRANSIENT = (TransientError, ChannelTransientError)


def _retry_after(exc: Exception) -> float | None:
    return exc.retry_after if isinstance(exc, TransientError) else None


class UnknownTargetError(PermanentError):
    """The channel or message no longer exists (a cached DM channel gone, a message deleted)."""


class Transport(Protocol):
    """What the dispatcher needs of Discord (``bot.alerts.transport.DiscordTransport`` in the bot)."""

    async def open_dm(self, user_id: int) -> int: ...

    async def post(self, channel_id: int, content: str, nonce: str) -> int: ...

    async def rewrite(self, channel_id: int, message_id: int, content: str) -> None: ...


class Pacer:
    """Hands out request slots ``1/rate`` seconds apart, in the order asked: pacing, not collecting 429s."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        """Wait for the next slot."""
        async with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval
            if slot > now:
                await asyncio.sleep(slot - now)


@dataclass
class DispatchReport:
    """What one run of the dispatcher did."""

    sent: int = 0
    missed: int = 0
    failed: int = 0
    paused: list[int] = field(default_factory=list)
    left: int = 0  # rows still pending after transient failures: the retry job takes them
    retry_after: float = 0.0  # the longest wait a 429 asked for: the retry job waits at least this
    storage_fault: str | None = None  # a write failed (disk full, file locked too long): the run stopped there


async def worker_once(queue: asyncio.Queue[T], deliver: Callable[[T], Awaitable[None]]) -> None:
    """Take and deliver one item, if any."""
    if not queue.empty():
        await deliver(queue.get_nowait())


class Dispatcher:
    """Sends due outbox rows, notices and superseded edits through a :class:`Transport`."""

    def __init__(
        self,
        db: Database,
        transport: Transport,
        clock: Clock,
        *,
        rate: float,
        workers: int = WORKERS,
        retry_delays: Sequence[float] = RETRY_DELAYS_S,
        channel_alerts: ChannelAlerts | None = None,
    ) -> None:
        self.channel_alerts = channel_alerts
        self.db = db
        self.transport = transport
        self.clock = clock
        self.pacer = Pacer(rate)
        self.workers = workers
        self.retry_delays = tuple(retry_delays)
        # Set when the bot stops: workers finish the send in hand and take no more.
        self.stopping = False
        self._confirmed: list[tuple[int, int, int, int, bool]] = []
        self._flushed_at = time.monotonic()
        # Set when a run met a transient failure (Discord down or limiting us): the next run sends one row alone
        # first, and goes on only if that one is accepted. Without it every retry run would try every row
        # (a retry storm against a Discord that is down), and each row would use up its attempts in one outage.
        self.degraded = False
        # Set during a run when Discord kept failing (or asked for a long wait) or a write failed: no new send
        # starts in that run.
        self._halt = False
        # Epoch seconds (on the clock) before which no alert is sent: the end of the wait a 429 asked for.
        self._not_before = 0.0
        # Set while one send retries a transient failure: new sends wait for its outcome.
        self._probing: asyncio.Event | None = None

    def _now(self) -> int:
        return to_epoch(self.clock.now())

    async def deliver_due(self, due_by: int) -> DispatchReport:
        """Send every pending alert due by ``due_by``; the ones whose milestone is over are recorded missed."""
        report = DispatchReport()
        self._halt = False
        # Sends Discord confirmed in an earlier run whose write failed (disk full) are recorded first, before
        # their rows are read as pending: resending them after the nonce window would make a second message.
        await self._flush_sent(force=True)
        pending = await store.pending_deliveries(self.db, due_by=due_by)
        now = self._now()
        over = [d.id for d in pending if is_over(d.target_at, now)]
        if over:
            await store.mark_missed(self.db, over, now)
            report.missed += len(over)
        rows = [d for d in pending if not is_over(d.target_at, now)]
        if not rows:
            return report
        wait = self._not_before - self.clock.now().timestamp()
        if wait > 0:
            # Discord asked for this wait (a 429): any run before it ends (a hint, the reconcile timer) sends
            # nothing, or it would only collect another 429.
            report.left += len(rows)
            report.retry_after = wait
            return report
        # Channel alerts (issue 11): the recipient is a channel; the rest are DMs.
        targets = await self.channel_alerts.targets() if self.channel_alerts is not None else {}
        channels = await store.dm_channels(self.db, {d.recipient_id for d in rows if d.recipient_id not in targets})
        opens = sum(1 for d in rows if d.recipient_id not in channels and d.recipient_id not in targets)
        await self._wait_for_start(due_by, len(rows) + opens)
        paused: set[int] = set()
        queue: asyncio.Queue[store.Delivery] = asyncio.Queue()
        for d in rows:
            queue.put_nowait(d)

        async def worker() -> None:
            while not queue.empty() and not self.stopping and not self._halt:
                await self._await_probe()
                if queue.empty() or self._halt:
                    break
                await send(queue.get_nowait())

        async def send(d: store.Delivery) -> None:
            if d.recipient_id in paused:
                return
            if d.recipient_id in targets:
                await self._deliver_to_channel(d, targets[d.recipient_id], paused, report)
            else:
                await self._deliver(d, channels, paused, report)

        try:
            if self.degraded:
                # One probe before the full width: if Discord is still failing, this run costs one send.
                await worker_once(queue, send)
            if not self._halt:
                self.degraded = False
                await asyncio.gather(*(worker() for _ in range(min(self.workers, queue.qsize()))))
        finally:
            report.left += queue.qsize()
            self.degraded = self.degraded or report.left > 0
            try:
                await self._flush_sent(force=True)
            except (sqlite3.Error, DatabaseError) as exc:  # the batch is kept for the next run
                report.storage_fault = report.storage_fault or f"{type(exc).__name__}: {exc}"
        return report

    async def _wait_for_start(self, due_by: int, cost: int) -> None:
        # The job starts early by a margin for the reconcile; now that the recipients are known, start exactly
        # the fan-out's length (plus a hair) before the due time, so nobody gets an alert needlessly early.
        start = due_by - head_start(cost, 1.0 / self.pacer.interval) + MARGIN_S - START_EARLY_S
        wait = start - self.clock.now().timestamp()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _channel(self, user_id: int, channels: dict[int, int]) -> int:
        channel = channels.get(user_id)
        if channel is None:
            await self.pacer.take()
            channel = await self._with_retries(lambda: self.transport.open_dm(user_id))
            channels[user_id] = channel
            await store.cache_dm_channel(self.db, user_id, channel, self._now())
        return channel

    async def _with_retries(self, call: Callable[[], Awaitable[T]], *, waits: int = 2) -> T:
        try:
            return await call()
        except TRANSIENT as exc:
            if _retry_after(exc) is not None:
                # A 429 that names a long wait: the retry job honours it; this run sends nothing more.
                self._halt = True
                raise
            if self._halt:
                raise
            first = exc
        if self._probing is not None and waits > 0:
            # Another send is already finding out whether Discord is back; its answer decides for this one too,
            # so a failing Discord sees one send retried, not every send in flight.
            await self._probing.wait()
            if self._halt:
                raise first
            return await self._with_retries(call, waits=waits - 1)
        return await self._probe(call, first)

    async def _probe(self, call: Callable[[], Awaitable[T]], first: Exception) -> T:
        probing = self._probing = asyncio.Event()
        last = first
        try:
            for delay in self.retry_delays:
                log.warning("transient Discord error, retrying in %.1fs with the same nonce: %s", delay, last)
                await asyncio.sleep(delay)
                await self.pacer.take()
                try:
                    return await call()
                except TRANSIENT as exc:
                    last = exc
                    if _retry_after(exc) is not None:
                        break
            # Discord is still failing: no new send starts in this run; the retry job probes again later.
            self._halt = True
            raise last
        finally:
            self._probing = None
            probing.set()

    async def _await_probe(self) -> None:
        """Before a new send: wait while another send probes a failing Discord."""
        probing = self._probing
        if probing is not None:
            await probing.wait()

    async def _flush_sent(self, *, force: bool = False) -> None:
        # Confirmed sends are recorded in batches (one transaction per batch instead of one per DM): a crash
        # before the batch is written only means those DMs are sent again with their nonces, which Discord
        # answers with the messages it already made.
        due = force or len(self._confirmed) >= FLUSH_ROWS or time.monotonic() - self._flushed_at >= FLUSH_S
        if not due or not self._confirmed:
            return
        batch, self._confirmed = self._confirmed, []
        self._flushed_at = time.monotonic()
        try:
            await store.mark_deliveries_sent(self.db, batch)
        except BaseException:
            # Kept (in memory) and written by the next flush: these messages exist, their rows must say so.
            self._confirmed = batch + self._confirmed
            self._halt = True
            raise

    async def _deliver(
        self, d: store.Delivery, channels: dict[int, int], paused: set[int], report: DispatchReport
    ) -> None:
        # A row written on time but sent minutes later (after a crash) says so too.
        late = d.late or is_late(d.fire_at, self._now())
        content = alert_text(d.event_name, d.kind, d.lead, d.target_at, late=late)
        try:
            channel = await self._channel(d.recipient_id, channels)
            await self.pacer.take()
            try:
                message_id = await self._with_retries(lambda: self.transport.post(channel, content, d.nonce))
            except UnknownTargetError:
                # The cached DM channel is gone: open a new one once and send there.
                channels.pop(d.recipient_id, None)
                channel = await self._channel(d.recipient_id, channels)
                await self.pacer.take()
                message_id = await self._with_retries(lambda: self.transport.post(channel, content, d.nonce))
        except DMsClosedError as exc:
            paused.add(d.recipient_id)
            report.paused.append(d.recipient_id)
            await store.note_delivery_attempt(self.db, d.id, str(exc), self._now(), final=True)
            await store.pause_recipient(self.db, d.recipient_id, DMS_CLOSED_REASON, self._now())
            log.info("DMs closed by user %s: their alerts are paused", d.recipient_id)
            return
        except TransientError as exc:
            self.degraded = True
            report.retry_after = max(report.retry_after, exc.retry_after or 0.0)
            if exc.retry_after:
                self._not_before = max(self._not_before, self.clock.now().timestamp() + exc.retry_after)
            # Never given up for a transient failure: an outage longer than MAX_ATTEMPTS retry runs would
            # otherwise lose the probe rows. The row is retried (spaced by the retry job's backoff) until its
            # milestone is over, when it is recorded missed.
            await store.note_delivery_attempt(self.db, d.id, str(exc), self._now(), final=False)
            report.left += 1
            return
        except PermanentError as exc:
            log.warning("alert %s to user %s refused: %s", d.id, d.recipient_id, exc)
            await store.note_delivery_attempt(self.db, d.id, str(exc), self._now(), final=True)
            report.failed += 1
            return
        self._confirmed.append((d.id, channel, message_id, self._now(), late))
        report.sent += 1
        try:
            await self._flush_sent()
        except (sqlite3.Error, DatabaseError) as exc:  # kept for the next flush; the run stops sending
            report.storage_fault = report.storage_fault or f"{type(exc).__name__}: {exc}"

    async def _deliver_to_channel(
        self, d: store.Delivery, target: Target, paused: set[int], report: DispatchReport
    ) -> None:
        """A channel alert: posted (role ping, publish, forum post) with the row's nonce; a refusal pauses it."""
        assert self.channel_alerts is not None
        alerts = self.channel_alerts
        late = d.late or is_late(d.fire_at, self._now())
        try:
            await self.pacer.take()
            channel, message_id = await self._with_retries(
                lambda: alerts.deliver(
                    target=target,
                    delivery_id=d.id,
                    name=d.event_name,
                    kind=d.kind,
                    lead=d.lead,
                    at=d.target_at,
                    precision=d.precision,
                    nonce=d.nonce,
                    late=late,
                )
            )
        except (ChannelForbiddenError, ChannelGoneError) as exc:
            # Told to whoever added it, by DM; never an error posted in the channel, never retried forever.
            paused.add(d.recipient_id)
            report.paused.append(d.recipient_id)
            await store.note_delivery_attempt(self.db, d.id, str(exc), self._now(), final=True)
            await alerts.pause(target, str(exc))
            return
        except ChannelTransientError as exc:
            # As for DMs: never given up for a transient failure, retried (spaced by the retry job's backoff)
            # until its milestone is over, when it is recorded missed.
            self.degraded = True
            await store.note_delivery_attempt(self.db, d.id, str(exc), self._now(), final=False)
            report.left += 1
            return
        except ChannelSendError as exc:
            log.warning("channel alert %s in %s refused: %s", d.id, d.recipient_id, exc)
            await store.note_delivery_attempt(self.db, d.id, str(exc), self._now(), final=True)
            report.failed += 1
            return
        # Recorded at once, not batched: a forum post made by this alert must be known before the next one.
        await store.mark_deliveries_sent(self.db, [(d.id, channel, message_id, self._now(), late)])
        report.sent += 1

    async def _notice_to_channel(self, n: store.Notice, target: Target | None, report: DispatchReport) -> None:
        """A notice for a channel's alerts: in the channel, or in the mission's forum post."""
        assert self.channel_alerts is not None
        alerts = self.channel_alerts
        if target is None:  # the channel's alerts are paused: nothing goes there
            await store.note_notice_attempt(self.db, n.id, "channel alerts paused", self._now(), final=True)
            report.failed += 1
            return
        milestone_id = await channel_store.notice_milestone_id(self.db, n.id)
        try:
            await self.pacer.take()
            posted = await self._with_retries(lambda: alerts.notice(target, milestone_id, n.body, n.nonce))
        except ChannelTransientError as exc:
            await store.note_notice_attempt(self.db, n.id, str(exc), self._now(), final=n.attempts + 1 >= MAX_ATTEMPTS)
            report.left += 1
            return
        except ChannelSendError as exc:
            await store.note_notice_attempt(self.db, n.id, str(exc), self._now(), final=True)
            report.failed += 1
            return
        if posted is None:
            await store.note_notice_attempt(self.db, n.id, "no forum post for this mission", self._now(), final=True)
            return
        await store.mark_notice_sent(self.db, n.id, posted[0], posted[1], self._now())
        report.sent += 1

    async def send_notices(self) -> DispatchReport:
        """Send every pending notice (slips, holds, scrubs, outcomes), except to users who muted their alerts or
        whose alerts are paused: they asked for silence, so they get no notice either (and none late on Unmute)."""
        report = DispatchReport()
        await store.close_silenced_notices(self.db, self._now())
        notices = await store.pending_notices(self.db)
        if not notices:
            return report
        targets: dict[int, Target] = {}
        channel_ids: set[int] = set()
        if self.channel_alerts is not None:
            targets = await self.channel_alerts.targets()
            channel_ids = await channel_store.alert_channel_ids(self.db)
        channels = await store.dm_channels(
            self.db, {n.recipient_id for n in notices if n.recipient_id not in channel_ids}
        )
        for n in notices:
            if n.recipient_id in channel_ids:
                await self._notice_to_channel(n, targets.get(n.recipient_id), report)
                continue
            try:
                channel = await self._channel(n.recipient_id, channels)
                await self.pacer.take()
                message_id = await self._with_retries(partial(self.transport.post, channel, n.body, n.nonce))
            except TransientError as exc:
                await store.note_notice_attempt(
                    self.db, n.id, str(exc), self._now(), final=n.attempts + 1 >= MAX_ATTEMPTS
                )
                report.left += 1
                continue
            except (PermanentError, DMsClosedError) as exc:
                await store.note_notice_attempt(self.db, n.id, str(exc), self._now(), final=True)
                report.failed += 1
                continue
            await store.mark_notice_sent(self.db, n.id, channel, message_id, self._now())
            report.sent += 1
        return report

    async def supersede(self, alerts: Sequence[store.SentAlert]) -> DispatchReport:
        """Edit earlier alert messages whose time no longer holds to say so."""
        report = DispatchReport()
        for s in alerts:
            content = superseded_text(s.event_name, s.kind, s.lead, s.target_at)
            try:
                await self.pacer.take()
                await self._with_retries(partial(self.transport.rewrite, s.channel_id, s.message_id, content))
            except TransientError:
                report.left += 1
                continue
            except (PermanentError, DMsClosedError) as exc:
                log.info("could not mark alert %s superseded (%s); recording it anyway", s.id, exc)
            await store.mark_superseded(self.db, s.id, self._now())
            report.sent += 1
        return report

"""Digests: a compact list of the milestones in the next 24 h (daily) or 7 days (weekly), at a local wall time.

Each digest is an APScheduler ``CronTrigger`` in its owner's zone, so it fires at 08:00 local on both sides of
a DST change: never twice (a time in the hour the fall-back night repeats fires on its first pass only; and a
slot is one outbox row), never skipped (a time in the spring-forward gap fires an hour later on the wall clock),
and never skipped (a slot missed while the bot was down is sent late at start-up, within a grace period).

Exactly once, as alerts: the outbox row of a (digest, slot) is written before the send, marked sent after
Discord confirmed it; a retry uses the row's nonce, so a message Discord already made is returned, not made
again. No discord.py here: sending goes through a :class:`DigestTransport`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.db import digests as store
from bot.db.database import Database
from bot.db.events import UpcomingMilestone, from_epoch, next_milestones, to_epoch
from bot.db.settings import get_guild_timezone, get_user_timezone
from bot.exceptions import InputError
from bot.render import inert_name, plain_instant, truncate

log = logging.getLogger(__name__)

JOB_PREFIX = "digest:"
RETRY_JOB = "digests-retry"
RESYNC_JOB = "digests-resync"
RETRY_AFTER = timedelta(seconds=60)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_CRON_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON = {"daily": timedelta(hours=24), "weekly": timedelta(days=7)}
# A slot missed while the bot was down is still sent (marked late) this long after its time; a slot Discord
# keeps failing is retried as long (then it is given up: the next slot is near enough).
CATCH_UP = timedelta(hours=2)
MAX_CONTENT = 2_000
MAX_LINES = 40
_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)


class DigestSendError(Exception):
    """Base of what the transport raises."""


class UndeliverableError(DigestSendError):
    """DMs closed, or the bot may not post in the channel: pause the digest and tell its owner."""


class TransientSendError(DigestSendError):
    """5xx, timeout: retry with the same nonce."""


class DigestTransport(Protocol):
    """What digests need of Discord."""

    async def open_dm(self, user_id: int) -> int: ...

    async def post(self, channel_id: int, content: str, nonce: str) -> int: ...


Notify = Callable[[int, str], Awaitable[None]]


def parse_local_time(text: str) -> str:
    """``"8"``, ``"08:00"``, ``"8:30 pm"``, ``"20h30"`` -> ``"HH:MM"``; :class:`InputError` otherwise."""
    match = _TIME.match(text)
    if match is None:
        raise InputError(f"I couldn't read {text!r} as a time of day. Type it like `08:00`, `7:30 pm` or `20:15`.")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower().replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            raise InputError(f"{text!r}: with am/pm the hour is 1 to 12. Try `08:00` or `8:00 am`.")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InputError(f"{text!r} is not a time of day. Type it like `08:00` or `20:15`.")
    return f"{hour:02d}:{minute:02d}"


class WallClockTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler 3 has no type hints: its classes are Any
    """A cron trigger that fires once per wall-clock day even on the night clocks go back.

    ``CronTrigger`` answers both passes of a repeated local time (01:30 EDT, then 01:30 EST an hour later): a
    daily 01:30 digest would come twice that night, as two slots with two outbox rows. The second pass (``fold``
    1 of an ambiguous time) is skipped, so the day's digest is the first one.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        at: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while at is not None and at.fold == 1 and at.replace(fold=0).utcoffset() != at.utcoffset():
            # Steps in UTC: a step in the zone from the second pass lands on that same pass again.
            at = super().get_next_fire_time(at, at.astimezone(UTC) + timedelta(seconds=1))
        return at


def trigger(digest: store.Digest) -> CronTrigger:
    """The cron trigger of a digest, in its zone (wall time, so DST changes keep 08:00 at 08:00)."""
    hour, minute = (int(p) for p in digest.local_time.split(":"))
    day = _CRON_DAYS[digest.weekday] if digest.cadence == "weekly" and digest.weekday is not None else "*"
    return WallClockTrigger(day_of_week=day, hour=hour, minute=minute, timezone=ZoneInfo(digest.zone))


def last_slot(digest: store.Digest, now: datetime) -> datetime | None:
    """The latest fire time of ``digest`` at or before ``now`` (from its trigger: the scheduler's own arithmetic)."""
    cron = trigger(digest)
    # A daily digest's last slot is nearly always within the last 26 h (a day, plus an hour for a DST change):
    # looking there first saves walking a week of slots for each of thousands of digests at start-up. The
    # latest slot is in the shorter window whenever any slot is; otherwise (a weekly digest, a slot skipped by
    # a DST gap) the longer window finds it.
    # Steps and comparisons are in UTC: in the digest's zone, 01:30 + 1 s on the night clocks go back is 01:30:01
    # of the same fold, and the trigger answered the same 01:30 again, for ever (a hang, found by the test of
    # this function around DST); and two local times an hour apart compare equal there.
    end = now.astimezone(UTC)
    for lookback in (timedelta(hours=26), timedelta(days=8)):
        found: datetime | None = None
        at = cron.get_next_fire_time(None, end - lookback)
        while at is not None and at.astimezone(UTC) <= end:
            found = at
            at = cron.get_next_fire_time(at, at.astimezone(UTC) + timedelta(seconds=1))
        if found is not None:
            return found
    return None


def nonce(digest_id: int, slot: int) -> str:
    """The nonce of one digest message (at most 25 characters)."""
    return hashlib.blake2b(f"d:{digest_id}:{slot}".encode(), digest_size=12).hexdigest()


def render(items: list[UpcomingMilestone], *, cadence: str, zone: ZoneInfo, slot: datetime, late: bool = False) -> str:
    """The digest text: one line per milestone, plain time in ``zone`` plus markup for every reader."""
    span = "24 hours" if cadence == "daily" else "7 days"
    local = slot.astimezone(zone)
    head = f"🗓️ **Coming up in the next {span}** ({local:%a %d %b}, times in {zone.key})"
    lines = [head]
    if not items:
        lines.append("Nothing scheduled. Clear skies!")
    for item in items[:MAX_LINES]:
        at, precision = item.milestone.at, item.milestone.precision
        kind = item.milestone.kind.value.replace("_", " ")
        relative = f" (<t:{to_epoch(at)}:R>)" if precision.is_exact else ""
        name = inert_name(item.stored.event.name)
        lines.append(f"• {plain_instant(at, precision, zone)}: **{name}**, {kind}{relative}")
    if len(items) > MAX_LINES:
        lines.append(f"…and {len(items) - MAX_LINES} more: see `/nextlaunch`.")
    if late:
        lines.append("*Late: I was offline at the usual time.*")
    return truncate("\n".join(lines), MAX_CONTENT)


PAUSED_TEXT = "Your {cadence} digest {where} is paused: {why}. Set it again with `/digest` once that is fixed."


@dataclass
class FireReport:
    """What one run of the digest sender did."""

    sent: int = 0
    failed: int = 0
    paused: int = 0
    left: int = 0


class DigestService:
    """Keeps one cron job per digest and delivers each slot once."""

    def __init__(
        self,
        db: Database,
        scheduler: BaseScheduler,
        transport: DigestTransport,
        clock_now: Callable[[], datetime],
        notify: Notify,
        default_zone: str = "UTC",
    ) -> None:
        self.default_zone = default_zone
        self.db = db
        self.scheduler = scheduler
        self.transport = transport
        self.now = clock_now
        self.notify = notify
        self._lock = asyncio.Lock()

    async def owner_zone(self, d: store.Digest) -> str:
        """The zone a digest follows now: its server's (channel digests) or its owner's (DM), else the default."""
        if d.channel_id is not None and d.guild_id is not None:
            zone = await get_guild_timezone(self.db, d.guild_id)
        else:
            zone = await get_user_timezone(self.db, d.owner_id)
        return zone or self.default_zone

    async def sync_jobs(self) -> None:
        """Exactly one cron job per active digest (id = row key), rebuilt from the rows, each in its owner's
        current zone (a zone changed with /timezone or /alerts timezone moves the job)."""
        digests: dict[int, store.Digest] = {}
        for stored in await store.all_digests(self.db):
            if stored.paused_reason is not None:
                continue
            zone = await self.owner_zone(stored)
            if zone != stored.zone:
                await store.set_zone(self.db, stored.id, zone, to_epoch(self.now()))
            digests[stored.id] = replace(stored, zone=zone)
        for job in self.scheduler.get_jobs():
            if job.id.startswith(JOB_PREFIX) and int(job.id.removeprefix(JOB_PREFIX)) not in digests:
                job.remove()
        for d in digests.values():
            self.scheduler.add_job(
                self.fire,
                trigger(d),
                args=[d.id],
                id=f"{JOB_PREFIX}{d.id}",
                name=f"digest {d.id} {d.cadence} {d.local_time} {d.zone}",
                replace_existing=True,
                # The slot's row, not the scheduler, decides whether it was sent: a late wake-up still sends.
                misfire_grace_time=None,
                coalesce=True,
                max_instances=1,
            )

    def start_resync(self, every: timedelta = timedelta(minutes=10)) -> None:
        """Re-read zones and rows now and then, so a zone changed elsewhere moves the digests within minutes."""
        self.scheduler.add_job(
            self.sync_jobs,
            IntervalTrigger(seconds=every.total_seconds(), timezone=UTC),
            id=RESYNC_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    def job_ids(self) -> list[str]:
        """Ids of the digest jobs (tests and the log)."""
        return sorted(j.id for j in self.scheduler.get_jobs() if j.id.startswith(JOB_PREFIX))

    async def fire(self, digest_id: int) -> FireReport:
        """The job of one digest: write the row of the slot just reached, then send what is pending."""
        digest = await store.get_digest(self.db, digest_id)
        now = self.now()
        if digest is not None and digest.paused_reason is None:
            slot = last_slot(digest, now + timedelta(seconds=1))
            if slot is not None and to_epoch(slot) >= digest.created_at:
                await store.add_run(self.db, digest.id, to_epoch(slot), nonce(digest.id, to_epoch(slot)), to_epoch(now))
        return await self.send_pending()

    async def catch_up(self) -> FireReport:
        """At start-up: a slot missed within :data:`CATCH_UP` is owed (sent late); pending rows are retried."""
        now = self.now()
        for d in await store.all_digests(self.db):
            if d.paused_reason is not None:
                continue
            slot = last_slot(d, now)
            if slot is None or now - slot > CATCH_UP or to_epoch(slot) < d.created_at:
                continue
            await store.add_run(self.db, d.id, to_epoch(slot), nonce(d.id, to_epoch(slot)), to_epoch(now))
        return await self.send_pending()

    async def send_pending(self) -> FireReport:
        """Send every pending run (one at a time: a digest is one message)."""
        async with self._lock:
            report = FireReport()
            runs = await store.pending_runs(self.db)
            for n, run in enumerate(runs):
                digest = await store.get_digest(self.db, run.digest_id)
                if digest is None:
                    continue
                await self._send(digest, run, report)
                if report.left:
                    # Discord is failing: the others wait for the retry job, which tries one again first (a busy
                    # digest time in an outage would otherwise retry every pending digest on every fire).
                    report.left += len(runs) - n - 1
                    break
            if report.left:
                self.scheduler.add_job(
                    self.send_pending,
                    "date",
                    run_date=self.now() + RETRY_AFTER,
                    id=RETRY_JOB,
                    replace_existing=True,
                    misfire_grace_time=None,
                )
            return report

    async def _send(self, digest: store.Digest, run: store.Run, report: FireReport) -> None:
        zone = ZoneInfo(digest.zone)
        slot = from_epoch(run.slot)
        now = self.now()
        items = [
            m
            for m in await next_milestones(self.db, now=slot, limit=MAX_LINES + 20, guild_id=digest.guild_id)
            if m.milestone.at <= slot + HORIZON[digest.cadence]
        ]
        text = render(items, cadence=digest.cadence, zone=zone, slot=slot, late=now - slot > timedelta(minutes=5))
        try:
            channel = digest.channel_id or await self.transport.open_dm(digest.owner_id)
            message_id = await self.transport.post(channel, text, run.nonce)
        except UndeliverableError as exc:
            await store.note_run_attempt(self.db, run, str(exc), to_epoch(now), final=True)
            await self._pause(digest, str(exc), to_epoch(now))
            report.paused += 1
            return
        except DigestSendError as exc:  # transient (server_ports maps every refusal to UndeliverableError)
            final = now - slot > CATCH_UP
            await store.note_run_attempt(self.db, run, str(exc), to_epoch(now), final=final)
            report.failed += final
            report.left += not final
            return
        await store.mark_run_sent(self.db, run, channel, message_id, to_epoch(now))
        report.sent += 1

    async def _pause(self, digest: store.Digest, why: str, now: int) -> None:
        await store.pause_digest(self.db, digest.id, why, now)
        job = self.scheduler.get_job(f"{JOB_PREFIX}{digest.id}")
        if job is not None:
            job.remove()
        if digest.channel_id is None:
            return  # the owner's DMs are what failed: nothing else reaches them
        if digest.owner_id == 0:
            return  # who set it used /forget me: no one to tell
        where = f"in <#{digest.channel_id}>"
        try:
            await self.notify(digest.owner_id, PAUSED_TEXT.format(cadence=digest.cadence, where=where, why=why))
        except Exception:
            log.warning("could not tell user %s that digest %s paused", digest.owner_id, digest.id)

"""APScheduler jobs derived from the outbox plan: one per distinct fire time, its id derived from that time.

Jobs are rebuilt from the rows at start-up and after every reconcile: a moved milestone replaces its job
(``replace_existing``), never adds a second. ``misfire_grace_time=None`` because APScheduler's default of one
second silently drops a job the event loop reached late; the dispatcher decides what is late, not the
scheduler.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.db.events import from_epoch

log = logging.getLogger(__name__)

PREFIX = "alert:"
RECONCILE_JOB = "alerts-reconcile"
RETRY_JOB = "alerts-retry"
# On top of the fan-out's length at the paced rate: 5 % for slots a busy event loop takes late (measured: a
# 5,000-DM fan-out ran at 96-97 % of the paced rate), the reconcile that resolves recipients when the job
# fires (about 0.1 ms per recipient) and scheduling jitter, so the last recipient still has it by the due time.
SLOWDOWN = 1.05
MARGIN_S = 0.5
PER_REQUEST_MARGIN_S = 0.0002


def job_id(fire_at: int) -> str:
    """The job of one fire time."""
    return f"{PREFIX}{fire_at}"


def head_start(cost: int, rate: float) -> float:
    """Seconds before the fire time a fan-out of ``cost`` requests at ``rate`` per second must start."""
    return cost / rate * SLOWDOWN + cost * PER_REQUEST_MARGIN_S + MARGIN_S if cost else 0.0


class AlertJobs:
    """Keeps the scheduler's alert jobs equal to the plan's fire times."""

    def __init__(
        self,
        scheduler: BaseScheduler,
        fire: Callable[[int], Awaitable[None]],
        reconcile: Callable[[], Awaitable[None]],
        *,
        rate: float,
        reconcile_every: timedelta = timedelta(minutes=10),
    ) -> None:
        self.scheduler = scheduler
        self.fire = fire
        self.reconcile = reconcile
        self.rate = rate
        self.reconcile_every = reconcile_every
        # Whole seconds a job starts earlier still, for the reconcile it runs before the first send (see
        # note_reconcile): nothing while reconciles fit in MARGIN_S.
        self.reconcile_s = 0

    def run_at(self, fire_at: int, cost: int) -> datetime:
        """When the job of ``fire_at`` runs: early by the fan-out's length and the reconcile before it, so the
        last recipient is on time."""
        extra = self.reconcile_s if cost else 0
        return from_epoch(fire_at) - timedelta(seconds=head_start(cost, self.rate) + extra)

    def note_reconcile(self, seconds: float) -> None:
        """How long the last reconcile took. A job reconciles before it sends: at 100,000 subscriptions that is
        seconds, which MARGIN_S does not cover, so jobs start that much earlier (rounded up to a whole second,
        so the jobs are not all re-made after every reconcile for a few milliseconds' difference)."""
        self.reconcile_s = math.ceil(seconds) if seconds > MARGIN_S / 2 else 0

    def sync(self, costs: Mapping[int, int]) -> None:
        """Make the jobs exactly one per fire time in ``costs`` (fire time -> request cost)."""
        wanted = {job_id(f): f for f in costs}
        for job in self.scheduler.get_jobs():
            if job.id.startswith(PREFIX) and job.id not in wanted:
                job.remove()
        for jid, fire_at in wanted.items():
            run = self.run_at(fire_at, costs[fire_at])
            job = self.scheduler.get_job(jid)
            if job is not None and job.next_run_time == run:
                continue
            self.scheduler.add_job(
                self.fire,
                DateTrigger(run_date=run, timezone=UTC),
                args=[fire_at],
                id=jid,
                name=f"alerts due {from_epoch(fire_at).isoformat()}",
                replace_existing=True,
                misfire_grace_time=None,
                coalesce=True,
                max_instances=1,
            )

    def start_reconciling(self) -> None:
        """The timer that reconciles from rows even if no hint comes."""
        self.scheduler.add_job(
            self.reconcile,
            IntervalTrigger(seconds=self.reconcile_every.total_seconds(), timezone=UTC),
            id=RECONCILE_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
            max_instances=1,
        )

    def retry_at(self, when: datetime) -> None:
        """Try rows left pending by transient failures again at ``when``."""
        self.scheduler.add_job(
            self.reconcile,
            DateTrigger(run_date=when.astimezone(UTC), timezone=UTC),
            id=RETRY_JOB,
            replace_existing=True,
            misfire_grace_time=None,
            coalesce=True,
        )

    def retry_time(self) -> datetime | None:
        """When the retry job runs, if one is waiting."""
        job = self.scheduler.get_job(RETRY_JOB)
        return None if job is None else job.next_run_time

    def alert_jobs(self) -> dict[str, datetime]:
        """Alert job id -> next run time (for tests and the log)."""
        return {j.id: j.next_run_time for j in self.scheduler.get_jobs() if j.id.startswith(PREFIX)}

    def remove_all(self) -> None:
        """Drop every job this class made."""
        for job in self.scheduler.get_jobs():
            if job.id.startswith(PREFIX) or job.id in (RECONCILE_JOB, RETRY_JOB):
                job.remove()

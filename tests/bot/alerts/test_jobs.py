"""APScheduler jobs from the plan: one per fire time, replaced when a time moves, early by the fan-out's length."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.alerts.jobs import MARGIN_S, AlertJobs, head_start, job_id

FIRE = int(datetime(2031, 5, 1, 12, 0, tzinfo=UTC).timestamp())


async def noop(*_: object) -> None:
    return None


async def test_one_job_per_fire_time_replaced_and_removed_as_the_plan_changes() -> None:
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start(paused=True)
    try:
        jobs = AlertJobs(scheduler, noop, noop, rate=48.0)
        jobs.sync({FIRE: 1, FIRE + 600: 48})
        assert sorted(jobs.alert_jobs()) == [job_id(FIRE), job_id(FIRE + 600)]
        due = datetime.fromtimestamp(FIRE + 600, tz=UTC)
        assert jobs.alert_jobs()[job_id(FIRE + 600)] == due - timedelta(seconds=head_start(48, 48.0))
        jobs.sync({FIRE: 1, FIRE + 600: 48})  # the same plan again: nothing added
        assert len(scheduler.get_jobs()) == 2
        jobs.sync({FIRE + 1800: 1, FIRE + 600: 4800})  # a slip, and many more recipients for one time
        assert sorted(jobs.alert_jobs()) == [job_id(FIRE + 600), job_id(FIRE + 1800)]
        assert jobs.alert_jobs()[job_id(FIRE + 600)] < due - timedelta(seconds=100)
        job = scheduler.get_job(job_id(FIRE + 1800))
        assert job is not None
        assert job.misfire_grace_time is None
        assert job.coalesce
        jobs.sync({})
        assert jobs.alert_jobs() == {}
    finally:
        scheduler.shutdown(wait=False)


def test_head_start_is_the_fan_outs_length_at_the_paced_rate_plus_margins() -> None:
    assert head_start(0, 48.0) == 0.0
    assert MARGIN_S < head_start(1, 48.0) < MARGIN_S + 0.1
    assert 5_000 / 48.0 < head_start(5_000, 48.0) < 5_000 / 48.0 * 1.1 + 2


async def test_a_slow_reconcile_makes_the_jobs_start_that_much_earlier() -> None:
    # A job reconciles before its first send: at full size that takes seconds, which the margin does not cover.
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start(paused=True)
    try:
        jobs = AlertJobs(scheduler, noop, noop, rate=48.0)
        due = datetime.fromtimestamp(FIRE, tz=UTC)
        jobs.note_reconcile(0.01)  # the usual: nothing added
        jobs.sync({FIRE: 1})
        assert jobs.alert_jobs()[job_id(FIRE)] == due - timedelta(seconds=head_start(1, 48.0))
        jobs.note_reconcile(1.6)
        jobs.sync({FIRE: 1})
        assert jobs.alert_jobs()[job_id(FIRE)] == due - timedelta(seconds=head_start(1, 48.0) + 2)
        jobs.note_reconcile(1.9)  # the same whole seconds: the job stays as it is
        job = scheduler.get_job(job_id(FIRE))
        jobs.sync({FIRE: 1})
        assert scheduler.get_job(job_id(FIRE)) is job
    finally:
        scheduler.shutdown(wait=False)

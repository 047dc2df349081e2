"""Reconcile from rows: late and missed alerts, drops, idempotence, and the same plan with or without hints."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.alerts.planner import compute_plan, reconcile
from bot.alerts.rules import HOUR, MINUTE, WHAT_KINDS
from bot.alerts.subscriptions import set_muted
from bot.db import Database
from bot.db import alerts as store
from bot.db.events import to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source

T0 = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


def launch(at: datetime, *, source_id: str = "launch:1", status: EventStatus = EventStatus.GO) -> Event:
    return Event(
        source=Source.LL2,
        source_id=source_id,
        type=EventType.LAUNCH,
        name=f"Falcon 9 | {source_id}",
        status=status,
        milestones=(Milestone(MilestoneKind.LIFTOFF, at, Precision.MINUTE),),
        provider="SpaceX",
    )


async def subscribe(db: Database, owner: int, now: datetime, leads: tuple[int, ...] = (HOUR, 10 * MINUTE)) -> None:
    await store.add_subscription(
        db, owner_id=owner, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=leads, now=to_epoch(now)
    )


async def test_alert_due_while_down_is_written_late_and_one_whose_milestone_is_over_missed(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, T0)
        await upsert_events(db, [launch(T0 + timedelta(hours=2))], feed="launches", now=T0, complete=False)
        await upsert_events(
            db, [launch(T0 + timedelta(minutes=90), source_id="launch:2")], feed="launches", now=T0, complete=False
        )
        # Down from T0 until T0 + 100 min: launch 2 is over, launch 1's 1 h alert is overdue but it is ahead.
        now = to_epoch(T0 + timedelta(minutes=100))
        result = await reconcile(db, now=now, due_by=now)
        rows = await store.deliveries_of(db, 1)
        states = {(r["target_at"] - r["fire_at"], r["target_at"]): (r["state"], r["late"]) for r in rows}
        one, two = to_epoch(T0 + timedelta(hours=2)), to_epoch(T0 + timedelta(minutes=90))
        assert states == {
            (HOUR, one): ("pending", 1),
            (HOUR, two): ("missed", 1),
            (10 * MINUTE, two): ("missed", 1),
        }
        assert result.fire_times == {one - 10 * MINUTE: 2}
        again = await reconcile(db, now=now, due_by=now)
        assert again.written == 0, "idempotent"
        assert len(await store.deliveries_of(db, 1)) == 3


async def test_pending_rows_no_longer_owed_are_dropped(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, T0)
        await upsert_events(db, [launch(T0 + timedelta(hours=2))], feed="launches", now=T0, complete=False)
        fire = to_epoch(T0 + timedelta(hours=1))
        await reconcile(db, now=fire, due_by=fire)
        assert [r["state"] for r in await store.deliveries_of(db, 1)] == ["pending"]
        await store.set_muted(db, 1, True, fire)
        result = await reconcile(db, now=fire, due_by=fire)
        assert result.dropped == 1
        assert await store.deliveries_of(db, 1) == []
        assert result.fire_times == {}


STEP = st.tuples(
    st.integers(min_value=1, max_value=30),  # minutes the clock moves first
    st.sampled_from(["launch:1", "launch:2"]),
    st.integers(min_value=130, max_value=600),  # minutes from now to the (new) liftoff: every lead still ahead
    st.sampled_from([EventStatus.GO, EventStatus.GO, EventStatus.HOLD, EventStatus.TBD, EventStatus.SUCCESS]),
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(STEP, min_size=1, max_size=6))
def test_reconcile_from_rows_gives_the_plan_the_change_hints_gave(
    steps: list[tuple[int, str, int, EventStatus]],
) -> None:
    async def scenario(hinted: bool, directory: Path) -> tuple[dict[int, int], list[tuple[int, int, int, int]]]:
        async with Database(directory / f"{hinted}.sqlite3") as db:
            now = T0
            for owner in (1, 2, 3):
                await subscribe(db, owner, now, leads=(2 * HOUR, HOUR, 0))
            for minutes, source_id, ahead, status in steps:
                now += timedelta(minutes=minutes)
                changes = await upsert_events(
                    db, [launch(now + timedelta(minutes=ahead), source_id=source_id, status=status)],
                    feed="launches", now=now, complete=False,
                )  # fmt: skip
                if hinted and changes:
                    await reconcile(db, now=to_epoch(now), due_by=to_epoch(now))
            final = await reconcile(db, now=to_epoch(now), due_by=to_epoch(now))
            return final.fire_times, [a.key for a in await compute_plan(db, to_epoch(now))]

    with tempfile.TemporaryDirectory() as tmp:
        hinted = asyncio.run(scenario(True, Path(tmp)))
        cold = asyncio.run(scenario(False, Path(tmp)))
    assert hinted == cold


async def test_unmuting_owes_nothing_for_fire_times_that_passed_while_muted(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, T0)
        await upsert_events(db, [launch(T0 + timedelta(hours=3))], feed="launches", now=T0)
        await reconcile(db, now=to_epoch(T0), due_by=to_epoch(T0))
        await store.set_muted(db, 1, True, to_epoch(T0))
        muted_through = to_epoch(T0 + timedelta(hours=2, minutes=10))  # past the 1 h alert's fire time
        await reconcile(db, now=muted_through, due_by=muted_through)
        await store.set_muted(db, 1, False, muted_through)
        result = await reconcile(db, now=muted_through + 5, due_by=muted_through + 5)
        assert await store.deliveries_of(db, 1) == [], "no late alert for what fired while muted"
        assert result.fire_times == {to_epoch(T0 + timedelta(hours=3, minutes=-10)): 2}


async def test_reconcile_looks_only_at_fire_times_up_to_its_horizon(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, T0, leads=(HOUR,))
        await upsert_events(db, [launch(T0 + timedelta(hours=8))], feed="launches", now=T0)
        assert (await reconcile(db, now=to_epoch(T0), due_by=to_epoch(T0))).fire_times == {}, "7 h ahead: later"
        later = to_epoch(T0 + timedelta(hours=1, minutes=1))
        assert (await reconcile(db, now=later, due_by=later)).fire_times == {to_epoch(T0 + timedelta(hours=7)): 2}


async def test_rows_written_early_by_a_cut_short_fan_out_keep_their_fire_time(tmp_path: Path) -> None:
    # A fan-out starts its paced length before the due time; a crash then leaves rows pending whose fire time
    # is still ahead. After the restart (before that time) the plan must keep a job for it, or they wait for
    # the next timer.
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, T0, leads=(HOUR,))
        await upsert_events(db, [launch(T0 + timedelta(hours=2))], feed="launches", now=T0, complete=False)
        fire = to_epoch(T0 + timedelta(hours=1))
        early = fire - 5
        written = await reconcile(db, now=early, due_by=fire)  # the job, running 5 s early
        assert written.written == 1
        restarted = await reconcile(db, now=early + 2, due_by=early + 2)
        assert fire in restarted.fire_times
        (row,) = await store.deliveries_of(db, 1)
        assert row["state"] == "pending"


async def test_a_fourteen_day_lead_still_reaches_a_milestone_two_weeks_past_the_horizon(tmp_path: Path) -> None:
    # The reconcile loads only milestones a lead can bring into its window: the longest lead sets how far.
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, T0, leads=(14 * 24 * HOUR,))
        later = launch(T0 + timedelta(days=14, hours=7), source_id="launch:2")
        await upsert_events(db, [launch(T0 + timedelta(days=14, hours=5)), later], feed="launches", now=T0)
        result = await reconcile(db, now=to_epoch(T0), due_by=to_epoch(T0))
        assert result.fire_times == {to_epoch(T0 + timedelta(hours=5)): 2}, "the second fires 7 h ahead: later"


def with_coverage(at: datetime, status: EventStatus) -> Event:
    """A launch with a webcast: two milestones, liftoff and the coverage start 45 minutes before it."""
    coverage = Milestone(MilestoneKind.COVERAGE_START, at - timedelta(minutes=45), Precision.MINUTE)
    return Event(
        source=Source.LL2,
        source_id="launch:1",
        type=EventType.LAUNCH,
        name="Electron | Soak",
        status=status,
        milestones=(Milestone(MilestoneKind.LIFTOFF, at, Precision.MINUTE), coverage),
        provider="Rocket Lab",
    )


async def test_a_hold_is_told_once_to_someone_alerted_for_both_the_liftoff_and_the_coverage_start(
    tmp_path: Path,
) -> None:
    # Found by the soak (tests/soak): the hold notice was keyed by each milestone's own time, so a recipient
    # alerted for two milestones of one launch got the same "on hold" DM twice.
    liftoff = T0 + timedelta(hours=3)
    async with Database(tmp_path / "t.sqlite3") as db:
        await store.add_subscription(
            db, owner_id=1, what="all", kinds=WHAT_KINDS["all"], leads=(HOUR,), now=to_epoch(T0)
        )
        await upsert_events(db, [with_coverage(liftoff, EventStatus.GO)], feed="launches", now=T0, complete=False)
        due = to_epoch(liftoff - timedelta(hours=1))
        await reconcile(db, now=due, due_by=due)
        rows = await store.pending_deliveries(db, due_by=due)
        assert len(rows) == 2, "one alert for each milestone"
        await store.mark_deliveries_sent(db, [(row.id, 10, 100 + n, due, False) for n, row in enumerate(rows)])
        held = liftoff - timedelta(minutes=40)
        await upsert_events(db, [with_coverage(liftoff, EventStatus.HOLD)], feed="launches", now=held, complete=False)
        result = await reconcile(db, now=to_epoch(held), due_by=to_epoch(held))
        assert result.notices == 1
        again = await reconcile(db, now=to_epoch(held) + 600, due_by=to_epoch(held) + 600)
        assert again.notices == 0, "and not again at the next reconcile"
        bodies = [n.body for n in await store.pending_notices(db)]
        assert len(bodies) == 1
        assert "is on hold" in bodies[0]


@pytest.mark.parametrize(("liftoff_lead", "coverage_lead"), [(HOUR, 10 * MINUTE), (10 * MINUTE, HOUR)])
async def test_an_outcome_is_told_once_even_when_one_of_two_alerted_milestones_leaves_the_notice_window(
    tmp_path: Path, liftoff_lead: int, coverage_lead: int
) -> None:
    # Found by the soak: the notice row was keyed by the first alerted milestone still in the 3-day window;
    # once that alert aged out, the other milestone's alert keyed a new row and the outcome went out again.
    liftoff = T0 + timedelta(hours=3)
    async with Database(tmp_path / "t.sqlite3") as db:
        await store.add_subscription(
            db, owner_id=1, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=(liftoff_lead,), now=to_epoch(T0)
        )
        await store.add_subscription(
            db, owner_id=1, what="coverage", kinds=WHAT_KINDS["coverage"], leads=(coverage_lead,), now=to_epoch(T0)
        )
        await upsert_events(db, [with_coverage(liftoff, EventStatus.GO)], feed="launches", now=T0, complete=False)
        fires = (liftoff - timedelta(seconds=liftoff_lead), liftoff - timedelta(minutes=45, seconds=coverage_lead))
        for due in sorted(to_epoch(f) for f in fires):
            await reconcile(db, now=due, due_by=due)
            rows = await store.pending_deliveries(db, due_by=due)
            await store.mark_deliveries_sent(db, [(row.id, 10, row.id, due, False) for row in rows])
        flown = liftoff + timedelta(minutes=20)
        await upsert_events(
            db, [with_coverage(liftoff, EventStatus.SUCCESS)], feed="launches", now=flown, complete=False
        )
        told = (await reconcile(db, now=to_epoch(flown), due_by=to_epoch(flown))).notices
        # Every minute while the alerts leave the 3-day window: the one sent first leaves 5 minutes before the other.
        first_out = to_epoch(min(fires)) + 3 * 86_400
        for now in range(first_out - 600, first_out + 900, 60):
            told += (await reconcile(db, now=now, due_by=now)).notices
        assert told == 1


async def test_a_reconcile_no_longer_reads_alerts_whose_status_notice_is_written_but_reads_them_for_a_new_status(
    tmp_path: Path,
) -> None:
    # Found by the soak's memory curve: every reconcile re-read every outcome of the 3-day notice window only for
    # ON CONFLICT to drop the notices again, so its peak memory grew until the window was full.
    liftoff = T0 + timedelta(hours=3)
    async with Database(tmp_path / "t.sqlite3") as db:
        for owner in (1, 2):
            await subscribe(db, owner, T0, leads=(HOUR,))
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0, complete=False)
        due = to_epoch(liftoff - timedelta(hours=1))
        await reconcile(db, now=due, due_by=due)
        rows = await store.pending_deliveries(db, due_by=due)
        await store.mark_deliveries_sent(db, [(row.id, 10, row.id, due, False) for row in rows])
        for n, status in enumerate((EventStatus.HOLD, EventStatus.TBD, EventStatus.SUCCESS)):
            at = due + 600 * (n + 1)
            await upsert_events(db, [launch(liftoff, status=status)], feed="launches", now=T0, complete=False)
            before = await store.sent_alerts(db, sent_since=due)
            assert sorted(s.recipient_id for s in before) == [1, 2], f"both are owed the {status} notice"
            assert (await reconcile(db, now=at, due_by=at)).notices == 2
            assert await store.sent_alerts(db, sent_since=due) == [], f"the {status} notices are written"
            assert (await reconcile(db, now=at + 600, due_by=at + 600)).notices == 0
        bodies = [n.body for n in await store.pending_notices(db)]
        assert len(bodies) == 6, "hold, scrub and outcome, once each for each recipient"


async def test_unmuting_just_after_a_fire_time_that_passed_while_muted_does_not_send_it(tmp_path: Path) -> None:
    # The reconcile looks back past its watermark by a minute (for a subscription committed mid-reconcile):
    # without forgo_while_muted, an Unmute within that minute of a fire time made the alert owed again, late.
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, T0)
        await upsert_events(db, [launch(T0 + timedelta(hours=3))], feed="launches", now=T0)
        await reconcile(db, now=to_epoch(T0), due_by=to_epoch(T0))
        await set_muted(db, owner_id=1, muted=True, now=to_epoch(T0))
        fire = to_epoch(T0 + timedelta(hours=2))
        await reconcile(db, now=fire, due_by=fire)  # the alert job at the 1 h alert's fire time: muted, nothing
        await set_muted(db, owner_id=1, muted=False, now=fire + 30)
        result = await reconcile(db, now=fire + 31, due_by=fire + 31)
        assert result.written == 0
        assert [(r["lead_seconds"], r["state"]) for r in await store.deliveries_of(db, 1)] == [(HOUR, "missed")]
        assert result.fire_times == {to_epoch(T0 + timedelta(hours=3, minutes=-10)): 2}, "the 10 min alert is owed"

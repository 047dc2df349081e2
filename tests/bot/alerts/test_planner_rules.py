"""The planner's rules one at a time: the plan ``python -m bot plan`` shows, the reconcile's window and watermark,
the fan-out cost of each fire time, and which rows and notices a reconcile writes.

tests/bot/alerts/test_planner.py follows whole stories (down and back, hints or none, soak findings); these pin
each boundary those stories pass through, on a real SQLite file.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.alerts.messages import moved_text, notice_nonce, status_text
from bot.alerts.planner import (
    HORIZON_SECONDS,
    LOOKBACK_SECONDS,
    WATERMARK_KEY,
    WATERMARK_SLACK_SECONDS,
    PlanLine,
    compute_plan,
    plan_lines,
    reconcile,
    window,
)
from bot.alerts.rules import DAY, HOUR, MINUTE, WHAT_KINDS
from bot.channel_alerts import ChannelKind
from bot.db import Database
from bot.db import alerts as store
from bot.db import channel_alerts as channel_store
from bot.db.events import to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source

T0 = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
NOW = to_epoch(T0)


def launch(at: datetime, source_id: str = "launch:1", status: EventStatus = EventStatus.GO) -> Event:
    return Event(
        source=Source.LL2,
        source_id=source_id,
        type=EventType.LAUNCH,
        name=f"Falcon 9 | {source_id}",
        status=status,
        milestones=(Milestone(MilestoneKind.LIFTOFF, at, Precision.MINUTE),),
        provider="SpaceX",
    )


async def subscribe(db: Database, owner: int, leads: tuple[int, ...], at: datetime = T0) -> None:
    await store.add_subscription(
        db, owner_id=owner, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=leads, now=to_epoch(at)
    )


# --- the plan shown by `python -m bot plan` ----------------------------------------------------------------------


async def test_plan_lines_count_the_recipients_of_each_alert_soonest_first(tmp_path: Path) -> None:
    liftoff = T0 + timedelta(hours=5)
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (HOUR, 10 * MINUTE))
        await subscribe(db, 2, (HOUR,))
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0)
        lines = await plan_lines(db, NOW)
    at = to_epoch(liftoff)
    assert lines == [
        PlanLine("Falcon 9 | launch:1", MilestoneKind.LIFTOFF, at, HOUR, at - HOUR, 2),
        PlanLine("Falcon 9 | launch:1", MilestoneKind.LIFTOFF, at, 10 * MINUTE, at - 10 * MINUTE, 1),
    ]


async def test_plan_lines_leave_out_alerts_already_written_and_those_whose_time_has_passed(tmp_path: Path) -> None:
    liftoff = T0 + timedelta(hours=2)
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (3 * HOUR, HOUR, 10 * MINUTE))
        await subscribe(db, 2, (HOUR,))
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0)
        fire = to_epoch(liftoff) - HOUR
        await reconcile(db, now=fire, due_by=fire)  # writes both 1 h rows
        lines = await plan_lines(db, fire)
    at = to_epoch(liftoff)
    # The 3 h alert fired before the plan's now; both 1 h alerts have rows: only the 10 min one is still to come.
    assert lines == [PlanLine("Falcon 9 | launch:1", MilestoneKind.LIFTOFF, at, 10 * MINUTE, at - 10 * MINUTE, 1)]


async def test_plan_lines_show_an_alert_firing_now_and_milestones_a_week_ahead(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (HOUR,))
        await upsert_events(
            db, [launch(T0 + timedelta(hours=1)), launch(T0 + timedelta(days=8), "launch:2")], feed="launches", now=T0
        )
        lines = await plan_lines(db, NOW)
    assert [(line.name, line.fire_at) for line in lines] == [
        ("Falcon 9 | launch:1", NOW),
        ("Falcon 9 | launch:2", NOW + 8 * DAY - HOUR),
    ]


async def test_plan_lines_until_a_time_reach_a_milestone_as_far_beyond_it_as_the_longest_lead(tmp_path: Path) -> None:
    until = NOW + DAY
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (14 * DAY,))
        await subscribe(db, 2, (HOUR,))
        await upsert_events(db, [launch(T0 + timedelta(days=14, hours=12))], feed="launches", now=T0)
        lines = await plan_lines(db, NOW, until=until)
    assert [(line.lead, line.fire_at, line.recipients) for line in lines] == [(14 * DAY, NOW + 12 * HOUR, 1)]


async def test_compute_plan_holds_every_owed_alert_by_its_until_and_none_after(tmp_path: Path) -> None:
    liftoff = to_epoch(T0 + timedelta(days=2))
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (DAY, HOUR))
        await upsert_events(db, [launch(T0 + timedelta(days=2))], feed="launches", now=T0)
        everything = await compute_plan(db, NOW)
        by_tomorrow = await compute_plan(db, NOW, until=liftoff - DAY)
        by_just_before = await compute_plan(db, NOW, until=liftoff - DAY - 1)
    assert [(a.lead, a.fire_at) for a in everything] == [(DAY, liftoff - DAY), (HOUR, liftoff - HOUR)]
    assert [a.lead for a in by_tomorrow] == [DAY]
    assert by_just_before == []


async def test_compute_plan_with_no_subscriptions_is_empty(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await upsert_events(db, [launch(T0 + timedelta(hours=3))], feed="launches", now=T0)
        assert await compute_plan(db, NOW) == []
        assert await compute_plan(db, NOW, until=NOW + DAY) == []
        assert await plan_lines(db, NOW, until=NOW + DAY) == []


async def test_compute_plan_still_holds_alerts_of_a_milestone_up_to_a_week_back(tmp_path: Path) -> None:
    # Owed alerts a week back are still looked at (a reconcile after a long outage writes them as missed).
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (HOUR,), at=T0 - timedelta(days=10))
        await upsert_events(
            db,
            [launch(T0 - timedelta(days=6)), launch(T0 - timedelta(days=8), "launch:old")],
            feed="launches",
            now=T0 - timedelta(days=10),
        )
        plan = await compute_plan(db, NOW)
    assert [a.target_at for a in plan] == [NOW - 6 * DAY]
    assert LOOKBACK_SECONDS == 7 * DAY


# --- the reconcile's window --------------------------------------------------------------------------------------


async def test_the_window_starts_a_week_back_then_at_the_watermark_less_its_slack(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        assert await window(db, now=NOW, due_by=NOW) == (NOW - LOOKBACK_SECONDS, NOW + HORIZON_SECONDS)
        await db.set_state(WATERMARK_KEY, str(NOW - HOUR))
        assert await window(db, now=NOW, due_by=NOW) == (NOW - HOUR - WATERMARK_SLACK_SECONDS, NOW + HORIZON_SECONDS)
        # A watermark older than the week looked back is not followed further back.
        await db.set_state(WATERMARK_KEY, str(NOW - 30 * DAY))
        assert (await window(db, now=NOW, due_by=NOW))[0] == NOW - LOOKBACK_SECONDS
        # A job running early looks as far past its due time as a reconcile at that time would.
        assert (await window(db, now=NOW, due_by=NOW + 600))[1] == NOW + 600 + HORIZON_SECONDS
        assert (await window(db, now=NOW + 600, due_by=NOW))[1] == NOW + 600 + HORIZON_SECONDS
    assert (WATERMARK_SLACK_SECONDS, HORIZON_SECONDS) == (60, 6 * HOUR)


async def test_a_reconcile_moves_the_watermark_to_its_now_and_never_back(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await reconcile(db, now=NOW, due_by=NOW)
        assert await db.get_state(WATERMARK_KEY) == str(NOW)
        await reconcile(db, now=NOW + 600, due_by=NOW + 600)
        assert await db.get_state(WATERMARK_KEY) == str(NOW + 600)
        await reconcile(db, now=NOW + 300, due_by=NOW + 300)  # a late-running job with an older now
        assert await db.get_state(WATERMARK_KEY) == str(NOW + 600)


async def test_a_subscription_committed_within_the_slack_before_the_watermark_still_gets_its_alert(
    tmp_path: Path,
) -> None:
    # A reconcile ran at NOW and found nothing; a subscription made just before NOW (its commit raced the
    # reconcile) asks for alerts that fired just before NOW. The next reconcile reaches back the slack, no more.
    async with Database(tmp_path / "t.sqlite3") as db:
        await reconcile(db, now=NOW, due_by=NOW)
        await subscribe(db, 1, (HOUR,), at=T0 - timedelta(seconds=90))
        inside = T0 - timedelta(seconds=WATERMARK_SLACK_SECONDS) + timedelta(hours=1)
        outside = inside - timedelta(seconds=1)
        await upsert_events(
            db,
            [launch(inside, "launch:inside"), launch(outside, "launch:outside")],
            feed="launches",
            now=T0 - timedelta(days=1),
        )
        result = await reconcile(db, now=NOW + 10, due_by=NOW + 10)
        rows = await store.deliveries_of(db, 1)
    assert result.written == 1
    assert [(r["target_at"], r["state"], r["late"]) for r in rows] == [(to_epoch(inside), "pending", 1)]


# --- what a fire time costs, and what a reconcile writes ----------------------------------------------------------


async def test_a_fire_time_costs_one_request_per_cached_dm_or_channel_and_two_per_dm_to_open(tmp_path: Path) -> None:
    liftoff = T0 + timedelta(hours=3)
    async with Database(tmp_path / "t.sqlite3") as db:
        for owner in (1, 2, 3):
            await subscribe(db, owner, (HOUR,))
        await store.cache_dm_channel(db, 2, 9002, NOW)
        await channel_store.add_channel_subscription(
            db,
            added_by=1,
            guild_id=500,
            channel_id=700,
            kind=ChannelKind.TEXT,
            role_id=None,
            what="liftoff",
            kinds=WHAT_KINDS["liftoff"],
            leads=(HOUR,),
            match=None,
            now=NOW,
        )
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0)
        result = await reconcile(db, now=NOW, due_by=NOW)
    # 1 and 3 open a DM first (2 each), 2's DM channel is cached (1), the channel alert posts straight away (1).
    assert result.fire_times == {to_epoch(liftoff) - HOUR: 2 + 1 + 2 + 1}


async def test_a_reconcile_reports_the_rows_it_wrote_and_how_many_of_them_were_missed(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (HOUR, 10 * MINUTE), at=T0 - timedelta(days=1))
        await upsert_events(
            db,
            [launch(T0 - timedelta(minutes=30), "launch:over"), launch(T0 + timedelta(minutes=15), "launch:soon")],
            feed="launches",
            now=T0 - timedelta(days=1),
        )
        result = await reconcile(db, now=NOW, due_by=NOW)
        again = await reconcile(db, now=NOW, due_by=NOW)
    # launch:over's two alerts are missed; launch:soon's 1 h alert is late but still sent, its 10 min one is ahead.
    assert (result.written, result.missed) == (3, 2)
    assert (again.written, again.missed) == (0, 0)
    # Rows written and pending are the fan-out's, not a job's: only the 10 min alert still needs a fire time.
    soon_10_min = NOW + 15 * MINUTE - 10 * MINUTE
    assert result.fire_times == again.fire_times == {soon_10_min: 2}


async def test_a_reconcile_plans_only_fire_times_inside_its_window_though_a_longer_lead_loads_the_milestone(
    tmp_path: Path,
) -> None:
    liftoff = T0 + timedelta(hours=8)
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (3 * HOUR, HOUR))
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0)
        result = await reconcile(db, now=NOW, due_by=NOW)
    # The 3 h alert fires 5 h ahead (inside the 6 h horizon); the 1 h alert 7 h ahead is the next timer's.
    assert result.fire_times == {to_epoch(liftoff) - 3 * HOUR: 2}
    assert [(a.lead, a.target_at) for a in result.planned] == [(3 * HOUR, to_epoch(liftoff))]


async def test_a_reconcile_with_no_subscriptions_writes_nothing_and_plans_nothing(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await upsert_events(db, [launch(T0 + timedelta(minutes=30))], feed="launches", now=T0)
        result = await reconcile(db, now=NOW, due_by=NOW)
    assert (result.planned, result.fire_times, result.written, result.dropped, result.notices) == ([], {}, 0, 0, 0)


async def test_rows_written_at_their_due_time_keep_no_job_and_an_early_sent_alert_none_either(tmp_path: Path) -> None:
    liftoff = T0 + timedelta(hours=2)
    fire = to_epoch(liftoff) - HOUR
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (HOUR,))
        await subscribe(db, 2, (HOUR,))
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0)
        early = await reconcile(db, now=fire - 5, due_by=fire)  # the job, 5 s early: both rows written
        assert early.written == 2
        # At the due time itself the rows are being sent: no job is kept for them.
        assert fire not in (await reconcile(db, now=fire, due_by=fire)).fire_times
        # One sent before its fire time (the fan-out started early); a restart before the fire time keeps a job
        # only for the one still pending.
        first, _ = await store.pending_deliveries(db, due_by=fire)
        await store.mark_deliveries_sent(db, [(first.id, 10, 100, fire - 3, False)])
        restarted = await reconcile(db, now=fire - 2, due_by=fire - 2)
        assert restarted.fire_times == {fire: 2}


async def test_an_alert_already_written_does_not_stop_the_others_due_with_it(tmp_path: Path) -> None:
    liftoff = T0 + timedelta(hours=2)
    fire = to_epoch(liftoff) - HOUR
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (HOUR,))
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0)
        assert (await reconcile(db, now=fire, due_by=fire)).written == 1
        # A second subscriber (made before the fire time, seen only now) is owed the same alert.
        await subscribe(db, 2, (HOUR,), at=T0 + timedelta(minutes=30))
        assert (await reconcile(db, now=fire + 5, due_by=fire + 5)).written == 1
        assert len(await store.deliveries_of(db, 2)) == 1


# --- notices: a slip, a hold, an outcome ----------------------------------------------------------------------------


async def _alerted(db: Database, owners: tuple[int, ...], *events: Event) -> int:
    """Subscribe ``owners`` (1 h lead), store ``events`` and send every alert due an hour before the first; returns
    that due time."""
    for owner in owners:
        await subscribe(db, owner, (HOUR,))
    await upsert_events(db, list(events), feed="launches", now=T0)
    due = min(to_epoch(m.at) for e in events for m in e.milestones) - HOUR
    await reconcile(db, now=due, due_by=due)
    rows = await store.pending_deliveries(db, due_by=due)
    await store.mark_deliveries_sent(db, [(row.id, 10, 100 + row.id, due, False) for row in rows])
    return due


async def test_a_slip_is_told_once_to_each_recipient_with_the_old_and_new_time(tmp_path: Path) -> None:
    liftoff, slipped = T0 + timedelta(hours=3), T0 + timedelta(hours=5)
    async with Database(tmp_path / "t.sqlite3") as db:
        due = await _alerted(db, (1, 2), launch(liftoff))
        mid = (await store.deliveries_of(db, 1))[0]["milestone_id"]
        await upsert_events(db, [launch(slipped)], feed="launches", now=T0, complete=False)
        result = await reconcile(db, now=due + 60, due_by=due + 60)
        again = await reconcile(db, now=due + 120, due_by=due + 120)
        notices = await store.pending_notices(db)
    old, new = to_epoch(liftoff), to_epoch(slipped)
    assert (result.notices, again.notices) == (2, 0)
    assert sorted((s.recipient_id, s.target_at, s.current_at) for s in result.supersede) == [
        (1, old, new),
        (2, old, new),
    ]
    body = moved_text("Falcon 9 | launch:1", MilestoneKind.LIFTOFF, old, new)
    assert sorted((n.recipient_id, n.body, n.nonce) for n in notices) == [
        (1, body, notice_nonce(1, mid, "moved", f"{old}>{new}")),
        (2, body, notice_nonce(2, mid, "moved", f"{old}>{new}")),
    ]


@pytest.mark.parametrize("small_first", [True, False])
async def test_a_move_under_a_minute_is_not_told_and_does_not_hide_a_real_slip(
    tmp_path: Path, small_first: bool
) -> None:
    a, b = T0 + timedelta(hours=3), T0 + timedelta(hours=3, minutes=20)
    small, big = ("launch:a", "launch:b") if small_first else ("launch:b", "launch:a")
    moves = {small: timedelta(seconds=59), big: timedelta(hours=2)}
    async with Database(tmp_path / "t.sqlite3") as db:
        due = await _alerted(db, (1,), launch(a, "launch:a"), launch(b, "launch:b"))
        await reconcile(db, now=to_epoch(b) - HOUR, due_by=to_epoch(b) - HOUR)
        sent = await store.pending_deliveries(db, due_by=to_epoch(b) - HOUR)
        assert len(sent) == 1
        await store.mark_deliveries_sent(db, [(row.id, 10, 200 + row.id, due, False) for row in sent])
        await upsert_events(
            db,
            [launch(a + moves["launch:a"], "launch:a"), launch(b + moves["launch:b"], "launch:b")],
            feed="launches",
            now=T0,
            complete=False,
        )
        now = to_epoch(b) - HOUR + 60
        result = await reconcile(db, now=now, due_by=now)
    assert result.notices == 1
    assert [s.current_at - s.target_at for s in result.supersede] == [2 * HOUR]


async def test_a_hold_notice_says_on_hold_and_a_second_hold_after_a_slip_is_told_again(tmp_path: Path) -> None:
    liftoff, slipped = T0 + timedelta(hours=3), T0 + timedelta(hours=6)
    async with Database(tmp_path / "t.sqlite3") as db:
        due = await _alerted(db, (1,), launch(liftoff))
        mid = (await store.deliveries_of(db, 1))[0]["milestone_id"]
        await upsert_events(db, [launch(liftoff, status=EventStatus.HOLD)], feed="launches", now=T0, complete=False)
        held = await reconcile(db, now=due + 60, due_by=due + 60)
        await upsert_events(db, [launch(slipped, status=EventStatus.HOLD)], feed="launches", now=T0, complete=False)
        held_again = await reconcile(db, now=due + 120, due_by=due + 120)
        notices = await store.pending_notices(db)
    assert (held.notices, held_again.notices) == (1, 1)
    body = status_text("Falcon 9 | launch:1", "hold", EventStatus.HOLD.label)
    assert [(n.body, n.nonce) for n in notices] == [
        (body, notice_nonce(1, mid, "hold", f"hold@{to_epoch(liftoff)}")),
        (body, notice_nonce(1, mid, "hold", f"hold@{to_epoch(slipped)}")),
    ]


async def test_an_outcome_is_told_once_though_the_time_is_corrected_after_it(tmp_path: Path) -> None:
    liftoff = T0 + timedelta(hours=3)
    async with Database(tmp_path / "t.sqlite3") as db:
        due = await _alerted(db, (1,), launch(liftoff))
        mid = (await store.deliveries_of(db, 1))[0]["milestone_id"]
        told = 0
        for n, at in enumerate((liftoff, liftoff + timedelta(minutes=7), liftoff + timedelta(minutes=9))):
            await upsert_events(db, [launch(at, status=EventStatus.SUCCESS)], feed="launches", now=T0, complete=False)
            told += (await reconcile(db, now=due + 600 * (n + 1), due_by=due + 600 * (n + 1))).notices
        notices = await store.pending_notices(db)
    assert told == 1
    body = status_text("Falcon 9 | launch:1", "outcome", EventStatus.SUCCESS.label)
    assert [(n.body, n.nonce) for n in notices] == [(body, notice_nonce(1, mid, "outcome", "success"))]


async def test_every_recipient_is_told_a_hold_once_however_many_of_its_milestones_they_were_alerted_for(
    tmp_path: Path,
) -> None:
    liftoff = T0 + timedelta(hours=3)
    coverage = Milestone(MilestoneKind.COVERAGE_START, liftoff - timedelta(minutes=45), Precision.MINUTE)
    async with Database(tmp_path / "t.sqlite3") as db:
        for owner in (1, 2):
            await store.add_subscription(
                db, owner_id=owner, what="all", kinds=WHAT_KINDS["all"], leads=(HOUR,), now=NOW
            )
        await subscribe(db, 3, (HOUR,))  # liftoff only: told after the others' second alerts are read
        event = launch(liftoff)
        webcast = replace(event, milestones=(*event.milestones, coverage))
        await upsert_events(db, [webcast], feed="launches", now=T0)
        due = to_epoch(liftoff) - HOUR
        await reconcile(db, now=due, due_by=due)
        rows = await store.pending_deliveries(db, due_by=due)
        assert len(rows) == 5
        await store.mark_deliveries_sent(db, [(row.id, 10, 100 + row.id, due, False) for row in rows])
        held = replace(webcast, status=EventStatus.HOLD)
        await upsert_events(db, [held], feed="launches", now=T0, complete=False)
        result = await reconcile(db, now=due + 60, due_by=due + 60)
        notices = await store.pending_notices(db)
    assert result.notices == 3
    assert sorted(n.recipient_id for n in notices) == [1, 2, 3]


async def test_an_alert_sent_for_a_time_under_a_minute_off_is_not_sent_again_and_the_next_alert_still_is(
    tmp_path: Path,
) -> None:
    liftoff = T0 + timedelta(hours=2)
    async with Database(tmp_path / "t.sqlite3") as db:
        due = await _alerted(db, (1,), launch(liftoff))
        # Launch 1 moves 30 s; launch 2 fires 10 s after launch 1's new fire time, in the same reconcile.
        nudged, other = liftoff + timedelta(seconds=30), liftoff + timedelta(seconds=40)
        await upsert_events(db, [launch(nudged), launch(other, "launch:2")], feed="launches", now=T0, complete=False)
        result = await reconcile(db, now=due + 50, due_by=due + 50)
        assert result.written == 1
        assert [r["target_at"] for r in await store.deliveries_of(db, 1)] == [to_epoch(liftoff), to_epoch(other)]
        # Moved two minutes: the alert is owed again for the new time.
        moved = liftoff + timedelta(minutes=2)
        await upsert_events(db, [launch(moved)], feed="launches", now=T0, complete=False)
        again = await reconcile(db, now=due + 130, due_by=due + 130)
    assert again.written == 1


async def test_compute_plan_owes_nothing_to_a_muted_user(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (HOUR,))
        await subscribe(db, 2, (HOUR,))
        await upsert_events(db, [launch(T0 + timedelta(hours=3))], feed="launches", now=T0)
        await store.set_muted(db, 1, True, NOW)
        plan = await compute_plan(db, NOW, until=NOW + DAY)
    assert [a.recipient_id for a in plan] == [2]


async def test_at_start_up_only_alerts_that_fired_before_the_hold_wait_for_the_first_sync(tmp_path: Path) -> None:
    # hold_before is the engine's start-up: an LL2 alert that fired before it waits for the first sync; one
    # firing at that very second is not late for it and is written.
    liftoff = T0 + timedelta(hours=2)
    hold_before = NOW + HOUR
    async with Database(tmp_path / "t.sqlite3") as db:
        await subscribe(db, 1, (2 * HOUR, HOUR))
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0)
        result = await reconcile(db, now=hold_before + 5, due_by=hold_before + 5, hold_before=hold_before)
        rows = await store.deliveries_of(db, 1)
    assert (result.held, result.written) == (1, 1)
    assert [r["fire_at"] for r in rows] == [hold_before]

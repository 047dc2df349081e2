"""Start-up's late alerts of LL2 milestones wait for the first LL2 sync: the reconcile's ``hold_before``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.alerts.planner import WATERMARK_KEY, reconcile
from bot.alerts.rules import HOUR, WHAT_KINDS
from bot.db import Database
from bot.db import alerts as store
from bot.db.events import to_epoch, upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Precision, Source

T0 = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


def launch(at: datetime, *, source_id: str = "launch:1", source: Source = Source.LL2) -> Event:
    return Event(
        source=source,
        source_id=source_id,
        type=EventType.LAUNCH,
        name=f"Falcon 9 | {source_id}",
        status=EventStatus.GO,
        milestones=(Milestone(MilestoneKind.LIFTOFF, at, Precision.MINUTE),),
        provider="SpaceX",
        guild_id=None,
    )


async def _subscribed(db: Database) -> None:
    await store.add_subscription(
        db, owner_id=1, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=(HOUR,), now=to_epoch(T0)
    )


async def test_late_alerts_of_ll2_milestones_are_held_and_hand_entered_ones_are_not(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await _subscribed(db)
        ll2_at, over_at, manual_at = T0 + timedelta(hours=2), T0 + timedelta(minutes=90), T0 + timedelta(hours=2)
        await upsert_events(db, [launch(ll2_at)], feed="launches", now=T0, complete=False)
        await upsert_events(db, [launch(over_at, source_id="launch:2")], feed="launches", now=T0, complete=False)
        await upsert_events(
            db, [launch(manual_at, source_id="m1", source=Source.MANUAL)], feed="manual", now=T0, complete=False
        )
        await reconcile(db, now=to_epoch(T0), due_by=to_epoch(T0))
        # Down from T0 to T0 + 100 min: every 1 h alert's fire time passed, and launch 2's liftoff too.
        now = to_epoch(T0 + timedelta(minutes=100))
        held = await reconcile(db, now=now, due_by=now, hold_before=now)
        rows = await store.deliveries_of(db, 1)
        assert held.held == 2, "launch 1's late alert and launch 2's missed one wait"
        assert [(r["target_at"], r["state"]) for r in rows] == [(to_epoch(manual_at), "pending")]
        # The watermark stays before the held fire times, so the reconcile after the sync still sees them.
        mark = await db.get_state(WATERMARK_KEY)
        assert mark is not None
        assert int(mark) <= to_epoch(over_at - timedelta(hours=1))
        after = await reconcile(db, now=now + 5, due_by=now + 5)
        assert after.held == 0
        states = {r["target_at"]: r["state"] for r in await store.deliveries_of(db, 1)}
        assert states == {to_epoch(manual_at): "pending", to_epoch(ll2_at): "pending", to_epoch(over_at): "missed"}


async def test_a_launch_moved_while_down_is_alerted_at_its_new_time_only(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await _subscribed(db)
        old, new = T0 + timedelta(hours=2), T0 + timedelta(hours=3)
        await upsert_events(db, [launch(old)], feed="launches", now=T0, complete=False)
        await reconcile(db, now=to_epoch(T0), due_by=to_epoch(T0))
        now = to_epoch(T0 + timedelta(minutes=70))  # the old alert (T0 + 1 h) passed while down
        held = await reconcile(db, now=now, due_by=now, hold_before=now)
        assert held.held == 1
        # The first sync: LL2 moved the launch an hour later.
        await upsert_events(db, [launch(new)], feed="launches", now=T0 + timedelta(minutes=71), complete=False)
        after = await reconcile(db, now=now + 60, due_by=now + 60)
        assert await store.deliveries_of(db, 1) == [], "nothing for the old time"
        assert list(after.fire_times) == [to_epoch(new) - HOUR]


async def test_rows_written_before_a_stop_are_not_held(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await _subscribed(db)
        liftoff = T0 + timedelta(hours=2)
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0, complete=False)
        fire = to_epoch(liftoff) - HOUR
        await reconcile(db, now=fire, due_by=fire)  # the fan-out wrote its row, then the bot stopped
        now = fire + 600
        held = await reconcile(db, now=now, due_by=now, hold_before=now)
        assert held.held == 0
        assert [(r["target_at"], r["state"]) for r in await store.deliveries_of(db, 1)] == [
            (to_epoch(liftoff), "pending")
        ]


async def test_alerts_firing_after_the_hold_instant_are_not_held(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await _subscribed(db)
        liftoff = T0 + timedelta(hours=2)
        await upsert_events(db, [launch(liftoff)], feed="launches", now=T0, complete=False)
        fire = to_epoch(liftoff) - HOUR
        # Started just before the fire time: at the fire time its job runs, and that alert is on time, not late.
        result = await reconcile(db, now=fire, due_by=fire, hold_before=fire)
        assert result.held == 0
        assert [r["state"] for r in await store.deliveries_of(db, 1)] == ["pending"]

"""Schedule rules the table tests leave open, each found by mutation testing (bench/mutation.py): what the
defaults mean, the exact edge of the 2 h early wake, and a timed milestone that is not the next one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.ll2 import schedule as s

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_a_milestone_is_in_focus_without_a_hold_only_ten_minutes_past() -> None:
    assert s.in_focus(NOW - timedelta(minutes=10), NOW)
    assert not s.in_focus(NOW - timedelta(minutes=30), NOW)
    assert s.in_focus(NOW - timedelta(minutes=30), NOW, on_hold=True)


def test_the_regular_interval_is_not_focused_unless_asked() -> None:
    far = NOW + timedelta(days=3)
    assert s.interval_for(far, NOW, per_hour=15, cost=3) == timedelta(hours=2)
    assert s.interval_for(far, NOW, per_hour=15, cost=3, focused=True) == timedelta(hours=1)


def test_a_coarse_milestone_before_the_next_timed_one_still_wakes_a_regular_sync_early() -> None:
    coarse = NOW + timedelta(hours=2, minutes=30)
    timed_later = NOW + timedelta(hours=5)
    assert s.next_sync_at(coarse, NOW, per_hour=15, cost=3, next_timed=timed_later) == NOW + timedelta(minutes=30)


def test_a_milestone_exactly_two_hours_ahead_is_already_soon_and_needs_no_early_wake() -> None:
    # It is inside the 2 h window now: the "soon" interval (20 min) applies, not a wake in MIN_INTERVAL.
    assert s.next_sync_at(NOW + s.SOON, NOW, per_hour=15, cost=3) == NOW + timedelta(minutes=20)


def test_one_failed_focused_poll_waits_a_minute() -> None:
    assert s.next_focus_at(None, NOW, per_hour=15, cost=1, failures=1) == NOW + timedelta(minutes=1)
    assert s.next_focus_at(None, NOW, per_hour=15, cost=1, failures=0) == NOW

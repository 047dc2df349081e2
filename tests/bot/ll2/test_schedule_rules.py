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


def test_an_item_exactly_thirty_minutes_ahead_is_already_urgent_and_read_every_poll() -> None:
    gap = s.focus_interval(per_hour=15, cost=1)
    urgent = s.FocusFeed("events", NOW - gap, NOW + s.URGENT)
    relaxed = s.FocusFeed("events", NOW - gap, NOW + s.URGENT + timedelta(seconds=1))
    assert s.feed_due(urgent, NOW, per_hour=15) == NOW
    assert s.feed_due(relaxed, NOW, per_hour=15) == NOW - gap + gap * s.RELAXED_POLLS


def test_the_terminal_count_includes_both_of_its_ends() -> None:
    launch_at = NOW + s.TERMINAL  # exactly ten minutes before T-0
    assert s.terminal(s.FocusFeed("launches", NOW, launch_at), NOW)
    assert not s.terminal(s.FocusFeed("launches", NOW, launch_at + timedelta(seconds=1)), NOW)
    flown = NOW - s.TERMINAL  # a launch exactly ten minutes past T-0, not yet known to fly
    assert s.terminal(s.FocusFeed("launches", NOW, flown), NOW)
    assert not s.terminal(s.FocusFeed("launches", NOW, flown - timedelta(seconds=1)), NOW)
    assert s.terminal(s.FocusFeed("events", NOW, NOW), NOW)
    assert not s.terminal(s.FocusFeed("events", NOW, NOW - timedelta(seconds=1)), NOW)


def test_feeds_with_only_riders_due_at_once_go_in_the_order_given() -> None:
    feeds = [s.FocusFeed("launches", NOW, None), s.FocusFeed("events", NOW, None)]
    assert s.pick_feed(feeds, NOW + timedelta(hours=1), per_hour=15).name == "launches"
    assert s.pick_feed(feeds[::-1], NOW + timedelta(hours=1), per_hour=15).name == "events"

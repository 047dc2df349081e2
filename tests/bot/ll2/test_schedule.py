"""The schedule table (bot/ll2/schedule.py), pinned row by row: windows, boundaries, shares, intervals, the early
wakes, backoff, and that focused polls and regular syncs together fit the hourly budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.ll2 import schedule as s

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SEC = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("ahead", "window"),
    [
        (None, "idle"),
        (timedelta(0), "soon"),
        (-timedelta(minutes=30), "soon"),  # just passed counts as now
        (timedelta(hours=2), "soon"),
        (timedelta(hours=2) + SEC, "today"),
        (timedelta(hours=24), "today"),
        (timedelta(hours=24) + SEC, "idle"),
        (timedelta(days=40), "idle"),
    ],
)
def test_window_boundaries(ahead: timedelta | None, window: str) -> None:
    next_at = None if ahead is None else NOW + ahead
    assert s.window_for(next_at, NOW).name == window


def test_focus_takes_precedence_over_every_other_window() -> None:
    for next_at in (None, NOW, NOW + timedelta(days=3)):
        assert s.window_for(next_at, NOW, focused=True) is s.FOCUSED


def test_the_table_itself() -> None:
    assert [(w.name, w.ahead, w.regular_share, w.focused_share) for w in s.WINDOWS] == [
        ("focused", timedelta(hours=2), 0.2, 0.8),
        ("soon", timedelta(hours=2), 0.6, 0.0),
        ("today", timedelta(hours=24), 0.2, 0.0),
        ("idle", None, 0.1, 0.0),
    ]
    assert (
        timedelta(hours=2),
        timedelta(minutes=10),
        timedelta(hours=1),
    ) == (s.FOCUS_AHEAD, s.FOCUS_AFTER, s.HOLD_AFTER)


@pytest.mark.parametrize(
    ("ahead", "focused", "per_hour", "minutes"),
    [
        (timedelta(hours=1), True, 15, 60),  # near T-0 a full sync hourly ...
        (timedelta(hours=1), False, 15, 20),
        (timedelta(hours=5), False, 15, 60),
        (None, False, 15, 120),
        (timedelta(hours=1), True, 150, 6),  # ... and ten times as often with ten times the budget
        (timedelta(hours=1), False, 150, 2),
        (timedelta(hours=5), False, 150, 6),
        (None, False, 150, 12),
        (timedelta(hours=1), False, 1000, 2),  # never below MIN_INTERVAL
        (None, False, 1, 360),  # never above MAX_INTERVAL
    ],
)
def test_regular_interval_from_the_share(ahead: timedelta | None, focused: bool, per_hour: int, minutes: float) -> None:
    next_at = None if ahead is None else NOW + ahead
    got = s.interval_for(next_at, NOW, per_hour=per_hour, cost=3, focused=focused)
    assert got == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("per_hour", "cost", "seconds"),
    [(15, 1, 300), (15, 2, 600), (60, 1, 75), (150, 1, 60), (300, 1, 60), (1, 1, 4500)],
)
def test_focus_interval_is_proportional_to_the_budget(per_hour: int, cost: int, seconds: int) -> None:
    assert s.focus_interval(per_hour=per_hour, cost=cost) == timedelta(seconds=seconds)


@pytest.mark.parametrize("per_hour", [15, 30, 60, 150])
def test_focused_polls_and_regular_syncs_fit_the_budget_together(per_hour: int) -> None:
    # A regular sync reads the launch list too, so it takes the place of one poll in its hour.
    polls = timedelta(hours=1) // s.focus_interval(per_hour=per_hour, cost=1)
    regulars = timedelta(hours=1) // s.interval_for(NOW, NOW, per_hour=per_hour, cost=3, focused=True)
    assert (polls - regulars) * 1 + regulars * 3 <= per_hour
    assert s.FOCUSED.focused_share + s.FOCUSED.regular_share <= 1.0


@pytest.mark.parametrize(
    ("offset", "on_hold", "inside"),
    [
        (timedelta(hours=2), False, True),
        (timedelta(hours=2) + SEC, False, False),
        (timedelta(0), False, True),
        (-timedelta(minutes=10), False, True),
        (-timedelta(minutes=10) - SEC, False, False),
        (-timedelta(minutes=10) - SEC, True, True),
        (-timedelta(hours=1), True, True),
        (-timedelta(hours=1) - SEC, True, False),
    ],
)
def test_focused_window_edges(offset: timedelta, on_hold: bool, inside: bool) -> None:
    assert s.in_focus(NOW + offset, NOW, on_hold=on_hold) is inside


def test_early_wake_for_a_coarse_milestone_entering_the_two_hour_window() -> None:
    coarse = NOW + timedelta(hours=2, minutes=30)
    assert s.next_sync_at(coarse, NOW, per_hour=15, cost=3) == NOW + timedelta(minutes=30)
    # A timed one needs no early regular sync: the focused poll wakes for it instead.
    assert s.next_sync_at(coarse, NOW, per_hour=15, cost=3, next_timed=coarse) == NOW + timedelta(hours=1)
    assert s.focus_starts_at(coarse) == NOW + timedelta(minutes=30)
    assert s.focus_starts_at(None) is None
    # Never sooner than MIN_INTERVAL.
    assert s.next_sync_at(NOW + timedelta(hours=2, seconds=30), NOW, per_hour=15, cost=3) == NOW + s.MIN_INTERVAL


def test_a_next_milestone_more_than_a_day_ahead_is_idle_and_wakes_nobody_early() -> None:
    far = NOW + timedelta(hours=30)
    assert s.next_sync_at(far, NOW, per_hour=15, cost=3) == NOW + timedelta(hours=2)
    assert s.focus_starts_at(far) == NOW + timedelta(hours=28)


def test_next_focus_is_one_interval_after_the_last_read() -> None:
    assert s.next_focus_at(None, NOW, per_hour=15, cost=1, failures=0) == NOW
    two_ago = NOW - timedelta(minutes=2)
    assert s.next_focus_at(two_ago, NOW, per_hour=15, cost=1, failures=0) == NOW + timedelta(minutes=3)
    assert s.next_focus_at(NOW - timedelta(hours=1), NOW, per_hour=15, cost=1, failures=0) == NOW
    # After failures the backoff wins when it is longer.
    assert s.next_focus_at(two_ago, NOW, per_hour=15, cost=1, failures=4) == NOW + timedelta(minutes=8)


@pytest.mark.parametrize(("failures", "minutes"), [(0, 0), (1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (1000, 60)])
def test_backoff_doubles_up_to_an_hour(failures: int, minutes: int) -> None:
    assert s.backoff(failures) == timedelta(minutes=minutes)


# -- several feeds imminent: the focused polls take turns ---------------------------------------------------------


def _turns(nearest: dict[str, timedelta | None], polls: int) -> str:
    """Which feed each of ``polls`` focused polls reads (first letters), every feed last read at NOW, each item
    staying ``nearest`` ahead of every poll (None: riders only)."""
    read = dict.fromkeys(nearest, NOW)
    gap = s.focus_interval(per_hour=15, cost=1)
    out = []
    for i in range(1, polls + 1):
        now = NOW + gap * i
        feeds = [s.FocusFeed(name, read[name], None if at is None else now + at) for name, at in nearest.items()]
        picked = s.pick_feed(feeds, now, per_hour=15).name
        read[picked] = now
        out.append(picked[0])
    return "".join(out)


@pytest.mark.parametrize(
    ("nearest", "turns"),
    [
        ({"launches": timedelta(minutes=90)}, "llllllll"),  # alone: every poll, as before
        ({"launches": timedelta(minutes=90), "events": timedelta(minutes=100)}, "lelelele"),  # both far: alternate
        # The launch within 30 min of T-0: three polls of four; the spacewalk further out every fourth.
        ({"launches": timedelta(minutes=20), "events": timedelta(minutes=100)}, "lllellle"),
        ({"launches": timedelta(minutes=100), "events": timedelta(minutes=20)}, "eeeleeel"),  # and the other way
        ({"launches": timedelta(minutes=25), "events": timedelta(minutes=25)}, "lelelele"),  # both close: alternate
        # The last 10 minutes before T-0 (a launch: and after it, until In Flight) take every poll ...
        ({"launches": timedelta(minutes=5), "events": timedelta(minutes=20)}, "llllllll"),
        ({"launches": -timedelta(minutes=5), "events": timedelta(minutes=20)}, "llllllll"),
        ({"launches": timedelta(minutes=20), "events": timedelta(minutes=8)}, "eeeeeeee"),
        # (not after an event's time: it only waits to be resolved as happened, urgent but not terminal)
        ({"launches": timedelta(minutes=20), "events": -timedelta(minutes=2)}, "elelelel"),
        ({"launches": timedelta(minutes=4), "events": timedelta(minutes=6)}, "lelelele"),  # ... both: alternate
        # Launches riding along only (past T-0), the docking further out: due 30 min after their last read, and
        # read when that is sooner than the docking list's next due time (one poll in five here).
        ({"launches": None, "docking_events": timedelta(minutes=90)}, "ddddlddddldd"),
    ],
)
def test_focused_polls_take_turns_by_due_time(nearest: dict[str, timedelta | None], turns: str) -> None:
    assert _turns(nearest, len(turns)) == turns


def test_a_feed_never_read_goes_first() -> None:
    feeds = [s.FocusFeed("launches", NOW, NOW + timedelta(minutes=5)), s.FocusFeed("events", None, NOW + SEC)]
    assert s.pick_feed(feeds, NOW, per_hour=15).name == "events"

"""The injectable clock: aware UTC instants, moved only forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.clock import ManualClock, SystemClock


def test_system_clock_is_aware_utc() -> None:
    now = SystemClock().now()
    assert now.tzinfo is UTC
    assert abs(now - datetime.now(UTC)) < timedelta(seconds=5)


def test_manual_clock_moves_only_when_told_and_keeps_utc() -> None:
    clock = ManualClock(datetime(2026, 3, 8, 1, 0, tzinfo=timezone(timedelta(hours=-5))))
    assert clock.now() == datetime(2026, 3, 8, 6, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.advance(timedelta(minutes=90)) == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert clock.now() == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


def test_manual_clock_refuses_to_go_back_or_take_naive_times() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(datetime(2025, 12, 31, tzinfo=UTC))
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2026, 1, 2))  # noqa: DTZ001 - the naive time is the point

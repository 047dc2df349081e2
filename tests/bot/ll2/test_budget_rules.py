"""The LL2 request budget's rules, through its public methods: the rolling hour, LL2's own count, when a slot frees.

Each test states one rule of bot/ll2/budget.py's module doc as something a caller sees: how many requests
``available`` allows, whether ``acquire`` grants one, and what ``free_at`` promises.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import Database
from bot.ll2.budget import KEEP, WINDOW, RequestBudget

T0 = datetime(2024, 2, 14, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


async def spend(budget: RequestBudget, *times: datetime) -> list[int]:
    ids = []
    for t in times:
        row_id = await budget.acquire(t, "/launches/")
        assert row_id is not None, t
        ids.append(row_id)
    return ids


def test_a_budget_of_less_than_one_request_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match=r"^per_hour must be at least 1$"):
        RequestBudget(db, 0)
    assert RequestBudget(db, 1).per_hour == 1


async def test_a_request_counts_for_exactly_the_hour_after_it(db: Database) -> None:
    budget = RequestBudget(db, 15)
    await spend(budget, T0)
    assert await budget.used(T0) == 1
    assert await budget.used(T0 + WINDOW) == 1  # at >= floor(now) - 3600: still counted on the hour
    assert await budget.available(T0 + WINDOW) == 14
    assert await budget.used(T0 + WINDOW + SECOND) == 0
    assert await budget.available(T0 + WINDOW + SECOND) == 15


async def test_the_last_slot_is_granted_and_the_next_refused(db: Database) -> None:
    budget = RequestBudget(db, 3)
    first, second, third = await spend(budget, T0, T0 + SECOND, T0 + 2 * SECOND)
    assert first < second < third
    assert await budget.available(T0 + 3 * SECOND) == 0
    assert await budget.acquire(T0 + 3 * SECOND, "/launches/") is None
    # The refusal is not logged: the hour still holds three requests.
    assert await budget.used(T0 + 3 * SECOND) == 3
    assert await budget.times(T0) == [T0, T0 + SECOND, T0 + 2 * SECOND]


async def test_times_lists_the_requests_since_an_instant_oldest_first(db: Database) -> None:
    budget = RequestBudget(db, 15)
    await spend(budget, T0, T0 + 10 * SECOND, T0 + 20 * SECOND)
    assert await budget.times(T0 + 10 * SECOND) == [T0 + 10 * SECOND, T0 + 20 * SECOND]
    assert await budget.times(T0 + 21 * SECOND) == []
    assert await budget.times(T0 - WINDOW) == [T0, T0 + 10 * SECOND, T0 + 20 * SECOND]


async def test_requests_older_than_a_day_are_forgotten(db: Database) -> None:
    budget = RequestBudget(db, 15)
    await spend(budget, T0, T0 + KEEP - SECOND)
    await spend(budget, T0 + KEEP + SECOND)
    assert await budget.times(T0 - WINDOW) == [T0 + KEEP - SECOND, T0 + KEEP + SECOND]


async def test_a_request_at_exactly_a_day_old_is_kept(db: Database) -> None:
    budget = RequestBudget(db, 15)
    await spend(budget, T0, T0 + KEEP)
    assert await budget.times(T0 - WINDOW) == [T0, T0 + KEEP]


async def test_ll2s_count_narrows_what_is_available(db: Database) -> None:
    budget = RequestBudget(db, 15)
    # Other clients behind our IP used 12 of LL2's 15: only 3 are left, whatever our own log says.
    budget.observe_server(T0, limit=15, current_use=12, next_use_secs=100)
    assert await budget.available(T0) == 3
    await spend(budget, T0, T0 + SECOND)
    assert await budget.available(T0 + 2 * SECOND) == 1
    await spend(budget, T0 + 2 * SECOND)
    assert await budget.available(T0 + 3 * SECOND) == 0
    assert await budget.acquire(T0 + 3 * SECOND, "/launches/") is None
    # Our own log holds only three: the refusal came from LL2's count.
    assert await budget.used(T0 + 3 * SECOND) == 3


async def test_ll2s_count_above_its_limit_leaves_nothing(db: Database) -> None:
    budget = RequestBudget(db, 15)
    budget.observe_server(T0, limit=15, current_use=20, next_use_secs=300)
    assert await budget.available(T0) == 0
    assert await budget.acquire(T0, "/launches/") is None


async def test_ll2s_count_never_widens_our_own_limit(db: Database) -> None:
    budget = RequestBudget(db, 5)
    budget.observe_server(T0, limit=300, current_use=0, next_use_secs=0)
    assert await budget.available(T0) == 5


async def test_ll2s_count_with_slots_left_is_trusted_for_an_hour(db: Database) -> None:
    budget = RequestBudget(db, 15)
    budget.observe_server(T0, limit=15, current_use=13, next_use_secs=5)
    assert await budget.available(T0 + WINDOW - SECOND) == 2
    assert await budget.available(T0 + WINDOW) == 15


async def test_ll2s_saying_none_left_blocks_until_its_next_slot(db: Database) -> None:
    budget = RequestBudget(db, 15)
    budget.observe_server(T0, limit=15, current_use=15, next_use_secs=600)
    assert await budget.acquire(T0 + 599 * SECOND, "/launches/") is None
    assert await budget.free_at(T0) == T0 + 600 * SECOND
    assert await budget.free_at(T0, 3) == T0 + 600 * SECOND
    # From then on LL2's figure is stale and only our own log counts.
    assert await budget.available(T0 + 600 * SECOND) == 15
    assert await budget.acquire(T0 + 600 * SECOND, "/launches/") is not None


async def test_ll2s_none_left_without_a_wait_still_blocks_for_a_second(db: Database) -> None:
    budget = RequestBudget(db, 15)
    budget.observe_server(T0, limit=15, current_use=15, next_use_secs=-5)
    assert await budget.acquire(T0, "/launches/") is None
    assert await budget.free_at(T0) == T0 + SECOND
    assert await budget.acquire(T0 + SECOND, "/launches/") is not None


async def test_free_at_is_now_while_slots_are_left(db: Database) -> None:
    budget = RequestBudget(db, 3)
    await spend(budget, T0)
    assert await budget.free_at(T0 + SECOND) == T0 + SECOND
    assert await budget.free_at(T0 + SECOND, 2) == T0 + SECOND
    budget.observe_server(T0 + SECOND, limit=15, current_use=10, next_use_secs=0)
    assert await budget.free_at(T0 + SECOND, 2) == T0 + SECOND


async def test_free_at_waits_for_the_oldest_requests_to_leave_the_hour(db: Database) -> None:
    budget = RequestBudget(db, 3)
    await spend(budget, T0, T0 + 10 * SECOND, T0 + 20 * SECOND)
    now = T0 + 30 * SECOND
    # One slot: when the oldest stops counting (at + 3601 s); two: when the second oldest does.
    assert await budget.free_at(now) == T0 + WINDOW + SECOND
    assert await budget.free_at(now, 2) == T0 + 10 * SECOND + WINDOW + SECOND
    # More than the hourly limit is asked as the whole limit; less than one as one.
    assert await budget.free_at(now, 99) == T0 + 20 * SECOND + WINDOW + SECOND
    assert await budget.free_at(now, 0) == T0 + WINDOW + SECOND
    assert await budget.acquire(T0 + WINDOW, "/launches/") is None
    assert await budget.acquire(T0 + WINDOW + SECOND, "/launches/") is not None


async def test_free_at_waits_for_llz_when_it_has_fewer_slots_than_asked(db: Database) -> None:
    budget = RequestBudget(db, 15)
    budget.observe_server(T0, limit=15, current_use=13, next_use_secs=0)
    assert await budget.free_at(T0, 2) == T0
    assert await budget.free_at(T0, 3) == T0 + WINDOW


async def test_free_at_follows_our_sliding_hour_when_ll2_counts_the_same_as_our_log(db: Database) -> None:
    budget = RequestBudget(db, 3)
    await spend(budget, T0, T0 + 10 * SECOND)
    now = T0 + 30 * SECOND
    # LL2 agrees: one left of three. Its figure holds for an hour, but a slot is back when our oldest request
    # leaves the hour, not an hour after LL2 answered.
    budget.observe_server(now, limit=3, current_use=2, next_use_secs=0)
    assert await budget.free_at(now, 2) == T0 + WINDOW + SECOND


async def test_record_status_notes_the_answer_and_keeps_the_request_counted(db: Database) -> None:
    budget = RequestBudget(db, 2)
    first, second = await spend(budget, T0, T0 + SECOND)
    await budget.record_status(first, 429)
    # The log is kept for diagnosis (which request LL2 refused); nothing in the bot reads it back.
    rows = await db.fetchall("SELECT id, endpoint, status FROM ll2_requests ORDER BY id")
    assert [tuple(r) for r in rows] == [(first, "/launches/", 429), (second, "/launches/", None)]
    await budget.record_status(first, None)
    assert await budget.used(T0 + SECOND) == 2
    assert await budget.times(T0) == [T0, T0 + SECOND]

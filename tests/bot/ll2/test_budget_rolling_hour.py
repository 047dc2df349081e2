"""The request budget: no rolling hour holds more than the limit, to the second."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db import Database
from bot.ll2.budget import WINDOW, RequestBudget


async def test_budget_counts_the_fraction_of_a_second_that_storage_drops(db: Database) -> None:
    budget = RequestBudget(db, 15)
    first = datetime(2020, 7, 22, 0, 0, 0, 900_000, tzinfo=UTC)
    for i in range(15):
        assert await budget.acquire(first + timedelta(seconds=i), "/x") is not None
    sixteenth = first + timedelta(seconds=3599.2)  # 00:59:60.1: inside the hour that began at 00:00:00.9
    assert await budget.acquire(sixteenth, "/x") is None
    assert await budget.used(sixteenth) == 15
    assert await budget.available(sixteenth) == 0
    free = await budget.free_at(sixteenth)
    assert free >= first + WINDOW
    assert await budget.available(free - timedelta(milliseconds=1)) == 0
    assert await budget.acquire(free, "/x") is not None


_GAPS = st.one_of(
    st.floats(min_value=0, max_value=4000, allow_nan=False, allow_infinity=False),
    st.sampled_from([0.1, 0.5, 0.9, 1.0, 3598.9, 3599.2, 3599.9, 3600.0, 3600.1]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    limit=st.integers(min_value=1, max_value=4),
    start=st.floats(min_value=0, max_value=0.999),
    gaps=st.lists(_GAPS, min_size=1, max_size=30),
)
async def test_no_rolling_hour_ever_holds_more_than_the_limit(
    db: Database, limit: int, start: float, gaps: list[float]
) -> None:
    await db.execute("DELETE FROM ll2_requests")
    budget = RequestBudget(db, limit)
    t = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=start)
    granted: list[datetime] = []
    for gap in gaps:
        t += timedelta(seconds=gap)
        if await budget.acquire(t, "/x") is not None:
            granted.append(t)
            continue
        # Refused: free_at is when a slot is back, and not a moment earlier.
        free = await budget.free_at(t)
        assert free > t
        assert await budget.available(free) >= 1
        assert await budget.available(free - timedelta(milliseconds=1)) == 0
    for i, begin in enumerate(granted):
        assert sum(1 for later in granted[i:] if later < begin + WINDOW) <= limit

"""When to sync next: often when something is about to happen, rarely when nothing is, never over budget.

A regular sync costs one request per list (launches, dockings, events: 3). The share of the hourly budget that
regular syncs may use depends on how soon the next timed milestone is; the rest is headroom for launch
details, a page more, and retries. With the free 15 requests/hour:

==================================  =====  =========================
next milestone (day precision+)     share  interval with 3 requests
==================================  =====  =========================
within 2 h (or just passed)         60 %   20 min
within 24 h                         20 %   60 min
later, or nothing                   10 %   120 min
==================================  =====  =========================

With an API key (a higher limit) the same shares give shorter intervals, never below ``MIN_INTERVAL``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MIN_INTERVAL = timedelta(minutes=2)
MAX_INTERVAL = timedelta(hours=6)
SOON = timedelta(hours=2)
TODAY = timedelta(hours=24)
SHARES = ((SOON, 0.6), (TODAY, 0.2))
IDLE_SHARE = 0.1
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_MAX = timedelta(hours=1)


def interval_for(next_at: datetime | None, now: datetime, *, per_hour: int, cost: int) -> timedelta:
    """The regular interval between syncs, given the next relevant milestone (None: nothing known)."""
    share = IDLE_SHARE
    if next_at is not None:
        ahead = next_at - now
        share = next((s for window, s in SHARES if ahead <= window), IDLE_SHARE)
    seconds = cost * 3600 / (share * per_hour)
    return min(MAX_INTERVAL, max(MIN_INTERVAL, timedelta(seconds=seconds)))


def next_sync_at(next_at: datetime | None, now: datetime, *, per_hour: int, cost: int) -> datetime:
    """The next regular sync: one interval ahead, but early enough to catch a milestone entering the 2 h window."""
    due = now + interval_for(next_at, now, per_hour=per_hour, cost=cost)
    if next_at is not None and next_at - SOON > now:
        due = min(due, max(now + MIN_INTERVAL, next_at - SOON))
    return due


def backoff(failures: int) -> timedelta:
    """Wait after ``failures`` consecutive failed syncs: 1, 2, 4 ... minutes, at most an hour."""
    if failures <= 0:
        return timedelta(0)
    step: timedelta = BACKOFF_BASE * (2 ** min(failures - 1, 16))
    return min(BACKOFF_MAX, step)

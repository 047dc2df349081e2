"""The LL2 request budget: at most N requests in any rolling hour, counted in SQLite across restarts.

Every counted request is logged in ``ll2_requests`` *before* it is sent, inside the same write transaction
that checked the count, so two tasks (or the bot and the CLI) can never both take the last slot. What LL2
itself reports through ``/api-throttle/`` narrows the budget further: other clients behind the same IP spend
the same allowance.

Instants are stored as whole epoch seconds (``to_epoch`` truncates), so a logged ``at`` may be up to a second
earlier than the real send time. A request sent at ``t`` therefore counts every logged ``at >= floor(t) - 3600``
(``>=``, not ``>``): any request really sent less than 3600 s before ``t`` has ``at`` in that range, so no rolling
hour ever holds more than the limit. The price is at most one second of caution per slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.db import ll2 as rows
from bot.db.database import Database
from bot.db.events import from_epoch, to_epoch

WINDOW = timedelta(hours=1)
_WINDOW_SECS = int(WINDOW.total_seconds())
# Rows older than this are of no use to the rolling window; a day is kept for diagnosis.
KEEP = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ServerView:
    """What ``/api-throttle/`` said at ``seen_at``: ``remaining`` requests, trusted until ``valid_until``."""

    seen_at: datetime
    remaining: int
    valid_until: datetime


class RequestBudget:
    """Counts, grants and logs LL2 requests against a per-hour limit."""

    def __init__(self, db: Database, per_hour: int) -> None:
        if per_hour < 1:
            raise ValueError("per_hour must be at least 1")
        self.db = db
        self.per_hour = per_hour
        self._server: ServerView | None = None

    async def used(self, now: datetime) -> int:
        """Requests sent in the hour before ``now``."""
        return await rows.requests_since(self.db, _cutoff(now))

    def observe_server(self, now: datetime, *, limit: int, current_use: int, next_use_secs: int) -> None:
        """Take LL2's own count into account (from ``/api-throttle/``)."""
        remaining = max(0, limit - current_use)
        # When LL2 says "none left", it also says when the next one frees up; otherwise its figure is only
        # trusted for an hour (the next sync reads it again anyway).
        wait = timedelta(seconds=max(0, next_use_secs)) if remaining == 0 else WINDOW
        self._server = ServerView(now, remaining, now + max(wait, timedelta(seconds=1)))

    async def available(self, now: datetime) -> int:
        """How many requests may be sent now."""
        local = self.per_hour - await self.used(now)
        server = await self._server_left(now)
        return max(0, min(local, server) if server is not None else local)

    async def _server_left(self, now: datetime) -> int | None:
        view = self._server
        if view is None or now >= view.valid_until:
            return None
        return view.remaining - await rows.requests_since(self.db, to_epoch(view.seen_at))

    async def acquire(self, now: datetime, endpoint: str) -> int | None:
        """Take one request slot and log it; returns the log row id, or None when the budget is spent."""
        server = await self._server_left(now)
        if server is not None and server <= 0:
            return None
        return await rows.take_request_slot(
            self.db,
            at=to_epoch(now),
            since=_cutoff(now),
            limit=self.per_hour,
            endpoint=endpoint,
            keep=int(KEEP.total_seconds()),
        )

    async def record_status(self, row_id: int, status: int | None) -> None:
        """Note the HTTP status a logged request got."""
        await rows.set_request_status(self.db, row_id, status)

    async def free_at(self, now: datetime, count: int = 1) -> datetime:
        """The earliest instant at which ``count`` requests will be available (``now`` if they are already)."""
        count = min(max(count, 1), self.per_hour)
        logged = await rows.request_times_since(self.db, _cutoff(now))
        excess = len(logged) + count - self.per_hour
        when = now
        if excess > 0:
            # A request logged at ``at`` stops counting once floor(now) - 3600 > at, i.e. at ``at`` + 3601 s.
            when = max(now, from_epoch(logged[excess - 1]) + WINDOW + timedelta(seconds=1))
        server = await self._server_left(now)
        if server is not None and server < count and server < self.per_hour - len(logged) and self._server is not None:
            # LL2 counts fewer left than our own log does: other clients behind the same IP spend it too, so
            # wait as long as LL2's view holds. When LL2 agrees with our log, its hour slides like ours and
            # the local rule above already says when a slot is back (the throttle is read again first anyway).
            when = max(when, self._server.valid_until)
        return when

    async def times(self, since: datetime) -> list[datetime]:
        """When each logged request since ``since`` was sent, oldest first (for tests and diagnostics)."""
        return [from_epoch(at) for at in await rows.request_times_since(self.db, to_epoch(since))]


def _cutoff(now: datetime) -> int:
    """The oldest logged ``at`` that still counts against a request sent at ``now`` (see the module doc)."""
    return to_epoch(now) - _WINDOW_SECS

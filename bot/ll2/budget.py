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
        row = await self.db.fetchone("SELECT count(*) FROM ll2_requests WHERE at >= ?", (_cutoff(now),))
        return int(row[0]) if row else 0

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
        row = await self.db.fetchone("SELECT count(*) FROM ll2_requests WHERE at >= ?", (to_epoch(view.seen_at),))
        return view.remaining - (int(row[0]) if row else 0)

    async def acquire(self, now: datetime, endpoint: str) -> int | None:
        """Take one request slot and log it; returns the log row id, or None when the budget is spent."""
        server = await self._server_left(now)
        if server is not None and server <= 0:
            return None
        stamp = to_epoch(now)
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT count(*) FROM ll2_requests WHERE at >= ?", (_cutoff(now),)) as cur:
                row = await cur.fetchone()
            if row is not None and int(row[0]) >= self.per_hour:
                return None
            cur = await conn.execute("INSERT INTO ll2_requests (at, endpoint) VALUES (?, ?)", (stamp, endpoint))
            row_id = cur.lastrowid
            await conn.execute("DELETE FROM ll2_requests WHERE at < ?", (stamp - int(KEEP.total_seconds()),))
        assert row_id is not None
        return row_id

    async def record_status(self, row_id: int, status: int | None) -> None:
        """Note the HTTP status a logged request got."""
        await self.db.execute("UPDATE ll2_requests SET status = ? WHERE id = ?", (status, row_id))

    async def free_at(self, now: datetime, count: int = 1) -> datetime:
        """The earliest instant at which ``count`` requests will be available (``now`` if they are already)."""
        count = min(max(count, 1), self.per_hour)
        rows = await self.db.fetchall("SELECT at FROM ll2_requests WHERE at >= ? ORDER BY at", (_cutoff(now),))
        excess = len(rows) + count - self.per_hour
        when = now
        if excess > 0:
            # A request logged at ``at`` stops counting once floor(now) - 3600 > at, i.e. at ``at`` + 3601 s.
            when = max(now, from_epoch(int(rows[excess - 1]["at"])) + WINDOW + timedelta(seconds=1))
        server = await self._server_left(now)
        if server is not None and server < count and self._server is not None:
            when = max(when, self._server.valid_until)
        return when

    async def times(self, since: datetime) -> list[datetime]:
        """When each logged request since ``since`` was sent, oldest first (for tests and diagnostics)."""
        rows = await self.db.fetchall("SELECT at FROM ll2_requests WHERE at >= ? ORDER BY at, id", (to_epoch(since),))
        return [from_epoch(int(r["at"])) for r in rows]


def _cutoff(now: datetime) -> int:
    """The oldest logged ``at`` that still counts against a request sent at ``now`` (see the module doc)."""
    return to_epoch(now) - _WINDOW_SECS

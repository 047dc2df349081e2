"""The LL2 sync's own rows: the request log (budget), detail fetches, sync runs, and its state keys."""

from __future__ import annotations

from collections.abc import Sequence

from bot.db.database import Database

# bot_state keys; the CLI's ``check`` and ``/about`` read the first.
STATE_LAST_SYNC = "ll2.last_sync"
STATE_BLOCKED_UNTIL = "ll2.blocked_until"
STATE_LAST_DEEP = "ll2.last_deep_sync"


async def requests_since(db: Database, at: int) -> int:
    """How many logged requests have ``at`` at or after the given epoch second."""
    row = await db.fetchone("SELECT count(*) FROM ll2_requests WHERE at >= ?", (at,))
    return int(row[0]) if row else 0


async def take_request_slot(db: Database, *, at: int, since: int, limit: int, endpoint: str, keep: int) -> int | None:
    """Log a request at ``at`` unless ``limit`` were logged since ``since``; returns its row id or None.

    Count and insert share one write transaction, so two processes can never both take the last slot. Rows
    older than ``at - keep`` seconds are dropped on the way.
    """
    async with db.transaction() as conn:
        async with conn.execute("SELECT count(*) FROM ll2_requests WHERE at >= ?", (since,)) as cur:
            row = await cur.fetchone()
        if row is not None and int(row[0]) >= limit:
            return None
        cur = await conn.execute("INSERT INTO ll2_requests (at, endpoint) VALUES (?, ?)", (at, endpoint))
        row_id = cur.lastrowid
        await conn.execute("DELETE FROM ll2_requests WHERE at < ?", (at - keep,))
    assert row_id is not None
    return row_id


async def set_request_status(db: Database, row_id: int, status: int | None) -> None:
    """Note the HTTP status a logged request got."""
    await db.execute("UPDATE ll2_requests SET status = ? WHERE id = ?", (status, row_id))


async def request_times_since(db: Database, at: int) -> list[int]:
    """The epoch second of every logged request at or after ``at``, oldest first."""
    rows = await db.fetchall("SELECT at FROM ll2_requests WHERE at >= ? ORDER BY at, id", (at,))
    return [int(r["at"]) for r in rows]


async def detail_fetched_at(db: Database, source_id: str) -> int | None:
    """When a launch's detail was last asked for (epoch seconds), if ever."""
    row = await db.fetchone("SELECT fetched_at FROM ll2_detail_fetches WHERE source_id = ?", (source_id,))
    return int(row[0]) if row else None


async def record_detail_fetch(db: Database, source_id: str, *, at: int, status: int | None) -> None:
    """Remember that a launch's detail was asked for, and what LL2 answered."""
    await db.execute(
        "INSERT INTO ll2_detail_fetches (source_id, fetched_at, status) VALUES (?, ?, ?) "
        "ON CONFLICT (source_id) DO UPDATE SET fetched_at = excluded.fetched_at, status = excluded.status",
        (source_id, at, status),
    )


async def record_sync_run(
    db: Database, *, started_at: int, finished_at: int, ok: bool, requests: int, changes: int, error: str | None
) -> None:
    """One row per sync, for diagnosis."""
    await db.execute(
        "INSERT INTO ll2_sync_runs (started_at, finished_at, ok, requests, changes, error) VALUES (?, ?, ?, ?, ?, ?)",
        (started_at, finished_at, int(ok), requests, changes, error),
    )


async def next_live_milestone_at(
    db: Database, *, since: int, precisions: Sequence[str], final_statuses: Sequence[str]
) -> int | None:
    """The earliest live LL2 milestone at or after ``since`` with one of ``precisions``, of an event whose
    status is not one of ``final_statuses`` (epoch seconds), if any."""
    row = await db.fetchone(
        "SELECT min(m.at_utc) FROM milestones m JOIN events e ON e.id = m.event_id "  # noqa: S608
        "WHERE e.source = 'll2' AND e.gone_at IS NULL AND m.removed_at IS NULL AND m.at_utc >= ? "
        f"AND m.precision IN ({','.join('?' * len(precisions))}) "
        f"AND e.status NOT IN ({','.join('?' * len(final_statuses))})",
        (since, *precisions, *final_statuses),
    )
    return int(row[0]) if row is not None and row[0] is not None else None

"""The LL2 sync's own rows: the request log (budget), detail fetches, sync runs, and its state keys."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.db.database import Database
from bot.db.events import from_epoch, to_epoch
from bot.models import EventStatus, MilestoneKind, Precision

# bot_state keys; the CLI's ``check`` and ``/about`` read the first.
STATE_LAST_SYNC = "ll2.last_sync"
STATE_BLOCKED_UNTIL = "ll2.blocked_until"
STATE_LAST_DEEP = "ll2.last_deep_sync"
STATE_LAST_REFRESH = "ll2.last_refresh"  # the last good read of LL2, by a regular sync or a focused poll
STATE_NEXT_REFRESH = "ll2.next_refresh"  # when the loop plans to read LL2 next (for /about and check)


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
        "SELECT min(m.at_utc) FROM milestones m JOIN events e ON e.id = m.event_id "
        "WHERE e.source = 'll2' AND e.gone_at IS NULL AND m.removed_at IS NULL AND m.at_utc >= ? "
        "AND m.precision IN (SELECT value FROM json_each(?)) "
        "AND e.status NOT IN (SELECT value FROM json_each(?))",
        (since, json.dumps(list(precisions)), json.dumps(list(final_statuses))),
    )
    return int(row[0]) if row is not None and row[0] is not None else None


# Minute, Hour (and Second) precision: an instant an alert can be armed on, or nearly; a slip of it matters.
TIMED_PRECISIONS = tuple(p.value for p in Precision if p.rank <= Precision.HOUR.rank)


@dataclass(frozen=True, slots=True)
class TimedMilestone:
    """A stored LL2 milestone with a timed precision, and what its event is."""

    source_id: str
    feed: str
    status: EventStatus
    kind: MilestoneKind
    at: datetime
    precision: Precision


async def timed_milestones(db: Database, *, start: datetime, end: datetime) -> list[TimedMilestone]:
    """Timed milestones (not webcast starts) of LL2 events still listed, with ``start <= at <= end``, soonest first."""
    rows = await db.fetchall(
        "SELECT e.source_id, e.feed, e.status, m.kind, m.at_utc, m.precision "
        "FROM milestones m JOIN events e ON e.id = m.event_id "
        "WHERE e.source = 'll2' AND e.gone_at IS NULL AND m.removed_at IS NULL AND m.kind != ? "
        "AND m.precision IN (SELECT value FROM json_each(?)) AND m.at_utc BETWEEN ? AND ? "
        "ORDER BY m.at_utc, e.source_id",
        (MilestoneKind.COVERAGE_START.value, json.dumps(list(TIMED_PRECISIONS)), to_epoch(start), to_epoch(end)),
    )
    return [
        TimedMilestone(
            r["source_id"],
            r["feed"],
            EventStatus(r["status"]),
            MilestoneKind(r["kind"]),
            from_epoch(int(r["at_utc"])),
            Precision(r["precision"]),
        )
        for r in rows
    ]


async def next_timed_milestone(db: Database, *, after: datetime, feeds: Sequence[str]) -> datetime | None:
    """The earliest timed milestone after ``after`` of an LL2 event of ``feeds`` still listed and not yet flying
    or over."""
    done = [s.value for s in EventStatus if s.is_final or s is EventStatus.IN_FLIGHT]
    row = await db.fetchone(
        "SELECT min(m.at_utc) FROM milestones m JOIN events e ON e.id = m.event_id "
        "WHERE e.source = 'll2' AND e.gone_at IS NULL AND m.removed_at IS NULL AND m.kind != ? "
        "AND m.precision IN (SELECT value FROM json_each(?)) AND e.status NOT IN (SELECT value FROM json_each(?)) "
        "AND e.feed IN (SELECT value FROM json_each(?)) AND m.at_utc > ?",
        (
            MilestoneKind.COVERAGE_START.value,
            json.dumps(list(TIMED_PRECISIONS)),
            json.dumps(done),
            json.dumps(list(feeds)),
            to_epoch(after),
        ),
    )
    return None if row is None or row[0] is None else from_epoch(int(row[0]))

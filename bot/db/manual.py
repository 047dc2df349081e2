"""Queries of hand-entered events that the generic repository functions do not cover."""

from __future__ import annotations

import json
from collections.abc import Sequence

import aiosqlite

from bot.db.database import Database
from bot.db.events import StoredEvent, load_events_in, period_end_sql


async def manual_events_ahead(
    db: Database, *, guild_id: int | None, now: int, limit: int, include_global: bool, needle: str
) -> list[StoredEvent]:
    """Live hand-entered events visible in ``guild_id`` whose last milestone period ends at or after ``now``
    (epoch seconds), soonest first; ``needle`` (folded by search_key, may be empty) matches a name part or a number
    prefix."""
    scope = "(e.guild_id IS NULL OR e.guild_id = :guild)" if include_global else "e.guild_id = :guild"
    search = " AND (instr(e.name_key, :needle) > 0 OR instr(CAST(e.id AS TEXT), :needle) = 1)" if needle else ""
    rows = await db.fetchall(
        # period_end_sql() is a fixed SQL expression; scope and search are the fixed fragments above.
        f"SELECT e.id, max({period_end_sql()}) AS last_end, min(m.at_utc) AS first_at FROM events e "  # noqa: S608
        "JOIN milestones m ON m.event_id = e.id AND m.removed_at IS NULL "
        f"WHERE e.source = 'manual' AND e.gone_at IS NULL AND {scope}{search} "
        "GROUP BY e.id HAVING last_end >= :now ORDER BY first_at, e.id LIMIT :limit",
        {"guild": guild_id, "now": now, "limit": limit, "needle": needle},
    )
    if not rows:
        return []
    order = {row["id"]: index for index, row in enumerate(rows)}
    async with db.read() as conn:
        found = await load_events_in(conn, f"id IN ({','.join('?' * len(order))})", list(order))
    return sorted(found, key=lambda stored: order[stored.id])


async def live_manual_event_in(conn: aiosqlite.Connection, event_id: int) -> StoredEvent | None:
    """A hand-entered event that was not removed, by number, inside a transaction the caller holds."""
    found = await load_events_in(conn, "id = ? AND source = 'manual' AND gone_at IS NULL", (event_id,))
    return found[0] if found else None


async def event_by_id_in(conn: aiosqlite.Connection, event_id: int) -> StoredEvent:
    """One stored event by number, inside a transaction the caller holds (it must exist)."""
    return (await load_events_in(conn, "id = ?", (event_id,)))[0]


async def manual_events_by_source_ids_in(conn: aiosqlite.Connection, source_ids: Sequence[str]) -> list[StoredEvent]:
    """The hand-entered events with these source ids, inside a transaction the caller holds."""
    marks = ",".join("?" * len(source_ids))
    return await load_events_in(conn, f"source = 'manual' AND source_id IN ({marks})", list(source_ids))


async def count_manual_events_ahead_in(
    conn: aiosqlite.Connection, *, guild_id: int, now: int, excluding: Sequence[str] = ()
) -> int:
    """How many live hand-entered events of ``guild_id`` are not over at ``now`` (epoch seconds), leaving out the
    source ids in ``excluding`` (events a repeated save would only update)."""
    async with conn.execute(
        # period_end_sql() is a fixed SQL expression over our own columns; every value is a parameter.
        f"SELECT count(*) FROM (SELECT e.id FROM events e JOIN milestones m ON m.event_id = e.id "  # noqa: S608
        "AND m.removed_at IS NULL WHERE e.source = 'manual' AND e.gone_at IS NULL AND e.guild_id = ? "
        "AND e.source_id NOT IN (SELECT value FROM json_each(?)) "
        f"GROUP BY e.id HAVING max({period_end_sql()}) >= ?)",
        (guild_id, json.dumps(list(excluding)), now),
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row is not None else 0

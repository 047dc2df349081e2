"""SQL behind browsing: name counts, milestone pages through a chosen index, event search, saved filters.

The page query names its driving index (``INDEXED BY`` and ``CROSS JOIN`` fix the join order): SQLite has no
statistics to tell a filter that matches three events from one that matches half of them, so
:mod:`bot.browse` chooses from the exact counts :func:`load_stats` keeps, and the query does what it is told.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

import aiosqlite

from bot.db.database import Database
from bot.db.events import (
    HistoryEntry,
    StoredEvent,
    UpcomingMilestone,
    from_epoch,
    load_events_in,
    period_end_sql,
    row_to_event,
    to_epoch,
)
from bot.db.ll2 import STATE_LAST_SYNC
from bot.models import PERIOD_SECONDS, EventStatus, MilestoneKind, Precision
from bot.textfold import search_key

FIELDS = ("provider", "vehicle", "location", "station")
Field = Literal["provider", "vehicle", "location", "station"]
Driver = Literal["time", "kind", "provider", "vehicle", "location", "station"]

_FINALS = tuple(s.value for s in EventStatus if s.is_final)
_FROM: dict[str, str] = {
    "time": "milestones m INDEXED BY milestones_at CROSS JOIN events e ON e.id = m.event_id",
    "kind": "milestones m INDEXED BY milestones_kind_at CROSS JOIN events e ON e.id = m.event_id",
    **{f: f"events e INDEXED BY events_live_{f} CROSS JOIN milestones m ON m.event_id = e.id" for f in FIELDS},
}


@dataclass(frozen=True, slots=True)
class NameCount:
    """One stored value of a field (a provider, rocket, pad or station) and how many live events have it."""

    value: str
    count: int
    abbrev: str | None = None


@dataclass(frozen=True, slots=True)
class Stats:
    """Exact counts the browse planner and autocomplete read: live names per field, live milestones per kind."""

    names: dict[str, list[NameCount]]
    kinds: dict[str, int]


@dataclass
class _Cached:
    key: tuple[int, int]
    stats: Stats


_stats_cache: weakref.WeakKeyDictionary[Database, _Cached] = weakref.WeakKeyDictionary()


async def load_stats(db: Database) -> Stats:
    """Counts of live global events per field value and of live milestones per kind; recounted after writes."""
    async with db.read() as conn:
        stats, _ = await snapshot_in(db, conn)
        return stats


async def snapshot_in(db: Database, conn: aiosqlite.Connection) -> tuple[Stats, datetime | None]:
    """The counts (see :func:`load_stats`) and the last successful LL2 sync, in one round trip when cached.

    total_changes() moves with every write on this connection, data_version with every commit by another one
    (the CLI's sync): together they say exactly when counts read earlier may be out of date.
    """
    rows = await conn.execute_fetchall(
        "SELECT total_changes(), (SELECT data_version FROM pragma_data_version), "
        "(SELECT value FROM bot_state WHERE key = ?)",
        (STATE_LAST_SYNC,),
    )
    (row,) = rows
    key = (int(row[0]), int(row[1]))
    synced = datetime.fromisoformat(row[2]) if row[2] else None
    cached = _stats_cache.get(db)
    if cached is not None and cached.key == key:
        return cached.stats, synced
    return await _count_in(db, conn, key), synced


async def _count_in(db: Database, conn: aiosqlite.Connection, key: tuple[int, int]) -> Stats:
    names: dict[str, list[NameCount]] = {}
    for name in FIELDS:
        extra = ", provider_abbrev" if name == "provider" else ""
        # ``name`` is one of FIELDS (our column and index names): identifiers cannot be bound as parameters.
        sql = (
            f"SELECT {name} AS value{extra}, count(*) AS n FROM events INDEXED BY events_live_{name} "  # noqa: S608
            f"WHERE gone_at IS NULL AND guild_id IS NULL AND {name} IS NOT NULL GROUP BY {name}{extra}"
        )
        rows = await conn.execute_fetchall(sql)
        # One entry per value: events of one provider may disagree about its abbreviation (or lack one).
        merged: dict[str, NameCount] = {}
        for r in rows:
            old = merged.get(r["value"])
            abbrev = r["provider_abbrev"] if extra else None
            count = int(r["n"]) + (old.count if old else 0)
            merged[r["value"]] = NameCount(r["value"], count, (old.abbrev if old else None) or abbrev)
        names[name] = list(merged.values())
    found = await conn.execute_fetchall(
        "SELECT kind, count(*) AS n FROM milestones INDEXED BY milestones_kind_at "
        "WHERE removed_at IS NULL GROUP BY kind"
    )
    kinds = {r["kind"]: int(r["n"]) for r in found}
    stats = Stats(names, kinds)
    _stats_cache[db] = _Cached(key, stats)
    return stats


@dataclass(frozen=True, slots=True)
class PageQuery:
    """One page of upcoming milestones: which, from where, how many, and through which index.

    ``fields`` maps a field to the exact stored values it may have (resolved from typed text beforehand).
    ``cursor`` is the ``(at_utc, milestone id)`` of the row the page continues from, exclusive; ``backwards``
    reads the rows before it (the page is still returned soonest first).
    """

    now: datetime
    kinds: tuple[MilestoneKind, ...]
    driver: Driver = "time"
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)
    guild_id: int | None = None
    until: datetime | None = None
    cursor: tuple[int, int] | None = None
    backwards: bool = False
    limit: int = 10


def page_sql(q: PageQuery) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of ``q`` (exposed so a test can EXPLAIN it)."""
    stamp = to_epoch(q.now)
    params: dict[str, Any] = {"floor": stamp - max(PERIOD_SECONDS.values()), "now": stamp, "limit": q.limit}
    where = [
        "m.removed_at IS NULL",
        "m.at_utc >= :floor",
        f"{period_end_sql()} >= :now",
        "e.gone_at IS NULL",
        f"e.status NOT IN ({', '.join(repr(s) for s in _FINALS)})",
        "e.guild_id IS NULL" if q.guild_id is None else "(e.guild_id IS NULL OR e.guild_id = :guild)",
    ]
    if q.guild_id is not None:
        params["guild"] = q.guild_id
    kind_marks = []
    for i, kind in enumerate(q.kinds):
        params[f"k{i}"] = kind.value
        kind_marks.append(f":k{i}")
    where.append(f"m.kind IN ({', '.join(kind_marks)})" if kind_marks else "0")
    for name, values in q.fields.items():
        if name not in FIELDS:
            raise ValueError(f"unknown browse field {name!r}")
        marks = []
        for i, value in enumerate(values):
            params[f"{name}{i}"] = value
            marks.append(f":{name}{i}")
        where.append(f"e.{name} IN ({', '.join(marks)})" if marks else "0")
    if q.until is not None:
        where.append("m.at_utc <= :until")
        params["until"] = to_epoch(q.until)
    if q.cursor is not None:
        params["cat"], params["cid"] = q.cursor
        # The first test bounds the index range; the second breaks ties between milestones of one instant.
        if q.backwards:
            where.append("m.at_utc <= :cat AND (m.at_utc < :cat OR m.id < :cid)")
        else:
            where.append("m.at_utc >= :cat AND (m.at_utc > :cat OR m.id > :cid)")
    order = "m.at_utc DESC, m.id DESC" if q.backwards else "m.at_utc, m.id"
    sql = (
        f"SELECT m.id AS mid, m.event_id AS eid FROM {_FROM[q.driver]} "  # noqa: S608 - our SQL, values bound
        f"WHERE {' AND '.join(where)} ORDER BY {order} LIMIT :limit"
    )
    return sql, params


async def page_milestones(db: Database, q: PageQuery) -> list[UpcomingMilestone]:
    """The milestones of one page, soonest first, with their events."""
    async with db.read() as conn:
        return await with_events_in(conn, await page_in(conn, q))


async def page_in(conn: aiosqlite.Connection, q: PageQuery) -> list[tuple[int, int]]:
    """``(milestone id, event id)`` of one page, soonest first, inside a read the caller holds."""
    sql, params = page_sql(q)
    picks = [(int(r["mid"]), int(r["eid"])) for r in await conn.execute_fetchall(sql, params)]
    if q.backwards:
        picks.reverse()
    return picks


async def with_events_in(conn: aiosqlite.Connection, picks: Sequence[tuple[int, int]]) -> list[UpcomingMilestone]:
    """The picked milestones with their events (two queries, one round trip each)."""
    if not picks:
        return []
    ids = sorted({eid for _, eid in picks})
    marks = ",".join("?" * len(ids))
    # Only "?" marks, one per id (a fixed-size list the planner reads as a rowid lookup); values are bound.
    rows = await conn.execute_fetchall(f"SELECT * FROM events WHERE id IN ({marks})", ids)  # noqa: S608
    by_event: dict[int, list[aiosqlite.Row]] = {}
    for m in await conn.execute_fetchall(
        f"SELECT * FROM milestones WHERE event_id IN ({marks}) ORDER BY event_id, kind",  # noqa: S608
        ids,
    ):
        by_event.setdefault(m["event_id"], []).append(m)
    events = {int(r["id"]): row_to_event(r, by_event.get(r["id"], [])) for r in rows}
    result: list[UpcomingMilestone] = []
    for mid, eid in picks:
        stored = events[eid]
        kind = next(k for k, i in stored.milestone_ids.items() if i == mid)
        milestone = stored.event.milestone(kind)
        assert milestone is not None
        result.append(UpcomingMilestone(mid, milestone, stored))
    return result


async def count_matching_events_in(
    conn: aiosqlite.Connection, driver: Field, fields: dict[str, tuple[str, ...]], *, cap: int
) -> int:
    """How many live events have every field value asked for, counting at most ``cap + 1`` (a bounded check)."""
    where = ["e.gone_at IS NULL"]
    params: list[Any] = []
    for name, values in fields.items():
        if name not in FIELDS:
            raise ValueError(f"unknown browse field {name!r}")
        where.append(f"e.{name} IN ({','.join('?' * len(values))})" if values else "0")
        params.extend(values)
    # ``driver`` and the names in ``where`` are checked against FIELDS above; values are bound.
    sql = (
        f"SELECT count(*) FROM (SELECT 1 FROM events e INDEXED BY events_live_{driver} "  # noqa: S608
        f"WHERE {' AND '.join(where)} LIMIT ?)"
    )
    rows = list(await conn.execute_fetchall(sql, [*params, cap + 1]))
    return int(rows[0][0]) if rows else 0


async def last_sync(db: Database) -> datetime | None:
    """When LL2 was last synced successfully (what /about shows), if ever."""
    value = await db.get_state(STATE_LAST_SYNC)
    return datetime.fromisoformat(value) if value else None


def search_sql(text: str, *, guild_id: int | None, limit: int) -> tuple[str, tuple[Any, ...]]:
    """The SQL and parameters of :func:`search_events` (exposed so a test can EXPLAIN it)."""
    # instr() on the stored folded name (bot.textfold.search_key, applied to the typed text too): no wildcard in
    # what was typed means anything, and no row is folded at query time. The name test still runs on every live
    # event visible here (no index serves "contains"); about 1 ms per 10,000 events.
    sql = (
        "SELECT e.id, e.name, (SELECT min(m.at_utc) FROM milestones m WHERE m.event_id = e.id "
        "AND m.removed_at IS NULL) AS next_at FROM events e "
        "WHERE e.gone_at IS NULL AND instr(e.name_key, ?) > 0 AND (e.guild_id IS NULL OR e.guild_id = ?) "
        "ORDER BY next_at, e.id LIMIT ?"
    )
    # guild_id None matches only global events: NULL = NULL is not true.
    return sql, (search_key(text.strip()), guild_id, limit)


async def search_events(db: Database, text: str, *, guild_id: int | None, limit: int = 25) -> list[tuple[int, str]]:
    """Live events visible here whose name contains ``text`` (any case or accents, any script), soonest next
    milestone first."""
    sql, params = search_sql(text, guild_id=guild_id, limit=limit)
    rows = await db.fetchall(sql, params)
    return [(int(r["id"]), str(r["name"])) for r in rows]


async def visible_event(db: Database, event_id: int, *, guild_id: int | None) -> StoredEvent | None:
    """One event by id if a reader here may see it (global, or this guild's own)."""
    async with db.read() as conn:
        found = await load_events_in(conn, "id = ?", (event_id,))
    if not found:
        return None
    stored = found[0]
    if stored.event.guild_id is not None and stored.event.guild_id != guild_id:
        return None
    return stored


async def histories(db: Database, milestone_ids: Sequence[int]) -> dict[int, list[HistoryEntry]]:
    """Every recorded value of each milestone, oldest first."""
    if not milestone_ids:
        return {}
    rows = await db.fetchall(
        "SELECT milestone_id, at_utc, precision, status, recorded_at FROM milestone_history "
        "WHERE milestone_id IN (SELECT value FROM json_each(?)) ORDER BY milestone_id, id",
        (json.dumps(list(milestone_ids)),),
    )
    out: dict[int, list[HistoryEntry]] = {mid: [] for mid in milestone_ids}
    for r in rows:
        out[int(r["milestone_id"])].append(
            HistoryEntry(
                from_epoch(r["at_utc"]),
                Precision(r["precision"]),
                EventStatus(r["status"]),
                from_epoch(r["recorded_at"]),
            )
        )
    return out


# How long saved filters outlive their last use. Buttons never time out, so no age is safe for every message;
# a month covers paging through a schedule for as long as anyone rereads it, and a press after that is told
# the page expired.
QUERY_KEEP = timedelta(days=30)
# A use is recorded only when the last one is older than this: a write moves total_changes(), which makes the
# next page recount the browse statistics, so a busy button must not write on every press.
QUERY_TOUCH = timedelta(days=1)


async def save_query(db: Database, key: str, spec: dict[str, Any], *, now: datetime) -> None:
    """Remember the filters behind a message's buttons under ``key`` (the same filters, the same key).

    Filters already saved write nothing unless their last use is a day old or more, so asking again does not
    count as a change of the data (which would make the next page recount its statistics).
    """
    stamp = to_epoch(now)
    await db.execute(
        "INSERT INTO browse_queries (key, spec, created_at, used_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET used_at = excluded.used_at WHERE used_at < ?",
        (key, json.dumps(spec, sort_keys=True), stamp, stamp, stamp - int(QUERY_TOUCH.total_seconds())),
    )


async def load_query(db: Database, key: str, *, now: datetime) -> dict[str, Any] | None:
    """The filters saved under ``key``, if any; reading them counts as a use (see :data:`QUERY_TOUCH`)."""
    row = await db.fetchone("SELECT spec, used_at FROM browse_queries WHERE key = ?", (key,))
    if row is None:
        return None
    stamp = to_epoch(now)
    if int(row["used_at"]) < stamp - int(QUERY_TOUCH.total_seconds()):
        # A prune in between deletes only rows a month idle, never this one just read: no race to guard.
        await db.execute("UPDATE browse_queries SET used_at = ? WHERE key = ?", (stamp, key))
    spec = json.loads(row["spec"])
    return spec if isinstance(spec, dict) else None


async def prune_queries(db: Database, *, now: datetime) -> int:
    """Forget filters nobody has used for longer than :data:`QUERY_KEEP`; returns how many were forgotten."""
    return await db.execute(
        "DELETE FROM browse_queries WHERE used_at < ?", (to_epoch(now) - int(QUERY_KEEP.total_seconds()),)
    )

"""Repository functions for events and milestones: upsert with change detection, and upcoming queries."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.db.database import Database
from bot.models import (
    PERIOD_SECONDS,
    Change,
    ChangeKind,
    Event,
    EventStatus,
    EventType,
    GoneReason,
    Milestone,
    MilestoneKind,
    Precision,
    Source,
    ensure_utc,
)
from bot.textfold import search_key

# Fields that describe an event but arm no alert: a change here is reported as DETAILS.
_DETAIL_FIELDS = (
    "type",
    "name",
    "guild_id",
    "mission_key",
    "provider",
    "provider_abbrev",
    "vehicle",
    "mission",
    "station",
    "location",
    "location_tz",
    "description",
    "image_url",
    "webcast_urls",
    "window_start",
    "window_end",
)


def period_end_sql(at: str = "m.at_utc", precision: str = "m.precision") -> str:
    """SQL for :func:`bot.models.period_end` over epoch-second columns (our column names, never user text)."""
    cases = " ".join(f"WHEN '{p.value}' THEN {seconds}" for p, seconds in PERIOD_SECONDS.items())
    return f"({at} + CASE {precision} {cases} ELSE 0 END)"


def to_epoch(value: datetime) -> int:
    """Aware datetime -> integer epoch seconds (the storage form of every instant)."""
    return int(ensure_utc(value).timestamp())


def from_epoch(value: int) -> datetime:
    """Stored epoch seconds -> aware UTC datetime."""
    return datetime.fromtimestamp(value, tz=UTC)


def _opt_epoch(value: datetime | None) -> int | None:
    return to_epoch(value) if value is not None else None


def _opt_dt(value: int | None) -> datetime | None:
    return from_epoch(value) if value is not None else None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored, with its database ids."""

    id: int
    feed: str
    event: Event
    milestone_ids: dict[MilestoneKind, int]
    gone_at: datetime | None
    first_seen: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UpcomingMilestone:
    """One row of an upcoming list: a milestone and the event it belongs to."""

    milestone_id: int
    milestone: Milestone
    stored: StoredEvent

    @property
    def event(self) -> Event:
        """The event the milestone belongs to."""
        return self.stored.event


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded value of a milestone."""

    at: datetime
    precision: Precision
    status: EventStatus
    recorded_at: datetime


def _event_columns(event: Event) -> dict[str, Any]:
    return {
        "type": event.type.value,
        "name": event.name,
        # What /launch searches: folded in Python (case, accents), since SQLite folds ASCII case only.
        "name_key": search_key(event.name),
        "status": event.status.value,
        "guild_id": event.guild_id,
        "mission_key": event.mission_key,
        "provider": event.provider,
        "provider_abbrev": event.provider_abbrev,
        "vehicle": event.vehicle,
        "mission": event.mission,
        "station": event.station,
        "location": event.location,
        "location_tz": event.location_tz,
        "description": event.description,
        "image_url": event.image_url,
        "webcast_urls": json.dumps(list(event.webcast_urls)),
        "window_start": _opt_epoch(event.window_start),
        "window_end": _opt_epoch(event.window_end),
        "last_updated": _opt_epoch(event.last_updated),
        "created_by": event.created_by,
    }


def row_to_event(row: aiosqlite.Row, milestones: Iterable[aiosqlite.Row]) -> StoredEvent:
    """A stored event from its row and its milestone rows (removed milestones are left out)."""
    ms = [m for m in milestones if m["removed_at"] is None]
    event = Event(
        source=Source(row["source"]),
        source_id=row["source_id"],
        type=EventType(row["type"]),
        name=row["name"],
        status=EventStatus(row["status"]),
        milestones=tuple(
            Milestone(MilestoneKind(m["kind"]), from_epoch(m["at_utc"]), Precision(m["precision"])) for m in ms
        ),
        guild_id=row["guild_id"],
        mission_key=row["mission_key"],
        provider=row["provider"],
        provider_abbrev=row["provider_abbrev"],
        vehicle=row["vehicle"],
        mission=row["mission"],
        station=row["station"],
        location=row["location"],
        location_tz=row["location_tz"],
        description=row["description"],
        image_url=row["image_url"],
        webcast_urls=tuple(json.loads(row["webcast_urls"])),
        window_start=_opt_dt(row["window_start"]),
        window_end=_opt_dt(row["window_end"]),
        last_updated=_opt_dt(row["last_updated"]),
        created_by=row["created_by"],
    )
    return StoredEvent(
        id=row["id"],
        feed=row["feed"],
        event=event,
        milestone_ids={MilestoneKind(m["kind"]): m["id"] for m in ms},
        gone_at=_opt_dt(row["gone_at"]),
        first_seen=from_epoch(row["first_seen"]),
        updated_at=from_epoch(row["updated_at"]),
    )


async def _load(conn: aiosqlite.Connection, where: str, params: Sequence[Any]) -> list[StoredEvent]:
    return (await _load_with_rows(conn, where, params))[0]


# Every milestone row of each loaded event, removed ones included (an upsert revives them), by event id.
_MilestoneRows = dict[int, dict[MilestoneKind, aiosqlite.Row]]


async def _load_with_rows(
    conn: aiosqlite.Connection, where: str, params: Sequence[Any]
) -> tuple[list[StoredEvent], _MilestoneRows]:
    # ``where`` is one of this module's fixed fragments (values go in ``params``), never caller text.
    async with conn.execute(f"SELECT * FROM events WHERE {where} ORDER BY id", params) as cur:  # noqa: S608
        rows = list(await cur.fetchall())
    if not rows:
        return [], {}
    ids = [r["id"] for r in rows]
    async with conn.execute(
        "SELECT * FROM milestones WHERE event_id IN (SELECT value FROM json_each(?)) ORDER BY event_id, kind",
        (json.dumps(ids),),
    ) as cur:
        by_event: dict[int, list[aiosqlite.Row]] = {}
        for m in await cur.fetchall():
            by_event.setdefault(m["event_id"], []).append(m)
    loaded = [row_to_event(r, by_event.get(r["id"], [])) for r in rows]
    return loaded, {i: {MilestoneKind(m["kind"]): m for m in ms} for i, ms in by_event.items()}


async def _record_history(
    conn: aiosqlite.Connection, milestone_id: int, m: Milestone, status: EventStatus, now: int
) -> None:
    await conn.execute(
        "INSERT INTO milestone_history (milestone_id, at_utc, precision, status, recorded_at) VALUES (?, ?, ?, ?, ?)",
        (milestone_id, to_epoch(m.at), m.precision.value, status.value, now),
    )


async def _insert(conn: aiosqlite.Connection, event: Event, feed: str, now: int) -> int:
    cols = _event_columns(event)
    cols.update(source=event.source.value, source_id=event.source_id, feed=feed, first_seen=now, updated_at=now)
    names = ", ".join(cols)
    marks = ", ".join(f":{k}" for k in cols)
    # Column names are the fixed keys of _event_columns; every value is a named parameter.
    cur = await conn.execute(f"INSERT INTO events ({names}) VALUES ({marks})", cols)  # noqa: S608
    event_id = cur.lastrowid
    assert event_id is not None
    for m in event.milestones:
        cur = await conn.execute(
            "INSERT INTO milestones (event_id, kind, at_utc, precision) VALUES (?, ?, ?, ?)",
            (event_id, m.kind.value, to_epoch(m.at), m.precision.value),
        )
        assert cur.lastrowid is not None
        await _record_history(conn, cur.lastrowid, m, event.status, now)
    return event_id


async def _update(
    conn: aiosqlite.Connection,
    old: StoredEvent,
    new: Event,
    feed: str,
    now: int,
    rows: dict[MilestoneKind, aiosqlite.Row],
) -> list[Change]:
    """Write ``new`` over ``old`` (whose milestone rows are ``rows``) and return what changed (nothing is written
    if nothing changed)."""
    changes: list[Change] = []

    def change(kind: ChangeKind, **kw: Any) -> None:
        changes.append(Change(kind, old.id, new.source, new.source_id, new.name, **kw))

    old_cols = _event_columns(old.event)
    new_cols = _event_columns(new)
    if old.gone_at is not None:
        change(ChangeKind.RETURNED)
    if old.event.status != new.status:
        change(ChangeKind.STATUS, old_status=old.event.status, new_status=new.status)
    detail_fields = tuple(f for f in _DETAIL_FIELDS if old_cols[f] != new_cols[f])
    if detail_fields:
        change(ChangeKind.DETAILS, fields=detail_fields)

    # Milestones: compare by kind. Rows of removed milestones are kept (see the schema) and revived.
    status_changed = old.event.status != new.status
    for m in new.milestones:
        row = rows.get(m.kind)
        at = to_epoch(m.at)
        if row is None:
            cur = await conn.execute(
                "INSERT INTO milestones (event_id, kind, at_utc, precision) VALUES (?, ?, ?, ?)",
                (old.id, m.kind.value, at, m.precision.value),
            )
            assert cur.lastrowid is not None
            await _record_history(conn, cur.lastrowid, m, new.status, now)
            change(ChangeKind.MILESTONE_ADDED, milestone=m.kind, new_at=m.at, new_precision=m.precision)
            continue
        prev = Milestone(m.kind, from_epoch(row["at_utc"]), Precision(row["precision"]))
        revived = row["removed_at"] is not None
        moved = row["at_utc"] != at
        reprecised = row["precision"] != m.precision.value
        if revived:
            change(ChangeKind.MILESTONE_ADDED, milestone=m.kind, new_at=m.at, new_precision=m.precision)
        elif moved or reprecised:
            change(
                ChangeKind.MOVED if moved else ChangeKind.PRECISION,
                milestone=m.kind,
                old_at=prev.at,
                new_at=m.at,
                old_precision=prev.precision,
                new_precision=m.precision,
            )
        if revived or moved or reprecised:
            await conn.execute(
                "UPDATE milestones SET at_utc = ?, precision = ?, removed_at = NULL WHERE id = ?",
                (at, m.precision.value, row["id"]),
            )
        if revived or moved or reprecised or status_changed:
            await _record_history(conn, row["id"], m, new.status, now)
    new_kinds = {m.kind for m in new.milestones}
    for kind, row in rows.items():
        if kind not in new_kinds and row["removed_at"] is None:
            await conn.execute("UPDATE milestones SET removed_at = ? WHERE id = ?", (now, row["id"]))
            change(ChangeKind.MILESTONE_REMOVED, milestone=kind, old_at=from_epoch(row["at_utc"]))

    if changes or old_cols != new_cols or old.feed != feed:
        sets = ", ".join(f"{k} = :{k}" for k in new_cols)
        # Fixed column names of _event_columns; every value is a named parameter.
        await conn.execute(
            f"UPDATE events SET {sets}, feed = :feed, gone_at = NULL, updated_at = :now WHERE id = :id",  # noqa: S608
            {**new_cols, "feed": feed, "now": now, "id": old.id},
        )
    return changes


async def upsert_events(
    db: Database,
    events: Sequence[Event],
    *,
    feed: str,
    now: datetime,
    complete: bool = True,
    source: Source | None = None,
) -> list[Change]:
    """Store ``events`` from one feed of one source and return exactly what changed.

    With ``complete=True`` the list is the feed's whole current content, so stored events of that feed that
    are missing from it are marked gone (a GONE change); pass ``complete=False`` for a partial update. All of
    it happens in one transaction: a failure leaves the database as it was. Upserting the same data twice
    returns no changes the second time.
    """
    async with db.transaction() as conn:
        return await upsert_in(conn, events, feed=feed, now=now, complete=complete, source=source)


async def upsert_in(
    conn: aiosqlite.Connection,
    events: Sequence[Event],
    *,
    feed: str,
    now: datetime,
    complete: bool = False,
    source: Source | None = None,
) -> list[Change]:
    """:func:`upsert_events` inside a transaction the caller holds (for read-check-write sequences)."""
    src = _one_source(events, source)
    if complete and src is None:
        raise ValueError("a complete upsert of an empty list needs source= to know what is gone")
    ids = sorted({e.source_id for e in events})
    # Load only what this upsert can touch: the incoming ids, plus the feed's rows when gone detection runs.
    where = f"source = ? AND (source_id IN ({','.join('?' * len(ids))})" + (" OR feed = ?)" if complete else ")")
    params: list[Any] = [src.value if src else "", *ids] + ([feed] if complete else [])
    loaded, rows = await _load_with_rows(conn, where, params)
    existing = {s.event.source_id: s for s in loaded}
    changes = await _apply(conn, events, existing, rows, feed=feed, stamp=to_epoch(now))
    if complete and src is not None:
        seen = set(ids)
        stamp = to_epoch(now)
        for source_id, old in existing.items():
            if old.feed == feed and old.gone_at is None and source_id not in seen:
                await conn.execute("UPDATE events SET gone_at = ?, updated_at = ? WHERE id = ?", (stamp, stamp, old.id))
                changes.append(
                    Change(
                        ChangeKind.GONE,
                        old.id,
                        old.event.source,
                        source_id,
                        old.event.name,
                        reason=GoneReason.UNKNOWN,
                    )
                )
    return changes


def _one_source(events: Sequence[Event], source: Source | None) -> Source | None:
    """The one source of an upsert's events (refusing a mix, or an id given twice)."""
    sources = {e.source for e in events} | ({source} if source else set())
    if len(sources) > 1:
        raise ValueError(f"one upsert takes events of one source, got {sorted(sources)}")
    seen: set[str] = set()
    for e in events:
        if e.source_id in seen:
            raise ValueError(f"event {e.source}:{e.source_id} appears twice in one upsert")
        seen.add(e.source_id)
    return sources.pop() if sources else None


async def _apply(
    conn: aiosqlite.Connection,
    events: Sequence[Event],
    existing: dict[str, StoredEvent],
    rows: _MilestoneRows,
    *,
    feed: str,
    stamp: int,
) -> list[Change]:
    changes: list[Change] = []
    for event in events:
        old = existing.get(event.source_id)
        if old is None:
            event_id = await _insert(conn, event, feed, stamp)
            changes.append(Change(ChangeKind.NEW, event_id, event.source, event.source_id, event.name))
        else:
            changes.extend(await _update(conn, old, event, feed, stamp, rows.get(old.id, {})))
    return changes


@dataclass(frozen=True, slots=True)
class FeedUpsert:
    """What :func:`upsert_feed` did: the changes, and every row it read as it was before (by source id)."""

    changes: list[Change]
    before: dict[str, StoredEvent]


async def upsert_feed(
    db: Database,
    *,
    source: Source,
    feed: str,
    now: datetime,
    build: Callable[[Mapping[str, StoredEvent]], Sequence[Event]],
) -> FeedUpsert:
    """Upsert a feed whose new content depends on what is stored, reading the feed once.

    In one transaction: load the feed's stored events (gone ones too), call ``build`` with them to make the
    events to store, load any of those stored under another feed, and upsert (``complete=False``: the caller
    decides what is gone). ``before`` lets the caller work out what is missing without reading the feed again.
    """
    async with db.transaction() as conn:
        loaded, rows = await _load_with_rows(conn, "source = ? AND feed = ?", (source.value, feed))
        before = {s.event.source_id: s for s in loaded}
        events = build(before)
        _one_source(events, source)  # refuses events of another source, or one id twice
        others = [e.source_id for e in events if e.source_id not in before]
        if others:
            marks = ",".join("?" * len(others))
            more, more_rows = await _load_with_rows(
                conn, f"source = ? AND source_id IN ({marks})", (source.value, *others)
            )
            before.update((s.event.source_id, s) for s in more)
            rows.update(more_rows)
        changes = await _apply(conn, events, before, rows, feed=feed, stamp=to_epoch(now))
    return FeedUpsert(changes, before)


async def mark_gone(
    db: Database,
    source: Source,
    source_id: str,
    *,
    now: datetime,
    status: EventStatus | None = None,
    reason: GoneReason = GoneReason.UNKNOWN,
) -> list[Change]:
    """Mark one event gone, saying why (and optionally give it a final status); returns the changes."""
    async with db.transaction() as conn:
        return await mark_gone_in(conn, source, source_id, now=now, status=status, reason=reason)


async def mark_gone_in(
    conn: aiosqlite.Connection,
    source: Source,
    source_id: str,
    *,
    now: datetime,
    status: EventStatus | None = None,
    reason: GoneReason = GoneReason.UNKNOWN,
) -> list[Change]:
    """:func:`mark_gone` inside a transaction the caller holds."""
    stamp = to_epoch(now)
    found = await _load(conn, "source = ? AND source_id = ?", (source.value, source_id))
    if not found or found[0].gone_at is not None:
        return []
    old = found[0]
    changes: list[Change] = []
    if status is not None and status != old.event.status:
        await conn.execute("UPDATE events SET status = ? WHERE id = ?", (status.value, old.id))
        changes.append(
            Change(
                ChangeKind.STATUS, old.id, source, source_id, old.event.name,
                old_status=old.event.status, new_status=status,
            )
        )  # fmt: skip
    await conn.execute("UPDATE events SET gone_at = ?, updated_at = ? WHERE id = ?", (stamp, stamp, old.id))
    changes.append(Change(ChangeKind.GONE, old.id, source, source_id, old.event.name, reason=reason))
    return changes


async def load_events_in(conn: aiosqlite.Connection, where: str, params: Sequence[Any]) -> list[StoredEvent]:
    """Stored events matching ``where`` (our SQL, never user text), inside a transaction the caller holds."""
    return await _load(conn, where, params)


async def get_event_by_source(db: Database, source: Source, source_id: str) -> StoredEvent | None:
    """One stored event by its source key."""
    async with db.read() as conn:
        found = await _load(conn, "source = ? AND source_id = ?", (source.value, source_id))
    return found[0] if found else None


async def events_in_feed(db: Database, source: Source, feed: str, *, include_gone: bool = False) -> list[StoredEvent]:
    """Every stored event of one feed of a source (e.g. LL2's "launches"), for a sync's own gone detection."""
    where = "source = ? AND feed = ?" + ("" if include_gone else " AND gone_at IS NULL")
    async with db.read() as conn:
        return await _load(conn, where, (source.value, feed))


async def feed_events_with_milestone_between(
    db: Database, source: Source, feed: str, kind: MilestoneKind, start: datetime, end: datetime
) -> list[StoredEvent]:
    """Live events of one feed whose ``kind`` milestone lies in [start, end]: only those rows are loaded."""
    where = (
        "source = ? AND feed = ? AND gone_at IS NULL AND id IN (SELECT event_id FROM milestones "
        "WHERE kind = ? AND removed_at IS NULL AND at_utc BETWEEN ? AND ?)"
    )
    async with db.read() as conn:
        return await _load(conn, where, (source.value, feed, kind.value, to_epoch(start), to_epoch(end)))


async def events_by_mission(db: Database, mission_key: str) -> list[StoredEvent]:
    """All events of one mission (e.g. a launch and its docking)."""
    async with db.read() as conn:
        return await _load(conn, "mission_key = ?", (mission_key,))


async def milestone_history(db: Database, milestone_id: int) -> list[HistoryEntry]:
    """Every recorded value of a milestone, oldest first."""
    rows = await db.fetchall(
        "SELECT at_utc, precision, status, recorded_at FROM milestone_history WHERE milestone_id = ? ORDER BY id",
        (milestone_id,),
    )
    return [
        HistoryEntry(
            from_epoch(r["at_utc"]),
            Precision(r["precision"]),
            EventStatus(r["status"]),
            from_epoch(r["recorded_at"]),
        )
        for r in rows
    ]


async def next_milestones(
    db: Database,
    *,
    now: datetime,
    limit: int = 10,
    kinds: Iterable[MilestoneKind] | None = None,
    event_types: Iterable[EventType] | None = None,
    providers: Iterable[str] | None = None,
    guild_id: int | None = None,
    include_gone: bool = False,
    include_final: bool = False,
) -> list[UpcomingMilestone]:
    """The next ``limit`` milestones at or after ``now``, soonest first.

    Global events are always visible; events scoped to a guild only when ``guild_id`` is that guild. Events the
    source no longer lists, and events with a final status (it happened), are left out unless asked for.
    A milestone stays upcoming until the period its precision names is over: a Day-precision "Feb 17" is still
    ahead at 10:00 on Feb 17 (see ``bot.models.period_end``).
    """
    stamp = to_epoch(now)
    where = [
        "m.removed_at IS NULL",
        # The first test keeps the at_utc index usable; the second applies each precision's own grace.
        f"m.at_utc >= ? AND {period_end_sql()} >= ?",
    ]
    params: list[Any] = [stamp - max(PERIOD_SECONDS.values()), stamp]
    if guild_id is None:
        where.append("e.guild_id IS NULL")
    else:
        where.append("(e.guild_id IS NULL OR e.guild_id = ?)")
        params.append(guild_id)
    if not include_gone:
        where.append("e.gone_at IS NULL")
    if not include_final:
        finals = [s.value for s in EventStatus if s.is_final]
        where.append(f"e.status NOT IN ({','.join('?' * len(finals))})")
        params.extend(finals)
    for column, values in (
        ("m.kind", [k.value for k in kinds] if kinds is not None else None),
        ("e.type", [t.value for t in event_types] if event_types is not None else None),
    ):
        if values is not None:
            where.append(f"{column} IN ({','.join('?' * len(values))})" if values else "0")
            params.extend(values)
    if providers is not None:
        lowered = [p.lower() for p in providers]
        where.append(f"lower(e.provider) IN ({','.join('?' * len(lowered))})" if lowered else "0")
        params.extend(lowered)
    # ``where`` holds only fixed fragments with ``?`` marks built above; every value is in ``params``.
    sql = (
        # CROSS JOIN keeps milestones the outer loop, read in time order from milestones_at until LIMIT rows
        # qualify. Without statistics SQLite otherwise starts from events_guild and sorts every milestone.
        # ``where`` holds only the fixed fragments with "?" marks built above; every value is in ``params``.
        "SELECT m.id AS mid, m.event_id FROM milestones m CROSS JOIN events e ON e.id = m.event_id "  # noqa: S608
        f"WHERE {' AND '.join(where)} ORDER BY m.at_utc, m.id LIMIT ?"
    )
    params.append(limit)
    async with db.read() as conn:
        async with conn.execute(sql, params) as cur:
            picks = [(r["mid"], r["event_id"]) for r in await cur.fetchall()]
        if not picks:
            return []
        ids = sorted({eid for _, eid in picks})
        events = {s.id: s for s in await _load(conn, f"id IN ({','.join('?' * len(ids))})", ids)}
    result: list[UpcomingMilestone] = []
    for mid, eid in picks:
        stored = events[eid]
        kind = next(k for k, i in stored.milestone_ids.items() if i == mid)
        milestone = stored.event.milestone(kind)
        assert milestone is not None
        result.append(UpcomingMilestone(mid, milestone, stored))
    return result


async def count_events(db: Database, *, visible_in: int | None = None, everything: bool = True) -> dict[str, int]:
    """Counts for summaries: live events by source, their milestones, subscriptions, pending deliveries.

    With ``everything=False`` only what one guild may see is counted: global events plus ``visible_in``'s own
    (a server must not learn how many events other servers entered), and no bot-wide alert counts: `/about`
    shows none, and at 100,000 subscriptions those two whole-table counts were most of its answer time.
    """
    params = {"guild": visible_in, "everything": int(everything)}
    counts: dict[str, int] = {}
    async with db.read() as conn:
        async with conn.execute(
            "SELECT source, count(*) AS n FROM events e WHERE gone_at IS NULL "
            "AND (:everything OR e.guild_id IS NULL OR e.guild_id = :guild) GROUP BY source",
            params,
        ) as cur:
            for row in await cur.fetchall():
                counts[f"events_{row['source']}"] = int(row["n"])
        queries: tuple[tuple[str, str], ...] = (
            (
                "milestones",
                "SELECT count(*) FROM milestones m JOIN events e ON e.id = m.event_id "
                "WHERE m.removed_at IS NULL AND e.gone_at IS NULL "
                "AND (:everything OR e.guild_id IS NULL OR e.guild_id = :guild)",
            ),
        )
        if everything:
            queries += (
                ("subscriptions", "SELECT count(*) FROM subscriptions WHERE active = 1"),
                ("deliveries_pending", "SELECT count(*) FROM deliveries WHERE state = 'pending'"),
            )
        for key, sql in queries:
            async with conn.execute(sql, params) as cur:
                one = await cur.fetchone()
            counts[key] = int(one[0]) if one else 0
    return counts

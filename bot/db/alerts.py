"""SQL of the alert engine: subscriptions, DM recipients, the deliveries outbox and the notices outbox."""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.alerts.rules import (
    MAX_SUBSCRIPTIONS,
    SMALL_MOVE_SECONDS,
    MilestoneFacts,
    PlannedAlert,
    Subscription,
    status_notice_reason,
)
from bot.db.channel_alerts import active_channel_subscriptions
from bot.db.database import Database
from bot.db.events import StoredEvent, load_events_in
from bot.exceptions import InputError
from bot.models import EventStatus, MilestoneKind, Precision


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    """A subscription with what /subscriptions shows of it."""

    rule: Subscription
    what: str  # liftoff, docking, ..., all, or "mission"
    label: str | None  # the mission's name for "Alert me" subscriptions


@dataclass(frozen=True, slots=True)
class RecipientState:
    """A DM recipient's switch and pause."""

    muted: bool = False
    paused_reason: str | None = None
    dm_channel_id: int | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the deliveries outbox, with what it takes to write the DM."""

    id: int
    recipient_id: int
    milestone_id: int
    lead: int
    target_at: int
    fire_at: int
    late: bool
    nonce: str
    attempts: int
    kind: MilestoneKind
    event_name: str
    precision: Precision
    channel_id: int | None = None
    message_id: int | None = None


@dataclass(frozen=True, slots=True)
class Notice:
    """One row of the notices outbox."""

    id: int
    recipient_id: int
    body: str
    nonce: str
    attempts: int


@dataclass(frozen=True, slots=True)
class SentAlert:
    """An alert already delivered, as the slip and status notices need it."""

    id: int
    recipient_id: int
    milestone_id: int
    event_id: int
    lead: int
    target_at: int
    channel_id: int
    message_id: int
    kind: MilestoneKind
    event_name: str
    precision: Precision
    current_at: int
    current_precision: Precision
    status: EventStatus
    # The event's first milestone (lowest id) and its time: what a status notice (hold, scrub, outcome) is
    # keyed by, so it is one row per recipient and event whichever of its milestones' alerts are still recent.
    first_milestone_id: int = 0
    first_at: int = 0


# Subscriptions ---------------------------------------------------------------------------------


# Every reconcile reads every subscription (100,000 at full size): the JSON columns repeat a handful of values
# (kinds, leads) or a few thousand (filters), so each distinct text is parsed once. The results are immutable.
@functools.lru_cache(maxsize=256)
def _kinds(text: str) -> frozenset[MilestoneKind]:
    return frozenset(MilestoneKind(k) for k in json.loads(text))


@functools.lru_cache(maxsize=256)
def _leads(text: str) -> tuple[int, ...]:
    return tuple(json.loads(text))


@functools.lru_cache(maxsize=8192)
def _filters(text: str) -> tuple[str, str | None, str | None, int | None, str | None]:
    """(what, match, mission_key, event_id, label)."""
    f = json.loads(text)
    return f.get("what", "all"), f.get("match"), f.get("mission_key"), f.get("event_id"), f.get("label")


def _subscription(row: aiosqlite.Row) -> StoredSubscription:
    what, match, mission_key, event_id, label = _filters(row["filters"])
    rule = Subscription(
        id=row["id"],
        owner_id=row["owner_id"],
        kinds=_kinds(row["kinds"]),
        leads=_leads(row["lead_seconds"]),
        created_at=row["created_at"],
        match=match,
        scope_guild_id=row["scope_guild_id"],
        mission_key=mission_key,
        event_id=event_id,
    )
    return StoredSubscription(rule, what, label)


async def add_subscription(
    db: Database,
    *,
    owner_id: int,
    what: str,
    kinds: Iterable[MilestoneKind],
    leads: Sequence[int],
    now: int,
    match: str | None = None,
    scope_guild_id: int | None = None,
    mission_key: str | None = None,
    event_id: int | None = None,
    label: str | None = None,
) -> StoredSubscription:
    """Store a DM subscription; refuses a 26th. Subscribing again also lifts a pause (DMs may be open now)."""
    filters: dict[str, Any] = {"what": what}
    for key, value in (("match", match), ("mission_key", mission_key), ("event_id", event_id), ("label", label)):
        if value is not None:
            filters[key] = value
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT count(*) FROM subscriptions WHERE owner_id = ? AND target = 'dm'", (owner_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is not None and row[0] >= MAX_SUBSCRIPTIONS:
            raise InputError(
                f"You already have {MAX_SUBSCRIPTIONS} subscriptions, the most allowed. Remove one with "
                "`/unsubscribe` or the Remove buttons of `/subscriptions` first."
            )
        cur = await conn.execute(
            "INSERT INTO subscriptions (owner_id, target, kinds, filters, lead_seconds, created_at, scope_guild_id) "
            "VALUES (?, 'dm', ?, ?, ?, ?, ?)",
            (
                owner_id,
                json.dumps(sorted(k.value for k in kinds)),
                json.dumps(filters, sort_keys=True),
                json.dumps(list(leads)),
                now,
                scope_guild_id,
            ),
        )
        sub_id = cur.lastrowid
        assert sub_id is not None
        await _upsert_recipient(conn, owner_id, now, "paused_reason = NULL, paused_at = NULL")
        async with conn.execute("SELECT * FROM subscriptions WHERE id = ?", (sub_id,)) as cur:
            stored = await cur.fetchone()
    assert stored is not None
    return _subscription(stored)


async def list_subscriptions(db: Database, owner_id: int) -> list[StoredSubscription]:
    """The user's own subscriptions, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM subscriptions WHERE owner_id = ? AND target = 'dm' ORDER BY id", (owner_id,)
    )
    return [_subscription(r) for r in rows]


async def remove_subscription(db: Database, owner_id: int, subscription_id: int) -> bool:
    """Delete the subscription if ``owner_id`` owns it; False when it is not theirs or no longer exists."""
    return (
        await db.execute(
            "DELETE FROM subscriptions WHERE id = ? AND owner_id = ? AND target = 'dm'", (subscription_id, owner_id)
        )
        > 0
    )


async def active_subscriptions(db: Database) -> list[Subscription]:
    """Every active subscription: DM ones, and channel alerts (issue 11) whose recipient is their channel."""
    rows = await db.fetchall(
        "SELECT id, owner_id, kinds, lead_seconds, created_at, filters, scope_guild_id FROM subscriptions "
        "WHERE active = 1 AND target = 'dm' ORDER BY id"
    )
    # Every reconcile reads them all (100,000 at full size): by position, straight to the rules' dataclass, in a
    # worker thread so that commands keep being answered meanwhile.
    dm = await asyncio.to_thread(_rules, rows)
    return dm + [c.rule for c in await active_channel_subscriptions(db)]


def _rules(rows: Iterable[Sequence[Any]]) -> list[Subscription]:
    return [
        Subscription(r[0], r[1], _kinds(r[2]), _leads(r[3]), r[4], f[1], r[6], f[2], f[3])
        for r in rows
        for f in (_filters(r[5]),)
    ]


# DM recipients ---------------------------------------------------------------------------------


async def _upsert_recipient(conn: aiosqlite.Connection, user_id: int, now: int, sets: str) -> None:
    await conn.execute(
        "INSERT INTO alert_recipients (user_id, updated_at) VALUES (?, ?) ON CONFLICT (user_id) DO NOTHING",
        (user_id, now),
    )
    await conn.execute(
        f"UPDATE alert_recipients SET {sets}, updated_at = ? WHERE user_id = ?",  # noqa: S608 - our own SQL
        (now, user_id),
    )


async def recipient_state(db: Database, user_id: int) -> RecipientState:
    """Muted? Paused, and why? The cached DM channel."""
    row = await db.fetchone("SELECT * FROM alert_recipients WHERE user_id = ?", (user_id,))
    if row is None:
        return RecipientState()
    return RecipientState(bool(row["muted"]), row["paused_reason"], row["dm_channel_id"])


async def set_muted(db: Database, user_id: int, muted: bool, now: int) -> None:
    """The Mute all / Unmute switch; unmuting also lifts a pause, as the user asked for alerts again."""
    async with db.transaction() as conn:
        lift = "" if muted else ", paused_reason = NULL, paused_at = NULL"
        await _upsert_recipient(conn, user_id, now, f"muted = {int(muted)}{lift}")


async def pause_recipient(db: Database, user_id: int, reason: str, now: int) -> None:
    """Stop alerting ``user_id`` (DMs closed) until they change something; the reason shows in /subscriptions."""
    async with db.transaction() as conn:
        await _upsert_recipient(conn, user_id, now, "muted = muted")
        await conn.execute(
            "UPDATE alert_recipients SET paused_reason = ?, paused_at = ? WHERE user_id = ?", (reason, now, user_id)
        )


async def silenced_users(db: Database) -> set[int]:
    """Users who muted their alerts or whose alerts are paused."""
    rows = await db.fetchall("SELECT user_id FROM alert_recipients WHERE muted = 1 OR paused_reason IS NOT NULL")
    return {int(r["user_id"]) for r in rows}


async def cache_dm_channel(db: Database, user_id: int, channel_id: int, now: int) -> None:
    """Remember the DM channel so the next DM costs one request."""
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO alert_recipients (user_id, dm_channel_id, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (user_id) DO UPDATE SET dm_channel_id = excluded.dm_channel_id, "
            "updated_at = excluded.updated_at",
            (user_id, channel_id, now),
        )


async def dm_channels(db: Database, user_ids: Iterable[int]) -> dict[int, int]:
    """Cached DM channels of these users."""
    rows = await _rows_with_ids_in(
        db,
        "SELECT user_id, dm_channel_id FROM alert_recipients WHERE dm_channel_id IS NOT NULL AND user_id IN ({marks})",
        user_ids,
    )
    return {int(r["user_id"]): int(r["dm_channel_id"]) for r in rows}


# Ids asked at a time in an IN list: far below SQLite's bound-parameter limit (999 in older builds).
IN_CHUNK = 500


async def _rows_with_ids_in(db: Database, select: str, ids: Iterable[int]) -> list[aiosqlite.Row]:
    """The rows of ``select`` (whose IN list is ``{marks}``) for every one of ``ids``, asked a chunk at a time."""
    unique = sorted(set(ids))
    rows: list[aiosqlite.Row] = []
    for start in range(0, len(unique), IN_CHUNK):
        chunk = unique[start : start + IN_CHUNK]
        # Only "?" marks, one per id of the chunk, go into the text; every value is bound.
        rows += await db.fetchall(select.format(marks=",".join("?" * len(chunk))), chunk)
    return rows


# Milestones as the rules see them ----------------------------------------------------------------

# When the milestone got its current time: the first history row of the last run of rows at that time.
_SINCE = """(
    SELECT min(h.recorded_at) FROM milestone_history h
    WHERE h.milestone_id = m.id AND h.at_utc = m.at_utc AND h.id > coalesce(
        (SELECT max(h2.id) FROM milestone_history h2 WHERE h2.milestone_id = m.id AND h2.at_utc <> m.at_utc), 0)
)"""


async def milestone_facts(db: Database, *, not_before: int, not_after: int | None = None) -> list[MilestoneFacts]:
    """Every live milestone from ``not_before`` (to ``not_after``, if given), with the event fields the rules read."""
    # _SINCE is a fixed SQL expression of this module; every value is bound.
    rows = await db.fetchall(
        f"SELECT m.id AS mid, m.event_id, m.kind, m.at_utc, m.precision, e.status, e.name, e.guild_id, "  # noqa: S608
        f"e.mission_key, e.provider, e.vehicle, e.mission, e.station, e.gone_at, e.first_seen, {_SINCE} AS since "
        "FROM milestones m JOIN events e ON e.id = m.event_id WHERE m.removed_at IS NULL AND m.at_utc >= ? "
        "AND m.at_utc <= ? ORDER BY m.at_utc, m.id",
        (not_before, 2**62 if not_after is None else not_after),
    )
    return [
        MilestoneFacts(
            milestone_id=r["mid"],
            event_id=r["event_id"],
            kind=MilestoneKind(r["kind"]),
            at=r["at_utc"],
            precision=Precision(r["precision"]),
            status=EventStatus(r["status"]),
            name=r["name"],
            since=r["since"] if r["since"] is not None else r["first_seen"],
            guild_id=r["guild_id"],
            mission_key=r["mission_key"],
            provider=r["provider"],
            vehicle=r["vehicle"],
            mission=r["mission"],
            station=r["station"],
            gone=r["gone_at"] is not None,
        )
        for r in rows
    ]


async def event_by_id(db: Database, event_id: int) -> StoredEvent | None:
    """One stored event by database id (the "Alert me" button carries it)."""
    async with db.read() as conn:
        found = await load_events_in(conn, "id = ?", (event_id,))
    return found[0] if found else None


async def match_suggestions(db: Database, current: str, *, guild_id: int | None, limit: int = 25) -> list[str]:
    """Provider, rocket, station and mission names containing ``current`` (for /subscribe's autocomplete)."""
    needle = f"%{current.casefold()}%"
    rows = await db.fetchall(
        "SELECT DISTINCT value FROM ("
        " SELECT provider AS value, guild_id, gone_at FROM events UNION ALL"
        " SELECT vehicle, guild_id, gone_at FROM events UNION ALL"
        " SELECT station, guild_id, gone_at FROM events UNION ALL"
        " SELECT mission, guild_id, gone_at FROM events"
        ") WHERE value IS NOT NULL AND gone_at IS NULL AND (guild_id IS NULL OR guild_id = ?)"
        " AND casefold(value) LIKE ? ORDER BY value LIMIT ?",
        (guild_id, needle, limit),
    )
    return [str(r["value"]) for r in rows]


# The deliveries outbox ------------------------------------------------------------------------


async def delivery_targets(db: Database, milestone_ids: Iterable[int]) -> dict[tuple[int, int, int], dict[int, str]]:
    """(recipient, milestone, lead) -> {time version: state} for the rows of these milestones."""
    rows = await _rows_with_ids_in(
        db,
        "SELECT recipient_id, milestone_id, lead_seconds, target_at, state FROM deliveries "
        "WHERE milestone_id IN ({marks})",
        milestone_ids,
    )
    found: dict[tuple[int, int, int], dict[int, str]] = {}
    for r in rows:
        key = (int(r["recipient_id"]), int(r["milestone_id"]), int(r["lead_seconds"]))
        found.setdefault(key, {})[int(r["target_at"])] = str(r["state"])
    return found


async def ll2_milestone_ids(db: Database, milestone_ids: Iterable[int]) -> set[int]:
    """Those of ``milestone_ids`` whose event comes from Launch Library 2 (not typed by hand)."""
    rows = await _rows_with_ids_in(
        db,
        "SELECT m.id FROM milestones m JOIN events e ON e.id = m.event_id WHERE e.source = 'll2' AND m.id IN ({marks})",
        milestone_ids,
    )
    return {int(r["id"]) for r in rows}


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A row to write before sending."""

    alert: PlannedAlert
    nonce: str
    state: str  # pending or missed
    late: bool


async def insert_deliveries(db: Database, rows: Sequence[NewDelivery], now: int) -> int:
    """Write outbox rows (a row already there is left alone); returns how many were new."""
    written = 0
    async with db.transaction() as conn:
        for start in range(0, len(rows), 500):
            params = [
                (
                    d.alert.recipient_id,
                    d.alert.subscription_id,
                    d.alert.milestone_id,
                    d.alert.lead,
                    d.alert.target_at,
                    d.alert.fire_at,
                    d.alert.subscribed_at,
                    d.state,
                    int(d.late),
                    d.nonce,
                    now,
                    now,
                )
                for d in rows[start : start + 500]
            ]
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO deliveries (recipient_id, subscription_id, milestone_id, lead_seconds, target_at, "
                "fire_at, subscribed_at, state, late, nonce, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                params,
            )
            written += conn.total_changes - before
    return written


async def drop_unplanned(
    db: Database, planned: Iterable[tuple[int, int, int, int]], fire_from: int, fire_until: int
) -> int:
    """Delete pending rows firing in the window that the plan no longer owes (unsubscribed, muted, on hold...)."""
    keep = set(planned)
    rows = await db.fetchall(
        "SELECT id, recipient_id, milestone_id, lead_seconds, target_at FROM deliveries "
        "WHERE state = 'pending' AND fire_at BETWEEN ? AND ?",
        (fire_from, fire_until),
    )
    doomed = [
        int(r["id"])
        for r in rows
        if (r["recipient_id"], r["milestone_id"], r["lead_seconds"], r["target_at"]) not in keep
    ]
    if doomed:
        async with db.transaction() as conn:
            await conn.executemany("DELETE FROM deliveries WHERE id = ? AND state = 'pending'", [(i,) for i in doomed])
    return len(doomed)


_DELIVERY_SELECT = (
    "SELECT d.*, m.kind, m.precision, e.name FROM deliveries d JOIN milestones m ON m.id = d.milestone_id "
    "JOIN events e ON e.id = m.event_id "
)


def _delivery(r: aiosqlite.Row) -> Delivery:
    return Delivery(
        id=r["id"],
        recipient_id=r["recipient_id"],
        milestone_id=r["milestone_id"],
        lead=r["lead_seconds"],
        target_at=r["target_at"],
        fire_at=r["fire_at"],
        late=bool(r["late"]),
        nonce=r["nonce"],
        attempts=r["attempts"],
        kind=MilestoneKind(r["kind"]),
        event_name=r["name"],
        precision=Precision(r["precision"]),
        channel_id=r["channel_id"],
        message_id=r["message_id"],
    )


async def pending_deliveries(db: Database, *, due_by: int) -> list[Delivery]:
    """Unsent alerts due by ``due_by``: by fire time, then earliest-subscribed first."""
    rows = await db.fetchall(
        _DELIVERY_SELECT + "WHERE d.state = 'pending' AND d.fire_at <= ? ORDER BY d.fire_at, d.subscribed_at, d.id",
        (due_by,),
    )
    return [_delivery(r) for r in rows]


async def mark_deliveries_sent(db: Database, confirmed: Sequence[tuple[int, int, int, int, bool]]) -> None:
    """Many confirmed sends at once: (delivery id, channel id, message id, when, whether its text said late).

    ``late`` is what the message said: a row planned on time but sent after an outage records it too, so the
    table agrees with what the recipient read."""
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE deliveries SET state = 'sent', channel_id = ?, message_id = ?, sent_at = ?, updated_at = ?, "
            "attempts = attempts + 1, last_error = NULL, late = MAX(late, ?) WHERE id = ?",
            [(channel, message, at, at, int(late), delivery) for delivery, channel, message, at, late in confirmed],
        )


async def note_delivery_attempt(db: Database, delivery_id: int, error: str, now: int, *, final: bool) -> None:
    """A send failed: count it, keep the error; ``final`` gives up on the row."""
    await db.execute(
        "UPDATE deliveries SET attempts = attempts + 1, last_error = ?, updated_at = ?, "
        "state = CASE WHEN ? THEN 'failed' ELSE state END WHERE id = ?",
        (error[:500], now, int(final), delivery_id),
    )


async def mark_missed(db: Database, delivery_ids: Iterable[int], now: int) -> None:
    """Pending rows whose milestone is over: recorded as missed, never sent."""
    async with db.transaction() as conn:
        await conn.executemany(
            "UPDATE deliveries SET state = 'missed', updated_at = ? WHERE id = ? AND state = 'pending'",
            [(now, i) for i in delivery_ids],
        )


_NOTICE_STATUSES = tuple(s.value for s in EventStatus if status_notice_reason(s) is not None)


async def sent_alerts(db: Database, *, sent_since: int) -> list[SentAlert]:
    """Alerts delivered since ``sent_since``, not superseded and not yet told their event's current status, with
    their milestone as it is now."""
    # Built only from fixed fragments of this module; every value is bound.
    rows = await db.fetchall(
        "SELECT d.*, m.kind, m.precision AS cur_precision, m.at_utc AS cur_at, e.name, e.status, e.id AS eid, "  # noqa: S608
        "f.id AS first_mid, f.at_utc AS first_at "
        "FROM deliveries d JOIN milestones m ON m.id = d.milestone_id JOIN events e ON e.id = m.event_id "
        "JOIN milestones f ON f.id = (SELECT MIN(id) FROM milestones WHERE event_id = e.id) "
        "WHERE d.state = 'sent' AND d.sent_at >= ? "
        # Only what a notice may be owed for: a move of a minute or more, or a status that ends the alerts.
        f"AND (abs(d.target_at - m.at_utc) >= ? OR e.status IN ({','.join('?' * len(_NOTICE_STATUSES))})) "
        # ... and not a status notice already written (keyed as bot.alerts.planner keys it: the status, or the
        # status @ the first milestone's time): every reconcile would only rebuild it for ON CONFLICT to drop it,
        # and reading every outcome of the notice window each time made the reconcile's peak memory (and with it
        # the process's resident size) grow for as long as the window takes to fill.
        "AND NOT EXISTS (SELECT 1 FROM alert_notices n WHERE n.recipient_id = d.recipient_id "
        "AND n.milestone_id = f.id AND n.key IN (e.status, e.status || '@' || f.at_utc)) "
        "ORDER BY d.recipient_id, d.milestone_id, d.id",
        (sent_since, SMALL_MOVE_SECONDS, *_NOTICE_STATUSES),
    )
    return [
        SentAlert(
            id=r["id"],
            recipient_id=r["recipient_id"],
            milestone_id=r["milestone_id"],
            event_id=r["eid"],
            lead=r["lead_seconds"],
            target_at=r["target_at"],
            channel_id=r["channel_id"],
            message_id=r["message_id"],
            kind=MilestoneKind(r["kind"]),
            event_name=r["name"],
            precision=Precision(r["cur_precision"]),
            current_at=r["cur_at"],
            current_precision=Precision(r["cur_precision"]),
            status=EventStatus(r["status"]),
            first_milestone_id=r["first_mid"],
            first_at=r["first_at"],
        )
        for r in rows
    ]


async def mark_superseded(db: Database, delivery_id: int, now: int) -> None:
    """The alert's message now says it was superseded."""
    await db.execute(
        "UPDATE deliveries SET state = 'superseded', updated_at = ? WHERE id = ? AND state = 'sent'", (now, delivery_id)
    )


async def deliveries_of(db: Database, recipient_id: int) -> list[aiosqlite.Row]:
    """Every outbox row of one recipient (for tests and the CLI)."""
    return await db.fetchall("SELECT * FROM deliveries WHERE recipient_id = ? ORDER BY fire_at, id", (recipient_id,))


# The notices outbox ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewNotice:
    """A notice to write before sending."""

    recipient_id: int
    milestone_id: int
    reason: str
    key: str
    body: str
    nonce: str


async def insert_notices(db: Database, notices: Sequence[NewNotice], now: int) -> int:
    """Write notice rows (one per recipient, milestone, reason and key); returns how many were new."""
    if not notices:
        return 0
    async with db.transaction() as conn:
        before = conn.total_changes
        await conn.executemany(
            "INSERT INTO alert_notices (recipient_id, milestone_id, reason, key, body, nonce, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [(n.recipient_id, n.milestone_id, n.reason, n.key, n.body, n.nonce, now, now) for n in notices],
        )
        return conn.total_changes - before


async def close_silenced_notices(db: Database, now: int) -> int:
    """Close, unsent, the pending notices of users who muted their alerts or whose alerts are paused; returns how
    many. Kept as rows (state 'failed', the reason in last_error) so that Unmute does not send them late."""
    return await db.execute(
        "UPDATE alert_notices SET state = 'failed', updated_at = ?, last_error = ("
        "SELECT CASE WHEN r.muted = 1 THEN 'not sent: alerts muted' "
        "ELSE 'not sent: alerts paused (' || r.paused_reason || ')' END "
        "FROM alert_recipients r WHERE r.user_id = alert_notices.recipient_id) "
        "WHERE state = 'pending' AND recipient_id IN "
        "(SELECT user_id FROM alert_recipients WHERE muted = 1 OR paused_reason IS NOT NULL)",
        (now,),
    )


async def pending_notices(db: Database) -> list[Notice]:
    """Notices not sent yet, oldest first."""
    rows = await db.fetchall("SELECT * FROM alert_notices WHERE state = 'pending' ORDER BY id")
    return [Notice(r["id"], r["recipient_id"], r["body"], r["nonce"], r["attempts"]) for r in rows]


async def mark_notice_sent(db: Database, notice_id: int, channel_id: int, message_id: int, now: int) -> None:
    """Discord confirmed the notice."""
    await db.execute(
        "UPDATE alert_notices SET state = 'sent', channel_id = ?, message_id = ?, updated_at = ?, "
        "attempts = attempts + 1 WHERE id = ?",
        (channel_id, message_id, now, notice_id),
    )


async def note_notice_attempt(db: Database, notice_id: int, error: str, now: int, *, final: bool) -> None:
    """A notice send failed."""
    await db.execute(
        "UPDATE alert_notices SET attempts = attempts + 1, last_error = ?, updated_at = ?, "
        "state = CASE WHEN ? THEN 'failed' ELSE state END WHERE id = ?",
        (error[:500], now, int(final), notice_id),
    )


async def notices_of(db: Database, recipient_id: int) -> list[aiosqlite.Row]:
    """Every notice row of one recipient (for tests)."""
    return await db.fetchall("SELECT * FROM alert_notices WHERE recipient_id = ? ORDER BY id", (recipient_id,))

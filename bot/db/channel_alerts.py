"""SQL of channel alerts: subscriptions whose recipient is a channel, their pause, and what a post needs."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import aiosqlite

from bot.alerts.rules import Subscription
from bot.channel_alerts import ChannelKind
from bot.db.database import Database
from bot.exceptions import InputError
from bot.models import MilestoneKind, Precision

MAX_PER_GUILD = 25


@dataclass(frozen=True, slots=True)
class ChannelSubscription:
    """A channel alert: the rule (its recipient, ``rule.owner_id``, is the channel) and where and whom it pings."""

    rule: Subscription
    added_by: int
    guild_id: int
    channel_id: int
    kind: ChannelKind
    role_id: int | None
    what: str
    paused_reason: str | None


def _row(r: aiosqlite.Row) -> ChannelSubscription:
    filters = json.loads(r["filters"])
    rule = Subscription(
        id=r["id"],
        owner_id=r["channel_id"],
        kinds=frozenset(MilestoneKind(k) for k in json.loads(r["kinds"])),
        leads=tuple(json.loads(r["lead_seconds"])),
        created_at=r["created_at"],
        match=filters.get("match"),
        scope_guild_id=r["guild_id"],
    )
    return ChannelSubscription(
        rule,
        r["owner_id"],
        r["guild_id"],
        r["channel_id"],
        ChannelKind(filters.get("channel_kind", "text")),
        r["role_id"],
        filters.get("what", "all"),
        r["paused_reason"],
    )


async def add_channel_subscription(
    db: Database,
    *,
    added_by: int,
    guild_id: int,
    channel_id: int,
    kind: ChannelKind,
    role_id: int | None,
    what: str,
    kinds: Iterable[MilestoneKind],
    leads: Sequence[int],
    match: str | None,
    now: int,
    limit: int | None = MAX_PER_GUILD,
) -> ChannelSubscription:
    """Store a channel alert; refuses more than ``limit`` in one server."""
    filters: dict[str, object] = {"what": what, "channel_kind": kind.value}
    if match is not None:
        filters["match"] = match
    async with db.transaction() as conn:
        async with conn.execute(
            "SELECT count(*) FROM subscriptions WHERE guild_id = ? AND target <> 'dm'", (guild_id,)
        ) as cur:
            row = await cur.fetchone()
        if limit is not None and row is not None and row[0] >= limit:
            raise InputError(
                f"This server has {limit} channel alerts, the most allowed. Remove one with `/alerts remove`."
            )
        cur = await conn.execute(
            "INSERT INTO subscriptions (owner_id, guild_id, target, channel_id, role_id, kinds, filters, lead_seconds, "
            "created_at, scope_guild_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (
                added_by,
                guild_id,
                "thread" if kind is ChannelKind.THREAD else "channel",
                channel_id,
                role_id,
                json.dumps(sorted(k.value for k in kinds)),
                json.dumps(filters, sort_keys=True),
                json.dumps(list(leads)),
                now,
                guild_id,
            ),
        )
        stored = await cur.fetchone()
    assert stored is not None
    return _row(stored)


async def guild_channel_subscriptions(db: Database, guild_id: int) -> list[ChannelSubscription]:
    """A server's channel alerts, oldest first."""
    rows = await db.fetchall(
        "SELECT * FROM subscriptions WHERE guild_id = ? AND target <> 'dm' ORDER BY id", (guild_id,)
    )
    return [_row(r) for r in rows]


async def active_channel_subscriptions(db: Database) -> list[ChannelSubscription]:
    """Every channel alert that is on (not paused)."""
    rows = await db.fetchall(
        "SELECT * FROM subscriptions WHERE target <> 'dm' AND active = 1 AND paused_reason IS NULL ORDER BY id"
    )
    return [_row(r) for r in rows]


async def remove_channel_subscription(db: Database, guild_id: int, subscription_id: int) -> bool:
    """Delete one of a server's channel alerts; False if it is not that server's."""
    return (
        await db.execute(
            "DELETE FROM subscriptions WHERE id = ? AND guild_id = ? AND target <> 'dm'", (subscription_id, guild_id)
        )
        > 0
    )


async def pause_channel(db: Database, channel_id: int, reason: str) -> list[int]:
    """Pause every channel alert posting in ``channel_id``; returns who added them (to be told)."""
    async with (
        db.transaction() as conn,
        conn.execute(
            "UPDATE subscriptions SET paused_reason = ? WHERE channel_id = ? AND target <> 'dm' "
            "AND paused_reason IS NULL RETURNING owner_id",
            (reason[:300], channel_id),
        ) as cur,
    ):
        rows = await cur.fetchall()
    return sorted({int(r["owner_id"]) for r in rows})


@dataclass(frozen=True, slots=True)
class PostFacts:
    """What a channel post needs beyond the outbox row."""

    mission: str  # the mission key, or 'event:<id>'
    role_id: int | None
    webcast: str | None
    title_milestone_id: int
    title_name: str
    title_at: int
    title_precision: Precision


async def post_facts(db: Database, delivery_id: int) -> PostFacts:
    """The role of the subscription that asked for this alert, the mission, its webcast and what its forum post
    is titled with (the mission's liftoff if it has one, else this milestone)."""
    row = await db.fetchone(
        "SELECT s.role_id, e.id AS eid, e.mission_key, e.webcast_urls, e.name, m.id AS mid, m.at_utc, m.precision "
        "FROM deliveries d JOIN milestones m ON m.id = d.milestone_id JOIN events e ON e.id = m.event_id "
        "LEFT JOIN subscriptions s ON s.id = d.subscription_id WHERE d.id = ?",
        (delivery_id,),
    )
    assert row is not None
    mission = row["mission_key"] or f"event:{row['eid']}"
    title = row
    if row["mission_key"]:
        liftoff = await db.fetchone(
            "SELECT e.name, m.id AS mid, m.at_utc, m.precision FROM milestones m JOIN events e ON e.id = m.event_id "
            "WHERE e.mission_key = ? AND m.kind = 'liftoff' AND m.removed_at IS NULL ORDER BY m.id LIMIT 1",
            (row["mission_key"],),
        )
        title = liftoff or row
    webcasts = json.loads(row["webcast_urls"])
    return PostFacts(
        mission,
        row["role_id"],
        webcasts[0] if webcasts else None,
        title["mid"],
        title["name"],
        title["at_utc"],
        Precision(title["precision"]),
    )


async def notice_mission(db: Database, milestone_id: int) -> str | None:
    """The mission a notice is about (to find its forum post)."""
    row = await db.fetchone(
        "SELECT e.id, e.mission_key FROM milestones m JOIN events e ON e.id = m.event_id WHERE m.id = ?",
        (milestone_id,),
    )
    return None if row is None else (row["mission_key"] or f"event:{row['id']}")


async def notice_milestone_id(db: Database, notice_id: int) -> int:
    """The milestone a notice is about."""
    row = await db.fetchone("SELECT milestone_id FROM alert_notices WHERE id = ?", (notice_id,))
    assert row is not None
    return int(row["milestone_id"])


async def alert_channel_ids(db: Database) -> set[int]:
    """Every channel that has (or had, paused) a channel alert: recipients that are not users."""
    rows = await db.fetchall("SELECT DISTINCT channel_id FROM subscriptions WHERE target <> 'dm'")
    return {int(r["channel_id"]) for r in rows}


async def first_role(db: Database, guild_id: int, channel_id: int) -> int | None:
    """The role the first alert set on a channel pings (for /alerts test), if any."""
    row = await db.fetchone(
        "SELECT role_id FROM subscriptions WHERE guild_id = ? AND channel_id = ? AND target <> 'dm' "
        "ORDER BY id LIMIT 1",
        (guild_id, channel_id),
    )
    return int(row["role_id"]) if row is not None and row["role_id"] is not None else None

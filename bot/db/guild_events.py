"""SQL of the Scheduled Events mirror: the per-guild switch, the links to Discord events, the candidates."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aiosqlite

from bot.db.database import Database
from bot.models import EventStatus, MilestoneKind, Precision


@dataclass(frozen=True, slots=True)
class Mirror:
    """One guild's /alerts events settings."""

    guild_id: int
    days: int
    what: str
    match: str | None
    enabled_by: int
    paused_reason: str | None


@dataclass(frozen=True, slots=True)
class Link:
    """A milestone mirrored in a guild (``discord_event_id`` None while its create is in flight)."""

    guild_id: int
    milestone_id: int
    discord_event_id: int | None
    start_at: int
    end_at: int
    fingerprint: str


@dataclass(frozen=True, slots=True)
class Candidate:
    """A milestone with what an external scheduled event shows of its event."""

    milestone_id: int
    kind: MilestoneKind
    at: int
    precision: Precision
    status: EventStatus
    gone: bool
    guild_id: int | None
    name: str
    provider: str | None
    vehicle: str | None
    mission: str | None
    station: str | None
    location: str | None
    description: str | None
    webcast_urls: tuple[str, ...]
    window_end: int | None
    image_url: str | None = None


async def set_mirror(
    db: Database, *, guild_id: int, days: int, what: str, match: str | None, enabled_by: int, now: int
) -> None:
    """Turn the mirror on (or change it); clears a pause."""
    await db.execute(
        "INSERT INTO guild_event_mirrors (guild_id, days, what, match, enabled_by, paused_reason, created_at, "
        "updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?) ON CONFLICT (guild_id) DO UPDATE SET days = excluded.days, "
        "what = excluded.what, match = excluded.match, enabled_by = excluded.enabled_by, paused_reason = NULL, "
        "updated_at = excluded.updated_at",
        (guild_id, days, what, match, enabled_by, now, now),
    )


async def remove_mirror(db: Database, guild_id: int) -> bool:
    """Turn the mirror off (its links stay until the reconcile deleted their events)."""
    return await db.execute("DELETE FROM guild_event_mirrors WHERE guild_id = ?", (guild_id,)) > 0


async def pause_mirror(db: Database, guild_id: int, reason: str, now: int) -> None:
    """Stop mirroring in a guild until an admin turns it on again."""
    await db.execute(
        "UPDATE guild_event_mirrors SET paused_reason = ?, updated_at = ? WHERE guild_id = ?", (reason, now, guild_id)
    )


def _mirror(row: aiosqlite.Row) -> Mirror:
    return Mirror(row["guild_id"], row["days"], row["what"], row["match"], row["enabled_by"], row["paused_reason"])


async def get_mirror(db: Database, guild_id: int) -> Mirror | None:
    """The guild's mirror settings, if on."""
    row = await db.fetchone("SELECT * FROM guild_event_mirrors WHERE guild_id = ?", (guild_id,))
    return _mirror(row) if row else None


async def mirrors(db: Database) -> list[Mirror]:
    """Every guild's mirror settings."""
    return [_mirror(r) for r in await db.fetchall("SELECT * FROM guild_event_mirrors ORDER BY guild_id")]


async def links(db: Database, guild_id: int | None = None) -> list[Link]:
    """Links of one guild, or of all guilds."""
    sql = "SELECT * FROM guild_event_links"
    params: tuple[int, ...] = ()
    if guild_id is not None:
        sql += " WHERE guild_id = ?"
        params = (guild_id,)
    rows = await db.fetchall(sql + " ORDER BY guild_id, start_at", params)
    return [
        Link(
            r["guild_id"],
            r["milestone_id"],
            r["discord_event_id"],
            r["start_at"],
            r["end_at"],
            r["fingerprint"],
        )
        for r in rows
    ]


async def guilds_with_links(db: Database) -> list[int]:
    """Guilds that still have mirrored events (also those whose mirror was turned off)."""
    rows = await db.fetchall("SELECT DISTINCT guild_id FROM guild_event_links ORDER BY guild_id")
    return [int(r["guild_id"]) for r in rows]


async def save_link(db: Database, link: Link, now: int) -> None:
    """Record (or update) what Discord was told for one milestone."""
    await db.execute(
        "INSERT INTO guild_event_links (guild_id, milestone_id, discord_event_id, start_at, end_at, fingerprint, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (guild_id, milestone_id) DO UPDATE SET "
        "discord_event_id = excluded.discord_event_id, start_at = excluded.start_at, end_at = excluded.end_at, "
        "fingerprint = excluded.fingerprint, updated_at = excluded.updated_at",
        (
            link.guild_id,
            link.milestone_id,
            link.discord_event_id,
            link.start_at,
            link.end_at,
            link.fingerprint,
            now,
            now,
        ),
    )


async def delete_link(db: Database, guild_id: int, milestone_id: int) -> None:
    """Forget a mirrored milestone (its Discord event is gone)."""
    await db.execute("DELETE FROM guild_event_links WHERE guild_id = ? AND milestone_id = ?", (guild_id, milestone_id))


async def candidates(db: Database, *, start: int, end: int) -> list[Candidate]:
    """Milestones between ``start`` and ``end`` plus those already linked (so slips and scrubs are seen)."""
    rows = await db.fetchall(
        "SELECT m.id AS mid, m.kind, m.at_utc, m.precision, m.removed_at, e.status, e.gone_at, e.guild_id, e.name, "
        "e.provider, e.vehicle, e.mission, e.station, e.location, e.description, e.webcast_urls, e.window_end, "
        "e.image_url "
        "FROM milestones m JOIN events e ON e.id = m.event_id "
        "WHERE (m.at_utc BETWEEN ? AND ?) OR m.id IN (SELECT milestone_id FROM guild_event_links) "
        "ORDER BY m.at_utc, m.id",
        (start, end),
    )
    return [
        Candidate(
            milestone_id=r["mid"],
            kind=MilestoneKind(r["kind"]),
            at=r["at_utc"],
            precision=Precision(r["precision"]),
            status=EventStatus(r["status"]),
            gone=r["gone_at"] is not None or r["removed_at"] is not None,
            guild_id=r["guild_id"],
            name=r["name"],
            provider=r["provider"],
            vehicle=r["vehicle"],
            mission=r["mission"],
            station=r["station"],
            location=r["location"],
            description=r["description"],
            webcast_urls=tuple(json.loads(r["webcast_urls"])),
            window_end=r["window_end"],
            image_url=r["image_url"],
        )
        for r in rows
    ]

"""SQL of digests: the schedules (one per DM owner or channel and cadence) and their outbox of runs."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.db.database import Database


@dataclass(frozen=True, slots=True)
class Digest:
    """One digest schedule."""

    id: int
    owner_id: int
    guild_id: int | None
    channel_id: int | None  # None: a DM to owner_id
    cadence: str  # 'daily' | 'weekly'
    weekday: int | None  # Monday 0
    local_time: str  # 'HH:MM'
    zone: str
    paused_reason: str | None
    created_at: int


@dataclass(frozen=True, slots=True)
class Run:
    """One digest owed for one slot (its outbox row)."""

    digest_id: int
    slot: int
    state: str
    nonce: str
    attempts: int


def _digest(r: aiosqlite.Row) -> Digest:
    return Digest(
        r["id"],
        r["owner_id"],
        r["guild_id"],
        r["channel_id"],
        r["cadence"],
        r["weekday"],
        r["local_time"],
        r["zone"],
        r["paused_reason"],
        r["created_at"],
    )


async def set_digest(
    db: Database,
    *,
    owner_id: int,
    guild_id: int | None,
    channel_id: int | None,
    cadence: str,
    weekday: int | None,
    local_time: str,
    zone: str,
    now: int,
) -> Digest:
    """Create or replace the digest of one target and cadence (a new time replaces the old one; unpauses)."""
    async with db.transaction() as conn:
        # The one it replaces: the owner's DM digest of that cadence, or the channel's (whoever set it).
        await conn.execute(
            "DELETE FROM digests WHERE cadence = :cadence AND "
            "(channel_id = :channel OR (:channel IS NULL AND channel_id IS NULL AND owner_id = :owner))",
            {"cadence": cadence, "channel": channel_id, "owner": owner_id},
        )
        cur = await conn.execute(
            "INSERT INTO digests (owner_id, guild_id, channel_id, cadence, weekday, local_time, zone, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (owner_id, guild_id, channel_id, cadence, weekday, local_time, zone, now, now),
        )
        row = await cur.fetchone()
        assert row is not None
        return _digest(row)


async def remove_digests(db: Database, *, owner_id: int, channel_id: int | None) -> int:
    """Remove every digest of a target (the user's DM digests, or one channel's); returns how many."""
    if channel_id is None:
        return await db.execute("DELETE FROM digests WHERE channel_id IS NULL AND owner_id = ?", (owner_id,))
    return await db.execute("DELETE FROM digests WHERE channel_id = ?", (channel_id,))


async def all_digests(db: Database) -> list[Digest]:
    """Every digest schedule."""
    return [_digest(r) for r in await db.fetchall("SELECT * FROM digests ORDER BY id")]


async def get_digest(db: Database, digest_id: int) -> Digest | None:
    """One digest schedule."""
    row = await db.fetchone("SELECT * FROM digests WHERE id = ?", (digest_id,))
    return _digest(row) if row else None


async def set_zone(db: Database, digest_id: int, zone: str, now: int) -> None:
    """The owner's zone changed: the digest follows it."""
    await db.execute("UPDATE digests SET zone = ?, updated_at = ? WHERE id = ?", (zone, now, digest_id))


async def pause_digest(db: Database, digest_id: int, reason: str, now: int) -> None:
    """Stop a digest that cannot be delivered until its owner sets it again."""
    await db.execute("UPDATE digests SET paused_reason = ?, updated_at = ? WHERE id = ?", (reason, now, digest_id))


async def add_run(db: Database, digest_id: int, slot: int, nonce: str, now: int) -> bool:
    """The outbox row of one slot, written before the send; False if it already exists (fired before)."""
    written = await db.execute(
        "INSERT OR IGNORE INTO digest_runs (digest_id, slot, nonce, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        (digest_id, slot, nonce, now, now),
    )
    return written > 0


async def pending_runs(db: Database) -> list[Run]:
    """Runs written but not yet confirmed sent, oldest first."""
    rows = await db.fetchall(
        "SELECT r.* FROM digest_runs r JOIN digests d ON d.id = r.digest_id "
        "WHERE r.state = 'pending' AND d.paused_reason IS NULL ORDER BY r.slot, r.digest_id"
    )
    return [Run(r["digest_id"], r["slot"], r["state"], r["nonce"], r["attempts"]) for r in rows]


async def has_run(db: Database, digest_id: int, slot: int) -> bool:
    """Was a run for this slot written?"""
    return (
        await db.fetchone("SELECT 1 FROM digest_runs WHERE digest_id = ? AND slot = ?", (digest_id, slot)) is not None
    )


async def mark_run_sent(db: Database, run: Run, channel_id: int, message_id: int, now: int) -> None:
    """Discord confirmed the message."""
    await db.execute(
        "UPDATE digest_runs SET state = 'sent', channel_id = ?, message_id = ?, attempts = attempts + 1, "
        "updated_at = ? WHERE digest_id = ? AND slot = ?",
        (channel_id, message_id, now, run.digest_id, run.slot),
    )


async def note_run_attempt(db: Database, run: Run, error: str, now: int, *, final: bool) -> None:
    """A send failed; ``final`` gives the run up."""
    await db.execute(
        "UPDATE digest_runs SET attempts = attempts + 1, last_error = ?, state = ?, updated_at = ? "
        "WHERE digest_id = ? AND slot = ?",
        (error, "failed" if final else "pending", now, run.digest_id, run.slot),
    )


async def runs_of(db: Database, digest_id: int) -> list[aiosqlite.Row]:
    """Every run of a digest (tests, the CLI)."""
    return await db.fetchall("SELECT * FROM digest_runs WHERE digest_id = ? ORDER BY slot", (digest_id,))

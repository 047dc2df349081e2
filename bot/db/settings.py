"""Per-user and per-guild settings rows."""

from __future__ import annotations

from datetime import datetime

from bot.db.database import Database
from bot.db.events import to_epoch


async def get_user_timezone(db: Database, user_id: int) -> str | None:
    """The IANA zone a user chose, if any."""
    row = await db.fetchone("SELECT timezone FROM user_settings WHERE user_id = ?", (user_id,))
    return row["timezone"] if row and row["timezone"] else None


async def set_user_timezone(db: Database, user_id: int, zone: str | None, *, now: datetime) -> None:
    """Store (or clear, with ``None``) a user's zone."""
    await db.execute(
        "INSERT INTO user_settings (user_id, timezone, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at",
        (user_id, zone, to_epoch(now)),
    )


async def get_guild_timezone(db: Database, guild_id: int) -> str | None:
    """The IANA zone a guild's admins chose, if any."""
    row = await db.fetchone("SELECT timezone FROM guild_settings WHERE guild_id = ?", (guild_id,))
    return row["timezone"] if row and row["timezone"] else None


async def set_guild_timezone(db: Database, guild_id: int, zone: str | None, *, now: datetime) -> None:
    """Store (or clear) a guild's zone."""
    await db.execute(
        "INSERT INTO guild_settings (guild_id, timezone, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (guild_id) DO UPDATE SET timezone = excluded.timezone, updated_at = excluded.updated_at",
        (guild_id, zone, to_epoch(now)),
    )


async def effective_timezone(db: Database, *, user_id: int, guild_id: int | None, default: str) -> str:
    """The zone to read a user's typed times in: theirs, else their guild's, else the bot's default."""
    zone = await get_user_timezone(db, user_id)
    if zone is None and guild_id is not None:
        zone = await get_guild_timezone(db, guild_id)
    return zone or default

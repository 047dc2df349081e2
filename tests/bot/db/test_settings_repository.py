"""Per-user and per-guild zones, and the order in which a typed time's zone is chosen."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.db import Database
from bot.db.settings import effective_timezone, set_guild_timezone, set_user_timezone

NOW = datetime(2024, 2, 14, tzinfo=UTC)


async def test_user_zone_wins_then_guild_zone_then_default(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:

        async def zone() -> str:
            return await effective_timezone(db, user_id=1, guild_id=10, default="UTC")

        assert await zone() == "UTC"
        await set_guild_timezone(db, 10, "Europe/Berlin", now=NOW)
        assert await zone() == "Europe/Berlin"
        assert await effective_timezone(db, user_id=1, guild_id=None, default="UTC") == "UTC"  # a DM
        await set_user_timezone(db, 1, "Asia/Tokyo", now=NOW)
        assert await zone() == "Asia/Tokyo"
        await set_user_timezone(db, 1, None, now=NOW)  # cleared: back to the guild's
        assert await zone() == "Europe/Berlin"

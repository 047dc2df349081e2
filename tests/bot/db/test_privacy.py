"""What the database holds about a user and ``forget_user`` (``/forget me``): everything, for that user only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.db import Database
from bot.db.privacy import PERSONAL_COLUMNS, forget_user, held_about
from bot.db.settings import set_user_timezone
from tests.e2e.dbdump import user_data_dump

NOW = datetime(2026, 11, 30, tzinfo=UTC)
ME, OTHER = 700000000000000001, 700000000000000002  # snowflake-sized, found nowhere by chance
SOURCE = {ME: "event-by-me", OTHER: "event-by-other"}
# Column names that hold a Discord user id, whatever table they are in.
USER_ID_COLUMN = re.compile(r"^(user_id|owner_id|created_by|recipient_id|author_id|member_id|.+_user_id|.+_by)$")


async def seed_user(db: Database, user: int) -> None:
    """A zone, DM settings, a DM subscription, two alerts and a notice to them, a server alert and an event."""
    await set_user_timezone(db, user, "Europe/Berlin", now=NOW)
    async with db.transaction() as conn:
        cur = await conn.execute(
            "INSERT INTO events (source, source_id, type, name, status, created_by, feed, first_seen, updated_at) "
            "VALUES ('manual', ?, 'docking', 'Docking', 'scheduled', ?, 'manual', 0, 0)",
            (SOURCE.get(user, f"event-{user % 9973}"), user),
        )
        event_id = cur.lastrowid
        cur = await conn.execute(
            "INSERT INTO milestones (event_id, kind, at_utc, precision) VALUES (?, 'docking', 2000000000, 'minute')",
            (event_id,),
        )
        milestone_id = cur.lastrowid
        await conn.execute("INSERT INTO subscriptions (owner_id, target, created_at) VALUES (?, 'dm', 0)", (user,))
        await conn.execute(
            "INSERT INTO subscriptions (owner_id, guild_id, target, channel_id, created_at) "
            "VALUES (?, 5, 'channel', 6, 0)",
            (user,),
        )
        for lead in (0, 600):
            await conn.execute(
                "INSERT INTO deliveries (recipient_id, milestone_id, lead_seconds, target_at, fire_at, subscribed_at, "
                "nonce, created_at, updated_at) VALUES (?, ?, ?, 2000000000, 2000000000, 0, ?, 0, 0)",
                (user, milestone_id, lead, f"n{user % 9973}-{lead}"),
            )
        await conn.execute(
            "INSERT INTO alert_notices (recipient_id, milestone_id, reason, key, body, nonce, created_at, updated_at) "
            "VALUES (?, ?, 'hold', 'h', 'On hold', ?, 0, 0)",
            (user, milestone_id, f"h{user % 9973}"),
        )
        await conn.execute(
            "INSERT INTO alert_recipients (user_id, dm_channel_id, updated_at) VALUES (?, 9, 0)", (user,)
        )


async def test_every_column_holding_a_user_id_is_known_to_forget(db: Database) -> None:
    found = set()
    for (table,) in await db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for column in await db.fetchall(f'PRAGMA table_info("{table}")'):
            if USER_ID_COLUMN.match(column["name"]):
                found.add((table, column["name"]))
    assert found == set(PERSONAL_COLUMNS), "a new column holds user ids: teach bot/db/privacy.py to forget it"


async def test_forget_removes_zone_dm_alerts_and_deliveries_and_strips_the_id_elsewhere(db: Database) -> None:
    await seed_user(db, ME)
    await seed_user(db, OTHER)
    others_before = [row for row in user_data_dump(db.path) if str(OTHER) in row]
    held = await held_about(db, ME)
    assert (held.settings, held.dm_subscriptions, held.deliveries, held.server_subscriptions, held.events_created) == (
        True, 1, 3, 1, 1,
    )  # fmt: skip
    assert await forget_user(db, ME) == held
    assert all(str(ME) not in row for row in user_data_dump(db.path))  # no trace of the id anywhere
    assert [row for row in user_data_dump(db.path) if str(OTHER) in row] == others_before
    assert (await held_about(db, ME)).nothing
    # The server's alert and the event stay, belonging to no one.
    assert await db.fetchall("SELECT id FROM subscriptions WHERE owner_id = 0 AND target = 'channel'")
    assert await db.fetchall("SELECT id FROM events WHERE source_id = ? AND created_by IS NULL", (SOURCE[ME],))
    assert (await forget_user(db, ME)).nothing  # a second time finds nothing


async def test_forgetting_no_one_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="no one"):
        await forget_user(db, 0)

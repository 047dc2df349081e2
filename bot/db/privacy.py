"""What the database holds about one user, and ``/forget me``: deleting it in one transaction.

``PERSONAL_COLUMNS`` names every column that holds a Discord user id; a test checks the schema against it, so a
table added later (alerts, digests) cannot hold user ids that ``forget_user`` does not know about.

What happens to each: the user's zone, their DM subscriptions, every alert and notice DMed (or due) to them
(the delivery history), their DM settings (DM channel, mute, pause) and their DM digests with every run of
them are deleted; what the user set up for a server belongs to the server and stays, with their id replaced by
0 (no one, so nobody is DMed if it later pauses): channel alerts, channel digests and the Scheduled Events
mirror; hand-entered events stay (they are the server's) without their creator's id.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.db.database import Database

# (table, column) of every user id the schema stores. 0 is the id of no one (Discord ids are never 0).
PERSONAL_COLUMNS = frozenset(
    {
        ("user_settings", "user_id"),
        ("subscriptions", "owner_id"),
        ("events", "created_by"),
        ("deliveries", "recipient_id"),
        ("alert_notices", "recipient_id"),
        ("alert_recipients", "user_id"),
        ("digests", "owner_id"),
        ("guild_event_mirrors", "enabled_by"),
    }
)


@dataclass(frozen=True, slots=True)
class Held:
    """How much the database holds about a user."""

    settings: bool  # a time zone or DM alert settings
    dm_subscriptions: int
    deliveries: int  # alerts, notices and digests DMed (or due) to them
    server_subscriptions: int
    events_created: int
    dm_digests: int
    server_setups: int  # channel digests and Scheduled Events mirrors they set up

    @property
    def nothing(self) -> bool:
        """Whether there is nothing to forget."""
        return not (
            self.settings
            or self.dm_subscriptions
            or self.deliveries
            or self.server_subscriptions
            or self.events_created
            or self.dm_digests
            or self.server_setups
        )


_HELD_SQL = (
    "SELECT "
    "(SELECT count(*) FROM user_settings WHERE user_id = :u) "
    " + (SELECT count(*) FROM alert_recipients WHERE user_id = :u), "
    "(SELECT count(*) FROM subscriptions WHERE owner_id = :u AND target = 'dm'), "
    "(SELECT count(*) FROM deliveries WHERE recipient_id = :u) "
    " + (SELECT count(*) FROM alert_notices WHERE recipient_id = :u) "
    " + (SELECT count(*) FROM digest_runs WHERE digest_id IN "
    "    (SELECT id FROM digests WHERE owner_id = :u AND channel_id IS NULL)), "
    "(SELECT count(*) FROM subscriptions WHERE owner_id = :u AND target <> 'dm'), "
    "(SELECT count(*) FROM events WHERE created_by = :u), "
    "(SELECT count(*) FROM digests WHERE owner_id = :u AND channel_id IS NULL), "
    "(SELECT count(*) FROM digests WHERE owner_id = :u AND channel_id IS NOT NULL) "
    " + (SELECT count(*) FROM guild_event_mirrors WHERE enabled_by = :u)"
)


async def _held_in(conn: aiosqlite.Connection, user_id: int) -> Held:
    async with conn.execute(_HELD_SQL, {"u": user_id}) as cur:
        row = await cur.fetchone()
    assert row is not None
    return Held(bool(row[0]), int(row[1]), int(row[2]), int(row[3]), int(row[4]), int(row[5]), int(row[6]))


async def held_about(db: Database, user_id: int) -> Held:
    """Count what the database holds about ``user_id`` (shown before ``/forget me`` is confirmed)."""
    async with db.read() as conn:
        return await _held_in(conn, user_id)


async def forget_user(db: Database, user_id: int) -> Held:
    """Delete (or, where a row belongs to a server, strip the id from) everything about ``user_id``, in one
    transaction; returns what there was (counted in the same transaction)."""
    if user_id == 0:
        raise ValueError("0 is the id of no one")
    params = {"u": user_id}
    async with db.transaction() as conn:
        held = await _held_in(conn, user_id)
        await conn.execute("DELETE FROM deliveries WHERE recipient_id = :u", params)
        await conn.execute("DELETE FROM alert_notices WHERE recipient_id = :u", params)
        await conn.execute("DELETE FROM alert_recipients WHERE user_id = :u", params)
        await conn.execute("DELETE FROM subscriptions WHERE owner_id = :u AND target = 'dm'", params)
        await conn.execute("UPDATE subscriptions SET owner_id = 0 WHERE owner_id = :u", params)
        await conn.execute("DELETE FROM user_settings WHERE user_id = :u", params)
        await conn.execute("UPDATE events SET created_by = NULL WHERE created_by = :u", params)
        # A DM digest's runs name its DM channel: deleted with it (explicitly, not only by the cascade).
        await conn.execute(
            "DELETE FROM digest_runs WHERE digest_id IN "
            "(SELECT id FROM digests WHERE owner_id = :u AND channel_id IS NULL)",
            params,
        )
        await conn.execute("DELETE FROM digests WHERE owner_id = :u AND channel_id IS NULL", params)
        await conn.execute("UPDATE digests SET owner_id = 0 WHERE owner_id = :u", params)
        await conn.execute("UPDATE guild_event_mirrors SET enabled_by = 0 WHERE enabled_by = :u", params)
    return held

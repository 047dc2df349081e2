"""What the database holds about a user and ``forget_user`` (``/forget me``): everything, for that user only."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.channel_alerts import ChannelKind
from bot.db import Database
from bot.db.channel_alerts import add_channel_subscription
from bot.db.digests import add_run, set_digest
from bot.db.guild_events import set_mirror
from bot.db.privacy import PERSONAL_COLUMNS, forget_user, held_about
from bot.db.settings import set_user_timezone
from bot.models import MilestoneKind
from tests.e2e.dbdump import user_data_dump

NOW = datetime(2026, 11, 30, tzinfo=UTC)
ME, OTHER = 700000000000000001, 700000000000000002  # snowflake-sized, found nowhere by chance
SOURCE = {ME: "event-by-me", OTHER: "event-by-other"}
# Column names that hold a Discord user id, whatever table they are in.
USER_ID_COLUMN = re.compile(r"^(user_id|owner_id|created_by|recipient_id|author_id|member_id|.+_user_id|.+_by)$")


async def seed_user(db: Database, user: int) -> None:
    """A zone, DM settings, a DM subscription, two alerts and a notice to them, a server alert and an event; a DM
    digest sent once, a channel digest, a channel alert (issue 11's /alerts add) and a Scheduled Events mirror
    this user set up."""
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
    place = user % 9973  # each user's own server and channels, so two seeded users never collide
    dm = await set_digest(
        db, owner_id=user, guild_id=None, channel_id=None, cadence="daily", weekday=None, local_time="08:00",
        zone="Europe/Berlin", now=0,
    )  # fmt: skip
    assert await add_run(db, dm.id, 1_000_000_000, f"d{place}", 0)
    await set_digest(
        db, owner_id=user, guild_id=place, channel_id=place + 1, cadence="weekly", weekday=0, local_time="09:30",
        zone="UTC", now=0,
    )  # fmt: skip
    await add_channel_subscription(
        db, added_by=user, guild_id=place, channel_id=place + 2, kind=ChannelKind.TEXT, role_id=place + 3,
        what="liftoff", kinds=[MilestoneKind.LIFTOFF], leads=[600], match=None, now=0,
    )  # fmt: skip
    await set_mirror(db, guild_id=place, days=7, what="launches", match=None, enabled_by=user, now=0)


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
    counts = (held.settings, held.dm_subscriptions, held.deliveries, held.server_subscriptions, held.events_created)
    assert counts == (True, 1, 4, 2, 1)  # two alerts, a notice and a digest DMed; two server alerts
    assert (held.dm_digests, held.server_setups) == (1, 2)  # a channel digest and the mirror
    assert await forget_user(db, ME) == held
    assert all(str(ME) not in row for row in user_data_dump(db.path))  # no trace of the id anywhere
    assert [row for row in user_data_dump(db.path) if str(OTHER) in row] == others_before
    assert (await held_about(db, ME)).nothing
    # The server's alerts, channel digest, mirror and the event stay, belonging to no one; the DM digest and its
    # run are gone, the other user's are not.
    assert len(await db.fetchall("SELECT id FROM subscriptions WHERE owner_id = 0 AND target = 'channel'")) == 2
    assert await db.fetchall("SELECT id FROM digests WHERE owner_id = 0 AND channel_id = ?", (ME % 9973 + 1,))
    assert await db.fetchall("SELECT guild_id FROM guild_event_mirrors WHERE enabled_by = 0")
    assert not await db.fetchall("SELECT id FROM digests WHERE owner_id = 0 AND channel_id IS NULL")
    assert len(await db.fetchall("SELECT * FROM digest_runs")) == 1  # OTHER's
    assert await db.fetchall("SELECT id FROM events WHERE source_id = ? AND created_by IS NULL", (SOURCE[ME],))
    assert (await forget_user(db, ME)).nothing  # a second time finds nothing


async def test_forgetting_no_one_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="no one"):
        await forget_user(db, 0)

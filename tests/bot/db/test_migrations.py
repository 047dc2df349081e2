"""Migrations: an empty file and a file at every older version all reach the newest schema, identically."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path

import pytest

from bot.db import Database, DatabaseError, SchemaTooNewError
from bot.db import database as database_module
from bot.db.database import latest_version, migrations


def schema_of(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
        ).fetchall()
    return [(t, n, s or "") for t, n, s in rows]


def test_migration_files_are_numbered_without_gaps() -> None:
    versions = [v for v, _, _ in migrations()]
    assert versions == list(range(1, len(versions) + 1))
    assert latest_version() == len(versions) >= 1


async def test_empty_database_migrates_to_newest(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "t.sqlite3"
    async with Database(path) as db:
        assert await db.version() == latest_version()
        row = await db.fetchone("PRAGMA journal_mode")
        assert row is not None
        assert row[0] == "wal"
        row = await db.fetchone("PRAGMA foreign_keys")
        assert row is not None
        assert row[0] == 1
    assert {n for t, n, _ in schema_of(path) if t == "table"} >= {
        "events",
        "milestones",
        "milestone_history",
        "subscriptions",
        "deliveries",
        "user_settings",
        "guild_settings",
        "bot_state",
    }


@pytest.mark.parametrize("start", range(latest_version()))
async def test_every_older_version_migrates_to_newest(tmp_path: Path, start: int) -> None:
    fresh = tmp_path / "fresh.sqlite3"
    async with Database(fresh):
        pass
    old = tmp_path / "old.sqlite3"
    db = Database(old)
    await db.connect(migrate=False)
    assert await db.migrate(target=start) == start
    if start >= 1:
        # Data written at the old version survives the upgrade.
        await db.set_state("marker", f"written at v{start}")
    await db.close()

    async with Database(old) as db:
        assert await db.version() == latest_version()
        if start >= 1:
            assert await db.get_state("marker") == f"written at v{start}"
    assert schema_of(old) == schema_of(fresh)


async def test_reopening_is_a_no_op(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    async with Database(path) as db:
        await db.set_state("k", "v")
    before = schema_of(path)
    async with Database(path) as db:
        assert await db.get_state("k") == "v"
    assert schema_of(path) == before


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    with pytest.raises(SchemaTooNewError, match=r"schema version \d+, but this T-Minus knows only up to"):
        await Database(path).connect()


async def test_failed_migration_leaves_no_half_written_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = migrations()
    broken = [*good, (len(good) + 1, f"{len(good) + 1:04d}_broken.sql", "CREATE TABLE half (x);\nNOT SQL AT ALL;")]
    monkeypatch.setattr(database_module, "migrations", lambda: broken)
    path = tmp_path / "t.sqlite3"
    db = Database(path)
    with pytest.raises(DatabaseError, match=r"broken\.sql failed"):
        await db.connect()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(good)
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'half'").fetchone()[0] == 0


async def test_unwritable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(DatabaseError, match="cannot open database"):
        await Database(blocker / "t.sqlite3").connect()


async def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:

        async def write_then_fail() -> None:
            async with db.transaction() as conn:
                await conn.execute("INSERT INTO bot_state (key, value) VALUES ('a', '1')")
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await write_then_fail()
        assert await db.get_state("a") is None


async def test_using_the_database_inside_its_own_transaction_raises_instead_of_hanging(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:

        async def nested() -> None:
            async with db.transaction():
                await db.get_state("x")

        with pytest.raises(RuntimeError, match="inside its own transaction"):
            await asyncio.wait_for(nested(), timeout=5)
        await db.set_state("still", "usable")
        assert await db.get_state("still") == "usable"


async def test_cancelling_tasks_mid_transaction_leaves_the_database_usable(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        # Cancel at every point a task can be at: waiting for the lock, in BEGIN, mid-write, in COMMIT.
        for delay in (0, 0, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005):
            task = asyncio.create_task(db.set_state("k", str(delay)))
            await asyncio.sleep(delay)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await db.set_state("probe", str(delay))  # would fail with "cannot start a transaction within a transaction"
            assert await db.get_state("probe") == str(delay)


async def test_close_runs_pragma_optimize_so_the_planner_gets_statistics(tmp_path: Path) -> None:
    from bot.db.events import next_milestones
    from tests.bot import browse_data

    path = tmp_path / "opt.sqlite3"
    async with Database(path) as db:
        await browse_data.seed(db, guild_id=1)
        assert await db.fetchall("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'") == []
        await next_milestones(db, now=browse_data.NOW, providers=["SpaceX"])
    async with Database(path) as db:
        analysed = {r["tbl"] for r in await db.fetchall("SELECT tbl FROM sqlite_stat1")}
    assert "events" in analysed


async def test_deliveries_key_is_recipient_milestone_lead_and_time_version(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await db.execute(
            "INSERT INTO events (id, source, source_id, feed, type, name, status, first_seen, updated_at) "
            "VALUES (1, 'll2', 'x', 'launches', 'launch', 'X', 'go', 0, 0)"
        )
        await db.execute(
            "INSERT INTO milestones (id, event_id, kind, at_utc, precision) VALUES (1, 1, 'liftoff', 9, 'minute')"
        )
        insert = (
            "INSERT INTO deliveries (recipient_id, milestone_id, lead_seconds, target_at, fire_at, subscribed_at, "
            "nonce, created_at, updated_at) VALUES (7, 1, 60, ?, 0, 0, ?, 0, 0)"
        )
        await db.execute(insert, (1000, "a"))
        await db.execute(insert, (2000, "b"))  # the same lead after a slip: armed again
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(insert, (2000, "c"))
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute(insert, (3000, "x" * 26))  # a nonce Discord would refuse

"""Another process holding the database's write lock: the bot waits it out (retry with backoff, logged once
per episode); a CLI command gives up after its documented wait with a one-line DatabaseBusyError."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.config import Settings
from bot.db import Database, DatabaseBusyError
from bot.db.database import latest_version
from bot.ll2.sync import DirectoryFetcher, LL2Options, LL2Sync
from tests.bot.ll2.conftest import FIXTURE_NOW
from tests.cli_faults import WriteLockHolder, integrity_ok
from tests.fakell2.server import DATA


async def _release_after(holder: WriteLockHolder, seconds: float) -> None:
    await asyncio.sleep(seconds)
    await asyncio.to_thread(holder.release)


async def test_the_bot_retries_a_busy_database_and_logs_the_episode_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.sqlite3"
    async with Database(path, busy_timeout=0.05, retry_busy=True) as db:
        caplog.set_level(logging.WARNING, logger="bot.db.database")
        with WriteLockHolder(path) as holder:
            release = asyncio.create_task(_release_after(holder, 0.8))
            await db.set_state("written", "after the wait")  # many tries at 0.05 s each: one warning
            await release
        assert await db.get_state("written") == "after the wait"
        busy = [r for r in caplog.records if "is busy" in r.getMessage()]
        recovered = [r for r in caplog.records if "usable again" in r.getMessage()]
        assert len(busy) == 1
        assert len(recovered) == 1
        # A second episode is logged again, once.
        with WriteLockHolder(path) as holder:
            release = asyncio.create_task(_release_after(holder, 0.3))
            await db.set_state("again", "yes")
            await release
        assert len([r for r in caplog.records if "is busy" in r.getMessage()]) == 2
    assert integrity_ok(path)


async def test_a_cli_database_gives_up_after_its_busy_timeout_naming_who_may_hold_it(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    async with Database(path, busy_timeout=0.2) as db:
        with WriteLockHolder(path), pytest.raises(DatabaseBusyError) as caught:
            await db.set_state("k", "v")
        assert "the running bot, or another sync or CLI command" in str(caught.value)
        assert "\n" not in str(caught.value)
        await db.set_state("k", "v")  # usable again once the other process is done
        assert await db.get_state("k") == "v"
    assert integrity_ok(path)


async def test_the_sync_loop_waits_out_a_busy_database_instead_of_failing(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    settings = Settings(db_path=path, _env_file=None)  # type: ignore[call-arg]
    async with Database(path, busy_timeout=0.05, retry_busy=True) as db:
        sync = LL2Sync(
            db, None, settings, None, now=lambda: FIXTURE_NOW, options=LL2Options(fetch_details=False),
            fetcher=DirectoryFetcher(DATA),
        )  # fmt: skip
        with WriteLockHolder(path) as holder:
            release = asyncio.create_task(_release_after(holder, 0.5))
            await sync.step()
            await release
        assert sync.failures == 0
        assert sync.last_report is not None
        assert sync.last_report.ok, sync.last_report.summary()
    assert integrity_ok(path)


async def _older_file(path: Path) -> None:
    """A database one schema version behind: starting the bot on it runs a migration."""
    old = Database(path)
    await old.connect(migrate=False, check_writable=False)
    await old.migrate(target=latest_version() - 1)
    await old.close()


async def test_the_bots_start_up_waits_out_a_busy_database_before_migrating(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "t.sqlite3"
    await _older_file(path)
    caplog.set_level(logging.WARNING, logger="bot.db.database")
    db = Database(path, busy_timeout=0.05, retry_busy=True)
    with WriteLockHolder(path) as holder:
        release = asyncio.create_task(_release_after(holder, 0.8))
        assert await db.connect() == latest_version()  # many tries at 0.05 s each, then the migration
        await release
    await db.close()
    assert len([r for r in caplog.records if "is busy" in r.getMessage()]) == 1
    assert len([r for r in caplog.records if "usable again" in r.getMessage()]) == 1
    assert integrity_ok(path)


async def test_a_cli_migration_on_a_busy_database_gives_up_after_its_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    await _older_file(path)
    db = Database(path, busy_timeout=0.2)
    with WriteLockHolder(path), pytest.raises(DatabaseBusyError):
        await db.connect()
    async with Database(path) as again:  # nothing half-applied: the migration runs whole once the lock is free
        assert await again.version() == latest_version()
    assert integrity_ok(path)

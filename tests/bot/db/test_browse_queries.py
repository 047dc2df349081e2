"""The filters saved behind browsing buttons: a row is kept while its buttons are used, pruned after a month idle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.db import Database
from bot.db.browse import QUERY_KEEP, load_query, prune_queries, save_query

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SPEC = {"provider": "spacex"}


async def _keys(db: Database) -> list[str]:
    return [str(r["key"]) for r in await db.fetchall("SELECT key FROM browse_queries ORDER BY key")]


async def test_filters_nobody_used_for_longer_than_the_keep_age_are_pruned(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await save_query(db, "aaaaaaaaaaaaaaaa", SPEC, now=NOW)
        await save_query(db, "bbbbbbbbbbbbbbbb", {"provider": "rocket lab"}, now=NOW + timedelta(days=10))
        assert await prune_queries(db, now=NOW + QUERY_KEEP) == 0  # exactly the keep age: still kept
        assert await prune_queries(db, now=NOW + QUERY_KEEP + timedelta(days=1)) == 1
        assert await _keys(db) == ["bbbbbbbbbbbbbbbb"]


async def test_a_button_reading_its_filters_keeps_them_from_being_pruned(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await save_query(db, "aaaaaaaaaaaaaaaa", SPEC, now=NOW)
        assert await load_query(db, "aaaaaaaaaaaaaaaa", now=NOW + timedelta(days=25)) == SPEC
        assert await prune_queries(db, now=NOW + timedelta(days=45)) == 0
        assert await load_query(db, "aaaaaaaaaaaaaaaa", now=NOW + timedelta(days=45)) == SPEC
        assert await prune_queries(db, now=NOW + timedelta(days=25) + QUERY_KEEP + timedelta(days=1)) == 0
        assert await prune_queries(db, now=NOW + timedelta(days=45) + QUERY_KEEP + timedelta(days=1)) == 1
        assert await load_query(db, "aaaaaaaaaaaaaaaa", now=NOW + timedelta(days=90)) is None


async def test_running_the_command_again_renews_its_saved_filters(tmp_path: Path) -> None:
    async with Database(tmp_path / "t.sqlite3") as db:
        await save_query(db, "aaaaaaaaaaaaaaaa", SPEC, now=NOW)
        await save_query(db, "aaaaaaaaaaaaaaaa", SPEC, now=NOW + timedelta(days=20))
        assert await prune_queries(db, now=NOW + timedelta(days=40)) == 0
        assert await _keys(db) == ["aaaaaaaaaaaaaaaa"]


async def test_use_within_a_day_writes_nothing(tmp_path: Path) -> None:
    # Every write moves total_changes(), which makes the next page recount the browse statistics: a press
    # records its use at most once a day, far finer than the month a row is kept.
    async with Database(tmp_path / "t.sqlite3") as db:
        await save_query(db, "aaaaaaaaaaaaaaaa", SPEC, now=NOW)
        (before,) = await db.fetchall("SELECT total_changes() AS n")
        await save_query(db, "aaaaaaaaaaaaaaaa", SPEC, now=NOW + timedelta(hours=20))
        assert await load_query(db, "aaaaaaaaaaaaaaaa", now=NOW + timedelta(hours=23)) == SPEC
        (after,) = await db.fetchall("SELECT total_changes() AS n")
        assert after["n"] == before["n"]
        assert await load_query(db, "aaaaaaaaaaaaaaaa", now=NOW + timedelta(days=2)) == SPEC
        (touched,) = await db.fetchall("SELECT total_changes() AS n")
        assert touched["n"] == before["n"] + 1

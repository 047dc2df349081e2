"""/launch name search folds case and accents in every script (SQLite's LIKE and NOCASE fold ASCII case only), on
a stored key."""
# Cyrillic names on purpose: letters that look Latin are what the test is about.
# ruff: noqa: RUF001

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.db import Database
from bot.db.browse import search_events, search_sql
from bot.db.database import latest_version
from bot.db.events import upsert_events
from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NAMES = [
    "Électron | Bêta Mission",
    "Союз-2.1а | Прогресс МС-29",
    "Falcon 9 Block 5 | Starlink Group 10-1",
    "Ariane 6 | Guyane française",
    "长征五号 | 天问二号",
    "Łódź Straße",
]


def launch(n: int, name: str) -> Event:
    return Event(
        source=Source.LL2,
        source_id=f"launch:{n}",
        type=EventType.LAUNCH,
        name=name,
        status=EventStatus.GO,
        milestones=(Milestone(MilestoneKind.LIFTOFF, NOW + timedelta(days=n + 1)),),
    )


async def _seeded(path: Path) -> Database:
    db = Database(path)
    await db.connect()
    await upsert_events(db, [launch(i, name) for i, name in enumerate(NAMES)], feed="t", now=NOW)
    return db


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ÉLECTRON", NAMES[0]),
        ("électron", NAMES[0]),
        ("BÊTA", NAMES[0]),
        ("Союз", NAMES[1]),
        ("союз", NAMES[1]),
        ("ПРОГРЕСС мс", NAMES[1]),
        ("starlink", NAMES[2]),
        ("  STARLINK GROUP  ", NAMES[2]),
        ("electron", NAMES[0]),
        ("ELECTRON | BETA", NAMES[0]),
        ("E\u0301lectron", NAMES[0]),  # a combining acute typed, the precomposed É stored
        ("ariane", NAMES[3]),
        ("francaise", NAMES[3]),
        ("天问", NAMES[4]),
        ("lodz strasse", NAMES[5]),
        ("ŁÓDŹ STRASSE", NAMES[5]),
    ],
)
async def test_a_name_is_found_in_any_case_with_or_without_accents_in_any_script(
    tmp_path: Path, typed: str, found: str
) -> None:
    db = await _seeded(tmp_path / "t.sqlite3")
    try:
        assert [name for _, name in await search_events(db, typed, guild_id=None)] == [found]
    finally:
        await db.close()


async def test_wildcards_typed_are_plain_text(tmp_path: Path) -> None:
    db = await _seeded(tmp_path / "t.sqlite3")
    try:
        assert await search_events(db, "%", guild_id=None) == []
        assert await search_events(db, "_", guild_id=None) == []
        assert len(await search_events(db, "", guild_id=None)) == len(NAMES)  # nothing typed yet: soonest first
    finally:
        await db.close()


async def test_a_renamed_event_is_found_by_its_new_name(tmp_path: Path) -> None:
    db = await _seeded(tmp_path / "t.sqlite3")
    try:
        await upsert_events(db, [launch(0, "ЭЛЕКТРОН | Ракета")], feed="t", now=NOW, complete=False)
        assert [name for _, name in await search_events(db, "электрон", guild_id=None)] == ["ЭЛЕКТРОН | Ракета"]
        assert await search_events(db, "électron", guild_id=None) == []
    finally:
        await db.close()


async def test_names_stored_before_the_search_key_existed_are_found(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    old = Database(path)
    await old.connect(migrate=False)
    await old.migrate(target=6)
    await old.close()
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO events (source, source_id, type, name, status, feed, first_seen, updated_at) "
            "VALUES ('ll2', 'launch:old', 'launch', 'Союз-2.1б | Глонасс', 'go', 't', 0, 0)"
        )
    async with Database(path) as db:
        assert [name for _, name in await search_events(db, "ГЛОНАСС", guild_id=None)] == ["Союз-2.1б | Глонасс"]


async def test_names_keyed_by_case_alone_before_version_8_are_found_without_their_accents(tmp_path: Path) -> None:
    path = tmp_path / "t.sqlite3"
    old = Database(path)
    await old.connect(migrate=False)
    await old.migrate(target=7)
    # As version 7 wrote them: name_key is the casefolded name, accents kept.
    await upsert_events(old, [launch(i, name) for i, name in enumerate(NAMES)], feed="t", now=NOW)
    await old.conn.execute("UPDATE events SET name_key = casefold(name)")
    assert await search_events(old, "electron", guild_id=None) == []
    await old.close()
    async with Database(path) as db:
        assert await db.version() == latest_version()
        assert [name for _, name in await search_events(db, "electron", guild_id=None)] == [NAMES[0]]
        assert [name for _, name in await search_events(db, "lodz", guild_id=None)] == [NAMES[5]]
        keys = {row["name"]: row["name_key"] for row in await db.fetchall("SELECT name, name_key FROM events")}
        assert keys[NAMES[0]] == "electron | beta mission"
        assert keys[NAMES[4]] == NAMES[4]  # CJK unchanged


async def test_the_search_reads_stored_keys_through_an_index_and_folds_no_row_at_query_time(tmp_path: Path) -> None:
    db = await _seeded(tmp_path / "t.sqlite3")
    try:
        for guild_id in (None, 7):
            sql, params = search_sql("союз", guild_id=guild_id, limit=25)
            plan = [row[3] for row in await db.fetchall("EXPLAIN QUERY PLAN " + sql, params)]
            assert not any(step.startswith("SCAN") for step in plan), plan  # no table is read in full
            assert "casefold(" not in sql  # a Python call per row would be ~10x slower than the stored key
    finally:
        await db.close()

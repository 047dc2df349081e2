"""``sync --once --from DIR``: a directory that cannot be read fully is an error, never "LL2 lists nothing"."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bot.db import Database
from bot.db.events import events_in_feed, get_event_by_source
from bot.ll2.sync import DirectoryFetcher
from bot.models import Source
from tests.bot.ll2.conftest import CREW1, PROGRESS, MakeSync
from tests.cli_env import clean_env
from tests.cli_faults import assert_one_line_error, integrity_ok, run_cli
from tests.fakell2.server import DATA

EMPTY = {"count": 0, "next": None, "previous": None, "results": []}
LIVE_AFTER_IMPORT = 5  # 2 launches, 2 dockings and 1 station event of the bundled 2020 sample


def _env(tmp_path: Path) -> dict[str, str]:
    return clean_env(TMINUS_DB_PATH=str(tmp_path / "cli.sqlite3"))


def _live(tmp_path: Path) -> int:
    import sqlite3

    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        return int(conn.execute("SELECT count(*) FROM events WHERE gone_at IS NULL").fetchone()[0])


@pytest.fixture
def imported(tmp_path: Path) -> dict[str, str]:
    env = _env(tmp_path)
    first = run_cli("sync", "--once", "--from", str(DATA), env=env)
    assert first.code == 0, first.err
    assert _live(tmp_path) == LIVE_AFTER_IMPORT
    return env


@pytest.mark.parametrize(
    ("files", "needle"),
    [
        ({}, "launches.json is missing"),
        ({"events.json": EMPTY, "docking_events.json": EMPTY}, "launches.json is missing"),
        ({"launches.json": EMPTY, "events.json": EMPTY}, "docking_events.json is missing"),
    ],
    ids=["empty directory", "no launches.json", "no docking_events.json"],
)
def test_import_from_a_directory_missing_a_file_is_refused_and_nothing_is_marked_gone(
    tmp_path: Path, imported: dict[str, str], files: dict[str, object], needle: str
) -> None:
    source = tmp_path / "partial"
    source.mkdir()
    for name, body in files.items():
        (source / name).write_text(json.dumps(body), encoding="utf-8")
    result = run_cli("sync", "--once", "--from", str(source), env=imported)
    assert_one_line_error(result, needle)
    assert result.out == ""
    assert _live(tmp_path) == LIVE_AFTER_IMPORT
    assert integrity_ok(tmp_path / "cli.sqlite3")


def test_import_from_an_unreadable_directory_is_one_line_and_changes_nothing(
    tmp_path: Path, imported: dict[str, str]
) -> None:
    locked = tmp_path / "locked"
    shutil.copytree(DATA, locked)
    locked.chmod(0o000)
    try:
        result = run_cli("sync", "--once", "--from", str(locked), env=imported, as_user=True)
    finally:
        locked.chmod(0o755)
    assert_one_line_error(result, "cannot read", "launches.json")
    assert _live(tmp_path) == LIVE_AFTER_IMPORT
    assert integrity_ok(tmp_path / "cli.sqlite3")


def test_import_of_a_file_that_is_a_directory_is_one_line(tmp_path: Path, imported: dict[str, str]) -> None:
    odd = tmp_path / "odd"
    shutil.copytree(DATA, odd)
    (odd / "events.json").unlink()
    (odd / "events.json").mkdir()
    result = run_cli("sync", "--once", "--from", str(odd), env=imported)
    assert_one_line_error(result, "cannot read", "events.json")
    assert _live(tmp_path) == LIVE_AFTER_IMPORT


def test_deeply_nested_json_fails_the_sync_in_one_line_and_keeps_the_data(
    tmp_path: Path, imported: dict[str, str]
) -> None:
    deep = tmp_path / "deep"
    shutil.copytree(DATA, deep)
    (deep / "launches.json").write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    result = run_cli("sync", "--once", "--from", str(deep), env=imported)
    assert "Traceback" not in result.err
    assert result.code == 1  # like any unusable LL2 answer: the sync failed, the data stayed
    assert result.err_lines == [line for line in result.err_lines if line.startswith("error: LL2 sync failed")]
    assert len(result.err_lines) == 1
    assert "nested too deeply" in result.err
    assert _live(tmp_path) == LIVE_AFTER_IMPORT
    assert integrity_ok(tmp_path / "cli.sqlite3")


def test_a_launch_listed_twice_keeps_the_last_copy_and_stores_the_rest(tmp_path: Path) -> None:
    payload = json.loads((DATA / "launches.json").read_text(encoding="utf-8"))
    first = next(x for x in payload["results"] if x["id"] == PROGRESS)
    payload["results"].append(first | {"name": "Soyuz 2.1a | Progress MS-15 (76P), second copy"})
    payload["count"] += 1
    source = tmp_path / "twice"
    shutil.copytree(DATA, source)
    (source / "launches.json").write_text(json.dumps(payload), encoding="utf-8")
    result = run_cli("sync", "--once", "--from", str(source), env=_env(tmp_path))
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    assert f"repeated record(s) dropped, the last copy kept (ids {PROGRESS})" in result.out
    assert _live(tmp_path) == LIVE_AFTER_IMPORT

    import sqlite3

    with sqlite3.connect(tmp_path / "cli.sqlite3") as conn:
        names = conn.execute("SELECT name FROM events WHERE source_id = ?", (f"launch:{PROGRESS}",)).fetchall()
        assert names == [("Soyuz 2.1a | Progress MS-15 (76P), second copy",)]
        assert conn.execute("SELECT count(*) FROM events WHERE source_id = ?", (f"launch:{CREW1}",)).fetchone() == (1,)


async def test_a_fetcher_never_reads_a_missing_file_as_an_empty_feed(
    make_sync: MakeSync, db: Database, tmp_path: Path
) -> None:
    sync = make_sync()
    sync.fetcher = DirectoryFetcher(DATA)
    assert (await sync.sync_once()).ok
    before = await events_in_feed(db, Source.LL2, "launches")
    sync.fetcher = DirectoryFetcher(tmp_path)  # nothing in it
    report = await sync.sync_once()
    assert not report.ok
    assert report.error is not None
    assert "launches.json is missing" in report.error
    assert report.changes == []
    assert await events_in_feed(db, Source.LL2, "launches") == before
    assert await get_event_by_source(db, Source.LL2, f"launch:{PROGRESS}") is not None


async def test_an_unchanged_resync_reads_the_feed_once_and_no_milestone_row_again(
    make_sync: MakeSync, db: Database
) -> None:
    sync = make_sync()
    sync.fetcher = DirectoryFetcher(DATA)
    assert (await sync.sync_once()).ok
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    report = await sync.sync_once()
    await db.conn.set_trace_callback(None)
    assert report.ok
    assert report.changes == []
    launch_loads = [s for s in statements if s.startswith("SELECT * FROM events") and "'launches'" in s]
    assert len(launch_loads) == 1, launch_loads
    assert not [s for s in statements if s.startswith("SELECT * FROM milestones WHERE event_id =")]
    assert not [s for s in statements if s.startswith(("INSERT INTO events", "UPDATE events", "INSERT INTO milestone"))]


async def test_an_online_sync_reads_the_whole_launch_feed_once(make_sync: MakeSync, db: Database) -> None:
    sync = make_sync()
    assert (await sync.sync_once()).ok
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    assert (await sync.sync_once()).ok
    await db.conn.set_trace_callback(None)
    whole_feed = [
        s
        for s in statements
        if s.startswith("SELECT * FROM events WHERE source = 'll2' AND feed = 'launches'") and "id IN (" not in s
    ]
    assert len(whole_feed) == 1, whole_feed

"""The CLI as a new operator meets it: every fault is one line on stderr and exit 2, never a traceback, and
the database stays sound (``PRAGMA integrity_check``) after each."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.cli_env import clean_env
from tests.cli_faults import WriteLockHolder, assert_one_line_error, integrity_ok, run_cli
from tests.fakell2.server import DATA

ARTICLE = "Liftoff is scheduled for 10:00 UTC tomorrow."


def _env(db: Path, **extra: str) -> dict[str, str]:
    return clean_env(TMINUS_DB_PATH=str(db), **extra)


def _fresh(tmp_path: Path) -> Path:
    db = tmp_path / "t.sqlite3"
    result = run_cli("check", env=_env(db))
    assert result.code == 0, result.err
    return db


COMMANDS = [("check",), ("sync", "--once", "--from", str(DATA)), ("upcoming",)]
COMMAND_IDS = ["check", "sync", "upcoming"]


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_database_path_that_is_a_directory_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    folder = tmp_path / "adir"
    folder.mkdir()
    assert_one_line_error(run_cli(*command, env=_env(folder)), str(folder), "is a directory")


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_database_in_a_read_only_folder_is_one_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run_cli(*command, env=_env(folder / "t.sqlite3"), as_user=True)
    finally:
        folder.chmod(0o755)
    assert_one_line_error(result, "cannot open database", "writable")
    assert not (folder / "t.sqlite3").exists()


def test_check_finds_a_read_only_database_file_and_sync_refuses_it_in_one_line(tmp_path: Path) -> None:
    db = _fresh(tmp_path)
    db.chmod(0o444)
    try:
        check = run_cli("check", env=_env(db), as_user=True)
        sync = run_cli("sync", "--once", "--from", str(DATA), env=_env(db), as_user=True)
    finally:
        db.chmod(0o644)
    assert_one_line_error(check, "read-only")
    assert "settings ok" not in check.out
    assert_one_line_error(sync, "read-only")
    assert integrity_ok(db)


@pytest.mark.parametrize(
    ("command", "value"),
    [(COMMANDS[0], "file::memory:?cache=shared"), *((c, ":memory:") for c in COMMANDS)],
    ids=["check-uri", *COMMAND_IDS],
)
def test_an_in_memory_database_is_refused(command: tuple[str, ...], value: str) -> None:
    result = run_cli(*command, env=clean_env(TMINUS_DB_PATH=value), timeout=30)
    assert_one_line_error(result, "TMINUS_DB_PATH", "keeps nothing")
    assert result.out == ""


def test_sync_while_another_process_writes_says_busy_and_who_may_hold_it(tmp_path: Path) -> None:
    db = _fresh(tmp_path)
    env = _env(db, TMINUS_DB_BUSY_TIMEOUT="0.3")
    with WriteLockHolder(db):
        started = time.monotonic()
        result = run_cli("sync", "--once", "--from", str(DATA), env=env)
        waited = time.monotonic() - started
        # Reading needs no write lock: upcoming answers while the other process writes.
        upcoming = run_cli("upcoming", env=env)
    assert_one_line_error(result, "is busy", "the running bot, or another sync or CLI command", "0.3 s")
    assert waited < 10  # the documented wait, not SQLite's retries piling up
    assert upcoming.code == 0, upcoming.err
    assert integrity_ok(db)
    after = run_cli("sync", "--once", "--from", str(DATA), env=env)
    assert after.code == 0, after.err


def test_check_while_another_process_writes_is_one_line(tmp_path: Path) -> None:
    db = _fresh(tmp_path)
    with WriteLockHolder(db):
        result = run_cli("check", env=_env(db, TMINUS_DB_BUSY_TIMEOUT="0.2"))
    assert_one_line_error(result, "is busy")
    assert integrity_ok(db)


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--limit", "99999999999999999999"), ("--limit", "from 1 to 10000")),
        (("--limit", "0"), ("--limit",)),
        (("--after", "0001-01-01T00:00+01:00"), ("out of range", "1900")),
        (("--after", "9999-12-31T23:59-05:00"), ("out of range",)),
        (("--after", "soon"), ("not an ISO-8601 instant",)),
        (("--kind", "launch"), ("invalid choice", "liftoff")),
    ],
)
def test_upcoming_refuses_bad_arguments_in_one_line(
    tmp_path: Path, args: tuple[str, ...], needles: tuple[str, ...]
) -> None:
    db = _fresh(tmp_path)
    assert_one_line_error(run_cli("upcoming", *args, env=_env(db)), *needles)
    assert integrity_ok(db)


@pytest.mark.parametrize("typed", ["2020-07-23Z", "2020-07-23", "2020-07-23T00:00", "2020-07-23 00:00"])
def test_upcoming_after_hints_a_form_that_is_accepted(tmp_path: Path, typed: str) -> None:
    db = tmp_path / "t.sqlite3"
    assert run_cli("sync", "--once", "--from", str(DATA), env=_env(db)).code == 0
    line = assert_one_line_error(run_cli("upcoming", "--after", typed, env=_env(db)))
    suggestion = line.split("e.g. ", 1)[1].split()[0]
    assert suggestion == "2020-07-23T00:00Z", line
    accepted = run_cli("upcoming", "--after", suggestion, env=_env(db))
    assert accepted.code == 0, accepted.err
    assert "Progress MS-15" in accepted.out


@pytest.mark.parametrize(
    ("ref", "needles"),
    [
        ("0001-01-01T00:00+01:00", ("--ref", "out of range")),
        ("9999-12-31T23:00-05:00", ("--ref", "out of range")),
        ("2024-02-14Z", ("--ref", "date without a time", "2024-02-14T00:00Z")),
        ("2024-02-14T20:00", ("--ref", "give a zone", "2024-02-14T20:00Z")),
        ("yesterday", ("--ref", "not an ISO-8601 instant")),
    ],
)
def test_parse_time_refuses_a_bad_ref_in_one_line(ref: str, needles: tuple[str, ...]) -> None:
    result = run_cli("parse-time", "tomorrow 10:00 UTC", "--ref", ref, env=clean_env())
    line = assert_one_line_error(result, *needles)
    assert "has no zone" not in line or "T" in ref  # a date alone is not "missing a zone"


def test_parse_time_accepts_the_ref_its_hint_suggests() -> None:
    result = run_cli("parse-time", "tomorrow 10:00 UTC", "--ref", "2024-02-14T00:00Z", env=clean_env())
    assert (result.code, result.out) == (0, "2024-02-15T10:00:00Z\n"), result.err


@pytest.mark.parametrize("published", ["0001-01-01", "9999-12-31", "Feb 14"])
def test_extract_refuses_a_publication_date_it_cannot_use(published: str) -> None:
    result = run_cli("extract", "-", "--published", published, env=clean_env(), stdin=ARTICLE)
    assert_one_line_error(result, "--published")
    assert result.out == ""


@pytest.mark.parametrize(
    ("variable", "value", "needle"),
    [
        ("OWNER_IDS", "²", "comma-separated list of Discord user ids"),
        ("OWNER_IDS", "12,٣٤", "comma-separated list of Discord user ids"),
        ("LL2_BASE_URL", "https://ll.thespacedevs.com/2.3.0?format=json", "query or fragment"),
        ("LL2_BASE_URL", "https://ll.thespacedevs.com/2.3.0#top", "query or fragment"),
        ("TMINUS_DB_BUSY_TIMEOUT", "0", "TMINUS_DB_BUSY_TIMEOUT"),
    ],
)
def test_a_bad_setting_is_one_line_naming_the_variable(tmp_path: Path, variable: str, value: str, needle: str) -> None:
    result = run_cli("check", env=_env(tmp_path / "t.sqlite3", **{variable: value}))
    line = assert_one_line_error(result, variable, needle)
    assert "invalid literal" not in line


def test_a_usage_error_is_one_line_that_says_where_help_is() -> None:
    line = assert_one_line_error(run_cli("sync", env=clean_env()), "--once")
    assert "python -m bot sync --help" in line


def test_upcoming_help_lists_every_kind() -> None:
    from bot.models import MilestoneKind

    result = run_cli("upcoming", "--help", env=clean_env())
    assert result.code == 0
    text = " ".join(result.out.split())
    assert all(kind.value in text for kind in MilestoneKind)


async def test_upcoming_lines_up_names_after_every_status(tmp_path: Path) -> None:
    from bot.db import Database
    from bot.db.events import upsert_events
    from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source

    db = tmp_path / "t.sqlite3"
    at = datetime(2030, 1, 1, tzinfo=UTC)
    statuses = [EventStatus.GO, EventStatus.SCHEDULED, EventStatus.PARTIAL_FAILURE, EventStatus.TBD]
    events = [
        Event(
            source=Source.LL2,
            source_id=f"launch:{i}",
            type=EventType.LAUNCH,
            name=f"Mission {i}",
            status=status,
            milestones=(Milestone(MilestoneKind.LIFTOFF, at.replace(hour=i)),),
        )
        for i, status in enumerate(statuses)
    ]
    async with Database(db) as database:
        await upsert_events(database, events, feed="launches", now=at)
    result = run_cli("upcoming", "--after", "2029-12-31T00:00Z", env=_env(db))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert len(lines) == 3  # a Partial Failure is final: not upcoming
    columns = {line.index(f"Mission {i}") for i, line in zip((0, 1, 3), lines, strict=True)}
    assert len(columns) == 1, lines
    assert "Scheduled Mission 1" in result.out.replace("  ", " ")


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database, just notes\n" * 100, encoding="utf-8")
    assert_one_line_error(run_cli("check", env=_env(notes)), str(notes), "not a database")
    assert notes.read_text(encoding="utf-8").startswith("not a database")  # left as it was

"""``python -m bot``: the foundation sub-commands, run as a user would, in a subprocess."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.db.database import latest_version
from tests.cli_env import clean_env


def run_cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    # Only what the test sets counts, not the developer's shell.
    clean = clean_env(**{"TMINUS_DB_PATH": str(tmp_path / "data" / "t.sqlite3"), **env})
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_check_creates_and_summarises_database(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert f"schema version {latest_version()}" in result.stdout
    assert "last LL2 sync: never" in result.stdout
    with sqlite3.connect(tmp_path / "data" / "t.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()


def test_check_shows_when_launch_data_was_last_refreshed_and_when_next(tmp_path: Path) -> None:
    assert "LL2 data last refreshed: never; next refresh due: not planned yet" in run_cli(tmp_path, "check").stdout
    with sqlite3.connect(tmp_path / "data" / "t.sqlite3") as conn:
        conn.executemany(
            "INSERT INTO bot_state (key, value) VALUES (?, ?)",
            [("ll2.last_refresh", "2020-07-23T12:25:00Z"), ("ll2.next_refresh", "2020-07-23T12:30:00Z")],
        )
    result = run_cli(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    # The bot is not running (the plan is years old), and check says so rather than promise a refresh.
    assert "LL2 data last refreshed: 2020-07-23T12:25:00Z; next refresh due: 2020-07-23T12:30:00Z (overdue" in (
        result.stdout
    )


@pytest.mark.parametrize("args", [(), ("run",)])
def test_run_without_token_exits_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run_cli(tmp_path, *args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISCORD_TOKEN" in lines[0]
    assert ".env.example" in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_timezone_exits_2(tmp_path: Path, command: str) -> None:
    result = run_cli(tmp_path, command, DEFAULT_TIMEZONE="Moon/Tranquility", DISCORD_TOKEN="x.y.z")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: DEFAULT_TIMEZONE: 'Moon/Tranquility' is not an IANA time zone name such as UTC or America/New_York "
        "(see .env.example)"
    ]


@pytest.mark.parametrize("command", ["check", "run"])
def test_unwritable_database_exits_2(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    result = run_cli(tmp_path, command, TMINUS_DB_PATH=str(blocker / "t.sqlite3"), DISCORD_TOKEN="x.y.z")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot open database" in result.stderr


@pytest.mark.parametrize("command", ["check", "run"])
def test_newer_schema_exits_2(tmp_path: Path, command: str) -> None:
    path = tmp_path / "future.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {latest_version() + 5}")
    result = run_cli(tmp_path, command, TMINUS_DB_PATH=str(path), DISCORD_TOKEN="x.y.z")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "upgrade T-Minus" in result.stderr


def test_plan_json_lists_each_alert_to_fire_with_its_recipients(tmp_path: Path) -> None:
    import asyncio
    import json
    from datetime import UTC, datetime, timedelta

    from bot.alerts.rules import WHAT_KINDS
    from bot.db import Database
    from bot.db import alerts as store
    from bot.db.events import to_epoch, upsert_events
    from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source

    now = datetime.now(UTC).replace(microsecond=0)
    liftoff = now + timedelta(days=2)

    async def seed() -> None:
        async with Database(tmp_path / "data" / "t.sqlite3") as db:
            launch = Event(
                Source.LL2, "launch:1", EventType.LAUNCH, "Falcon 9 | Crew-12", EventStatus.GO,
                (Milestone(MilestoneKind.LIFTOFF, liftoff),),
            )  # fmt: skip
            await upsert_events(db, [launch], feed="launches", now=now)
            for owner, leads in ((1, (3_600, 600)), (2, (3_600,))):
                await store.add_subscription(
                    db, owner_id=owner, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=leads, now=to_epoch(now)
                )

    asyncio.run(seed())
    result = run_cli(tmp_path, "plan", "--json", "--days", "3")
    assert result.returncode == 0, result.stderr
    iso = liftoff.isoformat().replace("+00:00", "Z")
    assert json.loads(result.stdout) == [
        {
            "name": "Falcon 9 | Crew-12",
            "milestone": "liftoff",
            "milestone_utc": iso,
            "lead_seconds": 3_600,
            "fire_utc": (liftoff - timedelta(hours=1)).isoformat().replace("+00:00", "Z"),
            "recipients": 2,
        },
        {
            "name": "Falcon 9 | Crew-12",
            "milestone": "liftoff",
            "milestone_utc": iso,
            "lead_seconds": 600,
            "fire_utc": (liftoff - timedelta(minutes=10)).isoformat().replace("+00:00", "Z"),
            "recipients": 1,
        },
    ]
    table = run_cli(tmp_path, "plan", "--days", "3")
    assert "T-1h" in table.stdout
    assert "2 recipients" in table.stdout


def test_plan_shows_the_next_day_unless_asked_for_more(tmp_path: Path) -> None:
    # The whole future of 100,000 subscriptions is millions of alerts: the plan is windowed by default.
    import asyncio
    import json
    from datetime import UTC, datetime, timedelta

    from bot.alerts.rules import WHAT_KINDS
    from bot.db import Database
    from bot.db import alerts as store
    from bot.db.events import to_epoch, upsert_events
    from bot.models import Event, EventStatus, EventType, Milestone, MilestoneKind, Source

    now = datetime.now(UTC).replace(microsecond=0)

    async def seed() -> None:
        async with Database(tmp_path / "data" / "t.sqlite3") as db:
            launches = [
                Event(Source.LL2, f"launch:{hours}", EventType.LAUNCH, f"In {hours} hours", EventStatus.GO,
                      (Milestone(MilestoneKind.LIFTOFF, now + timedelta(hours=hours)),))
                for hours in (12, 240)
            ]  # fmt: skip
            await upsert_events(db, launches, feed="launches", now=now)
            await store.add_subscription(
                db, owner_id=1, what="liftoff", kinds=WHAT_KINDS["liftoff"], leads=(3_600,), now=to_epoch(now)
            )

    asyncio.run(seed())

    def names(*args: str) -> list[str]:
        result = run_cli(tmp_path, "plan", "--json", *args)
        assert result.returncode == 0, result.stderr
        return [line["name"] for line in json.loads(result.stdout)]

    assert names() == ["In 12 hours"]
    assert names("--days", "11") == ["In 12 hours", "In 240 hours"]
    assert names("--all") == ["In 12 hours", "In 240 hours"]
    refused = run_cli(tmp_path, "plan", "--days", "0")
    assert refused.returncode == 2
    assert "--days takes a number of days" in refused.stderr

"""``python -m bot parse-time`` and ``python -m bot extract``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import extract as extract_cli
from bot.cli import parse_time as parse_time_cli
from tests.cli_env import SETTINGS_VARIABLES, clean_env

DATA = Path(__file__).resolve().parents[1] / "data"
ARTICLE = DATA / "progress-87-launch-article.txt"


@pytest.fixture(autouse=True)
def no_shell_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """parse-time reads the settings: none from the developer's shell or a .env may leak in."""
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def _run_bot(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = clean_env(**(env or {}))
    return subprocess.run(  # noqa: S603 - fixed argv, our own interpreter
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=full_env, input=stdin, check=False
    )


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("10:25 p.m. EST (0325 GMT and 8:25 a.m. on Feb. 15 local time in Baikonur)", None, "2024-02-15T03:25:00Z"),
        ("Saturday 1:12 a.m. EST", None, "2024-02-17T06:12:00Z"),
        ("Feb. 17 13:05", "Europe/Moscow", "2024-02-17T10:05:00Z"),
        ("in 2 hours", None, "2024-02-14T22:00:00Z"),
        ("90 minutes from now", "Europe/Moscow", "2024-02-14T21:30:00Z"),
        ("now", None, "2024-02-14T20:00:00Z"),
    ],
)
def test_parse_time_prints_utc_with_z(
    text: str, tz: str | None, expected: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEFAULT_TIMEZONE", raising=False)
    args = argparse.Namespace(text=text, tz=tz, ref="2024-02-14T20:00Z")
    assert parse_time_cli.run(args) == 0
    assert capsys.readouterr().out == f"{expected}\n"


def test_parse_time_uses_default_timezone_env_and_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", "America/Chicago")
    args = argparse.Namespace(text="Feb. 17 10:00", tz=None, ref="2024-02-14T20:00Z")
    assert parse_time_cli.run(args) == 0
    out, err = capsys.readouterr()
    assert out == "2024-02-17T16:00:00Z\n"
    assert "America/Chicago" in err


@pytest.mark.parametrize(
    "text",
    ["2024-03-10 02:30", "IST 10:00", "hello", "Friday (Feb. 17)"],
    ids=["gap", "ambiguous", "garbage", "weekday"],
)
def test_parse_time_error_is_one_line_on_stderr_with_status_2(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(text=text, tz="America/New_York", ref="2024-02-14T20:00Z")
    assert parse_time_cli.run(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert "Try:" in err


@pytest.mark.parametrize("value", ["Moon/Tranquility", "America", "", "ET"])
def test_parse_time_bad_default_timezone_env_is_one_line_status_2(
    value: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", value)
    assert parse_time_cli.run(argparse.Namespace(text="Feb. 17, 2024 13:05", tz=None, ref=None)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: DEFAULT_TIMEZONE: {value!r} is not an IANA time zone name such as UTC or America/New_York"
        " (see .env.example)\n"
    )


def test_parse_time_bad_default_timezone_env_does_not_matter_with_tz(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEFAULT_TIMEZONE", "Moon/Tranquility")
    assert parse_time_cli.run(argparse.Namespace(text="Feb. 17, 2024 13:05", tz="Europe/Moscow", ref=None)) == 0
    assert capsys.readouterr().out == "2024-02-17T10:05:00Z\n"


def test_python_m_bot_parse_time_bad_env_without_token_or_database(tmp_path: Path) -> None:
    env = {"DEFAULT_TIMEZONE": "Moon/Tranquility", "DISCORD_TOKEN": "", "TMINUS_DB_PATH": str(tmp_path / "no" / "db")}
    result = _run_bot("parse-time", "13:05", env=env)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "error: DEFAULT_TIMEZONE: 'Moon/Tranquility' is not an IANA time zone name such as UTC or America/New_York"
        " (see .env.example)"
    ]
    result = _run_bot("parse-time", "Feb. 17, 2024 13:05", env={**env, "DEFAULT_TIMEZONE": "Asia/Tokyo"})
    assert (result.returncode, result.stdout) == (0, "2024-02-17T04:05:00Z\n")
    assert not (tmp_path / "no").exists()


def test_parse_time_rejects_bad_ref(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_time_cli.run(argparse.Namespace(text="13:05", tz="UTC", ref="yesterday")) == 2
    assert "--ref" in capsys.readouterr().err


def test_extract_json_lists_the_article_milestones(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(file=str(ARTICLE), published="2024-02-14", tz="UTC", json=True)
    assert extract_cli.run(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert sorted((r["kind"], r["utc"]) for r in rows) == [
        ("coverage_start", "2024-02-17T05:30:00Z"),
        ("docking", "2024-02-17T06:12:00Z"),
        ("liftoff", "2024-02-15T03:25:00Z"),
    ]
    for row in rows:
        assert {"kind", "utc", "phrase", "precision", "past", "conflict"} <= row.keys()
        assert row["precision"] == "minute"
        assert (row["date_assumed"], row["zone_assumed"], row["superseded"]) == (False, False, False)


def test_extract_json_says_when_a_date_was_assumed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "note.txt"
    text.write_text(
        "Docking is set for 1:12 a.m. EST.\nThe launch was delayed from 0612 GMT on Feb. 20 to 0612 GMT on Feb. 21."
    )
    args = argparse.Namespace(file=str(text), published="2024-02-14", tz="UTC", json=True)
    assert extract_cli.run(args) == 0
    rows = {(r["kind"], r["utc"]): r for r in json.loads(capsys.readouterr().out)}
    docking = rows[("docking", "2024-02-14T06:12:00Z")]
    assert (docking["date_assumed"], docking["date_source"], docking["zone_source"]) == (True, "published", "text")
    assert rows[("liftoff", "2024-02-20T06:12:00Z")]["superseded"] is True
    assert rows[("liftoff", "2024-02-21T06:12:00Z")]["superseded"] is False


def test_extract_table_shows_conflicts(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(
        file=str(DATA / "articles" / "ng20-zones-disagree.txt"), published="2024-01-29", tz="UTC", json=False
    )
    assert extract_cli.run(args) == 0
    out = capsys.readouterr().out
    assert "liftoff" in out
    assert "CONFLICT" in out


def test_extract_bad_published_date_is_status_2(capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(file=str(ARTICLE), published="Feb 14", tz="UTC", json=True)
    assert extract_cli.run(args) == 2
    assert "--published" in capsys.readouterr().err


def test_extract_missing_file_is_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(file=str(tmp_path / "nope.txt"), published=None, tz="UTC", json=False)
    assert extract_cli.run(args) == 2
    assert "cannot read" in capsys.readouterr().err


def test_python_m_bot_parse_time_end_to_end() -> None:
    result = _run_bot("parse-time", "Feb. 17, 2024 1:12 a.m. EST", env={"DEFAULT_TIMEZONE": "UTC"})
    assert (result.returncode, result.stdout) == (0, "2024-02-17T06:12:00Z\n")
    result = _run_bot("parse-time", "2024-11-03 01:30", "--tz", "America/New_York")
    assert result.returncode == 2
    assert "happens twice" in result.stderr
    assert result.stderr.count("\n") == 1


def test_python_m_bot_parse_time_counts_a_duration_from_the_real_clock() -> None:
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    result = _run_bot("parse-time", "in 2 hours", env={"DEFAULT_TIMEZONE": "UTC"})
    after = datetime.now(UTC)
    assert (result.returncode, result.stderr) == (0, "")
    read = datetime.fromisoformat(result.stdout.strip())
    assert before + timedelta(hours=2) <= read <= after + timedelta(hours=2)
    assert read.second == 0


def test_python_m_bot_extract_reads_stdin() -> None:
    result = _run_bot("extract", "-", "--published", "2024-02-14", "--json", stdin=ARTICLE.read_text(encoding="utf-8"))
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == 3

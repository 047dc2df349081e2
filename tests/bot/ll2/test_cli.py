"""``python -m bot sync --once [--from DIR]`` and ``python -m bot upcoming`` as subprocesses on a fresh database."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.cli_env import clean_env
from tests.fakell2.server import DATA, FakeLL2

ROOT = Path(__file__).resolve().parents[3]


async def _run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return clean_env(**{"TMINUS_DB_PATH": str(tmp_path / "cli.sqlite3"), **extra})


def _shift(directory: Path, days: int) -> None:
    """Move every date in the fixture files ``days`` ahead, so they are upcoming when the CLI runs."""
    for path in directory.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        for year in ("2020-07-", "2020-09-", "2020-11-"):
            text = text.replace(f'"{year}', f'"@{year}')
        parts = text.split('"@')
        out = [parts[0]]
        for part in parts[1:]:
            stamp, rest = part[:20], part[20:]
            moved = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(days=days)
            out.append('"' + moved.strftime("%Y-%m-%dT%H:%M:%SZ") + rest)
        path.write_text("".join(out), encoding="utf-8")


async def test_sync_from_directory_then_upcoming_json(tmp_path: Path) -> None:
    data = tmp_path / "ll2"
    shutil.copytree(DATA, data)
    empty = {"count": 0, "next": None, "previous": None, "results": []}
    (data / "events.json").write_text(json.dumps(empty), encoding="utf-8")  # a feed with nothing in it
    days = (datetime.now(UTC) - datetime(2020, 7, 22, tzinfo=UTC)).days + 1
    _shift(data, days)
    env = _env(tmp_path)
    code, out, err = await _run("sync", "--once", "--from", str(data), env=env)
    assert code == 0, err
    assert "LL2 sync ok" in out
    assert "new     Soyuz 2.1a | Progress MS-15 (76P)" in out

    code, out, err = await _run("upcoming", "--json", "--limit", "10", env=env)
    assert code == 0, err
    rows = json.loads(out)
    assert [r["milestone"] for r in rows] == ["liftoff", "docking", "liftoff", "docking"]
    first = rows[0]
    assert first["name"] == "Soyuz 2.1a | Progress MS-15 (76P)"
    assert first["utc"].endswith("Z")
    assert first["precision"] == "minute"
    assert first["status"] == "go"
    assert first["source"] == "ll2"
    assert first["source_id"] == "launch:c7f03e53-e4e3-42e3-9d57-71666ad80c18"
    assert rows[2]["precision"] == "month"

    code, out, _ = await _run("upcoming", "--kind", "docking", env=env)
    assert code == 0
    assert out.count("docking") >= 2
    assert "liftoff" not in out


async def test_sync_once_over_http_prints_changes(tmp_path: Path) -> None:
    server = FakeLL2(lambda: datetime.now(UTC))
    eva = next(e for e in server.events if e["id"] == 188)
    eva["date"] = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # upcoming, not 2020's
    base = await server.start()
    try:
        code, out, err = await _run("sync", "--once", env=_env(tmp_path, LL2_BASE_URL=base, LL2_API_KEY="k"))
    finally:
        await server.close()
    assert code == 0, err
    assert "LL2 sync ok (3 requests" in out
    assert "new     Russian EVA-47 (ll2:event:188)" in out  # 2020's dockings and events are past: not listed
    assert {s.authorization for s in server.counted} == {"Token k"}


async def test_sync_once_reports_failure_when_ll2_is_down(tmp_path: Path) -> None:
    code, out, err = await _run("sync", "--once", env=_env(tmp_path, LL2_BASE_URL="http://127.0.0.1:9/2.3.0"))
    assert code == 1
    assert "LL2 sync failed" in out
    assert "error: LL2 sync failed" in err  # where scripts look for errors


async def test_sync_from_garbage_after_a_good_import_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "ll2"
    shutil.copytree(DATA, data)
    _shift(data, (datetime.now(UTC) - datetime(2020, 7, 22, tzinfo=UTC)).days + 1)
    env = _env(tmp_path)
    code, _, err = await _run("sync", "--once", "--from", str(data), env=env)
    assert code == 0, err
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    body = {"count": 3, "next": None, "previous": None, "results": [{"garbage": 1}, {"x": 2}, "str"]}
    for name in ("launches.json", "events.json", "docking_events.json"):
        (garbage / name).write_text(json.dumps(body), encoding="utf-8")
    code, out, err = await _run("sync", "--once", "--from", str(garbage), env=env)
    assert code == 1
    assert "LL2 sync failed" in out
    assert "gone" not in out
    assert "error:" in err
    code, out, err = await _run("upcoming", "--json", env=env)
    assert code == 0, err
    assert [r["milestone"] for r in json.loads(out)] == ["liftoff", "docking", "liftoff", "docking", "spacewalk"]


async def test_usage_errors_go_to_stderr_with_status_2(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "launches.json"
    not_a_dir.write_text("{}", encoding="utf-8")
    env = _env(tmp_path)
    code, out, err = await _run("sync", "--once", "--from", str(not_a_dir), env=env)
    assert (code, out) == (2, "")
    assert err.startswith("error: ")
    assert "not a directory" in err
    assert not (tmp_path / "cli.sqlite3").exists()  # nothing created for a typo
    code, out, err = await _run("upcoming", "--limit", "0", env=env)
    assert (code, out) == (2, "")
    assert "--limit" in err


async def test_upcoming_after_an_instant_lists_an_older_import(tmp_path: Path) -> None:
    env = _env(tmp_path)
    code, _, err = await _run("sync", "--once", "--from", str(DATA), env=env)
    assert code == 0, err
    code, out, err = await _run("upcoming", "--json", "--after", "2020-07-22T12:00Z", "--limit", "2", env=env)
    assert code == 0, err
    assert [(r["milestone"], r["utc"]) for r in json.loads(out)] == [
        ("liftoff", "2020-07-23T14:26:22Z"),
        ("docking", "2020-07-23T17:49:00Z"),
    ]
    code, out, err = await _run("upcoming", "--after", "2020-07-22T12:00", env=env)
    assert code == 2
    assert out == ""
    assert "give a zone" in err

"""House rules the code keeps as it grows: only the adapters import discord.py, SQL lives in bot/db/, and a
CLI command loads only what it runs."""

from __future__ import annotations

import ast
import json
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import bot
from tests.cli_env import clean_env

ROOT = Path(__file__).resolve().parents[1]

# Modules that translate between Discord and the core, and so may import discord.py.
ADAPTERS = frozenset({"bot.bot", "bot.errors", "bot.alerts.transport", "bot.server_ports"})
HEAVY = ("discord", "aiohttp", "bot.timeparse", "bot.extract", "bot.ll2.sync")


def core_modules() -> list[str]:
    """Every module of the ``bot`` package except the adapters."""
    names = [m.name for m in pkgutil.walk_packages(bot.__path__, "bot.")]
    assert len(names) > 20, names  # the walk found the package, so the check below covers something
    return sorted(n for n in names if n not in ADAPTERS and not n.endswith("__main__"))


def _python(code: str) -> str:
    proc = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", code], cwd=ROOT, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_no_core_module_pulls_in_discord_py_even_indirectly() -> None:
    # One fresh interpreter imports the core modules one by one; the first that brings discord into
    # sys.modules (itself or through anything it imports) is named.
    code = f"""
import importlib, json, sys
first = None
for name in {core_modules()!r}:
    importlib.import_module(name)
    if "discord" in sys.modules:
        first = name
        break
print(json.dumps(first))
"""
    assert json.loads(_python(code)) is None


def test_the_import_check_would_catch_an_adapter() -> None:
    # The same probe on an adapter does see discord.py: the test above cannot pass by looking wrongly.
    assert json.loads(_python('import json, sys, bot.errors; print(json.dumps("discord" in sys.modules))'))


def test_check_loads_neither_discord_nor_aiohttp_nor_the_parsers(tmp_path: Path) -> None:
    code = f"""
import json, sys
from bot.cli import main
code = main(["check"])
print(json.dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))
"""
    proc = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(TMINUS_DB_PATH=str(tmp_path / "t.sqlite3")),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1]) == [0, []]


_SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|WITH)\b")
_DB_CALLS = frozenset({"execute", "executescript", "executemany", "fetchone", "fetchall", "load_events_in"})


def _sql_outside_db() -> list[str]:
    found = []
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("bot/db/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.match(node.value):
                found.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in _DB_CALLS:
                found.append(f"{rel}:{node.lineno}: .{node.func.attr}(...)")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _DB_CALLS:
                found.append(f"{rel}:{node.lineno}: {node.func.id}(...)")
    return found


def test_sql_lives_in_bot_db() -> None:
    assert _sql_outside_db() == []


def test_the_sql_check_sees_sql_where_it_is(tmp_path: Path) -> None:
    # The scan finds the repository's own statements when pointed at bot/db, so an empty answer means something.
    text = (ROOT / "bot" / "db" / "ll2.py").read_text(encoding="utf-8")
    tree = ast.parse(text)
    assert any(isinstance(n, ast.Constant) and isinstance(n.value, str) and _SQL.match(n.value) for n in ast.walk(tree))


def test_the_package_licence_is_an_spdx_expression() -> None:
    # setuptools deprecates `license = {text = ...}` (removal from 2027-02-18); PEP 639 wants an SPDX string.
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    assert "setuptools>=77" in project["build-system"]["requires"]


def test_each_state_key_is_spelled_once() -> None:
    # "ll2.last_sync" was written out by the sync and read back by `check` and /about: one name, in bot/db/ll2.py.
    sources = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]
    spelled = [p.relative_to(ROOT).as_posix() for p in sources if '"ll2.last_sync"' in p.read_text(encoding="utf-8")]
    assert spelled == ["bot/db/ll2.py"]


def test_help_lists_every_sub_command_module() -> None:
    from bot.cli import COMMANDS

    proc = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], cwd=ROOT, env=clean_env(), capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert all(name.replace("_", "-") in proc.stdout for name in COMMANDS)


# Wall-clock reads: every one goes through bot/clock.py (the bot's Clock, which tests and simulations move).
# Monotonic timers (time.monotonic, perf_counter, the loop's time()) measure durations and stay allowed.
_WALL_CLOCK = {"datetime": {"now", "utcnow", "today"}, "date": {"today"}, "time": {"time", "time_ns"}}


def _wall_clock_reads(paths: list[Path]) -> list[str]:
    found = []
    for path in paths:
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # Called or passed along (``now=datetime.now``) alike; ``datetime.datetime.now`` too.
            if isinstance(node, ast.Attribute):
                owner = node.value
                name = (
                    owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
                )
                if node.attr in _WALL_CLOCK.get(name, ()):
                    found.append(f"{rel}:{node.lineno}: {name}.{node.attr}")
            elif isinstance(node, ast.ImportFrom) and node.module == "time":
                found += [
                    f"{rel}:{node.lineno}: from time import {a.name}"
                    for a in node.names
                    if a.name in ("time", "time_ns")
                ]
    return found


def test_only_bot_clock_reads_the_wall_clock() -> None:
    sources = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")])
    assert _wall_clock_reads([p for p in sources if p != ROOT / "bot" / "clock.py"]) == []


def test_the_wall_clock_check_sees_the_clock_itself() -> None:
    # bot/clock.py does read the wall clock: the scan finds it, so an empty answer above means something.
    assert _wall_clock_reads([ROOT / "bot" / "clock.py"]) == ["bot/clock.py:21: datetime.now"]

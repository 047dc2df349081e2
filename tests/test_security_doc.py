"""SECURITY.md says what the code does: its cooldown table is bot/cooldowns.py, its table of what the database
holds about users names every table with a user id, and every test it cites exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.cooldowns import COOLDOWNS
from bot.db.privacy import PERSONAL_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "SECURITY.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    """The text of the ``## title`` or ``### title`` section, up to the next heading of any level."""
    match = re.search(rf"^#+ {re.escape(title)}\n(.*?)(?=^#+ |\Z)", DOC, flags=re.M | re.S)
    assert match is not None, f"SECURITY.md has no section {title!r}"
    return match.group(1)


def test_the_four_threats_and_reporting_have_their_sections() -> None:
    for title in (
        "Reporting a vulnerability",
        "Secrets",
        "A hostile member (no Manage Server)",
        "A hostile server admin (has Manage Server in their own server)",
        "A compromised (or broken) upstream: Launch Library 2",
        "A leaked database file",
        "SQL",
        "Per-user cooldowns and caps",
    ):
        assert section(title).strip(), title


def test_the_cooldown_table_is_the_one_the_bot_applies() -> None:
    documented: dict[str, tuple[int, float]] = {}
    for line in section("Per-user cooldowns and caps").splitlines():
        row = re.fullmatch(r"\| (.+?) \| (\d+) per (\d+) s(?: .*)? \|", line)
        if row is None:
            continue
        for command in re.findall(r"`/([a-z ]+)`", row.group(1)):
            documented[command] = (int(row.group(2)), float(row.group(3)))
    assert documented == COOLDOWNS


def test_the_table_of_what_the_database_holds_names_every_table_with_a_user_id() -> None:
    held = section("A leaked database file")
    tables = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", held, flags=re.M))
    named = {name for pair in tables for name in pair if name}
    assert {table for table, _column in PERSONAL_COLUMNS} <= named


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)}


def test_every_test_security_md_cites_exists() -> None:
    # `tests/x.py`, `tests/x.py::name`, and `::name` (a test of the file cited last), in the order they appear.
    current: Path | None = None
    checked = 0
    for file, full, short in re.findall(r"`(?:(tests/[\w/]+\.py)(?:::(\w+))?|::(\w+))", DOC):
        if file:
            current = ROOT / file
            assert current.exists(), file
        name = full or short
        if name:
            assert current is not None, name
            assert name in _test_names(current), f"{current.relative_to(ROOT)}::{name}"
            checked += 1
    assert checked > 40

"""SQL is parameterised (SECURITY.md): ruff's S608 is on for every file, and each statement still built from
strings carries a per-line ``noqa: S608`` that says why (a comment on that line or just above it)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NOQA = re.compile(r"#\s*noqa:[^#]*\bS608\b")


def test_ruff_selects_the_bandit_rules_and_ignores_no_s608() -> None:
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "S" in lint["select"] or "S608" in lint["select"]
    assert "S608" not in lint.get("ignore", [])
    assert all("S608" not in rules and "S" not in rules for rules in lint.get("per-file-ignores", {}).values())


def test_every_s608_exception_in_the_bot_says_why() -> None:
    unexplained = []
    for path in sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]):
        lines = path.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if not NOQA.search(line):
                continue
            reason_here = re.search(r"S608\s*-\s*\S", line)
            above = lines[max(0, i - 4) : i]
            if not reason_here and not any(prior.strip().startswith("#") for prior in above):
                unexplained.append(f"{path.relative_to(ROOT)}:{i + 1}")
    assert unexplained == []

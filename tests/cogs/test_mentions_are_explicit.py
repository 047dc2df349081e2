"""Every call that sends or edits a Discord message states its allowed_mentions (house rule, checked statically).

The bot-wide default is AllowedMentions.none(), but the rule is that each send says what it may ping, so a
later change to one send can never widen another's pings by accident.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
SENDING_METHODS = {
    "send",
    "send_message",
    "edit_message",
    "edit_original_response",
    "edit",
    "reply",
    "create_thread",
}


def sending_calls(path: Path) -> list[tuple[int, str, bool]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SENDING_METHODS:
            # Only a literal keyword counts: **kwargs could hide a missing one.
            has = any(k.arg == "allowed_mentions" for k in node.keywords)
            found.append((node.lineno, node.func.attr, has))
    return found


SOURCES = sorted([*(ROOT / "cogs").glob("*.py"), *(ROOT / "bot").rglob("*.py")])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_send_states_allowed_mentions(path: Path) -> None:
    missing = [f"{path.name}:{line} .{name}()" for line, name, has in sending_calls(path) if not has]
    assert missing == []


def test_the_check_sees_a_send_without_allowed_mentions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("async def f(i):\n    await i.response.send_message('hi @everyone')\n")
    assert sending_calls(sample) == [(2, "send_message", False)]

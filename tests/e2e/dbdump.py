"""A dump of what the database holds about users and events, to prove a refused command wrote nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Written in the background whatever users do (LL2 sync attempts, state keys, the schema's own bookkeeping).
BACKGROUND = ("ll2_", "bot_state", "sqlite_")


def user_data_dump(path: Path) -> list[str]:
    """Every row of every table that commands write, as SQL text, sorted."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            if not name.startswith(BACKGROUND)
        ]
        rows: list[str] = []
        for table in tables:
            # The table names come from sqlite_master, not from input; quoted as identifiers.
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # noqa: S608 - identifier from sqlite_master
                rows.append(f"{table}: {row!r}")
        return sorted(rows)
    finally:
        conn.close()

"""Shared pytest configuration: the fake Discord plugin and the database fixture every layer uses."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db import Database

pytest_plugins = ["tests.fakediscord.pytest_plugin"]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a real SQLite file, closed after the test."""
    async with Database(tmp_path / "tminus.sqlite3") as database:
        yield database

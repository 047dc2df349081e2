"""The one owner of the bot's SQLite connection.

A single aiosqlite connection serves the whole bot. SQLite allows one writer at a time anyway, and one
connection means a transaction can never see another task's half-finished writes: an asyncio lock makes
every transaction (and every read) run alone.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
BUSY_TIMEOUT_MS = 5_000


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


class DatabaseError(Exception):
    """The database cannot be opened or used; the message is one line for the operator."""


class SchemaTooNewError(DatabaseError):
    """The file was written by a newer T-Minus than this one."""


def migrations() -> list[tuple[int, str, str]]:
    """All bundled migrations as ``(version, name, sql)``, in order; versions must be 1..N without gaps."""
    found: list[tuple[int, str, str]] = []
    for entry in resources.files("bot.db").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    if [v for v, _, _ in found] != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration numbers must run 1..N without gaps: {[n for _, n, _ in found]}")
    return found


def latest_version() -> int:
    """The schema version this code writes."""
    return len(migrations())


class Database:
    """Opens, migrates and serialises access to the SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None
        # Set when a holder was cancelled: its last statement may still be queued on aiosqlite's worker thread.
        self._unsettled = False

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection; use :meth:`transaction` or the helpers rather than this directly."""
        if self._conn is None:
            raise DatabaseError("the database is not open")
        return self._conn

    async def connect(self, *, migrate: bool = True) -> int:
        """Open the file (creating it and its folder), set pragmas, and migrate; returns the schema version."""
        if self._conn is not None:
            return await self.version()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, so the sqlite3 module never opens a
            # transaction behind our back.
            conn = await aiosqlite.connect(self.path, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise DatabaseError(f"cannot open database {self.path}: {exc}") from exc
        conn.row_factory = aiosqlite.Row
        # SQLite's lower() folds ASCII only; searches of names in any script use Python's casefold.
        await conn.create_function("casefold", 1, _casefold, deterministic=True)
        try:
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            self._conn = conn
            version = await self.migrate() if migrate else await self.version()
        except sqlite3.Error as exc:
            await conn.close()
            self._conn = None
            raise DatabaseError(f"cannot use database {self.path}: {exc}") from exc
        except DatabaseError:
            await conn.close()
            self._conn = None
            raise
        return version

    async def close(self) -> None:
        """Close the connection if open (idempotent)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await conn.close()

    async def __aenter__(self) -> Database:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def version(self) -> int:
        """The file's schema version (``PRAGMA user_version``)."""
        async with self.conn.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, target: int | None = None) -> int:
        """Apply pending migrations, each in its own transaction; returns the resulting version."""
        known = migrations()
        target = len(known) if target is None else target
        async with self._hold():
            current = await self.version()
            if current > len(known):
                raise SchemaTooNewError(
                    f"database {self.path} has schema version {current}, but this T-Minus knows only up to "
                    f"{len(known)}: upgrade T-Minus or point TMINUS_DB_PATH at another file"
                )
            for version, name, sql in known[current:target]:
                log.info("applying migration %s", name)
                try:
                    # executescript runs the whole file; the explicit BEGIN ... COMMIT around it (and the
                    # version bump inside) makes the migration all-or-nothing.
                    await self.conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
                except sqlite3.Error as exc:
                    if self.conn.in_transaction:
                        await self.conn.rollback()
                    raise DatabaseError(f"migration {name} failed: {exc}") from exc
            return await self.version()

    @asynccontextmanager
    async def _hold(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection, alone. Not re-entrant: a task asking twice is a bug, raised rather than hung on."""
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            raise RuntimeError("Database used again inside its own transaction: use the connection you were given")
        async with self._lock:
            self._holder = task
            try:
                conn = self.conn
                if self._unsettled:
                    await self._settle(conn)
                try:
                    yield conn
                except asyncio.CancelledError:
                    self._unsettled = True
                    raise
            finally:
                self._holder = None

    async def _settle(self, conn: aiosqlite.Connection) -> None:
        # A cancelled await does not stop aiosqlite's worker thread: the statement (say a BEGIN) still runs
        # after the task has gone, leaving a transaction nobody ends. A no-op queued behind it waits until it
        # has run; then whatever it left open is rolled back. Without this every later BEGIN would fail.
        await conn.execute("SELECT 1")
        if conn.in_transaction:
            log.warning("rolling back a transaction left open by a cancelled task")
            await conn.rollback()
        self._unsettled = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on any error."""
        async with self._hold() as conn:
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
            except BaseException:
                if conn.in_transaction:
                    await conn.rollback()
                raise
            else:
                await conn.commit()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[aiosqlite.Connection]:
        """A read-only snapshot (deferred ``BEGIN``): several queries see one state and take no write lock."""
        async with self._hold() as conn:
            try:
                await conn.execute("BEGIN")
                yield conn
            finally:
                if conn.in_transaction:
                    await conn.rollback()

    async def fetchall(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[aiosqlite.Row]:
        """Run a read and return all rows."""
        async with self._hold() as conn, conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetchone(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> aiosqlite.Row | None:
        """Run a read and return the first row, if any."""
        async with self._hold() as conn, conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> int:
        """Run one write in its own transaction; returns the affected row count."""
        async with self.transaction() as conn, conn.execute(sql, params) as cur:
            return cur.rowcount

    async def get_state(self, key: str) -> str | None:
        """A value from ``bot_state``."""
        row = await self.fetchone("SELECT value FROM bot_state WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    async def set_state(self, key: str, value: str) -> None:
        """Store a value in ``bot_state``."""
        await self.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

"""The one owner of the bot's SQLite connection.

A single aiosqlite connection serves the whole bot. SQLite allows one writer at a time anyway, and one
connection means a transaction can never see another task's half-finished writes: an asyncio lock makes
every transaction (and every read) run alone.

Another process may hold the file's write lock (a ``sync`` command beside the running bot, a long checkpoint).
SQLite itself waits ``busy_timeout`` seconds for it. After that the running bot (``retry_busy=True``) keeps
retrying with backoff, logging once when the episode starts and once when it ends, so no command, no sync and
no start-up migration crashes on it; a CLI command gives up with :class:`DatabaseBusyError`, one line naming
who may hold the lock.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot.textfold import search_key

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
# How long SQLite itself waits for another process's lock before a statement fails as busy (the default of
# TMINUS_DB_BUSY_TIMEOUT).
BUSY_TIMEOUT_S = 5.0
# The running bot's retries after that: first pause, and the longest pause between two tries.
RETRY_FIRST_S = 0.05
RETRY_MAX_S = 5.0
# How long closing waits for a transaction in flight (a command's write, a sync's upsert) to finish.
CLOSE_WAIT_S = 10.0
_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
# What the file or the disk did, not our SQL: reported to the operator as one line.
_FILE_FAULTS = frozenset(
    {sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOTADB}
)


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _search_key(value: object) -> object:
    return search_key(value) if isinstance(value, str) else value


class DatabaseError(Exception):
    """The database cannot be opened or used; the message is one line for the operator."""


class SchemaTooNewError(DatabaseError):
    """The file was written by a newer T-Minus than this one."""


class DatabaseBusyError(DatabaseError):
    """Another process held the database's lock for longer than this one was willing to wait."""


def _code(exc: sqlite3.Error) -> int:
    # The primary result code (extended codes carry details in the high bits).
    return int(getattr(exc, "sqlite_errorcode", -1)) & 0xFF


def _is_busy(exc: sqlite3.Error) -> bool:
    return _code(exc) in _BUSY_CODES or "database is locked" in str(exc)


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

    def __init__(self, path: Path | str, *, busy_timeout: float = BUSY_TIMEOUT_S, retry_busy: bool = False) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.retry_busy = retry_busy
        self._busy_since: float | None = None
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None
        # Set when a holder was cancelled: its last statement may still be queued on aiosqlite's worker thread.
        self._unsettled = False

    @classmethod
    def for_settings(cls, settings: Settings, *, retry_busy: bool = False) -> Database:
        """The database the settings name, with their busy timeout (``retry_busy``: the running bot)."""
        return cls(settings.db_path, busy_timeout=settings.db_busy_timeout, retry_busy=retry_busy)

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection; use :meth:`transaction` or the helpers rather than this directly."""
        if self._conn is None:
            raise DatabaseError("the database is not open")
        return self._conn

    async def connect(self, *, migrate: bool = True, check_writable: bool = True) -> int:
        """Open the file (creating it and its folder), set pragmas, migrate, and (``check_writable``) make sure
        it can be written; returns the schema version. Every failure is a one-line :class:`DatabaseError`."""
        if self._conn is not None:
            return await self.version()
        text = str(self.path)
        if text == ":memory:" or text.startswith("file:"):
            raise DatabaseError(f"database {text!r} is not a file: give a file path (nothing would be kept)")
        if self.path.is_dir():
            raise DatabaseError(f"cannot open database {self.path}: it is a directory, not a file")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"cannot open database {self.path}: {exc.strerror or exc}") from None
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so the sqlite3 module never opens a
        # transaction behind our back.
        pending = aiosqlite.connect(self.path, isolation_level=None)
        try:
            conn = await pending
        except (OSError, sqlite3.Error) as exc:
            await _stopped(pending)
            hint = ""
            if isinstance(exc, sqlite3.Error) and _code(exc) == sqlite3.SQLITE_CANTOPEN:
                hint = f" (is the folder {self.path.parent} writable by this user?)"
            raise DatabaseError(f"cannot open database {self.path}: {exc}{hint}") from None
        conn.row_factory = aiosqlite.Row
        try:
            # SQLite's lower() folds ASCII only; searches of names in any script use Python's casefold.
            await conn.create_function("casefold", 1, _casefold, deterministic=True)
            # The fold of stored names and typed searches (migration 0008 rewrites every key with it).
            await conn.create_function("search_key", 1, _search_key, deterministic=True)
            await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            self._conn = conn
            version = await self.migrate() if migrate else await self.version()
            if check_writable:
                await self._check_writable(version)
        except sqlite3.Error as exc:
            await conn.close()
            self._conn = None
            raise self._error(exc, "cannot use") from None
        except BaseException:
            await conn.close()
            self._conn = None
            raise
        return version

    async def _check_writable(self, version: int) -> None:
        # A read-only file (or folder) opens and reads fine; only a write tells. This one is rolled back.
        async with self._hold() as conn:
            await self._begin(conn, "BEGIN IMMEDIATE")
            try:
                await conn.execute(f"PRAGMA user_version = {int(version)}")
            finally:
                if conn.in_transaction:
                    await conn.rollback()

    def _error(self, exc: sqlite3.Error, doing: str) -> DatabaseError:
        """One line for the operator about what SQLite said."""
        code = _code(exc)
        if _is_busy(exc):
            return DatabaseBusyError(
                f"database {self.path} is busy: another process holds its write lock (the running bot, or "
                f"another sync or CLI command); gave up after {self.busy_timeout:g} s (TMINUS_DB_BUSY_TIMEOUT)"
            )
        if code == sqlite3.SQLITE_READONLY:
            return DatabaseError(
                f"database {self.path} is read-only ({exc}): make the file and its folder writable by this user"
            )
        return DatabaseError(f"{doing} database {self.path}: {exc}")

    async def close(self) -> None:
        """Close the connection if open (idempotent), after the transaction or read in flight has finished, and
        after ``PRAGMA optimize`` as SQLite advises."""
        if self._conn is None:
            return
        acquired = False
        if asyncio.current_task() is not self._holder:
            try:
                await asyncio.wait_for(self._lock.acquire(), CLOSE_WAIT_S)
                acquired = True
            except TimeoutError:
                log.warning("closing database %s with work still in flight after %g s", self.path, CLOSE_WAIT_S)
        try:
            if self._conn is not None:
                conn, self._conn = self._conn, None
                if not conn.in_transaction:
                    await _optimize(conn)
                await conn.close()
        finally:
            if acquired:
                self._lock.release()

    async def optimize(self) -> None:
        """``PRAGMA optimize`` now (SQLite advises it now and then on long-lived connections, and at close)."""
        async with self._hold() as conn:
            await _optimize(conn)

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
                await self._apply(version, name, sql)
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
                except sqlite3.OperationalError as exc:
                    # Busy past every wait, read-only, disk trouble: one line, not a traceback. Anything else
                    # (a bad statement) is a bug and stays as it is.
                    if _is_busy(exc) or _code(exc) in _FILE_FAULTS:
                        raise self._error(exc, "cannot use") from exc
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
                await self._begin(conn, "BEGIN IMMEDIATE")
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
                await self._begin(conn, "BEGIN")
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

    async def _apply(self, version: int, name: str, sql: str) -> None:
        """Apply one migration, all or nothing; the running bot waits out another process's lock first."""
        conn = self.conn
        log.info("applying migration %s", name)

        async def attempt() -> None:
            # Read again on every try: another process (a second start-up) may have applied it meanwhile.
            if await self.version() >= version:
                return
            try:
                # executescript runs the whole file; the explicit BEGIN ... COMMIT around it (and the version
                # bump inside) makes the migration all-or-nothing, so a try that failed busy can be repeated.
                await conn.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            except sqlite3.Error:
                if conn.in_transaction:
                    await conn.rollback()
                raise

        try:
            await self._retry_busy(attempt)
        except sqlite3.Error as exc:
            if _is_busy(exc) or _code(exc) == sqlite3.SQLITE_READONLY:
                raise self._error(exc, "cannot migrate") from None
            raise DatabaseError(f"migration {name} failed: {exc}") from exc

    async def _begin(self, conn: aiosqlite.Connection, sql: str) -> None:
        """Start a transaction; while another process holds the lock, retry (the bot) or give up (the CLI).

        Only the BEGIN is retried: it is where a writer waits for another's lock (in WAL mode nothing later in a
        transaction does), and it is the one statement that can be repeated without repeating a caller's work.
        """

        async def attempt() -> None:
            await conn.execute(sql)

        await self._retry_busy(attempt)

    async def _retry_busy(self, attempt: Callable[[], Awaitable[None]]) -> None:
        """Run ``attempt`` (which leaves no transaction open when it fails); while it fails because another
        process holds the lock, the running bot retries with backoff, logging once when the episode starts and
        once when it ends, and a CLI command gives up (SQLite has already waited ``busy_timeout``)."""
        delay = RETRY_FIRST_S
        while True:
            try:
                await attempt()
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc) or not self.retry_busy:
                    raise
                if self.conn.in_transaction:
                    await self.conn.rollback()
                if self._busy_since is None:
                    self._busy_since = time.monotonic()
                    log.warning(
                        "database %s is busy (another process holds its lock: a sync or CLI command, a long "
                        "checkpoint); retrying with backoff",
                        self.path,
                    )
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
                continue
            if self._busy_since is not None:
                log.warning("database %s usable again after %.1f s", self.path, time.monotonic() - self._busy_since)
                self._busy_since = None
            return

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


async def _stopped(pending: aiosqlite.Connection) -> None:
    """Wait for a failed connection's worker thread to end, so it never answers into a closed event loop."""
    # aiosqlite stops the thread of a failed connect, but does not wait for it: if asyncio.run() returns first,
    # the thread's last reply hits a closed loop and prints a traceback ("Event loop is closed").
    thread = getattr(pending, "_thread", None)
    if thread is not None and thread.is_alive():
        await asyncio.to_thread(thread.join, 5)


async def _optimize(conn: aiosqlite.Connection) -> None:
    """SQLite gathers the statistics its planner lacks for the queries this connection ran; analysis_limit
    bounds the time it may take on a big file. Advisory: a failure is logged, never raised."""
    try:
        await conn.execute("PRAGMA analysis_limit = 400")
        await conn.execute("PRAGMA optimize")
    except sqlite3.Error as exc:
        log.warning("PRAGMA optimize failed: %s", exc)

"""The SQLite side of storage/database.py: one aiosqlite connection shared by the whole process.

Concurrent handlers share the connection, so writes and transactions take turns (one asyncio lock): no
statement of one coroutine lands inside another's open transaction. A write that finds the file locked by
another process past `busy_timeout` is tried again with capped backoff for up to `lock_wait` seconds (on
`clock`); each retried step is whole (one autocommit statement, BEGIN IMMEDIATE or COMMIT), so a retry never
repeats half a change.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.core.clock import SYSTEM, Clock
from storage.database import Dialect, sqlite_path
from storage.db import migrate

log = logging.getLogger(__name__)
T = TypeVar("T")

BUSY_TIMEOUT = 10.0  # SQLite's own wait per statement for another connection's write lock (an import)
LOCK_WAIT = 60.0  # beyond that, a write keeps trying this long before the error reaches the caller
_LOCKED = ("database is locked", "database is busy")
_READS = ("SELECT", "PRAGMA")


def is_locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and str(exc).startswith(_LOCKED)


def _is_read(sql: str) -> bool:
    return sql.lstrip().upper().startswith(_READS)


class _Statements:
    """The five statement calls on one aiosqlite connection, with no locking (a transaction's view)."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def fetch(self, sql: str, *params: Any) -> list[Any]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def fetch_tuples(self, sql: str, *params: Any) -> list[Any]:
        async with self.conn.execute(sql, params) as cur:
            cur._cursor.row_factory = None  # plain tuples build much faster than sqlite3.Row
            return list(await cur.fetchall())

    async def fetchrow(self, sql: str, *params: Any) -> Any | None:
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetchval(self, sql: str, *params: Any) -> Any:
        async with self.conn.execute(sql, params) as cur:
            row = await cur.fetchone()
        return None if row is None else row[0]

    async def execute(self, sql: str, *params: Any) -> int:
        async with self.conn.execute(sql, params) as cur:
            return int(cur.rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        await self.conn.executemany(sql, rows)


class SqliteDatabase(_Statements):
    def __init__(
        self, conn: aiosqlite.Connection, url: str, clock: Clock = SYSTEM, lock_wait: float = LOCK_WAIT
    ) -> None:
        super().__init__(conn)
        self.url = url
        self.path = url
        self.clock = clock
        self.lock_wait = lock_wait
        self.lock = asyncio.Lock()

    async def _patiently(self, step: Callable[[], Awaitable[T]]) -> T:
        started = self.clock.monotonic()
        attempt = 0
        while True:
            try:
                return await step()
            except sqlite3.OperationalError as exc:
                waited = self.clock.monotonic() - started
                if not is_locked(exc) or waited >= self.lock_wait:
                    raise
                if attempt == 0:
                    log.warning("the database is locked by another connection; waiting up to %g s", self.lock_wait)
                delay = min(0.05 * 2 ** min(attempt, 10), 2.0, self.lock_wait - waited)
                attempt += 1
                await self.clock.sleep(delay)

    async def _write(self, step: Callable[[], Awaitable[T]]) -> T:
        async with self.lock:
            return await self._patiently(step)

    async def fetchrow(self, sql: str, *params: Any) -> Any | None:
        if _is_read(sql):
            return await super().fetchrow(sql, *params)
        return await self._write(lambda: _Statements.fetchrow(self, sql, *params))

    async def fetchval(self, sql: str, *params: Any) -> Any:
        if _is_read(sql):
            return await super().fetchval(sql, *params)
        return await self._write(lambda: _Statements.fetchval(self, sql, *params))

    async def fetch(self, sql: str, *params: Any) -> list[Any]:
        if _is_read(sql):
            return await super().fetch(sql, *params)
        return await self._write(lambda: _Statements.fetch(self, sql, *params))

    async def execute(self, sql: str, *params: Any) -> int:
        return await self._write(lambda: _Statements.execute(self, sql, *params))

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Statements]:
        async with self.lock:
            await self._patiently(lambda: self.conn.execute("BEGIN IMMEDIATE"))
            try:
                yield _Statements(self.conn)
                # A COMMIT that finds the database busy leaves the transaction open: try it again.
                await self._patiently(lambda: self.conn.execute("COMMIT"))
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise

    async def ping(self) -> None:
        await super().fetchval("SELECT 1")

    async def schema_version(self) -> int:
        return int(await super().fetchval("PRAGMA user_version") or 0)

    async def close(self) -> None:
        await self.conn.close()


async def open_sqlite(
    url: str | Path, *, busy_timeout: float = BUSY_TIMEOUT, clock: Clock = SYSTEM, lock_wait: float = LOCK_WAIT
) -> SqliteDatabase:
    """Open the store's file (a path or `sqlite:///…`), configure it for concurrent use and bring its schema
    up to date. `busy_timeout`: SQLite's own wait per statement for another connection's lock (tests lower it)."""
    path = sqlite_path(str(url))
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        await migrate(conn)
    except BaseException:
        # An open aiosqlite connection keeps its worker thread, and with it the process, alive.
        await conn.close()
        raise
    return SqliteDatabase(conn, path, clock, lock_wait)

"""Connection and versioned migrations: the only way the project opens its SQLite file."""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.core.clock import SYSTEM, Clock

log = logging.getLogger(__name__)
T = TypeVar("T")

# SQLite's own wait for another connection's write lock (an import's transaction), per statement.
BUSY_TIMEOUT = 10.0
# Beyond that, the bot's writes keep trying for this long in all (backoff from 50 ms to 2 s) before an
# error reaches the caller: a reply already sent must not turn into "Sorry, something went wrong".
LOCK_WAIT = 60.0
_LOCKED = ("database is locked", "database is busy")

_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every migration shipped in storage/migrations, in order."""
    found = []
    for item in resources.files("storage").joinpath("migrations").iterdir():
        match = _MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


async def connect(path: str | Path, busy_timeout: float = BUSY_TIMEOUT) -> aiosqlite.Connection:
    """Open the store, configure it for concurrent use and bring its schema up to date."""
    conn = await aiosqlite.connect(str(path), isolation_level=None)
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
    return conn


async def schema_version(conn: aiosqlite.Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply pending migrations, each in its own transaction; returns the resulting version."""
    current = await schema_version(conn)
    for version, name, sql in migrations():
        if version <= current:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            if await schema_version(conn) >= version:
                await conn.execute("ROLLBACK")
                continue
            for statement in _statements(sql):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version = {version}")
            await conn.execute("COMMIT")
        except Exception as exc:
            await conn.execute("ROLLBACK")
            raise RuntimeError(f"migration {name} failed: {exc}") from exc
        current = version
    return current


def _statements(sql: str) -> list[str]:
    # Migrations are plain DDL: no '--' or ';' inside string literals, so this split is safe.
    without_comments = re.sub(r"--[^\n]*", "", sql)
    return [s.strip() for s in without_comments.split(";") if s.strip()]


def is_locked(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and str(exc).startswith(_LOCKED)


class WriteGuard:
    """One aiosqlite connection is shared by concurrent handlers: writes and transactions take turns,
    so no statement of one coroutine lands inside another's open transaction.

    A write that finds the database locked past busy_timeout is tried again with capped backoff for up
    to `lock_wait` seconds (on `clock`), then the error is raised. Each retried step is whole: a single
    statement (autocommit), BEGIN IMMEDIATE, or COMMIT, so a retry never repeats half a change."""

    def __init__(self, conn: aiosqlite.Connection, clock: Clock = SYSTEM, lock_wait: float = LOCK_WAIT) -> None:
        self.conn = conn
        self.lock = asyncio.Lock()
        self.clock = clock
        self.lock_wait = lock_wait

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

    async def write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        async with self.lock:
            cur = await self._patiently(lambda: self.conn.execute(sql, params))
            return cur.rowcount

    async def write_many(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        """Every row or none (one transaction, so a retry cannot apply a row twice); rows changed."""
        async with self.transaction() as conn:
            cur = await conn.executemany(sql, rows)
            return max(cur.rowcount, 0)

    async def insert(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        async with self.lock:
            cur = await self._patiently(lambda: self.conn.execute(sql, params))
            return int(cur.lastrowid or 0)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self.lock:
            await self._patiently(lambda: self.conn.execute("BEGIN IMMEDIATE"))
            try:
                yield self.conn
                # A COMMIT that finds the database busy leaves the transaction open: try it again.
                await self._patiently(lambda: self.conn.execute("COMMIT"))
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise

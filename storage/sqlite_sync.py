"""The Executor API (storage/database.py) over a plain sqlite3 connection, for the SQLite import.

An import is tens of thousands of small statements. Through aiosqlite each would be a hop to its thread
and back on the bot's event loop; here the writer's coroutine runs in a worker thread on its own event
loop (`asyncio.run`) and every call goes straight to sqlite3, so the import costs what the synchronous
writer did and the bot's loop stays free. The methods are `async` only to satisfy the protocol: none of
them ever suspends.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from storage.database import Dialect

BUSY_TIMEOUT_MS = 30_000  # an import waits this long for a bot write to finish before it gives up
_RETURNING_ID = " RETURNING id"


class SyncSqliteExecutor:
    """One sqlite3 connection (already inside a transaction) as an Executor."""

    dialect: Dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    async def fetch(self, sql: str, *params: Any) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    async def fetch_tuples(self, sql: str, *params: Any) -> list[Any]:
        cur = self.conn.cursor()
        cur.row_factory = None  # plain tuples build much faster than sqlite3.Row
        return cur.execute(sql, params).fetchall()

    async def fetchrow(self, sql: str, *params: Any) -> Any | None:
        cur = self.conn.execute(sql, params)
        try:
            return cur.fetchone()
        finally:
            cur.close()  # resets the statement (an `INSERT … RETURNING` is not left half-stepped)

    async def fetchval(self, sql: str, *params: Any) -> Any:
        if sql.endswith(_RETURNING_ID) and sql.startswith("INSERT INTO ") and "ON CONFLICT" not in sql:
            # The same insert without RETURNING, and the new row's id from lastrowid (`id INTEGER PRIMARY KEY`
            # is the rowid): SQLite's RETURNING costs twice the insert, and an import makes tens of thousands.
            return self.conn.execute(sql[: -len(_RETURNING_ID)], params).lastrowid
        cur = self.conn.execute(sql, params)
        try:
            row = cur.fetchone()
        finally:
            cur.close()
        return None if row is None else row[0]

    async def execute(self, sql: str, *params: Any) -> int:
        return int(self.conn.execute(sql, params).rowcount)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)


@contextmanager
def immediate_transaction(path: str) -> Iterator[SyncSqliteExecutor]:
    """A connection of its own with the write lock taken up front (BEGIN IMMEDIATE): committed when the
    block ends, rolled back if it raises."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield SyncSqliteExecutor(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()

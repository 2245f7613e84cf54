"""The PostgreSQL side of storage/database.py: an asyncpg pool.

SQL is written once with `?` placeholders; here they become `$1, $2, …` (a `?` inside a quoted string, a
quoted identifier or a comment stays; the translation is cached per SQL text). A transaction holds one pooled
connection for its whole block, so nothing of another coroutine lands inside it; outside transactions every
statement borrows any free connection (autocommit).

Parameters go to asyncpg unchanged, and asyncpg checks them against the column's type: an `int` for
INTEGER/BIGINT (a `bool` passes, as on SQLite), a `str` for TEXT (an `int` for a TEXT column is an error here
although SQLite would store it), a `float` or `int` for DOUBLE PRECISION. Nothing is converted: a repository
passes the column's own Python type.

Differences a repository must know (the rest behaves as on SQLite): transactions run at READ COMMITTED and
other connections' transactions run beside them, so a read-modify-write inside one needs `SELECT … FOR UPDATE`
(ask `db.dialect`) or a single `UPDATE … SET n = n + 1`; `execute` returns the row count from the server's
status ("UPDATE 3" → 3; 0 for statements that change no rows).

A server restart closes every pooled connection; asyncpg replaces closed ones. A statement outside a
transaction that meets a connection the server had already closed is tried once more on a fresh one: reads
always, writes only when the server said it terminated that backend (so the statement never ran). Inside a
transaction the error reaches the caller, who retries the whole transaction if it wants to.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from storage.database import Dialect
from storage.migrate import migrate_postgres, postgres_version

log = logging.getLogger(__name__)
T = TypeVar("T")

POOL_SIZE = 10  # connections per process (PITBOARD_DB_POOL)
_READS = ("SELECT", "WITH", "VALUES", "SHOW")
_STATUS_COUNT = re.compile(r"(\d+)$")


@functools.lru_cache(maxsize=4096)
def numbered(sql: str) -> str:
    """`?` → `$1, $2, …`, outside '…' strings, "…" identifiers and -- or /* */ comments."""
    out: list[str] = []
    n = 0
    i = 0
    length = len(sql)
    while i < length:
        ch = sql[i]
        if ch in "'\"":
            end = sql.find(ch, i + 1)
            # A doubled quote inside ('it''s') simply ends one literal and starts the next: same result.
            end = length - 1 if end < 0 else end
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = length - 1 if end < 0 else end
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            end = length - 2 if end < 0 else end
            out.append(sql[i : end + 2])
            i = end + 2
        elif ch == "?":
            n += 1
            out.append(f"${n}")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def rows_changed(status: str) -> int:
    """asyncpg's status string → rows: "UPDATE 3" → 3, "INSERT 0 1" → 1, "CREATE TABLE" → 0."""
    match = _STATUS_COUNT.search(status or "")
    return int(match.group(1)) if match else 0


def safe_url(url: str) -> str:
    """The URL without its password (for logs and `Database.url`)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _is_read(sql: str) -> bool:
    return sql.lstrip().upper().startswith(_READS)


def _connection_lost(exc: BaseException, read: bool) -> bool:
    """Did the statement meet a connection the server had closed, so trying it again is safe?"""
    if isinstance(exc, asyncpg.ConnectionDoesNotExistError | ConnectionResetError) or (
        isinstance(exc, asyncpg.InterfaceError) and "connection is closed" in str(exc)
    ):
        # A backend terminated by the server (restart, pg_terminate_backend) rolled back what it had not
        # committed; any other loss mid-statement may have happened after a write's commit.
        return read or "terminating connection" in str(exc)
    return False


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a connection goes back to the pool with: asyncpg has already rolled back a transaction left open
    (and dropped listeners); its default reset query (pg_advisory_unlock_all, CLOSE ALL, UNLISTEN *, RESET
    ALL) is skipped. That query is one more round trip per statement, as many as the statements themselves:
    under a burst of commands it was a third of the bot's time. Nothing run through this pool leaves session
    state behind: no SET, no LISTEN, no cursor outside a transaction, and the migration lock is released in
    the same block (the replicas' advisory locks and LISTEN live on connections of their own)."""


def _nul_free(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_nul_free(v) for v in value]
    return value


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def text_safe(params: Sequence[Any]) -> Sequence[Any]:
    """The parameters with U+0000 in any text replaced by U+FFFD. PostgreSQL's TEXT cannot hold U+0000 (it
    refuses the whole statement), SQLite's can, and Telegram sends it in a user's text: a reply that quoted
    such text failed on PostgreSQL only. Imports refuse NUL in names before they get here."""
    if not any(_has_nul(p) for p in params):
        return params  # the usual case: one scan, no copy
    return [_nul_free(p) for p in params]


class _Statements:
    """The statement calls on a pool (autocommit) or on one connection (inside a transaction)."""

    dialect: Dialect = "postgresql"

    def __init__(self, target: asyncpg.Pool | asyncpg.Connection) -> None:
        self._target = target

    async def _run(self, sql: str, call: Callable[[], Awaitable[T]]) -> T:
        return await call()

    async def fetch(self, sql: str, *params: Any) -> list[Any]:
        return await self._run(sql, lambda: self._target.fetch(numbered(sql), *text_safe(params)))

    async def fetch_tuples(self, sql: str, *params: Any) -> list[Any]:
        # asyncpg's Records are already tuple-like and cheap: no faster form to ask for.
        return await self._run(sql, lambda: self._target.fetch(numbered(sql), *text_safe(params)))

    async def fetchrow(self, sql: str, *params: Any) -> Any | None:
        return await self._run(sql, lambda: self._target.fetchrow(numbered(sql), *text_safe(params)))

    async def fetchval(self, sql: str, *params: Any) -> Any:
        return await self._run(sql, lambda: self._target.fetchval(numbered(sql), *text_safe(params)))

    async def execute(self, sql: str, *params: Any) -> int:
        status = await self._run(sql, lambda: self._target.execute(numbered(sql), *text_safe(params)))
        return rows_changed(status)

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        # On one connection asyncpg runs the batch inside the open transaction (a pool's would be its own).
        await self._target.executemany(numbered(sql), [text_safe(r) for r in rows])


class PgDatabase(_Statements):
    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        super().__init__(pool)
        self.pool = pool  # for the coordination code: advisory locks, LISTEN/NOTIFY, COPY
        self.url = safe_url(url)

    @classmethod
    async def open(cls, url: str, *, pool_size: int = POOL_SIZE, migrate: bool = True) -> PgDatabase:
        """Connect a pool of up to `pool_size` connections and bring the schema up to date."""
        pool = await asyncpg.create_pool(url, min_size=min(2, pool_size), max_size=pool_size, reset=_keep_session)
        db = cls(pool, url)
        try:
            if migrate:
                async with pool.acquire() as conn:
                    await migrate_postgres(conn)
        except BaseException:
            await pool.close()
            raise
        return db

    async def _run(self, sql: str, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            if not _connection_lost(exc, _is_read(sql)):
                raise
            log.warning("the database connection was lost (%s); trying the statement once more", exc)
            # The server restarted, most likely: its other pooled connections are gone too.
            await self.pool.expire_connections()
            return await call()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as tx:
            await tx.executemany(sql, rows)

    async def _begin(self) -> tuple[asyncpg.pool.PoolConnectionProxy, asyncpg.transaction.Transaction]:
        """A pooled connection with its transaction started; BEGIN is tried again on a connection that a
        restart closed (nothing has happened yet, so that is always safe)."""
        for attempt in (1, 2):
            conn = await self.pool.acquire()
            transaction = conn.transaction()
            try:
                await transaction.start()
                return conn, transaction
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                await self.pool.release(conn)
                if attempt == 2 or not _connection_lost(exc, read=True):
                    raise
                log.warning("the database connection was lost (%s); beginning the transaction again", exc)
                await self.pool.expire_connections()
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Statements]:
        conn, transaction = await self._begin()
        try:
            try:
                yield _Statements(conn)
            except BaseException:
                # On a lost connection the server has rolled back already: the caller sees the first error.
                with contextlib.suppress(asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError):
                    await transaction.rollback()
                raise
            await transaction.commit()
        finally:
            await self.pool.release(conn)

    async def ping(self) -> None:
        await self.fetchval("SELECT 1")

    async def schema_version(self) -> int:
        async with self.pool.acquire() as conn:
            return await postgres_version(conn)

    async def close(self) -> None:
        await self.pool.close()

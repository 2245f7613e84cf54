"""One database API for both dialects: the seam between the repositories and SQLite or PostgreSQL.

Repositories write their SQL once, with `?` placeholders; the PostgreSQL side numbers them ($1, $2, …).
Where the dialects really differ (bulk inserts, row locks), a repository asks `db.dialect`.

    db = await open_database("pitboard.db")            # or "sqlite:///pitboard.db", "postgresql://…"
    rows = await db.fetch("SELECT id, name FROM series WHERE slug = ?", "f1")
    new_id = await db.fetchval("INSERT INTO x (a) VALUES (?) RETURNING id", 1)
    async with db.transaction() as tx:                  # all or nothing
        await tx.execute("UPDATE …", …)

Rows answer both `row[0]` and `row["name"]` (sqlite3.Row / asyncpg.Record), and unpack like tuples.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from bot.core.clock import Clock

Dialect = Literal["sqlite", "postgresql"]


class Row(Protocol):
    def __getitem__(self, key: int | str) -> Any: ...
    def __len__(self) -> int: ...


class Executor(Protocol):
    """What a repository talks to: the database itself, or one open transaction."""

    dialect: Dialect

    async def fetch(self, sql: str, *params: Any) -> list[Any]:
        """Every row (each a Row)."""

    async def fetch_tuples(self, sql: str, *params: Any) -> list[Any]:
        """Every row as a plain tuple (or tuple-like record): much faster for hundreds of thousands of rows."""

    async def fetchrow(self, sql: str, *params: Any) -> Any | None:
        """The first row, or None."""

    async def fetchval(self, sql: str, *params: Any) -> Any:
        """The first column of the first row, or None (also: `INSERT … RETURNING id`)."""

    async def execute(self, sql: str, *params: Any) -> int:
        """Run one statement; the number of rows it changed."""

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for each row, all in one transaction."""


class Database(Executor, Protocol):
    url: str  # what it was opened with, never containing a password (safe to log)

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        """Statements inside run in one transaction: committed when the block ends, rolled back on error.
        Transactions take turns with other writers of this Database; nothing of another coroutine lands
        inside one."""

    async def ping(self) -> None:
        """Raises DB_ERRORS when the database does not answer (for /readyz)."""

    async def schema_version(self) -> int: ...

    async def close(self) -> None: ...


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def sqlite_path(url: str) -> str:
    """`sqlite:///relative.db`, `sqlite:////abs/path.db` or a plain path → the file path."""
    return url[len("sqlite:///") :] if url.startswith("sqlite:///") else url


async def open_database(
    url_or_path: str,
    *,
    clock: Clock | None = None,
    busy_timeout: float | None = None,
    pool_size: int | None = None,
) -> Database:
    """Open the store `url_or_path` names and bring its schema up to date (migrations run at open).

    `postgresql://…`/`postgres://…`: PostgreSQL through an asyncpg pool of `pool_size` connections (default:
    PITBOARD_DB_POOL, else 10). A path or `sqlite:///…`: the SQLite file, configured as storage/db.py does.
    `clock` and `busy_timeout` concern SQLite's waits for another process's lock."""
    # Imported here: each side imports this module for its protocols.
    if is_postgres(url_or_path):
        from storage.postgres import POOL_SIZE, PgDatabase

        size = pool_size or int(os.environ.get("PITBOARD_DB_POOL") or POOL_SIZE)
        return await PgDatabase.open(url_or_path, pool_size=size)

    from bot.core.clock import SYSTEM
    from storage.sqlite import BUSY_TIMEOUT, open_sqlite

    return await open_sqlite(
        url_or_path, busy_timeout=BUSY_TIMEOUT if busy_timeout is None else busy_timeout, clock=clock or SYSTEM
    )


def _driver_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [sqlite3.Error]
    try:
        import asyncpg

        errors += [asyncpg.PostgresError, asyncpg.InterfaceError]
    except ImportError:  # pragma: no cover - asyncpg is a dependency; tolerated for the SQLite-only tools
        pass
    return tuple(errors)


# What a failing database raises, whichever it is: callers that must survive an outage catch these
# (with OSError and ConnectionError, which a lost PostgreSQL connection also raises).
DB_ERRORS: tuple[type[BaseException], ...] = (*_driver_errors(), OSError, ConnectionError)

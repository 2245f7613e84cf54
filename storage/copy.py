"""Copy an SQLite store into PostgreSQL (`pitboard migrate-db`), verified by row counts.

The target is migrated to the newest version first (and the source too, as any command opening it would), so
both have the same tables and columns (tests/test_database.py keeps the migrations in step). Everything is
copied in one PostgreSQL transaction, parents before children (foreign keys), with COPY; then every identity
restarts after the highest id copied, and the row counts of both sides are compared. Any difference or
error rolls the whole copy back: the target is either a full copy or as it was.

The source is read inside one SQLite write transaction, so a bot still running on it cannot change it
half way through the copy (its writes wait, or retry, until the copy has read everything).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from storage.database import Executor, open_database, sqlite_path
from storage.migrate import VERSION_TABLE
from storage.postgres import PgDatabase

log = logging.getLogger(__name__)


class CopyFailed(RuntimeError):
    """The copy could not be made or verified; the target is unchanged."""


class TargetNotEmpty(CopyFailed):
    def __init__(self, tables: list[str]) -> None:
        super().__init__(
            f"the PostgreSQL database already holds data ({', '.join(tables)}); "
            "use --force to empty it first (everything in it is lost)"
        )
        self.tables = tables


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    sqlite_rows: int
    postgres_rows: int


class CountMismatch(CopyFailed):
    def __init__(self, counts: list[TableCount]) -> None:
        wrong = [c for c in counts if c.sqlite_rows != c.postgres_rows]
        detail = ", ".join(f"{c.table}: {c.sqlite_rows} in SQLite, {c.postgres_rows} in PostgreSQL" for c in wrong)
        super().__init__(f"row counts differ ({detail}); nothing was copied")
        self.counts = counts


# The SQLite storage classes each PostgreSQL column type takes as they are. SQLite's column affinity already
# turns '5' into 5 for an INTEGER column and 5 into '5' for a TEXT one; what is left (text that spells no
# number in an INTEGER column, 1.5 in one, a blob) has no faithful PostgreSQL value, and the copy stops there.
_FITS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "integer": ("integer",),
    "bigint": ("integer",),
    "double precision": ("real", "integer"),
}


def dependency_order(parents: dict[str, set[str]]) -> list[str]:
    """Tables sorted so that each comes after every table it references (ties by name, for a stable order)."""
    ordered: list[str] = []
    placed: set[str] = set()
    remaining = sorted(parents)
    while remaining:
        ready = [t for t in remaining if parents[t] - {t} <= placed]
        if not ready:
            raise CopyFailed(f"the foreign keys between {', '.join(remaining)} form a cycle")
        ordered += ready
        placed.update(ready)
        remaining = [t for t in remaining if t not in placed]
    return ordered


async def _sqlite_tables(source: Executor) -> dict[str, set[str]]:
    names = [
        r[0]
        for r in await source.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
        )
    ]
    return {name: {r["table"] for r in await source.fetch(f"PRAGMA foreign_key_list({name})")} for name in names}


async def _pg_columns(conn: asyncpg.Connection) -> dict[str, list[tuple[str, str, bool]]]:
    """table → [(column, data type, is identity)] in the table's order (the version table left out)."""
    columns: dict[str, list[tuple[str, str, bool]]] = {}
    for r in await conn.fetch(
        "SELECT table_name, column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name <> $1 ORDER BY table_name, ordinal_position",
        VERSION_TABLE,
    ):
        columns.setdefault(r["table_name"], []).append((r["column_name"], r["data_type"], r["is_identity"] == "YES"))
    return columns


async def _source_rows(source: Executor, table: str, columns: list[tuple[str, str, bool]]) -> list[Sequence[Any]]:
    for name, data_type, _ in columns:
        if data_type not in _FITS:
            raise CopyFailed(f"{table}.{name}: no rule to copy PostgreSQL type {data_type}")
        allowed = ", ".join(f"'{c}'" for c in ("null", *_FITS[data_type]))
        odd = await source.fetchrow(f"SELECT {name} FROM {table} WHERE typeof({name}) NOT IN ({allowed}) LIMIT 1")
        if odd is not None:
            raise CopyFailed(f"{table}.{name} holds {odd[0]!r}, which PostgreSQL's {data_type} column cannot take")
    return list(await source.fetch_tuples(f"SELECT {', '.join(c[0] for c in columns)} FROM {table}"))


async def copy_sqlite_to_postgres(source_path: str | Path, target_url: str, *, force: bool = False) -> list[TableCount]:
    """Copy every table of the SQLite store at `source_path` into the PostgreSQL database at `target_url`.

    Refused (TargetNotEmpty) when the target holds rows, unless `force` empties it first. Returns the row
    counts per table in copy order; raises CountMismatch or CopyFailed with the target unchanged."""
    path = Path(sqlite_path(str(source_path)))
    if not path.is_file():
        raise CopyFailed(f"no SQLite store at {path}")
    source = await open_database(str(path))
    try:
        target = await open_database(target_url)
        try:
            assert isinstance(target, PgDatabase)
            async with source.transaction() as reader, target.pool.acquire() as conn, conn.transaction():
                return await _copy(reader, conn, force)
        finally:
            await target.close()
    finally:
        await source.close()


# Tables a migration fills (the replicas' limiter rows): a fresh target is not "holding data" because of them.
_SEEDED = frozenset({"shared_limits", "store_revision"})


async def _copy(source: Executor, conn: asyncpg.Connection, force: bool) -> list[TableCount]:
    parents = await _sqlite_tables(source)
    columns = await _pg_columns(conn)
    if sorted(parents) != sorted(columns):
        raise CopyFailed(
            f"the two schemas differ: SQLite has {sorted(set(parents) - set(columns))} more, "
            f"PostgreSQL {sorted(set(columns) - set(parents))} more"
        )
    order = dependency_order(parents)
    holding = [t for t in order if t not in _SEEDED and await conn.fetchval(f"SELECT EXISTS (SELECT 1 FROM {t})")]
    if holding and not force:
        raise TargetNotEmpty(holding)
    # The seeded tables hold only the migrations' own rows in a fresh database; they are copied like the rest.
    await conn.execute(
        f"TRUNCATE {', '.join(order if holding else [t for t in order if t in _SEEDED])} RESTART IDENTITY CASCADE"
    )

    counts: list[TableCount] = []
    for table in order:
        rows = await _source_rows(source, table, columns[table])
        if rows:
            await conn.copy_records_to_table(table, records=rows, columns=[c[0] for c in columns[table]])
        for name, _, identity in columns[table]:
            if identity:
                # The next generated id follows the highest copied one (the next row gets 1 on an empty table).
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT max({name}) FROM {table}), 0) + 1,"
                    " false)",
                    table,
                    name,
                )
        sqlite_rows = int(await source.fetchval(f"SELECT count(*) FROM {table}"))
        postgres_rows = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
        counts.append(TableCount(table, sqlite_rows, postgres_rows))
        log.info("copied %s: %d rows", table, postgres_rows)
    if any(c.sqlite_rows != c.postgres_rows for c in counts):
        raise CountMismatch(counts)
    return counts

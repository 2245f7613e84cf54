"""Versioned migrations for both dialects, and the PostgreSQL runner.

Each dialect has its own folder with the same numbers: storage/migrations/NNNN_name.sql (SQLite, applied by
storage/db.py, version in `PRAGMA user_version`) and storage/migrations/postgresql/NNNN_name.sql (its faithful
translation, applied here). tests/test_database.py checks that both have the same numbers and, once applied,
the same tables and columns.

On PostgreSQL several replicas may start at once: the runner holds a session advisory lock (one fixed key)
while it reads the version and applies what is missing, each migration in its own transaction together with
its row in `schema_version`. A replica that waited for the lock finds the work done and applies nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from importlib.abc import Traversable
from typing import TYPE_CHECKING

from storage.database import Dialect

if TYPE_CHECKING:
    import asyncpg

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

# "pbmigrat" in ASCII as a signed 64-bit key: the one advisory lock migrations take. Other advisory locks of
# the project must use other keys: the leader's (storage/leader.py) spells "pitboard", and when this one was
# the same, a replica starting beside a running leader waited for the leader's lock forever.
MIGRATION_LOCK = int.from_bytes(b"pbmigrat", "big")

# Where PostgreSQL keeps the applied versions (SQLite uses PRAGMA user_version): not part of the data,
# so the schema comparison and `pitboard migrate-db` leave it out.
VERSION_TABLE = "schema_version"
_CREATE_VERSION_TABLE = f"""
CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str  # the file's path under storage/migrations, e.g. "postgresql/0003_bot_state.sql"
    sql: str


class MigrationFailed(RuntimeError):
    """A migration's SQL failed; its transaction was rolled back. The message names the file."""


def _folder(dialect: Dialect) -> Traversable:
    root = resources.files("storage").joinpath("migrations")
    return root.joinpath("postgresql") if dialect == "postgresql" else root


def migrations(dialect: Dialect) -> list[Migration]:
    """Every migration shipped for `dialect`, in order; numbered 1..n without gaps."""
    prefix = "postgresql/" if dialect == "postgresql" else ""
    found = []
    for item in _folder(dialect).iterdir():
        match = _NAME.match(item.name)
        if match:
            found.append(Migration(int(match.group(1)), prefix + item.name, item.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"{dialect} migrations must be numbered 1..n without gaps, found {versions}")
    return found


def newest_version(dialect: Dialect = "sqlite") -> int:
    return len(migrations(dialect))


async def postgres_version(conn: asyncpg.Connection) -> int:
    """The applied version; 0 for a database no migration has touched."""
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", VERSION_TABLE)
    if not exists:
        return 0
    return int(await conn.fetchval(f"SELECT COALESCE(max(version), 0) FROM {VERSION_TABLE}"))


async def migrate_postgres(conn: asyncpg.Connection, pending: list[Migration] | None = None) -> int:
    """Apply every migration newer than the database's version under the migration lock; the version after.

    `pending` replaces the shipped list (tests). A failing migration rolls back whole and raises
    MigrationFailed naming its file; the ones before it stay applied."""
    todo = migrations("postgresql") if pending is None else pending
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(_CREATE_VERSION_TABLE)
        current = await postgres_version(conn)
        for migration in todo:
            if migration.version <= current:
                continue
            try:
                async with conn.transaction():
                    # No parameters: the simple query protocol runs the file's statements in one go.
                    await conn.execute(migration.sql)
                    await conn.execute(
                        f"INSERT INTO {VERSION_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    )
            except Exception as exc:
                raise MigrationFailed(f"migration {migration.name} failed: {exc}") from exc
            log.info("applied migration %s", migration.name)
            current = migration.version
        return current
    finally:
        if not conn.is_closed():  # a lost connection has released its lock already
            await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

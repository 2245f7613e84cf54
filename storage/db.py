"""Versioned SQLite migrations (storage/migrations/NNNN_name.sql), applied by storage/sqlite.py on opening."""

from __future__ import annotations

import logging
import re

import aiosqlite

from storage.migrate import migrations as listed

log = logging.getLogger(__name__)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every SQLite migration shipped, in order (listed by storage/migrate.py)."""
    return [(m.version, m.name, m.sql) for m in listed("sqlite")]


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

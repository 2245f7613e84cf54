"""Where the tests' stores live: SQLite files (the default) or databases on a real PostgreSQL server.

`PITBOARD_TEST_DATABASE=postgresql` (with `PITBOARD_TEST_POSTGRES_URL` naming a server, as .ci/run sets)
runs the same tests on PostgreSQL: every `new_db(folder, name)` is then a fresh database on that server
instead of `folder/name.db`, and `clone_db` copies one with CREATE DATABASE … TEMPLATE instead of copying
the file. Databases a test created are dropped after it (conftest's autouse fixture).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ON_POSTGRES = os.environ.get("PITBOARD_TEST_DATABASE", "sqlite") == "postgresql"
_created: list[str] = []


def server_url() -> str:
    url = os.environ.get("PITBOARD_TEST_POSTGRES_URL")
    if not url:
        raise RuntimeError("PITBOARD_TEST_DATABASE=postgresql needs PITBOARD_TEST_POSTGRES_URL (a server's URL)")
    return url


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def psql(sql: str, url: str | None = None) -> str:
    """One statement through psql on the test server (CREATE/DROP DATABASE cannot run in a transaction)."""
    done = subprocess.run(
        ["psql", url or server_url(), "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        raise RuntimeError(f"psql failed: {done.stderr.strip()}")
    return done.stdout


def _new_name(hint: str) -> str:
    safe = "".join(c if c.isalnum() else "_" for c in hint.lower())[:20]
    return f"t_{safe}_{uuid.uuid4().hex[:10]}"


def new_db(folder: Path, name: str = "store", *, keep: bool = False) -> str:
    """A new, empty store's location: `folder/name.db`, or a fresh PostgreSQL database's URL.

    `keep`: not dropped after the test (a fixture of a wider scope drops it itself, with `drop_db`)."""
    if not ON_POSTGRES:
        return str(Path(folder) / f"{name}.db")
    database = _new_name(name)
    psql(f'CREATE DATABASE "{database}"')
    if not keep:
        _created.append(database)
    return _with_database(server_url(), database)


def clone_db(source: str, folder: Path, name: str = "copy", *, keep: bool = False) -> str:
    """A copy of a store. PostgreSQL copies need the source to have no open connections."""
    if not ON_POSTGRES:
        target = Path(folder) / f"{name}.db"
        shutil.copy(source, target)
        return str(target)
    database = _new_name(name)
    psql(f'CREATE DATABASE "{database}" TEMPLATE "{database_name(source)}"')
    if not keep:
        _created.append(database)
    return _with_database(server_url(), database)


def drop_db(location: str) -> None:
    """Drop a PostgreSQL database made with `keep=True` (a SQLite file goes with its temporary folder)."""
    if ON_POSTGRES:
        psql(f'DROP DATABASE IF EXISTS "{database_name(location)}" WITH (FORCE)')


def drop_created() -> None:
    while _created:
        psql(f'DROP DATABASE IF EXISTS "{_created.pop()}" WITH (FORCE)')


def query(location: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Rows of one statement (written with `?`), read beside whatever has the store open, from sync code."""
    if not ON_POSTGRES:
        conn = sqlite3.connect(location)
        try:
            return list(conn.execute(sql, params))
        finally:
            conn.close()

    async def fetch() -> list[tuple[Any, ...]]:
        import asyncpg

        from storage.postgres import numbered

        conn = await asyncpg.connect(location)
        try:
            return [tuple(r) for r in await conn.fetch(numbered(sql), *params)]
        finally:
            await conn.close()

    # Its own event loop in its own thread: callers may be inside a test's running loop.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, fetch()).result()


def fingerprint(location: str, tables: Sequence[str] | None = None) -> str:
    """A digest of what the store holds (or of `tables`), to show that a refused change changed nothing.

    Rows, not a dump: PostgreSQL's identity sequences advance even in a transaction that rolls back, which
    is no change to what is stored."""
    digest = hashlib.sha256()
    if tables is None and not ON_POSTGRES:
        conn = sqlite3.connect(location)
        try:
            for line in conn.iterdump():
                digest.update(line.encode())
        finally:
            conn.close()
        return digest.hexdigest()
    if tables is None:
        listed = query(
            location, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"
        )
        tables = [str(t) for (t,) in listed]
    for table in tables:
        for row in query(location, f"SELECT * FROM {table} ORDER BY 1"):
            digest.update(repr(row).encode())
    return digest.hexdigest()


def holding(location: str, needle: str) -> list[str]:
    """Where the store holds `needle`: the SQLite files (main, -wal, -journal) or PostgreSQL tables."""
    if not ON_POSTGRES:
        files = Path(location).parent.glob(Path(location).name + "*")
        return [f.name for f in files if f.is_file() and needle.encode() in f.read_bytes()]
    tables = query(location, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
    return [
        t for (t,) in tables if query(location, f"SELECT count(*) FROM {t} x WHERE x::text LIKE ?", f"%{needle}%")[0][0]
    ]


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """For a test of SQLite itself (its file, locks, backup API): skipped, with the reason, on PostgreSQL."""
    return pytest.mark.skipif(ON_POSTGRES, reason=f"SQLite only: {reason}")

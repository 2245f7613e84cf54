"""A real PostgreSQL for the replica tests (tests/test_replicas_*.py): one server per test run (its own: these
tests terminate sessions holding advisory locks and restart the server), a fresh database per test at the
newest schema (the real migrations, storage/migrate.py), copied from a template migrated once.
"""

from __future__ import annotations

import atexit
import functools
import itertools
import tempfile
from pathlib import Path

import asyncpg

from storage.migrate import migrate_postgres
from tests.conftest import pg_unavailable
from tests.pgserver import PgServer, bin_dir

TEMPLATE = "replicas_template"
_names = itertools.count(1)
_template_ready = False


@functools.cache
def server() -> PgServer:
    if bin_dir() is None:
        pg_unavailable("PostgreSQL is not installed (Debian: apt-get install postgresql)")
    pg = PgServer(Path(tempfile.mkdtemp(prefix="pitboard-replicas-")))
    pg.start()
    atexit.register(pg.stop, "immediate")
    return pg


async def _template(pg: PgServer) -> None:
    global _template_ready
    if _template_ready:
        return
    admin = await asyncpg.connect(pg.url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    conn = await asyncpg.connect(pg.url_for(TEMPLATE))
    try:
        await migrate_postgres(conn)
    finally:
        await conn.close()
    _template_ready = True


async def fresh_database() -> str:
    """The URL of a new database at the newest schema version."""
    pg = server()
    await _template(pg)
    name = f"replicas_{next(_names)}"
    admin = await asyncpg.connect(pg.url)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    finally:
        await admin.close()
    return pg.url_for(name)

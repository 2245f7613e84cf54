"""Where the tests' stores live: SQLite files (the default) or databases on a real PostgreSQL server.

`PITBOARD_TEST_DATABASE=postgresql` (with `PITBOARD_TEST_POSTGRES_URL` naming a server, as .ci/run sets)
runs the same tests on PostgreSQL: every `new_db(folder, name)` is then a fresh database on that server
instead of `folder/name.db`, and `clone_db` copies one with CREATE DATABASE … TEMPLATE instead of copying
the file. Databases a test created are dropped after it (conftest's autouse fixture).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path
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


def new_db(folder: Path, name: str = "store") -> str:
    """A new, empty store's location: `folder/name.db`, or a fresh PostgreSQL database's URL."""
    if not ON_POSTGRES:
        return str(Path(folder) / f"{name}.db")
    database = _new_name(name)
    psql(f'CREATE DATABASE "{database}"')
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


def drop_created() -> None:
    while _created:
        psql(f'DROP DATABASE IF EXISTS "{_created.pop()}" WITH (FORCE)')


def sqlite_only(reason: str) -> pytest.MarkDecorator:
    """For a test of SQLite itself (its file, locks, backup API): skipped, with the reason, on PostgreSQL."""
    return pytest.mark.skipif(ON_POSTGRES, reason=f"SQLite only: {reason}")

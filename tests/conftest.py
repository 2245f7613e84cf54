"""Shared fixtures: the real data files from ../shared/data and real stores (SQLite files, or databases on a real
PostgreSQL server when PITBOARD_TEST_DATABASE=postgresql: tests/databases.py)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import pytest

from bot.ingest.importers import load_paths
from storage.store import Store
from tests.databases import ON_POSTGRES, clone_db, drop_created, drop_db, new_db

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SERIES = ROOT / "bot" / "ingest" / "series"
ERGAST = SHARED / "f1-ergast"
IMSA = SHARED / "imsa" / "2023"
GTWC = SHARED / "gtwc-europe" / "2023"
T = TypeVar("T")


def all_sources() -> list[Path]:
    return [*sorted(SERIES.glob("*.json")), ERGAST, IMSA, GTWC]


@pytest.fixture(scope="session")
def full_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A store holding the shipped rules and calendars, F1 1950–2024, IMSA and GTWC Europe 2023.

    Imported once per test run: a SQLite file, or on PostgreSQL a database that is only ever copied
    (CREATE DATABASE … TEMPLATE needs its source without open connections, so no test opens it).
    """
    location = new_db(tmp_path_factory.mktemp("store"), "full", keep=True)

    async def build() -> None:
        store = await Store.open(location)
        try:
            await store.apply(load_paths(all_sources()))
        finally:
            await store.close()

    asyncio.run(build())
    try:
        yield location
    finally:
        drop_db(location)


@pytest.fixture(scope="session")
def full_db(full_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The full store for tests that only read it (they must not write to it: copy it with `copy_db`).

    On SQLite the imported file itself; on PostgreSQL one copy of the template for the whole run."""
    if not ON_POSTGRES:
        yield full_template
        return
    location = clone_db(full_template, tmp_path_factory.mktemp("store"), "full_read", keep=True)
    try:
        yield location
    finally:
        drop_db(location)


@pytest.fixture(scope="session", autouse=True)
def _cache_folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """On PostgreSQL the providers' HTTP cache lives in $XDG_CACHE_HOME (no database file to sit beside):
    the run's own folder, for this process and the `pitboard` processes the tests start."""
    if not ON_POSTGRES:
        yield
        return
    before = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = before


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """PostgreSQL databases a test made with `new_db`/`clone_db` are dropped after it."""
    yield
    if ON_POSTGRES:
        drop_created()


@pytest.fixture
async def store(full_db: str) -> AsyncIterator[Store]:
    s = await Store.open(full_db)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def copy_db(full_template: str, tmp_path: Path) -> str:
    """A private copy of the full store (a file copy, or a TEMPLATE copy on PostgreSQL)."""
    return clone_db(full_template, tmp_path, "copy")


def run_cli(*args: str, db: str | Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    """The real `pitboard` command in its own process."""
    env = {**os.environ, "PITBOARD_DATABASE": str(db), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"pitboard {' '.join(args)} failed: {result.stderr}")
    return result


# PostgreSQL (storage/postgres.py): one real server per test run, a fresh database per test.
# PITBOARD_TEST_POSTGRES_URL: a server already running (CI starts one); else the tests start their own. Where
# PostgreSQL is missing, its tests skip with the reason, or fail when PITBOARD_TEST_POSTGRES=required (CI).


def pg_unavailable(reason: str) -> NoReturn:
    if os.environ.get("PITBOARD_TEST_POSTGRES") == "required":
        pytest.fail(f"PITBOARD_TEST_POSTGRES=required, but {reason}", pytrace=False)
    pytest.skip(f"{reason}; install PostgreSQL or set PITBOARD_TEST_POSTGRES_URL")


def in_thread(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end on its own event loop, away from the test's (fixtures set up outside it)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, make()).result()


async def pg_admin(server_url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def _with_database(server_url: str, name: str) -> str:
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """The URL of the test run's PostgreSQL server (its `postgres` database)."""
    given = os.environ.get("PITBOARD_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    from tests.pgserver import PgServer, bin_dir

    if bin_dir() is None:
        pg_unavailable("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH)")
    root = Path(tempfile.mkdtemp(prefix="pitboard-pg-"))
    server = PgServer(root)
    try:
        server.start()
    except Exception as exc:
        pg_unavailable(f"PostgreSQL did not start: {exc}")
    try:
        yield server.url
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_template(pg_server_url: str) -> Iterator[str]:
    """A database with every migration applied, copied for each test (faster than migrating each time)."""
    name = f"pitboard_template_{uuid.uuid4().hex[:12]}"
    in_thread(lambda: pg_admin(pg_server_url, f"CREATE DATABASE {name} TEMPLATE template0"))

    async def migrate() -> None:
        from storage.postgres import PgDatabase

        db = await PgDatabase.open(_with_database(pg_server_url, name), pool_size=1)
        await db.close()

    in_thread(migrate)
    try:
        yield name
    finally:
        in_thread(lambda: pg_admin(pg_server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _fresh_database(server_url: str, template: str) -> Iterator[str]:
    name = f"pitboard_test_{uuid.uuid4().hex[:12]}"
    in_thread(lambda: pg_admin(server_url, f"CREATE DATABASE {name} TEMPLATE {template}"))
    try:
        yield _with_database(server_url, name)
    finally:
        in_thread(lambda: pg_admin(server_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
def pg_url(pg_server_url: str, pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema version, dropped after the test."""
    yield from _fresh_database(pg_server_url, pg_template)


@pytest.fixture
def pg_empty_url(pg_server_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no migration applied), dropped after the test."""
    yield from _fresh_database(pg_server_url, "template0")

"""The import writer inside a transaction of the database API (the way PostgreSQL imports): the same
rows as the SQLite fast path, nothing when nothing changed, nothing at all when the batch is refused."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.core.records import ResultRec
from bot.ingest.importers import load_paths
from storage.store import Store
from storage.writer import ImportConflict, apply_in_transaction
from tests.conftest import GTWC
from tests.databases import new_db, query, sqlite_only

TABLES = ("events", "sessions", "entries", "entry_drivers", "results", "drivers", "teams", "event_aliases")


def _rows(db: str) -> dict[str, list[tuple[object, ...]]]:
    return {t: sorted(query(db, f"SELECT * FROM {t}")) for t in TABLES}


def _imports(db: str) -> int:
    return int(query(db, "SELECT count(*) FROM imports")[0][0])


@sqlite_only("compares SQLite's fast path with the database API's transaction (PostgreSQL has only the latter)")
async def test_a_transaction_of_the_database_api_writes_what_the_fast_path_writes(tmp_path: Path) -> None:
    sources = [GTWC / "Monza", GTWC / "Barcelona"]
    async with await Store.open(tmp_path / "fast.db") as store:
        fast = await store.apply(load_paths(sources, season=2023))
    async with await Store.open(tmp_path / "api.db") as store:
        through_api = await apply_in_transaction(store.db, load_paths(sources, season=2023))
        assert through_api.results_added == fast.results_added > 0
        assert through_api.session_changes == fast.session_changes
        logged = _imports(str(tmp_path / "api.db"))
        # The same files again change nothing: rolled back, not even the import log grows.
        again = await apply_in_transaction(store.db, load_paths(sources, season=2023))
        assert not again.changed
    assert _imports(str(tmp_path / "api.db")) == logged >= 1
    assert _rows(str(tmp_path / "api.db")) == _rows(str(tmp_path / "fast.db"))


async def test_a_conflict_inside_the_transaction_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    api = new_db(tmp_path, "api")
    async with await Store.open(api) as store:
        await apply_in_transaction(store.db, load_paths([GTWC / "Monza"], season=2023))
        before, logged = _rows(api), _imports(api)
        batches = load_paths([GTWC / "Barcelona"], season=2023)
        race = next(s for e in batches[0].seasons[0].events for s in e.sessions if s.key == "race")
        assert race.results is not None
        race.results.append(ResultRec(entry_key="no-such-car", status="classified", position=99))
        with pytest.raises(ImportConflict):
            await apply_in_transaction(store.db, batches)
        # The store's own connection still works after the rollback.
        assert [s.slug for s in await store.series.all()] == ["gtwc-europe"]
    assert _rows(api) == before
    assert _imports(api) == logged


async def test_two_imports_of_the_same_files_at_once_store_them_once(tmp_path: Path) -> None:
    """Two connections (two replicas, or the bot and `pitboard import`) import the same race together: one
    stores it, the other finds nothing new — no conflict, no doubled change (on PostgreSQL the imports
    take turns through an advisory lock; without it both wrote the same rows)."""
    db = new_db(tmp_path, "store")
    async with await Store.open(db) as setup:
        await setup.apply(load_paths([GTWC / "Monza"], season=2023))
    one, two = await Store.open(db), await Store.open(db)
    try:
        batches = [load_paths([GTWC / "Barcelona"], season=2023) for _ in range(2)]
        changes = await asyncio.gather(one.apply(batches[0]), two.apply(batches[1]))
        assert sorted(c.changed for c in changes) == [False, True]
        stored = next(c for c in changes if c.changed)
        assert stored.results_added > 0
        assert _rows(db) == _rows_after_one_import(tmp_path)
    finally:
        await one.close()
        await two.close()


def _rows_after_one_import(tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    alone = new_db(tmp_path, "alone")

    async def build() -> None:
        async with await Store.open(alone) as store:
            await store.apply(load_paths([GTWC / "Monza"], season=2023))
            await store.apply(load_paths([GTWC / "Barcelona"], season=2023))

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, build()).result()
    return _rows(alone)

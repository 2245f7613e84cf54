"""The store itself: migrations, idempotent imports, corrections, identities, admin merge/split."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from bot.ingest.importers import load_paths
from storage.db import migrations
from storage.sqlite import open_sqlite
from storage.store import Store
from tests.conftest import GTWC, IMSA, all_sources
from tests.databases import new_db, sqlite_only


@sqlite_only("SQLite's PRAGMA user_version, WAL and foreign_keys settings")
async def test_migrations_are_versioned_and_applied(tmp_path: Path) -> None:
    db = await open_sqlite(tmp_path / "fresh.db")
    try:
        assert await db.schema_version() == len(migrations()) >= 1
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
    finally:
        await db.close()
    # Opening again applies nothing twice.
    db = await open_sqlite(tmp_path / "fresh.db")
    await db.close()


async def test_reimporting_everything_changes_nothing(copy_db: Path) -> None:
    async with await Store.open(copy_db) as store:
        before = await store.counts()
        changes = await store.apply(load_paths(all_sources()))
        assert not changes.changed, changes
        assert await store.counts() == before


def _native(results_status: str, winner: str, second: str) -> dict[str, object]:
    return {
        "format": "pitboard/1",
        "series": {"slug": "test-cup", "name": "Test Cup"},
        "seasons": [
            {
                "year": 2026,
                "championships": [
                    {
                        "key": "main",
                        "name": "Main",
                        "default": True,
                        "rules": {
                            "subjects": ["drivers"],
                            "scoring": [{"match": {"kind": "race"}, "points": [10, 6, 4]}],
                        },
                    }
                ],
                "events": [
                    {
                        "key": "ring",
                        "name": "Ring <Race> & Co",
                        "timezone": "Europe/Vienna",
                        "entries": [
                            {"number": "7", "team": '<b>&Co "x"', "drivers": ["Anna Muster"]},
                            {"number": "07", "team": "Other", "drivers": ["Bert Beispiel"]},
                        ],
                        "sessions": [
                            {
                                "key": "race",
                                "name": "Race",
                                "kind": "race",
                                "start": "2026-03-29T08:00:00Z",
                                "results_status": results_status,
                                "results": [{"number": winner, "position": 1}, {"number": second, "position": 2}],
                            }
                        ],
                    }
                ],
            }
        ],
    }


async def test_provisional_results_corrected_then_final(tmp_path: Path) -> None:
    path = tmp_path / "test-cup.json"
    async with await Store.open(new_db(tmp_path, "s")) as store:
        path.write_text(json.dumps(_native("provisional", "7", "07")))
        first = await store.apply(load_paths([path]))
        assert [c.what for c in first.session_changes if c.what.startswith("results")] == ["results_new"]

        path.write_text(json.dumps(_native("provisional", "07", "7")))  # a penalty swaps the top two
        corrected = await store.apply(load_paths([path]))
        assert [c.what for c in corrected.session_changes] == ["results_corrected"]
        assert corrected.results_updated == 2

        path.write_text(json.dumps(_native("final", "07", "7")))
        final = await store.apply(load_paths([path]))
        assert [c.what for c in final.session_changes] == ["results_final"]
        schedule = await store.schedule.schedule("test-cup", 2026)
        assert schedule[0].results_status == "final"
        assert schedule[0].start_utc == "2026-03-29T08:00:00Z"

        again = await store.apply(load_paths([path]))
        assert not again.changed


async def test_moved_session_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "test-cup.json"
    doc = _native("final", "7", "07")
    async with await Store.open(new_db(tmp_path, "s")) as store:
        path.write_text(json.dumps(doc))
        await store.apply(load_paths([path]))
        doc["seasons"][0]["events"][0]["sessions"][0]["start"] = "2026-03-29T09:30:00Z"  # type: ignore[index]
        path.write_text(json.dumps(doc))
        changes = await store.apply(load_paths([path]))
        moved = [c for c in changes.session_changes if c.what == "moved"]
        assert len(moved) == 1
        assert (moved[0].old_start_utc, moved[0].new_start_utc) == ("2026-03-29T08:00:00Z", "2026-03-29T09:30:00Z")


async def test_same_name_a_generation_apart_is_not_merged(store: Store) -> None:
    cheevers = {n.driver_id for n in await store.drivers.driver_names() if n.name.startswith("Eddie Cheever")}
    assert len(cheevers) == 2
    series = {}
    for driver_id in cheevers:
        series[driver_id] = {e.series_slug for e in await store.drivers.driver_entries(driver_id)}
    assert sorted(map(sorted, series.values())) == [["f1"], ["gtwc-europe"]]


async def test_imsa_and_gtwc_drivers_merge_by_name_and_keep_source_ids(store: Store) -> None:
    bachler = {n.driver_id for n in await store.drivers.driver_names() if n.name == "Klaus Bachler"}
    assert len(bachler) == 1
    sources = {s.source: s.source_id for s in await store.drivers.driver_sources(bachler.pop())}
    assert "imsa" in sources and "gtwc:gtwc-europe" in sources


async def test_admin_merge_and_split(tmp_path: Path) -> None:
    async with await Store.open(new_db(tmp_path, "s")) as store:
        await store.apply(load_paths([GTWC / "Barcelona", IMSA / "21-road-atlanta"], season=2023))
        names = {n.name: n.driver_id for n in await store.drivers.driver_names()}
        bachler = names["Klaus Bachler"]
        new_id = await store.drivers.split_driver(bachler, "imsa")
        assert {e.series_slug for e in await store.drivers.driver_entries(new_id)} == {"imsa"}
        assert {e.series_slug for e in await store.drivers.driver_entries(bachler)} == {"gtwc-europe"}
        # The split survives a re-import: the ids moved with the entries.
        await store.apply(load_paths([GTWC / "Barcelona", IMSA / "21-road-atlanta"], season=2023))
        assert {e.series_slug for e in await store.drivers.driver_entries(new_id)} == {"imsa"}
        await store.drivers.merge_drivers(bachler, new_id)
        assert {e.series_slug for e in await store.drivers.driver_entries(bachler)} == {"gtwc-europe", "imsa"}
        with pytest.raises(ValueError):
            await store.drivers.merge_drivers(bachler, bachler)


@sqlite_only("the SQLite file's journal mode and PRAGMA foreign_key_check")
def test_database_files_use_wal_and_foreign_keys(full_db: Path) -> None:
    conn = sqlite3.connect(full_db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        conn.close()

"""`pitboard migrate-db`: an SQLite store copied into a real PostgreSQL database, verified by row counts."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import asyncpg
import pytest

from storage.copy import CopyFailed, CountMismatch, TargetNotEmpty, copy_sqlite_to_postgres, dependency_order
from storage.database import open_database
from tests.conftest import run_cli
from tests.databases import sqlite_only

# Spot checks that must answer the same on both sides (ORDER BY makes them comparable).
_SPOT_CHECKS = [
    "SELECT sr.slug, count(*) FROM results r JOIN sessions s ON s.id = r.session_id JOIN events e ON e.id = s.event_id"
    " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id GROUP BY sr.slug ORDER BY sr.slug",
    "SELECT id, name, name_key FROM drivers WHERE name LIKE '%é%' OR name LIKE '%ä%' OR name LIKE '%ü%' ORDER BY id",
    "SELECT sum(points), max(time_ms), count(best_lap_ms) FROM results",
    "SELECT e.name, count(*) FROM entries en JOIN events e ON e.id = en.event_id GROUP BY e.id, e.name"
    " ORDER BY count(*) DESC, e.id LIMIT 5",
]


def _sqlite_answers(path: Path) -> list[list[tuple[object, ...]]]:
    with sqlite3.connect(path) as conn:
        return [[tuple(r) for r in conn.execute(sql)] for sql in _SPOT_CHECKS]


async def _pg_answers(url: str) -> list[list[tuple[object, ...]]]:
    conn = await asyncpg.connect(url)
    try:
        return [[tuple(r) for r in await conn.fetch(sql)] for sql in _SPOT_CHECKS]
    finally:
        await conn.close()


@sqlite_only("its source is the full store as a SQLite file; it runs against the PostgreSQL server in the SQLite pass")
async def test_the_full_store_copies_with_equal_counts_and_answers(copy_db: Path, pg_empty_url: str) -> None:
    started = time.monotonic()
    result = run_cli("migrate-db", str(copy_db), pg_empty_url, db=copy_db)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    printed = {m[1]: (int(m[2]), int(m[3])) for m in re.finditer(r"^\s*(\w+)\s+(\d+)\s+(\d+)", result.stdout, re.M)}
    with sqlite3.connect(copy_db) as conn:
        expected = {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
    assert printed == {t: (n, n) for t, n in expected.items()}
    assert expected["results"] > 20_000
    assert "row counts match" in result.stdout
    print(f"migrate-db of the full store: {sum(expected.values())} rows in {took:.1f} s (process included)")

    sqlite_answers = _sqlite_answers(copy_db)
    assert len(sqlite_answers[0]) >= 3  # f1, imsa, gtwc-europe
    assert any("é" in str(row[1]) for row in sqlite_answers[1])
    assert await _pg_answers(pg_empty_url) == sqlite_answers

    # Identities continue after the copied ids.
    db = await open_database(pg_empty_url)
    try:
        top = await db.fetchval("SELECT max(id) FROM drivers")
        new = await db.fetchval("INSERT INTO drivers (name, name_key) VALUES (?, ?) RETURNING id", "New", "new")
        assert new == top + 1
    finally:
        await db.close()


async def _small_store(path: Path) -> None:
    db = await open_database(str(path))
    try:
        await db.execute("INSERT INTO series (slug, name) VALUES (?, ?)", "f1", "Formula 1")
        await db.execute("INSERT INTO series (id, slug, name) VALUES (?, ?, ?)", 7, "imsa", "IMSA")
        await db.execute(
            "INSERT INTO chats (id, kind, created_at) VALUES (?, ?, ?)", -1001234567890, "supergroup", "2024-01-01"
        )
        # SQLite's column affinity stores 5 as '5' in a TEXT column and '7' as 7 in an INTEGER one.
        await db.execute("INSERT INTO bot_state (key, value) VALUES (?, ?)", "n", 5)
        await db.execute(
            "INSERT INTO follows (chat_id, target_kind, target_id, created_at) VALUES (?, ?, ?, ?)",
            -1001234567890,
            "series",
            "7",
            "2024-01-01",
        )
    finally:
        await db.close()


async def _count(url: str, table: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()


async def test_a_target_holding_data_is_refused_unless_forced(tmp_path: Path, pg_url: str) -> None:
    await _small_store(tmp_path / "s.db")
    counts = await copy_sqlite_to_postgres(tmp_path / "s.db", pg_url)
    assert {c.table: c.postgres_rows for c in counts if c.postgres_rows} == {
        "series": 2,
        "chats": 1,
        "bot_state": 1,
        "follows": 1,
        "shared_limits": 2,  # the limiter's rows its migration seeds, on both sides
        "store_revision": 1,  # likewise the results store's change counter
    }
    with pytest.raises(TargetNotEmpty, match="--force"):
        await copy_sqlite_to_postgres(tmp_path / "s.db", pg_url)
    again = await copy_sqlite_to_postgres(tmp_path / "s.db", pg_url, force=True)
    assert again == counts
    conn = await asyncpg.connect(pg_url)
    try:
        assert await conn.fetchval("SELECT value FROM bot_state WHERE key = 'n'") == "5"
        assert await conn.fetchval("SELECT target_id FROM follows") == 7
        assert await conn.fetchval("INSERT INTO series (slug, name) VALUES ('x', 'X') RETURNING id") == 8
    finally:
        await conn.close()


async def test_a_count_mismatch_rolls_everything_back(tmp_path: Path, pg_url: str) -> None:
    """A trigger on the target swallows a row: the counts differ, and nothing stays copied."""
    await _small_store(tmp_path / "s.db")
    conn = await asyncpg.connect(pg_url)
    try:
        await conn.execute(
            "CREATE FUNCTION swallow() RETURNS trigger AS $$ BEGIN IF NEW.slug = 'imsa' THEN RETURN NULL; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql;"
            "CREATE TRIGGER swallow BEFORE INSERT ON series FOR EACH ROW EXECUTE FUNCTION swallow()"
        )
    finally:
        await conn.close()
    with pytest.raises(CountMismatch, match="series: 2 in SQLite, 1 in PostgreSQL"):
        await copy_sqlite_to_postgres(tmp_path / "s.db", pg_url)
    assert await _count(pg_url, "series") == 0
    assert await _count(pg_url, "chats") == 0

    result = run_cli("migrate-db", str(tmp_path / "s.db"), pg_url, db=tmp_path / "s.db")
    assert result.returncode == 1
    assert "row counts differ" in result.stderr


async def test_a_missing_source_or_a_sqlite_target_is_an_error(tmp_path: Path, pg_url: str) -> None:
    with pytest.raises(CopyFailed, match="no SQLite store"):
        await copy_sqlite_to_postgres(tmp_path / "missing.db", pg_url)
    assert not (tmp_path / "missing.db").exists()
    result = run_cli("migrate-db", str(tmp_path / "missing.db"), str(tmp_path / "other.db"), db=tmp_path / "x.db")
    assert result.returncode == 2
    assert "postgresql://" in result.stderr


async def test_a_value_postgresql_cannot_take_stops_the_copy(tmp_path: Path, pg_url: str) -> None:
    await _small_store(tmp_path / "s.db")
    with sqlite3.connect(tmp_path / "s.db") as conn:
        conn.execute("UPDATE follows SET target_id = 'seven'")
    with pytest.raises(CopyFailed, match=r"follows\.target_id holds 'seven'"):
        await copy_sqlite_to_postgres(tmp_path / "s.db", pg_url)
    assert await _count(pg_url, "series") == 0


def test_dependency_order_puts_parents_first() -> None:
    parents = {"results": {"sessions", "entries"}, "sessions": {"events"}, "entries": {"events"}, "events": set()}
    assert dependency_order(parents) == ["events", "entries", "sessions", "results"]
    with pytest.raises(CopyFailed, match="cycle"):
        dependency_order({"a": {"b"}, "b": {"a"}})

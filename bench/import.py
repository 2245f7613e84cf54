"""bench/import: the whole Ergast dump + IMSA 2023 + GTWC Europe 2023 into a fresh store, then every
season's standings. Prints rows/s and the ratio to a bare sqlite3 `executemany` of the same rows.

Run: .venv/bin/python bench/import.py            (goal: ≤ 10 s in total on a 2-core machine)
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.records import ImportBatch  # noqa: E402
from bot.ingest.importers import load_paths  # noqa: E402
from bot.standings.engine import progression  # noqa: E402
from storage.store import Store  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
GOAL_SECONDS = 10.0


def sources() -> list[Path]:
    return [
        *sorted((ROOT / "bot" / "ingest" / "series").glob("*.json")),
        SHARED / "f1-ergast",
        SHARED / "imsa" / "2023",
        SHARED / "gtwc-europe" / "2023",
    ]


def bare_rows(batches: list[ImportBatch]) -> dict[str, list[tuple[object, ...]]]:
    """The same rows as plain tuples, the way a hand-written loader with no checks would write them."""
    tables: dict[str, list[tuple[object, ...]]] = {
        "events": [],
        "sessions": [],
        "entries": [],
        "crews": [],
        "results": [],
        "standings": [],
    }
    for batch in batches:
        for season in batch.seasons:
            for event in season.events:
                tables["events"].append((batch.series_slug, season.year, event.key, event.name))
                for entry in event.entries:
                    tables["entries"].append((event.key, entry.key, entry.number, entry.car, entry.car_class))
                    tables["crews"].extend((event.key, entry.key, i, d.name) for i, d in enumerate(entry.crew))
                for session in event.sessions:
                    tables["sessions"].append((event.key, session.key, session.kind, session.start_utc))
                    tables["results"].extend(
                        (event.key, session.key, r.entry_key, *r.values()) for r in session.results or ()
                    )
            tables["standings"].extend(
                (s.championship_key, s.event_key, s.subject_source_id, s.points, s.position)
                for s in season.official_standings
            )
    return tables


def bare_executemany(path: Path, tables: dict[str, list[tuple[object, ...]]]) -> float:
    conn = sqlite3.connect(path)
    start = time.perf_counter()
    conn.execute("PRAGMA journal_mode = WAL")
    with conn:
        for name, rows in tables.items():
            width = len(rows[0])
            conn.execute(f"CREATE TABLE {name} ({', '.join(f'c{i}' for i in range(width))})")
            conn.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * width)})", rows)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        total_start = time.perf_counter()
        read_start = time.perf_counter()
        batches = load_paths(sources())
        read_s = time.perf_counter() - read_start
        rows = sum(b.row_count() for b in batches)

        store = await Store.open(db)
        write_start = time.perf_counter()
        await store.apply(batches)
        write_s = time.perf_counter() - write_start

        standings_start = time.perf_counter()
        tables = 0
        for series in await store.series.all():
            for year in series.years:
                data = await store.results.season_data(series.slug, year)
                if data is None:
                    continue
                for champ in data.championships:
                    for subject in champ.rules.subjects:
                        tables += len(progression(data, champ, subject))
        standings_s = time.perf_counter() - standings_start
        await store.close()
        total_s = time.perf_counter() - total_start

        bare_s = bare_executemany(Path(tmp) / "bare.db", bare_rows(batches))

    print(f"rows imported:            {rows}")
    print(f"read + parse:             {read_s:6.2f} s")
    print(f"store write (1 txn):      {write_s:6.2f} s   {rows / write_s:,.0f} rows/s")
    print(f"standings ({tables} tables after every round): {standings_s:6.2f} s")
    print(
        f"total:                    {total_s:6.2f} s   {rows / total_s:,.0f} rows/s   goal ≤ {GOAL_SECONDS:.0f} s"
        f"   ratio to goal {total_s / GOAL_SECONDS:.2f}"
    )
    print(f"bare sqlite3 executemany: {bare_s:6.2f} s   {rows / bare_s:,.0f} rows/s")
    print(
        f"ratio store write / bare executemany: {write_s / bare_s:.1f}x;"
        f" whole import / bare executemany: {total_s / bare_s:.1f}x"
    )


if __name__ == "__main__":
    asyncio.run(main())

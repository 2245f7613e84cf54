"""`pitboard backup PATH`: a consistent copy of the live SQLite store while writers keep committing."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.clock import JumpClock
from storage.backup import PAUSE, BackupError, backup_sqlite
from storage.store import Store
from tests.conftest import ROOT, run_cli
from tests.databases import sqlite_only

BACKUP_API = "the backup of a SQLite file through SQLite's online backup API"
BEFORE = 20_000  # chats committed before the backup starts: a few hundred pages, so many steps


async def live_store(path: Path) -> Store:
    store = await Store.open(path)
    await store.chats.add_many([(chat, "private", "en") for chat in range(1, BEFORE + 1)], [])
    return store


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()


async def chats_in(path: Path) -> tuple[list[int], int]:
    copy = await Store.open(path)  # the copy opens as the bot would open it
    try:
        return await copy.chats.active_chat_ids(), await copy.db.schema_version()
    finally:
        await copy.close()


@sqlite_only(BACKUP_API)
async def test_backup_while_the_bot_writes(tmp_path: Path) -> None:
    live = await live_store(tmp_path / "pitboard.db")
    clock = JumpClock()
    during: list[int] = []

    async def write_between_steps(remaining: int, total: int) -> None:
        # The bot's own connection commits while the backup's read transaction is open.
        chat = 10_000_000 + len(during)
        await live.chats.ensure(chat, "private", None, "de")
        assert await live.chats.get(chat) is not None
        during.append(chat)

    try:
        report = await backup_sqlite(
            live.path, tmp_path / "backup.db", pages_per_step=20, clock=clock, progress=write_between_steps
        )
        live_version = await live.db.schema_version()
        live_chats = await live.chats.active_chat_ids()
    finally:
        await live.close()

    assert report.steps >= 5 and len(during) == report.steps
    assert clock.monotonic() == pytest.approx(PAUSE * (report.steps - 1))  # a pause between steps, none after
    assert integrity(report.path) == ["ok"]
    chats, version = await chats_in(report.path)
    assert chats == list(range(1, BEFORE + 1))  # everything committed before, nothing committed during
    assert version == live_version == report.schema_version > 0
    assert live_chats == [*range(1, BEFORE + 1), *during]
    assert report.size == report.pages * report.page_size == report.path.stat().st_size
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")]


WRITER = """
import asyncio, sys
from storage.store import Store

async def main(path):
    store = await Store.open(path)
    n = 0
    for line in sys.stdin:
        n += 1
        await store.chats.ensure(20_000_000 + n, "group", "writer", "en")
        print(n, flush=True)
    await store.close()

asyncio.run(main(sys.argv[1]))
"""


@sqlite_only(BACKUP_API)
async def test_backup_while_another_process_writes(tmp_path: Path) -> None:
    path = tmp_path / "pitboard.db"
    store = await live_store(path)
    await store.close()
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(path), cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert writer.stdin is not None and writer.stdout is not None

    async def write_one() -> int:
        assert writer.stdin is not None and writer.stdout is not None
        writer.stdin.write(b"go\n")
        await writer.stdin.drain()
        return int(await asyncio.wait_for(writer.stdout.readline(), 30))  # committed

    async def write_between_steps(remaining: int, total: int) -> None:
        await write_one()

    try:
        for _ in range(3):
            await write_one()
        report = await backup_sqlite(
            path, tmp_path / "backup.db", pages_per_step=25, clock=JumpClock(), progress=write_between_steps
        )
        last = await write_one()
    finally:
        writer.stdin.close()
        await asyncio.wait_for(writer.wait(), 30)
    assert writer.returncode == 0
    assert last == 3 + report.steps + 1
    assert integrity(report.path) == ["ok"]
    chats, version = await chats_in(report.path)
    # The 3 writes committed before the backup are in it; the one written after each step is not.
    assert chats == [*range(1, BEFORE + 1), 20_000_001, 20_000_002, 20_000_003]
    assert version == report.schema_version
    live, _ = await chats_in(path)
    assert live[-1] == 20_000_000 + last


@sqlite_only(BACKUP_API)
async def test_a_corrupt_store_leaves_no_backup(tmp_path: Path) -> None:
    path = tmp_path / "pitboard.db"
    store = await live_store(path)
    await store.close()
    # Scribble over the chats table's root page: SQLite copies pages without reading them, so only the
    # integrity check of the copy can notice.
    db = sqlite3.connect(path)
    root = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'chats'").fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    with open(path, "r+b") as damaged:
        damaged.seek((root - 1) * page_size)
        damaged.write(b"\xff" * page_size)
    target = tmp_path / "backup.db"
    with pytest.raises(BackupError, match="integrity_check"):
        await backup_sqlite(path, target, clock=JumpClock())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pitboard.db"]


@sqlite_only(BACKUP_API)
async def test_existing_path_is_refused_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "pitboard.db"
    store = await live_store(path)
    version = await store.db.schema_version()
    await store.close()
    target = tmp_path / "backup.db"
    target.write_bytes(b"yesterday's backup")

    refused = await asyncio.to_thread(run_cli, "backup", str(target), db=path)
    assert refused.returncode == 1
    assert "exists" in refused.stderr and "--force" in refused.stderr
    assert target.read_bytes() == b"yesterday's backup"

    forced = await asyncio.to_thread(run_cli, "backup", str(target), "--force", db=path)
    assert forced.returncode == 0, forced.stderr
    pages = target.stat().st_size // 4096
    assert f"{pages} pages" in forced.stdout and f"schema version {version}" in forced.stdout
    assert "integrity_check ok" in forced.stdout
    assert (await chats_in(target))[0] == list(range(1, BEFORE + 1))


@sqlite_only(BACKUP_API)
def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    result = run_cli("backup", str(tmp_path / "backup.db"), db=tmp_path / "nothing-here.db")
    assert result.returncode == 1 and "no SQLite store" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_postgresql_is_sent_to_pg_dump(tmp_path: Path) -> None:
    env = {**os.environ, "PITBOARD_DATABASE": "postgresql://pit:hunter2@db.internal:5433/pitboard?sslmode=require"}
    target = tmp_path / "pitboard.dump"
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "backup", str(target)],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 2
    assert "pg_dump" in result.stderr
    assert (
        f"pg_dump --format=custom --no-owner --file={target} 'postgresql://pit@db.internal:5433/pitboard?sslmode=require'"
        in result.stderr
    )
    assert "pg_restore" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout
    assert not target.exists()

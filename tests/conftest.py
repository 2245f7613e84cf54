"""Shared fixtures: the real data files from ../shared/data and real SQLite files."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.ingest.importers import load_paths
from storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SERIES = ROOT / "bot" / "ingest" / "series"
ERGAST = SHARED / "f1-ergast"
IMSA = SHARED / "imsa" / "2023"
GTWC = SHARED / "gtwc-europe" / "2023"


def all_sources() -> list[Path]:
    return [*sorted(SERIES.glob("*.json")), ERGAST, IMSA, GTWC]


@pytest.fixture(scope="session")
def full_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the shipped rules and calendars, F1 1950–2024, IMSA and GTWC Europe 2023.

    Built once per test run; tests that read it must not write to it (copy it with `copy_db`).
    """
    path = tmp_path_factory.mktemp("store") / "full.db"

    async def build() -> None:
        store = await Store.open(path)
        try:
            await store.apply(load_paths(all_sources()))
        finally:
            await store.close()

    asyncio.run(build())
    return path


@pytest.fixture
async def store(full_db: Path) -> AsyncIterator[Store]:
    s = await Store.open(full_db)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def copy_db(full_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.db"
    shutil.copy(full_db, target)
    return target


def run_cli(*args: str, db: Path, check: bool = False) -> subprocess.CompletedProcess[str]:
    """The real `pitboard` command in its own process."""
    env = {**os.environ, "PITBOARD_DATABASE": str(db), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    if check and result.returncode != 0:
        raise AssertionError(f"pitboard {' '.join(args)} failed: {result.stderr}")
    return result

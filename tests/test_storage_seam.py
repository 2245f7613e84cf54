"""The seam PostgreSQL plugs into: repositories speak only the database API, and storage/ depends on no part of
bot/ but bot/core."""

from __future__ import annotations

import ast
from pathlib import Path

STORAGE = Path(__file__).resolve().parent.parent / "storage"
# The two database sides themselves, their migrations, the writer's SQLite fast path and the SQLite→PostgreSQL
# copy may name a driver; so may the replicas' coordination, which needs PostgreSQL's session-level features
# (advisory locks held on one connection, LISTEN) that the database API does not model.
DRIVER_MODULES = {
    "sqlite.py",
    "sqlite_sync.py",
    "postgres.py",
    "db.py",
    "migrate.py",
    "database.py",
    "writer.py",
    "copy.py",
    "backup.py",  # SQLite's online backup API
    "leader.py",
    "outbox_claims.py",
    "shared_limits.py",
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_repositories_talk_only_to_the_database_api() -> None:
    offenders = {
        path.name: sorted(m for m in _imports(path) if m.split(".")[0] in ("aiosqlite", "sqlite3", "asyncpg"))
        for path in STORAGE.glob("*.py")
        if path.name not in DRIVER_MODULES
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_storage_imports_nothing_from_bot_but_its_core() -> None:
    offenders = {
        path.name: sorted(m for m in _imports(path) if m.split(".")[0] == "bot" and not m.startswith("bot.core"))
        for path in STORAGE.glob("*.py")
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}

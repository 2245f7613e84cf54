"""The seam PostgreSQL plugs into: repositories speak only the database API, and storage/ depends on no part of
bot/ but bot/core."""

from __future__ import annotations

import ast
from pathlib import Path

STORAGE = Path(__file__).resolve().parent.parent / "storage"
# The SQLite side itself, its migrations, and the writer (converted separately) may name the driver.
DRIVER_MODULES = {"sqlite.py", "db.py", "database.py", "writer.py"}


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

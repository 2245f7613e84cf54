"""The change feed (what each import changed, whichever process imported) and the bot's own small state."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.database import Database


@dataclass(frozen=True, slots=True)
class FeedImport:
    id: int
    session_changes: list[dict[str, Any]]  # as storage/writer.py summarised them


class FeedRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def imports_since(self, last_id: int) -> list[FeedImport]:
        """Every import after `last_id`, with its session changes, oldest first."""
        rows = await self.db.fetch("SELECT id, summary FROM imports WHERE id > ? ORDER BY id", last_id)
        return [FeedImport(int(r[0]), json.loads(r[1]).get("session_changes", [])) for r in rows]

    async def last_import_id(self) -> int:
        return int(await self.db.fetchval("SELECT coalesce(max(id), 0) FROM imports") or 0)

    async def state(self, key: str) -> str | None:
        value = await self.db.fetchval("SELECT value FROM bot_state WHERE key = ?", key)
        return None if value is None else str(value)

    async def set_state(self, key: str, value: str) -> None:
        await self.db.execute(
            "INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            key,
            value,
        )

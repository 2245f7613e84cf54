"""The chat side of the store: chats, their settings and what they follow."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.core.chat_settings import DEFAULT_TIMEZONE, ChatSettings
from storage.db import WriteGuard

FOLLOW_KINDS = ("driver", "team", "series")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class Chat:
    id: int
    kind: str
    title: str | None
    language: str
    timezone: str
    active: bool
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def is_group(self) -> bool:
        return self.kind in ("group", "supergroup", "channel")

    @property
    def prefs(self) -> ChatSettings:
        """The settings typed, with their defaults (bot/core/chat_settings.py)."""
        return ChatSettings.read(self.language, self.timezone, self.settings)


@dataclass(frozen=True, slots=True)
class Follow:
    kind: str
    target_id: int
    name: str


@dataclass(frozen=True, slots=True)
class TeamName:
    team_id: int
    name: str


class Chats:
    def __init__(self, conn: aiosqlite.Connection, guard: WriteGuard) -> None:
        self.conn = conn
        self.guard = guard

    async def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        return await self.guard.write(sql, params)

    async def get(self, chat_id: int) -> Chat | None:
        async with self.conn.execute(
            "SELECT id, kind, title, language, timezone, active, settings FROM chats WHERE id = ?", (chat_id,)
        ) as cur:
            row = await cur.fetchone()
        if row is None:
            return None
        return Chat(row[0], row[1], row[2], row[3], row[4], bool(row[5]), json.loads(row[6]))

    async def get_many(self, chat_ids: list[int]) -> dict[int, Chat]:
        found: dict[int, Chat] = {}
        for start in range(0, len(chat_ids), 900):
            part = chat_ids[start : start + 900]
            marks = ",".join("?" * len(part))
            async with self.conn.execute(
                f"SELECT id, kind, title, language, timezone, active, settings FROM chats WHERE id IN ({marks})",
                tuple(part),
            ) as cur:
                for r in await cur.fetchall():
                    found[r[0]] = Chat(r[0], r[1], r[2], r[3], r[4], bool(r[5]), json.loads(r[6]))
        return found

    async def ensure(
        self, chat_id: int, kind: str, title: str | None, language: str, timezone: str = DEFAULT_TIMEZONE
    ) -> tuple[Chat, bool]:
        """The chat, created on first contact with the first user's language (and a time zone guessed from
        it); True when new."""
        existing = await self.get(chat_id)
        if existing is not None:
            if not existing.active or existing.title != title:
                await self._write("UPDATE chats SET active = 1, title = ? WHERE id = ?", (title, chat_id))
                existing.active, existing.title = True, title
            return existing, False
        await self._write(
            "INSERT INTO chats (id, kind, title, language, timezone, active, settings, created_at)"
            " VALUES (?, ?, ?, ?, ?, 1, '{}', ?) ON CONFLICT (id) DO NOTHING",
            (chat_id, kind, title, language, timezone, _now()),
        )
        chat = await self.get(chat_id)
        assert chat is not None
        return chat, True

    async def set_language(self, chat_id: int, language: str) -> None:
        await self._write("UPDATE chats SET language = ? WHERE id = ?", (language, chat_id))

    async def set_timezone(self, chat_id: int, timezone: str) -> None:
        await self._write("UPDATE chats SET timezone = ? WHERE id = ?", (timezone, chat_id))

    async def set_settings(self, chat_id: int, settings: dict[str, Any]) -> None:
        await self._write("UPDATE chats SET settings = ? WHERE id = ?", (json.dumps(settings, sort_keys=True), chat_id))

    async def save_settings(self, chat_id: int, prefs: ChatSettings) -> None:
        """Language, time zone and the JSON settings of a chat, in one write."""
        await self._write(
            "UPDATE chats SET language = ?, timezone = ?, settings = ? WHERE id = ?",
            (prefs.language, prefs.timezone, json.dumps(prefs.stored(), sort_keys=True), chat_id),
        )

    async def clear_setting(self, chat_id: int, key: str) -> None:
        """Forget one setting (a closed topic's thread_id), leaving the others as they are."""
        await self._write("UPDATE chats SET settings = json_remove(settings, '$.' || ?) WHERE id = ?", (key, chat_id))

    async def set_active(self, chat_id: int, active: bool) -> None:
        await self._write("UPDATE chats SET active = ? WHERE id = ?", (int(active), chat_id))

    async def migrate(self, old_id: int, new_id: int) -> bool:
        """A group became a supergroup: its follows, settings and pending messages move to the new id."""
        new_exists = await self.get(new_id) is not None
        async with self.guard.transaction() as conn:
            if new_exists:
                # The new id already spoke to us: fold the old chat's follows into it.
                await conn.execute(
                    "INSERT OR IGNORE INTO follows (chat_id, target_kind, target_id, created_at)"
                    " SELECT ?, target_kind, target_id, created_at FROM follows WHERE chat_id = ?",
                    (new_id, old_id),
                )
                await conn.execute("DELETE FROM chats WHERE id = ?", (old_id,))
            else:
                await conn.execute("UPDATE chats SET id = ?, kind = 'supergroup' WHERE id = ?", (new_id, old_id))
            await conn.execute("UPDATE outbox SET chat_id = ? WHERE chat_id = ?", (new_id, old_id))
        return True

    async def follow(self, chat_id: int, kind: str, target_id: int) -> bool:
        """True when this is a new follow."""
        if kind not in FOLLOW_KINDS:
            raise ValueError(kind)
        return (
            await self._write(
                "INSERT OR IGNORE INTO follows (chat_id, target_kind, target_id, created_at) VALUES (?, ?, ?, ?)",
                (chat_id, kind, target_id, _now()),
            )
            == 1
        )

    async def add_many(self, chats: list[tuple[int, str, str]], follows: list[tuple[int, str, int]]) -> None:
        """Bulk load (chat id, kind, language) and (chat id, target kind, target id): a migration from
        another bot, or a benchmark's audience."""
        now = _now()
        async with self.guard.transaction() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO chats (id, kind, title, language, timezone, active, settings, created_at)"
                " VALUES (?, ?, NULL, ?, 'UTC', 1, '{}', ?)",
                [(c, k, lang, now) for c, k, lang in chats],
            )
            await conn.executemany(
                "INSERT OR IGNORE INTO follows (chat_id, target_kind, target_id, created_at) VALUES (?, ?, ?, ?)",
                [(c, k, t, now) for c, k, t in follows],
            )

    async def set_many(self, rows: list[tuple[int, str, dict[str, Any]]]) -> None:
        """Bulk (chat id, time zone, settings), in one transaction: a migration, or a benchmark's audience."""
        async with self.guard.transaction() as conn:
            await conn.executemany(
                "UPDATE chats SET timezone = ?, settings = ? WHERE id = ?",
                [(zone, json.dumps(settings, sort_keys=True), c) for c, zone, settings in rows],
            )

    async def unfollow(self, chat_id: int, kind: str, target_id: int) -> bool:
        return (
            await self._write(
                "DELETE FROM follows WHERE chat_id = ? AND target_kind = ? AND target_id = ?",
                (chat_id, kind, target_id),
            )
            == 1
        )

    async def follows(self, chat_id: int) -> list[Follow]:
        async with self.conn.execute(
            "SELECT f.target_kind, f.target_id, coalesce(d.name, t.name, s.name, '?') FROM follows f"
            " LEFT JOIN drivers d ON f.target_kind = 'driver' AND d.id = f.target_id"
            " LEFT JOIN teams t ON f.target_kind = 'team' AND t.id = f.target_id"
            " LEFT JOIN series s ON f.target_kind = 'series' AND s.id = f.target_id"
            " WHERE f.chat_id = ? ORDER BY f.target_kind, 3",
            (chat_id,),
        ) as cur:
            return [Follow(r[0], r[1], r[2]) for r in await cur.fetchall()]

    async def followed_driver_ids(self, chat_id: int) -> set[int]:
        return {f.target_id for f in await self.follows(chat_id) if f.kind == "driver"}

    async def teams(self) -> list[TeamName]:
        async with self.conn.execute("SELECT id, name FROM teams") as cur:
            return [TeamName(r[0], r[1]) for r in await cur.fetchall()]

    async def active_chat_ids(self) -> list[int]:
        async with self.conn.execute("SELECT id FROM chats WHERE active = 1 ORDER BY id") as cur:
            return [r[0] for r in await cur.fetchall()]

    async def stats(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name, sql in (
            ("chats", "SELECT count(*) FROM chats"),
            ("active_chats", "SELECT count(*) FROM chats WHERE active = 1"),
            ("groups", "SELECT count(*) FROM chats WHERE kind IN ('group', 'supergroup') AND active = 1"),
            ("follows", "SELECT count(*) FROM follows"),
            ("outbox_pending", "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending', 'failed')"),
            ("outbox_sent", "SELECT count(*) FROM outbox WHERE state = 'sent'"),
            ("outbox_dead", "SELECT count(*) FROM outbox WHERE state = 'dead'"),
            ("outbox_skipped", "SELECT count(*) FROM outbox WHERE state = 'skipped'"),
        ):
            async with self.conn.execute(sql) as cur:
                row = await cur.fetchone()
            out[name] = int(row[0]) if row else 0
        return out

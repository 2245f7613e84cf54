"""The chat side of the store: chats, their settings and what they follow."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from bot.core.chat_settings import DEFAULT_TIMEZONE, ChatSettings
from storage.database import Database

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


class DriverFollowers(NamedTuple):
    """The chats to tell about a session because they follow `driver_id`, entered there; or (driver None)
    because they follow its series or a team in it. Grouped by driver: a race with a large audience is half a
    million (chat, driver) pairs, and a few hundred groups cost far less to build and to walk."""

    driver_id: int | None
    chat_ids: list[int]


class Chats:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _write(self, sql: str, params: tuple[Any, ...]) -> int:
        return await self.db.execute(sql, *params)

    async def get(self, chat_id: int) -> Chat | None:
        row = await self.db.fetchrow(
            "SELECT id, kind, title, language, timezone, active, settings FROM chats WHERE id = ?", chat_id
        )
        if row is None:
            return None
        return Chat(row[0], row[1], row[2], row[3], row[4], bool(row[5]), json.loads(row[6]))

    async def get_many(self, chat_ids: list[int]) -> dict[int, Chat]:
        found: dict[int, Chat] = {}
        for start in range(0, len(chat_ids), 900):
            part = chat_ids[start : start + 900]
            marks = ",".join("?" * len(part))
            for r in await self.db.fetch(
                f"SELECT id, kind, title, language, timezone, active, settings FROM chats WHERE id IN ({marks})", *part
            ):
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
        # The new row comes back with the insert: one round trip less on a first contact.
        row = await self.db.fetchrow(
            "INSERT INTO chats (id, kind, title, language, timezone, active, settings, created_at)"
            " VALUES (?, ?, ?, ?, ?, 1, '{}', ?) ON CONFLICT (id) DO NOTHING"
            " RETURNING id, kind, title, language, timezone, active, settings",
            chat_id,
            kind,
            title,
            language,
            timezone,
            _now(),
        )
        if row is None:  # another update of the same chat created it meanwhile
            chat = await self.get(chat_id)
            assert chat is not None
            return chat, False
        return Chat(row[0], row[1], row[2], row[3], row[4], bool(row[5]), json.loads(row[6])), True

    async def set_language(self, chat_id: int, language: str) -> None:
        await self._write("UPDATE chats SET language = ? WHERE id = ?", (language, chat_id))

    async def set_timezone(self, chat_id: int, timezone: str) -> None:
        await self._write("UPDATE chats SET timezone = ? WHERE id = ?", (timezone, chat_id))

    async def set_settings(self, chat_id: int, settings: dict[str, Any]) -> None:
        await self._write("UPDATE chats SET settings = ? WHERE id = ?", (json.dumps(settings, sort_keys=True), chat_id))

    async def update_prefs(
        self, chat_id: int, change: Callable[[ChatSettings], ChatSettings]
    ) -> tuple[ChatSettings, ChatSettings] | None:
        """Change a chat's settings from what is stored at this moment: read, `change` and write in one
        transaction that holds the chat's row (SQLite's BEGIN IMMEDIATE holds the whole file). Two presses at
        once, answered by two replicas, both count; a read-then-save would lose one. Returns (before, after);
        None when the chat is not stored."""
        lock = " FOR UPDATE" if self.db.dialect == "postgresql" else ""
        async with self.db.transaction() as tx:
            row = await tx.fetchrow(
                f"SELECT language, timezone, settings FROM chats WHERE id = ?{lock}",
                chat_id,
            )
            if row is None:
                return None
            before = ChatSettings.read(row[0], row[1], json.loads(row[2]))
            after = change(before)
            if after != before:
                await tx.execute(
                    "UPDATE chats SET language = ?, timezone = ?, settings = ? WHERE id = ?",
                    after.language,
                    after.timezone,
                    json.dumps(after.stored(), sort_keys=True),
                    chat_id,
                )
            return before, after

    async def clear_setting(self, chat_id: int, key: str) -> None:
        """Forget one setting (a closed topic's thread_id), leaving the others as they are."""
        if self.db.dialect == "postgresql":
            # The JSON stays TEXT (as on SQLite); jsonb removes the key and prints the rest back.
            sql = "UPDATE chats SET settings = (settings::jsonb - ?::text)::text WHERE id = ?"
        else:
            sql = "UPDATE chats SET settings = json_remove(settings, '$.' || ?) WHERE id = ?"
        await self._write(sql, (key, chat_id))

    async def set_active(self, chat_id: int, active: bool) -> None:
        await self._write("UPDATE chats SET active = ? WHERE id = ?", (int(active), chat_id))

    async def migrate(self, old_id: int, new_id: int) -> bool:
        """A group became a supergroup: its follows, settings and pending messages move to the new id."""
        new_exists = await self.get(new_id) is not None
        async with self.db.transaction() as tx:
            if new_exists:
                # The new id already spoke to us: fold the old chat's follows into it.
                await tx.execute(
                    "INSERT INTO follows (chat_id, target_kind, target_id, created_at)"
                    " SELECT ?, target_kind, target_id, created_at FROM follows WHERE chat_id = ?"
                    " ON CONFLICT DO NOTHING",
                    new_id,
                    old_id,
                )
                await tx.execute("DELETE FROM chats WHERE id = ?", old_id)
            else:
                await tx.execute("UPDATE chats SET id = ?, kind = 'supergroup' WHERE id = ?", new_id, old_id)
            await tx.execute("UPDATE outbox SET chat_id = ? WHERE chat_id = ?", new_id, old_id)
        return True

    async def follow(self, chat_id: int, kind: str, target_id: int) -> bool:
        """True when this is a new follow."""
        if kind not in FOLLOW_KINDS:
            raise ValueError(kind)
        return (
            await self._write(
                "INSERT INTO follows (chat_id, target_kind, target_id, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                (chat_id, kind, target_id, _now()),
            )
            == 1
        )

    async def add_many(self, chats: list[tuple[int, str, str]], follows: list[tuple[int, str, int]]) -> None:
        """Bulk load (chat id, kind, language) and (chat id, target kind, target id): a migration from
        another bot, or a benchmark's audience."""
        now = _now()
        async with self.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO chats (id, kind, title, language, timezone, active, settings, created_at)"
                " VALUES (?, ?, NULL, ?, 'UTC', 1, '{}', ?) ON CONFLICT DO NOTHING",
                [(c, k, lang, now) for c, k, lang in chats],
            )
            await tx.executemany(
                "INSERT INTO follows (chat_id, target_kind, target_id, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING",
                [(c, k, t, now) for c, k, t in follows],
            )
        if self.db.dialect == "postgresql":
            # What autovacuum would do a while after a bulk load, done now: fresh statistics for the planner,
            # and the visibility map that lets the audience queries read the follows index alone (without it a
            # race's half a million followers were each fetched from the table as well).
            await self.db.execute("VACUUM (ANALYZE) chats, follows")

    async def set_many(self, rows: list[tuple[int, str, dict[str, Any]]]) -> None:
        """Bulk (chat id, time zone, settings), in one transaction: a migration, or a benchmark's audience."""
        async with self.db.transaction() as tx:
            await tx.executemany(
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
        rows = await self.db.fetch(
            "SELECT f.target_kind, f.target_id, coalesce(d.name, t.name, s.name, '?') FROM follows f"
            " LEFT JOIN drivers d ON f.target_kind = 'driver' AND d.id = f.target_id"
            " LEFT JOIN teams t ON f.target_kind = 'team' AND t.id = f.target_id"
            " LEFT JOIN series s ON f.target_kind = 'series' AND s.id = f.target_id"
            " WHERE f.chat_id = ? ORDER BY f.target_kind, 3",
            chat_id,
        )
        return [Follow(r[0], r[1], r[2]) for r in rows]

    async def followed_driver_ids(self, chat_id: int) -> set[int]:
        return {f.target_id for f in await self.follows(chat_id) if f.kind == "driver"}

    async def teams(self) -> list[TeamName]:
        return [TeamName(r[0], r[1]) for r in await self.db.fetch("SELECT id, name FROM teams")]

    async def followers_of_session(self, session_id: int) -> list[DriverFollowers]:
        """Active chats following a driver entered in the session's event (per driver), or its series or one
        of its teams (driver None)."""
        groups: list[DriverFollowers]
        if self.db.dialect == "postgresql":
            groups = [
                DriverFollowers(driver, list(chats or ()))
                for driver, chats in await self._followers_in_arrays(session_id)
            ]
        else:
            groups = _grouped(await self._followers_in_rows(session_id))
        if not any(g.driver_id is not None for g in groups) and not await self.db.fetchval(
            "SELECT 1 FROM entries en JOIN sessions s ON s.event_id = en.event_id WHERE s.id = ? LIMIT 1", session_id
        ):
            # No entry list yet: the drivers who race in this season are expected, in their latest car.
            groups += _grouped(
                await self.db.fetch_tuples(
                    "SELECT DISTINCT f.chat_id, ed.driver_id FROM sessions s JOIN events e0 ON e0.id = s.event_id"
                    " CROSS JOIN events e CROSS JOIN entries en CROSS JOIN entry_drivers ed CROSS JOIN follows f"
                    " WHERE s.id = ? AND e.season_id = e0.season_id AND en.event_id = e.id AND ed.entry_id = en.id"
                    " AND f.target_kind = 'driver' AND f.target_id = ed.driver_id",
                    session_id,
                )
            )
        # Inactive chats (blocked, removed) are few: leave them out here rather than join every row.
        inactive = {r[0] for r in await self.db.fetch_tuples("SELECT id FROM chats WHERE active = 0")}
        if inactive:
            groups = [DriverFollowers(g.driver_id, [c for c in g.chat_ids if c not in inactive]) for g in groups]
        return [g for g in groups if g.chat_ids]

    async def _followers_in_arrays(self, session_id: int) -> list[Any]:
        """PostgreSQL: one row per driver (and one for the series' and teams' followers), its chats in an array.
        Half a million (chat, driver) rows came through asyncpg in about 0.5 s, the same as ~160 arrays in about
        0.1 s."""
        return await self.db.fetch_tuples(
            "SELECT ed.driver_id, array_agg(f.chat_id) FROM sessions s JOIN entries en ON en.event_id = s.event_id"
            " JOIN entry_drivers ed ON ed.entry_id = en.id"
            " JOIN follows f ON f.target_kind = 'driver' AND f.target_id = ed.driver_id"
            " WHERE s.id = ? GROUP BY ed.driver_id"
            " UNION ALL SELECT NULL, array_agg(f.chat_id) FROM sessions s JOIN events e ON e.id = s.event_id"
            " JOIN seasons se ON se.id = e.season_id"
            " JOIN follows f ON f.target_kind = 'series' AND f.target_id = se.series_id WHERE s.id = ?"
            " UNION ALL SELECT NULL, array_agg(DISTINCT f.chat_id) FROM sessions s"
            " JOIN entries en ON en.event_id = s.event_id"
            " JOIN follows f ON f.target_kind = 'team' AND f.target_id = en.team_id WHERE s.id = ?",
            session_id,
            session_id,
            session_id,
        )

    async def _followers_in_rows(self, session_id: int) -> list[tuple[int, int | None]]:
        return await self.db.fetch_tuples(
            # CROSS JOIN fixes the order: from the race's few entries out to their followers, never
            # through all follows (SQLite's planner, without statistics, would start there). The NULLs are
            # typed: PostgreSQL makes an untyped NULL under DISTINCT text, which no UNION with BIGINT takes.
            "SELECT f.chat_id, ed.driver_id FROM sessions s CROSS JOIN entries en CROSS JOIN entry_drivers ed"
            " CROSS JOIN follows f WHERE s.id = ? AND en.event_id = s.event_id AND ed.entry_id = en.id"
            " AND f.target_kind = 'driver' AND f.target_id = ed.driver_id"
            " UNION ALL SELECT f.chat_id, CAST(NULL AS BIGINT) FROM sessions s JOIN events e ON e.id = s.event_id"
            " JOIN seasons se ON se.id = e.season_id"
            " JOIN follows f ON f.target_kind = 'series' AND f.target_id = se.series_id WHERE s.id = ?"
            " UNION ALL SELECT DISTINCT f.chat_id, CAST(NULL AS BIGINT) FROM sessions s"
            " JOIN entries en ON en.event_id = s.event_id"
            " JOIN follows f ON f.target_kind = 'team' AND f.target_id = en.team_id WHERE s.id = ?",
            session_id,
            session_id,
            session_id,
        )

    async def active_chat_ids(self) -> list[int]:
        return [r[0] for r in await self.db.fetch("SELECT id FROM chats WHERE active = 1 ORDER BY id")]

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
            out[name] = int(await self.db.fetchval(sql) or 0)
        return out


def _grouped(pairs: list[Any]) -> list[DriverFollowers]:
    """(chat, driver) pairs → one group per driver."""
    by_driver: dict[int | None, list[int]] = {}
    for chat_id, driver_id in pairs:
        chats = by_driver.get(driver_id)
        if chats is None:
            by_driver[driver_id] = [chat_id]
        else:
            chats.append(chat_id)
    return [DriverFollowers(driver, chats) for driver, chats in by_driver.items()]

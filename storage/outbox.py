"""The outbox: one row per outgoing message, so every send is recorded, retried and never lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import aiosqlite

from storage.db import WriteGuard

REPLY_PRIORITY = 0  # command replies go ahead of broadcasts
BROADCAST_PRIORITY = 10


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _now() -> str:
    return _stamp(datetime.now(UTC))


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    chat_id: int
    text: str
    reply_markup: str | None
    state: str
    attempts: int
    message_id: int | None


class Outbox:
    def __init__(self, conn: aiosqlite.Connection, guard: WriteGuard) -> None:
        self.conn = conn
        self.guard = guard

    async def enqueue_sending(
        self, chat_id: int, text: str, reply_markup: str | None, priority: int = REPLY_PRIORITY
    ) -> int:
        """A row that is sent right away: 'sending', its first attempt counted, from the start, so only a crash
        leaves it for the worker."""
        return await self.guard.insert(
            "INSERT INTO outbox (chat_id, priority, text, reply_markup, state, attempts, created_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, 'sending', 1, ?, ?)",
            (chat_id, priority, text, reply_markup, _now(), _now()),
        )

    async def alert(self, kind: str, key: str, session_id: int | None) -> int:
        """The alert's id, created on first use: the key (e.g. summary:42) makes it happen once."""
        await self.guard.write(
            "INSERT OR IGNORE INTO alerts (kind, session_id, key, created_at) VALUES (?, ?, ?, ?)",
            (kind, session_id, key, _now()),
        )
        async with self.conn.execute("SELECT id FROM alerts WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        assert row is not None
        return int(row[0])

    async def enqueue_alert(
        self,
        alert_id: int,
        chat_id: int,
        text: str,
        reply_markup: str | None,
        priority: int = BROADCAST_PRIORITY,
        state: str = "pending",
        not_before: datetime | None = None,
    ) -> bool:
        """False when this chat already has this alert (the ledger: one per alert and chat)."""
        return (
            await self.guard.write(
                "INSERT OR IGNORE INTO outbox (alert_id, chat_id, priority, text, reply_markup, state, created_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    alert_id,
                    chat_id,
                    priority,
                    text,
                    reply_markup,
                    state,
                    _now(),
                    _stamp(not_before) if not_before else _now(),
                ),
            )
            == 1
        )

    async def enqueue_alerts(
        self, alert_id: int, rows: list[tuple[int, str, str | None]], priority: int = BROADCAST_PRIORITY
    ) -> int:
        """Many (chat, text, markup) of one alert at once; chats that already have it are left alone."""
        now = _now()
        # One transaction: an insert per commit made 200,000 rows take seconds (storage/reminders.py BATCH).
        async with self.guard.transaction() as conn:
            cur = await conn.executemany(
                "INSERT OR IGNORE INTO outbox (alert_id, chat_id, priority, text, reply_markup, state, created_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)",
                [(alert_id, chat_id, priority, text, markup, now, now) for chat_id, text, markup in rows],
            )
            return max(cur.rowcount, 0)

    async def due(self, limit: int = 200) -> list[OutboxRow]:
        async with self.conn.execute(
            "SELECT id, chat_id, text, reply_markup, state, attempts, message_id FROM outbox"
            " WHERE state IN ('pending', 'failed') AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
            " ORDER BY priority, id LIMIT ?",
            (_now(), limit),
        ) as cur:
            return [OutboxRow(*tuple(r)) for r in await cur.fetchall()]

    async def next_attempt_at(self) -> datetime | None:
        """When the earliest waiting row (a 429's retry_after, a backoff, a spoiler delay) falls due."""
        async with self.conn.execute(
            "SELECT min(next_attempt_at) FROM outbox WHERE state IN ('pending', 'failed')"
        ) as cur:
            row = await cur.fetchone()
        return datetime.fromisoformat(row[0]) if row and row[0] else None

    async def release_interrupted(self, before: datetime) -> int:
        """Rows a crashed process left 'sending' go back to 'pending'; replies this process is sending
        right now (created since `before`) are its own and stay."""
        return await self.guard.write(
            "UPDATE outbox SET state = 'pending' WHERE state = 'sending' AND created_at < ?", (_stamp(before),)
        )

    async def rows_for_alert(self, alert_id: int) -> dict[int, tuple[str, int, str | None, str | None]]:
        """chat → (state, attempts, next_attempt_at, last_error) of one alert."""
        async with self.conn.execute(
            "SELECT chat_id, state, attempts, next_attempt_at, last_error FROM outbox WHERE alert_id = ?", (alert_id,)
        ) as cur:
            return {r[0]: (r[1], r[2], r[3], r[4]) for r in await cur.fetchall()}

    async def chats_with_alert(self, alert_id: int) -> set[int]:
        async with self.conn.execute("SELECT chat_id FROM outbox WHERE alert_id = ?", (alert_id,)) as cur:
            return {r[0] for r in await cur.fetchall()}

    async def mark_sending(self, row_id: int) -> None:
        await self.guard.write("UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?", (row_id,))

    async def mark_sending_many(self, row_ids: list[int]) -> None:
        await self.guard.write_many(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?", [(i,) for i in row_ids]
        )

    async def mark_sent(self, row_id: int, message_id: int) -> None:
        await self.guard.write(
            "UPDATE outbox SET state = 'sent', message_id = ?, last_error = NULL WHERE id = ?", (message_id, row_id)
        )

    async def mark_sent_many(self, rows: list[tuple[int, int]]) -> None:
        """(row id, Telegram message id) for a group of sent rows, in one statement."""
        await self.guard.write_many(
            "UPDATE outbox SET state = 'sent', message_id = ?, last_error = NULL WHERE id = ?",
            [(message_id, row_id) for row_id, message_id in rows],
        )

    async def mark_failed(self, row_id: int, error: str, next_attempt_at: str) -> None:
        await self.guard.write(
            "UPDATE outbox SET state = 'failed', last_error = ?, next_attempt_at = ? WHERE id = ?",
            (error[:500], next_attempt_at, row_id),
        )

    async def mark_dead(self, row_id: int, error: str) -> None:
        await self.guard.write("UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?", (error[:500], row_id))

    async def kill_chat(self, chat_id: int, error: str) -> int:
        """A chat that blocked or removed the bot: nothing pending for it will ever arrive."""
        return await self.guard.write(
            "UPDATE outbox SET state = 'dead', last_error = ? WHERE chat_id = ? AND state IN ('pending', 'sending',"
            " 'failed')",
            (error[:500], chat_id),
        )

    async def move_chat(self, row_id: int, chat_id: int) -> None:
        await self.guard.write("UPDATE outbox SET chat_id = ? WHERE id = ?", (chat_id, row_id))

    async def get(self, row_id: int) -> OutboxRow | None:
        async with self.conn.execute(
            "SELECT id, chat_id, text, reply_markup, state, attempts, message_id FROM outbox WHERE id = ?", (row_id,)
        ) as cur:
            row = await cur.fetchone()
        return OutboxRow(*tuple(row)) if row else None

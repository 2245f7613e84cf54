"""The outbox: one row per outgoing message, so every send is recorded, retried and never lost.

Timestamps come from the injected clock (tests move a ManualClock); every stored error is redacted, as a
transport error may carry the Bot API URL, and with it the token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.core.clock import SYSTEM, Clock
from bot.core.redact import redact
from storage.database import Database, Executor

_IN_LIMIT = 500  # ids or texts per IN (...): well below SQLite's parameter limit
_JSON_BATCH = 20_000  # rows per INSERT ... FROM json_each(?): other writers get their turn between them
_PART_CACHE = 20_000  # part texts kept in memory by the sender (a reminder to 200,000 chats has a few hundred)

REPLY_PRIORITY = 0  # command replies go ahead of broadcasts
BROADCAST_PRIORITY = 10

# Replicas on PostgreSQL: rows queued wake every replica's sender (storage/outbox_claims.py listens).
CHANNEL = "pitboard_outbox"
_NOTIFY = f"SELECT pg_notify('{CHANNEL}', '')"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _error(text: str) -> str:
    return redact(text)[:500]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    chat_id: int
    text: str
    reply_markup: str | None
    state: str
    attempts: int
    message_id: int | None
    # What the delivery needs to judge whether the row is still worth sending (bot/delivery/relevance.py).
    created_at: str | None = None
    kind: str | None = None  # the alert's kind; None for a command reply
    session_start: str | None = None


class Outbox:
    def __init__(self, db: Database, clock: Clock = SYSTEM) -> None:
        self.db = db
        self.clock = clock
        self._parts: dict[int, str] = {}
        # Replicas (PostgreSQL): who this process is and how long its claims last. A reply it sends at once
        # is claimed by it, so a replica that dies mid-send leaves the row to expire and be retaken.
        self.claimer: tuple[str, float] | None = None

    def _now(self) -> str:
        return _stamp(self.clock.now())

    async def _notify(self, tx: Executor) -> None:
        """Wake the replicas' senders when the surrounding transaction commits (PostgreSQL; SQLite's one
        process drains by itself). Identical notifications of one transaction are folded into one."""
        if self.db.dialect == "postgresql":
            await tx.execute(_NOTIFY)

    async def _insert(self, sql: str, *params: Any) -> int:
        """One INSERT, with its NOTIFY in the same transaction on PostgreSQL; rows added."""
        if self.db.dialect != "postgresql":
            return await self.db.execute(sql, *params)
        async with self.db.transaction() as tx:
            added = await tx.execute(sql, *params)
            if added:
                await self._notify(tx)
            return added

    async def enqueue_sending(
        self, chat_id: int, text: str, reply_markup: str | None, priority: int = REPLY_PRIORITY
    ) -> int:
        """A row that is sent right away: 'sending', its first attempt counted, from the start, so only a crash
        leaves it for the worker."""
        now = self._now()
        claimed_by, expires = None, None
        if self.claimer is not None:
            claimed_by = self.claimer[0]
            expires = _stamp(self.clock.now() + timedelta(seconds=self.claimer[1]))
        row_id = await self.db.fetchval(
            "INSERT INTO outbox (chat_id, priority, text, reply_markup, state, attempts, created_at, next_attempt_at,"
            " claimed_by, claim_expires_at) VALUES (?, ?, ?, ?, 'sending', 1, ?, ?, ?, ?) RETURNING id",
            chat_id,
            priority,
            text,
            reply_markup,
            now,
            now,
            claimed_by,
            expires,
        )
        return int(row_id)

    async def enqueue_reply(self, chat_id: int, text: str, reply_markup: str | None) -> int:
        """A command reply left for the outbox's workers ('pending', replies first by priority): a burst of
        commands is answered at once while Telegram's flood limits let the replies out at their pace."""
        now = self._now()
        row_id = await self.db.fetchval(
            "INSERT INTO outbox (chat_id, priority, text, reply_markup, state, created_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, 'pending', ?, ?) RETURNING id",
            chat_id,
            REPLY_PRIORITY,
            text,
            reply_markup,
            now,
            now,
        )
        return int(row_id)

    async def alert(self, kind: str, key: str, session_id: int | None) -> int:
        """The alert's id, created on first use: the key (e.g. summary:42) makes it happen once."""
        await self.db.execute(
            "INSERT INTO alerts (kind, session_id, key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            kind,
            session_id,
            key,
            self._now(),
        )
        alert_id = await self.db.fetchval("SELECT id FROM alerts WHERE key = ?", key)
        assert alert_id is not None
        return int(alert_id)

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
            await self._insert(
                "INSERT INTO outbox (alert_id, chat_id, priority, text, reply_markup, state, created_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                alert_id,
                chat_id,
                priority,
                text,
                reply_markup,
                state,
                self._now(),
                _stamp(not_before) if not_before else self._now(),
            )
            == 1
        )

    async def enqueue_alerts(
        self, alert_id: int, rows: list[tuple[int, str, str | None]], priority: int = BROADCAST_PRIORITY
    ) -> int:
        """Many (chat, text, markup) of one alert at once; chats that already have it are left alone."""
        now = self._now()
        async with self.db.transaction() as tx:
            added = await _counted(
                tx,
                alert_id,
                "INSERT INTO outbox (alert_id, chat_id, priority, text, reply_markup, state, created_at,"
                " next_attempt_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT DO NOTHING",
                [(alert_id, chat_id, priority, text, markup, now, now) for chat_id, text, markup in rows],
            )
            if added:
                await self._notify(tx)
            return added

    async def add_parts(self, alert_id: int, texts: list[str]) -> dict[str, int]:
        """Store texts shared by many of the alert's rows once (bot/jobs/reminders.py, schedule notices); returns
        text → part id. A text the alert already has keeps its id, so planning it again adds nothing."""
        wanted = list(dict.fromkeys(texts))
        if not wanted:
            return {}
        await self.db.executemany(
            "INSERT INTO outbox_parts (alert_id, text) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(alert_id, t) for t in wanted],
        )
        out: dict[str, int] = {}
        for first in range(0, len(wanted), _IN_LIMIT):
            chunk = wanted[first : first + _IN_LIMIT]
            rows = await self.db.fetch(
                f"SELECT id, text FROM outbox_parts WHERE alert_id = ? AND text IN ({','.join('?' * len(chunk))})",
                alert_id,
                *chunk,
            )
            out.update({r[1]: r[0] for r in rows})
        return out

    async def enqueue_parts(
        self, alert_id: int, rows: list[tuple[int, str]], priority: int = BROADCAST_PRIORITY
    ) -> int:
        """Many (chat, part ids "12,40,41") of one alert at once; chats that already have it are left alone."""
        now = self._now()
        queued = 0
        for first in range(0, len(rows), _JSON_BATCH):
            batch = rows[first : first + _JSON_BATCH]
            async with self.db.transaction() as tx:
                if self.db.dialect == "postgresql":
                    # Two arrays unnested side by side: one statement and one round trip per batch.
                    queued += await tx.execute(
                        "INSERT INTO outbox (alert_id, chat_id, priority, text, parts, state, created_at,"
                        " next_attempt_at) SELECT ?, u.chat_id, ?, '', u.parts, 'pending', ?, ?"
                        " FROM unnest(?::bigint[], ?::text[]) AS u(chat_id, parts) ON CONFLICT DO NOTHING",
                        alert_id,
                        priority,
                        now,
                        now,
                        [chat for chat, _ in batch],
                        [parts for _, parts in batch],
                    )
                    await self._notify(tx)
                else:
                    # The rows travel as one JSON array that SQLite unpacks itself: a third faster than binding
                    # each row from Python (200,000 reminders), and still one transaction per batch.
                    queued += await tx.execute(
                        "INSERT OR IGNORE INTO outbox (alert_id, chat_id, priority, text, parts, state, created_at,"
                        " next_attempt_at) SELECT ?1, json_extract(j.value, '$[0]'), ?2, '',"
                        " json_extract(j.value, '$[1]'), 'pending', ?3, ?3 FROM json_each(?4) j",
                        alert_id,
                        priority,
                        now,
                        json.dumps(batch),
                    )
        return queued

    async def compose(self, parts: str) -> str:
        """The message a row of parts stands for: its parts' texts, in order, joined by line breaks."""
        return (await self._composed([parts]))[0]

    async def _composed(self, lists: list[str | None]) -> list[str]:
        ids = {int(i) for parts in lists if parts for i in parts.split(",")}
        missing = sorted(ids - self._parts.keys())
        if len(self._parts) + len(missing) > _PART_CACHE:
            self._parts.clear()  # parts never change: forgetting them only costs a lookup
        for first in range(0, len(missing), _IN_LIMIT):
            chunk = missing[first : first + _IN_LIMIT]
            rows = await self.db.fetch(
                f"SELECT id, text FROM outbox_parts WHERE id IN ({','.join('?' * len(chunk))})", *chunk
            )
            self._parts.update({r[0]: r[1] for r in rows})
        return ["\n".join(self._parts.get(int(i), "") for i in parts.split(",")) if parts else "" for parts in lists]

    async def _with_parts(self, rows: list[tuple[Any, ...]], text: int, parts: int) -> list[list[Any]]:
        """Rows with their `parts` column (last) folded into their text."""
        composed = await self._composed([r[parts] for r in rows])
        out = []
        for row, message in zip(rows, composed, strict=True):
            fields = list(row[:parts])
            if row[parts]:
                fields[text] = message
            out.append(fields)
        return out

    async def due(self, limit: int = 200) -> list[OutboxRow]:
        found = await self.db.fetch(
            "SELECT o.id, o.chat_id, o.text, o.reply_markup, o.state, o.attempts, o.message_id, o.created_at,"
            " a.kind, s.start_utc, o.parts FROM outbox o LEFT JOIN alerts a ON a.id = o.alert_id"
            " LEFT JOIN sessions s ON s.id = a.session_id"
            " WHERE o.state IN ('pending', 'failed') AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= ?)"
            " ORDER BY o.priority, o.id LIMIT ?",
            self._now(),
            limit,
        )
        rows = [tuple(r) for r in found]
        return [OutboxRow(*r) for r in await self._with_parts(rows, text=2, parts=10)]

    async def next_attempt_at(self) -> datetime | None:
        """When the earliest waiting row (a 429's retry_after, a backoff, a spoiler delay) falls due."""
        first = await self.db.fetchval("SELECT min(next_attempt_at) FROM outbox WHERE state IN ('pending', 'failed')")
        return datetime.fromisoformat(first) if first else None

    async def release_interrupted(self, before: datetime) -> int:
        """Rows a crashed process left 'sending' go back to 'pending'; replies this process is sending
        right now (created since `before`) are its own and stay."""
        return await self.db.execute(
            "UPDATE outbox SET state = 'pending' WHERE state = 'sending' AND created_at < ?", _stamp(before)
        )

    async def rows_for_alert(self, alert_id: int) -> dict[int, tuple[str, int, str | None, str | None]]:
        """chat → (state, attempts, next_attempt_at, last_error) of one alert."""
        rows = await self.db.fetch(
            "SELECT chat_id, state, attempts, next_attempt_at, last_error FROM outbox WHERE alert_id = ?", alert_id
        )
        return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}

    async def chats_with_alert(self, alert_id: int) -> set[int]:
        return {r[0] for r in await self.db.fetch("SELECT chat_id FROM outbox WHERE alert_id = ?", alert_id)}

    async def mark_sending(self, row_id: int) -> None:
        if self.claimer is not None:
            # Another attempt of a reply this replica holds: its claim is renewed with it.
            expires = _stamp(self.clock.now() + timedelta(seconds=self.claimer[1]))
            await self.db.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_by = ?, claim_expires_at = ?"
                " WHERE id = ?",
                self.claimer[0],
                expires,
                row_id,
            )
            return
        await self.db.execute("UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?", row_id)

    async def mark_sending_many(self, row_ids: list[int]) -> None:
        await self.db.executemany(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id = ?", [(i,) for i in row_ids]
        )

    async def mark_sent(self, row_id: int, message_id: int) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'sent', message_id = ?, last_error = NULL WHERE id = ?", message_id, row_id
        )

    async def mark_sent_many(self, rows: list[tuple[int, int]]) -> None:
        """(row id, Telegram message id) for a group of sent rows, in one statement."""
        await self.db.executemany(
            "UPDATE outbox SET state = 'sent', message_id = ?, last_error = NULL WHERE id = ?",
            [(message_id, row_id) for row_id, message_id in rows],
        )

    async def mark_failed(self, row_id: int, error: str, next_attempt_at: datetime) -> None:
        await self.db.execute(
            "UPDATE outbox SET state = 'failed', last_error = ?, next_attempt_at = ? WHERE id = ?",
            _error(error),
            _stamp(next_attempt_at),
            row_id,
        )

    async def note_error(self, row_id: int, error: str) -> None:
        """Record why the latest attempt failed, leaving the row where it is (sending, waiting for the API)."""
        await self.db.execute("UPDATE outbox SET last_error = ? WHERE id = ?", _error(error), row_id)

    async def mark_dead(self, row_id: int, error: str) -> None:
        await self.db.execute("UPDATE outbox SET state = 'dead', last_error = ? WHERE id = ?", _error(error), row_id)

    async def kill_chat(self, chat_id: int, error: str) -> int:
        """A chat that blocked or removed the bot: nothing pending for it will ever arrive."""
        return await self.db.execute(
            "UPDATE outbox SET state = 'dead', last_error = ? WHERE chat_id = ? AND state IN ('pending', 'sending',"
            " 'failed')",
            _error(error),
            chat_id,
        )

    async def move_chat(self, row_id: int, chat_id: int) -> None:
        await self.db.execute("UPDATE outbox SET chat_id = ? WHERE id = ?", chat_id, row_id)

    async def get(self, row_id: int) -> OutboxRow | None:
        row = await self.db.fetchrow(
            "SELECT id, chat_id, text, reply_markup, state, attempts, message_id, parts FROM outbox WHERE id = ?",
            row_id,
        )
        return OutboxRow(*(await self._with_parts([tuple(row)], text=2, parts=7))[0]) if row else None


async def _counted(tx: Executor, alert_id: int, sql: str, rows: list[tuple[Any, ...]]) -> int:
    """Run an insert of one alert's rows that may skip some (ON CONFLICT DO NOTHING); how many it added.
    Counted from the alert's rows before and after, inside the caller's transaction: an executemany
    reports no row count that both databases agree on."""
    await lock_alert(tx, alert_id)
    count = "SELECT count(*) FROM outbox WHERE alert_id = ?"
    before = int(await tx.fetchval(count, alert_id) or 0)
    await tx.executemany(sql, rows)
    return int(await tx.fetchval(count, alert_id) or 0) - before


async def lock_alert(tx: Executor, alert_id: int) -> None:
    """Hold the alert's row until the transaction ends, so rows of the same alert queued by another
    transaction (another replica's planner) land before or after this one, never between its two counts.
    SQLite's transactions take turns already; PostgreSQL's run side by side at READ COMMITTED, where a
    commit between the counts was counted as this transaction's."""
    if tx.dialect == "postgresql":
        await tx.fetchval("SELECT id FROM alerts WHERE id = ? FOR UPDATE", alert_id)

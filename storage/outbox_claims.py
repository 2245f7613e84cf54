"""The outbox shared by several replicas on one PostgreSQL: each row is sent by the one replica that claimed it.

A claim takes due rows with `FOR UPDATE SKIP LOCKED` (two replicas claiming at once take different rows,
neither waits for the other) and marks them 'sending', with the claimer and a lease. A claim whose lease ran
out (the replica died, or lost the database) is taken again by whoever claims next: at-least-once, with
duplicates bounded by the rows the lost replica had in flight. Marks (sent, failed, dead) count only from the
replica that holds the claim, so a replica that comes back from a long stall cannot overwrite the row that
another replica took over.

Enqueuing wakes the senders: `notify_queued` in the transaction that inserts the rows sends
`NOTIFY pitboard_outbox` when it commits; each sender listens on a connection of its own (OutboxListener).

PostgreSQL only (the one SQLite process drains with storage/outbox.py). Timestamps are the outbox's own
text stamps (UTC, microseconds, 'Z'), which order as text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bot.core.redact import redact
from storage.outbox import CHANNEL

log = logging.getLogger(__name__)

__all__ = ["CHANNEL", "ClaimedRow", "OutboxClaims", "OutboxListener", "notify_queued"]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class ClaimedRow:
    id: int
    chat_id: int
    text: str  # a row of parts (storage/outbox.py) comes with its parts already joined
    reply_markup: str | None
    attempts: int
    created_at: str | None
    kind: str | None  # the alert's kind; None for a command reply
    session_start: str | None
    claim_expires_at: str


# The claim: due rows (pending or failed, their next attempt reached) and rows whose claim expired, in
# priority order. The rows' alert kind and session start come along (bot/delivery/relevance.py needs them),
# and a row of parts arrives with its message composed.
_CLAIM = """
WITH taken AS (
    UPDATE outbox o SET state = 'sending', attempts = o.attempts + 1, claimed_by = $1, claim_expires_at = $2
    WHERE o.id IN (
        SELECT id FROM outbox
        WHERE (state IN ('pending', 'failed') AND (next_attempt_at IS NULL OR next_attempt_at <= $3))
           OR (state = 'sending' AND claim_expires_at <= $3)
        ORDER BY priority, id
        LIMIT $4
        FOR UPDATE SKIP LOCKED)
    RETURNING o.id, o.chat_id, o.text, o.parts, o.reply_markup, o.attempts, o.created_at, o.alert_id,
              o.priority, o.claim_expires_at)
SELECT t.id, t.chat_id,
       CASE WHEN t.parts IS NULL OR t.parts = '' THEN t.text ELSE (
           SELECT string_agg(p.text, E'\\n' ORDER BY u.n)
           FROM unnest(string_to_array(t.parts, ',')) WITH ORDINALITY AS u(part, n)
           JOIN outbox_parts p ON p.id = u.part::bigint) END AS text,
       t.reply_markup, t.attempts, t.created_at, a.kind, s.start_utc, t.claim_expires_at
FROM taken t
LEFT JOIN alerts a ON a.id = t.alert_id
LEFT JOIN sessions s ON s.id = a.session_id
ORDER BY t.priority, t.id
"""


class OutboxClaims:
    """Claims and marks of one replica (`replica_id`: unique per process, e.g. host:pid:random)."""

    def __init__(self, pool: asyncpg.Pool, replica_id: str, clock: Callable[[], datetime]) -> None:
        self.pool = pool
        self.replica_id = replica_id
        self._now = clock

    async def claim(self, limit: int, lease_seconds: float, now: datetime | None = None) -> list[ClaimedRow]:
        now = now or self._now()
        rows = await self.pool.fetch(
            _CLAIM, self.replica_id, stamp(now + timedelta(seconds=lease_seconds)), stamp(now), limit
        )
        return [ClaimedRow(*r) for r in rows]

    async def renew(self, row_ids: list[int], lease_seconds: float, now: datetime | None = None) -> int:
        """Extend the lease of rows this replica still holds (a send waiting out a long pause)."""
        now = now or self._now()
        return _count(
            await self.pool.execute(
                "UPDATE outbox SET claim_expires_at = $3 WHERE id = ANY($2::bigint[]) AND claimed_by = $1"
                " AND state = 'sending'",
                self.replica_id,
                row_ids,
                stamp(now + timedelta(seconds=lease_seconds)),
            )
        )

    async def mark_sent(self, sent: list[tuple[int, int]]) -> int:
        """(row id, Telegram message id) of rows this replica sent, in one statement. Returns how many were
        still this replica's claim; the others were taken over after their lease (and may go out twice)."""
        if not sent:
            return 0
        return _count(
            await self.pool.execute(
                "UPDATE outbox o SET state = 'sent', message_id = m.message_id, last_error = NULL,"
                " claim_expires_at = NULL"
                " FROM unnest($2::bigint[], $3::bigint[]) AS m(id, message_id)"
                " WHERE o.id = m.id AND o.claimed_by = $1 AND o.state = 'sending'",
                self.replica_id,
                [row_id for row_id, _ in sent],
                [message_id for _, message_id in sent],
            )
        )

    async def mark_failed(self, row_id: int, error: str, next_attempt_at: datetime) -> bool:
        """A 429 or a transient failure: the row goes back to the queue (any replica) at `next_attempt_at`."""
        return (
            _count(
                await self.pool.execute(
                    "UPDATE outbox SET state = 'failed', last_error = $3, next_attempt_at = $4, claim_expires_at = NULL"
                    " WHERE id = $2 AND claimed_by = $1 AND state = 'sending'",
                    self.replica_id,
                    row_id,
                    redact(error)[:500],
                    stamp(next_attempt_at),
                )
            )
            == 1
        )

    async def mark_dead(self, row_id: int, error: str) -> bool:
        return (
            _count(
                await self.pool.execute(
                    "UPDATE outbox SET state = 'dead', last_error = $3, claim_expires_at = NULL"
                    " WHERE id = $2 AND claimed_by = $1 AND state = 'sending'",
                    self.replica_id,
                    row_id,
                    redact(error)[:500],
                )
            )
            == 1
        )

    async def release(self, row_ids: list[int]) -> int:
        """Rows claimed but not sent (shutting down): back to the queue now, and the other senders woken."""
        if not row_ids:
            return 0
        async with self.pool.acquire() as conn, conn.transaction():
            released = _count(
                await conn.execute(
                    "UPDATE outbox SET state = 'pending', claim_expires_at = NULL"
                    " WHERE id = ANY($2::bigint[]) AND claimed_by = $1 AND state = 'sending'",
                    self.replica_id,
                    row_ids,
                )
            )
            await notify_queued(conn)
        return released

    async def next_due(self) -> datetime | None:
        """When the next row falls due for a claim: a waiting row's next attempt or a claim's expiry.
        None when nothing waits (then only a notification wakes the sender)."""
        found = await self.pool.fetchval(
            "SELECT min(due) FROM ("
            " SELECT min(COALESCE(next_attempt_at, '')) AS due FROM outbox WHERE state IN ('pending', 'failed')"
            " UNION ALL"
            " SELECT min(claim_expires_at) FROM outbox WHERE state = 'sending' AND claim_expires_at IS NOT NULL"
            ") d"
        )
        if found is None:
            return None
        return self._now() if found == "" else parse_stamp(found)


async def notify_queued(conn: Any) -> None:
    """Wake every sender when the surrounding transaction commits (call it where rows are queued).
    PostgreSQL folds identical notifications of one transaction into one."""
    await conn.execute(f"SELECT pg_notify('{CHANNEL}', '')")


class OutboxListener:
    """LISTEN pitboard_outbox on a connection of its own: `event` is set by every notification, and when the
    connection is lost or comes back (notifications sent meanwhile are gone: the sender must look)."""

    def __init__(self, dsn: str, timeout: float = 5.0) -> None:
        self.dsn = dsn
        self.timeout = timeout
        self.event = asyncio.Event()
        self.notifications = 0
        self._conn: asyncpg.Connection | None = None

    @property
    def connected(self) -> bool:
        return self._conn is not None and not self._conn.is_closed()

    async def connect(self) -> None:
        """(Re)connect and listen; raises the driver's errors when the database cannot be reached."""
        if self.connected:
            return
        conn = await asyncpg.connect(self.dsn, timeout=self.timeout)
        await conn.add_listener(CHANNEL, self._notified)
        conn.add_termination_listener(self._terminated)
        self._conn = conn
        self.event.set()  # anything queued while not listening

    def _notified(self, *_: object) -> None:
        self.notifications += 1
        self.event.set()

    def _terminated(self, *_: object) -> None:
        log.warning("outbox listener lost its connection")
        self._conn = None
        self.event.set()

    async def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.remove_termination_listener(self._terminated)  # closed on purpose: not "lost"
            with contextlib.suppress(OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await conn.close(timeout=self.timeout)


def _count(status: str) -> int:
    """Rows an UPDATE changed, from asyncpg's command tag ('UPDATE 3')."""
    return int(status.rsplit(" ", 1)[-1])

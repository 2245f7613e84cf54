"""The sender loop of one replica among several (PostgreSQL): claim due outbox rows, pace them through the
shared flood gate, send, mark — and sleep until a notification or the next due time, never polling.

This is the shape Delivery.drain takes with replicas (the merge wires it in): `claim` replaces
`due` + `mark_sending_many`, marks go through the claim (only the claimer's count), expired claims replace
`release_interrupted`, and `wait_for_work` replaces `wake_when_due`. The send itself stays Delivery's
(`_with_retries`): here it is any coroutine that returns the message id or raises TryLater / Refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from bot.core.clock import SYSTEM, Clock
from storage.database import DB_ERRORS
from storage.outbox_claims import ClaimedRow, OutboxClaims, OutboxListener

log = logging.getLogger(__name__)

LEASE = 60.0  # seconds a claim lasts: a dead replica's rows go out again this long after its last claim
BATCH = 32  # rows claimed at a time: at 30/s for the whole bot, about a second of sends (see `lease`)
MARK_BATCH = 16  # sent rows marked together
IDLE_MAX = 300.0  # seconds: the longest sleep without a notification (a lost NOTIFY costs at most this)
DB_RETRY_MAX = 10.0


class TryLater(Exception):
    """Telegram said 429 (retry_after seconds) or could not be reached: the row is retried later."""

    def __init__(self, retry_after: float, reason: str = "429") -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Refused(Exception):
    """Telegram refused the message for good: the row is dead."""


class Gate(Protocol):
    """What the sender needs of a flood gate (FloodGate and SharedFloodGate both fit)."""

    async def acquire(self, chat_id: int, reply: bool = True, paid: bool = False) -> None: ...
    def too_many(self, chat_id: int, retry_after: float) -> bool: ...


@dataclass
class Counters:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost_claims: int = 0  # sent, but the claim had expired and another replica held it
    claims: int = 0
    wakeups_by_notification: int = 0
    wakeups_by_time: int = 0
    in_flight: set[int] = field(default_factory=set)


class ReplicaSender:
    def __init__(
        self,
        claims: OutboxClaims,
        listener: OutboxListener,
        gate: Gate,
        send: Callable[[ClaimedRow], Awaitable[int]],
        clock: Clock = SYSTEM,
        workers: int = 8,
        batch: int = BATCH,
        lease: float = LEASE,
    ) -> None:
        self.claims = claims
        self.listener = listener
        self.gate = gate
        self.send = send
        self.clock = clock
        self.workers = workers
        self.batch = batch
        self.lease = lease
        self.counters = Counters()
        self._marks: list[tuple[int, int]] = []

    async def run(self) -> None:
        """Until cancelled: send whatever is due, then wait for work."""
        db_wait = 0.1
        while True:
            try:
                await self.listener.connect()
                # Cleared before looking: a notification that arrives while this round runs is kept.
                self.listener.event.clear()
                sent_any = await self.drain_once()
                db_wait = 0.1
                if not sent_any:
                    await self.wait_for_work()
            except DB_ERRORS as exc:
                # The database is gone: what this replica claimed expires and is retaken (by it or another).
                log.warning("outbox unreachable (%s); retrying in %.1f s", type(exc).__name__, db_wait)
                await self.clock.sleep(db_wait)
                db_wait = min(DB_RETRY_MAX, db_wait * 2)

    async def drain_once(self) -> bool:
        """Claim one batch and send it; False when nothing was due."""
        rows = await self.claims.claim(self.batch, self.lease, self.clock.now())
        if not rows:
            return False
        self.counters.claims += 1
        queue: asyncio.Queue[ClaimedRow] = asyncio.Queue()
        for row in rows:
            queue.put_nowait(row)

        async def work() -> None:
            while not queue.empty():
                await self._send_one(queue.get_nowait())

        async with asyncio.TaskGroup() as group:
            for _ in range(min(self.workers, len(rows))):
                group.create_task(work())
        await self._flush_marks()
        return True

    async def _send_one(self, row: ClaimedRow) -> None:
        self.counters.in_flight.add(row.id)
        try:
            await self.gate.acquire(row.chat_id, reply=row.kind is None)
            message_id = await self.send(row)
        except TryLater as exc:
            self.gate.too_many(row.chat_id, exc.retry_after)
            self.counters.retried += 1
            when = self.clock.now() + timedelta(seconds=exc.retry_after)
            await self.claims.mark_failed(row.id, f"{exc} retry after {exc.retry_after:g}", when)
            return
        except Refused as exc:
            self.counters.dead += 1
            await self.claims.mark_dead(row.id, str(exc))
            return
        finally:
            self.counters.in_flight.discard(row.id)
        self._marks.append((row.id, message_id))
        if len(self._marks) >= MARK_BATCH:
            await self._flush_marks()

    async def _flush_marks(self) -> None:
        marks, self._marks = self._marks, []
        if not marks:
            return
        marked = await self.claims.mark_sent(marks)
        self.counters.sent += len(marks)
        self.counters.lost_claims += len(marks) - marked

    async def wait_for_work(self) -> None:
        """Sleep until a row is queued (NOTIFY) or the next row falls due (a retry, an expiring claim)."""
        due = await self.claims.next_due()
        seconds = IDLE_MAX if due is None else (due - self.clock.now()).total_seconds()
        if seconds <= 0:
            return
        if await wake_or_sleep(self.listener.event, self.clock, min(seconds, IDLE_MAX)):
            self.counters.wakeups_by_notification += 1
        else:
            self.counters.wakeups_by_time += 1


async def wake_or_sleep(event: asyncio.Event, clock: Clock, seconds: float) -> bool:
    """Wait for `event` or `seconds` on the clock, whichever comes first; True when the event came."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, sleeper):
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return event.is_set()

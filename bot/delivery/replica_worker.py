"""The sender loop of one replica among several (PostgreSQL): claim due outbox rows, pace them through the
shared flood gate, send, mark — and sleep until a notification or the next due time, never polling.

This is what Delivery.drain is with replicas (Delivery.replicate wires it): `claim` replaces
`due` + `mark_sending_many`, marks go through the claim (only the claimer's count), expired claims replace
`release_interrupted`, and `wait_for_work` replaces `wake_when_due`. The send itself is Delivery's
(`send_claimed`, which paces through the gate itself: then `gate` here is None): any coroutine that returns
the message id or raises TryLater / Refused / ClaimLost.

Claims are renewed while their rows wait (a 429 pause, an outage), and a row whose claim is about to run
out is not sent (ClaimLost): another replica may take it after the lease. A replica that loses the database
keeps trying with backoff; what it had claimed expires and is retaken, by it or another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.clock import SYSTEM, Clock
from bot.core.tasks import cancel_and_wait
from bot.delivery.gate import Gate
from bot.delivery.outage import ShuttingDown
from storage.database import DB_ERRORS
from storage.outbox_claims import ClaimedRow, OutboxClaims, OutboxListener, parse_stamp

log = logging.getLogger(__name__)

LEASE = 60.0  # seconds a claim lasts: a dead replica's rows go out again this long after its last claim
LEASE_MARGIN = 5.0  # seconds: a row whose claim ends sooner than this is not sent any more (it may be retaken)
BATCH = 32  # rows claimed at a time: at 30/s for the whole bot, about a second of sends (see `lease`)
MARK_BATCH = 16  # sent rows marked together
IDLE_MAX = 300.0  # seconds: the longest sleep without a notification (a lost NOTIFY costs at most this)
DB_RETRY_MAX = 10.0
_HAND_BACK_ERRORS: tuple[type[BaseException], ...] = (TimeoutError, *DB_ERRORS)


class TryLater(Exception):
    """Telegram said 429 (retry_after seconds) or could not be reached: the row is retried later."""

    def __init__(self, retry_after: float, reason: str = "429") -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class Refused(Exception):
    """Telegram refused the message for good: the row is dead."""


class ClaimLost(Exception):
    """The row's claim ran out before it could be sent: it is left to whoever takes it next, unmarked."""


@dataclass
class Counters:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    lost_claims: int = 0  # sent, but the claim had expired and another replica held it
    given_up: int = 0  # not sent: the claim was about to run out (ClaimLost)
    claims: int = 0
    wakeups_by_notification: int = 0
    wakeups_by_time: int = 0
    in_flight: set[int] = field(default_factory=set)


class ReplicaSender:
    def __init__(
        self,
        claims: OutboxClaims,
        listener: OutboxListener,
        gate: Gate | None,
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
        self._leases: dict[int, datetime] = {}  # claimed rows not done yet → when their claim ends
        self._round = asyncio.Lock()

    def holds(self, row_id: int) -> bool:
        """Whether the claim on `row_id` is still this replica's for a while (LEASE_MARGIN)."""
        until = self._leases.get(row_id)
        margin = min(LEASE_MARGIN, self.lease / 4)
        return until is not None and self.clock.now() + timedelta(seconds=margin) < until

    async def run(self) -> None:
        """Until cancelled: send whatever is due, then wait for work. Cancelled, it hands back what it
        claimed and did not send."""
        db_wait = 0.1
        try:
            while True:
                try:
                    await self.listener.connect()
                    # Cleared before looking: a notification that arrives while this round runs is kept.
                    self.listener.event.clear()
                    await self._flush_marks()  # marks a lost database kept back
                    sent_any = await self.drain_once()
                    db_wait = 0.1
                    if not sent_any:
                        await self.wait_for_work()
                except DB_ERRORS as exc:
                    # The database is gone: what this replica claimed expires and is retaken (by it or another).
                    log.warning("outbox unreachable (%s); retrying in %.1f s", type(exc).__name__, db_wait)
                    await self.clock.sleep(db_wait)
                    db_wait = min(DB_RETRY_MAX, db_wait * 2)
                except Exception:
                    # Never the end of sending: a fault of ours is logged, and the next round goes on.
                    log.exception("outbox sender round failed; retrying in %.1f s", db_wait)
                    await self.clock.sleep(db_wait)
                    db_wait = min(DB_RETRY_MAX, db_wait * 2)
        finally:
            await self._hand_back()

    async def _hand_back(self, rows: list[int] | None = None) -> None:
        """Release the claims on `rows` (all this replica holds when None) that were not sent, so that they go
        out at once (here or elsewhere) rather than after their lease."""
        unsent = sorted(self._leases if rows is None else set(rows) & set(self._leases))
        for row_id in unsent:
            del self._leases[row_id]
        if not unsent and not self._marks:
            return
        try:
            await asyncio.wait_for(self._flush_marks(), 5.0)
            released = await asyncio.wait_for(self.claims.release(unsent), 5.0)
            log.info("handed back %d claimed row(s)", released)
        except _HAND_BACK_ERRORS as exc:
            log.warning("could not hand back claimed rows (%s): their claims expire", type(exc).__name__)

    async def drain_once(self) -> bool:
        """Claim one batch and send it; False when nothing was due. Rounds of this replica take turns (its
        sender task and Delivery.drain): a drain that finds nothing to claim returns after the round in
        flight, with what was due sent, as drain does alone."""
        async with self._round:
            return await self._claim_and_send()

    async def _claim_and_send(self) -> bool:
        rows = await self._claim()
        if not rows:
            return False
        self.counters.claims += 1
        queue: asyncio.Queue[ClaimedRow] = asyncio.Queue()
        for row in rows:
            queue.put_nowait(row)

        async def work() -> None:
            while not queue.empty():
                row = queue.get_nowait()
                try:
                    await self._send_one(row)
                except DB_ERRORS as exc:
                    # Lost the database mid-send (reading the chat, marking): the claim expires and the row
                    # is taken again; the others of the batch still go.
                    log.warning("outbox row %s left to its claim's expiry (%s)", row.id, type(exc).__name__)
                    self._leases.pop(row.id, None)
                except ShuttingDown:
                    # Stopping: the row keeps its claim, handed back at shutdown (or left to expire).
                    log.info("outbox row %s handed back: shutting down", row.id)
                except Exception as exc:
                    # A fault of ours (a malformed row, a bug) would fail the same way again: given up on.
                    log.exception("could not send outbox row %s", row.id)
                    await self._mark(self.claims.mark_dead(row.id, f"internal error: {exc!r}"))

        renewing = asyncio.get_running_loop().create_task(self._renew())
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(min(self.workers, len(rows))):
                    group.create_task(work())
        except asyncio.CancelledError:
            # A cancelled drain (a /broadcast's task, the process stopping): the batch's unsent rows are
            # handed back now, not left claimed until their lease runs out.
            await self._hand_back([row.id for row in rows])
            raise
        finally:
            await cancel_and_wait(renewing)
        await self._flush_marks()
        return True

    async def _claim(self) -> list[ClaimedRow]:
        """Claim a batch; its rows are this replica's leases. Cancelled meanwhile (a drain or the process
        stopping), the claim still completes and its rows are handed back, not left claimed for a lease."""
        claiming = asyncio.ensure_future(self.claims.claim(self.batch, self.lease, self.clock.now()))
        try:
            rows = await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                taken = await claiming
                for row in taken:
                    self._leases[row.id] = parse_stamp(row.claim_expires_at)
                await self._hand_back([row.id for row in taken])
            raise
        for row in rows:
            self._leases[row.id] = parse_stamp(row.claim_expires_at)
        return rows

    async def _renew(self) -> None:
        """While the batch goes out: its claims renewed every third of a lease, so a long pause keeps them."""
        while True:
            await self.clock.sleep(self.lease / 3)
            held = sorted(self._leases)
            if not held:
                continue
            now = self.clock.now()
            until = now + timedelta(seconds=self.lease)
            try:
                await self.claims.renew(held, self.lease, now)
            except DB_ERRORS as exc:
                log.warning("could not renew claims (%s)", type(exc).__name__)
                continue
            for row_id in held:
                if row_id in self._leases:
                    self._leases[row_id] = until

    async def _send_one(self, row: ClaimedRow) -> None:
        self.counters.in_flight.add(row.id)
        done = True  # the row's claim is over here (sent, marked, given up); not when stopping
        try:
            if self.gate is not None:
                await self.gate.acquire(row.chat_id, reply=row.kind is None)
                if not self.holds(row.id):
                    raise ClaimLost(row.id)
            message_id = await self.send(row)
        except ClaimLost:
            self.counters.given_up += 1
            return
        except TryLater as exc:
            if self.gate is not None:
                self.gate.too_many(row.chat_id, exc.retry_after)
            self.counters.retried += 1
            when = self.clock.now() + timedelta(seconds=exc.retry_after)
            await self._mark(self.claims.mark_failed(row.id, f"{exc} retry after {exc.retry_after:g}", when))
            return
        except Refused as exc:
            self.counters.dead += 1
            await self._mark(self.claims.mark_dead(row.id, str(exc)))
            return
        except (ShuttingDown, asyncio.CancelledError):
            done = False  # kept among the leases: handed back (see _hand_back), not left to its lease
            raise
        finally:
            self.counters.in_flight.discard(row.id)
            if done:
                self._leases.pop(row.id, None)
        self._marks.append((row.id, message_id))
        if len(self._marks) >= MARK_BATCH:
            await self._flush_marks()

    async def _mark(self, write: Awaitable[bool]) -> None:
        """A failed or dead mark; a database that does not take it leaves the claim to expire (the row is
        tried again: a retry, not a loss)."""
        try:
            await write
        except DB_ERRORS as exc:
            log.warning("could not mark an outbox row (%s); its claim expires", type(exc).__name__)

    async def _flush_marks(self) -> None:
        """Sent rows marked together. When the database does not take them they are kept for the next
        round (the rows went out: marking them later still spares a resend)."""
        marks, self._marks = self._marks, []
        if not marks:
            return
        try:
            marked = await self.claims.mark_sent(marks)
        except DB_ERRORS as exc:
            log.warning("could not mark %d sent row(s) (%s); kept for later", len(marks), type(exc).__name__)
            self._marks = marks + self._marks
            return
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
        await cancel_and_wait(waiter, sleeper)
    return event.is_set()

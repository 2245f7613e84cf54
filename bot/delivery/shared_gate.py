"""The flood gate of a bot run by several replicas: FloodGate's interface (acquire, pause, too_many), its
limits kept for the bot as a whole in PostgreSQL (storage/shared_limits.py) instead of in one process.

Each replica's waiting sends are reserved together, one transaction per batch: a send asks for a slot, and
whatever asked while the previous reservation was under way goes in the next one. A send sleeps until its
slot; a slot booked a while ahead is checked against the shared 429 pause before it is used (another
replica may have been told to wait meanwhile). Replies may book as far ahead as needed; a broadcast books
at most `horizon` seconds ahead, so a reply waits behind at most that much of a broadcast.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bot.core.clock import SYSTEM, Clock
from bot.core.tasks import cancel_and_wait
from bot.delivery.gate import PAID_MARGIN, Limits, RecentRefusals
from storage.database import DB_ERRORS
from storage.shared_limits import GLOBAL, PAID, Grant, Request, Rules, SharedLimits

log = logging.getLogger(__name__)

# Seconds a broadcast may book ahead. The bucket's slots are booked in order, so a reply books behind every
# broadcast slot booked before it: at 1 s (8 workers a replica, ~0.3 s booked) /standings during a broadcast
# took 312 ms. Two slots are enough to keep the sends back to back (a broadcast asks again when the bucket
# is booked less than this far ahead, and the slot it gets is still ahead after the round trip: see `lead`).
HORIZON = 0.05
RECHECK_AFTER = 0.05  # a slot booked longer ago than this is checked against the shared pause before use
MAX_BATCH = 128
# Slots are spaced by (1 + margin) / 30 s, so a send that leaves later than its slot by more than the margin
# can make 31 arrive within one of Telegram's seconds together with the on-time sends after it. A replica
# whose loop woke it that late (busy planning a broadcast, say) gives the slot up and books another.
LATE = 0.015  # seconds
# Replicas keep more slack than one process: their sends come from several busy processes, each one's
# lateness spreading the arrivals (the in-process gate keeps 0.02).
REPLICA_MARGIN = 0.04
DB_RETRY_MAX = 5.0  # seconds between tries while the database does not answer
# A reservation's answer takes a round trip. A slot asked for at the moment of asking is that much past when
# the answer comes, and is given up as late (LATE) — every time, if the database always answers slower than
# LATE: the send would never leave (CI on a loaded machine: a /start never answered). So slots are asked for a
# "lead" after the asking, a little less than the expected round trip: the slot then falls just before the
# answer and the send leaves at once, without a sleep (whose own lateness could lose the slot again).
MAX_ANSWER_TIME = 1.0  # seconds; a slower answer is not expected of the next ones


@dataclass
class _Pending:
    requests: list[tuple[Request, asyncio.Future[Grant]]] = field(default_factory=list)
    task: asyncio.Task[None] | None = None


class SharedFloodGate:
    """FloodGate for replicas. `too_many`/`pause` act at once in this replica and are written to the shared
    state in the background (`await flush()` waits for those writes)."""

    def __init__(
        self,
        limits: SharedLimits,
        rules: Limits | None = None,
        paid_per_second: float = 1000.0,
        clock: Clock = SYSTEM,
        horizon: float = HORIZON,
    ) -> None:
        self.shared = limits
        self.limits = rules or Limits()
        self.clock = clock
        self.horizon = horizon
        margin = self.limits.margin
        self._rules = {
            GLOBAL: Rules(
                spacing=(1.0 + margin) / self.limits.per_second,
                private_window=self.limits.private_interval + margin,
                group_count=self.limits.group_per_minute,
                group_window=60.0 + margin,
            ),
            PAID: Rules(
                spacing=(1.0 + PAID_MARGIN) / paid_per_second,
                private_window=self.limits.private_interval + margin,
                group_count=self.limits.group_per_minute,
                group_window=60.0 + margin,
            ),
        }
        self._pending = {GLOBAL: _Pending(), PAID: _Pending()}
        self._paused_until: dict[int | None, float] = {}  # this replica's own 429s, before the write lands
        self._refusals = RecentRefusals()
        self._writes: set[asyncio.Task[None]] = set()
        self.late_slots = 0  # slots given up because this process woke too late for them
        self.answer_time = 0.0  # expected seconds for a reservation's answer: at once up, slowly down

    def _now(self) -> float:
        return self.clock.now().timestamp()

    async def acquire(self, chat_id: int, reply: bool = True, paid: bool = False) -> None:
        bucket = PAID if paid else GLOBAL
        db_wait = 0.05
        while True:
            now = self._now()
            local = max(self._paused_until.get(None, 0.0), self._paused_until.get(chat_id, 0.0))
            if local > now:
                await self.clock.sleep(min(local - now, 5.0))
                continue
            try:
                grant = await self._reserve(bucket, Request(chat_id, reply))
            except DB_ERRORS as exc:
                # Nothing goes out unpaced: without the shared state this replica waits for the database.
                log.warning("shared flood limits unreachable (%s); retrying in %.2f s", type(exc).__name__, db_wait)
                await self.clock.sleep(db_wait)
                db_wait = min(DB_RETRY_MAX, db_wait * 2)
                continue
            db_wait = 0.05
            now = self._now()  # the answer took a round trip: sleeping from before it would wake that late
            if grant.slot is None:
                await self.clock.sleep(min(max(grant.retry_at - now, 0.0), 5.0))
                continue
            ahead = max(RECHECK_AFTER, self.answer_time)
            if grant.slot - now > ahead:
                # Booked ahead: another replica may have met a 429 since. Looked up a little before the slot
                # (a round trip before it), not at it, so that the send leaves on time (the database's answer
                # time would otherwise spread the sends, and Telegram counts them as they arrive). A paused
                # slot is given up.
                await self.clock.sleep(grant.slot - ahead - now)
                try:
                    paused = await self.shared.paused_until(chat_id)
                except DB_ERRORS:
                    paused = 0.0  # the slot was fairly booked; a pause we cannot read is not known here
                if paused > grant.slot + _EPSILON:
                    continue
                now = self._now()
            if grant.slot > now:
                await self.clock.sleep(grant.slot - now)
            if self._now() - grant.slot > LATE:
                self.late_slots += 1
                continue
            return

    async def _reserve(self, bucket: str, request: Request) -> Grant:
        pending = self._pending[bucket]
        future: asyncio.Future[Grant] = asyncio.get_running_loop().create_future()
        pending.requests.append((request, future))
        if pending.task is None or pending.task.done():
            pending.task = asyncio.get_running_loop().create_task(self._reserve_batches(bucket))
        return await future

    async def _reserve_batches(self, bucket: str) -> None:
        pending = self._pending[bucket]
        while pending.requests:
            # Replies first: they book ahead of a broadcast's sends waiting in the same batch.
            batch = sorted(pending.requests[:MAX_BATCH], key=lambda item: not item[0].reply)
            del pending.requests[:MAX_BATCH]
            asked = self._now()
            try:
                grants = await self.shared.reserve(
                    [r for r, _ in batch], asked + self.lead, bucket, self._rules[bucket], self.horizon
                )
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc if isinstance(exc, Exception) else asyncio.CancelledError())
                if not isinstance(exc, Exception):
                    raise
                continue
            self._answered_in(self._now() - asked)
            for (_, future), grant in zip(batch, grants, strict=True):
                if not future.done():
                    future.set_result(grant)

    @property
    def lead(self) -> float:
        """Seconds after the asking that slots are asked for: within LATE / 2 before the expected answer."""
        return max(0.8 * self.answer_time, self.answer_time - LATE / 2)

    def _answered_in(self, seconds: float) -> None:
        self.answer_time = min(MAX_ANSWER_TIME, max(seconds, 0.8 * self.answer_time + 0.2 * seconds))

    def pause(self, chat_id: int | None, seconds: float) -> None:
        """A 429: hold that chat (or, with None, everything) for `seconds`, in every replica."""
        until = self._now() + seconds
        self._paused_until[chat_id] = max(self._paused_until.get(chat_id, 0.0), until)
        task = asyncio.get_running_loop().create_task(self._write_pause(chat_id, until))
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write_pause(self, chat_id: int | None, until: float) -> None:
        wait = 0.05
        while True:
            try:
                await self.shared.pause(chat_id, until)
                return
            except DB_ERRORS as exc:
                if self._now() >= until:
                    return  # over before it could be shared
                log.warning("could not share a 429 pause (%s); retrying", type(exc).__name__)
                await self.clock.sleep(wait)
                wait = min(DB_RETRY_MAX, wait * 2)

    def too_many(self, chat_id: int, retry_after: float) -> bool:
        """Note a 429 and hold that chat; True when it looks like the overall limit (three chats refused
        within a second), in which case the whole bot pauses for the shortest retry_after among them."""
        self.pause(chat_id, retry_after)
        overall = self._refusals.overall_pause(self.clock.monotonic(), chat_id, retry_after)
        if overall is not None:
            self.pause(None, overall)
        return overall is not None

    async def flush(self) -> None:
        """Wait until every pause given here is shared."""
        while self._writes:
            await asyncio.gather(*list(self._writes), return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._writes):
            task.cancel()
        await cancel_and_wait(*(pending.task for pending in self._pending.values()))


_EPSILON = 1e-6

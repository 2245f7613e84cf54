"""The one clock. Delivery, the flood gate, the outbox and the alert planner take a `Clock`, so tests say
"at T" and move time on instead of sleeping; production runs on `SystemClock`.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for pacing and timeouts)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


SYSTEM = SystemClock()


class ManualClock:
    """Time that moves only when a test moves it: `await clock.advance(120)` wakes every sleeper whose
    time has come, in order, letting each run before the next wakes. Nothing here reads the wall clock."""

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if self._start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._elapsed = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._elapsed + seconds, next(self._order), future))
        await future

    def sleepers(self) -> int:
        return sum(1 for _, _, f in self._sleepers if not f.done())

    async def settle(self, rounds: int = 20) -> None:
        """Let every task that is ready run until it waits for something (I/O or this clock)."""
        for _ in range(rounds):
            await asyncio.sleep(0)

    async def advance(self, seconds: float, settle: float = 0.0) -> None:
        """Move time on by `seconds`, waking sleepers in deadline order. `settle`: real seconds to give
        each woken task for I/O (a local HTTP call, a database write) before time moves further."""
        target = self._elapsed + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._elapsed = max(self._elapsed, deadline)
            if not future.done():
                future.set_result(None)
            await self.settle()
            if settle:
                await asyncio.sleep(settle)
        self._elapsed = target
        await self.settle()


class JumpClock(ManualClock):
    """A ManualClock whose `sleep` moves time on by itself: a single sequential job (a provider sync, a
    bench) runs at full speed while every wait it would have made is counted on the clock."""

    async def sleep(self, seconds: float) -> None:
        self._elapsed += max(0.0, seconds)
        await asyncio.sleep(0)

"""A client-side rate limiter for several limits at once (Jolpica: 4 requests/s burst and 500/hour).

A sliding window per limit: a request goes out only when fewer than `requests` went out in the last
`per_seconds`. Stricter than a token bucket (which lets 4 + 4 through in the first second), so the
client stays inside the limit however the server counts it. On the injected clock, so tests and benches
say "at T" instead of waiting. Not `aiolimiter`: it reads the event loop's own time, which a ManualClock
cannot move.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from bot.core.clock import SYSTEM, Clock


@dataclass(frozen=True, slots=True)
class Rate:
    requests: int
    per_seconds: float


JOLPICA_RATES = (Rate(4, 1.0), Rate(500, 3600.0))


class RateLimiter:
    """`await acquire()` returns when every limit allows one more request, and counts it."""

    def __init__(self, rates: tuple[Rate, ...] = JOLPICA_RATES, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self.rates = rates
        self._sent: list[deque[float]] = [deque() for _ in rates]
        self._not_before = 0.0  # a server's Retry-After holds everyone back until then
        self._lock = asyncio.Lock()  # first come, first served
        self.waited = 0.0  # seconds spent waiting, all callers together

    def _wait(self, now: float) -> float:
        wait = self._not_before - now
        for rate, sent in zip(self.rates, self._sent, strict=True):
            while sent and now - sent[0] >= rate.per_seconds:
                sent.popleft()
            if len(sent) >= rate.requests:
                wait = max(wait, sent[0] + rate.per_seconds - now)
        return wait

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = self.clock.monotonic()
                wait = self._wait(now)
                if wait <= 0:
                    for sent in self._sent:
                        sent.append(now)
                    return
                self.waited += wait
                await self.clock.sleep(wait)

    def hold(self, seconds: float) -> None:
        """The server said to wait (429 Retry-After): no request of anyone goes out before then."""
        self._not_before = max(self._not_before, self.clock.monotonic() + seconds)

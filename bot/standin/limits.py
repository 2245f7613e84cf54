"""Telegram's documented broadcast limits as sliding windows.

https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this : about 30 messages
per second overall, one per second to one private chat, 20 per minute to one group. Telegram's real
limiter is undocumented beyond that; these are the numbers a well-behaved bot has to respect.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class FloodLimits:
    """How many sends fit into which window (seconds). Tests shrink windows to stay fast."""

    global_count: int = 30
    global_window: float = 1.0
    private_count: int = 1
    private_window: float = 1.0
    group_count: int = 20
    group_window: float = 60.0
    # allow_paid_broadcast: up to 1000 messages per second overall (Bot API 7.11), for a fee.
    paid_count: int = 1000

    def __post_init__(self) -> None:
        if min(self.global_count, self.private_count, self.group_count) < 1:
            raise ValueError("flood limit counts must be at least 1")
        if min(self.global_window, self.private_window, self.group_window) <= 0:
            raise ValueError("flood limit windows must be positive")


class FloodControl:
    """Admits or refuses one send at a time; only admitted sends occupy a window slot."""

    def __init__(self, limits: FloodLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._global: deque[float] = deque()
        self._paid: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}

    def acquire(self, chat_id: int, paid: bool = False) -> int | None:
        """Record a send to `chat_id` and return None, or return the retry_after seconds (≥ 1)."""
        now = self._clock()
        if chat_id > 0:
            chat_count, chat_window = self.limits.private_count, self.limits.private_window
        else:
            chat_count, chat_window = self.limits.group_count, self.limits.group_window
        chat_sends = self._per_chat.setdefault(chat_id, deque())
        waits = [
            wait
            for sends, count, window in (
                (self._paid, self.limits.paid_count, self.limits.global_window)
                if paid
                else (self._global, self.limits.global_count, self.limits.global_window),
                (chat_sends, chat_count, chat_window),
            )
            if (wait := _wait(sends, count, window, now)) > 0
        ]
        if waits:
            # Telegram only ever says whole seconds, and "retry after 0" would invite a busy loop.
            return max(1, math.ceil(max(waits)))
        (self._paid if paid else self._global).append(now)
        chat_sends.append(now)
        return None

    def reset(self) -> None:
        self._global.clear()
        self._paid.clear()
        self._per_chat.clear()


def _wait(sends: deque[float], count: int, window: float, now: float) -> float:
    """Seconds until `sends` has room for one more, after forgetting sends older than the window."""
    while sends and sends[0] <= now - window:
        sends.popleft()
    if len(sends) < count:
        return 0.0
    # The slot frees when the send that is `count` places back leaves the window.
    return sends[-count] + window - now

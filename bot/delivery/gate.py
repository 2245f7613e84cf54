"""The flood gate: every send waits here until it fits Telegram's limits. Time comes from the injected
clock, so tests move a ManualClock on instead of waiting out a second (or a 120 s retry_after).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Protocol

from bot.core.clock import SYSTEM, Clock


@dataclass(slots=True)
class Limits:
    per_second: float = 30.0  # Telegram: about 30 messages per second overall
    private_interval: float = 1.0  # 1 message per second per private chat
    group_per_minute: int = 20  # 20 messages per minute per group
    # Telegram counts when a request arrives, we count when it leaves: keep a little slack.
    margin: float = 0.02


class Gate(Protocol):
    """What a sender needs of a flood gate: FloodGate (one process) and SharedFloodGate (replicas) fit."""

    async def acquire(self, chat_id: int, reply: bool = True, paid: bool = False) -> None: ...
    def too_many(self, chat_id: int, retry_after: float) -> bool: ...


class RecentRefusals:
    """The 429s of the last second, to tell one chat's limit from the bot's: three chats refused within a
    second look like the overall limit. One rule for the in-process gate and the replicas' shared one."""

    def __init__(self) -> None:
        self._recent: list[tuple[float, int, float]] = []  # (monotonic time, chat, retry_after)

    def overall_pause(self, now: float, chat_id: int, retry_after: float) -> float | None:
        """Note a 429; the pause for the whole bot (the shortest retry_after among them) when it looks like
        the overall limit, else None."""
        self._recent = [(t, c, r) for t, c, r in self._recent if now - t < 1.0]
        self._recent.append((now, chat_id, retry_after))
        if len({c for _, c, _ in self._recent}) >= 3:
            return min(r for _, _, r in self._recent)
        return None


class FloodGate:
    """Waits until a message to `chat_id` fits Telegram's limits. In-process: one bot, one gate.

    Replies go first: while a command reply waits for a slot, broadcasts do not take it.
    """

    def __init__(self, limits: Limits | None = None, paid_per_second: float = 1000.0, clock: Clock = SYSTEM) -> None:
        self.limits = limits or Limits()
        self.clock = clock
        self.paid_per_second = paid_per_second
        # Send times within the last second (minute for groups), oldest first: a deque keeps each check
        # O(1) at 1000 messages/s, where rebuilding a list per send cost a noticeable share of the CPU.
        self._global: deque[float] = deque()
        self._paid: deque[float] = deque()
        self._paid_due = 0.0
        self._private_next: dict[int, float] = {}
        self._group_sent: dict[int, deque[float]] = defaultdict(deque)
        self._paused_until: dict[int | None, float] = defaultdict(float)
        self._replies_waiting = 0
        self._refusals = RecentRefusals()

    def pause(self, chat_id: int | None, seconds: float) -> None:
        """A 429: hold that chat (or, with None, everything) for `retry_after` seconds."""
        self._paused_until[chat_id] = max(self._paused_until[chat_id], self.clock.monotonic() + seconds)

    def too_many(self, chat_id: int, retry_after: float) -> bool:
        """Note a 429 and hold that chat; True when it looks like the overall limit (three chats refused
        within a second), in which case everything pauses for the shortest retry_after among them."""
        self.pause(chat_id, retry_after)
        overall = self._refusals.overall_pause(self.clock.monotonic(), chat_id, retry_after)
        if overall is not None:
            self.pause(None, overall)
        return overall is not None

    def _wait_needed(self, chat_id: int, now: float, paid: bool) -> float:
        paused = self._paused_until
        wait = max(paused.get(None, 0.0) - now, paused.get(chat_id, 0.0) - now)
        second, minute = 1.0 + self.limits.margin, 60.0 + self.limits.margin
        rate = self.paid_per_second if paid else self.limits.per_second
        window = self._paid if paid else self._global
        while window and now - window[0] >= second:
            window.popleft()
        if len(window) >= rate:
            wait = max(wait, second - (now - window[0]))
        if window and not paid:
            # Evenly spaced rather than in bursts: arrival jitter then cannot crowd one second.
            wait = max(wait, window[-1] + second / rate - now)
        if chat_id > 0:
            wait = max(wait, self._private_next.get(chat_id, 0.0) - now)
        else:
            in_minute = self._group_sent[chat_id]
            while in_minute and now - in_minute[0] >= minute:
                in_minute.popleft()
            if len(in_minute) >= self.limits.group_per_minute:
                wait = max(wait, minute - (now - in_minute[0]))
        return wait

    async def acquire(self, chat_id: int, reply: bool = True, paid: bool = False) -> None:
        # No lock: checking and taking a slot happen without an await between them, so on the one
        # event loop nothing can take the same slot in between.
        if reply:
            self._replies_waiting += 1
        try:
            while True:
                now = self.clock.monotonic()
                wait = self._wait_needed(chat_id, now, paid)
                if not reply and self._replies_waiting:
                    wait = max(wait, 0.005)
                # A wait of a few floating-point ulps is none: on a ManualClock it would not move time on.
                if wait < EPSILON:
                    wait = 0.0
                if wait <= 0 and paid:
                    slot = self._reserve_paid(now)
                    if slot > now + EPSILON:
                        await self.clock.sleep(slot - now)
                        now = self.clock.monotonic()
                        wait = self._wait_needed(chat_id, now, paid)  # a 429 pause may have come meanwhile
                if wait <= 0:
                    self._take(chat_id, now, paid)
                    return
                await self.clock.sleep(min(wait, 5.0))
        finally:
            if reply:
                self._replies_waiting -= 1

    def _reserve_paid(self, now: float) -> float:
        """When this paid send may leave: paced, with bursts of at most PAID_BURST, because a second's
        worth let out at once reaches Telegram spread by queueing and then crowds its next second.

        The generic cell rate algorithm, with the slot reserved up front: each waiting sender sleeps
        until its own slot, instead of all of them waking for every slot and all but one sleeping again.
        """
        slot = max(self._paid_due, now)
        self._paid_due = slot + (1.0 + PAID_MARGIN) / self.paid_per_second
        return slot - PAID_BURST

    def _take(self, chat_id: int, now: float, paid: bool) -> None:
        (self._paid if paid else self._global).append(now)
        if chat_id < 0:
            self._group_sent[chat_id].append(now)
            return
        interval = self.limits.private_interval
        if len(self._private_next) >= PRIVATE_MEMORY:
            # Chats whose interval is over need no entry: forget them rather than grow with every chat.
            self._private_next = {chat: until for chat, until in self._private_next.items() if until > now}
        self._private_next[chat_id] = now + interval + (self.limits.margin if interval else 0.0)


PRIVATE_MEMORY = 50_000
EPSILON = 1e-6  # seconds
PAID_BURST = 0.01  # seconds of paid sends that may leave at once (10 at 1000/s)
# Paid sends are paced 5 % under the limit: at 1000/s, a few tens of milliseconds of arrival jitter
# (a busy network, a pause on either side) are enough to crowd one of Telegram's seconds.
PAID_MARGIN = 0.05

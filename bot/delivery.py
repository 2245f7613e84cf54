"""The one way Pitboard sends: every message is an outbox row, paced to Telegram's flood limits,
retried on 429/5xx/timeouts, and given up on for good on permanent errors (blocked, kicked, chat
not found) — the way healthchecks sends notifications.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import warnings
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.http import AiohttpRequest
from bot.textsplit import split_html
from storage.chats import Chats
from storage.outbox import REPLY_PRIORITY, Outbox, OutboxRow

log = logging.getLogger(__name__)

# retry_after is read as seconds whichever type python-telegram-bot returns, so its coming change of
# type changes nothing here.
warnings.filterwarnings("ignore", message=".*`retry_after` will be of type", category=PTBDeprecationWarning)


PERMANENT_400 = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "bot was kicked",
    "have no rights",
    "not enough rights",
    "chat_write_forbidden",
    "topic_closed",
)


@dataclass(slots=True)
class Limits:
    per_second: float = 30.0  # Telegram: about 30 messages per second overall
    private_interval: float = 1.0  # 1 message per second per private chat
    group_per_minute: int = 20  # 20 messages per minute per group
    # Telegram counts when a request arrives, we count when it leaves: keep a little slack.
    margin: float = 0.02


class FloodGate:
    """Waits until a message to `chat_id` fits Telegram's limits. In-process: one bot, one gate.

    Replies go first: while a command reply waits for a slot, broadcasts do not take it.
    """

    def __init__(self, limits: Limits | None = None, paid_per_second: float = 1000.0) -> None:
        self.limits = limits or Limits()
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
        self._recent_429: list[tuple[float, int, float]] = []

    def pause(self, chat_id: int | None, seconds: float) -> None:
        """A 429: hold that chat (or, with None, everything) for `retry_after` seconds."""
        self._paused_until[chat_id] = max(self._paused_until[chat_id], time.monotonic() + seconds)

    def too_many(self, chat_id: int, retry_after: float) -> bool:
        """Note a 429 and hold that chat; True when it looks like the overall limit (three chats refused
        within a second), in which case everything pauses for the shortest retry_after among them."""
        now = time.monotonic()
        self.pause(chat_id, retry_after)
        self._recent_429 = [(t, c, r) for t, c, r in self._recent_429 if now - t < 1.0]
        self._recent_429.append((now, chat_id, retry_after))
        if len({c for _, c, _ in self._recent_429}) >= 3:
            self.pause(None, min(r for _, _, r in self._recent_429))
            return True
        return False

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
                now = time.monotonic()
                wait = self._wait_needed(chat_id, now, paid)
                if not reply and self._replies_waiting:
                    wait = max(wait, 0.005)
                if wait <= 0 and paid:
                    slot = self._reserve_paid(now)
                    if slot > now:
                        await asyncio.sleep(slot - now)
                        now = time.monotonic()
                        wait = self._wait_needed(chat_id, now, paid)  # a 429 pause may have come meanwhile
                if wait <= 0:
                    self._take(chat_id, now, paid)
                    return
                await asyncio.sleep(min(wait, 5.0))
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
PAID_BURST = 0.01  # seconds of paid sends that may leave at once (10 at 1000/s)
# Paid sends are paced 5 % under the limit: at 1000/s, a few tens of milliseconds of arrival jitter
# (a busy network, a pause on either side) are enough to crowd one of Telegram's seconds.
PAID_MARGIN = 0.05
# Broadcast rows are marked sent in groups: a write per MARK_BATCH // 2 messages instead of one each.
# No new broadcast send starts while MARK_BATCH sent rows await their mark, so a crash re-sends at most
# `workers` (in flight) + MARK_BATCH (sent, unmarked) rows.
MARK_BATCH = 32
DRAIN_BATCH = 256  # rows read from the outbox at a time; more than `workers`, see drain


class Undeliverable(Exception):
    """The message cannot be delivered (blocked, kicked, chat gone, or a permanent 400)."""


class RetryLater(Exception):
    """Telegram said 429 to an outbox row: it stays 'failed' until its next_attempt_at."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")


class Delivery:
    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        chats: Chats,
        gate: FloodGate | None = None,
        max_attempts: int = 6,
        max_backoff: float = 60.0,
        workers: int = 16,
        paid_broadcast: bool = False,
    ) -> None:
        self.bot = bot
        self.outbox = outbox
        self.chats = chats
        self.gate = gate or FloodGate()
        self.max_attempts = max_attempts
        self.max_backoff = max_backoff
        self.workers = workers
        self.paid_broadcast = paid_broadcast
        self._drain_lock = asyncio.Lock()
        self._wake_task: asyncio.Task[None] | None = None
        self._wake_at = 0.0  # loop time the sleeping wake-up fires
        self._sent_marks: list[tuple[int, int]] = []  # sent, mark not yet written (see MARK_BATCH)
        self._marks_writing = 0
        self._marks_lock = asyncio.Lock()
        self._started = datetime.now(UTC)
        if not isinstance(bot.request, AiohttpRequest):
            raise TypeError("Delivery sends alerts through bot.http.AiohttpRequest; build the bot with it")
        self._transport = bot.request
        self._send_message_url = f"{bot.base_url}/sendMessage"

    async def send(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        thread_id: int | None = None,
        priority: int = REPLY_PRIORITY,
    ) -> Message | None:
        """Send (in parts if longer than Telegram allows); returns the last message, None if undeliverable."""
        parts = split_html(text)
        last: Message | None = None
        for index, part in enumerate(parts):
            part_markup = markup if index == len(parts) - 1 else None
            serialized = json.dumps(part_markup.to_dict()) if part_markup else None
            row_id = await self.outbox.enqueue_sending(chat_id, part, serialized, priority)
            try:
                last = await self._deliver(row_id, chat_id, part, part_markup, thread_id, marked=True)
            except Undeliverable:
                return None
        return last

    async def drain(self, resume: bool = False) -> int:
        """Send every due outbox row (alerts, broadcasts); with `resume` (at start) also the rows a
        crash caught 'sending'.

        At-least-once: a row sent just before a crash but not yet marked goes out again, so duplicates
        are bounded by the rows in flight: `workers` being sent plus up to MARK_BATCH awaiting their mark.
        """
        async with self._drain_lock:
            if resume and (interrupted := await self.outbox.release_interrupted(self._started)):
                log.info("resuming %d message(s) a crash left unconfirmed", interrupted)
            # Room for a whole batch: with a queue of one row per worker the rate was the same, but command
            # replies during a paid broadcast were slower (p95 about 80 ms instead of about 45 ms).
            queue: asyncio.Queue[tuple[OutboxRow, int | None] | None] = asyncio.Queue(DRAIN_BATCH)
            in_flight: set[int] = set()
            outcomes: list[bool] = []

            async def take() -> None:
                # The next rows are read while the last ones are still going out: no pause between batches.
                while True:
                    due = await self.outbox.due(DRAIN_BATCH)
                    # A row waiting out a retry backoff inside a worker is due again but still in flight.
                    rows = [row for row in due if row.id not in in_flight]
                    if not rows:
                        break
                    # Taken rows are marked 'sending' together, one write per batch rather than one per
                    # message. The crash bound stays: 'pending' and 'sending' rows both resume on start.
                    await self.outbox.mark_sending_many([row.id for row in rows])
                    chats = await self.chats.get_many(sorted({row.chat_id for row in rows}))
                    threads = {c.id: c.settings.get("thread_id") for c in chats.values()}
                    for row in rows:
                        in_flight.add(row.id)
                        await queue.put((row, threads.get(row.chat_id)))
                for _ in range(self.workers):
                    await queue.put(None)

            async def work() -> None:
                while (item := await queue.get()) is not None:
                    try:
                        outcomes.append(await self._drain_row(*item))
                    except Exception as exc:
                        # Not a Telegram answer but a fault of ours (a malformed row, a bug): it would fail the
                        # same way again, so the row is given up on and the rest of the outbox still goes out.
                        log.exception("could not send outbox row %s", item[0].id)
                        await self.outbox.mark_dead(item[0].id, f"internal error: {exc!r}")
                        outcomes.append(False)
                    in_flight.discard(item[0].id)

            async with asyncio.TaskGroup() as group:
                group.create_task(take())
                for _ in range(self.workers):
                    group.create_task(work())
            await self._flush_marks()
            await self.wake_when_due()
            return sum(1 for outcome in outcomes if outcome is True)

    async def _drain_row(self, row: OutboxRow, thread: int | None) -> bool:
        markup = json.loads(row.reply_markup) if row.reply_markup else None
        # A summary for a chat with many drivers can outgrow one message: its parts go out in order,
        # the buttons with the last.
        parts = split_html(row.text)
        try:
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                await self._deliver(
                    row.id, row.chat_id, part, markup if last else None, thread, broadcast=True, marked=index == 0
                )
        except (RetryLater, Undeliverable):
            return False  # a 429'd row is back when its retry_after is over (see wake_when_due)
        return True

    async def wake_when_due(self) -> None:
        """Drain again when the earliest waiting row falls due: a 429's retry_after, a backoff, a spoiler
        delay. Without this, a row not yet due at the end of a drain waited for whatever came next."""
        when = await self.outbox.next_attempt_at()
        if when is not None:
            self._wake_in(max(0.0, (when - datetime.now(UTC)).total_seconds()))

    def _wake_in(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        at = loop.time() + seconds
        if self._wake_task is not None and not self._wake_task.done():
            if self._wake_at <= at:
                return
            self._wake_task.cancel()  # only ever cancelled while it sleeps (see wake)

        async def wake() -> None:
            await asyncio.sleep(seconds + 0.05)
            # From here on this task drains and is no longer the one to cancel; the drain sets the next.
            self._wake_task = None
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed; the next poll retries")

        self._wake_at = at
        self._wake_task = loop.create_task(wake())

    async def close(self) -> None:
        """At shutdown: no wake-up is left sleeping (a drain in progress finishes with the Application)."""
        if self._wake_task is not None and not self._wake_task.done():
            self._wake_task.cancel()
        self._wake_task = None

    async def edit(self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        async def call(target: int) -> Any:
            return await self.bot.edit_message_text(
                text, chat_id=target, message_id=message_id, parse_mode=ParseMode.HTML, reply_markup=markup
            )

        try:
            await self._with_retries(chat_id, call, row_id=None)
        except BadRequest as exc:
            if "not modified" not in exc.message.lower():
                raise

    async def _deliver(
        self,
        row_id: int,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | dict[str, Any] | None,
        thread_id: int | None,
        broadcast: bool = False,
        marked: bool = False,
    ) -> Message | None:
        paid = broadcast and self.paid_broadcast

        async def call(target: int) -> Any:
            if broadcast:
                # Alerts need only the message id back: the raw result spares building a Message object
                # and python-telegram-bot's parameter handling (AiohttpRequest.post_json).
                body: dict[str, Any] = {
                    "chat_id": target,
                    "text": text,
                    "parse_mode": "HTML",
                    "link_preview_options": {"is_disabled": True},
                }
                if markup is not None:
                    body["reply_markup"] = markup
                if thread_id is not None:
                    body["message_thread_id"] = thread_id
                if paid:
                    body["allow_paid_broadcast"] = True
                return await self._transport.post_json(self._send_message_url, body)
            return await self.bot.send_message(
                target,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                message_thread_id=thread_id,
                disable_web_page_preview=True,
            )

        if broadcast:
            await self._room_for_marks()
        result = await self._with_retries(chat_id, call, row_id, broadcast=broadcast, paid=paid, marked=marked)
        if broadcast:
            self._sent_marks.append((row_id, int(result["message_id"])))
            if len(self._sent_marks) >= MARK_BATCH // 2:
                await self._flush_marks()
            return None
        message: Message = result
        await self.outbox.mark_sent(row_id, message.message_id)
        return message

    async def _flush_marks(self) -> None:
        async with self._marks_lock:
            marks, self._sent_marks = self._sent_marks, []
            if marks:
                self._marks_writing = len(marks)
                try:
                    await self.outbox.mark_sent_many(marks)
                finally:
                    self._marks_writing = 0

    async def _room_for_marks(self) -> None:
        """Hold a new broadcast send while MARK_BATCH sent rows await their mark (the crash bound)."""
        while len(self._sent_marks) + self._marks_writing >= MARK_BATCH:
            await self._flush_marks()

    async def _with_retries(
        self,
        chat_id: int,
        call: Any,
        row_id: int | None,
        broadcast: bool = False,
        paid: bool = False,
        marked: bool = False,
    ) -> Any:
        """`marked`: the row is already 'sending' with this first attempt counted (see drain)."""
        target = chat_id
        attempt = 0
        while True:
            attempt += 1
            if row_id is not None and not (marked and attempt == 1):
                # Marked before the flood slot is taken: once the slot is ours the request leaves at once,
                # so sends reach Telegram as evenly spaced as the gate let them out.
                await self.outbox.mark_sending(row_id)
            await self.gate.acquire(target, reply=not broadcast, paid=paid)
            try:
                return await call(target)
            except RetryAfter as exc:
                after = exc.retry_after
                retry = float(after if isinstance(after, (int, float)) else after.total_seconds())
                overall = self.gate.too_many(target, retry)
                log.warning("429 for chat %s (%s): waiting %.0f s", target, "overall" if overall else "chat", retry)
                await self._failed(row_id, f"429 retry after {retry:g}", retry)
                if broadcast:
                    raise RetryLater(retry) from exc
            except ChatMigrated as exc:
                new_id = int(exc.new_chat_id)
                await self.chats.migrate(target, new_id)
                if row_id is not None:
                    await self.outbox.move_chat(row_id, new_id)
                target = new_id
            except Forbidden as exc:
                await self._give_up_on_chat(target, row_id, f"403 {exc.message}")
                raise Undeliverable(exc.message) from exc
            except BadRequest as exc:
                lowered = exc.message.lower()
                if any(reason in lowered for reason in PERMANENT_400):
                    await self._give_up_on_chat(target, row_id, f"400 {exc.message}")
                elif row_id is not None:
                    await self.outbox.mark_dead(row_id, f"400 {exc.message}")
                log.error("Telegram refused a message to %s: %s", target, exc.message)
                raise Undeliverable(exc.message) if row_id is not None else exc from exc
            except (TimedOut, NetworkError) as exc:
                if attempt >= self.max_attempts:
                    if row_id is not None:
                        await self.outbox.mark_dead(row_id, f"gave up: {exc}")
                    raise Undeliverable(str(exc)) from exc
                backoff = min(self.max_backoff, 0.5 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
                await self._failed(row_id, str(exc), backoff)
                await asyncio.sleep(backoff)

    async def _failed(self, row_id: int | None, error: str, wait: float) -> None:
        if row_id is not None:
            when = (datetime.now(UTC) + timedelta(seconds=wait)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            await self.outbox.mark_failed(row_id, error, when)

    async def _give_up_on_chat(self, chat_id: int, row_id: int | None, error: str) -> None:
        await self.chats.set_active(chat_id, False)
        if row_id is not None:
            await self.outbox.mark_dead(row_id, error)
        await self.outbox.kill_chat(chat_id, error)

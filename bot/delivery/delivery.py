"""The one way Pitboard sends: every message is an outbox row, paced by the flood gate, retried on 429s,
held while the Bot API is unreachable (outage.py), and given up on only for a permanent error
(errors.py, an exact table) or once it is no longer relevant (relevance.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, InputFile, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from bot.core.chat_settings import thread_of
from bot.core.clock import SYSTEM, Clock
from bot.core.news import SUMMARY_MAX_AGE
from bot.core.tasks import cancel_and_wait
from bot.delivery.errors import Action, action_for
from bot.delivery.gate import FloodGate, Gate
from bot.delivery.notices import tell_admins_no_rights
from bot.delivery.outage import Outage, ShuttingDown, is_transport_failure
from bot.delivery.relevance import stale_reason
from bot.delivery.replica_worker import LEASE, ClaimLost, Refused, ReplicaSender, TryLater
from bot.delivery.textsplit import split_html
from bot.delivery.transport import AiohttpRequest
from storage.chats import Chats
from storage.database import DB_ERRORS
from storage.outbox import REPLY_PRIORITY, Outbox, OutboxRow
from storage.outbox_claims import ClaimedRow, OutboxClaims, OutboxListener

log = logging.getLogger(__name__)

# retry_after is read as seconds whichever type python-telegram-bot returns, so its coming change of
# type changes nothing here.
warnings.filterwarnings("ignore", message=".*`retry_after` will be of type", category=PTBDeprecationWarning)

# Broadcast rows are marked sent in groups: a write per MARK_BATCH // 2 messages instead of one each.
# No new broadcast send starts while MARK_BATCH sent rows await their mark, so a crash re-sends at most
# `workers` (in flight) + MARK_BATCH (sent, unmarked) rows.
MARK_BATCH = 32
DRAIN_BATCH = 256  # rows read from the outbox at a time; more than `workers`, see drain
MARK_RETRY_MAX = 5.0  # seconds between attempts to write a `sent` mark the database refused


class Undeliverable(Exception):
    """The message cannot be delivered (a permanent refusal, or no longer relevant)."""


class RetryLater(Exception):
    """Telegram said 429 to an outbox row: it stays 'failed' until its next_attempt_at."""

    def __init__(self, retry_after: float = 0.0) -> None:
        super().__init__(f"429 retry after {retry_after:g}")
        self.retry_after = retry_after


Stale = Callable[[], str | None]


class Delivery:
    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        chats: Chats,
        gate: Gate | None = None,
        max_backoff: float = 60.0,
        workers: int = 16,
        paid_broadcast: bool = False,
        clock: Clock = SYSTEM,
        max_age: timedelta = SUMMARY_MAX_AGE,
    ) -> None:
        self.bot = bot
        self.outbox = outbox
        self.chats = chats
        self.clock = clock
        self.gate: Gate = gate or FloodGate(clock=clock)
        self.workers = workers
        self.paid_broadcast = paid_broadcast
        self.max_age = max_age
        self.expired = 0  # rows marked dead because they were no longer relevant (logged per drain)
        self._drain_lock = asyncio.Lock()
        self._wake_task: asyncio.Task[None] | None = None
        self._wake_at = 0.0  # clock time the sleeping wake-up fires
        self._sent_marks: list[tuple[int, int]] = []  # sent, mark not yet written (see MARK_BATCH)
        self._marks_writing = 0
        self._marks_lock = asyncio.Lock()
        self._started = clock.now()
        # Replicas (PostgreSQL): the sender that claims rows from the shared outbox (see replicate).
        self.replica: ReplicaSender | None = None
        self._replica_task: asyncio.Task[None] | None = None
        if not isinstance(bot.request, AiohttpRequest):
            raise TypeError("Delivery sends alerts through transport.AiohttpRequest; build the bot with it")
        self._transport = bot.request
        self._send_message_url = f"{bot.base_url}/sendMessage"
        get_me_url = f"{bot.base_url}/getMe"
        self.outage = Outage(lambda: self._transport.post_json(get_me_url, {}), clock, max_backoff=max_backoff)

    async def send(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        thread_id: int | None = None,
        priority: int = REPLY_PRIORITY,
        reply_to: int | None = None,
    ) -> Message | None:
        """Send (in parts if longer than Telegram allows); returns the last message, None if undeliverable.
        `reply_to`: the message (in this chat) the first part answers; sent anyway if it was deleted.

        During an outage the reply waits for the API and goes out when it is back, unless by then the
        question is older than relevance.REPLY_MAX_AGE."""
        parts = split_html(text)
        last: Message | None = None
        created = self.clock.now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")

        def stale() -> str | None:
            return stale_reason(None, created, None, self.clock.now())

        for index, part in enumerate(parts):
            part_markup = markup if index == len(parts) - 1 else None
            serialized = json.dumps(part_markup.to_dict()) if part_markup else None
            row_id = await self.outbox.enqueue_sending(chat_id, part, serialized, priority)
            reply_to = reply_to if index == 0 else None
            try:
                last = await self._deliver(
                    row_id, chat_id, part, part_markup, thread_id, stale, marked=True, reply_to=reply_to
                )
            except Undeliverable:
                return None
        return last

    async def drain(self, resume: bool = False) -> int:
        """Send every due outbox row (alerts, broadcasts); with `resume` (at start) also the rows a
        crash caught 'sending'.

        At-least-once: a row sent just before a crash but not yet marked goes out again, so duplicates
        are bounded by the rows in flight: `workers` being sent plus up to MARK_BATCH awaiting their mark.
        """
        if self.replica is not None:
            # Replicas: this one claims and sends what is due now, as drain does alone, so that a caller (the
            # leader's alert poll, a broadcast) finds it sent on return. Its own sender task and the other
            # replicas (woken by the queuing's NOTIFY) claim beside it: SKIP LOCKED keeps their rows apart.
            async with self._drain_lock:
                before = self.replica.counters.sent
                while await self.replica.drain_once():
                    pass
                return self.replica.counters.sent - before
        async with self._drain_lock:
            if resume and (interrupted := await self.outbox.release_interrupted(self._started)):
                log.info("resuming %d message(s) a crash left unconfirmed", interrupted)
            # Room for a whole batch: with a queue of one row per worker the rate was the same, but command
            # replies during a paid broadcast were slower (p95 about 80 ms instead of about 45 ms).
            queue: asyncio.Queue[tuple[OutboxRow, int | None] | None] = asyncio.Queue(DRAIN_BATCH)
            in_flight: set[int] = set()
            outcomes: list[bool] = []
            expired_before = self.expired

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
                    threads = {c.id: thread_of(c.settings) for c in chats.values()}
                    for row in rows:
                        in_flight.add(row.id)
                        await queue.put((row, threads.get(row.chat_id)))
                for _ in range(self.workers):
                    await queue.put(None)

            async def work() -> None:
                while (item := await queue.get()) is not None:
                    try:
                        outcomes.append(await self._drain_row(*item))
                    except ShuttingDown:
                        return  # the row stays 'sending' and is resumed at the next start
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
            if self.expired > expired_before:
                log.warning("%d outbox row(s) no longer relevant, marked dead", self.expired - expired_before)
            await self.wake_when_due()
            return sum(1 for outcome in outcomes if outcome is True)

    async def _drain_row(self, row: OutboxRow, thread: int | None) -> bool:
        def stale() -> str | None:
            return stale_reason(row.kind, row.created_at, row.session_start, self.clock.now(), self.max_age)

        if await self._expire(row.id, stale) is not None:
            return False
        markup = json.loads(row.reply_markup) if row.reply_markup else None
        # A summary for a chat with many drivers can outgrow one message: its parts go out in order,
        # the buttons with the last.
        parts = split_html(row.text)
        try:
            for index, part in enumerate(parts):
                last = index == len(parts) - 1
                await self._deliver(
                    row.id,
                    row.chat_id,
                    part,
                    markup if last else None,
                    thread,
                    stale,
                    broadcast=True,
                    marked=index == 0,
                )
        except (RetryLater, Undeliverable):
            return False  # a 429'd row is back when its retry_after is over (see wake_when_due)
        return True

    async def _expire(self, row_id: int | None, stale: Stale) -> str | None:
        """Why the message is no longer relevant (its row, if marked here, is then dead), or None."""
        reason = stale()
        if reason is None:
            return None
        self.expired += 1
        if row_id is not None:
            await self.outbox.mark_dead(row_id, reason)
        return reason

    async def wake_when_due(self) -> None:
        """Drain again when the earliest waiting row falls due: a 429's retry_after, a spoiler delay.
        Without this, a row not yet due at the end of a drain waited for whatever came next."""
        if self.replica is not None:
            return  # the replica's sender sleeps until the next due row by itself
        when = await self.outbox.next_attempt_at()
        if when is not None:
            self._wake_in(max(0.0, (when - self.clock.now()).total_seconds()))

    def _wake_in(self, seconds: float) -> None:
        if self.replica is not None:
            self.replica.listener.event.set()
            return
        at = self.clock.monotonic() + seconds
        if self._wake_task is not None and not self._wake_task.done():
            if self._wake_at <= at:
                return
            self._wake_task.cancel()  # only ever cancelled while it sleeps (see wake)

        async def wake() -> None:
            await self.clock.sleep(seconds + 0.05)
            # From here on this task drains and is no longer the one to cancel; the drain sets the next.
            self._wake_task = None
            try:
                await self.drain()
            except Exception:
                log.exception("outbox drain failed; the next poll retries")

        self._wake_at = at
        self._wake_task = asyncio.get_running_loop().create_task(wake())

    def replicate(self, claims: OutboxClaims, listener: OutboxListener, lease: float = LEASE) -> ReplicaSender:
        """Send as one replica among several (PostgreSQL): a sender claims due rows from the shared outbox
        and sends them here (send_claimed), woken by NOTIFY; replies this process sends at once are claimed
        by it. Replaces drain's due()/release_interrupted: a dead replica's claims expire and are retaken."""
        self.outbox.claimer = (claims.replica_id, lease)
        self.replica = ReplicaSender(
            claims, listener, None, self.send_claimed, clock=self.clock, workers=min(self.workers, 8), lease=lease
        )
        self._replica_task = asyncio.get_running_loop().create_task(self.replica.run(), name="outbox-sender")
        return self.replica

    async def send_claimed(self, row: ClaimedRow) -> int:
        """Send one claimed row (ReplicaSender's send): its message id; TryLater on a 429, Refused when it is
        refused for good or no longer relevant, ClaimLost when the claim ran out before it could go out.
        The sender marks the row through its claim; the chat's own consequences (deactivated, migrated,
        admins told) are handled here as for any send."""

        def stale() -> str | None:
            return stale_reason(row.kind, row.created_at, row.session_start, self.clock.now(), self.max_age)

        replica = self.replica
        chat = await self.chats.get(row.chat_id)
        thread = thread_of(chat.settings) if chat is not None else None
        markup = json.loads(row.reply_markup) if row.reply_markup else None
        parts = split_html(row.text)
        paid = self.paid_broadcast and row.kind is not None
        message_id = 0
        for index, part in enumerate(parts):
            if (reason := stale()) is not None:
                self.expired += 1
                raise Refused(reason)
            call = self._call(row.chat_id, part, markup if index == len(parts) - 1 else None, True, paid, None)
            try:
                result = await self._with_retries(
                    row.chat_id,
                    thread,
                    call,
                    None,
                    stale,
                    broadcast=True,
                    paid=paid,
                    ready=(lambda: replica.holds(row.id)) if replica is not None else None,
                    claimed=row.id,
                )
            except RetryLater as exc:
                raise TryLater(exc.retry_after) from exc
            except Undeliverable as exc:  # no longer relevant once an outage was over
                raise Refused(str(exc)) from exc
            except (Forbidden, BadRequest) as exc:
                raise Refused(exc.message) from exc
            message_id = int(result["message_id"])
        return message_id

    async def close(self) -> None:
        """At shutdown: no wake-up is left sleeping, no send waits for an API that is down."""
        if self._replica_task is not None:
            await cancel_and_wait(self._replica_task)  # the sender hands back the rows it claimed, unsent
            self._replica_task = None
            if self.replica is not None:
                await self.replica.listener.close()
        if self._wake_task is not None and not self._wake_task.done():
            self._wake_task.cancel()
        self._wake_task = None
        if self._sent_marks:
            # Rows a cancelled drain had sent but not yet marked: marked now, not sent again at the next start.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._flush_marks(), 5.0)
        self.outage.close()

    async def send_document(
        self,
        chat_id: int,
        filename: str,
        content: bytes,
        caption: str | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> Message | None:
        """A file as a reply (e.g. the chat's .ics calendar): the flood gate, 429 waits, outage holds and the
        permanent-error table apply as for text. No outbox row: a reply file lost to a crash is asked for
        again, and a row could not hold the bytes. None if Telegram refuses it for good."""

        async def call(target: int, thread: int | None) -> Any:
            return await self.bot.send_document(
                target,
                InputFile(content, filename=filename),
                caption=caption,
                parse_mode=ParseMode.HTML if caption else None,
                message_thread_id=thread,
                reply_parameters=(
                    ReplyParameters(reply_to, allow_sending_without_reply=True)
                    if reply_to is not None and target == chat_id
                    else None
                ),
            )

        try:
            message: Message = await self._with_retries(chat_id, thread_id, call, row_id=None, stale=None)
        except (Forbidden, BadRequest):
            return None  # logged and acted on (chat deactivated, admins told) by _refused
        return message

    async def send_photo(
        self,
        chat_id: int,
        photo: bytes | str,
        caption: str | None = None,
        thread_id: int | None = None,
        filename: str = "chart.png",
    ) -> Message | None:
        """A picture as a reply (e.g. /standings' chart): `photo` is the image's bytes, or the file_id Telegram
        gave an earlier send of it (sent again without uploading). Paced, retried and refused exactly as
        send_document; no outbox row for the same reasons. None if Telegram refuses it for good."""

        async def call(target: int, thread: int | None) -> Any:
            return await self.bot.send_photo(
                target,
                InputFile(photo, filename=filename) if isinstance(photo, bytes) else photo,
                caption=caption,
                parse_mode=ParseMode.HTML if caption else None,
                message_thread_id=thread,
            )

        try:
            message: Message = await self._with_retries(chat_id, thread_id, call, row_id=None, stale=None)
        except (Forbidden, BadRequest):
            return None  # logged and acted on (chat deactivated, admins told) by _refused
        return message

    async def edit(self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        async def call(target: int, thread: int | None) -> Any:
            return await self.bot.edit_message_text(
                text, chat_id=target, message_id=message_id, parse_mode=ParseMode.HTML, reply_markup=markup
            )

        try:
            await self._with_retries(chat_id, None, call, row_id=None, stale=None)
        except BadRequest as exc:
            # A button pressed twice, or a stale one that shows what is already there.
            if action_for(400, exc.message) is not Action.UNCHANGED:
                raise

    async def _deliver(
        self,
        row_id: int,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | dict[str, Any] | None,
        thread_id: int | None,
        stale: Stale,
        broadcast: bool = False,
        marked: bool = False,
        reply_to: int | None = None,
    ) -> Message | None:
        paid = broadcast and self.paid_broadcast
        # A reply to a deleted command still goes out; in a chat that moved (a group upgraded to a supergroup)
        # the old message id means nothing, so there it is no reply.
        replying = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
        call = self._call(chat_id, text, markup, broadcast, paid, replying)
        if broadcast:
            await self._room_for_marks()
        result = await self._with_retries(
            chat_id, thread_id, call, row_id, stale, broadcast=broadcast, paid=paid, marked=marked
        )
        if broadcast:
            self._sent_marks.append((row_id, int(result["message_id"])))
            if len(self._sent_marks) >= MARK_BATCH // 2:
                await self._flush_marks()
            return None
        message: Message = result
        # The message is out: this write is bookkeeping. It is retried, never reported to the user as an
        # error, and never a reason to send again (the row would be resent after a restart).
        await self._bookkeeping(lambda: self.outbox.mark_sent(row_id, message.message_id), f"row {row_id}")
        return message

    def _call(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | dict[str, Any] | None,
        broadcast: bool,
        paid: bool,
        replying: ReplyParameters | None,
    ) -> Callable[[int, int | None], Awaitable[Any]]:
        async def call(target: int, thread: int | None) -> Any:
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
                if thread is not None:
                    body["message_thread_id"] = thread
                if paid:
                    body["allow_paid_broadcast"] = True
                return await self._transport.post_json(self._send_message_url, body)
            return await self.bot.send_message(
                target,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                message_thread_id=thread,
                disable_web_page_preview=True,
                reply_parameters=replying if target == chat_id else None,
            )

        return call

    async def _bookkeeping(self, write: Callable[[], Awaitable[None]], what: str) -> None:
        wait = 0.05
        while True:
            try:
                await write()
                return
            except DB_ERRORS as exc:
                log.warning("could not record %s as sent (%s); retrying in %.2f s", what, exc, wait)
            await self.clock.sleep(wait)
            wait = min(MARK_RETRY_MAX, wait * 2)

    async def _flush_marks(self) -> None:
        async with self._marks_lock:
            marks, self._sent_marks = self._sent_marks, []
            if marks:
                self._marks_writing = len(marks)
                try:
                    await self._bookkeeping(lambda: self.outbox.mark_sent_many(marks), f"{len(marks)} rows")
                finally:
                    self._marks_writing = 0

    async def _room_for_marks(self) -> None:
        """Hold a new broadcast send while MARK_BATCH sent rows await their mark (the crash bound)."""
        while len(self._sent_marks) + self._marks_writing >= MARK_BATCH:
            await self._flush_marks()

    async def _with_retries(
        self,
        chat_id: int,
        thread_id: int | None,
        call: Callable[[int, int | None], Awaitable[Any]],
        row_id: int | None,
        stale: Stale | None,
        broadcast: bool = False,
        paid: bool = False,
        marked: bool = False,
        ready: Callable[[], bool] | None = None,
        claimed: int | None = None,
    ) -> Any:
        """`marked`: the row is already 'sending' with this first attempt counted (see drain). `ready`: asked
        once the flood slot is taken; False (a replica's claim ran out meanwhile) gives the send up.
        `claimed`: a replica's claimed row (row_id is None: its claim marks it), whose last error is noted."""
        target, thread = chat_id, thread_id
        attempt = 0
        while True:
            attempt += 1
            if self.outage.down:
                await self.outage.wait()
                # The outage may have outlasted the message's use (a reminder whose session began).
                if stale is not None and (reason := await self._expire(row_id, stale)) is not None:
                    raise Undeliverable(reason)
            if row_id is not None and not (marked and attempt == 1):
                # Marked before the flood slot is taken: once the slot is ours the request leaves at once,
                # so sends reach Telegram as evenly spaced as the gate let them out.
                await self.outbox.mark_sending(row_id)
            await self.gate.acquire(target, reply=not broadcast, paid=paid)
            if ready is not None and not ready():
                raise ClaimLost(chat_id)
            try:
                result = await call(target, thread)
                self.outage.succeeded()
                return result
            except RetryAfter as exc:
                after = exc.retry_after
                retry = float(after if isinstance(after, (int, float)) else after.total_seconds())
                overall = self.gate.too_many(target, retry)
                log.warning("429 for chat %s (%s): waiting %.0f s", target, "overall" if overall else "chat", retry)
                if row_id is not None:
                    await self.outbox.mark_failed(
                        row_id, f"429 retry after {retry:g}", self.clock.now() + timedelta(seconds=retry)
                    )
                if broadcast:
                    raise RetryLater(retry) from exc
            except ChatMigrated as exc:
                new_id = int(exc.new_chat_id)
                await self.chats.migrate(target, new_id)
                if row_id is not None:
                    await self.outbox.move_chat(row_id, new_id)
                target = new_id
            except (Forbidden, BadRequest) as exc:
                code = 403 if isinstance(exc, Forbidden) else 400
                action = action_for(code, exc.message)
                if action is Action.UNCHANGED:
                    raise  # an edit to what the message already says: nothing was refused (edit() ends here)
                if action is Action.CLEAR_TOPIC and thread is not None:
                    # The topic is closed or gone: the chat's main thread still reads us.
                    log.warning("topic %s of chat %s refused (%s): sending to the main chat", thread, target, exc)
                    if broadcast:  # the thread came from the chat's settings: forget it
                        await self.chats.clear_setting(target, "thread_id")
                    thread = None
                    continue
                await self._refused(target, row_id, f"{code} {exc.message}", action)
                if row_id is None:
                    raise
                raise Undeliverable(exc.message) from exc
            except Exception as exc:
                if not is_transport_failure(exc):
                    raise
                # No answer from Telegram: everything pauses until it answers; this row waits its turn.
                self.outage.failed(exc)
                if (noted := row_id if row_id is not None else claimed) is not None:
                    await self.outbox.note_error(noted, f"{type(exc).__name__}: {exc}")

    async def _refused(self, chat_id: int, row_id: int | None, error: str, action: Action) -> None:
        log.error("Telegram refused a message to %s (%s): %s", chat_id, action.value, error)
        if row_id is not None:
            await self.outbox.mark_dead(row_id, error)
        if action is Action.DEACTIVATE:
            await self.chats.set_active(chat_id, False)
            await self.outbox.kill_chat(chat_id, error)
        elif action is Action.TELL_ADMINS:
            await tell_admins_no_rights(self.bot, self.outbox, self.chats, chat_id)
            self._wake_in(0.0)  # the notice rows are due now

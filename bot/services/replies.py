"""Command replies under load: a burst is answered into the outbox instead of holding handlers at the flood gate.

Telegram lets a bot send about 30 messages a second. A reply sent straight away (Delivery.send) holds its
handler, and with it one of the Application's concurrent update slots, until the flood gate lets it out: at
500 commands a second every slot waits and updates pile up in memory, where a crash loses them. So at most
`direct` replies of this process wait at the gate at once; beyond that a reply is stored as a pending outbox
row (durable, sent ahead of broadcasts by its priority) and the handler returns at once. The delivery's own
workers (Delivery.drain) send those rows at the pace the gate allows.

Only replies that need nothing an outbox row cannot carry are queued: private chats (no forum topic, no
reply-to, see handlers/common.replying_to), and not when alerts go out as paid broadcasts (a queued row would be
sent as one). Once a chat has a reply queued, its next replies queue behind it until the drain has run, so
they arrive in order.
"""

from __future__ import annotations

import asyncio
import json
import logging

from telegram import InlineKeyboardMarkup, Message

from bot.core.tasks import cancel_and_wait
from bot.delivery import Delivery
from storage.outbox import Outbox

log = logging.getLogger(__name__)

DIRECT = 16  # replies that may wait at the flood gate at once; as many as the delivery has workers
RETRY_SECONDS = 1.0  # after a failed drain (the database away): the notifier's poll is the net beyond this


class Replies:
    def __init__(self, delivery: Delivery, outbox: Outbox, direct: int = DIRECT) -> None:
        self.delivery = delivery
        self.outbox = outbox
        self.direct = direct
        self.queued = 0  # replies this process left to the outbox (a figure for tests and benchmarks)
        self._waiting = 0
        self._round = 0
        self._pending: dict[int, int] = {}  # chat → drain round its last queued reply came in
        self._dirty = False
        self._drainer: asyncio.Task[None] | None = None

    def _may_queue(self, chat_id: int, thread_id: int | None, reply_to: int | None) -> bool:
        return chat_id > 0 and thread_id is None and reply_to is None and not self.delivery.paid_broadcast

    async def send(
        self,
        chat_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> Message | None:
        """Delivery.send, or the reply queued in the outbox (then None: it has not gone out yet)."""
        if self._may_queue(chat_id, thread_id, reply_to) and (self._waiting >= self.direct or chat_id in self._pending):
            await self.outbox.enqueue_reply(chat_id, text, json.dumps(markup.to_dict()) if markup else None)
            self.queued += 1
            self._pending[chat_id] = self._round
            self._kick()
            return None
        self._waiting += 1
        try:
            return await self.delivery.send(chat_id, text, markup, thread_id=thread_id, reply_to=reply_to)
        finally:
            self._waiting -= 1

    def _kick(self) -> None:
        self._dirty = True
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        # One drain at a time, again while replies came in during the last: a burst costs a few drains, not one
        # per reply (Delivery.drain reads the outbox until nothing is due).
        while self._dirty:
            self._dirty = False
            self._round += 1
            started = self._round
            try:
                await self.delivery.drain()
            except Exception:
                log.exception("queued replies: the outbox drain failed; trying again")
                self._dirty = True
                await self.delivery.clock.sleep(RETRY_SECONDS)
                continue
            # Rows queued before this drain began have gone out (or wait on a 429 in the outbox, in order).
            self._pending = {chat: round_ for chat, round_ in self._pending.items() if round_ >= started}

    async def close(self) -> None:
        """At shutdown, before the store closes: the drain stops (what it had not sent stays in the outbox, for
        the next start or another replica) rather than fail on a closed database."""
        await cancel_and_wait(self._drainer)
        self._drainer = None

"""A group where the bot may not write ("not enough rights to send text messages"): the chat stays active
(an admin may give the right back at any time) and its admins are told once, in private.

Once per group: the notice is an alert with the key `no-rights:<chat>`, and the outbox ledger holds one
row per (alert, chat). Only admins who have a private chat with the bot can be told (a bot cannot start a
conversation); when none has, a 'skipped' row for the group records that it was tried.
"""

from __future__ import annotations

import html
import logging

from telegram import Bot
from telegram.error import TelegramError

from bot.i18n import Translator
from storage.chats import Chats
from storage.outbox import REPLY_PRIORITY, Outbox

log = logging.getLogger(__name__)


async def tell_admins_no_rights(bot: Bot, outbox: Outbox, chats: Chats, chat_id: int) -> int:
    """Queue the notice for the group's reachable admins; returns how many were queued (0 when told before)."""
    alert_id = await outbox.alert("no-rights", f"no-rights:{chat_id}", None)
    if await outbox.chats_with_alert(alert_id):
        return 0
    try:
        admins = [m.user.id for m in await bot.get_chat_administrators(chat_id) if not m.user.is_bot]
    except TelegramError as exc:
        log.warning("could not list the admins of chat %s: %s", chat_id, exc)
        admins = []
    group = await chats.get(chat_id)
    title = html.escape(group.title or str(chat_id)) if group else str(chat_id)
    queued = 0
    for admin in (await chats.get_many(admins)).values():
        if admin.kind != "private" or not admin.active:
            continue
        t = Translator(admin.language)
        text = t(
            "Pitboard may not post in <b>{title}</b>: it lacks the right to send messages there, so that group"
            " gets no alerts. Give it that right, or remove it from the group.",
            title=title,
        )
        queued += await outbox.enqueue_alert(alert_id, admin.id, text, None, priority=REPLY_PRIORITY)
    if not queued:
        await outbox.enqueue_alert(alert_id, chat_id, "", None, state="skipped")
    log.warning("chat %s: no right to send messages; %d admin(s) told", chat_id, queued)
    return queued

"""What every handler needs: the services, the chat and its language, the admin rule, replying."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import ContextTypes

from bot.delivery import Delivery
from bot.i18n import Translator, pick_language
from bot.notifier import Notifier
from bot.settings import Settings
from storage.chats import Chat
from storage.store import Store

Context = ContextTypes.DEFAULT_TYPE
log = logging.getLogger(__name__)
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)


@dataclass(slots=True)
class Services:
    store: Store
    delivery: Delivery
    settings: Settings


def services(context: Context) -> Services:
    found = context.application.bot_data.get("services")
    if not isinstance(found, Services):
        raise RuntimeError("services are set up in post_init")
    return found


async def chat_for(update: Update, context: Context) -> tuple[Chat, Translator]:
    """The chat as the store knows it (created on first contact, in the first user's language)."""
    tg_chat = update.effective_chat
    assert tg_chat is not None
    user = update.effective_user
    title = tg_chat.title or tg_chat.full_name
    chat, _ = await services(context).store.chats.ensure(
        tg_chat.id, tg_chat.type, title, pick_language(user.language_code if user else None)
    )
    return chat, Translator(chat.language)


def is_bot_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return bool(user and user.id in services(context).settings.admins)


async def may_change(update: Update, context: Context) -> bool:
    """In groups only admins change follows and settings (anonymous admins too); in private chats anyone."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True  # an anonymous admin posts as the group itself
    if is_bot_admin(update, context):
        return True
    user = update.effective_user
    if user is None:
        return False
    member = await context.bot.get_chat_member(chat.id, user.id)
    return member.status in ADMIN_STATUSES


def thread_of(update: Update) -> int | None:
    message = update.effective_message
    if message is not None and message.is_topic_message:
        return message.message_thread_id
    return None


async def reply(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    chat = update.effective_chat
    assert chat is not None
    return await services(context).delivery.send(chat.id, text, markup, thread_id=thread_of(update))


async def edit_or_reply(update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """A button press updates its own message rather than adding another one."""
    query = update.callback_query
    message = query.message if query else None
    chat = update.effective_chat
    assert chat is not None
    if isinstance(message, Message):
        await services(context).delivery.edit(chat.id, message.message_id, text, markup)
    else:
        await reply(update, context, text, markup)


async def refuse_non_admin(update: Update, context: Context, t: Translator) -> bool:
    """True (and a polite answer) when a non-admin tries to change a group's follows or settings."""
    if await may_change(update, context):
        return False
    text = t("Only the group's admins can change what it follows and its settings.")
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, context, text)
    return True


def command_text(context: Context) -> str:
    return " ".join(context.args or []).strip()


async def replan_reminders(context: Context, chat_id: int) -> None:
    """After a follow, an unfollow or a settings change: the chat's reminders are planned at once instead of
    at the next alert poll. A failure here is logged, not shown: the change itself worked, and the next poll
    plans again."""
    notifier = context.application.bot_data.get("notifier")
    if isinstance(notifier, Notifier):
        try:
            await notifier.replan_chat(chat_id)
        except Exception:
            log.exception("re-planning reminders for a chat failed; the next poll plans them")

"""What every handler needs: the services, the chat and its language, the admin rule, replying."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot import render
from bot.core import callbacks
from bot.core.chat_settings import DEFAULT_TIMEZONE, first_zone
from bot.core.clock import SYSTEM, Clock
from bot.delivery import Delivery
from bot.i18n import Translator, pick_language
from bot.ingest.importers import native
from bot.ingest.shipped import series_files
from bot.jobs.notifier import Notifier
from bot.settings import Settings
from storage.chats import Chat
from storage.store import Store

Context = ContextTypes.DEFAULT_TYPE
log = logging.getLogger(__name__)
ADMIN_STATUSES = (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
# chat_data key: a new chat's guessed time zone, stated under the first reply (see reply()).
FIRST_ZONE_NOTE = "first_zone_note"


@dataclass(slots=True)
class Services:
    store: Store
    delivery: Delivery
    settings: Settings
    clock: Clock = SYSTEM  # the demo replays a past season on its own clock


def now(context: Context) -> datetime:
    """What time it is for the bot: the wall clock, or the replayed season's in the demo."""
    return services(context).clock.now()


def services(context: Context) -> Services:
    found = context.application.bot_data.get("services")
    if not isinstance(found, Services):
        raise RuntimeError("services are set up in post_init")
    return found


def has_lone_surrogate(text: str) -> bool:
    """True for text Python holds but cannot encode as UTF-8 (a lone UTF-16 surrogate from a JSON escape)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def clean_text(text: str | None) -> str | None:
    """A name or title as it can be stored and sent: lone surrogates become U+FFFD (paired ones stay)."""
    if text is None or not has_lone_surrogate(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


async def translator_for(update: Update, context: Context) -> Translator:
    """The chat's language if the store knows the chat, else the user's; creates nothing."""
    chat = update.effective_chat
    known = await services(context).store.chats.get(chat.id) if chat is not None else None
    if known is not None:
        return Translator(known.language)
    user = update.effective_user
    return Translator(pick_language(user.language_code if user else None))


async def chat_for(update: Update, context: Context) -> tuple[Chat, Translator]:
    """The chat as the store knows it (created on first contact, in the first user's language)."""
    tg_chat = update.effective_chat
    # handlers/guard.py stops every update without a chat (inline-message buttons) before this.
    assert tg_chat is not None
    user = update.effective_user
    title = clean_text(tg_chat.title or tg_chat.full_name)
    code = user.language_code if user else None
    chat, created = await services(context).store.chats.ensure(
        tg_chat.id, tg_chat.type, title, pick_language(code), first_zone(code)
    )
    t = Translator(chat.language)
    if created and chat.timezone != DEFAULT_TIMEZONE and context.chat_data is not None:
        # A zone guessed from the language is said out loud, with one tap to change it.
        context.chat_data[FIRST_ZONE_NOTE] = render.first_zone_note(t, chat.timezone)
    return chat, t


def is_bot_admin(update: Update, context: Context) -> bool:
    user = update.effective_user
    return bool(user and user.id in services(context).settings.admins)


async def may_change(update: Update, context: Context) -> bool:
    """In groups only admins change follows and settings (anonymous admins too); in private chats anyone."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        # An anonymous admin posts as the group itself. Anyone else posting as a chat (one of their
        # channels, the linked channel) is not a member we can ask Telegram about: they may read only.
        return message.sender_chat.id == chat.id
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


def replying_to(update: Update) -> int | None:
    """In a group, the command a reply answers (many people talk there); in a private chat, none."""
    chat = update.effective_chat
    message = update.message  # a command, not a button press (that edits its own message or adds one)
    if chat is None or chat.type == ChatType.PRIVATE or message is None:
        return None
    return message.message_id


async def reply(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    chat = update.effective_chat
    assert chat is not None
    note = context.chat_data.pop(FIRST_ZONE_NOTE, None) if context.chat_data is not None else None
    if note is not None:
        line, button = note
        text = f"{text}\n\n{line}"
        markup = InlineKeyboardMarkup([*(markup.inline_keyboard if markup else ()), [button]])
    return await services(context).delivery.send(
        chat.id, text, markup, thread_id=thread_of(update), reply_to=replying_to(update)
    )


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


def posting_as(update: Update) -> str | None:
    """The name of the channel (or other chat) a message was posted as, when not the group itself."""
    message = update.effective_message
    chat = update.effective_chat
    sender = message.sender_chat if message is not None else None
    if sender is None or chat is None or sender.id == chat.id:
        return None
    return sender.title or sender.username or str(sender.id)


async def refuse_non_admin(update: Update, context: Context, t: Translator) -> bool:
    """True (and a polite answer) when a non-admin tries to change a group's follows or settings."""
    if await may_change(update, context):
        return False
    text = t("Only the group's admins can change what it follows and its settings.")
    sender = posting_as(update)
    if sender is not None:
        text = t(
            "You are posting as {name}. Everyone can read here, but only the group's admins can change"
            " what it follows and its settings: post as yourself to do that.",
            name=f"<b>{render.e(clean_text(sender))}</b>",
        )
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


async def button_expired(update: Update, context: Context) -> None:
    """A press of a button we no longer know (old version, tampered, or its target is gone)."""
    query = update.callback_query
    if query is None:
        return
    _, t = await chat_for(update, context)
    await query.answer(t("That button has expired — send the command again."), show_alert=True)


def buttons(
    actions: tuple[str, ...], on_press: Callable[[Update, Context, Any], Awaitable[None]]
) -> CallbackQueryHandler:  # type: ignore[type-arg]
    """A feature's own button handler: presses of its action codes, parsed as untrusted data first."""

    async def handle(update: Update, context: Context) -> None:
        query = update.callback_query
        action = callbacks.parse(query.data if query else None)
        if action is None:
            await button_expired(update, context)
            return
        await on_press(update, context, action)

    return CallbackQueryHandler(handle, pattern=callbacks.pattern(*actions))


async def ask_series(update: Update, context: Context, command: str, wanted: str | None = None) -> None:
    """`command` needs a series the text did not name and the chat has none of its own: offer the store's.
    An empty store has none to offer: admins learn how to load one, everyone else that none is loaded."""
    _, t = await chat_for(update, context)
    choices = await stored_series(context)
    admin = not choices and await may_load_data(update, context)
    text, markup = render.pick_series(t, choices, command, admin=admin, shipped=shipped_series())
    if wanted and choices:
        text = t("I know no series “{name}”.", name=render.e(wanted)) + " " + text
    await reply(update, context, text, markup)


async def stored_series(context: Context) -> list[tuple[int, str]]:
    """(id, name) of every series with a season in the store; none on a fresh install."""
    return [(s.id, s.name) for s in await services(context).store.series.all() if s.years]


async def may_load_data(update: Update, context: Context) -> bool:
    """Who is told how to load data into an empty store: Pitboard's admins, and a group's admins (they
    set the bot up for their group)."""
    chat = update.effective_chat
    if is_bot_admin(update, context):
        return True
    if chat is None or chat.type == ChatType.PRIVATE:
        return False
    return await may_change(update, context)


@cache
def shipped_series() -> tuple[str, ...]:
    """The series whose rules (and calendars) ship with Pitboard, with their seasons: "Formula 1 1950–2026"."""
    names: list[str] = []
    for path in series_files():
        batch = native.load([path], None, None)
        years = sorted(season.year for season in batch.seasons)
        span = f"{years[0]}" if years[0] == years[-1] else f"{years[0]}–{years[-1]}"
        names.append(f"{batch.series_name} {span}")
    return tuple(names)

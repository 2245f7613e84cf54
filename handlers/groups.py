"""The bot in groups: added (welcome), removed or blocked (inactive), upgraded to a supergroup (moved)."""

from __future__ import annotations

from telegram import ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import Application, ChatMemberHandler, MessageHandler, filters

from bot import render
from handlers.common import Context, chat_for, clean_text, reply, services

PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
GONE = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


def _change(update: ChatMemberUpdated) -> tuple[bool, bool]:
    was = update.old_chat_member.status in PRESENT
    now = update.new_chat_member.status in PRESENT
    return was, now


async def my_chat_member(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None:
        return
    was, now = _change(change)
    store = services(context).store
    if now and not was:
        chat, t = await chat_for(update, context)
        if chat.is_group:
            await reply(
                update, context, render.group_welcome(t, clean_text(change.chat.title), bool(change.chat.is_forum))
            )
    elif was and not now:
        # Removed from a group, or blocked in a private chat: nothing more goes there.
        await store.chats.set_active(change.chat.id, False)
        await store.outbox.kill_chat(change.chat.id, f"bot {change.new_chat_member.status}")


async def migrated(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    store = services(context).store
    if message.migrate_to_chat_id:
        await store.chats.migrate(message.chat.id, message.migrate_to_chat_id)
    elif message.migrate_from_chat_id and await store.chats.get(message.migrate_from_chat_id):
        await store.chats.migrate(message.migrate_from_chat_id, message.chat.id)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))

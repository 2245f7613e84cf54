"""Updates no handler may act on, dropped before any handler sees them (one place for all of them).

An edited message is the same message again: python-telegram-bot's CommandHandler and MessageHandler
match `edited_message` by default, so an edited `/broadcast` went out twice and an edited `/follow X`
→ `/follow Y` left the chat following both. Commands, text and the /import caption act on new
messages only. The app does not ask Telegram for edits either (bot/app.py ALLOWED_UPDATES); this guard
holds if a deployment asks anyway (a webhook set up by hand, an older allowed_updates list).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from handlers.common import Context

# Runs before every handler group registered by the feature modules (they use the default group 0).
GUARD_GROUP = -100


def is_edit(update: Update) -> bool:
    return update.edited_message is not None or update.edited_channel_post is not None


async def drop_edits(update: Update, context: Context) -> None:
    if is_edit(update):
        raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, drop_edits), group=GUARD_GROUP)

"""Updates no feature handler may act on, stopped before any of them sees them (one place for all).

- An edited message is the same message again: python-telegram-bot's CommandHandler and MessageHandler
  match `edited_message` by default, so an edited `/broadcast` went out twice and an edited `/follow X`
  → `/follow Y` left the chat following both. Commands, text and the /import caption act on new
  messages only. The app does not ask Telegram for edits either (bot/app.py ALLOWED_UPDATES); the
  guard holds if a deployment asks anyway (a webhook set by hand, an older allowed_updates list).
- A linked channel's post that Telegram forwards into its discussion group is nobody talking to the bot.
- Text with a lone UTF-16 surrogate (a hostile client can send one as a JSON escape) cannot be encoded
  as UTF-8 for SQLite or for the reply: it raised UnicodeEncodeError; now it gets a friendly answer.
- A button on an inline-mode message has no chat (no `message`): there is nothing to change, the
  query is answered so the user's client stops spinning.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from handlers.common import Context, has_lone_surrogate, reply, translator_for

# Runs before every handler group registered by the feature modules (they use the default group 0).
GUARD_GROUP = -100


def is_edit(update: Update) -> bool:
    return update.edited_message is not None or update.edited_channel_post is not None


async def guard(update: Update, context: Context) -> None:
    if is_edit(update):
        raise ApplicationHandlerStop
    message = update.message
    if message is not None and message.is_automatic_forward:
        raise ApplicationHandlerStop
    if message is not None and has_lone_surrogate(message.text or message.caption or ""):
        t = await translator_for(update, context)
        await reply(
            update, context, t("I could not read that message: it has broken characters. Please type it again.")
        )
        raise ApplicationHandlerStop
    query = update.callback_query
    if query is not None and update.effective_chat is None:
        t = await translator_for(update, context)
        await query.answer(t("That button has expired — send the command again."), show_alert=True)
        raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, guard), group=GUARD_GROUP)

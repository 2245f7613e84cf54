"""/start (with follow deep links), /help, and a friendly answer to anything unknown."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import render
from handlers import follow
from handlers.common import (
    Context,
    button_expired,
    chat_for,
    clean_text,
    is_bot_admin,
    may_change,
    may_load_data,
    reply,
    services,
    shipped_series,
    stored_series,
)


async def start(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    payload = context.args[0] if context.args else ""
    if payload.startswith("follow_"):
        # t.me/<bot>?start=follow_<driver id or name>: follow at once
        await follow.follow_text(update, context, chat, t, payload.removeprefix("follow_").replace("_", " "))
        return
    user = update.effective_user
    examples = await services(context).store.drivers.follow_examples()
    text = render.welcome(t, chat, clean_text(user.first_name) if user else None, examples)
    if not await stored_series(context):  # an empty store: what to do first, as examples cannot work yet
        text += "\n\n" + render.no_series(t, await may_load_data(update, context), shipped_series())
    await reply(update, context, text)


async def help_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    tg_chat = update.effective_chat
    group = chat.is_group
    text = render.help_text(
        t,
        group=group,
        forum=bool(tg_chat and tg_chat.is_forum),
        group_admin=group and await may_change(update, context),
        bot_admin=not group and is_bot_admin(update, context),
    )
    await reply(update, context, text)


async def unknown_command(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0]
    if "@" in command and command.split("@", 1)[1].casefold() != (context.bot.username or "").casefold():
        return  # addressed to another bot
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        # In a group an unknown command is most likely another bot's: answering it would be noise.
        return
    _, t = await chat_for(update, context)
    await reply(
        update, context, t("I don't know {command}. /help lists what I can do.", command=render.e(command[:40]))
    )


async def private_text(update: Update, context: Context) -> None:
    _, t = await chat_for(update, context)
    examples = await services(context).store.drivers.follow_examples()
    example = f"<code>/follow {render.e(examples.driver if examples else 'NAME')}</code>"
    await reply(update, context, t("Send a command — for example {example}. /help lists them all.", example=example))


# After the guard (handlers/guard.py), before the features: commands that would search an empty store.
EMPTY_STORE_GROUP = -1
SEARCHING = ("follow", "driver", "next", "standings", "calendar", "results")


async def empty_store(update: Update, context: Context) -> None:
    """On a fresh install /standings, /calendar and /results would ask "which series?" with nothing to offer,
    /follow NAME would answer "I know no one called NAME, check the spelling" and /next
    "no upcoming sessions": both true, neither helpful. Say what is missing instead (as ask_series does)."""
    if await stored_series(context):
        return
    _, t = await chat_for(update, context)
    await reply(update, context, render.no_series(t, await may_load_data(update, context), shipped_series()))
    raise ApplicationHandlerStop


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler(SEARCHING, empty_store), group=EMPTY_STORE_GROUP)


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(CallbackQueryHandler(button_expired))  # after every feature's own buttons
    app.add_handler(MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, private_text))

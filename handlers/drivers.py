"""/driver NAME: a driver's profile, with a button to follow them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.search import search_drivers
from bot.services import Target, driver_profile
from handlers.common import Context, chat_for, command_text, reply, services


async def driver_command(update: Update, context: Context) -> None:
    _, t = await chat_for(update, context)
    store = services(context).store
    query = command_text(context)[:100]
    if not query:
        examples = await store.follow_examples()
        example = f"<code>/driver {render.e(examples[0] if examples else 'NAME')}</code>"
        await reply(update, context, t("Whose profile? For example {example}", example=example))
        return
    matches = await search_drivers(store, query, limit=6)
    if not matches:
        await reply(update, context, *render.follow_none(t, query, []))
        return
    if len(matches) > 1 and matches[0].score < 99.5:
        await reply(
            update, context, *render.follow_choices(t, query, [Target("driver", m.driver_id, m.name) for m in matches])
        )
        return
    profile = await driver_profile(store, matches[0].driver_id, matches[0].name)
    await reply(update, context, *render.driver_profile(t, profile))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("driver", driver_command))

"""/driver NAME: a driver's profile, with a button to follow or unfollow them; namesakes asked with buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.core.callbacks import DriverAction
from bot.services import driver_profile, resolve
from bot.services.follow import followed_ids
from handlers.common import (
    Context,
    buttons,
    chat_for,
    command_text,
    edit_or_reply,
    refuse_non_admin,
    replan_reminders,
    reply,
    services,
)

MAX_QUERY = 100


async def driver_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    query = command_text(context)[:MAX_QUERY]
    if not query:
        examples = await store.drivers.follow_examples()
        example = f"<code>/driver {render.e(examples.driver if examples else 'NAME')}</code>"
        await reply(update, context, t("Whose profile? For example {example}", example=example))
        return
    followed = await followed_ids(store, chat.id, "driver")
    found = await resolve(store, "driver", query, followed)
    if found.chosen is not None:
        profile = await driver_profile(store, found.chosen.id, found.chosen.name, found.chosen.id in followed)
        await reply(update, context, *render.driver_profile(t, profile, found.others))
    elif found.choices:
        await reply(update, context, *render.driver_choices(t, query, found.choices))
    else:
        await reply(update, context, *render.driver_none(t, query, found.suggestions))


async def on_button(update: Update, context: Context, action: DriverAction) -> None:
    """A namesake picked (show the profile), or Follow / Unfollow pressed on a profile (then show it again)."""
    chat, t = await chat_for(update, context)
    store = services(context).store
    query = update.callback_query
    name = await store.drivers.driver_name(action.driver_id)
    if name is None:
        if query:
            await query.answer(t("That button has expired — send the command again."), show_alert=True)
        return
    if action.act:
        if await refuse_non_admin(update, context, t):
            return
        if action.act == "f":
            await store.chats.follow(chat.id, "driver", action.driver_id)
            note = t("Following {name}", name=name)
        else:
            await store.chats.unfollow(chat.id, "driver", action.driver_id)
            note = t("Stopped following {name}", name=name)
        if query:
            await query.answer(note)
        await replan_reminders(context, chat.id)
    elif query:
        await query.answer()
    followed = action.driver_id in await followed_ids(store, chat.id, "driver")
    profile = await driver_profile(store, action.driver_id, name, followed)
    await edit_or_reply(update, context, *render.driver_profile(t, profile))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("driver", driver_command))
    app.add_handler(buttons(("dr",), on_button))

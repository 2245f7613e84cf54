"""/settings with buttons, the /timezone and /language shortcuts, and /here for forum topics."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.callbacks import SettingAction
from bot.core.zones import resolve_zone, suggest_zones
from bot.i18n import LANGUAGES, Translator
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

DEFAULT_LEADS = [1440, 60]


async def settings_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    await reply(update, context, *render.settings(t, chat))


async def timezone_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    wanted = command_text(context)
    if not wanted:
        await reply(
            update,
            context,
            t(
                "This chat's time zone is {zone}. Change it with {example}.",
                zone=f"<b>{render.e(chat.timezone)}</b>",
                example="<code>/timezone Europe/Vienna</code>",
            ),
        )
        return
    if await refuse_non_admin(update, context, t):
        return
    zone = resolve_zone(wanted)
    if zone is None:
        await reply(update, context, _unknown_zone(t, wanted))
        return
    await services(context).store.chats.set_timezone(chat.id, zone)
    await reply(
        update,
        context,
        t("Time zone set to {zone}. Times are shown in it from now on.", zone=f"<b>{render.e(zone)}</b>"),
    )


def _unknown_zone(t: Translator, wanted: str) -> str:
    text = t(
        "“{zone}” is not a time zone I know. Use a name like {a} or {b}.",
        zone=render.e(wanted[:64]),
        a="<code>Europe/Vienna</code>",
        b="<code>America/New_York</code>",
    )
    close = suggest_zones(wanted)
    if close:
        text += "\n" + t("Did you mean {zones}?", zones=", ".join(f"<code>/timezone {z}</code>" for z in close))
    return text


async def language_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    wanted = command_text(context).casefold()[:10]
    if wanted not in LANGUAGES:
        await reply(
            update, context, t("Choose {choices}.", choices="<code>/language en</code>, <code>/language de</code>")
        )
        return
    if await refuse_non_admin(update, context, t):
        return
    await services(context).store.chats.set_language(chat.id, wanted)
    t = Translator(wanted)
    await reply(update, context, t("I speak English in this chat now."))


async def here_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    message = update.effective_message
    if not chat.is_group:
        await reply(update, context, t("/here is for forum groups: send it in the topic that should get race alerts."))
        return
    if await refuse_non_admin(update, context, t):
        return
    settings: dict[str, Any] = dict(chat.settings)
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    settings["thread_id"] = thread
    await services(context).store.chats.set_settings(chat.id, settings)
    await reply(
        update,
        context,
        t("Race alerts will be posted in this topic.")
        if thread
        else t("Race alerts will be posted in the general chat."),
    )


async def on_button(update: Update, context: Context, action: SettingAction) -> None:
    chat, t = await chat_for(update, context)
    if await refuse_non_admin(update, context, t):
        return
    store = services(context).store
    settings: dict[str, Any] = dict(chat.settings)
    query = update.callback_query
    if action.name == "tz" and action.value.isdigit() and int(action.value) < len(render.COMMON_ZONES):
        await store.chats.set_timezone(chat.id, render.COMMON_ZONES[int(action.value)])
    elif action.name == "lang" and action.value in LANGUAGES:
        await store.chats.set_language(chat.id, action.value)
    elif action.name == "lead" and action.value.isdigit() and int(action.value) in render.LEAD_CHOICES:
        leads = set(settings.get("reminder_minutes", DEFAULT_LEADS))
        leads ^= {int(action.value)}
        settings["reminder_minutes"] = sorted(leads, reverse=True)
    elif action.name == "alert" and action.value in ("race", "qualifying", "schedule"):
        key = f"alert_{action.value}"
        settings[key] = not settings.get(key, action.value != "qualifying")
    elif action.name == "spoiler":
        # off → only when asked → after 6 h → after 24 h → off
        steps = [(False, 0), (True, 0), (True, 6), (True, 24)]
        now = (bool(settings.get("spoiler_safe", False)), int(settings.get("spoiler_delay_hours", 0)))
        following = steps[(steps.index(now) + 1) % len(steps)] if now in steps else steps[1]
        settings["spoiler_safe"], settings["spoiler_delay_hours"] = following
    else:
        if query:
            await query.answer(t("That button has expired — send the command again."), show_alert=True)
        return
    if settings != chat.settings:
        await store.chats.set_settings(chat.id, settings)
    if query:
        await query.answer()
    chat, t = await chat_for(update, context)
    await edit_or_reply(update, context, *render.settings(t, chat))
    if action.name in ("lead", "alert"):
        await replan_reminders(context, chat.id)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("settings", settings_command))
    app.add_handler(CommandHandler("timezone", timezone_command))
    app.add_handler(CommandHandler("language", language_command))
    app.add_handler(CommandHandler("here", here_command))
    app.add_handler(buttons(("se",), on_button))

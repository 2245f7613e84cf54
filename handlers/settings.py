"""/settings in sections with buttons, the /timezone and /language shortcuts, and /here for forum topics."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.core import callbacks
from bot.core.callbacks import SettingAction
from bot.core.chat_settings import ALERTS, LEAD_CHOICES, ChatSettings, Spoiler
from bot.core.zone_lookup import find_zones
from bot.core.zones import resolve_zone
from bot.i18n import LANGUAGES, Translator
from bot.render.settings import COMMON_ZONES, SECTIONS
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

SPOILER_CHOICES = {choice.value: choice for choice in Spoiler}
# Presses that change nothing (moving between sections) are open to everyone who can read the chat.
CHANGES = ("tz", "zone", "lang", "lead", "alert", "spoiler")


def _now(context: Context) -> datetime:
    return services(context).delivery.clock.now()


async def settings_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    await reply(update, context, *render.settings(t, chat))


async def timezone_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    wanted = command_text(context)
    now = _now(context)
    if not wanted:
        await reply(update, context, *render.settings_section(t, chat, "tz", now))
        return
    if await refuse_non_admin(update, context, t):
        return
    lookup = find_zones(wanted, now)
    if len(lookup.zones) == 1:
        zone = lookup.zones[0]
        await services(context).store.chats.update_prefs(chat.id, lambda prefs: replace(prefs, timezone=zone))
        await reply(update, context, render.zone_set(t, lookup, zone, now))
    elif lookup.zones:
        await reply(update, context, *render.zone_question(t, wanted, lookup, now))
    else:
        await reply(update, context, *render.zone_unknown(t, wanted, lookup.suggestions, now))


async def language_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    wanted = command_text(context).casefold()[:10]
    if wanted not in LANGUAGES:
        # Alone or with something we do not speak: the picker.
        await reply(update, context, *render.settings_section(t, chat, "lang", _now(context)))
        return
    if await refuse_non_admin(update, context, t):
        return
    await services(context).store.chats.update_prefs(chat.id, lambda prefs: replace(prefs, language=wanted))
    await reply(update, context, render.language_set(Translator(wanted)))


async def here_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    message = update.effective_message
    if not chat.is_group:
        await reply(update, context, t("/here is for forum groups: send it in the topic that should get race alerts."))
        return
    if await refuse_non_admin(update, context, t):
        return
    thread = message.message_thread_id if message is not None and message.is_topic_message else None
    await services(context).store.chats.update_prefs(chat.id, lambda prefs: replace(prefs, thread_id=thread))
    await reply(
        update,
        context,
        t("Race alerts will be posted in this topic.")
        if thread
        else t("Race alerts will be posted in the general chat."),
    )


def _change(t: Translator, s: ChatSettings, action: SettingAction) -> tuple[ChatSettings, str, str] | None:
    """The settings after the press, the toast that confirms it, and the section to show; None for a button
    whose value is not one we offer (old or forged)."""
    name, value = action.name, action.value
    if name == "tz" and value.isdigit() and int(value) < len(COMMON_ZONES):
        zone = COMMON_ZONES[int(value)]
        return replace(s, timezone=zone), t("Time zone: {zone}", zone=zone), "tz"
    if name == "zone":
        named = resolve_zone(callbacks.zone_of(value))
        if named is None:
            return None
        return replace(s, timezone=named), t("Time zone: {zone}", zone=named), "tz"
    if name == "lang" and value in LANGUAGES:
        # The toast in the language just chosen: the fan sees at once that it speaks it.
        t = Translator(value)
        return replace(s, language=value), t("Language: English"), "lang"
    if name == "lead" and value.isdigit() and int(value) in LEAD_CHOICES:
        minutes = int(value)
        on = minutes not in s.reminder_minutes
        label = render.lead_label(t, minutes)
        toast = t("Reminder {time} before: on", time=label) if on else t("Reminder {time} before: off", time=label)
        return s.with_lead(minutes, on), toast, "rem"
    if name == "alert" and value in ALERTS:
        on = not s.alert(value)
        label = render.alert_label(t, value)
        return s.with_alert(value, on), (t("{alert}: on", alert=label) if on else t("{alert}: off", alert=label)), "al"
    if name == "spoiler" and value in SPOILER_CHOICES:
        choice = SPOILER_CHOICES[value]
        return replace(s, spoiler=choice), t("Spoiler-safe: {choice}", choice=render.spoiler_choice(t, choice)), "sp"
    return None


async def on_button(update: Update, context: Context, action: SettingAction) -> None:
    chat, t = await chat_for(update, context)
    query = update.callback_query
    now = _now(context)
    if action.name in ("sec", "open") or (action.name == "spoiler" and action.value == "x"):
        # Moving between sections; "spoiler:x" is the old one-button cycle: it opens the choices now.
        name = "sp" if action.name == "spoiler" else action.value if action.value in SECTIONS else "main"
        if query:
            await query.answer()
        view = render.settings_section(t, chat, name, now)
        if action.name == "open":
            await reply(update, context, *view)  # under another reply (the first-contact note): a new message
        else:
            await edit_or_reply(update, context, *view)
        return
    if action.name in CHANGES and await refuse_non_admin(update, context, t):
        return
    # The change is worked out on the settings as stored when it is written (a toggle twice pressed, or
    # pressed beside another change answered by another replica, counts each press), not on those read above.
    outcome: list[tuple[ChatSettings, str, str]] = []

    def press(current: ChatSettings) -> ChatSettings:
        changed = _change(t, current, action)
        if changed is None:
            return current
        outcome.append(changed)
        return changed[0]

    await services(context).store.chats.update_prefs(chat.id, press)
    if not outcome:
        if query:
            await query.answer(t("That button has expired — send the command again."), show_alert=True)
        return
    _, toast, shown = outcome[-1]
    chat, t = await chat_for(update, context)
    if query:
        await query.answer(toast)
    await edit_or_reply(update, context, *render.settings_section(t, chat, shown, now))
    if action.name in ("lead", "alert"):
        await replan_reminders(context, chat.id)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("settings", settings_command))
    app.add_handler(CommandHandler("timezone", timezone_command))
    app.add_handler(CommandHandler("language", language_command))
    app.add_handler(CommandHandler("here", here_command))
    app.add_handler(buttons(("se",), on_button))

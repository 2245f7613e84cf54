"""/next and /calendar in the chat's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot import callbacks, render
from bot.ingest.definitions import ensure_shipped
from bot.ingest.ics_export import chat_calendar
from bot.services import chat_series, upcoming_for_chat
from handlers.common import Context, ask_series, buttons, chat_for, command_text, reply, services, thread_of


def now() -> datetime:
    return datetime.now(UTC)


async def next_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    sessions = await upcoming_for_chat(services(context).store, chat.id, now())
    markup = None
    if sessions:
        button = InlineKeyboardButton(t("📅 Add to my calendar (.ics)"), callback_data=callbacks.ics_file())
        markup = InlineKeyboardMarkup([[button]])
    await reply(update, context, render.next_sessions(t, sessions, chat.timezone), markup)


async def ics_command(update: Update, context: Context) -> None:
    """The chat's sessions as an .ics file (also /next's button): stable UIDs, so importing it again into a
    calendar app updates the entries instead of duplicating them."""
    chat, t = await chat_for(update, context)
    store = services(context).store
    if not await chat_series(store, chat.id):
        await reply(update, context, t("This chat follows nothing yet: follow a driver or series with /follow."))
        return
    data = await chat_calendar(store, chat, now())
    caption = t("Your sessions as a calendar file, with reminders. Opening a newer one updates them.")
    await services(context).delivery.send_document(
        chat.id, "pitboard.ics", data, caption=render.e(caption), thread_id=thread_of(update)
    )


async def calendar_command(update: Update, context: Context) -> None:
    chat, _ = await chat_for(update, context)
    store = services(context).store
    wanted = command_text(context)[:60]
    series = await store.find_series(wanted) if wanted else None
    if series is None and not wanted:
        mine = await chat_series(store, chat.id)
        series = await store.find_series(mine[0]) if mine else None
    if series is None:
        await ask_series(update, context, "calendar", wanted)
        return
    await show_calendar(update, context, series.slug)


async def show_calendar(update: Update, context: Context, series_slug: str) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    series = await store.find_series(series_slug)
    if series is None or not series.years:  # removed since the button was made, or no season stored yet
        await reply(update, context, t("I know no series “{name}”.", name=render.e(series_slug)))
        return
    year = max(series.years)
    # A season imported from results files alone gets its shipped calendar before it is shown.
    await ensure_shipped(store, series.slug, year)
    sessions = await store.schedule(series.slug, year)
    today = now().astimezone(ZoneInfo(chat.timezone)).date()
    await reply(update, context, render.calendar(t, series.name, year, sessions, chat.timezone, today))


async def on_button(update: Update, context: Context, action: callbacks.Action) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    if isinstance(action, callbacks.IcsAction):
        await ics_command(update, context)
    elif isinstance(action, callbacks.SeriesCommandAction):
        series = next((s for s in await services(context).store.series() if s.id == action.series_id), None)
        if series is not None:
            await show_calendar(update, context, series.slug)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("next", next_command))
    app.add_handler(CommandHandler("calendar", calendar_command))
    app.add_handler(CommandHandler("ics", ics_command))
    app.add_handler(buttons(("ic", "sc:c"), on_button))

"""/next [series], /calendar [series] [season] and /ics, in the chat's time zone.

"Now" is the store's clock (the system clock in production; a test or a replay sets it)."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.core import callbacks
from bot.delivery.textsplit import split_html
from bot.i18n import Translator
from bot.ingest.definitions import ensure_shipped
from bot.render.ics import chat_calendar
from bot.services import chat_series, default_season, season_calendar, weekends_ahead
from bot.services.grammar import Query, parse, season_in
from bot.services.vocabulary import build_vocabulary
from bot.web.calendar import feed_path
from handlers.common import (
    Context,
    buttons,
    chat_for,
    command_text,
    edit_or_reply,
    refuse_non_admin,
    reply,
    services,
    thread_of,
)
from storage.calendar_feeds import CalendarFeeds


def now(context: Context) -> datetime:
    return services(context).store.clock.now()


async def _understood(context: Context, text: str, command: str, default_series: str | None) -> Query:
    store = services(context).store
    vocabulary = await build_vocabulary(store, [season_in(text)])
    return parse(text, vocabulary, "calendar" if command == "calendar" else "next", default_series)


async def _ask_series(
    update: Update, context: Context, command: str, query: Query | None = None, wanted: str | None = None
) -> None:
    """No series understood: buttons for the series a word named ("gtwc"), else for every stored one. A season
    given ("/calendar 2021") is kept: its buttons open that season of the series that have it."""
    _, t = await chat_for(update, context)
    slugs = query.choices.get("series") if query is not None else None
    season = query.season if query is not None else None
    choices = [s for s in await services(context).store.series.all() if s.years and (not slugs or s.slug in slugs)]
    if command == "calendar" and season is not None and any(season in s.years for s in choices):
        choices = [s for s in choices if season in s.years]
        keyboard = [
            [InlineKeyboardButton(f"{s.name} {season}", callback_data=callbacks.calendar_season(s.id, season))]
            for s in choices
        ]
    else:
        keyboard = [
            [InlineKeyboardButton(s.name, callback_data=callbacks.series_command(command, s.id))] for s in choices
        ]
    text = t("Which series?")
    if wanted:
        text = t("I know no series “{name}”.", name=render.e(wanted)) + " " + text
    await reply(update, context, text, InlineKeyboardMarkup(keyboard) if keyboard else None)


def _not_understood(t: Translator, words: list[str]) -> str:
    return "<i>" + t("Not understood: {words}", words=render.e(" ".join(words))) + "</i>\n"


async def next_command(update: Update, context: Context) -> None:
    text = command_text(context)[:100]
    series_slug = None
    if text:
        query = await _understood(context, text, "next", None)
        if query.series is None:
            wanted = None if "series" in query.choices else " ".join(query.unknown) or text
            await _ask_series(update, context, "next", query, wanted)
            return
        series_slug = query.series
    await show_next(update, context, series_slug)


async def show_next(update: Update, context: Context, series_slug: str | None) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    weekends = await weekends_ahead(store, chat.id, now(context), series_slug)
    series = await store.series.find(series_slug) if series_slug else None
    markup = None
    if weekends and await chat_series(store, chat.id):
        button = InlineKeyboardButton(t("📅 Add to my calendar (.ics)"), callback_data=callbacks.ics_file())
        markup = InlineKeyboardMarkup([[button]])
    body = render.next_sessions(t, weekends, chat.timezone, series.name if series else None)
    await reply(update, context, body, markup)


RESET_WORDS = ("reset", "zurücksetzen", "neu")


async def ics_command(update: Update, context: Context) -> None:
    """The chat's sessions as an .ics file (also /next's button): stable UIDs, so importing it again into a
    calendar app updates the entries instead of duplicating them. Where the bot has a public address, also
    the chat's subscription link (/cal/<token>.ics), which calendar apps keep current; `/ics reset`
    replaces it (the old link stops working)."""
    chat, t = await chat_for(update, context)
    store = services(context).store
    if update.callback_query is None and command_text(context).casefold() in RESET_WORDS:
        await _reset_link(update, context)
        return
    link = await _subscription(context, chat.id, t)
    if not await chat_series(store, chat.id):
        text = render.e(t("This chat follows nothing yet: follow a driver or series with /follow."))
        await reply(update, context, text + (f"\n\n{link}" if link else ""))
        return
    data = await chat_calendar(store, chat, now(context))
    caption = render.e(t("Your sessions as a calendar file, with reminders. Opening a newer one updates them."))
    await services(context).delivery.send_document(
        chat.id, "pitboard.ics", data, caption=caption + (f"\n\n{link}" if link else ""), thread_id=thread_of(update)
    )


def _feed_url(context: Context, token: str) -> str | None:
    origin = services(context).settings.public_origin
    return f"{origin}{feed_path(token)}" if origin else None


async def _subscription(context: Context, chat_id: int, t: Translator) -> str | None:
    """The subscription paragraph (HTML), or None where the bot has no public address (nothing to link)."""
    if services(context).settings.public_origin is None:
        return None
    store = services(context).store
    url = _feed_url(context, await CalendarFeeds(store.db, store.clock).token_for(chat_id))
    return (
        render.e(t("Subscribe in your calendar app to stay current:"))
        + f"\n<code>{render.e(url)}</code>\n"
        + (render.e(t("Anyone with this link sees these sessions; /ics reset makes a new one.")))
    )


async def _reset_link(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    if await refuse_non_admin(update, context, t):
        return
    store = services(context).store
    url = _feed_url(context, await CalendarFeeds(store.db, store.clock).reset(chat.id))
    text = render.e(t("The old calendar link no longer works."))
    if url is not None:
        text += "\n" + render.e(t("The new one:")) + f"\n<code>{render.e(url)}</code>"
    await reply(update, context, text)


async def calendar_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    text = command_text(context)[:100]
    mine = await chat_series(store, chat.id)
    query = await _understood(context, text, "calendar", mine[0] if mine else None)
    if query.series is None:
        await _ask_series(update, context, "calendar", query, " ".join(query.unknown) or None)
        return
    # "/calendar f1 2021 xyz": the calendar it understood, and what it did not.
    note = _not_understood(t, query.unknown) if query.unknown else ""
    await show_calendar(update, context, query.series, query.season, note=note)


async def show_calendar(
    update: Update, context: Context, series_slug: str, year: int | None, *, note: str = "", edit: bool = False
) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    series = await store.series.find(series_slug)
    if series is None or not series.years:  # removed since the button was made, or no season stored yet
        await reply(update, context, t("I know no series “{name}”.", name=render.e(series_slug)))
        return
    moment = now(context)
    if year is not None and year not in series.years:
        text = t("No {year} season of {series} is stored.", year=year, series=render.e(series.name))
        nearest = sorted(series.years, key=lambda y: (abs(y - year), -y))[:3]
        row = [InlineKeyboardButton(str(y), callback_data=callbacks.calendar_season(series.id, y)) for y in nearest]
        await reply(update, context, text, InlineKeyboardMarkup([sorted(row, key=lambda b: b.text)]))
        return
    season = year or default_season(series.years, moment)
    assert season is not None
    # A season imported from results files alone gets its shipped calendar before it is shown.
    await ensure_shipped(store, series.slug, season)
    calendar = await season_calendar(store, series.slug, season, moment)
    assert calendar is not None
    body, markup = render.calendar(t, calendar, chat.timezone)
    body = note + body
    # A season too long for one message is sent again in parts, not edited into one.
    if edit and len(split_html(body)) == 1:
        await edit_or_reply(update, context, body, markup)
    else:
        await reply(update, context, body, markup)


async def on_button(update: Update, context: Context, action: callbacks.Action) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer()
    if isinstance(action, callbacks.IcsAction):
        await ics_command(update, context)
        return
    store = services(context).store
    if isinstance(action, callbacks.CalendarAction):
        series = next((s for s in await store.series.all() if s.id == action.series_id), None)
        if series is not None:
            await show_calendar(update, context, series.slug, action.year, edit=True)
    elif isinstance(action, callbacks.SeriesCommandAction):
        series = next((s for s in await store.series.all() if s.id == action.series_id), None)
        if series is None:
            return
        if action.command == "next":
            await show_next(update, context, series.slug)
        else:
            await show_calendar(update, context, series.slug, None)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("next", next_command))
    app.add_handler(CommandHandler("calendar", calendar_command))
    app.add_handler(CommandHandler("ics", ics_command))
    app.add_handler(buttons(("ic", "sc:c", "sc:n", "ca"), on_button))

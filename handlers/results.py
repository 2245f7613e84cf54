"""/results [series] [season] [event] [session] [class], its view's buttons, and the spoiler-safe "show the result"
button. Thin: the words go to bot/services/results.py, the view to bot/render/results.py."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot import render
from bot.alerts.planner import recipients
from bot.alerts.summary import race_summary
from bot.core import callbacks
from bot.services.results import NoSeries, ResultsView, results_for_text, results_view
from bot.services.season import NotFound
from handlers.common import (
    Context,
    ask_series,
    button_expired,
    buttons,
    chat_for,
    command_text,
    edit_or_reply,
    reply,
    services,
)


async def results_command(update: Update, context: Context) -> None:
    await show_results(update, context, command_text(context)[:200])


async def show_results(update: Update, context: Context, text: str, edit: bool = False) -> None:
    chat, t = await chat_for(update, context)
    try:
        found = await results_for_text(services(context).store, chat.id, text)
    except NoSeries as exc:
        await ask_series(update, context, "results", exc.wanted)
        return
    except NotFound as exc:
        await reply(update, context, render.not_found(t, exc))
        return
    if isinstance(found, ResultsView):
        message, markup = render.results_view(t, found)
    else:
        message, markup = render.results_question(t, found)
    if edit:
        await edit_or_reply(update, context, message, markup)
    else:
        await reply(update, context, message, markup)


async def on_view_button(update: Update, context: Context) -> None:
    query = update.callback_query
    action = callbacks.parse_results_view(query.data if query else None)
    if action is None:
        await button_expired(update, context)
        return
    chat, t = await chat_for(update, context)
    try:
        view = await results_view(services(context).store, chat.id, action)
    except NotFound:
        await button_expired(update, context)  # the session is gone (a new version of its source)
        return
    if query:
        await query.answer()
    message, markup = render.results_view(t, view)
    await edit_or_reply(update, context, message, markup)


async def on_show_results(update: Update, context: Context, session_id: int) -> None:
    """A spoiler-safe chat asked for the result: the summary replaces the teaser."""
    chat, t = await chat_for(update, context)
    store = services(context).store
    drivers = (await recipients(store, session_id)).get(chat.id, frozenset())
    summary = await race_summary(store, session_id, drivers)
    query = update.callback_query
    if query:
        await query.answer()
    if summary is None:
        await edit_or_reply(update, context, t("That button has expired — send the command again."), None)
        return
    await edit_or_reply(update, context, render.race_summary(t, summary), None)


async def on_button(update: Update, context: Context, action: callbacks.Action) -> None:
    if isinstance(action, callbacks.ShowResultsAction):
        await on_show_results(update, context, action.session_id)
        return
    assert update.callback_query is not None
    await update.callback_query.answer()
    if isinstance(action, callbacks.SeriesCommandAction):
        series = next((s for s in await services(context).store.series.all() if s.id == action.series_id), None)
        if series is not None:
            await show_results(update, context, series.slug, edit=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("results", results_command))
    app.add_handler(buttons(("rs", "sc:r"), on_button))
    app.add_handler(CallbackQueryHandler(on_view_button, pattern=callbacks.pattern(callbacks.RESULTS_VIEW)))

"""/results [series] [event], and the spoiler-safe "show the result" button."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import callbacks, render
from bot.alerts import race_summary, recipients
from bot.services import race_report
from bot.standings.service import NotFound
from handlers.common import Context, ask_series, buttons, chat_for, command_text, edit_or_reply, reply, services


async def results_command(update: Update, context: Context) -> None:
    await show_results(update, context, command_text(context)[:100])


async def show_results(update: Update, context: Context, text: str) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    words = text.split()
    series = None
    if words:
        found = await store.find_series(words[0])
        if found is not None:
            series, words = found.slug, words[1:]
    event = " ".join(words) or None  # "/results barcelona": that event in the chat's own series
    try:
        report = await race_report(store, chat.id, series, event)
    except NotFound as exc:
        message = str(exc)
        if message == "NO_SERIES":
            await ask_series(update, context, "results")
            return
        if message == "NO_RESULTS":
            await reply(update, context, render.e(t("No race results yet this season.")))
            return
        await reply(update, context, render.not_found(t, exc))
        return
    await reply(update, context, render.race_report(t, report))


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
        series = next((s for s in await services(context).store.series() if s.id == action.series_id), None)
        if series is not None:
            await show_results(update, context, series.slug)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("results", results_command))
    app.add_handler(buttons(("rs", "sc:r"), on_button))

"""One entry for every button press: parse the untrusted callback data, then hand it to its feature."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callbacks
from handlers import follow, results, schedule, settings, standings, upload
from handlers.common import Context, chat_for, services


async def on_callback(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    action = callbacks.parse(query.data)
    if isinstance(action, callbacks.FollowAction):
        await follow.on_button(update, context, action)
    elif isinstance(action, callbacks.StandingsAction):
        await standings.on_button(update, context, action)
    elif isinstance(action, callbacks.SettingAction):
        await settings.on_button(update, context, action)
    elif isinstance(action, callbacks.ShowResultsAction):
        await results.on_show_results(update, context, action.session_id)
    elif isinstance(action, callbacks.IcsAction):
        await query.answer()
        await schedule.ics_command(update, context)
    elif isinstance(action, callbacks.ImportAction):
        await upload.on_button(update, context, action)
    elif isinstance(action, callbacks.SeriesCommandAction):
        await query.answer()
        series = next((s for s in await services(context).store.series() if s.id == action.series_id), None)
        if series is None:
            return
        if action.command == "calendar":
            await schedule.show_calendar(update, context, series.slug)
        elif action.command == "results":
            await results.show_results(update, context, series.slug)
    else:
        _, t = await chat_for(update, context)
        await query.answer(t("That button has expired — send the command again."), show_alert=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(on_callback))

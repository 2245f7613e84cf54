"""/standings [series] [season] [championship] [class] [teams], any order, with buttons that switch one thing
and keep the rest (championship, class, drivers/teams, season, page, series)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.core.callbacks import StandingsAction, StandingsViewAction
from bot.i18n import N_, Translator
from bot.services import chat_series
from bot.services.grammar import parse, season_in, subject_in
from bot.services.season import NotFound
from bot.services.standings import Request, indices_for, view
from bot.services.vocabulary import build_vocabulary
from handlers.common import Context, ask_series, buttons, chat_for, command_text, edit_or_reply, reply, services
from storage.chats import Chat
from storage.series import SeriesInfo
from storage.store import Store

MAX_TEXT = 200  # a command line longer than this is not a question about standings


async def _followed(store: Store, chat: Chat) -> tuple[set[int], set[int]]:
    follows = await store.chats.follows(chat.id)
    return (
        {f.target_id for f in follows if f.kind == "driver"},
        {f.target_id for f in follows if f.kind == "team"},
    )


async def show(
    update: Update,
    context: Context,
    chat: Chat,
    t: Translator,
    request: Request,
    head: str = "",
    edit: bool = False,
    fallbacks: Sequence[SeriesInfo] = (),
) -> None:
    """The table `request` means; when it cannot answer, the same question to each of `fallbacks` (the chat's
    other series, when the command named none) before saying why."""
    store = services(context).store
    followed = await _followed(store, chat)
    problem: NotFound | None = None
    found = None
    for series in [request.series, *(s for s in fallbacks if s.id != request.series.id)]:
        try:
            found = await view(store, replace(request, series=series), *followed)
            break
        except NotFound as exc:
            problem = problem or exc
    if found is None:
        assert problem is not None
        text = head + render.not_found(t, problem)
        await (edit_or_reply(update, context, text, None) if edit else reply(update, context, text))
        return
    series_buttons = [(s.id, s.name) for s in await store.series.all() if s.years]
    text, markup = render.standings(t, found, series_buttons)
    text = head + ("\n" if head else "") + text
    if edit:
        await edit_or_reply(update, context, text, markup)
    else:
        await reply(update, context, text, markup)


async def _season_missing(
    update: Update, context: Context, t: Translator, head: str, series: SeriesInfo, year: int, every: list[SeriesInfo]
) -> None:
    """`/standings imsa 2019`: say which seasons there are and offer them (and series that have that year)."""
    years = series.years
    problem = NotFound(
        N_("{series} has no {year} season. Seasons: {years}."),
        series=series.name,
        year=year,
        years=f"{years[0]}–{years[-1]}" if len(years) > 3 else ", ".join(map(str, years)),
    )
    nearest = min(years, key=lambda y: abs(y - year))
    choices = [(series.id, series.name, nearest)] + [(s.id, s.name, year) for s in every if year in s.years]
    text, markup = render.season_missing(t, problem, choices)
    await reply(update, context, head + text, markup)


async def standings_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    every = [s for s in await store.series.all() if s.years]
    if not every:
        await ask_series(update, context, "standings")
        return
    line = command_text(context)[:MAX_TEXT]
    mine = await chat_series(store, chat.id)
    vocabulary = await build_vocabulary(store, [season_in(line)])
    query = parse(line, vocabulary, "standings", mine[0] if mine else None)
    teams = None if query.subject is None else query.subject == "teams"
    unknown = list(query.unknown)
    if query.series is None:
        subject, unknown = subject_in(unknown)
        if teams is None and subject is not None:
            teams = subject == "teams"
        candidates = query.choices.get("series") or [s.slug for s in every]
        head = render.understood(t, unknown, query.season, query.championship, query.car_class, teams)
        choices = []
        for series in every:
            if series.slug in candidates:
                year = query.season if query.season in series.years else None
                kept = await indices_for(store, series, year, query.championship, query.car_class, bool(teams))
                choices.append((series.id, series.name, kept))
        text, markup = render.pick_standings_series(t, head, choices)
        await reply(update, context, text, markup)
        return
    series = next(s for s in every if s.slug == query.series)
    head = render.understood(t, unknown, None, None, None, None) if unknown else ""
    if query.season is not None and query.season not in series.years:
        await _season_missing(update, context, t, head, series, query.season, every)
        return
    request = Request(series, query.season, query.championship, None, query.car_class, None, teams)
    named = parse(line, vocabulary, "standings").series is not None
    fallbacks = [] if named or query.season else [s for slug in mine for s in every if s.slug == slug]
    await show(update, context, chat, t, request, head, fallbacks=fallbacks)


async def on_button(update: Update, context: Context, action: StandingsAction | StandingsViewAction) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    series = next((s for s in await store.series.all() if s.id == action.series_id), None)
    query = update.callback_query
    if series is None:
        if query:
            await query.answer(t("That button has expired — send the command again."), show_alert=True)
        return
    if query:
        await query.answer()
    if isinstance(action, StandingsViewAction):
        request = Request(
            series,
            action.year or None,
            None,
            action.championship,
            None,
            action.class_index or None,
            action.teams,
            action.page,
        )
    else:  # buttons of the first version: no championship, no page
        request = Request(series, action.year or None, None, None, None, action.class_index or None, action.teams)
    await show(update, context, chat, t, request, edit=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("standings", standings_command))
    app.add_handler(buttons(("st", "sv"), on_button))

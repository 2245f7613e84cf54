"""/standings [series] [class] [teams], with buttons to switch class, drivers/teams and series."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.callbacks import StandingsAction
from bot.i18n import Translator
from bot.services import chat_series
from bot.standings.service import NotFound, StandingsTable, standings_table
from handlers.common import Context, ask_series, buttons, chat_for, edit_or_reply, reply, services
from storage.chats import Chat
from storage.store import SeriesInfo, Store

TEAM_WORDS = ("teams", "team", "teamwertung")


async def _series_buttons(store: Store) -> list[tuple[int, str]]:
    return [(s.id, s.name) for s in await store.series() if s.years]


def _parse(words: list[str], series: list[SeriesInfo]) -> tuple[SeriesInfo | None, str | None, bool]:
    """'/standings gtwc-europe bronze teams' → (series, class, teams); any order, series optional."""
    teams = any(w.casefold() in TEAM_WORDS for w in words)
    rest = [w for w in words if w.casefold() not in TEAM_WORDS]
    chosen = None
    for index, word in enumerate(rest):
        wanted = word.casefold()
        match = next((s for s in series if wanted in (s.slug, s.name.casefold())), None)
        if match is None:
            match = next((s for s in series if len(wanted) >= 3 and wanted in s.slug), None)
        if match is not None:
            chosen = match
            rest = rest[:index] + rest[index + 1 :]
            break
    return chosen, " ".join(rest) or None, teams


async def _table(
    store: Store, chat: Chat, series: SeriesInfo, year: int | None, car_class: str | None, teams: bool
) -> StandingsTable:
    tables = await standings_table(store, series.slug, year, car_class, teams)
    if len(tables) == 1:
        return tables[0]
    # Per-class championship and no class asked: the class of the chat's drivers, else the first.
    followed = await store.chats.followed_driver_ids(chat.id)
    for table in tables:
        if followed & {r.subject_id for r in table.rows}:
            return table
    return tables[0]


async def _highlight(store: Store, chat: Chat, teams: bool) -> set[int]:
    follows = await store.chats.follows(chat.id)
    kind = "team" if teams else "driver"
    return {f.target_id for f in follows if f.kind == kind}


async def show(
    update: Update,
    context: Context,
    chat: Chat,
    t: Translator,
    series: SeriesInfo,
    year: int | None,
    car_class: str | None,
    teams: bool,
    edit: bool,
) -> None:
    store = services(context).store
    try:
        table = await _table(store, chat, series, year, car_class, teams)
    except NotFound as exc:
        await reply(update, context, render.not_found(t, exc))
        return
    text, markup = render.standings(
        t, table, await _highlight(store, chat, teams), await _series_buttons(store), series.id
    )
    if edit:
        await edit_or_reply(update, context, text, markup)
    else:
        await reply(update, context, text, markup)


async def standings_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    all_series = await store.series()
    series, car_class, teams = _parse(list(context.args or [])[:6], all_series)
    if series is None:
        # The chat's own series, the first that has standings yet.
        mine = await chat_series(store, chat.id)
        problem: NotFound | None = None
        for slug in mine:
            candidate = next(s for s in all_series if s.slug == slug)
            try:
                await standings_table(store, slug, None, car_class, teams)
            except NotFound as exc:
                problem = problem or exc
                continue
            series = candidate
            break
        if series is None and len(mine) == 1 and problem is not None:
            # The chat's one series cannot answer: say why rather than ask which series.
            await reply(update, context, render.not_found(t, problem))
            return
    if series is None:
        await ask_series(update, context, "standings")
        return
    await show(update, context, chat, t, series, None, car_class, teams, edit=False)


async def on_button(update: Update, context: Context, action: StandingsAction) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    series = next((s for s in await store.series() if s.id == action.series_id), None)
    query = update.callback_query
    if series is None:
        if query:
            await query.answer(t("That button has expired — send the command again."), show_alert=True)
        return
    if query:
        await query.answer()
    year = action.year or None
    car_class = None
    if action.class_index:
        # Buttons carry the class's place in the table's class list (names can be longer than 64 bytes).
        try:
            tables = await standings_table(store, series.slug, year, None, action.teams)
        except NotFound as exc:
            await edit_or_reply(update, context, render.not_found(t, exc), None)
            return
        classes = tables[0].classes if tables else []
        car_class = classes[action.class_index - 1] if action.class_index <= len(classes) else None
    await show(update, context, chat, t, series, year, car_class, action.teams, edit=True)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("standings", standings_command))
    app.add_handler(buttons(("st",), on_button))

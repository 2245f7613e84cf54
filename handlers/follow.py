"""/follow, /unfollow, /following and their buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.core.callbacks import FollowAction, TeamPageAction
from bot.i18n import Translator
from bot.services import Target, chat_series, find_targets, parse_follow_query
from bot.services.follow import followed_ids, followed_matches, series_teams, target
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
from storage.chats import Chat, Follow
from storage.store import Store

MAX_QUERY = 100


async def follow_text(update: Update, context: Context, chat: Chat, t: Translator, text: str) -> None:
    if await refuse_non_admin(update, context, t):
        return
    text = text.strip()[:MAX_QUERY]
    store = services(context).store
    if not text:
        await reply(update, context, render.follow_usage(t, await store.drivers.follow_examples()))
        return
    kind, query, said = parse_follow_query(text)
    if not query and kind == "series":
        listed = [s for s in await store.series.all() if s.years]
        await reply(update, context, *render.series_list(t, listed, await followed_ids(store, chat.id, "series")))
        return
    if not query and kind == "team":
        await _ask_team(update, context, chat, t)
        return
    if not query:
        await reply(update, context, render.follow_usage(t, await store.drivers.follow_examples()))
        return
    found = await find_targets(store, kind, query, said, chat.id)
    if found.chosen is not None:
        new = await store.chats.follow(chat.id, found.chosen.kind, found.chosen.id)
        await reply(update, context, render.followed(t, target(found.chosen), new))
        await replan_reminders(context, chat.id)
    elif found.choices:
        await reply(update, context, *render.follow_choices(t, query, found.choices))
    elif kind == "series":
        # Never a dead end: the series there are, to tap.
        listed = [s for s in await store.series.all() if s.years]
        followed = await followed_ids(store, chat.id, "series")
        await reply(update, context, *render.series_unknown(t, query, render.series_list(t, listed, followed)))
    else:
        await reply(update, context, *render.follow_none(t, kind, query, found.suggestions))


async def _ask_team(update: Update, context: Context, chat: Chat, t: Translator) -> None:
    """/follow team without a name: the teams of the chat's series, or first which series."""
    store = services(context).store
    listed = [s for s in await store.series.all() if s.years]
    own = await chat_series(store, chat.id)
    mine = [s for s in listed if s.slug in own]
    if len(mine) == 1 or len(listed) == 1:
        series = mine[0] if mine else listed[0]
        teams = await series_teams(store, series)
        await reply(update, context, *render.team_list(t, series, teams, 0, await followed_ids(store, chat.id, "team")))
        return
    choices = sorted(mine, key=lambda s: own.index(s.slug)) if mine else listed
    await reply(update, context, *render.team_series(t, choices))


async def follow_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    await follow_text(update, context, chat, t, command_text(context))


async def unfollow_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    if await refuse_non_admin(update, context, t):
        return
    store = services(context).store
    follows = await store.chats.follows(chat.id)
    kind, name, said = parse_follow_query(command_text(context)[:MAX_QUERY])
    if not name:
        await reply(update, context, *await _following(store, t, follows))
        return
    matches = followed_matches(follows, kind, name, said)
    if not matches:
        await reply(update, context, *render.not_following(t, name, await _following(store, t, follows)))
        return
    if len(matches) > 1:
        await reply(update, context, *render.unfollow_choices(t, name, matches))
        return
    gone = matches[0]
    await store.chats.unfollow(chat.id, gone.kind, gone.target_id)
    await reply(update, context, render.unfollowed(t, gone.name, True))
    await replan_reminders(context, chat.id)


async def following_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    await reply(update, context, *await _following(store, t, await store.chats.follows(chat.id)))


async def on_button(update: Update, context: Context, action: FollowAction | TeamPageAction) -> None:
    chat, t = await chat_for(update, context)
    if isinstance(action, TeamPageAction):
        await _team_page(update, context, chat, t, action)
        return
    if await refuse_non_admin(update, context, t):
        return
    store = services(context).store
    query = update.callback_query
    if action.follow:
        name = await _target_name(context, action)
        if name is None:
            if query:
                await query.answer(t("That button has expired — send the command again."), show_alert=True)
            return
        new = await store.chats.follow(chat.id, action.kind, action.target_id)
        if query:
            await query.answer(t("Following {name}", name=name) if new else t("Already following {name}", name=name))
        await edit_or_reply(
            update,
            context,
            render.followed(t, Target(action.kind, action.target_id, name), new),  # type: ignore[arg-type]
            None,
        )
        await replan_reminders(context, chat.id)
        return
    follows = await store.chats.follows(chat.id)
    gone = next((f for f in follows if f.kind == action.kind and f.target_id == action.target_id), None)
    await store.chats.unfollow(chat.id, action.kind, action.target_id)
    if query:
        await query.answer(t("Stopped following {name}", name=gone.name) if gone else None)
    await edit_or_reply(update, context, *await _following(store, t, await store.chats.follows(chat.id)))
    await replan_reminders(context, chat.id)


async def _team_page(update: Update, context: Context, chat: Chat, t: Translator, action: TeamPageAction) -> None:
    store = services(context).store
    query = update.callback_query
    series = next((s for s in await store.series.all() if s.id == action.series_id), None)
    if series is None:
        if query:
            await query.answer(t("That button has expired — send the command again."), show_alert=True)
        return
    if query:
        await query.answer()
    teams = await series_teams(store, series)
    view = render.team_list(t, series, teams, action.page, await followed_ids(store, chat.id, "team"))
    await edit_or_reply(update, context, *view)


async def _following(store: Store, t: Translator, follows: list[Follow]) -> render.Rendered:
    """The chat's follows; with none, a hint naming a driver the store knows."""
    examples = None if follows else await store.drivers.follow_examples()
    return render.following(t, follows, examples.driver if examples else None)


async def _target_name(context: Context, action: FollowAction) -> str | None:
    store = services(context).store
    if action.kind == "driver":
        return await store.drivers.driver_name(action.target_id)
    if action.kind == "team":
        return await store.people.team_name(action.target_id)
    return next((s.name for s in await store.series.all() if s.id == action.target_id), None)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("follow", follow_command))
    app.add_handler(CommandHandler("unfollow", unfollow_command))
    app.add_handler(CommandHandler("following", following_command))
    app.add_handler(buttons(("fo", "uf", "ft"), on_button))

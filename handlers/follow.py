"""/follow, /unfollow, /following and their buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import render
from bot.callbacks import FollowAction
from bot.i18n import Translator
from bot.services import Target, find_targets, parse_follow_query, suggestions
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
    if not text:
        await reply(update, context, render.follow_usage(t, await services(context).store.follow_examples()))
        return
    store = services(context).store
    kind, query = parse_follow_query(text)
    found = await find_targets(store, kind, query)
    if found.exact is not None:
        new = await store.chats.follow(chat.id, found.exact.kind, found.exact.id)
        await reply(update, context, render.followed(t, found.exact, new))
        await replan_reminders(context, chat.id)
    elif found.choices:
        await reply(update, context, *render.follow_choices(t, query, found.choices))
    else:
        close = (
            [Target("driver", m.driver_id, m.name) for m in await suggestions(store, query)] if kind == "driver" else []
        )
        await reply(update, context, *render.follow_none(t, query, close))


async def follow_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    await follow_text(update, context, chat, t, command_text(context))


async def unfollow_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    if await refuse_non_admin(update, context, t):
        return
    store = services(context).store
    follows = await store.chats.follows(chat.id)
    query = command_text(context)[:MAX_QUERY]
    if query:
        kind, name = parse_follow_query(query)
        found = await find_targets(store, kind, name)
        target = found.exact or (found.choices[0] if len(found.choices) == 1 else None)
        followed = {(f.kind, f.target_id) for f in follows}
        if target is None:
            target = next(
                (
                    Target(f.kind, f.target_id, f.name)  # type: ignore[arg-type]
                    for f in follows
                    if name.casefold() in f.name.casefold()
                ),
                None,
            )
        if target is not None and (target.kind, target.id) in followed:
            await store.chats.unfollow(chat.id, target.kind, target.id)
            await reply(update, context, render.unfollowed(t, target.name, True))
            await replan_reminders(context, chat.id)
            return
        if target is not None:
            await reply(update, context, render.unfollowed(t, target.name, False))
            return
    await reply(update, context, *await _following(store, t, follows))


async def following_command(update: Update, context: Context) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    await reply(update, context, *await _following(store, t, await store.chats.follows(chat.id)))


async def on_button(update: Update, context: Context, action: FollowAction) -> None:
    chat, t = await chat_for(update, context)
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


async def _following(store: Store, t: Translator, follows: list[Follow]) -> render.Rendered:
    """The chat's follows; with none, a hint naming a driver the store knows."""
    examples = None if follows else await store.follow_examples()
    return render.following(t, follows, examples[0] if examples else None)


async def _target_name(context: Context, action: FollowAction) -> str | None:
    store = services(context).store
    if action.kind == "driver":
        return await store.driver_name(action.target_id)
    if action.kind == "team":
        return next((team.name for team in await store.chats.teams() if team.team_id == action.target_id), None)
    return next((s.name for s in await store.series() if s.id == action.target_id), None)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("follow", follow_command))
    app.add_handler(CommandHandler("unfollow", unfollow_command))
    app.add_handler(CommandHandler("following", following_command))
    app.add_handler(buttons(("fo", "uf"), on_button))

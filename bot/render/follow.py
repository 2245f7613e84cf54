"""Follows: confirmations, choices between matches, the follow list."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, e
from bot.services import Target
from storage.chats import Follow


def kind_label(t: Translator, kind: str) -> str:
    return {"driver": t("driver"), "team": t("team"), "series": t("series")}.get(kind, kind)


def followed(t: Translator, target: Target, new: bool) -> str:
    if new:
        return (
            t("✅ Now following {name}.", name=f"<b>{e(target.name)}</b>")
            + "\n"
            + t("You will get reminders before their races and a summary after. Try /next.")
        )
    return t("You already follow {name}.", name=f"<b>{e(target.name)}</b>")


def follow_choices(t: Translator, query: str, targets: list[Target]) -> Rendered:
    buttons = [
        [InlineKeyboardButton(target.name, callback_data=callbacks.follow(target.kind, target.id))]
        for target in targets[:8]
    ]
    return t("Several matches for “{query}” — which one?", query=e(query)), InlineKeyboardMarkup(buttons)


def follow_none(t: Translator, query: str, suggestions: list[Target]) -> Rendered:
    text = t("I know no one called “{query}”.", query=e(query))
    if not suggestions:
        return text + "\n" + t("Check the spelling, or try the surname only."), None
    buttons = [[InlineKeyboardButton(s.name, callback_data=callbacks.follow(s.kind, s.id))] for s in suggestions]
    return text + "\n" + t("Did you mean:"), InlineKeyboardMarkup(buttons)


def follow_usage(t: Translator, examples: tuple[str, str, str] | None) -> str:
    """`examples`: (driver, series slug, team) from the store (Store.follow_examples); None on an empty store."""
    if examples is None:
        return t("Whom should I follow? For example: {examples}", examples="<code>/follow NAME</code>")
    driver, series, team = (e(x) for x in examples)
    return t(
        "Whom should I follow? For example: {examples}",
        examples=f"<code>/follow {driver}</code>, <code>/follow series {series}</code>,"
        f" <code>/follow team {team}</code>",
    )


def following(t: Translator, follows: list[Follow], example: str | None = None) -> Rendered:
    """`example`: a driver's name from the store for the hint when the chat follows no one."""
    if not follows:
        return t(
            "This chat follows no one yet. Try {example}.", example=f"<code>/follow {e(example or 'NAME')}</code>"
        ), None
    lines = [f"<b>{t('Following')}</b>"]
    lines += [f"• {e(f.name)} <i>({kind_label(t, f.kind)})</i>" for f in follows]
    buttons = [
        [InlineKeyboardButton("✖ " + f.name, callback_data=callbacks.unfollow(f.kind, f.target_id))]
        for f in follows[:20]
    ]
    return "\n".join(lines) + "\n\n" + t("Tap a name to stop following."), InlineKeyboardMarkup(buttons)


def unfollowed(t: Translator, name: str, done: bool) -> str:
    if done:
        return t("Stopped following {name}.", name=f"<b>{e(name)}</b>")
    return t("This chat does not follow {name}.", name=f"<b>{e(name)}</b>")

"""What the bot says when a command cannot answer yet: which series?, or what was not found."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, e
from bot.standings.service import NoRules, NotFound


def pick_series(t: Translator, series: list[tuple[int, str]], command: str) -> Rendered:
    buttons = [
        [InlineKeyboardButton(name, callback_data=callbacks.standings(sid, 0, 0, False))] for sid, name in series
    ]
    if command != "standings":
        buttons = [
            [InlineKeyboardButton(name, callback_data=callbacks.series_command(command, sid))] for sid, name in series
        ]
    return t("Which series?"), InlineKeyboardMarkup(buttons) if buttons else None


def not_found(t: Translator, problem: NotFound) -> str:
    """A lookup that found nothing, in the chat's language where the bot has the words for it."""
    if isinstance(problem, NoRules):
        start = problem.start_from
        text = t(
            "No points rules for {season} yet. An admin can import them as a Pitboard JSON file (format:"
            " {doc}), starting from the shipped {example} definition <code>{file}</code>.",
            season=e(f"{problem.series_name} {problem.year}"),
            doc=f"<code>{e(problem.doc)}</code>",
            example=e(f"{start.name} {start.year}"),
            file=e(start.path.name),
        )
        return text
    if problem.message:
        return t(problem.message, **{k: e(v) for k, v in problem.values.items()})
    return e(str(problem))

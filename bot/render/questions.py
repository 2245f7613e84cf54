"""What the bot says when a command cannot answer yet: which series?, or what was not found."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, championship_name, e
from bot.services.season import NoRules, NotFound


def pick_series(
    t: Translator, series: list[tuple[int, str]], command: str, *, admin: bool = False, shipped: tuple[str, ...] = ()
) -> Rendered:
    """Which series? — with a button per series; with none stored, what to do instead (see `no_series`)."""
    if not series:
        return no_series(t, admin, shipped), None
    buttons = [
        [InlineKeyboardButton(name, callback_data=callbacks.standings(sid, 0, 0, False))] for sid, name in series
    ]
    if command != "standings":
        buttons = [
            [InlineKeyboardButton(name, callback_data=callbacks.series_command(command, sid))] for sid, name in series
        ]
    return t("Which series?"), InlineKeyboardMarkup(buttons)


def no_series(t: Translator, admin: bool, shipped: tuple[str, ...]) -> str:
    """An empty store. `admin`: the reader can load data (how, on the server and here); `shipped`: the series
    whose rules and calendars come with Pitboard."""
    if not admin:
        return t("No series is loaded yet, so there is nothing to show. An admin of this bot has to load one first.")
    lines = [
        t("No series is loaded yet. To load one:"),
        "• "
        + t(
            "on the server: {command} with result files, a folder or a URL (add {quiet} for past seasons), or"
            " {sync} for Formula 1 from Jolpica-F1;",
            command="<code>pitboard import PATH</code>",
            quiet="<code>--quiet</code>",
            sync="<code>pitboard sync f1</code>",
        ),
        "• "
        + t(
            "here (Pitboard admins): send a result file with the caption {command}, or {url}.",
            command="<code>/import</code>",
            url="<code>/import https://…</code>",
        ),
    ]
    if shipped:
        lines.append(
            t(
                "Points rules and calendars ship with Pitboard for {series}: they apply themselves when that"
                " series' results are imported.",
                series=", ".join(e(name) for name in shipped),
            )
        )
    return "\n".join(lines)


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
        values = {k: championship_name(t, str(v)) if k == "championship" else v for k, v in problem.values.items()}
        return t(problem.message, **{k: e(v) for k, v in values.items()})
    return e(str(problem))

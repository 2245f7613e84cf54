"""Championship tables and the questions asked before one."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, championship_name, e
from bot.services.season import NotFound, StandingsTable
from bot.services.standings import Row, View

NAME_WIDTH = 20  # the table must fit a phone's width
# Championship names the shipped definitions use, so a German chat reads them in German.
CHAMPIONSHIP_KEYS = {
    "drivers": "Drivers' Championship",
    "constructors": "Constructors' Championship",
    "overall": "Overall",
    "sprint": "Sprint Cup",
    "endurance": "Endurance Cup",
}


def _rows(t: Translator, table: StandingsTable, rows: Sequence[Row], others: Sequence[Row]) -> list[str]:
    subject = t("Team") if table.subject == "teams" else t("Driver")
    width = min(NAME_WIDTH, max([len(subject), *(len(r.name) for r in [*rows, *others])]))
    lines = [f" {'#':>3} {subject:<{width}} {t('Pts'):>6} {t('Gap'):>6}"]

    def line(row: Row) -> str:
        mark = "»" if row.mine else " "
        name = row.name if len(row.name) <= width else row.name[: width - 1] + "…"
        gap = "" if row.gap is None else "-" + t.points(row.gap)
        return f"{mark}{row.position or '–':>3} {name:<{width}} {t.points(row.points):>6} {gap:>6}"

    lines += [line(r) for r in rows]
    if others:
        lines.append(f" {'…':>3}")
        lines += [line(r) for r in others]
    return lines


def standings(t: Translator, view: View, series_buttons: list[tuple[int, str]]) -> Rendered:
    table = view.table
    title = f"{e(table.series_name)} {table.year} — {e(championship_name(t, table.championship))}"
    if table.car_class:
        title += f" — {e(table.car_class)}"
    if view.teams and view.other_subject:
        title += f" — {e(t('Teams'))}"
    lines = _rows(t, table, view.rows, view.others)
    source = t("official") if table.source == "official" else t("computed from results")
    footer = t("{source}, after {event}", source=source, event=e(table.after_event or "—"))
    if view.pages > 1:
        footer += " · " + t("page {page} of {pages}", page=view.page + 1, pages=view.pages)
    if any(r.mine for r in [*view.rows, *view.others]):
        footer += " · » " + (t("your teams") if view.teams else t("your drivers"))
    notes = "".join(f"{not_found_text(t, note)}\n" for note in view.notes)
    text = f"{notes}<b>{title}</b>\n<pre>{e(chr(10).join(lines))}</pre>\n<i>{footer}</i>"
    return text, InlineKeyboardMarkup(_keyboard(t, view, series_buttons))


def not_found_text(t: Translator, problem: NotFound) -> str:
    if not problem.message:
        return e(str(problem))
    values = {k: e(championship_name(t, str(v)) if k == "championship" else v) for k, v in problem.values.items()}
    return t(problem.message, **values)


def _keyboard(t: Translator, view: View, series_buttons: list[tuple[int, str]]) -> list[list[InlineKeyboardButton]]:
    table = view.table
    sid, year, champ, cls, teams = view.series.id, table.year, view.championship_index, view.class_index, view.teams

    def data(*, year: int = year, champ: int = champ, cls: int = cls, teams: bool = teams, page: int = 0) -> str:
        return callbacks.standings_view(sid, year, champ, cls, teams, page)

    keyboard: list[list[InlineKeyboardButton]] = []
    if view.pages > 1:
        paging = []
        if view.page > 0:
            paging.append(InlineKeyboardButton("◀", callback_data=data(page=view.page - 1)))
        if view.page < view.pages - 1:
            paging.append(InlineKeyboardButton("▶", callback_data=data(page=view.page + 1)))
        keyboard.append(paging)
    if len(table.classes) > 1:
        row_buttons = [
            InlineKeyboardButton(("• " if name == table.car_class else "") + name, callback_data=data(cls=index + 1))
            for index, name in enumerate(table.classes)
        ]
        keyboard += [row_buttons[i : i + 3] for i in range(0, len(row_buttons), 3)]
    if len(view.championships) > 1:
        # A class keeps its name across championships, not always its place (the Sprint Cup has no Pro-Am).
        champ_buttons = [
            InlineKeyboardButton(
                ("• " if index == champ else "") + championship_name(t, name),
                callback_data=data(champ=index, cls=view.class_index_in(index), teams=teams and "teams" in subjects),
            )
            for index, (_, name, subjects) in enumerate(view.championships)
        ]
        keyboard += [champ_buttons[i : i + 3] for i in range(0, len(champ_buttons), 3)]
    actions = []
    if view.other_subject:
        other = t("Drivers") if teams else t("Teams")
        actions.append(InlineKeyboardButton(other, callback_data=data(teams=not teams)))
    actions.append(InlineKeyboardButton(t("📈 Chart"), callback_data=callbacks.chart(sid, year, champ, cls, teams)))
    keyboard.append(actions)
    seasons = []
    if view.previous_year:
        seasons.append(InlineKeyboardButton(f"⏪ {view.previous_year}", callback_data=data(year=view.previous_year)))
    if view.next_year:
        seasons.append(InlineKeyboardButton(f"{view.next_year} ⏩", callback_data=data(year=view.next_year)))
    if seasons:
        keyboard.append(seasons)
    others = [
        InlineKeyboardButton(name, callback_data=callbacks.standings_view(other_id, 0, 0, 0, False))
        for other_id, name in series_buttons
        if other_id != sid
    ]
    keyboard += [others[i : i + 3] for i in range(0, len(others), 3)]
    return keyboard


def understood(
    t: Translator,
    unknown: Sequence[str],
    season: int | None,
    championship: str | None,
    car_class: str | None,
    teams: bool | None,
) -> str:
    """What a command line said that was understood, and what was not: the head of the question that follows."""
    parts = []
    if season:
        parts.append(str(season))
    if championship:
        parts.append(e(championship_name(t, CHAMPIONSHIP_KEYS.get(championship, championship))))
    if car_class:
        parts.append(e(car_class))
    if teams is not None:
        parts.append(t("Teams") if teams else t("Drivers"))
    text = ""
    if unknown:
        text += t("I did not understand “{words}”.", words=e(" ".join(unknown))) + " "
    if parts:
        text += t("Understood: {what}.", what=", ".join(parts)) + " "
    return text


def pick_standings_series(
    t: Translator, head: str, choices: Sequence[tuple[int, str, tuple[int, int, int, bool]]]
) -> Rendered:
    """ "Which series?" with one button per series, each keeping the season, championship, class and subject."""
    buttons = [
        [InlineKeyboardButton(name, callback_data=callbacks.standings_view(sid, year, champ, cls, teams))]
        for sid, name, (year, champ, cls, teams) in choices
    ]
    return head + t("Which series?"), InlineKeyboardMarkup(buttons) if buttons else None


def season_missing(t: Translator, problem: NotFound, choices: Sequence[tuple[int, str, int]]) -> Rendered:
    """A season the series does not have: say so, and offer the seasons (and series) there are."""
    buttons = [
        [InlineKeyboardButton(f"{name} {year}", callback_data=callbacks.standings_view(sid, year, 0, 0, False))]
        for sid, name, year in choices
    ]
    return not_found_text(t, problem), InlineKeyboardMarkup(buttons) if buttons else None

"""Championship tables and the questions asked before one."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.render.common import MAX_TABLE_ROWS, Rendered, e
from bot.standings.service import StandingsTable


def standings(
    t: Translator, table: StandingsTable, highlight: set[int], series_buttons: list[tuple[int, str]], series_id: int
) -> Rendered:
    title = f"{e(table.series_name)} {table.year} — {e(table.championship)}"
    if table.car_class:
        title += f" — {e(table.car_class)}"
    subject = t("Team") if table.subject == "teams" else t("Driver")
    rows = table.rows[:MAX_TABLE_ROWS]
    marked = [r for r in table.rows[MAX_TABLE_ROWS:] if r.subject_id in highlight]
    width = min(24, max([len(subject), *(len(r.name) for r in rows + marked)]))
    lines = [f"{'':1}{'#':>3} {subject:<{width}} {t('Pts'):>6}"]
    for row in [*rows, *marked]:
        mark = "»" if row.subject_id in highlight else " "
        name = row.name if len(row.name) <= width else row.name[: width - 1] + "…"
        lines.append(f"{mark}{row.position or '–':>3} {name:<{width}} {t.points(row.points):>6}")
    source = t("official") if table.source == "official" else t("computed from results")
    footer = t("{source}, after {event}", source=source, event=e(table.after_event or "—"))
    if highlight & {r.subject_id for r in table.rows}:
        footer += " · » " + t("your drivers")
    text = f"<b>{title}</b>\n<pre>{e(chr(10).join(lines))}</pre>\n<i>{footer}</i>"
    keyboard: list[list[InlineKeyboardButton]] = []
    if table.classes and len(table.classes) > 1:
        row_buttons = []
        for index, name in enumerate(table.classes):
            label = ("• " if name == table.car_class else "") + name
            row_buttons.append(
                InlineKeyboardButton(
                    label, callback_data=callbacks.standings(series_id, table.year, index + 1, table.subject == "teams")
                )
            )
        keyboard += [row_buttons[i : i + 3] for i in range(0, len(row_buttons), 3)]
    class_index = table.classes.index(table.car_class) + 1 if table.car_class in table.classes else 0
    other = t("Drivers") if table.subject == "teams" else t("Teams")
    keyboard.append(
        [
            InlineKeyboardButton(
                other, callback_data=callbacks.standings(series_id, table.year, class_index, table.subject != "teams")
            )
        ]
    )
    others = [
        InlineKeyboardButton(name, callback_data=callbacks.standings(sid, 0, 0, False))
        for sid, name in series_buttons
        if sid != series_id
    ]
    keyboard += [others[i : i + 3] for i in range(0, len(others), 3)]
    return text, InlineKeyboardMarkup(keyboard)

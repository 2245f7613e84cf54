"""Shared pieces of every view: HTML escaping and the rendered (text, keyboard) pair."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

from bot.i18n import N_, Translator

Rendered = tuple[str, InlineKeyboardMarkup | None]
STATUS_SHORT = {"not_classified": "NC", "dnf": "DNF", "dns": "DNS", "dsq": "DSQ"}
MAX_TABLE_ROWS = 25


def e(value: object) -> str:
    return escape(str(value), quote=False)


# Championship names the shipped definitions use, translated where shown (other names are data).
CHAMPIONSHIP_NAMES = {
    "Drivers' Championship": N_("Drivers' Championship"),
    "Constructors' Championship": N_("Constructors' Championship"),
    "Overall": N_("Overall"),
    "Sprint Cup": N_("Sprint Cup"),
    "Endurance Cup": N_("Endurance Cup"),
}


def championship_name(t: Translator, name: str) -> str:
    known = CHAMPIONSHIP_NAMES.get(name)
    return t(known) if known else name

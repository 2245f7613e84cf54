"""Shared pieces of every view: HTML escaping and the rendered (text, keyboard) pair."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardMarkup

Rendered = tuple[str, InlineKeyboardMarkup | None]
STATUS_SHORT = {"not_classified": "NC", "dnf": "DNF", "dns": "DNS", "dsq": "DSQ"}
MAX_TABLE_ROWS = 25


def e(value: object) -> str:
    return escape(str(value), quote=False)

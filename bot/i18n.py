"""German and English: gettext catalogs (compiled from .po with Babel at start) and locale formatting."""

from __future__ import annotations

import io
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_interval
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LANGUAGES = ("en", "de")
DEFAULT_LANGUAGE = "en"
DOMAIN = "pitboard"


def pick_language(code: str | None) -> str:
    """Telegram's language_code ('de', 'de-AT', 'en-GB') → a language we speak."""
    base = (code or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return NullTranslations()
    po_file = resources.files("bot").joinpath("locales", language, "LC_MESSAGES", f"{DOMAIN}.po")
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer, domain=DOMAIN)


def N_(message: str) -> str:
    """Marks a message for extraction where it is translated later (command descriptions)."""
    return message


class Translator:
    """`t("Hello {name}", name=x)` and `t.n("{n} driver", "{n} drivers", n)` in the chat's language."""

    def __init__(self, language: str) -> None:
        self.language = pick_language(language)
        self._catalog = translations(self.language)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._catalog.gettext(message)
        return text.format(**values) if values else text

    def n(self, singular: str, plural: str, count: int, **values: Any) -> str:
        return self._catalog.ngettext(singular, plural, count).format(n=count, **values)

    def points(self, value: float) -> str:
        return format_decimal(value, format="#,##0.#", locale=self.language)

    def number(self, value: int) -> str:
        return format_decimal(value, locale=self.language)

    def when(self, moment: datetime, timezone: str) -> str:
        zone = ZoneInfo(timezone)
        pattern = "EEE d MMM HH:mm" if self.language == "en" else "EEE d. MMM HH:mm"
        return format_datetime(moment, pattern, tzinfo=zone, locale=self.language)

    def time(self, moment: datetime, timezone: str) -> str:
        return format_datetime(moment, "HH:mm", tzinfo=ZoneInfo(timezone), locale=self.language)

    def date(self, day: datetime | Any) -> str:
        pattern = "EEE d MMM yyyy" if self.language == "en" else "EEE d. MMM yyyy"
        return format_date(day, pattern, locale=self.language)

    def date_range(self, first: Any, last: Any) -> str:
        return format_interval(first, last, "MMMEd", locale=self.language)

    def zone_name(self, moment: datetime, timezone: str) -> str:
        return moment.astimezone(ZoneInfo(timezone)).strftime("%Z")

"""One chat's settings, typed, with every default written once.

The store keeps the language and time zone in their own columns and the rest as a JSON object
(`chats.settings`). The JSON holds only what a chat changed: a key at its default is left out, so the
defaults here (and the SQL in storage/reminders.py, which is handed them as parameters) decide for
every chat that never touched it. Keys this class does not know are kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

DEFAULT_LANGUAGE = "en"
DEFAULT_TIMEZONE = "UTC"
DEFAULT_LEAD_MINUTES: tuple[int, ...] = (1440, 60)
LEAD_CHOICES: tuple[int, ...] = (1440, 180, 60, 15)
MAX_LEAD_MINUTES = 7 * 1440
ALERTS = ("race", "qualifying", "schedule")
# A German speaker most likely watches from Germany; other languages are too widely spread to guess.
LANGUAGE_ZONES = {"de": "Europe/Berlin"}


class Spoiler(Enum):
    """When a race summary shows the results: at once, only behind a button, or only after a delay."""

    OFF = "off"
    ASK = "ask"
    AFTER_6H = "6"
    AFTER_24H = "24"

    @property
    def safe(self) -> bool:
        return self is not Spoiler.OFF

    @property
    def delay_hours(self) -> int:
        return int(self.value) if self.value.isdigit() else 0

    @classmethod
    def of(cls, safe: bool, delay_hours: int) -> Spoiler:
        """The stored pair (spoiler_safe, spoiler_delay_hours) as one of the four choices; an odd delay
        written by an older version counts as the nearest longer choice."""
        if not safe:
            return cls.OFF
        if delay_hours <= 0:
            return cls.ASK
        return cls.AFTER_6H if delay_hours <= 6 else cls.AFTER_24H


def _bool(value: object, default: bool) -> bool:
    return value if isinstance(value, bool) else bool(value) if isinstance(value, int) else default


def _int(value: object, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return default
    try:
        return int(value)
    except ValueError:
        return default


def _leads(value: object) -> tuple[int, ...]:
    if not isinstance(value, list | tuple):
        return DEFAULT_LEAD_MINUTES
    leads = {_int(v, -1) for v in value}
    return tuple(sorted((m for m in leads if 0 < m <= MAX_LEAD_MINUTES), reverse=True))


@dataclass(frozen=True, slots=True)
class ChatSettings:
    timezone: str = DEFAULT_TIMEZONE
    language: str = DEFAULT_LANGUAGE
    reminder_minutes: tuple[int, ...] = DEFAULT_LEAD_MINUTES  # longest first
    alert_race: bool = True  # race and sprint reminders, and race summaries
    alert_qualifying: bool = False  # qualifying reminders
    alert_schedule: bool = True  # notices of moved or cancelled sessions
    spoiler: Spoiler = Spoiler.OFF
    thread_id: int | None = None  # the forum topic alerts go to (/here)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)  # keys a newer version wrote

    @classmethod
    def read(cls, language: str, timezone: str, stored: Mapping[str, Any]) -> ChatSettings:
        """From the store's columns and JSON; anything malformed counts as its default."""
        if not stored:  # most chats never change a setting: read for every alert, so kept cheap
            return cls(timezone or DEFAULT_TIMEZONE, language or DEFAULT_LANGUAGE)
        d = DEFAULTS
        return cls(
            timezone=timezone or d.timezone,
            language=language or d.language,
            reminder_minutes=_leads(stored.get("reminder_minutes", d.reminder_minutes)),
            alert_race=_bool(stored.get("alert_race"), d.alert_race),
            alert_qualifying=_bool(stored.get("alert_qualifying"), d.alert_qualifying),
            alert_schedule=_bool(stored.get("alert_schedule"), d.alert_schedule),
            spoiler=Spoiler.of(
                _bool(stored.get("spoiler_safe"), d.spoiler.safe),
                _int(stored.get("spoiler_delay_hours"), d.spoiler.delay_hours),
            ),
            thread_id=thread_of(stored),
            extra={k: v for k, v in stored.items() if k not in STORED_KEYS},
        )

    def stored(self) -> dict[str, Any]:
        """The JSON object for `chats.settings`: the keys that differ from their defaults, and unknown ones."""
        d = DEFAULTS
        out: dict[str, Any] = dict(self.extra)
        if self.reminder_minutes != d.reminder_minutes:
            out["reminder_minutes"] = list(self.reminder_minutes)
        for name in ALERTS:
            if self.alert(name) != d.alert(name):
                out[f"alert_{name}"] = self.alert(name)
        if self.spoiler != d.spoiler:
            out["spoiler_safe"] = self.spoiler.safe
            if self.spoiler.delay_hours:
                out["spoiler_delay_hours"] = self.spoiler.delay_hours
        if self.thread_id is not None:
            out["thread_id"] = self.thread_id
        return out

    def alert(self, name: str) -> bool:
        return bool(getattr(self, f"alert_{name}"))

    def with_alert(self, name: str, on: bool) -> ChatSettings:
        if name == "race":
            return replace(self, alert_race=on)
        if name == "qualifying":
            return replace(self, alert_qualifying=on)
        if name == "schedule":
            return replace(self, alert_schedule=on)
        raise ValueError(name)

    def with_lead(self, minutes: int, on: bool) -> ChatSettings:
        leads = set(self.reminder_minutes) | {minutes} if on else set(self.reminder_minutes) - {minutes}
        return replace(self, reminder_minutes=tuple(sorted(leads, reverse=True)))


DEFAULTS = ChatSettings()
STORED_KEYS = frozenset(
    {"reminder_minutes", "alert_race", "alert_qualifying", "alert_schedule", "spoiler_safe", "spoiler_delay_hours"}
    | {"thread_id"}
)


def thread_of(stored: Mapping[str, Any]) -> int | None:
    """The forum topic of a stored settings object, without reading the rest (the delivery's hot path)."""
    thread = stored.get("thread_id")
    return thread if isinstance(thread, int) and not isinstance(thread, bool) else None


def first_zone(language_code: str | None) -> str:
    """A new chat's time zone from its first user's Telegram language: 'de' → Europe/Berlin, a region that
    has one zone ('de-AT' → Europe/Vienna), otherwise UTC."""
    from bot.core.zone_lookup import country_zones  # babel's data loads only when a new chat needs it

    code = (language_code or "").replace("_", "-")
    base, _, region = code.partition("-")
    if region:
        zones = country_zones(region)
        if len(zones) == 1:
            return zones[0]
    return LANGUAGE_ZONES.get(base.casefold(), DEFAULT_TIMEZONE)

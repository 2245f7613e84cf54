"""/settings as sections (time zone, language, reminders, alerts, spoiler-safe), each with a back button,
and the answers of /timezone and /language.

Callback data: `se:sec:<section>` shows a section in place, `se:open:<section>` sends it as a new message
(from a note under another reply), the other `se:` names change one setting (handlers/settings.py).
"""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import callbacks
from bot.core.chat_settings import LEAD_CHOICES as LEAD_CHOICES
from bot.core.chat_settings import ChatSettings, Spoiler
from bot.core.zone_lookup import ZoneLookup, city_name, utc_offset_label
from bot.i18n import Translator
from bot.render.common import Rendered, e
from storage.chats import Chat

COMMON_ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Australia/Sydney",
    "UTC",
)
SECTIONS = ("main", "tz", "lang", "rem", "al", "sp")
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}  # each in its own language, as pickers show them
ON, OFF = "✅", "▫️"
CHOSEN, OTHER = "🔘", "⚪️"


def lead_label(t: Translator, minutes: int) -> str:
    return t.n("{n} h", "{n} h", minutes // 60) if minutes >= 60 else t.n("{n} min", "{n} min", minutes)


def spoiler_choice(t: Translator, choice: Spoiler) -> str:
    if choice is Spoiler.OFF:
        return t("off")
    if choice is Spoiler.ASK:
        return t("only when asked")
    return t.n("summary after {n} hour", "summary after {n} hours", choice.delay_hours)


def spoiler_label(t: Translator, s: dict[str, object]) -> str:
    """The spoiler-safe choice of a stored settings object (older callers)."""
    return spoiler_choice(t, ChatSettings.read("", "", s).spoiler)


def alert_label(t: Translator, name: str) -> str:
    return {
        "race": t("Race reminders and summaries"),
        "qualifying": t("Qualifying reminders"),
        "schedule": t("Schedule changes"),
    }[name]


def zone_label(t: Translator, zone: str) -> str:
    """A zone as a fan reads it: the city in the chat's language ('Wien'), or 'UTC+2' for a fixed offset."""
    return city_name(zone, t.language)


def _back(t: Translator) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton("◀ " + t("Back"), callback_data=callbacks.setting("sec", "main"))]


def _leads(t: Translator, s: ChatSettings) -> str:
    return ", ".join(lead_label(t, m) for m in s.reminder_minutes) or t("none")


def settings(t: Translator, chat: Chat) -> Rendered:
    """The main menu: every setting at a glance, one button per section."""
    s = chat.prefs
    alerts = ", ".join(
        f"{ON if s.alert(k) else OFF} {label}"
        for k, label in (("race", t("races")), ("qualifying", t("qualifying")), ("schedule", t("schedule changes")))
    )
    lines = [
        f"⚙️ <b>{t('Settings')}</b>",
        f"🕓 {t('Time zone')}: <b>{e(s.timezone)}</b>",
        f"🌐 {t('Language')}: <b>{LANGUAGE_NAMES.get(s.language, s.language)}</b>",
        f"⏰ {t('Reminders')}: <b>{_leads(t, s)}</b> {t('before a session')}",
        f"🔔 {t('Alerts')}: {alerts}",
        f"🙈 {t('Spoiler-safe')}: <b>{spoiler_choice(t, s.spoiler)}</b>",
        "",
        t("Choose what to change:"),
    ]
    section = callbacks.setting
    keyboard = [
        [
            InlineKeyboardButton("🕓 " + t("Time zone"), callback_data=section("sec", "tz")),
            InlineKeyboardButton("🌐 " + t("Language"), callback_data=section("sec", "lang")),
        ],
        [
            InlineKeyboardButton("⏰ " + t("Reminders"), callback_data=section("sec", "rem")),
            InlineKeyboardButton("🔔 " + t("Alerts"), callback_data=section("sec", "al")),
        ],
        [InlineKeyboardButton("🙈 " + t("Spoiler-safe"), callback_data=section("sec", "sp"))],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def settings_section(t: Translator, chat: Chat, name: str, now: datetime) -> Rendered:
    """One section of /settings; an unknown name shows the main menu."""
    if name == "tz":
        return timezone_section(t, chat, now)
    if name == "lang":
        return language_section(t, chat)
    if name == "rem":
        return reminders_section(t, chat)
    if name == "al":
        return alerts_section(t, chat)
    if name == "sp":
        return spoiler_section(t, chat)
    return settings(t, chat)


def timezone_section(t: Translator, chat: Chat, now: datetime) -> Rendered:
    zone = chat.timezone
    lines = [
        f"🕓 <b>{t('Time zone')}</b>",
        t(
            "Now: {zone} — it is {time} there ({offset}).",
            zone=f"<b>{e(zone)}</b>",
            time=t.time(now, zone),
            offset=utc_offset_label(zone, now),
        ),
        "",
        t("Pick one below, or send a city, a country or a UTC offset:"),
        "<code>/timezone Berlin</code> · <code>/timezone Deutschland</code> · <code>/timezone +2</code>",
    ]
    buttons = [
        InlineKeyboardButton(
            (CHOSEN + " " if z == zone else "") + zone_label(t, z),
            callback_data=callbacks.setting("tz", str(COMMON_ZONES.index(z))),
        )
        for z in COMMON_ZONES
    ]
    keyboard = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    keyboard.append(_back(t))
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def language_section(t: Translator, chat: Chat) -> Rendered:
    lines = [f"🌐 <b>{t('Language')}</b>", t("Which language should I speak in this chat?")]
    keyboard = [
        [
            InlineKeyboardButton(
                (CHOSEN + " " if chat.language == code else "") + label, callback_data=callbacks.setting("lang", code)
            )
            for code, label in LANGUAGE_NAMES.items()
        ],
        _back(t),
    ]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def reminders_section(t: Translator, chat: Chat) -> Rendered:
    s = chat.prefs
    lines = [
        f"⏰ <b>{t('Reminders')}</b>",
        t("Before each race, sprint and qualifying of what this chat follows, I send a reminder."),
        f"{t('Now')}: <b>{_leads(t, s)}</b> {t('before a session')}",
        "",
        t("Tap a time to switch it on or off:"),
    ]
    buttons = [
        InlineKeyboardButton(
            f"{ON if m in s.reminder_minutes else OFF} " + t("{time} before", time=lead_label(t, m)),
            callback_data=callbacks.setting("lead", str(m)),
        )
        for m in LEAD_CHOICES
    ]
    keyboard = [buttons[:2], buttons[2:], _back(t)]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def alerts_section(t: Translator, chat: Chat) -> Rendered:
    s = chat.prefs
    lines = [
        f"🔔 <b>{t('Alerts')}</b>",
        t("What should I send on my own?"),
        "• " + t("Races: reminders before races and sprints, and the summary after them."),
        "• " + t("Qualifying: reminders before qualifying sessions."),
        "• " + t("Schedule changes: a session moved or cancelled."),
    ]
    keyboard = [
        [
            InlineKeyboardButton(
                f"{ON if s.alert(k) else OFF} {alert_label(t, k)}", callback_data=callbacks.setting("alert", k)
            )
        ]
        for k in ("race", "qualifying", "schedule")
    ]
    keyboard.append(_back(t))
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def spoiler_section(t: Translator, chat: Chat) -> Rendered:
    chosen = chat.prefs.spoiler
    lines = [
        f"🙈 <b>{t('Spoiler-safe')}</b>",
        t("Watching a race later? Choose when the summary may show the results:"),
        f"• <b>{t('Off')}</b>: {t('the results right after the race.')}",
        f"• <b>{t('On request')}</b>: {t('a note that the race is over, with a button to show the results.')}",
        f"• <b>{t('After 6 h')}</b> / <b>{t('After 24 h')}</b>: {t('the note first, the results that much later.')}",
    ]
    labels = {
        Spoiler.OFF: t("Off"),
        Spoiler.ASK: t("On request"),
        Spoiler.AFTER_6H: t("After 6 h"),
        Spoiler.AFTER_24H: t("After 24 h"),
    }
    buttons = [
        InlineKeyboardButton(
            f"{CHOSEN if choice is chosen else OTHER} {label}", callback_data=callbacks.setting("spoiler", choice.value)
        )
        for choice, label in labels.items()
    ]
    keyboard = [buttons[:2], buttons[2:], _back(t)]
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


def zone_button(t: Translator, zone: str, now: datetime) -> InlineKeyboardButton | None:
    """A button that sets `zone`; None for a zone the callback data cannot carry."""
    data = callbacks.setting_zone(zone)
    if data is None:
        return None
    return InlineKeyboardButton(f"{zone_label(t, zone)} ({utc_offset_label(zone, now)})", callback_data=data)


def _zone_keyboard(t: Translator, zones: tuple[str, ...], now: datetime) -> list[list[InlineKeyboardButton]]:
    made = [b for b in (zone_button(t, z, now) for z in zones) if b is not None]
    rows = [made[i : i + 2] for i in range(0, len(made), 2)]
    rows.append([InlineKeyboardButton("🕓 " + t("More time zones"), callback_data=callbacks.setting("sec", "tz"))])
    return rows


def zone_set(t: Translator, lookup: ZoneLookup, zone: str, now: datetime) -> str:
    """The answer to `/timezone X` once X meant one zone."""
    text = t(
        "Time zone set to {zone}. Times are shown in it from now on.",
        zone=f"<b>{e(zone)}</b>",
    )
    text += " " + t("It is {time} there ({offset}).", time=t.time(now, zone), offset=utc_offset_label(zone, now))
    if lookup.fixed:
        text += "\n" + t(
            "That is a fixed offset: it does not follow daylight saving time. For that, send your city,"
            " e.g. {example}.",
            example="<code>/timezone Berlin</code>",
        )
    return text


def zone_question(t: Translator, wanted: str, lookup: ZoneLookup, now: datetime) -> Rendered:
    """`/timezone USA`: a country (or a city name, or an offset) with several local times — which one?"""
    text = t("“{place}” has several time zones. Which one is yours?", place=e(wanted[:64]))
    return text, InlineKeyboardMarkup(_zone_keyboard(t, lookup.zones, now))


def zone_unknown(t: Translator, wanted: str, suggestions: tuple[str, ...], now: datetime) -> Rendered:
    text = t(
        "I don't know a time zone “{zone}”. Send a city, a country or a UTC offset — for example {a}, {b} or {c}.",
        zone=e(wanted[:64]),
        a="<code>/timezone Berlin</code>",
        b="<code>/timezone Germany</code>",
        c="<code>/timezone +2</code>",
    )
    if suggestions:
        text += "\n" + t("Did you mean one of these?")
    return text, InlineKeyboardMarkup(_zone_keyboard(t, suggestions, now))


def zone_now(t: Translator, chat: Chat, now: datetime) -> Rendered:
    """`/timezone` alone: the time-zone section."""
    return timezone_section(t, chat, now)


def language_set(t: Translator) -> str:
    return t("I speak English in this chat now.")


def first_zone_note(t: Translator, zone: str) -> tuple[str, InlineKeyboardButton]:
    """Under a new chat's first reply: the time zone guessed from the user's language, and one tap to change it."""
    text = "🕓 " + t(
        "Time zone: {zone} (from your language) — change it with the button or {example}.",
        zone=f"<b>{e(zone)}</b>",
        example="<code>/timezone</code>",
    )
    return text, InlineKeyboardButton("🕓 " + t("Change time zone"), callback_data=callbacks.setting("open", "tz"))

"""The /settings view and the labels of its choices."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, e
from storage.chats import Chat

COMMON_ZONES = ("Europe/London", "Europe/Berlin", "Europe/Vienna", "America/New_York", "America/Los_Angeles", "UTC")
LEAD_CHOICES = (1440, 180, 60, 15)


def lead_label(t: Translator, minutes: int) -> str:
    return t.n("{n} h", "{n} h", minutes // 60) if minutes >= 60 else t.n("{n} min", "{n} min", minutes)


def spoiler_label(t: Translator, s: dict[str, object]) -> str:
    if not s.get("spoiler_safe"):
        return t("off")
    delay = int(str(s.get("spoiler_delay_hours", 0)))
    return t.n("summary after {n} hour", "summary after {n} hours", delay) if delay else t("only when asked")


def settings(t: Translator, chat: Chat) -> Rendered:
    s = chat.settings
    leads = s.get("reminder_minutes", [1440, 60])
    alerts = {
        "race": s.get("alert_race", True),
        "qualifying": s.get("alert_qualifying", False),
        "schedule": s.get("alert_schedule", True),
    }
    on, off = "✅", "▫️"
    lines = [
        f"<b>{t('Settings')}</b>",
        f"{t('Time zone')}: <b>{e(chat.timezone)}</b>",
        f"{t('Language')}: <b>{'Deutsch' if chat.language == 'de' else 'English'}</b>",
        f"{t('Reminders')}: <b>{', '.join(lead_label(t, m) for m in sorted(leads, reverse=True)) or t('none')}</b>"
        f" {t('before a session')}",
        f"{t('Alerts')}: "
        + ", ".join(
            f"{on if alerts[k] else off} {label}"
            for k, label in (("race", t("races")), ("qualifying", t("qualifying")), ("schedule", t("schedule changes")))
        ),
        f"{t('Spoiler-safe')}: <b>{spoiler_label(t, s)}</b>",
        "",
        t("Any zone: {example}", example="<code>/timezone America/Chicago</code>"),
    ]
    zone_buttons = [
        InlineKeyboardButton(
            ("• " if z == chat.timezone else "") + z.split("/")[-1].replace("_", " "),
            callback_data=callbacks.setting("tz", str(COMMON_ZONES.index(z))),
        )
        for z in COMMON_ZONES
    ]
    keyboard = [zone_buttons[:3], zone_buttons[3:]]
    keyboard.append(
        [
            InlineKeyboardButton(
                ("• " if chat.language == code else "") + label, callback_data=callbacks.setting("lang", code)
            )
            for code, label in (("en", "English"), ("de", "Deutsch"))
        ]
    )
    keyboard.append(
        [
            InlineKeyboardButton(
                (on if m in leads else off) + " " + lead_label(t, m), callback_data=callbacks.setting("lead", str(m))
            )
            for m in LEAD_CHOICES
        ]
    )
    keyboard.append(
        [
            InlineKeyboardButton((on if alerts[k] else off) + " " + label, callback_data=callbacks.setting("alert", k))
            for k, label in (("race", t("races")), ("qualifying", t("qualifying")), ("schedule", t("changes")))
        ]
    )
    keyboard.append(
        [
            InlineKeyboardButton(
                (on if s.get("spoiler_safe") else off) + " " + t("Spoiler-safe"),
                callback_data=callbacks.setting("spoiler", "x"),
            )
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)

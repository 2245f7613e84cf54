"""Settings that explain themselves (issue 10, item 6), end to end over HTTP against the Bot API stand-in.

The sections of /settings with their back buttons and confirmation toasts, spoiler-safe as four explicit
choices, /timezone by city, country or UTC offset, the time zone a new chat gets from its first user's
language, and the /language picker — in English and German. The store is an empty SQLite file: settings
need no race data. Plus the typed ChatSettings against the JSON older versions stored.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core.chat_settings import DEFAULTS, ChatSettings, Spoiler, first_zone
from bot.core.zone_lookup import find_zones
from storage.store import Store
from tests.botenv import BotEnv, buttons, running_bot
from tests.databases import new_db

ROOT = Path(__file__).resolve().parent.parent
EN, DE, AT, GB = 5101, 5102, 5103, 5104
USERS = {EN: "en", DE: "de", AT: "de-AT", GB: "en-GB"}
GROUP, GROUP_ADMIN, MEMBER = -1005100, 5110, 5111


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[BotEnv]:
    async with running_bot(new_db(tmp_path, "empty")) as running:
        for user, code in USERS.items():
            running.standin.user(user, first_name=f"U{user}", language_code=code)
        running.standin.user(GROUP_ADMIN, first_name="Gus", language_code="de")
        running.standin.user(MEMBER, first_name="Mia", language_code="en")
        running.standin.group(GROUP, title="Fans", admins=[GROUP_ADMIN], supergroup=True, bot_status="left")
        yield running
        assert running.errors() == []


def text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def labels(message: dict[str, Any]) -> list[str]:
    """Every button's label, the first-contact "change time zone" one included (botenv.buttons leaves it out)."""
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def toasts(env: BotEnv) -> list[str]:
    return [str(c.params.get("text", "")) for c in env.standin.calls if c.method == "answerCallbackQuery"]


async def say(env: BotEnv, chat: int, user: int, command: str) -> dict[str, Any]:
    replies = await env.say(chat, user, command)
    assert replies, f"no answer to {command}"
    return replies[-1]


async def press(env: BotEnv, chat: int, user: int, message: dict[str, Any], label: str) -> dict[str, Any]:
    """Press the button and return the message as it is afterwards (edited in place, or the new one)."""
    changed = await env.press(chat, user, message, label)
    assert changed, f"pressing {label!r} changed nothing"
    return changed[-1]


async def zone_of(env: BotEnv, chat: int) -> str:
    found = await env.store.chats.get(chat)
    assert found is not None
    return found.timezone


# --- English left in a German chat ----------------------------------------------------------------------

SETTINGS_MODULES = ("bot/render/settings.py", "handlers/settings.py")


def _english_fragments() -> list[str]:
    """Pieces of the settings texts' English originals (between placeholders, 6+ letters) that their German
    translation does not contain as well ("Qualifying" is German too)."""
    with (ROOT / "bot/locales/de/LC_MESSAGES/pitboard.po").open("rb") as handle:
        german = {m.id: m.string for m in read_po(handle, locale="de") if isinstance(m.id, str)}
    fragments: set[str] = set()
    for module in SETTINGS_MODULES:
        method = "bot.i18n_extract:extract"
        for _, message, _, _ in extract_from_file(method, str(ROOT / module)):
            for english in [message] if isinstance(message, str) else message:
                for piece in re.split(r"\{[a-z_]+\}", english):
                    piece = piece.strip(" .,:;—()“”")
                    if len(re.sub(r"[^A-Za-z]", "", piece)) >= 6 and piece not in str(german.get(english, "")):
                        fragments.add(piece)
    return sorted(fragments, key=len, reverse=True)


ENGLISH = _english_fragments()


def assert_german(*shown: str) -> None:
    for piece in shown:
        left = [f for f in ENGLISH if f in piece]
        assert not left, f"English in a German chat: {left} in {piece!r}"


# --- the sections ---------------------------------------------------------------------------------------

SECTION_LABELS = {
    "en": ["Time zone", "Language", "Reminders", "Alerts", "Spoiler-safe"],
    "de": ["Zeitzone", "Sprache", "Erinnerungen", "Meldungen", "Spoilerschutz"],
}


@pytest.mark.parametrize("user", [EN, DE])
async def test_every_section_has_labelled_buttons_and_leads_back(env: BotEnv, user: int) -> None:
    language = "de" if user == DE else "en"
    menu = await say(env, user, user, "/settings")
    assert all(any(want in label for label in labels(menu)) for want in SECTION_LABELS[language]), labels(menu)
    back = "Zurück" if language == "de" else "Back"
    for section in SECTION_LABELS[language]:
        view = await press(env, user, user, menu, section)
        assert view["message_id"] == menu["message_id"]  # shown in place, not as a new message
        assert section in view["text"] and all(label.strip() for label in labels(view))
        assert any(back in label for label in labels(view))
        menu = await press(env, user, user, view, back)
        assert SECTION_LABELS[language][0] in menu["text"]
        if language == "de":
            assert_german(view["text"], *labels(view), menu["text"], *labels(menu))


@pytest.mark.parametrize("user", [EN, DE])
async def test_each_change_is_confirmed_with_a_toast_and_stored(env: BotEnv, user: int) -> None:
    de = user == DE
    menu = await say(env, user, user, "/settings")
    zones = await press(env, user, user, menu, "Zeitzone" if de else "Time zone")
    vienna = await press(env, user, user, zones, "Wien" if de else "Vienna")
    assert toasts(env)[-1] == ("Zeitzone: Europe/Vienna" if de else "Time zone: Europe/Vienna")
    assert "🔘" in next(label for label in labels(vienna) if "Wien" in label or "Vienna" in label)

    menu = await press(env, user, user, vienna, "Zurück" if de else "Back")
    reminders = await press(env, user, user, menu, "Erinnerungen" if de else "Reminders")
    quarter = await press(env, user, user, reminders, "15 Min." if de else "15 min")
    assert toasts(env)[-1] == ("Erinnerung 15 Min. vorher: an" if de else "Reminder 15 min before: on")
    day = await press(env, user, user, quarter, "24 Std." if de else "24 h")
    assert toasts(env)[-1] == ("Erinnerung 24 Std. vorher: aus" if de else "Reminder 24 h before: off")

    menu = await press(env, user, user, day, "Zurück" if de else "Back")
    alerts = await press(env, user, user, menu, "Meldungen" if de else "Alerts")
    alerts = await press(env, user, user, alerts, "Qualifying")
    assert toasts(env)[-1] == ("Erinnerungen ans Qualifying: an" if de else "Qualifying reminders: on")
    await press(env, user, user, alerts, "Zeitplan" if de else "Schedule")
    assert toasts(env)[-1] == ("Zeitplanänderungen: aus" if de else "Schedule changes: off")

    chat = await env.store.chats.get(user)
    assert chat is not None
    prefs = chat.prefs
    assert prefs.timezone == "Europe/Vienna" and prefs.reminder_minutes == (60, 15)
    assert prefs.alert_qualifying and not prefs.alert_schedule and prefs.alert_race
    # Only what differs from the defaults is stored, in the JSON shape older versions wrote.
    assert chat.settings == {"alert_qualifying": True, "alert_schedule": False, "reminder_minutes": [60, 15]}
    if de:
        assert_german(*toasts(env), alerts["text"], *labels(alerts))


@pytest.mark.parametrize(
    ("choice_en", "choice_de", "safe", "delay"),
    [
        ("On request", "Auf Nachfrage", True, 0),
        ("After 6 h", "Nach 6 Std.", True, 6),
        ("After 24 h", "Nach 24 Std.", True, 24),
    ],
)
async def test_spoiler_safe_is_four_explicit_choices(
    env: BotEnv, choice_en: str, choice_de: str, safe: bool, delay: int
) -> None:
    for user, choice, off in ((EN, choice_en, "Off"), (DE, choice_de, "Aus")):
        menu = await say(env, user, user, "/settings")
        view = await press(env, user, user, menu, "Spoiler")
        assert [label[2:].strip() for label in labels(view)][:4] == (
            ["Off", "On request", "After 6 h", "After 24 h"]
            if user == EN
            else ["Aus", "Auf Nachfrage", "Nach 6 Std.", "Nach 24 Std."]
        )
        view = await press(env, user, user, view, choice)
        assert labels(view)[[label[2:].strip() for label in labels(view)].index(choice)].startswith("🔘")
        chat = await env.store.chats.get(user)
        assert chat is not None
        # The notifier reads these two keys (spoiler_safe + spoiler_delay_hours): "on request" is a teaser
        # with a button and no delay.
        assert chat.settings.get("spoiler_safe") is safe and chat.settings.get("spoiler_delay_hours", 0) == delay
        assert chat.prefs.spoiler.safe is safe and chat.prefs.spoiler.delay_hours == delay
        await press(env, user, user, view, off)
        chat = await env.store.chats.get(user)
        assert chat is not None and "spoiler_safe" not in chat.settings


async def test_the_old_spoiler_button_opens_the_choices(env: BotEnv) -> None:
    await say(env, EN, EN, "/settings")
    # A /settings message from before the sections: its one spoiler-safe button cycled through the choices.
    old = InlineKeyboardMarkup([[InlineKeyboardButton("▫️ Spoiler-safe", callback_data="v1:se:spoiler:x")]])
    sent = await env.app.bot_data["services"].delivery.send(EN, "Settings", old)
    assert sent is not None
    shown = await press(env, EN, EN, {"message_id": sent.message_id, "reply_markup": old.to_dict()}, "Spoiler")
    assert "On request" in str(labels(shown)) and "expired" not in " ".join(toasts(env))
    chat = await env.store.chats.get(EN)
    assert chat is not None and chat.prefs.spoiler is Spoiler.OFF  # opened, not changed


# --- /timezone ------------------------------------------------------------------------------------------

TYPED = [
    ("Berlin", "Europe/Berlin"),
    ("Wien", "Europe/Vienna"),
    ("Vienna", "Europe/Vienna"),
    ("Zürich", "Europe/Zurich"),
    ("+2", "Etc/GMT-2"),
    ("UTC-5", "Etc/GMT+5"),
    ("GMT+5:30", "Asia/Kolkata"),
    ("Deutschland", "Europe/Berlin"),
    ("Germany", "Europe/Berlin"),
    ("Österreich", "Europe/Vienna"),
    ("Europe/Berlin", "Europe/Berlin"),
    ("america/new_york", "America/New_York"),
]


@pytest.mark.parametrize(("typed", "zone"), TYPED)
async def test_timezone_by_city_country_or_offset(env: BotEnv, typed: str, zone: str) -> None:
    answer = await say(env, EN, EN, f"/timezone {typed}")
    assert await zone_of(env, EN) == zone
    assert f"Time zone set to {zone}" in answer["text"]
    fixed = "does not follow daylight saving time" in answer["text"]
    assert fixed == zone.startswith("Etc/")  # an offset says it is one


async def test_an_offset_in_german_says_it_is_fixed(env: BotEnv) -> None:
    answer = await say(env, DE, DE, "/timezone +2")
    assert "Zeitzone auf Etc/GMT-2 gesetzt" in answer["text"] and "Sommerzeit" in answer["text"]
    assert "(UTC+2)" in answer["text"]
    assert_german(answer["text"])


@pytest.mark.parametrize("user", [EN, DE])
async def test_a_country_with_several_zones_asks_with_buttons(env: BotEnv, user: int) -> None:
    question = await say(env, user, user, "/timezone USA")
    shown = labels(question)
    assert any("New York" in label for label in shown) and any("Los Angeles" in label for label in shown)
    assert len(shown) <= 11 and await zone_of(env, user) != "America/Chicago"
    chosen = await press(env, user, user, question, "Chicago")
    assert await zone_of(env, user) == "America/Chicago"
    assert toasts(env)[-1].endswith("America/Chicago")
    assert "America/Chicago" in chosen["text"]  # the message turns into the time-zone section
    if user == DE:
        assert "mehrere Zeitzonen" in question["text"]
        assert_german(question["text"], *shown, chosen["text"], *toasts(env))


@pytest.mark.parametrize("user", [EN, DE])
async def test_bad_time_zone_gets_a_friendly_answer_with_buttons(env: BotEnv, user: int) -> None:
    before = await zone_of(env, user) if await env.store.chats.get(user) else None
    answer = await say(env, user, user, "/timezone Mars/Base")
    assert await zone_of(env, user) == (before or await zone_of(env, user))
    assert "/timezone Berlin" in answer["text"] and labels(answer)  # never a dead end
    more = await press(env, user, user, answer, "Zeitzonen" if user == DE else "time zones")
    assert "🕓" in more["text"]
    typo = await say(env, user, user, "/timezone Deutchland")
    assert any("Berlin" in label for label in labels(typo))
    await press(env, user, user, typo, "Berlin")
    assert await zone_of(env, user) == "Europe/Berlin"
    if user == DE:
        assert "kenne ich nicht" in answer["text"]
        assert_german(answer["text"], *labels(answer), typo["text"])


async def test_timezone_alone_shows_the_section(env: BotEnv) -> None:
    shown = await say(env, DE, DE, "/timezone")
    assert "Zeitzone" in shown["text"] and "Europe/Berlin" in shown["text"] and "Wien" in str(labels(shown))


async def test_only_admins_change_a_groups_time_zone_but_everyone_may_look(env: BotEnv) -> None:
    env.standin.bot_added(GROUP, GROUP_ADMIN)
    await env.quiet()
    menu = await say(env, GROUP, MEMBER, "/settings")
    zones = await press(env, GROUP, MEMBER, menu, "Zeitzone")
    env.standin.press_button(GROUP, MEMBER, zones["message_id"], next(d for lab, d in buttons(zones) if "Wien" in lab))
    await env.quiet(0.5)
    assert "Nur die Admins" in toasts(env)[-1] and await zone_of(env, GROUP) == "Europe/Berlin"
    await press(env, GROUP, GROUP_ADMIN, zones, "Wien")
    assert await zone_of(env, GROUP) == "Europe/Vienna"


# --- first contact --------------------------------------------------------------------------------------


async def test_a_german_user_starts_on_berlin_is_told_and_can_change_it(env: BotEnv) -> None:
    welcome = await say(env, DE, DE, "/start")
    assert await zone_of(env, DE) == "Europe/Berlin"
    assert "Zeitzone: <b>Europe/Berlin</b>" in welcome["text"] or "Zeitzone: Europe/Berlin" in welcome["text"]
    assert "Zeitzone ändern" in str(labels(welcome))
    section = await env.press(DE, DE, welcome, "Zeitzone ändern")
    assert section[-1]["message_id"] != welcome["message_id"]  # the welcome stays; the section comes new
    assert "Wien" in str(labels(section[-1]))
    await press(env, DE, DE, section[-1], "Wien")
    assert await zone_of(env, DE) == "Europe/Vienna"
    later = await say(env, DE, DE, "/help")
    assert "Zeitzone ändern" not in str(labels(later))  # said once


async def test_first_contact_zone_per_language_and_region(env: BotEnv) -> None:
    english = await say(env, EN, EN, "/help")
    assert await zone_of(env, EN) == "UTC" and "Change time zone" not in str(labels(english))
    await say(env, AT, AT, "/help")
    assert await zone_of(env, AT) == "Europe/Vienna"
    british = await say(env, GB, GB, "/help")
    assert await zone_of(env, GB) == "Europe/London" and "Change time zone" in str(labels(british))


async def test_a_group_added_by_a_german_admin_starts_on_berlin(env: BotEnv) -> None:
    welcome = await env.after(GROUP, lambda: env.standin.bot_added(GROUP, GROUP_ADMIN))
    assert await zone_of(env, GROUP) == "Europe/Berlin"
    assert "Europe/Berlin" in text(welcome) and "Zeitzone ändern" in str(labels(welcome[-1]))


# --- /language ------------------------------------------------------------------------------------------


async def test_language_alone_shows_a_picker_and_the_argument_still_works(env: BotEnv) -> None:
    picker = await say(env, EN, EN, "/language")
    assert {"Deutsch", "English"} <= {label.split()[-1] for label in labels(picker)}
    german = await press(env, EN, EN, picker, "Deutsch")
    assert toasts(env)[-1] == "Sprache: Deutsch" and "Sprache" in german["text"]
    assert_german(german["text"], *labels(german))
    assert "English" in (await say(env, EN, EN, "/language en"))["text"]
    chat = await env.store.chats.get(EN)
    assert chat is not None and chat.language == "en"
    unknown = await say(env, EN, EN, "/language fr")
    assert "Deutsch" in str(labels(unknown))


# --- ChatSettings and the stored JSON -------------------------------------------------------------------


def test_chat_settings_read_what_older_versions_stored_and_write_it_back_alike() -> None:
    old = {"reminder_minutes": [60, 1440], "alert_qualifying": True, "spoiler_safe": True, "spoiler_delay_hours": 6}
    s = ChatSettings.read("de", "Europe/Vienna", {**old, "thread_id": 77, "future_key": "kept"})
    assert s.reminder_minutes == (1440, 60) and s.alert_qualifying and s.spoiler is Spoiler.AFTER_6H
    assert s.thread_id == 77 and s.stored()["future_key"] == "kept"
    # What is stored again: the same keys, less the leads (1440, 60 are the default, so not written).
    assert s.stored() == {
        "alert_qualifying": True,
        "spoiler_safe": True,
        "spoiler_delay_hours": 6,
        "thread_id": 77,
        "future_key": "kept",
    }
    assert "reminder_minutes" not in s.stored()  # (1440, 60) is the default: not written
    assert ChatSettings.read("en", "UTC", {}) == DEFAULTS and DEFAULTS.stored() == {}
    # Malformed values count as their defaults; an odd delay as the next longer choice.
    odd = ChatSettings.read("en", "UTC", {"reminder_minutes": "x", "alert_race": "yes", "spoiler_delay_hours": 3})
    assert odd.reminder_minutes == DEFAULTS.reminder_minutes and odd.alert_race is True
    assert Spoiler.of(True, 3) is Spoiler.AFTER_6H and Spoiler.of(True, 12) is Spoiler.AFTER_24H


async def test_the_reminder_sql_uses_the_defaults_of_chat_settings(tmp_path: Path) -> None:
    async with await Store.open(new_db(tmp_path, "s")) as store:
        await store.chats.add_many([(1, "private", "en"), (2, "private", "de")], [])
        await store.chats.set_many([(2, "UTC", {"reminder_minutes": [15]})])
        assert await store.reminders.leads_in_use() == set(DEFAULTS.reminder_minutes) | {15}


def test_first_zone_and_lookups_without_telegram() -> None:
    assert first_zone("de") == "Europe/Berlin" and first_zone("de-CH") == "Europe/Zurich"
    assert first_zone("en") == "UTC" and first_zone(None) == "UTC" and first_zone("en-US") == "UTC"
    now = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert find_zones("+15", now).zones == () and find_zones("", now).zones == ()
    assert find_zones("UTC+14", now).zones == ("Etc/GMT-14",) and find_zones("−3", now).zones == ("Etc/GMT+3",)
    usa = find_zones("usa", now).zones
    assert usa[0] == "America/New_York" and len(set(usa)) == len(usa) >= 6
    assert find_zones("x" * 100, now).kind == "none"

"""Groups and first contact, end to end: the real Application over HTTP against the Bot API stand-in, in
English and German. Replies in groups answer the command; other bots' and unknown commands in groups get no
answer; /help and the command menus per chat kind; the bot's descriptions; an empty store says what to do."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from telegram import (
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.ext import CommandHandler

from bot.app import publish_descriptions
from bot.i18n import Translator
from bot.render import menus
from handlers.common import Services
from tests.botenv import ADMIN_ID, BotEnv, running_bot
from tests.databases import new_db

EN, DE = 5001, 5002  # private users
MEMBER = {"en": 5101, "de": 5102}
ADMIN = {"en": 5201, "de": 5202}
GROUP = {"en": -1005301, "de": -1005302}
FORUM = -1005400


def text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def people(env: BotEnv) -> None:
    env.standin.user(EN, first_name="Ana", language_code="en")
    env.standin.user(DE, first_name="Ben", language_code="de")
    env.standin.user(ADMIN_ID, first_name="Root", language_code="en")
    for language in ("en", "de"):
        env.standin.user(MEMBER[language], first_name="Mia", language_code=language)
        env.standin.user(ADMIN[language], first_name="Gus", language_code=language)
        env.standin.group(
            GROUP[language],
            title=f"Fans {language}",
            admins=[ADMIN[language]],
            supergroup=True,
            bot_status="left",
        )


async def join(env: BotEnv, group: int, admin: int) -> None:
    """The bot is added by `admin` (the group speaks their language); its welcome is out before we go on."""
    await env.after(group, lambda: env.standin.bot_added(group, admin))


@pytest.fixture
async def env(copy_db: Path) -> AsyncIterator[BotEnv]:
    async with running_bot(copy_db) as running:
        people(running)
        yield running
        assert running.errors() == []


@pytest.fixture
async def empty(tmp_path: Path) -> AsyncIterator[BotEnv]:
    async with running_bot(new_db(tmp_path, "fresh")) as running:
        people(running)
        yield running
        assert running.errors() == []


async def ask(env: BotEnv, chat_id: int, user_id: int, command: str) -> tuple[int, list[dict[str, Any]]]:
    """The command's message id, and the bot's answer."""
    sent: dict[str, Any] = {}
    answer = await env.after(chat_id, lambda: sent.update(env.standin.send_text(chat_id, user_id, command)))
    return int(sent["message"]["message_id"]), answer


@pytest.mark.parametrize("language", ["en", "de"])
async def test_in_a_group_the_reply_answers_the_command_and_in_private_it_does_not(env: BotEnv, language: str) -> None:
    group, member = GROUP[language], MEMBER[language]
    await join(env, group, ADMIN[language])
    assert env.standin.messages(group)[-1]["reply_to_message_id"] is None  # the welcome answers no command
    asked, reply = await ask(env, group, member, "/standings gtwc-europe bronze")
    assert reply[0]["reply_to_message_id"] == asked
    assert ("Fahrer" if language == "de" else "Driver") in text(reply)
    pressed = await env.press(group, member, reply[0], "Gold Cup")  # a button edits its message: no new reply
    assert [m["message_id"] for m in pressed] == [reply[0]["message_id"]]
    user = EN if language == "en" else DE
    _, private = await ask(env, user, user, "/standings gtwc-europe bronze")
    assert private[0]["reply_to_message_id"] is None


async def test_a_reply_to_a_deleted_command_still_goes_out(env: BotEnv) -> None:
    group = GROUP["en"]
    await join(env, group, ADMIN["en"])
    sent = env.standin.send_text(group, MEMBER["en"], "/next")["message"]
    env.standin.delete_message(group, sent["message_id"])
    services = env.app.bot_data["services"]
    assert isinstance(services, Services)
    message = await services.delivery.send(group, "still here", reply_to=sent["message_id"])
    assert message is not None and message.reply_to_message is None
    assert [c for c in env.standin.calls if c.status >= 400] == []


async def ignored(env: BotEnv, chat_id: int, user_id: int, commands: list[str]) -> list[dict[str, Any]]:
    """Send `commands`, then /help: what the bot said (only /help's answer when the others are ignored)."""
    before = len(env.standin.messages(chat_id))
    for command in commands:
        env.standin.send_text(chat_id, user_id, command)
    await env.say(chat_id, user_id, "/help")
    await env.quiet(0.3)
    return env.standin.messages(chat_id)[before:]


@pytest.mark.parametrize("language", ["en", "de"])
async def test_other_bots_and_unknown_commands_in_groups_get_no_answer(env: BotEnv, language: str) -> None:
    group, member = GROUP[language], MEMBER[language]
    await join(env, group, ADMIN[language])
    said = await ignored(env, group, member, ["/foo", "/foo@otherbot", "/standings@otherbot", "/roll@dice_bot 6"])
    assert len(said) == 1 and ("Befehle" if language == "de" else "Commands") in said[0]["text"]
    addressed = await env.say(group, member, "/standings@pitboard_bot gtwc-europe bronze")
    assert "Bronze Cup" in text(addressed)


async def test_in_private_an_unknown_command_gets_the_friendly_answer_but_another_bots_none(env: BotEnv) -> None:
    assert "I don't know /foo" in text(await env.say(EN, EN, "/foo"))
    assert "/foo" in text(await env.say(DE, DE, "/foo")) and "/help" in text(await env.say(DE, DE, "/foo"))
    said = await ignored(env, EN, EN, ["/foo@otherbot"])
    assert len(said) == 1 and "Commands" in said[0]["text"]


@pytest.mark.parametrize("language", ["en", "de"])
async def test_help_per_chat_kind(env: BotEnv, language: str) -> None:
    user = EN if language == "en" else DE
    private = text(await env.say(user, user, "/help"))
    assert "/timezone" in private and "/language" in private and "/follow" in private
    assert "/here" not in private and "/broadcast" not in private
    assert "/broadcast" in text(await env.say(ADMIN_ID, ADMIN_ID, "/help"))

    group, member, admin = GROUP[language], MEMBER[language], ADMIN[language]
    await join(env, group, admin)
    for_member = text(await env.say(group, member, "/help"))
    admins_title = "Für die Admins der Gruppe" if language == "de" else "For the group's admins"
    everyone, _, for_admins = for_member.partition(admins_title)
    assert "/next" in everyone and "/follow " not in everyone and "/settings" not in everyone
    assert "/follow" in for_admins and "/settings" in for_admins and "/timezone" in for_admins
    assert "/here" not in for_member  # no topics in this group
    assert ("Nur die Admins" if language == "de" else "Only the group's admins") in for_member
    assert "Only the group's admins" not in text(await env.say(group, admin, "/help"))

    env.standin.group(FORUM, title="Forum", admins=[admin], supergroup=True, is_forum=True, bot_status="left")
    await join(env, FORUM, admin)
    forum = text(await env.say(FORUM, admin, "/help"))
    assert "/here" in forum
    if language == "de":
        assert "Befehle für alle hier" in for_member and "/here" in forum and "Thema" in forum


def registered(env: BotEnv) -> set[str]:
    return {
        command
        for group in env.app.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


async def test_command_menus_per_scope_and_language_hold_every_command(env: BotEnv) -> None:
    bot = env.app.bot
    scopes = {
        "private": BotCommandScopeAllPrivateChats(),
        "group": BotCommandScopeAllGroupChats(),
        "group_admin": BotCommandScopeAllChatAdministrators(),
        "bot_admin": BotCommandScopeChat(ADMIN_ID),
    }
    menus_read: dict[tuple[str, str], dict[str, str]] = {}
    for name, scope in scopes.items():
        for language in ("", "de"):
            commands = await bot.get_my_commands(scope=scope, language_code=language)
            menus_read[name, language] = {c.command: c.description for c in commands}
    # Every command the bot answers is in some menu, and every menu command is one the bot answers.
    shown = {command for menu in menus_read.values() for command in menu}
    assert shown == registered(env)
    private, group, group_admin, bot_admin = (set(menus_read[s, ""]) for s in scopes)
    assert {"follow", "timezone", "language", "settings", "start", "help"} <= private
    assert not private & {"here", "stats", "import", "broadcast"}
    assert {"next", "standings", "results", "help"} <= group and not group & {"follow", "settings", "here"}
    assert group < group_admin and {"follow", "unfollow", "settings", "here"} <= group_admin
    assert private < bot_admin and {"stats", "import", "broadcast"} <= bot_admin
    # The same commands in German, every description translated.
    for name in scopes:
        english, german = menus_read[name, ""], menus_read[name, "de"]
        assert list(english) == list(german)
        untranslated = [c for c in english if english[c] == german[c]]
        assert untranslated == [], (name, untranslated)
    assert menus_read["private", "de"]["driver"] == Translator("de")(
        next(c.description for c in menus.COMMANDS if c.name == "driver")
    )


async def test_descriptions_are_set_per_language_only_when_they_differ(env: BotEnv) -> None:
    assert "Pitboard" in env.standin.description("") and "Pitboard" in env.standin.description("de")
    assert env.standin.description("de") != env.standin.description("")
    assert env.standin.short_description("de") == Translator("de")(menus.SHORT_DESCRIPTION)
    assert len(env.standin.short_description("")) <= 120 and len(env.standin.description("de")) <= 512

    def sets() -> int:
        return sum(1 for c in env.standin.calls if c.method in ("setMyDescription", "setMyShortDescription"))

    assert sets() == 4  # two texts × two languages, at start
    await publish_descriptions(env.app.bot, env.standin.base_url)  # a restart: Telegram already holds them
    assert sets() == 4


EMPTY_USER = {"en": "No series is loaded yet", "de": "Es ist noch keine Serie geladen"}
EMPTY_ADMIN = "pitboard import"


@pytest.mark.parametrize(
    "command",
    ["/standings", "/calendar", "/results", "/standings bronze", "/follow verstappen", "/driver hamilton", "/next"],
)
@pytest.mark.parametrize("language", ["en", "de"])
async def test_an_empty_store_says_what_to_do(empty: BotEnv, command: str, language: str) -> None:
    user = EN if language == "en" else DE
    told = await empty.say(user, user, command)
    assert EMPTY_USER[language] in text(told) and EMPTY_ADMIN not in text(told)
    # No buttons but, in a German chat's first reply, the one that changes the time zone guessed from the language.
    markup = told[0].get("reply_markup") or {"inline_keyboard": []}
    assert all(b["callback_data"] == "v1:se:open:tz" for row in markup["inline_keyboard"] for b in row), markup
    if language == "en":
        admin = text(await empty.say(ADMIN_ID, ADMIN_ID, command))
        assert EMPTY_ADMIN in admin and "/import" in admin and "Formula 1 1950–2024" in admin
    group = GROUP[language]
    await join(empty, group, ADMIN[language])
    assert EMPTY_ADMIN in text(await empty.say(group, ADMIN[language], command))
    member = text(await empty.say(group, MEMBER[language], command))
    assert EMPTY_USER[language] in member and EMPTY_ADMIN not in member


@pytest.mark.parametrize("language", ["en", "de"])
async def test_first_contact_on_an_empty_store_and_with_data(empty: BotEnv, env: BotEnv, language: str) -> None:
    user = EN if language == "en" else DE
    fresh = text(await empty.say(user, user, "/start"))
    assert EMPTY_USER[language] in fresh
    stocked = text(await env.say(user, user, "/start"))
    assert EMPTY_USER[language] not in stocked and "NAME" not in stocked  # examples the store knows

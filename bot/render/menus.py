"""Every command the bot has, once: who sees it in Telegram's command menu (per scope and language) and in
/help. A command registered without a line here is caught by tests/test_groups_first_contact.py."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)

from bot.i18n import N_, Translator


class Audience(Enum):
    PRIVATE = "private"  # anyone in a private chat with the bot
    GROUP = "group"  # every member of a group
    GROUP_ADMIN = "group_admin"  # a group's admins: they change what the group follows and its settings
    BOT_ADMIN = "bot_admin"  # Pitboard's own admins (PITBOARD_ADMINS), in their private chats


EVERYONE = frozenset(Audience)
CHANGES = frozenset({Audience.PRIVATE, Audience.GROUP_ADMIN, Audience.BOT_ADMIN})


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    description: str  # N_-marked: translated when the menu or /help is built
    audience: frozenset[Audience]
    argument: str | None = None  # shown in /help: "/follow NAME"


COMMANDS: tuple[Command, ...] = (
    Command("follow", N_("Follow a driver, team or series"), CHANGES, N_("NAME")),
    Command("next", N_("Next sessions of your drivers"), EVERYONE),
    Command("standings", N_("Championship standings"), EVERYONE),
    Command("results", N_("The latest race"), EVERYONE),
    Command("calendar", N_("The season calendar"), EVERYONE),
    Command("driver", N_("A driver's profile"), EVERYONE, N_("NAME")),
    Command("following", N_("What this chat follows"), EVERYONE),
    Command("unfollow", N_("Stop following"), CHANGES),
    Command("ics", N_("Your sessions as a calendar file and link"), EVERYONE),
    Command("settings", N_("Time zone, language, reminders"), CHANGES),
    Command("timezone", N_("Set the time zone"), CHANGES, "Berlin"),
    Command("language", N_("Set the language"), CHANGES, "de"),
    Command("here", N_("Send race alerts to this topic"), frozenset({Audience.GROUP_ADMIN})),
    Command("help", N_("All commands"), EVERYONE),
    Command("start", N_("Welcome and first steps"), frozenset({Audience.PRIVATE, Audience.BOT_ADMIN})),
    Command("stats", N_("Statistics (admins)"), frozenset({Audience.BOT_ADMIN})),
    Command("import", N_("Import results or a calendar (admins)"), frozenset({Audience.BOT_ADMIN})),
    Command("broadcast", N_("Message every chat (admins)"), frozenset({Audience.BOT_ADMIN}), N_("TEXT")),
)

# The bot's description (shown in an empty chat with it, ≤ 512 characters) and short description (its
# profile and shared links, ≤ 120 characters).
DESCRIPTION = N_(
    "Pitboard sends race updates for the drivers, teams and series you follow: reminders before their"
    " sessions, results and standings after them. Add it to a group to share them with your friends."
    " Try /follow with a driver's name."
)
SHORT_DESCRIPTION = N_("Race reminders, results and standings for the drivers you follow.")


def commands_for(audience: Audience) -> tuple[Command, ...]:
    return tuple(c for c in COMMANDS if audience in c.audience)


def menu(t: Translator, audience: Audience) -> list[BotCommand]:
    return [BotCommand(c.name, t(c.description)) for c in commands_for(audience)]


def scopes(admins: frozenset[int] | set[int] | list[int]) -> list[tuple[BotCommandScope, Audience]]:
    """Where each menu goes. Telegram shows the most specific scope: a group admin sees the admins' list, a
    Pitboard admin (in their private chat) theirs."""
    found: list[tuple[BotCommandScope, Audience]] = [
        (BotCommandScopeAllPrivateChats(), Audience.PRIVATE),
        (BotCommandScopeAllGroupChats(), Audience.GROUP),
        (BotCommandScopeAllChatAdministrators(), Audience.GROUP_ADMIN),
    ]
    found += [(BotCommandScopeChat(admin), Audience.BOT_ADMIN) for admin in sorted(admins)]
    return found

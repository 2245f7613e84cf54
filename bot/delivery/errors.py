"""Telegram's refusals as an exact table: what each known error means for the row and the chat.

Matched on the exact description, never on a substring: "not enough rights" or "topic closed" used to
match the substring list and deactivated the whole chat. Like healthchecks' transports, an error we do not
know is never taken as a reason to give up on a chat: that one message is dropped and the chat stays.
"""

from __future__ import annotations

from enum import Enum


class Action(Enum):
    DEACTIVATE = "deactivate"  # the chat is gone for us: mark it inactive, drop everything pending for it
    CLEAR_TOPIC = "clear_topic"  # the chat's stored topic is closed or gone: forget it, resend to the main chat
    TELL_ADMINS = "tell_admins"  # the bot may not write there: drop the row, tell the group's admins once
    DROP_ROW = "drop_row"  # this message was refused (or we do not know why): the row is dead, the chat stays
    UNCHANGED = "unchanged"  # an edit to exactly what the message shows: nothing to do, nothing refused


_DEACTIVATE_403 = (
    "bot was blocked by the user",
    "bot was kicked from the group chat",
    "bot was kicked from the supergroup chat",
    "bot was kicked from the channel chat",
    "bot is not a member of the group chat",
    "bot is not a member of the supergroup chat",
    "bot is not a member of the channel chat",
    "user is deactivated",
    "the group chat was deleted",
    "bot can't initiate conversation with a user",
    "bot can't send messages to bots",
)
_DEACTIVATE_400 = ("chat not found", "user not found", "peer_id_invalid", "group chat was deactivated")
_TOPIC_400 = ("topic_closed", "topic closed", "topic_deleted", "message thread not found")
_UNCHANGED_400 = (
    "message is not modified: specified new message content and reply markup are exactly the same as a current"
    " content and reply markup of the message",
)
_RIGHTS = (
    "not enough rights to send text messages to the chat",
    "have no rights to send a message",
    "chat_write_forbidden",
)

TABLE: dict[tuple[int, str], Action] = {
    **{(403, text): Action.DEACTIVATE for text in _DEACTIVATE_403},
    **{(400, text): Action.DEACTIVATE for text in _DEACTIVATE_400},
    **{(400, text): Action.CLEAR_TOPIC for text in _TOPIC_400},
    **{(400, text): Action.TELL_ADMINS for text in _RIGHTS},
    **{(403, text): Action.TELL_ADMINS for text in _RIGHTS},
    **{(400, text): Action.UNCHANGED for text in _UNCHANGED_400},
}


def normalize(description: str) -> str:
    """Telegram's description without its status prefix (python-telegram-bot strips "Bad Request: " from
    400s but not "Forbidden: " from 403s), lower-cased."""
    text = description.strip().lower()
    for prefix in ("bad request: ", "forbidden: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


def action_for(code: int, description: str) -> Action:
    """The action for a 400 or 403; anything not in the table only drops that one row."""
    return TABLE.get((code, normalize(description)), Action.DROP_ROW)

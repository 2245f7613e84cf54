"""What the stand-in remembers (users, chats, messages, files) and how each looks as a Bot API object."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from bot.standin.html_check import utf16_len

# The user Telegram puts in `from` when a group admin posts anonymously.
GROUP_ANONYMOUS_BOT = {"id": 1087968824, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"}
# The `from` of a message a user posts in a group "as" one of their channels (and of linked-channel forwards).
CHANNEL_BOT = {"id": 136817688, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"}

_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{1,32})?(?![A-Za-z0-9_@])")

# Administrator rights the stand-in grants to every admin; required fields of ChatMemberAdministrator.
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_pin_messages": True,
}


def now() -> int:
    return int(time.time())


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if (value := getattr(self, key)) is not None:
                data[key] = value
        return data


@dataclass
class Chat:
    id: int
    type: str  # "private", "group" or "supergroup"
    title: str | None = None
    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    creator: int | None = None
    admins: list[int] = field(default_factory=list)
    anonymous_admins: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    # The bot's own status: "member", "administrator", "left" or "kicked" (in a private chat:
    # "kicked" means the user blocked the bot).
    bot_status: str = "member"
    migrated_to: int | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        for key in ("title", "username", "first_name", "last_name"):
            if (value := getattr(self, key)) is not None:
                data[key] = value
        if self.is_forum:
            data["is_forum"] = True
        return data

    def full_info(self) -> dict[str, Any]:
        """ChatFullInfo, as getChat returns it."""
        data = self.to_api()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if self.type != "private":
            data["permissions"] = {"can_send_messages": True}
        return data

    def member_status(self, user_id: int) -> str:
        if user_id == self.creator:
            return "creator"
        if user_id in self.admins:
            return "administrator"
        if user_id in self.members or (self.type == "private" and user_id == self.id):
            return "member"
        return "left"


def chat_member(user: dict[str, Any], status: str, *, anonymous: bool = False) -> dict[str, Any]:
    """A ChatMember object of the subtype that `status` names."""
    data: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        data["is_anonymous"] = anonymous
    elif status == "administrator":
        data.update(_ADMIN_RIGHTS, is_anonymous=anonymous)
    elif status == "kicked":
        data["until_date"] = 0
    return data


def command_entities(text: str) -> list[dict[str, Any]]:
    """bot_command entities as Telegram's clients mark them: a `/word` standing on its own."""
    return [
        {"type": "bot_command", "offset": utf16_len(text[: m.start()]), "length": utf16_len(m.group())}
        for m in _COMMAND_RE.finditer(text)
    ]


@dataclass
class StoredMessage:
    data: dict[str, Any]  # the Message object as the Bot API returns it
    from_bot: bool
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None  # as the bot sent it, keyboards of every kind
    message_thread_id: int | None = None
    deleted: bool = False

    @property
    def chat_id(self) -> int:
        return int(self.data["chat"]["id"])

    @property
    def message_id(self) -> int:
        return int(self.data["message_id"])

    @property
    def kind(self) -> str:
        return next((k for k in ("text", "photo", "document") if k in self.data), "service")

    def summary(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "kind": self.kind,
            "text": self.data.get("text"),
            "caption": self.data.get("caption"),
            "document": self.data.get("document"),
            "photo": self.data.get("photo"),
            "entities": self.data.get("entities") or self.data.get("caption_entities") or [],
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "message_thread_id": self.message_thread_id,
            "date": self.data["date"],
            "edit_date": self.data.get("edit_date"),
            "deleted": self.deleted,
            "reply_to_message_id": (self.data.get("reply_to_message") or {}).get("message_id"),
        }


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0  # photos: measured at upload (bot/standin/photos.py); 0 where unknown (a URL)
    height: int = 0

    def to_api(self) -> dict[str, Any]:
        """A File object, as getFile returns it."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }

    def as_document(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def as_photo(self) -> list[dict[str, Any]]:
        # Real Telegram returns several sizes; the stand-in one: the upload's own (0 × 0 for a URL's).
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": len(self.data),
            }
        ]

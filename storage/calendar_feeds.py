"""Calendar subscription tokens: one random token per chat for /cal/<token>.ics (bot/web/calendar.py).

The token is the only secret of a feed: whoever holds the link reads the chat's sessions. `/ics reset`
replaces it (the old link answers 404 from then on, like a token that never existed).
"""

from __future__ import annotations

import secrets
from datetime import UTC

from bot.core.clock import SYSTEM, Clock
from storage.database import Database

TOKEN_BYTES = 24  # 32 URL-safe characters: unguessable, short enough for a link


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class CalendarFeeds:
    def __init__(self, db: Database, clock: Clock = SYSTEM) -> None:
        self.db = db
        self.clock = clock

    def _now(self) -> str:
        return self.clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    async def token_for(self, chat_id: int) -> str:
        """The chat's token, made on first use."""
        await self.db.execute(
            "INSERT INTO calendar_feeds (chat_id, token, created_at) VALUES (?, ?, ?) ON CONFLICT (chat_id) DO NOTHING",
            chat_id,
            new_token(),
            self._now(),
        )
        token = await self.db.fetchval("SELECT token FROM calendar_feeds WHERE chat_id = ?", chat_id)
        return str(token)

    async def reset(self, chat_id: int) -> str:
        """Revoke the chat's token and return a new one."""
        token = new_token()
        await self.db.execute(
            "INSERT INTO calendar_feeds (chat_id, token, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (chat_id) DO UPDATE SET token = excluded.token, created_at = excluded.created_at",
            chat_id,
            token,
            self._now(),
        )
        return token

    async def chat_for(self, token: str) -> int | None:
        """The chat a token belongs to, None for an unknown or revoked one."""
        found = await self.db.fetchval("SELECT chat_id FROM calendar_feeds WHERE token = ?", token)
        return None if found is None else int(found)

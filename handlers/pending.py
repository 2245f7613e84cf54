"""Uploads refused by the removal rule, kept a short while for the admin's "Import anyway" button.

In memory only: a restart forgets them, and the admin sends the file again. Few and short-lived, so a
forgotten button costs at most MAX_PENDING files of 20 MB for PENDING_SECONDS.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from bot.core.clock import SYSTEM, Clock
from bot.ingest.fetch import Fetched
from handlers.upload_input import Caption

PENDING_SECONDS = 15 * 60
MAX_PENDING = 4


@dataclass(slots=True)
class Pending:
    chat_id: int
    user_id: int
    name: str  # already sanitised
    caption: Caption
    content: bytes
    kept_at: float = field(default=0.0)
    fetched: Fetched | None = None  # `/import URL`: the file as fetched, read under its URL's folders


class PendingImports:
    def __init__(self, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self._kept: dict[str, Pending] = {}

    def keep(self, pending: Pending) -> str:
        """Keep the upload; the token goes into the buttons' callback data."""
        self._expire()
        while len(self._kept) >= MAX_PENDING:
            del self._kept[next(iter(self._kept))]  # the oldest goes first
        pending.kept_at = self.clock.monotonic()
        token = secrets.token_hex(4)
        self._kept[token] = pending
        return token

    def take(self, token: str, chat_id: int) -> Pending | None:
        """The upload, once: a second press, another chat's button or an expired one finds nothing."""
        self._expire()
        pending = self._kept.get(token)
        if pending is None or pending.chat_id != chat_id:
            return None
        del self._kept[token]
        return pending

    def _expire(self) -> None:
        now = self.clock.monotonic()
        for token in [k for k, p in self._kept.items() if now - p.kept_at > PENDING_SECONDS]:
            del self._kept[token]

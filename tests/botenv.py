"""The real Application against the local Bot API stand-in over HTTP, on a real store (a SQLite file, or a
PostgreSQL database when the suite runs there: tests/databases.py)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application, polling
from bot.core.clock import SYSTEM, Clock
from bot.delivery import FloodGate, Limits
from bot.settings import Settings
from bot.standin import BotApiStandIn
from storage.store import Store

TOKEN = "4242:TEST-TOKEN-never-logged"
ADMIN_ID = 900001
# Most end-to-end tests switch Telegram's flood limits off on both sides (the stand-in and the bot's own
# pacing) so that a conversation does not wait a second per reply; tests/test_bot_limits.py keeps them on.
# An infinite rate waits for nothing, so a send never sleeps on the clock (a ManualClock may stand still).
NO_LIMITS = Limits(per_second=math.inf, private_interval=0.0, group_per_minute=100_000, margin=0.0)


@dataclass
class BotEnv:
    standin: BotApiStandIn
    app: Application  # type: ignore[type-arg]
    store: Store

    def errors(self) -> list[str]:
        return list(self.app.bot_data.get("errors", []))

    def _snapshot(self, chat_id: int) -> dict[int, str]:
        return {
            m["message_id"]: json.dumps([m.get("text"), m.get("reply_markup")], sort_keys=True, default=str)
            for m in self.standin.messages(chat_id)
        }

    async def _settle(self, chat_id: int, before: dict[int, str], expect: int, timeout: float) -> list[dict[str, Any]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline:
            after = self._snapshot(chat_id)
            changed = [m for m in after if before.get(m) != after[m]]
            if len(changed) >= expect:
                await asyncio.sleep(0.02)  # a second message may be on its way
                after = self._snapshot(chat_id)
                return [
                    m for m in self.standin.messages(chat_id) if before.get(m["message_id"]) != after[m["message_id"]]
                ]
            await asyncio.sleep(0.01)
        return []

    async def say(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        expect: int = 1,
        timeout: float = 10.0,
        thread_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Send a message as the user; the bot's new or edited messages in that chat."""
        before = self._snapshot(chat_id)
        self.standin.send_text(chat_id, user_id, text, message_thread_id=thread_id)
        return await self._settle(chat_id, before, expect, timeout)

    async def after(
        self, chat_id: int, inject: Callable[[], object], expect: int = 1, timeout: float = 10.0
    ) -> list[dict[str, Any]]:
        """Run `inject` (a stand-in call that queues an update); the bot's new or edited messages in that chat."""
        before = self._snapshot(chat_id)
        inject()
        return await self._settle(chat_id, before, expect, timeout)

    async def upload(
        self, chat_id: int, user_id: int, filename: str, content: bytes, caption: str, timeout: float = 20.0
    ) -> list[dict[str, Any]]:
        before = self._snapshot(chat_id)
        self.standin.send_document(chat_id, user_id, filename, content, caption=caption)
        return await self._settle(chat_id, before, 1, timeout)

    async def press(
        self,
        chat_id: int,
        user_id: int,
        message: dict[str, Any],
        label_part: str,
        expect: int = 1,
        timeout: float = 10.0,
    ) -> list[dict[str, Any]]:
        data = button_data(message, label_part)
        before = self._snapshot(chat_id)
        self.standin.press_button(chat_id, user_id, message["message_id"], data)
        return await self._settle(chat_id, before, expect, timeout)

    async def quiet(self, seconds: float = 0.3) -> None:
        await asyncio.sleep(seconds)


FIRST_ZONE = "v1:se:open:tz"


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    # The first reply in a chat whose zone was guessed from its language carries a "change time zone" button
    # (tests/test_settings_sections.py checks it); tests of other views count only their own buttons.
    rows = markup.get("inline_keyboard", [])
    return [
        (b["text"], b.get("callback_data", "")) for row in rows for b in row if b.get("callback_data") != FIRST_ZONE
    ]


def button_data(message: dict[str, Any], label_part: str) -> str:
    markup = message.get("reply_markup") or {}
    if isinstance(markup, str):
        markup = json.loads(markup)
    every = [(b["text"], b.get("callback_data", "")) for row in markup.get("inline_keyboard", []) for b in row]
    for label, data in every:
        if label_part in label:
            return data
    raise AssertionError(f"no button with {label_part!r} in {buttons(message)}")


@asynccontextmanager
async def running_bot(
    db: Path | str,  # a SQLite file, or a postgresql:// URL
    *,
    limits: Limits | None = NO_LIMITS,
    enforce: bool = False,
    paid: bool = False,
    clock: Clock = SYSTEM,
    allowed_updates: Sequence[str] = ALLOWED_UPDATES,
    settings: dict[str, Any] | None = None,
    providers: bool = False,
    known_chats: Sequence[int] = (),
) -> AsyncIterator[BotEnv]:
    """`clock`: the delivery's, the flood gate's and the outbox's time, and the time the stand-in counts its
    flood limits in (a ManualClock lets a test say "at T" instead of waiting). `known_chats`: private chats of
    English-speaking fans the stand-in knows before the bot starts (a replica's sender resumes at once)."""
    standin = BotApiStandIn(token=TOKEN, enforce_limits=enforce, bot_username="pitboard_bot", clock=clock.monotonic)
    for chat in known_chats:
        standin.user(chat, first_name="Fan", language_code="en")
        standin.private_chat(chat)
    await standin.start()
    store = await Store.open(db, clock=clock)
    configured = Settings.model_validate(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": standin.base_url,
            "PITBOARD_DATABASE": str(db),
            "PITBOARD_ADMINS": str(ADMIN_ID),
            "PITBOARD_PAID_BROADCAST": paid,
            **(settings or {}),  # more settings by their environment names (PITBOARD_WATCH_URLS, …)
        }
    )
    app = build_application(
        configured,
        store=store,
        gate=FloodGate(limits, clock=clock) if limits else None,
        clock=clock,
        providers=providers,
    )
    try:
        async with polling(app, allowed_updates):
            yield BotEnv(standin, app, store)
    finally:
        await standin.stop()
        await store.close()


def future_calendar(path: Path, days_ahead: int = 2) -> Path:
    """A small season ahead of now, in native JSON: one timed race, one 'time TBC', names with HTML in them."""
    start = (datetime.now(UTC) + timedelta(days=days_ahead)).replace(hour=13, minute=0, second=0, microsecond=0)
    doc = {
        "format": "pitboard/1",
        "series": {"slug": "test-gt", "name": "Test GT <Series>"},
        "seasons": [
            {
                "year": start.year,
                "championships": [
                    {
                        "key": "overall",
                        "name": "Overall",
                        "default": True,
                        "rules": {"per_class": True, "scoring": [{"match": {"kind": "race"}, "points": [25, 18, 15]}]},
                    }
                ],
                "events": [
                    {
                        "key": "ring",
                        "name": "Ring & Roll 6h",
                        "timezone": "Europe/Vienna",
                        "start_date": start.date().isoformat(),
                        "end_date": start.date().isoformat(),
                        "entries": [
                            {
                                "number": "911",
                                "team": "Pure Rxcing",
                                "car": "Porsche 911 GT3 R (992)",
                                "class": "Bronze Cup",
                                "drivers": ["Klaus Bachler", "Alex Malykhin"],
                            },
                            {
                                "number": "7",
                                "team": '<b>&Co "x"',
                                "car": "Car <7>",
                                "class": "Pro & Am",
                                "drivers": ["Ana <Test>", "Bert & Ernie"],
                            },
                        ],
                        "sessions": [
                            {
                                "key": "race",
                                "name": "Race",
                                "kind": "race",
                                "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                            }
                        ],
                    },
                    {
                        "key": "later",
                        "name": "Later Cup",
                        "timezone": "America/New_York",
                        "start_date": (start + timedelta(days=14)).date().isoformat(),
                        "end_date": (start + timedelta(days=14)).date().isoformat(),
                        "sessions": [
                            {
                                "key": "race",
                                "name": "Race",
                                "kind": "race",
                                "start": None,
                                "date": (start + timedelta(days=14)).date().isoformat(),
                            }
                        ],
                    },
                ],
            }
        ],
    }
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path

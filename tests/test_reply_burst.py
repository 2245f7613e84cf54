"""A burst of commands with Telegram's flood limits on: the bot answers every one at once into the outbox
(bot/services/replies.py) instead of holding its handlers at the flood gate, and the replies then go out at
the pace the limits allow: every user gets one, no 429."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from bot.core.clock import ManualClock
from bot.delivery import Limits
from bot.services.replies import DIRECT
from handlers.common import Services
from tests.botenv import BotEnv, running_bot
from tests.clocked import drive, until

STEP = 0.002  # see tests/test_bot_limits.py: far below the gate's 20 ms margin
USERS = list(range(8200, 8260))


def handled(env: BotEnv) -> float:
    metric = env.app.bot_data["metrics"].updates
    return sum(
        sample.value for family in metric.collect() for sample in family.samples if sample.name.endswith("_total")
    )


async def test_a_burst_is_answered_into_the_outbox_and_sent_at_the_allowed_pace(copy_db: Path) -> None:
    clock = ManualClock()  # standing still: only what needs no waiting for a flood slot can happen
    async with running_bot(copy_db, limits=None, enforce=True, clock=clock) as env:
        for user in USERS:
            env.standin.user(user, first_name="Fan", language_code="en")
        for user in USERS:
            env.standin.send_text(user, user, "/help")
        # At T: 30 replies fit Telegram's first second, DIRECT more wait at the gate, and every other update
        # is handled with its reply queued in the outbox. Holding handlers at the gate, only 30 were.
        try:
            await until(lambda: handled(env) >= len(USERS) - DIRECT, timeout=10)
        except AssertionError:
            stuck = handled(env)
            # Let the held handlers finish on the clock, so the bot can stop, then fail.
            await drive(clock, lambda: handled(env) >= len(USERS), step=STEP, limit=30)
            raise AssertionError(f"{stuck} of {len(USERS)} updates handled before a flood slot was free") from None
        replies = env.app.bot_data["services"]
        assert isinstance(replies, Services)
        assert replies.replies.queued >= len(USERS) - DIRECT - 30
        assert len(env.standin.messages()) <= 30

        await drive(clock, lambda: all(env.standin.messages(u) for u in USERS), step=STEP, limit=30)
        assert all(len(env.standin.messages(u)) == 1 for u in USERS)
        assert all("/standings" in env.standin.messages(u)[0]["text"] for u in USERS)
        assert env.standin.rejected_429 == 0
        assert env.errors() == []


async def test_a_bot_stopped_while_queued_replies_go_out_keeps_the_rest_for_its_next_start(
    copy_db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    users = list(range(8300, 8420))  # about four seconds of replies at Telegram's pace
    async with running_bot(copy_db, limits=Limits(), enforce=True, known_chats=users) as env:
        for user in users:
            env.standin.send_text(user, user, "/help")
        await until(lambda: handled(env) >= len(users) and len(env.standin.messages()) >= 45, timeout=30)
        first = {m["chat_id"] for m in env.standin.messages()}
        workers = env.app.bot_data["services"].delivery.workers
    await asyncio.sleep(0.3)  # a drain left running would now fail on the closed store, and log it
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert len(first) < len(users)
    async with running_bot(copy_db, limits=Limits(), enforce=True, known_chats=users) as env:
        await env.app.bot_data["services"].delivery.drain(resume=True)
        await until(lambda: set(users) <= first | {m["chat_id"] for m in env.standin.messages()}, timeout=30)
        again = [m["chat_id"] for m in env.standin.messages()]
    # At least once: only what was in flight as the bot stopped (cut off before Telegram's answer) goes again.
    assert len(set(again) & first) <= workers, set(again) & first

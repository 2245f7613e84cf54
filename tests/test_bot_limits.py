"""With Telegram's flood limits on (stand-in enforcing, the bot pacing itself): no 429s, nothing lost."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from tests.botenv import running_bot


async def test_replies_in_one_private_chat_are_paced_not_refused(copy_db: Path) -> None:
    async with running_bot(copy_db, limits=None, enforce=True) as env:
        user = 7001
        env.standin.user(user, first_name="Fast", language_code="en")
        first = await env.say(user, user, "/help")
        started = time.monotonic()
        second = await env.say(user, user, "/start")
        assert first and second
        assert time.monotonic() - started >= 0.9  # 1 message per second per private chat
        assert env.standin.rejected_429 == 0
        assert env.errors() == []


async def test_burst_over_many_chats_stays_under_30_per_second(copy_db: Path) -> None:
    async with running_bot(copy_db, limits=None, enforce=True) as env:
        users = list(range(8000, 8060))
        for user in users:
            env.standin.user(user, first_name="Fan", language_code="en")
        started = time.monotonic()
        for user in users:
            env.standin.send_text(user, user, "/help")
        await asyncio.gather(*(env.standin.wait_for_messages(user, 1, timeout=20) for user in users))
        elapsed = time.monotonic() - started
        assert env.standin.rejected_429 == 0
        assert elapsed >= 1.0  # 60 messages cannot go out within one second
        assert env.errors() == []
        # The last reply is marked sent once its response is back, a moment after it arrived.
        for _ in range(50):
            if (await env.store.chats.stats())["outbox_sent"] == 60:
                break
            await asyncio.sleep(0.05)
        assert (await env.store.chats.stats())["outbox_sent"] == 60


async def test_a_429_is_waited_out_and_the_message_still_arrives(copy_db: Path) -> None:
    async with running_bot(copy_db, limits=None, enforce=True) as env:
        user = 7002
        env.standin.user(user, first_name="Ana", language_code="en")
        env.standin.fail_next(
            "sendMessage", chat_id=user, error_code=429, description="Too Many Requests: retry after 1", retry_after=1
        )
        started = time.monotonic()
        reply = await env.say(user, user, "/help", timeout=10)
        assert reply and time.monotonic() - started >= 1.0
        assert env.errors() == []


async def test_blocked_user_marks_chat_inactive(copy_db: Path) -> None:
    async with running_bot(copy_db, limits=None, enforce=True) as env:
        user = 7003
        env.standin.user(user, first_name="Gone", language_code="en")
        await env.say(user, user, "/start")
        env.standin.fail_next(
            "sendMessage", chat_id=user, error_code=403, description="Forbidden: bot was blocked by the user"
        )
        env.standin.send_text(user, user, "/help")
        await env.quiet(1.5)
        chat = await env.store.chats.get(user)
        assert chat is not None and chat.active is False
        assert (await env.store.chats.stats())["outbox_dead"] == 1


async def test_chat_migrated_error_moves_the_chat_and_resends(copy_db: Path) -> None:
    async with running_bot(copy_db, limits=None, enforce=True) as env:
        admin, old, new = 7004, -5151, -1005151
        env.standin.user(admin, first_name="Ada", language_code="en")
        env.standin.group(old, title="Old group", admins=[admin], bot_status="left")
        env.standin.bot_added(old, admin)
        await env.standin.wait_for_messages(old, 1, timeout=5)
        await env.say(old, admin, "/follow Klaus Bachler")
        env.standin.group(new, title="Old group", admins=[admin], supergroup=True)  # Telegram made the supergroup
        env.standin.fail_next(
            "sendMessage",
            chat_id=old,
            error_code=400,
            description="Bad Request: group chat was upgraded to a supergroup chat",
            migrate_to_chat_id=new,
        )
        env.standin.send_text(old, admin, "/following")
        reply = await env.standin.wait_for_messages(new, 1, timeout=5)
        assert "Klaus Bachler" in (reply[0]["text"] or "")
        assert [f.name for f in await env.store.chats.follows(new)] == ["Klaus Bachler"]
        assert env.errors() == []

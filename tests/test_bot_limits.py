"""With Telegram's flood limits on (stand-in enforcing, the bot pacing itself): no 429s, nothing lost."""

from __future__ import annotations

import itertools
from pathlib import Path

from bot.core.clock import ManualClock
from tests.botenv import BotEnv, running_bot
from tests.clocked import drive, until

# The clock moves while a request travels to the stand-in (real I/O): steps far below the gate's 20 ms margin
# keep that drift from reading as a send that came too early.
STEP = 0.002


def _sends(env: BotEnv, chat: int) -> list[tuple[float, int]]:
    return [(c.time, c.status) for c in env.standin.calls if c.method == "sendMessage" and c.params["chat_id"] == chat]


async def test_replies_in_one_private_chat_are_paced_not_refused(copy_db: Path) -> None:
    clock = ManualClock()  # the bot's pacing and the stand-in's limits both count on it
    async with running_bot(copy_db, limits=None, enforce=True, clock=clock) as env:
        user = 7001
        env.standin.user(user, first_name="Fast", language_code="en")
        env.standin.send_text(user, user, "/help")
        env.standin.send_text(user, user, "/start")
        await drive(clock, lambda: len(env.standin.messages(user)) >= 2, step=STEP, limit=10)
        times = [t for t, _ in _sends(env, user)]
        assert len(times) >= 2, times
        assert all(b - a >= 1.0 for a, b in itertools.pairwise(times))  # at T: 1 per second per chat
        assert env.standin.rejected_429 == 0
        assert env.errors() == []


async def test_burst_over_many_chats_stays_under_30_per_second(copy_db: Path) -> None:
    clock = ManualClock()
    async with running_bot(copy_db, limits=None, enforce=True, clock=clock) as env:
        users = list(range(8000, 8060))
        for user in users:
            env.standin.user(user, first_name="Fan", language_code="en")
        for user in users:
            env.standin.send_text(user, user, "/help")
        await drive(clock, lambda: all(env.standin.messages(u) for u in users), step=STEP, limit=30)
        times = sorted(t for user in users for t, _ in _sends(env, user))
        assert env.standin.rejected_429 == 0
        assert times[-1] - times[0] >= 59 / 30  # at T: 60 messages evenly spaced at 30 per second
        assert env.errors() == []
        # The last reply is marked sent once its response is back, a moment after it arrived.
        await until(lambda: _all_marked(env, 60))


async def _all_marked(env: BotEnv, count: int) -> bool:
    return (await env.store.chats.stats())["outbox_sent"] == count


async def test_a_429_is_waited_out_and_the_message_still_arrives(copy_db: Path) -> None:
    clock = ManualClock()
    async with running_bot(copy_db, limits=None, enforce=True, clock=clock) as env:
        user = 7002
        env.standin.user(user, first_name="Ana", language_code="en")
        env.standin.fail_next(
            "sendMessage", chat_id=user, error_code=429, description="Too Many Requests: retry after 1", retry_after=1
        )
        env.standin.send_text(user, user, "/help")
        await drive(clock, lambda: bool(env.standin.messages(user)), step=STEP, limit=10)
        (refused, status), (sent, _), *_ = _sends(env, user)
        assert status == 429 and sent - refused >= 1.0  # at T: retry_after sat out on the clock
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

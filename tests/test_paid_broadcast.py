"""Paid broadcasts (allow_paid_broadcast): past the free 30 messages/s, still within Telegram's 1000/s."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.core.clock import ManualClock
from bot.delivery import PAID_BURST, PAID_MARGIN, FloodGate
from storage.store import Store
from tests.botenv import running_bot

CHATS = 400


async def test_paid_broadcast_goes_past_the_free_limit_without_a_429(copy_db: Path) -> None:
    async with running_bot(copy_db, limits=None, enforce=True, paid=True) as env:
        chats = list(range(20_000, 20_000 + CHATS))
        alert_id = await env.store.outbox.alert("test", "paid-broadcast", None)
        for chat in chats:
            env.standin.private_chat(env.standin.user(chat, first_name="Fan", language_code="en"))
            await env.store.chats.ensure(chat, "private", None, "en")
        await env.store.outbox.enqueue_alerts(alert_id, [(chat, f"Alert for <b>{chat}</b>", None) for chat in chats])
        delivery = env.app.bot_data["services"].delivery
        assert await delivery.drain() == CHATS
        sends = [c for c in env.standin.calls if c.method == "sendMessage" and c.status == 200]
        assert sorted(c.params["chat_id"] for c in sends) == chats  # each chat once
        assert all(c.params.get("allow_paid_broadcast") is True for c in sends)
        assert env.standin.rejected_429 == 0
        # More than the free 30 arrived within one second: the paid limit is what paced them.
        times = sorted(c.time for c in sends)
        busiest = max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times))
        assert busiest > 30
        rows = await env.store.outbox.rows_for_alert(alert_id)
        assert {state for state, *_ in rows.values()} == {"sent"}


async def test_the_paid_gate_paces_sends_instead_of_letting_a_second_out_at_once() -> None:
    clock = ManualClock()
    gate = FloodGate(paid_per_second=1000.0, clock=clock)
    times: list[float] = []

    async def send(chat: int) -> None:
        await gate.acquire(chat, reply=False, paid=True)
        times.append(clock.monotonic())

    sends = asyncio.gather(*(send(chat) for chat in range(1, 1301)))
    while not sends.done():
        await clock.advance(0.001)
    await sends
    times.sort()
    # At T: never more than 1000 within a second …
    in_a_second = max(sum(1 for t in times[i:] if t - start < 1.0) for i, start in enumerate(times[:400]))
    assert in_a_second <= 1000
    # … paced, not let out at once: never more than twice PAID_BURST's worth within 5 ms …
    run = int(2 * 1000 * PAID_BURST)
    assert all(times[i + run] - times[i] >= 0.005 for i in range(len(times) - run))
    # … at 5 % under the limit.
    assert times[-1] - times[0] >= 1299 * (1 + PAID_MARGIN) / 1000 - 2 * PAID_BURST


async def test_only_rows_a_crashed_process_left_sending_are_resumed(copy_db: Path) -> None:
    clock = ManualClock()
    async with await Store.open(copy_db, clock=clock) as store:
        await store.chats.ensure(31_001, "private", None, "en")
        left_by_crash = await store.outbox.enqueue_sending(31_001, "old", None)
        await clock.advance(0.005)
        started = clock.now()  # this process starts
        await clock.advance(0.005)
        being_sent_now = await store.outbox.enqueue_sending(31_001, "new", None)
        assert await store.outbox.release_interrupted(started) == 1
        old, new = await store.outbox.get(left_by_crash), await store.outbox.get(being_sent_now)
        assert old is not None and old.state == "pending"
        assert new is not None and new.state == "sending"

"""The delivery fault matrix over HTTP: each Telegram answer ends in the state it should."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from bot.core.clock import ManualClock
from bot.delivery import Delivery, Limits
from tests.botenv import BotEnv, running_bot
from tests.clocked import drive

BASE = 9100


async def _alert(env: BotEnv, chats: list[int]) -> tuple[Delivery, int]:
    delivery: Delivery = env.app.bot_data["services"].delivery
    alert_id = await env.store.outbox.alert("test", f"fault-matrix:{chats[0]}", None)
    for chat in chats:
        env.standin.user(chat, first_name="Fan", language_code="en")
        env.standin.private_chat(chat)
        await env.store.chats.ensure(chat, "private", None, "en")
        await env.store.outbox.enqueue_alert(alert_id, chat, f"Alert for {chat}", None)
    return delivery, alert_id


def _parse(stamp: str | None) -> datetime:
    assert stamp is not None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


async def test_fault_matrix(copy_db: Path) -> None:
    """On a ManualClock: each 429 (5, 30, 120 s) is checked "at T" — still waiting just before its
    retry_after is over, sent just after — and the whole test takes seconds."""
    clock = ManualClock(datetime(2026, 5, 3, 12, 0, tzinfo=UTC))
    async with running_bot(copy_db, limits=None, enforce=True, clock=clock) as env:
        chats = list(range(BASE, BASE + 13))
        (
            c429_5,
            c429_30,
            c429_120,
            blocked,
            kicked,
            deactivated,
            not_found,
            migrated,
            e500,
            e502,
            fine,
            bad_request,
            also_fine,
        ) = chats
        new_id = -1009100
        faults = [
            (c429_5, 429, "Too Many Requests: retry after 5", 5, None),
            (c429_30, 429, "Too Many Requests: retry after 30", 30, None),
            (c429_120, 429, "Too Many Requests: retry after 120", 120, None),
            (blocked, 403, "Forbidden: bot was blocked by the user", None, None),
            (kicked, 403, "Forbidden: bot was kicked from the group chat", None, None),
            (deactivated, 403, "Forbidden: user is deactivated", None, None),
            (not_found, 400, "Bad Request: chat not found", None, None),
            (migrated, 400, "Bad Request: group chat was upgraded to a supergroup chat", None, new_id),
            (e500, 500, "Internal Server Error", None, None),
            (e502, 502, "Bad Gateway", None, None),
            (bad_request, 400, "Bad Request: message text is empty", None, None),
        ]
        env.standin.group(new_id, title="Moved", supergroup=True)
        for chat, code, description, retry, migrate_to in faults:
            env.standin.fail_next(
                "sendMessage",
                chat_id=chat,
                error_code=code,
                description=description,
                retry_after=retry,
                migrate_to_chat_id=migrate_to,
            )
        # The faults are in place before the rows exist: the bot drains whatever is due as soon as it is.
        delivery, alert_id = await _alert(env, chats)
        started = clock.now()
        drain = asyncio.create_task(delivery.drain())
        took = await drive(clock, drain.done)
        await drain
        rows = await env.store.outbox.rows_for_alert(alert_id)
        state = {chat: rows[chat][0] for chat in rows}

        # Three chats refused at once read as the overall limit: everything paused for the shortest
        # retry_after (5 s) inside the drain, so the 5 s row may already be due again; it is checked below.
        for chat, retry in ((c429_30, 30), (c429_120, 120)):
            assert state[chat] == "failed"
            wait = (_parse(rows[chat][2]) - started).total_seconds()
            assert retry <= wait <= retry + took, (chat, wait)  # retry_after from the moment of the 429
        for chat in (blocked, kicked, deactivated, not_found):
            assert state[chat] == "dead"
            assert rows[chat][1] == 1  # no retries on permanent errors
            gone = await env.store.chats.get(chat)
            assert gone is not None and gone.active is False
        assert state[bad_request] == "dead" and rows[bad_request][1] == 1
        assert (await env.store.chats.get(bad_request)).active is True  # type: ignore[union-attr]
        for chat in (e500, e502, fine, also_fine):
            assert state[chat] == "sent"
        for chat, code in ((e500, 500), (e502, 502)):  # one retry after the 5xx, once the API answered
            tries = [
                c.status for c in env.standin.calls if c.method == "sendMessage" and c.params.get("chat_id") == chat
            ]
            assert tries == [code, 200], (chat, tries)
        assert new_id in rows and rows[new_id][0] == "sent"  # moved with the group, then sent
        assert sum(1 for m in env.standin.messages(new_id) if "Alert for" in (m["text"] or "")) == 1

        # Each 429 is sat out: the delivery wakes up by itself once retry_after is over (no poll, no new alert
        # to nudge it), and not before.
        await drive(clock, lambda: _state(env, alert_id, c429_5, "sent"), limit=10)
        for chat, retry in ((c429_30, 30), (c429_120, 120)):
            due = _parse(rows[chat][2])
            await clock.advance(max(0.0, (due - clock.now()).total_seconds() - 0.5))
            await asyncio.sleep(0.05)
            assert (await env.store.outbox.rows_for_alert(alert_id))[chat][0] == "failed", (chat, clock.now())
            # Small steps: on PostgreSQL the replica's sender answers in real time while the clock moves.
            await drive(clock, lambda c=chat: _state(env, alert_id, c, "sent"), step=0.01, limit=5)
            calls = [(c.time, c.status) for c in env.standin.calls if c.params.get("chat_id") == chat]
            assert [status for _, status in calls] == [429, 200]
            assert retry <= calls[1][0] - calls[0][0] <= retry + 1, calls
        calls = [(c.time, c.status) for c in env.standin.calls if c.params.get("chat_id") == c429_5]
        assert [status for _, status in calls] == [429, 200] and calls[1][0] - calls[0][0] >= 5
        assert env.errors() == []
        refused = {c.params.get("chat_id") for c in env.standin.calls if c.status == 429}
        assert refused == {c429_5, c429_30, c429_120}  # the pauses held those chats only


async def _state(env: BotEnv, alert_id: int, chat: int, state: str) -> bool:
    return (await env.store.outbox.rows_for_alert(alert_id))[chat][0] == state


async def test_an_alert_longer_than_one_message_goes_out_in_parts(copy_db: Path) -> None:
    async with running_bot(copy_db, enforce=False) as env:
        chat = 9200
        delivery, _ = await _alert(env, [chat])
        long_text = "<b>Summary</b>\n" + "\n".join(f"• Driver &amp; Co <i>{i}</i>: P{i}" for i in range(400))
        other = await env.store.outbox.alert("test", "long-alert", None)
        await env.store.outbox.enqueue_alert(other, chat, long_text, None)
        await delivery.drain()
        parts = [m for m in env.standin.messages(chat) if "Driver & Co" in (m["text"] or "")]
        assert len(parts) >= 3
        assert all(len(m["text"]) <= 4096 for m in parts)
        assert "".join(m["text"] for m in parts).count("Driver & Co") == 400
        assert all(c.status == 200 for c in env.standin.calls if c.method == "sendMessage")


async def test_a_burst_of_429s_pauses_every_chat_then_all_arrive(copy_db: Path) -> None:
    """Telegram does not say whether a 429 is the chat's limit or the bot's: three chats refused within a
    second is taken as the overall limit, and nothing goes out to anyone until retry_after is over."""
    clock = ManualClock(datetime(2026, 5, 3, 12, 0, tzinfo=UTC))
    async with running_bot(copy_db, limits=Limits(), enforce=False, clock=clock) as env:
        chats = list(range(9300, 9360))
        env.standin.fail_next("sendMessage", error_code=429, retry_after=3, count=3)  # the next three, any chat
        delivery, alert_id = await _alert(env, chats)
        drain = asyncio.create_task(delivery.drain())
        await drive(clock, drain.done)
        await drain
        await drive(clock, lambda: _all_sent(env, alert_id), limit=30)
        calls = sorted(
            (c.time, c.status) for c in env.standin.calls if c.method == "sendMessage" and c.params["chat_id"] in chats
        )
        refusals = [t for t, status in calls if status == 429]
        assert len(refusals) == 3
        last_refusal = max(refusals)
        # At T (the clock's time): nothing went out in the 3 s after the third refusal.
        during_pause = [t for t, status in calls if status == 200 and last_refusal < t < last_refusal + 3.0]
        assert during_pause == []
        assert sum(1 for _, status in calls if status == 200) == len(chats)
        assert env.errors() == []


async def _all_sent(env: BotEnv, alert_id: int) -> bool:
    rows = await env.store.outbox.rows_for_alert(alert_id)
    return all(state == "sent" for state, *_ in rows.values())


async def test_a_malformed_row_is_given_up_on_and_the_rest_still_go_out(copy_db: Path) -> None:
    async with running_bot(copy_db, enforce=False) as env:
        chats = [9400, 9401, 9402]
        delivery, alert_id = await _alert(env, chats)
        broken = await env.store.outbox.alert("test", "broken-markup", None)
        await env.store.outbox.enqueue_alert(broken, 9401, "Has a broken keyboard", "{not json")
        await delivery.drain()
        rows = await env.store.outbox.rows_for_alert(alert_id)
        assert {state for state, *_ in rows.values()} == {"sent"}
        [(state, _, _, error)] = (await env.store.outbox.rows_for_alert(broken)).values()
        assert state == "dead" and error is not None and "internal error" in error
        assert await env.store.outbox.due(limit=10) == []


async def test_a_drain_as_the_bot_stops_leaves_its_rows_for_the_next_start(copy_db: Path) -> None:
    """The HTTP session is closed (SIGTERM mid-broadcast) when rows are to be sent: none is given up on as
    'internal error'; they wait as unconfirmed and the next start sends them."""
    chats = list(range(9500, 9540))
    async with running_bot(copy_db, enforce=False) as env:
        # Closed before the rows are queued: on PostgreSQL the replica's sender is woken by the queueing itself.
        await env.app.bot.request.shutdown()
        delivery, alert_id = await _alert(env, chats)
        await asyncio.wait_for(delivery.drain(), timeout=30)
        rows = await env.store.outbox.rows_for_alert(alert_id)
        assert len(rows) == len(chats)
        assert {state for state, *_ in rows.values()} <= {"pending", "sending"}, rows
        assert [c for c in env.standin.calls if c.method == "sendMessage"] == []
    async with running_bot(copy_db, enforce=False, known_chats=chats) as env:
        await env.app.bot_data["services"].delivery.drain(resume=True)
        assert await _all_sent(env, alert_id)
        assert [len(env.standin.messages(chat)) for chat in chats] == [1] * len(chats)  # each once, none twice

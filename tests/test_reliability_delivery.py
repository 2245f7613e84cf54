"""Issue 8, the delivery's findings, each replayed as it was found: the real bot over HTTP against the
stand-in, real SQLite files, real GTWC Europe 2023 results; time on a ManualClock wherever it matters."""

from __future__ import annotations

import asyncio
import math
import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import render
from bot.alerts.planner import plan_summaries
from bot.core.clock import ManualClock
from bot.delivery import Action, Delivery, Limits, action_for
from bot.delivery.relevance import stale_reason
from bot.i18n import Translator
from storage.store import Store
from tests.botenv import ADMIN_ID, TOKEN, BotEnv, running_bot
from tests.clocked import drive, elapse, until
from tests.databases import holding, sqlite_only

# No pacing at all (an infinite rate waits for nothing), so a frozen ManualClock never holds a send.
UNLIMITED = Limits(per_second=math.inf, private_interval=0.0, group_per_minute=10**9, margin=0.0)
T0 = datetime(2026, 5, 3, 12, 0, tzinfo=UTC)
CHATS = 2000


async def _barcelona_summary(env: BotEnv, chats: list[int]) -> int:
    """The Barcelona race summary queued for `chats`, all following Klaus Bachler: one alert, a row each."""
    store = env.store
    bachler = next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Klaus Bachler")
    session = next(
        s.session_id
        for s in await store.schedule.schedule("gtwc-europe", 2023)
        if (s.event_key, s.key) == ("barcelona", "race")
    )
    for chat in chats:
        env.standin.private_chat(env.standin.user(chat, first_name="Fan", language_code="en"))
    await store.chats.add_many([(c, "private", "en") for c in chats], [(c, "driver", bachler) for c in chats])
    plan = await plan_summaries(store, session)
    assert plan is not None
    text = render.race_summary(Translator("en"), plan.for_chat(chats[0]))
    alert_id = await store.outbox.alert("summary", f"summary:{session}", session)
    await store.outbox.enqueue_alerts(alert_id, [(chat, text, None) for chat in chats])
    return alert_id


def _delivery(env: BotEnv) -> Delivery:
    delivery: Delivery = env.app.bot_data["services"].delivery
    return delivery


# -- finding 2: an outage killed every summary due in it --------------------------------------------------


@pytest.mark.parametrize("outage", [60.0, 600.0])
async def test_an_outage_during_a_2000_chat_summary_loses_nothing(copy_db: Path, outage: float) -> None:
    clock = ManualClock(T0)
    async with running_bot(copy_db, limits=UNLIMITED, clock=clock) as env:
        chats = list(range(500_000, 500_000 + CHATS))
        alert_id = await _barcelona_summary(env, chats)
        delivery = _delivery(env)
        drain = asyncio.create_task(delivery.drain())
        await until(lambda: len(env.standin.messages()) >= 500)
        env.standin.go_down("reset")  # connections dropped without an answer, as when the API is unreachable
        down_at = len(env.standin.calls)
        await drive(clock, lambda: delivery.outage.down, step=0.01, limit=5)
        await elapse(clock, outage)
        env.standin.come_back()
        during = env.standin.calls[down_at:]
        await drive(clock, lambda: not delivery.outage.down, step=1.0, limit=61)
        await until(drain.done, timeout=60)
        await drain

        sends_during = sum(1 for c in during if c.method == "sendMessage")
        probes = sum(1 for c in during if c.method == "getMe")
        # Only the rows in flight when it went down met it; then one probe at a time, backing off to 60 s.
        assert sends_during <= delivery.workers, sends_during
        assert 1 <= probes <= 7 + outage / 60, (probes, Counter(c.method for c in during), delivery.outage.probes)
        per_chat = Counter(m["chat_id"] for m in env.standin.messages() if "Barcelona" in (m["text"] or ""))
        assert set(per_chat) == set(chats)  # 0 lost
        assert sum(n - 1 for n in per_chat.values()) <= delivery.workers  # duplicates ≤ rows in flight
        rows = await env.store.outbox.rows_for_alert(alert_id)
        assert Counter(state for state, *_ in rows.values()) == {"sent": CHATS}  # 0 dead
        assert max(attempts for _, attempts, *_ in rows.values()) <= 2  # waited, not burnt out
        assert env.errors() == []


async def test_a_summary_waiting_longer_than_the_max_age_is_dropped_and_counted(copy_db: Path) -> None:
    clock = ManualClock(T0)
    async with running_bot(copy_db, limits=UNLIMITED, clock=clock) as env:
        delivery = _delivery(env)
        env.standin.go_down("502")
        alert_id = await _barcelona_summary(env, [600_001])
        drain = asyncio.create_task(delivery.drain())
        await drive(clock, lambda: delivery.outage.down, step=0.01, limit=5)
        await elapse(clock, 49 * 3600, step=1800.0)
        env.standin.come_back()
        await drive(clock, drain.done, step=1.0, limit=61)
        [(state, _, _, error)] = (await env.store.outbox.rows_for_alert(alert_id)).values()
        assert state == "dead" and error is not None and "no longer relevant" in error
        assert delivery.expired == 1
        assert not [m for m in env.standin.messages(600_001) if "Barcelona" in (m["text"] or "")]


# -- finding 6: the token in outbox.last_error ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["garbage", "malformed", "502", "reset"])
async def test_a_malformed_answer_stores_no_token(copy_db: Path, mode: str) -> None:
    clock = ManualClock(T0)
    async with running_bot(copy_db, limits=UNLIMITED, clock=clock) as env:
        delivery = _delivery(env)
        env.standin.go_down(mode)
        alert_id = await _barcelona_summary(env, [600_002])
        drain = asyncio.create_task(delivery.drain())
        await drive(clock, lambda: delivery.outage.down, step=0.01, limit=5)
        [(_, _, _, error)] = (await env.store.outbox.rows_for_alert(alert_id)).values()
        assert error and TOKEN not in error, error  # the failure was recorded, redacted …
        env.standin.come_back()
        await drive(clock, drain.done, step=1.0, limit=61)
    assert holding(copy_db, TOKEN) == []  # … and the token is nowhere in the database (files or tables)
    async with await Store.open(copy_db) as store:
        [(state, *_)] = (await store.outbox.rows_for_alert(alert_id)).values()
        assert state == "sent"  # and the alert still went out once the API answered


# -- finding 7: the `sent` mark failed after a successful send --------------------------------------------


@sqlite_only("another connection holds SQLite's one write lock (BEGIN IMMEDIATE) past busy_timeout")
async def test_a_locked_database_after_the_send_is_no_error_and_no_resend(copy_db: Path) -> None:
    async with running_bot(copy_db) as env:
        user = 610_001
        env.standin.user(user, first_name="Ana", language_code="en")
        await env.say(user, user, "/start")
        await env.store.db.execute("PRAGMA busy_timeout = 100")  # an import holds the lock longer than this
        env.standin.slow_next("sendMessage", 0.3, chat_id=user)
        other = sqlite3.connect(copy_db, isolation_level=None)
        env.standin.send_text(user, user, "/help")
        await until(lambda: _sending(copy_db))
        other.execute("BEGIN IMMEDIATE")  # taken while the reply is on its way
        await env.standin.wait_for_messages(user, 2, timeout=10)
        await asyncio.sleep(0.5)  # the mark is refused meanwhile, and retried
        other.execute("COMMIT")
        other.close()
        await until(lambda: _no_sending(copy_db), timeout=15)
        texts = [m["text"] or "" for m in env.standin.messages(user)]
        assert not any("went wrong" in t for t in texts), texts
        assert env.errors() == []
        assert (await env.store.chats.stats())["outbox_pending"] == 0  # sent: a restart resends nothing


def _sending(db: Path) -> bool:
    with sqlite3.connect(db) as conn:
        return bool(conn.execute("SELECT count(*) FROM outbox WHERE state = 'sending'").fetchone()[0])


def _no_sending(db: Path) -> bool:
    return not _sending(db)


# -- finding 9: a send answered after 5 s was delivered twice ---------------------------------------------


async def test_a_send_answered_after_six_seconds_is_delivered_once(copy_db: Path) -> None:
    async with running_bot(copy_db) as env:
        alert_id = await _barcelona_summary(env, [620_001])
        env.standin.slow_next("sendMessage", 6.0, chat_id=620_001)
        await _delivery(env).drain()
        assert len([m for m in env.standin.messages(620_001) if "Barcelona" in (m["text"] or "")]) == 1
        [(state, attempts, *_)] = (await env.store.outbox.rows_for_alert(alert_id)).values()
        assert state == "sent" and attempts == 1


# -- finding 10: permanent errors matched by substring ----------------------------------------------------


def test_the_permanent_errors_table_is_exact() -> None:
    assert action_for(403, "Forbidden: bot was blocked by the user") is Action.DEACTIVATE
    assert action_for(403, "Forbidden: bot was kicked from the supergroup chat") is Action.DEACTIVATE
    assert action_for(403, "Forbidden: user is deactivated") is Action.DEACTIVATE
    assert action_for(400, "Chat not found") is Action.DEACTIVATE  # as python-telegram-bot hands it over
    assert action_for(400, "Bad Request: chat not found") is Action.DEACTIVATE
    assert action_for(400, "Bad Request: TOPIC_CLOSED") is Action.CLEAR_TOPIC
    assert action_for(400, "Bad Request: message thread not found") is Action.CLEAR_TOPIC
    assert action_for(400, "Bad Request: not enough rights to send text messages to the chat") is Action.TELL_ADMINS
    assert action_for(400, "Bad Request: CHAT_WRITE_FORBIDDEN") is Action.TELL_ADMINS
    assert action_for(403, "Forbidden: CHAT_WRITE_FORBIDDEN") is Action.TELL_ADMINS
    assert action_for(400, "Bad Request: have no rights to send a message") is Action.TELL_ADMINS
    # An edit to what the message already shows (a stale button): done, not refused, nothing logged as an error.
    unchanged = (
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the"
        " same as a current content and reply markup of the message"
    )
    assert action_for(400, unchanged) is Action.UNCHANGED
    # Unknown, or known words in another sentence: that row only, never the chat.
    assert action_for(400, "Bad Request: message text is empty") is Action.DROP_ROW
    assert action_for(403, "Forbidden: something new") is Action.DROP_ROW
    assert action_for(400, "Bad Request: the chat not found yet") is Action.DROP_ROW
    assert action_for(403, "Forbidden: bot was blocked by the user, maybe") is Action.DROP_ROW


async def test_refusals_act_on_the_row_the_topic_or_the_admins_but_keep_the_chat(copy_db: Path) -> None:
    async with running_bot(copy_db) as env:
        admin, closed, no_rights, unknown_400, unknown_403 = ADMIN_ID, -630_001, -630_002, -630_003, -630_004
        env.standin.user(admin, first_name="Ada", language_code="en")
        await env.say(admin, admin, "/start")  # the admin has a private chat with the bot
        for group in (closed, no_rights, unknown_400, unknown_403):
            env.standin.group(group, title=f"Fans <{group}>", admins=[admin], supergroup=True, is_forum=True)
            await env.store.chats.ensure(group, "supergroup", f"Fans <{group}>", "en")
        await env.store.chats.set_settings(closed, {"thread_id": 77})
        faults = [
            (closed, 400, "Bad Request: TOPIC_CLOSED"),
            (no_rights, 400, "Bad Request: not enough rights to send text messages to the chat"),
            (no_rights, 400, "Bad Request: not enough rights to send text messages to the chat"),
            (unknown_400, 400, "Bad Request: something we never saw"),
            (unknown_403, 403, "Forbidden: something we never saw"),
        ]
        for chat, code, description in faults:
            env.standin.fail_next("sendMessage", chat_id=chat, error_code=code, description=description)
        groups = [closed, no_rights, unknown_400, unknown_403]
        for key in ("first", "second"):  # two alerts: the admins are told about the missing right once
            alert_id = await env.store.outbox.alert("test", f"refusals:{key}", None)
            for group in groups:
                await env.store.outbox.enqueue_alert(alert_id, group, f"Alert {key}", None)
            await _delivery(env).drain()
        await _delivery(env).drain()

        for group in groups:
            chat = await env.store.chats.get(group)
            assert chat is not None and chat.active, group  # no refusal here disables the chat
        in_main = [m for m in env.standin.messages(closed) if m["text"] == "Alert first"]
        assert len(in_main) == 1 and in_main[0].get("message_thread_id") is None  # resent to the main chat
        assert "thread_id" not in (await env.store.chats.get(closed)).settings  # type: ignore[union-attr]
        notices = [m for m in env.standin.messages(admin) if "may not post in" in (m["text"] or "")]
        assert len(notices) == 1 and f"Fans &lt;{no_rights}&gt;" not in notices[0]["text"]  # told once, escaped
        assert f"Fans <{no_rights}>" in notices[0]["text"]
        assert [m["text"] for m in env.standin.messages(unknown_400)] == ["Alert second"]
        assert [m["text"] for m in env.standin.messages(unknown_403)] == ["Alert second"]
        assert env.errors() == []


# -- finding 10: /broadcast bypassed the outbox -----------------------------------------------------------


async def test_a_broadcast_cut_short_by_a_crash_still_reaches_every_chat(copy_db: Path) -> None:
    chats = list(range(640_000, 640_090))
    async with running_bot(copy_db, limits=Limits()) as env:
        env.standin.user(ADMIN_ID, first_name="Admin", language_code="en")
        for chat in chats:
            env.standin.private_chat(env.standin.user(chat, first_name="Fan", language_code="en"))
            await env.store.chats.ensure(chat, "private", None, "en")
        await env.say(ADMIN_ID, ADMIN_ID, "/broadcast Rain expected at Spa & Monza")
        await until(lambda: len([m for m in env.standin.messages() if "Rain" in (m["text"] or "")]) >= 20)
        for task in asyncio.all_tasks():  # the process dies: whatever it held in memory is gone
            if task.get_name() == "broadcast":
                task.cancel()
        await asyncio.sleep(0.1)
        first = {m["chat_id"] for m in env.standin.messages() if "Rain" in (m["text"] or "")}
    assert len(first & set(chats)) < len(chats)  # cut short: at 30 messages a second, 90 take 3 s
    # Restarted: the start job (on PostgreSQL the replica's sender, at once) resumes the outbox.
    async with running_bot(copy_db, limits=UNLIMITED, known_chats=[*chats, ADMIN_ID]) as env:

        def reached() -> set[int]:
            return {m["chat_id"] for m in env.standin.messages() if "Rain" in (m["text"] or "")}

        # Waits for what the test checks (a resent row to a chat already reached must not end the wait early).
        await until(lambda: set(chats) <= first | reached())
        second = reached()
    assert set(chats) <= first | second  # every chat reached, before or after the crash


def test_what_is_still_relevant() -> None:
    queued = "2026-05-03T12:00:00.000000Z"
    start = "2026-05-03T13:00:00Z"
    assert stale_reason("reminder", queued, start, T0 + timedelta(minutes=59)) is None
    assert "session has started" in (stale_reason("reminder", queued, start, T0 + timedelta(hours=1)) or "")
    assert stale_reason("summary", queued, None, T0 + timedelta(hours=48)) is None
    assert "older than 48 h" in (stale_reason("summary", queued, None, T0 + timedelta(hours=48, seconds=1)) or "")
    assert stale_reason("summary", queued, None, T0 + timedelta(hours=3), max_age=timedelta(hours=2)) is not None
    assert stale_reason(None, queued, None, T0 + timedelta(minutes=14)) is None  # a command reply
    assert stale_reason(None, queued, None, T0 + timedelta(minutes=16)) is not None

"""The bot wired for replicas on PostgreSQL (bot/app.py, bot/delivery/replicas.py), in one process against the
stand-in: replies carry this replica's claim, broadcasts go through the claiming sender woken by NOTIFY, a
refusal deactivates the chat as on SQLite, and this replica leads (the change feed's jobs run here).
"""

from __future__ import annotations

import asyncio

import asyncpg

from bot.delivery.replica_worker import ReplicaSender
from bot.delivery.shared_gate import SharedFloodGate
from bot.leadership import LEADERSHIP, Leadership
from tests.botenv import ADMIN_ID, running_bot
from tests.replicas_pg import fresh_database

FANS = [7001, 7002, 7003]
BLOCKED = 7004


async def _rows(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_on_postgresql_replies_and_broadcasts_go_through_claims_and_this_replica_leads() -> None:
    url = await fresh_database()
    # No test gate: the shared one, with Telegram's limits (a second per chat between the reply and the broadcast).
    async with running_bot(url, limits=None) as env:  # type: ignore[arg-type]
        delivery = env.app.bot_data["services"].delivery
        assert isinstance(delivery.replica, ReplicaSender)
        assert isinstance(delivery.gate, SharedFloodGate)
        lead = env.app.bot_data[LEADERSHIP]
        assert isinstance(lead, Leadership) and lead.is_leader
        replica = delivery.replica.claims.replica_id

        env.standin.user(ADMIN_ID, first_name="Admin")
        for user in [*FANS, BLOCKED]:
            env.standin.user(user, first_name="Fan")
            assert await env.say(user, user, "/start")
        # Blocked, as Telegram tells it when the next message goes out: 403 to that send.
        env.standin.fail_next(
            "sendMessage", chat_id=BLOCKED, error_code=403, description="Forbidden: bot was blocked by the user"
        )
        # A reply is sent at once by the replica that handled the update, under its claim.
        replies = await _rows(url, "SELECT state, claimed_by FROM outbox WHERE alert_id IS NULL")
        assert replies and {(r["state"], r["claimed_by"]) for r in replies} == {("sent", replica)}

        before = delivery.replica.counters.wakeups_by_notification
        assert await env.say(ADMIN_ID, ADMIN_ID, "/broadcast Race day!", expect=2)
        for fan in FANS:
            got = await env.standin.wait_for_messages(fan, 2, timeout=20)
            assert sum("Race day!" in m["text"] for m in got) == 1

        async def settled() -> list[asyncpg.Record]:
            for _ in range(200):
                rows = await _rows(
                    url,
                    "SELECT o.chat_id, o.state, o.claimed_by FROM outbox o JOIN alerts a ON a.id = o.alert_id"
                    " WHERE a.kind = 'broadcast'",
                )
                if rows and all(r["state"] in ("sent", "dead") for r in rows):
                    return rows
                await asyncio.sleep(0.05)  # the sender's marks, written after the sends
            raise AssertionError(f"broadcast rows not settled: {rows}")

        rows = {r["chat_id"]: (r["state"], r["claimed_by"]) for r in await settled()}
        assert {rows[f] for f in FANS} == {("sent", replica)}
        assert rows[BLOCKED][0] == "dead"
        assert (await env.store.chats.get(BLOCKED)).active is False  # type: ignore[union-attr]
        # The sender was woken by the broadcast's NOTIFY, not by a timer.
        assert delivery.replica.counters.wakeups_by_notification > before
        assert not env.errors()

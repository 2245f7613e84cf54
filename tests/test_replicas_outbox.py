"""Outbox claims for several senders (storage/outbox_claims.py) and their wake-up by LISTEN/NOTIFY, against a
real PostgreSQL server: three pools stand for three replicas; times are given, never waited for."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from bot.core.clock import ManualClock
from bot.delivery.replica_worker import ReplicaSender, wake_or_sleep
from storage.outbox_claims import OutboxClaims, OutboxListener, notify_queued, stamp
from tests.replicas_pg import fresh_database

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
async def url() -> str:
    return await fresh_database()


@pytest.fixture
async def pools(url: str) -> AsyncIterator[list[asyncpg.Pool]]:
    made = [await asyncpg.create_pool(url, min_size=1, max_size=4) for _ in range(3)]
    yield made
    for pool in made:
        await pool.close()


async def _queue(pool: asyncpg.Pool, chats: list[int], priority: int = 10, at: datetime = T0) -> list[int]:
    async with pool.acquire() as conn, conn.transaction():
        ids = [
            await conn.fetchval(
                "INSERT INTO outbox (chat_id, priority, text, state, created_at, next_attempt_at)"
                " VALUES ($1, $2, $3, 'pending', $4, $4) RETURNING id",
                chat,
                priority,
                f"message to {chat}",
                stamp(at),
            )
            for chat in chats
        ]
        await notify_queued(conn)
    return ids


def _replicas(pools: list[asyncpg.Pool], at: list[datetime]) -> list[OutboxClaims]:
    return [OutboxClaims(pool, f"replica-{n}", lambda: at[0]) for n, pool in enumerate(pools)]


async def test_three_replicas_claiming_at_once_take_every_row_exactly_once_replies_first(
    pools: list[asyncpg.Pool],
) -> None:
    broadcast = await _queue(pools[0], list(range(1, 301)))
    replies = await _queue(pools[0], [9001, 9002], priority=0)
    claims = _replicas(pools, [T0])
    taken: dict[str, list[int]] = {c.replica_id: [] for c in claims}

    async def claimer(c: OutboxClaims) -> None:
        while rows := await c.claim(limit=25, lease_seconds=30, now=T0):
            taken[c.replica_id].extend(r.id for r in rows)

    await asyncio.gather(*(claimer(c) for c in claims))
    every = [i for ids in taken.values() for i in ids]
    assert sorted(every) == sorted(broadcast + replies)  # each row once, none left out
    assert all(taken.values()), "every replica got a share"
    # The first claims took the replies (priority 0) before any broadcast row.
    first_rows = {ids[0] for ids in taken.values()} | {ids[1] for ids in taken.values()}
    assert set(replies) <= first_rows
    states = await pools[0].fetch("SELECT state, claimed_by, claim_expires_at, attempts FROM outbox")
    assert {(r["state"], r["claim_expires_at"], r["attempts"]) for r in states} == {
        ("sending", stamp(T0 + timedelta(seconds=30)), 1)
    }


async def test_an_expired_claim_is_retaken_and_only_the_claimer_marks_it(pools: list[asyncpg.Pool]) -> None:
    ids = await _queue(pools[0], [11, 12, 13])
    a, b, _ = _replicas(pools, [T0])
    assert [r.id for r in await a.claim(limit=10, lease_seconds=30, now=T0)] == ids
    # Within the lease nobody else gets them; the next due moment is the lease's end.
    assert await b.claim(limit=10, lease_seconds=30, now=T0 + timedelta(seconds=29)) == []
    assert await b.next_due() == T0 + timedelta(seconds=30)
    # Replica a stalls (or died): at the lease's end b takes them over.
    retaken = await b.claim(limit=10, lease_seconds=30, now=T0 + timedelta(seconds=30))
    assert [r.id for r in retaken] == ids and {r.attempts for r in retaken} == {2}
    # a comes back and reports its sends: they no longer count; b's marks do.
    assert await a.mark_sent([(i, 100 + i) for i in ids]) == 0
    assert not await a.mark_failed(ids[0], "late", T0)
    assert not await a.mark_dead(ids[0], "late")
    assert await b.mark_sent([(ids[0], 7), (ids[1], 8)]) == 2
    assert await b.mark_dead(ids[2], "Forbidden: bot was blocked by the user")
    rows = {r["id"]: r for r in await pools[0].fetch("SELECT * FROM outbox")}
    assert [(rows[i]["state"], rows[i]["message_id"], rows[i]["claimed_by"]) for i in ids] == [
        ("sent", 7, "replica-1"),
        ("sent", 8, "replica-1"),
        ("dead", None, "replica-1"),
    ]
    assert await b.next_due() is None


async def test_a_429_row_waits_for_its_retry_time_then_any_replica_takes_it(pools: list[asyncpg.Pool]) -> None:
    [row_id] = await _queue(pools[0], [21])
    a, b, c = _replicas(pools, [T0])
    await a.claim(limit=5, lease_seconds=30, now=T0)
    error_text = "429 at /bot123456:AAHsecretSECRETsecretSECRET_xyz/sendMessage"
    assert await a.mark_failed(row_id, error_text, T0 + timedelta(seconds=7))
    assert await b.next_due() == T0 + timedelta(seconds=7)
    assert await b.claim(limit=5, lease_seconds=30, now=T0 + timedelta(seconds=6)) == []
    [again] = await c.claim(limit=5, lease_seconds=30, now=T0 + timedelta(seconds=7))
    assert again.id == row_id and again.attempts == 2
    error = await pools[0].fetchval("SELECT last_error FROM outbox WHERE id = $1", row_id)
    assert "SECRET" not in error  # stored errors are redacted


async def test_claimed_rows_bring_their_alert_their_session_and_their_parts_joined(pools: list[asyncpg.Pool]) -> None:
    pool = pools[0]
    series = await pool.fetchval("INSERT INTO series (slug, name) VALUES ('f1', 'Formula 1') RETURNING id")
    season = await pool.fetchval("INSERT INTO seasons (series_id, year) VALUES ($1, 2026) RETURNING id", series)
    event = await pool.fetchval(
        "INSERT INTO events (season_id, key, name) VALUES ($1, 'bahrain', 'Bahrain') RETURNING id", season
    )
    session = await pool.fetchval(
        "INSERT INTO sessions (event_id, key, name, kind, start_utc)"
        " VALUES ($1, 'race', 'Race', 'race', '2026-03-01T14:00:00Z') RETURNING id",
        event,
    )
    alert = await pool.fetchval(
        "INSERT INTO alerts (kind, session_id, key, created_at) VALUES ('reminder', $1, 'reminder:1:60', $2)"
        " RETURNING id",
        session,
        stamp(T0),
    )
    parts = [
        await pool.fetchval("INSERT INTO outbox_parts (alert_id, text) VALUES ($1, $2) RETURNING id", alert, text)
        for text in ("<b>Race</b> in 60 min", "Car #1", "Car #2")
    ]
    await pool.execute(
        "INSERT INTO outbox (alert_id, chat_id, text, parts, state, created_at, next_attempt_at)"
        " VALUES ($1, 5, '', $2, 'pending', $3, $3)",
        alert,
        f"{parts[0]},{parts[2]},{parts[1]}",
        stamp(T0),
    )
    [row] = await _replicas(pools, [T0])[0].claim(limit=5, lease_seconds=30, now=T0)
    assert row.text == "<b>Race</b> in 60 min\nCar #2\nCar #1"
    assert (row.kind, row.session_start, row.chat_id) == ("reminder", "2026-03-01T14:00:00Z", 5)


async def test_released_rows_go_back_to_the_queue_and_wake_the_senders(url: str, pools: list[asyncpg.Pool]) -> None:
    ids = await _queue(pools[0], [31, 32])
    a, b, _ = _replicas(pools, [T0])
    await a.claim(limit=5, lease_seconds=30, now=T0)
    listener = OutboxListener(url)
    await listener.connect()
    listener.event.clear()
    try:
        assert await b.release(ids) == 0  # not b's to release
        assert await a.release(ids) == 2
        await asyncio.wait_for(listener.event.wait(), 10)  # a guard, not a measurement
        assert [r.id for r in await b.claim(limit=5, lease_seconds=30, now=T0)] == ids
    finally:
        await listener.close()


async def test_a_row_queued_by_another_connection_wakes_a_sleeping_sender_on_commit_not_before(
    url: str, pools: list[asyncpg.Pool]
) -> None:
    clock = ManualClock(T0)
    claims = OutboxClaims(pools[0], "replica-0", clock.now)
    listener = OutboxListener(url)
    await listener.connect()
    order: list[str] = []
    sent: list[int] = []

    async def send(row: object) -> int:
        sent.append(row.chat_id)  # type: ignore[attr-defined]
        return 1

    class OpenGate:
        async def acquire(self, chat_id: int, reply: bool = True, paid: bool = False) -> None:
            return None

        def too_many(self, chat_id: int, retry_after: float) -> bool:
            return False

    sender = ReplicaSender(claims, listener, OpenGate(), send, clock=clock)
    task = asyncio.create_task(sender.run())
    try:
        # Nothing queued: the sender sleeps on the clock (an hour-long idle sleep) and the listener.
        while clock.sleepers() == 0:
            await asyncio.sleep(0.001)
        other = await asyncpg.connect(url)
        try:
            tx = other.transaction()
            await tx.start()
            await other.execute(
                "INSERT INTO outbox (chat_id, text, state, created_at, next_attempt_at)"
                " VALUES (41, 'hello', 'pending', $1, $1)",
                stamp(T0),
            )
            await notify_queued(other)
            # Inserted and notified, not committed: a round trip later, still nothing has arrived.
            await other.fetchval("SELECT 1")
            await pools[0].fetchval("SELECT 1")
            order.append(f"before commit: woken={sender.counters.wakeups_by_notification}")
            committed = time.perf_counter()
            await tx.commit()
            order.append("committed")
        finally:
            await other.close()
        while not sent:
            await asyncio.sleep(0.0005)
        woke_after = time.perf_counter() - committed
        order.append("sent")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await listener.close()
    assert order == ["before commit: woken=0", "committed", "sent"]
    assert sent == [41]
    assert sender.counters.wakeups_by_notification == 1 and sender.counters.wakeups_by_time == 0
    assert clock.monotonic() == 0.0  # no time passed on the clock: the notification alone woke it
    print(f"woken and sent {woke_after * 1000:.1f} ms after the commit")


async def test_without_notifications_the_sender_sleeps_until_the_next_due_row() -> None:
    clock = ManualClock(T0)
    event = asyncio.Event()
    # A row due in 90 s: the sender sleeps exactly that long on the clock, no polling in between.
    waiter = asyncio.create_task(wake_or_sleep(event, clock, 90))
    await clock.settle()
    assert clock.sleepers() == 1
    await clock.advance(89.9)
    assert not waiter.done()
    await clock.advance(0.1)
    assert await waiter is False
    assert clock.sleepers() == 0
    # A notification cuts the sleep short, and leaves no sleeper behind.
    waiter = asyncio.create_task(wake_or_sleep(event, clock, 90))
    await clock.settle()
    event.set()
    assert await waiter is True
    assert clock.sleepers() == 0 and clock.monotonic() == 90

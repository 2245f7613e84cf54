"""The replicas' acceptance (issue 11) with real processes: three `pitboard run --webhook` on one PostgreSQL,
the Bot API stand-in in its own process enforcing Telegram's limits (30/s overall, 1/s per private chat,
20/min per group → 429 with retry_after). A race summary to 2,000 chats; during it the leader is killed
(kill -9) and PostgreSQL is restarted.

Processes run in real time, so this test waits for them (about 100 s), with generous deadlines; what it
asserts comes from the stand-in's record of every request and from the database, not from timing windows
of its own — except what the issue asks in seconds: another replica leads within 30 s.

PostgreSQL: a server of the replica tests' own (tests/replicas_pg.py), since this test restarts it; it
skips where PostgreSQL is not installed, and fails there under PITBOARD_TEST_POSTGRES=required (CI).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

import asyncpg

from tests.replicas_cluster import Cluster, counted_times, most_in_a_second
from tests.replicas_pg import fresh_database, server

PRIVATE, GROUPS = 1_950, 50


async def _outbox(url: str, sql: str, *args: object) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql, *args) or 0)
    finally:
        await conn.close()


async def test_three_replicas_send_a_2000_chat_summary_through_a_leader_kill_and_a_database_restart() -> None:
    pg = server()
    url = await fresh_database()
    cluster = Cluster(pg, url, Path(tempfile.mkdtemp(prefix="pitboard-replicas-procs-")), lease=10.0)
    try:
        await cluster.start_standin()
        await cluster.seed(PRIVATE, GROUPS)
        await cluster.start_replicas(3)
        await cluster.ready()
        audience = len(cluster.chats)
        assert audience == 2_000

        await cluster.announce_race()

        async def reached(count: int) -> bool:
            return await cluster.sent_count() >= count

        # 1. kill -9 the leader a fifth of the way through.
        await cluster.wait_until("400 chats reached", lambda: reached(400), timeout=120)
        leader = (await cluster.leaders())[0]
        await cluster.kill(leader)
        killed_at = time.monotonic()
        # What it had claimed and not marked: sent already, or not yet — the only rows that may go out twice.
        in_flight = await _outbox(
            url, "SELECT count(*) FROM outbox WHERE state = 'sending' AND claimed_by LIKE $1", f"%:{leader.pid}:%"
        )
        survivors = [r for r in cluster.replicas if r is not leader]

        async def one_leader() -> bool:
            return len(await cluster.leaders()) == 1

        await cluster.wait_until("another replica leads", one_leader, timeout=60, every=0.1)
        failover = time.monotonic() - killed_at
        assert failover <= 30.0, f"another replica led only after {failover:.1f} s"

        # 2. PostgreSQL restarted half-way: replicas keep /healthz, lose /readyz, and come back.
        await cluster.wait_until("1,100 chats reached", lambda: reached(1_100), timeout=120)
        sent_before = [
            await cluster.metric(r, "pitboard_messages_sent", "pitboard_messages_sent_total") for r in survivors
        ]
        stopped_at = time.monotonic()
        await asyncio.to_thread(pg.stop, "fast")
        try:
            for replica in survivors:
                assert (await cluster.get(replica, "/healthz"))[0] == 200

            async def not_ready() -> bool:
                return [(await cluster.get(r, "/readyz"))[0] for r in survivors] == [503] * len(survivors)

            await cluster.wait_until("/readyz 503 while PostgreSQL is down", not_ready, timeout=30)
        finally:
            await asyncio.to_thread(pg.start)
            started_at = time.monotonic()

        async def done() -> bool:
            waiting = await _outbox(url, "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending', 'failed')")
            return waiting == 0 and await cluster.sent_count() >= audience

        await cluster.wait_until("every row sent", done, timeout=240, every=1.0)
        for replica in survivors:
            assert (await cluster.get(replica, "/readyz"))[0] == 200, cluster.tail(replica)
        sent_after = [
            await cluster.metric(r, "pitboard_messages_sent", "pitboard_messages_sent_total") for r in survivors
        ]
        sends = await cluster.sends()
        stats = await cluster.control("stats")
        dead = await _outbox(url, "SELECT count(*) FROM outbox WHERE state = 'dead'")
    finally:
        await cluster.stop()

    delivered = chat_counts(sends, set(cluster.chats))
    assert set(delivered) == set(cluster.chats), f"lost: {len(set(cluster.chats) - set(delivered))}"
    duplicates = sum(n - 1 for n in delivered.values())
    assert duplicates <= in_flight, f"{duplicates} duplicates, {in_flight} rows were in flight"
    # The stand-in's clock is the machine's monotonic clock, as the test's: the moments line up.
    refused = [round(c["time"] - killed_at, 2) for c in sends if c["status"] == 429]
    assert stats["rejected_429"] == 0, (
        f"429s at {refused} s after the kill; the database stopped at {stopped_at - killed_at:.1f} s"
        f" and was back at {started_at - killed_at:.1f} s"
    )
    assert most_in_a_second(counted_times(sends)) <= 30
    assert dead == 0
    print(  # the figures, for `pytest -s`
        f"\nfailover {failover:.1f} s; {duplicates} duplicate(s) of {in_flight} in flight at the kill; 429s 0;"
        f" most in one second {most_in_a_second(counted_times(sends))}"
    )
    # Both replicas that lived through the restart sent again after it.
    for before, after in zip(sent_before, sent_after, strict=True):
        assert before is not None and after is not None and after > before


def chat_counts(sends: list[dict[str, object]], audience: set[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for call in sends:
        params = call["params"]
        assert isinstance(params, dict)
        chat = params["chat_id"]
        if call["status"] == 200 and chat in audience:
            counts[chat] = counts.get(chat, 0) + 1
    return counts

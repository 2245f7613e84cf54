"""Leader election among replicas by a PostgreSQL advisory lock (bot/leadership.py, storage/leader.py),
against a real PostgreSQL server; time is a ManualClock, a dead leader is a real process killed with -9."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import asyncpg

from bot.core.clock import ManualClock
from bot.leadership import DEFAULT_PERIOD, AlwaysLeader, Leadership, leadership_for
from storage.leader import LEADER_KEY
from storage.migrate import migrate_postgres
from tests.replicas_pg import fresh_database


async def _lock_holders(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database ="
                " (SELECT oid FROM pg_database WHERE datname = current_database())"
            )
        )
    finally:
        await conn.close()


async def test_one_of_three_leads_and_another_takes_over_within_one_period_when_its_session_dies() -> None:
    url = await fresh_database()
    clock = ManualClock()
    events: list[tuple[float, str, int]] = []

    def replica(n: int) -> Leadership:
        return Leadership(
            url,
            clock=clock,
            on_gain=lambda: events.append((clock.monotonic(), "gain", n)),
            on_loss=lambda: events.append((clock.monotonic(), "loss", n)),
        )

    replicas = [replica(n) for n in range(3)]
    for r in replicas:
        await r.start()
    try:
        assert [r.is_leader for r in replicas].count(True) == 1
        leader = next(n for n, r in enumerate(replicas) if r.is_leader)
        assert events == [(0.0, "gain", leader)]
        assert await _lock_holders(url) == 1
        # Rounds pass: the leader stays the leader (its check finds the session alive).
        for _ in range(3):
            await _advance_until_checked(clock, replicas, DEFAULT_PERIOD)
        assert replicas[leader].is_leader and len(events) == 1

        # The leader's session dies (as with kill -9 or a lost network, the server closes it).
        admin = await asyncpg.connect(url)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            )
        finally:
            await admin.close()
        died_at = clock.monotonic()
        await _advance_until_checked(clock, replicas, DEFAULT_PERIOD)
        leaders = [n for n, r in enumerate(replicas) if r.is_leader]
        assert len(leaders) == 1 and leaders[0] != leader
        assert (died_at + DEFAULT_PERIOD, "loss", leader) in events
        gained_at = max(t for t, what, n in events if what == "gain" and n == leaders[0])
        assert gained_at - died_at <= DEFAULT_PERIOD <= 30
        # The old leader does not come back while the new one holds the lock.
        await _advance_until_checked(clock, replicas, DEFAULT_PERIOD)
        assert [n for n, r in enumerate(replicas) if r.is_leader] == leaders
    finally:
        for r in replicas:
            await r.close()
    assert await _lock_holders(url) == 0
    assert not any(r.is_leader for r in replicas)


async def test_a_leader_process_killed_with_sigkill_frees_the_lock_for_the_next_try() -> None:
    url = await fresh_database()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import asyncio, asyncpg, sys\n"
            "async def main():\n"
            f"    conn = await asyncpg.connect({url!r})\n"
            f"    assert await conn.fetchval('SELECT pg_try_advisory_lock($1)', {LEADER_KEY})\n"
            "    print('leading', flush=True)\n"
            "    await asyncio.Event().wait()\n"
            "asyncio.run(main())\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert (await asyncio.to_thread(holder.stdout.readline)).strip() == "leading"
        clock = ManualClock()
        async with Leadership(url, clock=clock) as lead:
            assert not lead.is_leader
            os.kill(holder.pid, signal.SIGKILL)
            await asyncio.to_thread(holder.wait)
            # The server frees the lock once it sees the connection closed; the next tries get it. The issue
            # allows 30 s: six periods.
            tries = 0
            while not lead.is_leader and tries < 6:
                await _advance_until_checked(clock, [lead], DEFAULT_PERIOD)
                tries += 1
            assert lead.is_leader, "no takeover within 30 s after the leader was killed"
            assert lead.gained.is_set() and not lead.lost.is_set()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


async def test_a_pool_connection_holds_the_lock_until_the_leader_steps_down() -> None:
    url = await fresh_database()
    pool = await asyncpg.create_pool(url, min_size=1, max_size=3)
    try:
        clock = ManualClock()
        first, second = Leadership(pool, clock=clock), Leadership(pool, clock=clock)
        await first.start()
        await second.start()
        assert first.is_leader and not second.is_leader
        # The pool's other connections work on; the lock stays with the one connection taken for it.
        for _ in range(5):
            assert await pool.fetchval("SELECT 1") == 1
        await _advance_until_checked(clock, [first, second], DEFAULT_PERIOD)
        assert first.is_leader and not second.is_leader
        await first.close()  # stepping down hands the connection back, reset: the lock is free
        await _advance_until_checked(clock, [second], DEFAULT_PERIOD)
        assert second.is_leader
        await second.close()
    finally:
        await pool.close()


async def test_sqlite_has_one_process_that_always_leads(tmp_path: object) -> None:
    calls: list[str] = []
    lead = leadership_for(f"sqlite:///{tmp_path}/pitboard.db")
    assert isinstance(lead, AlwaysLeader)
    lead.on_gain = lambda: calls.append("gain")
    lead.on_loss = lambda: calls.append("loss")
    async with lead:
        assert lead.is_leader and lead.gained.is_set()
    assert calls == ["gain", "loss"] and not lead.is_leader
    assert isinstance(leadership_for("postgresql://postgres@127.0.0.1:1/x"), Leadership)


async def _advance_until_checked(clock: ManualClock, replicas: list[Leadership], seconds: float) -> None:
    """Move time on by `seconds` and let every replica finish its round (a database round trip is real I/O:
    wait until each is asleep on the clock again)."""
    await clock.advance(seconds)
    running = [r for r in replicas if r._task is not None]
    for _ in range(2000):
        if clock.sleepers() >= len(running):
            return
        await asyncio.sleep(0.001)
    raise AssertionError("a replica's leadership round did not finish")


async def test_a_leader_does_not_keep_another_replica_from_migrating_at_start() -> None:
    """The leader holds its lock as long as it runs: a replica starting meanwhile takes the migrations' lock."""
    url = await fresh_database()
    async with Leadership(url, period=60.0) as lead:
        assert lead.is_leader
        conn = await asyncpg.connect(url)
        try:
            await asyncio.wait_for(migrate_postgres(conn), 10)
        finally:
            await conn.close()

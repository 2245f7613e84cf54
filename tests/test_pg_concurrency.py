"""Read-modify-write spots that PostgreSQL runs side by side (READ COMMITTED, several connections or
replicas) where SQLite's one writer made them take turns: each must come out as if they had."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from storage.store import Store

KEY = "summary:concurrency"


@pytest.fixture
async def store(pg_url: str) -> AsyncIterator[Store]:
    async with await Store.open(pg_url) as opened:
        await opened.chats.add_many([(chat, "private", "en") for chat in range(1, 9)], [])
        yield opened


async def _waiting_for_a_lock(conn: asyncpg.Connection, pid: int) -> bool:
    return bool(await conn.fetchval("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = $1", pid))


async def test_queued_rows_of_one_alert_are_counted_by_the_transaction_that_added_them(
    store: Store, pg_url: str
) -> None:
    """Another planner (another replica) is queuing rows of the same alert: this one waits for it to end,
    then counts only its own rows — before, a commit between its two counts was added to its count."""
    alert = await store.outbox.alert("summary", KEY, None)
    other = await asyncpg.connect(pg_url)
    watcher = await asyncpg.connect(pg_url)
    try:
        # The other planner, inside Outbox.enqueue_alerts: the alert held, five rows in, not committed.
        other_tx = other.transaction()
        await other_tx.start()
        await other.execute("SELECT id FROM alerts WHERE id = $1 FOR UPDATE", alert)
        for chat in range(1, 6):
            await other.execute(
                "INSERT INTO outbox (alert_id, chat_id, priority, text, state, created_at, next_attempt_at)"
                " VALUES ($1, $2, 5, 'x', 'pending', 'now', 'now')",
                alert,
                chat,
            )
        mine = asyncio.ensure_future(store.outbox.enqueue_alerts(alert, [(chat, "y", None) for chat in range(4, 9)]))
        # Until this planner's connection waits for the alert's lock (a bound, not a measured window).
        for _ in range(500):
            pids = await watcher.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid NOT IN ($1, $2)",
                other.get_server_pid(),
                watcher.get_server_pid(),
            )
            if any([await _waiting_for_a_lock(watcher, r["pid"]) for r in pids]):
                break
            assert not mine.done(), "queued while another transaction held the alert"
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the second planner never waited for the first")
        await other_tx.commit()
        # Chats 4 and 5 were the other planner's: this one added 6, 7 and 8.
        assert await mine == 3
        assert len(await store.outbox.rows_for_alert(alert)) == 8
    finally:
        await other.close()
        await watcher.close()


async def test_a_settings_change_counts_a_change_another_replica_is_committing(store: Store, pg_url: str) -> None:
    """Another replica is changing the same chat (its row held, its time zone written, not committed); this
    press waits for it and changes the settings as they are then. A read-then-save would have written the
    old time zone back over it."""
    other = await asyncpg.connect(pg_url)
    watcher = await asyncpg.connect(pg_url)
    try:
        other_tx = other.transaction()
        await other_tx.start()
        await other.execute("SELECT id FROM chats WHERE id = 1 FOR UPDATE")
        await other.execute("UPDATE chats SET timezone = 'Asia/Tokyo' WHERE id = 1")
        press = asyncio.ensure_future(store.chats.update_prefs(1, lambda prefs: prefs.with_alert("qualifying", True)))
        for _ in range(500):
            waiting = await watcher.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if waiting:
                break
            assert not press.done(), "changed while another transaction held the chat"
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the press never waited for the chat's row")
        await other_tx.commit()
        changed = await press
        assert changed is not None
        chat = await store.chats.get(1)
        assert chat is not None
        assert (chat.timezone, chat.prefs.alert_qualifying) == ("Asia/Tokyo", True)
    finally:
        await other.close()
        await watcher.close()

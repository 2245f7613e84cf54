"""A PostgreSQL advisory lock held by one replica: the leader (bot/leadership.py decides what it runs).

The lock is session-level and lives on a connection of its own, kept open for as long as it is held: a pool
connection handed back would end the session's hold (asyncpg resets returned connections, which unlocks
every advisory lock). When the holder dies, even by kill -9, its connection closes and PostgreSQL frees the
lock, so another replica gets it on its next try.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

log = logging.getLogger(__name__)

# Who leads the replicas of one database: the key every replica asks for. Any bigint but the migrations' lock
# (storage/migrate.py, "pitboard"): a leader holds its key for as long as it runs, and a replica starting
# meanwhile must still be able to take the migrations' lock. "pbleader" spells it, clear of other users of
# advisory locks in a shared database.
LEADER_KEY = int.from_bytes(b"pbleader", "big")


class AdvisoryLock:
    """`pg_try_advisory_lock(key)` on a dedicated connection.

    `source` is a DSN (a new connection is opened for the lock) or an asyncpg pool (one of its connections
    is taken and kept while the lock is held or being tried; the pool has one connection fewer meanwhile).
    Every call answers within `timeout` seconds: a database that does not answer counts as a lost lock.
    """

    def __init__(self, source: asyncpg.Pool | str, key: int = LEADER_KEY, timeout: float = 5.0) -> None:
        self.source = source
        self.key = key
        self.timeout = timeout
        self._conn: Any = None  # asyncpg Connection, or a pool's PoolConnectionProxy
        self.held = False

    async def _connection(self) -> Any:
        if self._conn is not None and not self._conn.is_closed():
            return self._conn
        await self._drop()
        if isinstance(self.source, str):
            self._conn = await asyncpg.connect(self.source, timeout=self.timeout)
        else:
            self._conn = await self.source.acquire(timeout=self.timeout)
        return self._conn

    async def try_acquire(self) -> bool:
        """True when this process holds the lock now (it may have held it already); False when another
        session holds it or the database cannot be reached."""
        try:
            conn = await self._connection()
            if self.held:
                # Still ours only if the session that took it is alive: a cheap round trip says so.
                await conn.fetchval("SELECT 1", timeout=self.timeout)
                return True
            self.held = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key, timeout=self.timeout))
            return self.held
        except Exception as exc:  # any failure to confirm the lock means this replica does not lead
            # (asyncpg may also raise InternalClientError on a connection the server just terminated).
            if self.held:
                log.warning("leader lock lost: %s", type(exc).__name__)
            # Close the session for good: a connection that merely stalled must not keep the lock on the
            # server while this process believes it lost it.
            await self._drop()
            return False

    async def release(self) -> None:
        """Give the lock up (at shutdown, or stepping down): unlock, then close or hand back the connection."""
        if self._conn is not None and self.held and not self._conn.is_closed():
            with contextlib.suppress(OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await self._conn.fetchval("SELECT pg_advisory_unlock($1)", self.key, timeout=self.timeout)
        await self._drop()

    async def _drop(self) -> None:
        self.held = False
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if isinstance(self.source, str):
            conn.terminate()  # no goodbye: the server notices the closed socket and frees the lock
        else:
            with contextlib.suppress(OSError, asyncio.TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                # A pool resets a returned connection (pg_advisory_unlock_all) or closes a broken one.
                await self.source.release(conn, timeout=self.timeout)

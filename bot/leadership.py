"""Which replica runs the jobs that must run once for the whole bot: the change feed, the alert planner,
reminders and provider syncs. On PostgreSQL the holder of an advisory lock (storage/leader.py) leads; with
SQLite the one process always leads.

    async with Leadership(pool_or_dsn, clock=clock) as lead:
        ...
        if lead.is_leader:          # in each leader-only job
            await plan_alerts()

Every `period` seconds a replica that does not lead tries to take the lock, and the leader checks that its
lock's connection is alive; a leader that finds it lost steps down at once. A leader that dies frees the lock
with its connection, so another replica leads within one period (default 5 s; the issue asks ≤ 30 s).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from types import TracebackType
from typing import Any, Protocol

import asyncpg

from bot.core.clock import SYSTEM, Clock
from bot.core.tasks import cancel_and_wait
from storage.leader import LEADER_KEY, AdvisoryLock

log = logging.getLogger(__name__)

Callback = Callable[[], Awaitable[None] | None]
DEFAULT_PERIOD = 5.0  # seconds between tries; failover takes at most this plus a connection's round trip


class Lead(Protocol):
    """What the app asks: lead or not, and when that changes."""

    @property
    def is_leader(self) -> bool: ...

    gained: asyncio.Event  # set while leading
    lost: asyncio.Event  # set while not leading


class Leadership:
    """Leader election among replicas by a PostgreSQL advisory lock; see the module docstring.

    `on_gain` / `on_loss` (sync or async) run when this replica starts or stops leading: start the
    leader-only jobs on gain, stop them on loss. `gained` / `lost` are events set while in that state.
    """

    def __init__(
        self,
        source: asyncpg.Pool | str | AdvisoryLock,
        key: int = LEADER_KEY,
        clock: Clock = SYSTEM,
        period: float = DEFAULT_PERIOD,
        on_gain: Callback | None = None,
        on_loss: Callback | None = None,
    ) -> None:
        self.lock = source if isinstance(source, AdvisoryLock) else AdvisoryLock(source, key)
        self.clock = clock
        self.period = period
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.gained = asyncio.Event()
        self.lost = asyncio.Event()
        self.lost.set()
        self.changes = 0  # times the leadership changed hands here (for /metrics)
        self._task: asyncio.Task[None] | None = None

    @property
    def is_leader(self) -> bool:
        return self.gained.is_set()

    async def step(self) -> bool:
        """One round: try to take the lock, or check it is still ours. Returns whether this replica leads."""
        leads = await self.lock.try_acquire()
        if leads and not self.is_leader:
            log.info("this replica leads now")
            self.lost.clear()
            self.gained.set()
            self.changes += 1
            await _call(self.on_gain)
        elif not leads and self.is_leader:
            log.warning("this replica no longer leads")
            await self._step_down()
        return leads

    async def _step_down(self) -> None:
        self.gained.clear()
        self.lost.set()
        self.changes += 1
        await _call(self.on_loss)

    async def run(self) -> None:
        """Try or check every `period` seconds until cancelled."""
        while True:
            try:
                await self.step()
            except Exception:
                # A failing callback must not end the election: the next round tries again.
                log.exception("leadership round failed")
            await self.clock.sleep(self.period)

    async def start(self) -> None:
        await self.step()  # a replica that can lead at start does so before its first job runs
        self._task = asyncio.get_running_loop().create_task(self._run_later())

    async def _run_later(self) -> None:
        await self.clock.sleep(self.period)
        await self.run()

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None
        was_leader = self.is_leader
        await self.lock.release()
        if was_leader:
            await self._step_down()

    async def __aenter__(self) -> Leadership:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class AlwaysLeader:
    """The one SQLite process: it leads from start to end (the same interface as Leadership)."""

    def __init__(self, on_gain: Callback | None = None, on_loss: Callback | None = None) -> None:
        self.on_gain = on_gain
        self.on_loss = on_loss
        self.gained = asyncio.Event()
        self.lost = asyncio.Event()
        self.lost.set()
        self.changes = 0

    @property
    def is_leader(self) -> bool:
        return self.gained.is_set()

    async def step(self) -> bool:
        if not self.is_leader:
            self.lost.clear()
            self.gained.set()
            await _call(self.on_gain)
        return True

    async def start(self) -> None:
        await self.step()

    async def close(self) -> None:
        if self.is_leader:
            self.gained.clear()
            self.lost.set()
            await _call(self.on_loss)

    async def __aenter__(self) -> AlwaysLeader:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


LEADERSHIP = "leadership"  # where the Application keeps its Lead (bot_data)

Job = Callable[[Any], Coroutine[Any, Any, None]]


def leads(bot_data: Mapping[str, object]) -> bool:
    """Whether this process runs the leader-only jobs now: yes without an election (tests, tools)."""
    lead = bot_data.get(LEADERSHIP)
    return not isinstance(lead, (Leadership, AlwaysLeader)) or lead.is_leader


def leader_only(job: Job) -> Job:
    """A job (python-telegram-bot's `callback(context)`) that runs only while this replica leads: on the
    others it returns at once, and the leader's next run does the work."""

    @functools.wraps(job)
    async def run(context: Any) -> None:
        if leads(context.application.bot_data):
            await job(context)

    return run


def leadership_for(database_url: str, clock: Clock = SYSTEM, **kwargs: object) -> Leadership | AlwaysLeader:
    """The election a database calls for: PostgreSQL elects among replicas, SQLite has one process."""
    from storage.database import is_postgres

    if is_postgres(database_url):
        return Leadership(database_url, clock=clock, **kwargs)  # type: ignore[arg-type]
    return AlwaysLeader(**kwargs)  # type: ignore[arg-type]


async def _call(callback: Callback | None) -> None:
    if callback is None:
        return
    result = callback()
    if result is not None:
        await result

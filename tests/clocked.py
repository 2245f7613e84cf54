"""Driving a ManualClock while the real bot runs: time moves in steps, and between steps real I/O (HTTP to
the stand-in, SQLite) gets its turn. Tests then say "at T" in the clock's time, never the wall clock's."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable

from bot.core.clock import ManualClock

Check = Callable[[], bool | Awaitable[bool]]


async def _holds(check: Check) -> bool:
    result = check()
    return bool(await result) if inspect.isawaitable(result) else bool(result)


async def drive(
    clock: ManualClock, done: Check, *, step: float = 0.05, limit: float = 300.0, real: float = 0.004
) -> float:
    """Advance `clock` by `step` until `done()`; the clock seconds it took. Fails after `limit` clock seconds."""
    started = clock.monotonic()
    while not await _holds(done):
        if clock.monotonic() - started > limit:
            raise AssertionError(f"not done after {limit} s on the clock")
        await clock.advance(step)
        await asyncio.sleep(real)
    return clock.monotonic() - started


async def until(done: Check, timeout: float = 30.0) -> None:
    """Wait (real time, polling) for something that needs no clock: only a bound, never an assertion."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await _holds(done):
        if loop.time() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.01)


async def elapse(clock: ManualClock, seconds: float, *, step: float = 1.0, real: float = 0.003) -> None:
    """Let `seconds` pass on the clock in steps, real I/O getting its turn after each (a probe, a write)."""
    target = clock.monotonic() + seconds
    while clock.monotonic() < target:
        await clock.advance(min(step, target - clock.monotonic()))
        await asyncio.sleep(real)

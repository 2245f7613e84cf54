"""bot/core/tasks.cancel_and_wait: a task stopping its helpers still stops when it is itself cancelled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from bot.core.tasks import cancel_and_wait


async def _loop_stopping_helpers(stop: Callable[[asyncio.Task[None]], Awaitable[None]]) -> None:
    """The shape of the replicas' sender: round after round, each starting a helper and stopping it."""
    stopping = asyncio.Event()
    release = asyncio.Event()

    async def slow_to_stop() -> None:
        try:
            await asyncio.Event().wait()  # until cancelled
        except asyncio.CancelledError:
            stopping.set()
            await release.wait()  # stopping takes a while (closing a connection, say)
            raise

    async def rounds() -> None:
        for _ in range(200):  # bounded: a task that swallows its cancellation cannot be stopped otherwise
            helper = asyncio.get_running_loop().create_task(slow_to_stop())
            await asyncio.sleep(0)
            await stop(helper)

    task = asyncio.get_running_loop().create_task(rounds())
    await stopping.wait()
    task.cancel()  # the shutdown arrives while the task waits for its helper to stop
    release.set()
    for _ in range(50):
        await asyncio.sleep(0)
    went_on = not task.done()
    with contextlib.suppress(asyncio.CancelledError):
        await task  # the runaway ends after its rounds
    assert not went_on, "the cancelled task went on with another round"
    assert task.cancelled()


async def test_a_task_cancelled_while_it_stops_a_helper_stops() -> None:
    await _loop_stopping_helpers(cancel_and_wait)


async def test_the_suppress_idiom_it_replaces_goes_on_running() -> None:
    async def suppressed(helper: asyncio.Task[None]) -> None:
        helper.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await helper

    try:
        await _loop_stopping_helpers(suppressed)
    except AssertionError as exc:
        assert "went on" in str(exc)
    else:
        raise AssertionError("the idiom did not swallow the cancellation: this test no longer shows the trap")


async def test_an_error_a_task_ended_with_is_logged_not_raised(caplog) -> None:  # type: ignore[no-untyped-def]
    async def fails() -> None:
        raise ValueError("boom")

    task = asyncio.get_running_loop().create_task(fails())
    await asyncio.sleep(0)
    await cancel_and_wait(task, None)
    assert any("boom" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)

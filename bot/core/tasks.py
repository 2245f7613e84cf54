"""Stopping background tasks without swallowing the stopper's own cancellation.

The usual `task.cancel(); with suppress(CancelledError): await task` has a trap: when the task doing it is
itself cancelled while it waits there (a shutdown arriving just then), the suppress takes *its* CancelledError
too, and it goes on running as if nothing had asked it to stop. The replicas' sender did exactly that: it
went back to sleep and the shutdown waited for it forever.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

log = logging.getLogger(__name__)


async def cancel_and_wait(*tasks: asyncio.Future[Any] | None) -> None:
    """Cancel `tasks` (None and finished ones are skipped) and wait until they have ended. Their own
    cancellation ends here and an error they ended with is logged; the caller's cancellation goes on."""
    running = [task for task in tasks if task is not None and not task.done()]
    for task in running:
        task.cancel()
    if running:
        await asyncio.wait(running)  # never raises what the tasks raised; the caller's CancelledError, yes
    for ended in tasks:
        if ended is not None and ended.done() and not ended.cancelled() and (error := ended.exception()) is not None:
            log.error("a background task ended with an error", exc_info=error)

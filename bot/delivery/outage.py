"""The Bot API is unreachable: pause ALL sending, probe it one request at a time with a capped backoff,
and resume when it answers. Rows waiting meanwhile keep their place: an outage burns no attempts.

Before this, every worker retried its own row with its own backoff and gave up after 6 attempts (8–16 s),
so a 15-second outage left every summary due in it `dead`, for good.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError

from bot.core.clock import Clock
from bot.core.redact import redact

log = logging.getLogger(__name__)


class ShuttingDown(Exception):
    """The delivery is closing while a send waits for the API: the row stays for the next start."""


FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0


def is_transport_failure(exc: BaseException) -> bool:
    """No answer from Telegram itself: refused, reset, timed out, a 5xx, an answer that is not the Bot
    API's JSON (a proxy's error page), or a 401/404 from something in front of it. Not about the message."""
    if isinstance(exc, BadRequest):
        return False  # a 400 (BadRequest subclasses NetworkError in python-telegram-bot)
    if isinstance(exc, (NetworkError, InvalidToken)):
        return True  # TimedOut is a NetworkError; so are 5xx answers
    return type(exc) is TelegramError  # "Invalid server response": not JSON


class Outage:
    def __init__(
        self,
        probe: Callable[[], Awaitable[object]],
        clock: Clock,
        first_backoff: float = FIRST_BACKOFF,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self._probe = probe
        self._clock = clock
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self._up = asyncio.Event()
        self._up.set()
        # Transport failures since the last message that went through: a probe that is answered while
        # sends still fail (a proxy that answers getMe only) does not reset the backoff.
        self._failures = 0
        self._since = 0.0
        self._prober: asyncio.Task[None] | None = None
        self.probes = 0  # counted for the operator's log and for tests
        self.outages = 0
        self._closed = False

    @property
    def down(self) -> bool:
        return not self._up.is_set()

    def failed(self, error: BaseException) -> None:
        """A send met a transport failure: from now on nothing is sent until a probe is answered."""
        if self._up.is_set():
            # Counted once per outage, not per send in flight (16 at once would start at the cap).
            self._failures += 1
            self._up.clear()
            self._since = self._clock.monotonic()
            self.outages += 1
            log.warning("Bot API unreachable (%s): all sending paused until it answers", redact(repr(error)))

    def succeeded(self) -> None:
        self._failures = 0

    def backoff(self) -> float:
        # The exponent is capped: after days of probes 2 ** failures would overflow a float.
        return min(self.max_backoff, self.first_backoff * 2 ** min(30, max(0, self._failures - 1)))

    async def wait(self) -> None:
        """Return once the API is up; while it is down, exactly one task probes it."""
        if self._closed:
            raise ShuttingDown
        if self._up.is_set():
            return
        if self._prober is None or self._prober.done():
            self._prober = asyncio.get_running_loop().create_task(self._probe_until_up(), name="bot-api-probe")
        await self._up.wait()
        if self._closed:
            raise ShuttingDown

    async def _probe_until_up(self) -> None:
        while True:
            await self._clock.sleep(self.backoff())
            self.probes += 1
            try:
                await self._probe()
            except Exception as exc:
                if not is_transport_failure(exc):
                    break  # an answer, even a refusal, means the Bot API is there
                self._failures += 1
                log.info("Bot API still unreachable (%s); next probe in %.0f s", redact(repr(exc)), self.backoff())
                continue
            break
        log.warning(
            "Bot API answers again after %.0f s (%d probe(s)); sending resumes",
            self._clock.monotonic() - self._since,
            self.probes,
        )
        self._up.set()

    def close(self) -> None:
        if self._prober is not None and not self._prober.done():
            self._prober.cancel()
        self._closed = True
        self._up.set()  # the waiting sends raise ShuttingDown and leave their rows for the next start

"""/healthz (liveness) and /readyz (readiness), for a load balancer, Docker's HEALTHCHECK or Kubernetes.

- /healthz: 200 while the event loop runs. No database: a replica that lost its database must not be
  restarted for it, only taken out of rotation.
- /readyz: 200 when the database answers, its schema is at the newest migration, and the Bot API
  answered within PITBOARD_READY_API_SECONDS (when it has been quiet that long, /readyz asks it with
  getMe); otherwise 503 with the reasons in plain text.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from telegram.error import TelegramError
from telegram.ext import Application

from bot.core.clock import SYSTEM, Clock
from bot.settings import Settings
from storage.service_stats import expected_schema_version

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 5.0  # seconds one check may take before it counts as failed


class ApiPulse:
    """When the Bot API last answered (any HTTP answer below 500: a 400 is an answer too). Fed by the
    bot's transport (bot/delivery/transport.py observers), which carries every send, reply and getMe."""

    def __init__(self, clock: Clock = SYSTEM) -> None:
        self.clock = clock
        self.last: float | None = None

    def observe(self, method: str, status: int, body: bytes) -> None:
        if status < 500:
            self.last = self.clock.monotonic()

    def age(self) -> float | None:
        return None if self.last is None else self.clock.monotonic() - self.last


async def readiness(
    application: Application,  # type: ignore[type-arg]
    window: float,
) -> list[str]:
    """Why the bot is not ready; empty when it is."""
    from handlers.common import Services

    services = application.bot_data.get("services")
    if not isinstance(services, Services):
        return ["starting"]
    reasons = []
    db = services.store.db
    try:
        await asyncio.wait_for(db.ping(), PROBE_TIMEOUT)
        version = await asyncio.wait_for(db.schema_version(), PROBE_TIMEOUT)
    except Exception as exc:  # whatever the driver raises for a lost or closed database
        reasons.append(f"database not reachable ({type(exc).__name__})")
    else:
        expected = expected_schema_version(db.dialect)
        if version != expected:
            reasons.append(f"database schema at version {version}, expected {expected}")
    pulse = application.bot_data.get("api_pulse")
    if isinstance(pulse, ApiPulse):
        age = pulse.age()
        if age is None or age > window:
            try:
                await asyncio.wait_for(application.bot.get_me(), PROBE_TIMEOUT)  # answered: the pulse notes it
            except (TelegramError, TimeoutError) as exc:
                quiet = "never answered" if age is None else f"no answer for {age:.0f} s"
                reasons.append(f"Bot API {quiet} ({type(exc).__name__})")
    return reasons


def add_routes(server: web.Application, application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    async def healthz(request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def readyz(request: web.Request) -> web.Response:
        reasons = await readiness(application, settings.ready_api_seconds)
        if reasons:
            log.warning("not ready: %s", "; ".join(reasons))
            return web.Response(status=503, text="not ready: " + "; ".join(reasons) + "\n")
        return web.Response(text="ready\n")

    server.router.add_get("/healthz", healthz)
    server.router.add_get("/readyz", readyz)

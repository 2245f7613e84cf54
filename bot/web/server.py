"""The aiohttp server that carries every route of bot/web, started and stopped with the bot.

python-telegram-bot's own webhook server (Updater.start_webhook, tornado) serves the webhook path and
nothing else; the health checks, metrics and calendar feeds must share the one port a reverse proxy or a
container exposes. So this is PTB's documented custom-webhook pattern: our own server hands each Update
to `application.update_queue` (bot/web/webhook.py).
"""

from __future__ import annotations

import logging

from aiohttp import web
from telegram.ext import Application

from bot.settings import Settings, parse_address
from bot.web import calendar, health, metrics, webhook

log = logging.getLogger(__name__)

NOT_FOUND_TEXT = "404: Not Found"


def not_found() -> web.Response:
    """The one answer for every unknown path, and for an unknown or revoked calendar token alike."""
    return web.Response(status=404, text=NOT_FOUND_TEXT)


async def _unknown(request: web.Request) -> web.Response:
    return not_found()


def build(
    application: Application,  # type: ignore[type-arg]
    settings: Settings,
    *,
    webhook_mode: bool,
) -> web.Application:
    server = web.Application(client_max_size=1024 * 1024)  # an Update is a few KB; a document is a file_id
    health.add_routes(server, application, settings)
    metrics.add_routes(server, application)
    calendar.add_routes(server, application)
    if webhook_mode:
        webhook.add_routes(server, application, settings)
    server.router.add_route("*", "/{tail:.*}", _unknown)
    return server


class HttpSurface:
    """The server bound to HOST:PORT (port 0: a free one, see `port`)."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        settings: Settings,
        address: str,
        *,
        webhook_mode: bool = False,
    ) -> None:
        self.host, self.requested_port = parse_address(address)
        self.app = build(application, settings, webhook_mode=webhook_mode)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self) -> None:
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.requested_port)
        try:
            await site.start()
        except OSError:
            await runner.cleanup()
            raise
        self._runner = runner
        self.port = int(runner.addresses[0][1])
        log.info("HTTP surface on %s:%s", self.host, self.port)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        return f"http://{host}:{self.port}"

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

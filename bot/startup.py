"""`pitboard run`: settings, logs that never show the token, a Bot API that may not be up yet, signals.

The token travels in every Bot API URL, and python-telegram-bot, aiohttp and httpx put URLs in their log
records and exception texts; so the redaction sits on the log handlers and on whatever this module prints.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application

from bot.core.clock import SYSTEM, Clock
from bot.core.redact import install, redact

if TYPE_CHECKING:
    from bot.web.server import HttpSurface

log = logging.getLogger("pitboard.startup")
T = TypeVar("T")

# Capped exponential backoff while the Bot API cannot be reached at start: 1, 2, 4, … 30, 30 s.
RETRY_FIRST = 1.0
RETRY_CAP = 30.0
# Long polling: how long one getUpdates may wait for news (Telegram holds it open up to this).
POLL_TIMEOUT = 10


class StartupError(Exception):
    """Fatal at start, worded for the operator; the text is already redacted."""


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: where Telegram posts updates, and the secret it sends with each (never logged)."""

    url: str
    secret: str = field(repr=False)


def backoff(attempt: int, first: float = RETRY_FIRST, cap: float = RETRY_CAP) -> float:
    return min(cap, first * 2 ** min(attempt, 30))


async def until_reachable(
    call: Callable[[], Awaitable[T]],
    what: str,
    api_url: str,
    *,
    clock: Clock = SYSTEM,
    give_up: tuple[type[Exception], ...] = (),
) -> T:
    """`call()` until the Bot API answers it. Unreachable, timing out, answering 5xx or garbage: logged
    (redacted) and retried with capped backoff, for as long as it takes. A rejected token is fatal;
    `give_up` errors are the caller's to handle."""
    attempt = 0
    while True:
        try:
            return await call()
        except InvalidToken as exc:
            raise StartupError(_rejected(exc, api_url)) from None
        except RetryAfter as exc:
            delay = exc.retry_after if isinstance(exc.retry_after, int | float) else exc.retry_after.total_seconds()
            log.warning("Bot API at %s: %s refused for flood control; retrying in %g s", api_url, what, delay)
        except give_up:
            raise
        except TelegramError as exc:
            delay = backoff(attempt)
            log.warning(
                "Bot API at %s: %s failed (%s); retrying in %g s", api_url, what, redact(str(exc)) or type(exc), delay
            )
        attempt += 1
        await clock.sleep(delay)


def _rejected(exc: InvalidToken, api_url: str) -> str:
    # python-telegram-bot's own text quotes the token; the server's answer ("Unauthorized") does not.
    answer = str(exc.__cause__) if exc.__cause__ else "Unauthorized"
    hint = "check TELEGRAM_BOT_TOKEN (from @BotFather)"
    if "not found" in answer.lower():
        hint += " and that TELEGRAM_API_URL is a Bot API server (…/bot)"
    return redact(f"The Bot API at {api_url} rejected the token ({answer}): {hint}.")


async def set_commands(call: Callable[[], Awaitable[object]], api_url: str, clock: Clock = SYSTEM) -> None:
    """The command menu: retried while the API is down, skipped (logged) if Telegram refuses it."""
    try:
        await until_reachable(call, "setMyCommands", api_url, clock=clock, give_up=(BadRequest, Forbidden))
    except (BadRequest, Forbidden) as exc:
        log.warning("the command menu was not set: %s", redact(str(exc)))


async def serve(
    app: Application,  # type: ignore[type-arg]
    api_url: str,
    allowed_updates: Sequence[str],
    clock: Clock = SYSTEM,
    *,
    http: HttpSurface | None = None,
    webhook: Webhook | None = None,
) -> None:
    """Start (waiting for the Bot API as long as it takes), poll or serve the webhook until SIGINT/SIGTERM,
    then shut down. `http`: the HTTP surface (bot/web), the webhook's server in webhook mode."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    starting = asyncio.ensure_future(_start(app, api_url, allowed_updates, clock, http, webhook))

    def on_signal() -> None:
        log.info("stopping")
        stop.set()
        starting.cancel()

    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, on_signal)
    try:
        try:
            await starting
        except asyncio.CancelledError:
            if not stop.is_set():
                raise
        await stop.wait()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        if http is not None:
            await http.stop()  # first: no new update may arrive while the Application stops
        await _stop(app)


async def _start(
    app: Application,  # type: ignore[type-arg]
    api_url: str,
    allowed_updates: Sequence[str],
    clock: Clock,
    http: HttpSurface | None = None,
    webhook: Webhook | None = None,
) -> None:
    await until_reachable(app.initialize, "getMe", api_url, clock=clock)
    app.bot_data["post_init_ran"] = True
    if app.post_init:
        await app.post_init(app)
    await app.start()
    if http is not None:
        try:
            await http.start()  # before setWebhook: Telegram's first POST must find the server up
        except OSError as exc:
            raise StartupError(f"cannot listen on {http.host}:{http.requested_port}: {exc.strerror or exc}") from None
    if webhook is not None:
        await _set_webhook(app, api_url, allowed_updates, clock, webhook)
        return
    assert app.updater is not None
    # Its own retries (python-telegram-bot's network loop) cover deleteWebhook and every getUpdates.
    await app.updater.start_polling(allowed_updates=list(allowed_updates), bootstrap_retries=-1, timeout=POLL_TIMEOUT)
    log.info("running: polling %s as @%s", api_url, app.bot.username)


async def _set_webhook(
    app: Application,  # type: ignore[type-arg]
    api_url: str,
    allowed_updates: Sequence[str],
    clock: Clock,
    webhook: Webhook,
) -> None:
    # drop_pending_updates=False: updates that arrived while no replica ran are still handled.
    def call() -> Awaitable[bool]:
        return app.bot.set_webhook(
            url=webhook.url,
            secret_token=webhook.secret,
            allowed_updates=list(allowed_updates),
            drop_pending_updates=False,
        )

    try:
        await until_reachable(call, "setWebhook", api_url, clock=clock, give_up=(BadRequest, Forbidden))
    except (BadRequest, Forbidden) as exc:
        raise StartupError(redact(f"Telegram refused the webhook {webhook.url}: {exc.message}")) from None
    log.info("running: webhook %s as @%s (Bot API %s)", webhook.url, app.bot.username, api_url)


async def _stop(app: Application) -> None:  # type: ignore[type-arg]
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    await app.bot.shutdown()  # a bot whose getMe never succeeded still holds its HTTP session
    if app.post_shutdown and app.bot_data.get("post_init_ran"):
        await app.post_shutdown(app)


def configure_logging(level: int | str) -> None:
    """Log to stderr through the redacting filter; warnings and stray tracebacks take the same way."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token (the filter would mask it;
    # at INFO the lines are noise anyway).
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.captureWarnings(True)
    install()
    sys.excepthook = _redacted_excepthook
    threading.excepthook = _redacted_thread_excepthook


def _redacted_excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    logging.getLogger("pitboard").error("uncaught", exc_info=(kind, value, tb))


def _redacted_thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        logging.getLogger("pitboard").error(
            "uncaught in thread", exc_info=(args.exc_type, args.exc_value, args.exc_traceback)
        )

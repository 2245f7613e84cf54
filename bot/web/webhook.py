"""Webhook mode: Telegram POSTs each Update to PITBOARD_WEBHOOK_URL; this route checks the secret token,
hands the Update to python-telegram-bot's update queue and answers 200 at once (the handlers queue their
replies through the outbox as in polling mode).

A request without the right X-Telegram-Bot-Api-Secret-Token is refused with 403 before its body is read:
it is never processed and its body never logged.
"""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
)

from bot.settings import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram"

# The update types each kind of handler can act on. Edits are not asked for: handlers/guard.py stops them
# anyway (an edited command must not run again), and channel posts are nobody talking to the bot.
_MESSAGE_TYPES = (Update.MESSAGE,)


def _types_of(handler: BaseHandler) -> tuple[str, ...]:  # type: ignore[type-arg]
    if isinstance(handler, CommandHandler | MessageHandler):
        return _MESSAGE_TYPES
    if isinstance(handler, CallbackQueryHandler):
        return (Update.CALLBACK_QUERY,)
    if isinstance(handler, ChatMemberHandler):
        kinds = {
            ChatMemberHandler.MY_CHAT_MEMBER: (Update.MY_CHAT_MEMBER,),
            ChatMemberHandler.CHAT_MEMBER: (Update.CHAT_MEMBER,),
            ChatMemberHandler.ANY_CHAT_MEMBER: (Update.MY_CHAT_MEMBER, Update.CHAT_MEMBER),
        }
        return kinds[
            handler.chat_member_types if handler.chat_member_types is not None else ChatMemberHandler.MY_CHAT_MEMBER
        ]
    if isinstance(handler, TypeHandler):
        return ()  # the guard and other cross-cutting handlers see whatever comes; they ask for nothing
    # A new kind of handler must be added above, or its updates would silently never be asked for.
    raise TypeError(f"allowed_updates: no update types known for {type(handler).__name__}")


def allowed_updates(application: Application) -> list[str]:  # type: ignore[type-arg]
    """The update types the registered handlers act on, in Telegram's order (Update.ALL_TYPES)."""
    wanted = {kind for handlers in application.handlers.values() for h in handlers for kind in _types_of(h)}
    return [str(kind) for kind in Update.ALL_TYPES if kind in wanted]


def webhook_path(url: str) -> str:
    path = urlsplit(url).path.rstrip("/")
    return path or DEFAULT_PATH


def secret_matches(given: str | None, secret: str) -> bool:
    # Constant time: the comparison must not tell an attacker how much of a guess was right.
    return hmac.compare_digest((given or "").encode("utf-8", "replace"), secret.encode("utf-8"))


def add_routes(server: web.Application, application: Application, settings: Settings) -> None:  # type: ignore[type-arg]
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ValueError(settings.webhook_problem() or "webhook settings missing")
    secret = settings.webhook_secret.get_secret_value()

    async def receive(request: web.Request) -> web.Response:
        from bot.web.metrics import Metrics

        if not secret_matches(request.headers.get(SECRET_HEADER), secret):
            metrics = application.bot_data.get("metrics")
            if isinstance(metrics, Metrics):
                metrics.webhook_refused.inc()
            # The body is neither read nor logged: it is whatever an unauthenticated caller sent.
            log.warning(
                "webhook: refused a request from %s without the right secret token (%s bytes)",
                request.remote,
                request.content_length,
            )
            return web.Response(status=403, text="Forbidden")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, application.bot)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("webhook: an update that could not be read (%s)", type(exc).__name__)
            return web.Response(status=400, text="Bad Request")
        if update is None:
            return web.Response(status=400, text="Bad Request")
        # Queued, not processed here: Telegram gets its 200 at once and the Application's own loop runs the
        # handlers with its concurrency limit, as for updates from long polling.
        await application.update_queue.put(update)
        return web.Response(text="ok")

    server.router.add_post(webhook_path(settings.webhook_url), receive)

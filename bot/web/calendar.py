"""/cal/<token>.ics: a chat's calendar feed, the same file /ics sends (bot/render/ics.py), for
calendar apps that subscribe to a URL and poll it. The token (storage/calendar_feeds.py) is the only key;
an unknown or revoked one gets exactly the 404 of any unknown path."""

from __future__ import annotations

from aiohttp import web
from telegram.ext import Application

from bot.render.ics import chat_calendar
from storage.calendar_feeds import CalendarFeeds

# Calendar apps poll on their own schedule; a short cache spares the store a burst of reloads.
CACHE_CONTROL = "private, max-age=300"
TOKEN_PATTERN = r"[A-Za-z0-9_-]{16,100}"


def feed_path(token: str) -> str:
    return f"/cal/{token}.ics"


def add_routes(server: web.Application, application: Application) -> None:  # type: ignore[type-arg]
    from bot.web.server import not_found
    from handlers.common import Services

    async def feed(request: web.Request) -> web.Response:
        services = application.bot_data.get("services")
        if not isinstance(services, Services):
            return web.Response(status=503, text="starting")
        store = services.store
        chat_id = await CalendarFeeds(store.db, store.clock).chat_for(request.match_info["token"])
        chat = await store.chats.get(chat_id) if chat_id is not None else None
        if chat is None:
            return not_found()
        data = await chat_calendar(store, chat, services.clock.now())
        return web.Response(
            body=data,
            headers={
                "Content-Type": "text/calendar; charset=utf-8",
                "Cache-Control": CACHE_CONTROL,
                "Content-Disposition": 'inline; filename="pitboard.ics"',
            },
        )

    server.router.add_get("/cal/{token:" + TOKEN_PATTERN + "}.ics", feed)

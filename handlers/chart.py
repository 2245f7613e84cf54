"""/standings' "📈 Chart" button: the title fight as a photo, in the chat's language.

The press is answered at once (Telegram gives a callback 15 s, and the first drawing of a chart takes a
moment); the picture follows as a photo through the delivery. The same table state, language and followed
drivers reuse the PNG drawn before, and after its first send Telegram's file_id, so it is not uploaded again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import Application

from bot import render
from bot.core.callbacks import ChartAction
from bot.i18n import Translator
from bot.services.charts import ChartRequest, Lru, chart_data, data_revision
from bot.services.season import NotFound
from handlers.common import Context, buttons, chat_for, reply, services, thread_of

CACHE_SIZE = 64  # pictures (~150 KB each)
DRAWING_AT_ONCE = 2  # drawing is CPU work in a worker thread: more at once would only queue on 2 cores

ChartKey = tuple[int, int, int, int, bool, frozenset[int], str, tuple[int, int]]


@dataclass(slots=True)
class CachedChart:
    png: bytes
    caption: str
    file_id: str | None = None  # Telegram's, once sent: a resend uploads nothing


@dataclass(slots=True)
class ChartCache:
    pictures: Lru[ChartKey, CachedChart] = field(default_factory=lambda: Lru(CACHE_SIZE))
    drawing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(DRAWING_AT_ONCE))
    drawn: int = 0  # pictures drawn (not taken from the cache), for tests and the benchmark


def chart_cache(context: Context) -> ChartCache:
    cache = context.application.bot_data.get("charts")
    if not isinstance(cache, ChartCache):
        cache = context.application.bot_data["charts"] = ChartCache()
    return cache


async def picture(context: Context, t: Translator, request: ChartRequest) -> CachedChart:
    """The chart for `request`, drawn or from the cache. Raises NotFound."""
    store = services(context).store
    cache = chart_cache(context)
    revision = await data_revision(store)  # before the data: see data_revision
    key: ChartKey = (
        request.series_id,
        request.year,
        request.championship,
        request.class_index,
        request.teams,
        request.own,
        t.language,
        revision,
    )
    cached = cache.pictures.get(key)
    if cached is not None:
        return cached
    data = await chart_data(store, request)
    async with cache.drawing:
        png = await asyncio.to_thread(render.chart_png, t, data)
    cache.drawn += 1
    drawn = CachedChart(png, render.chart_caption(t, data))
    cache.pictures.put(key, drawn)
    return drawn


async def on_button(update: Update, context: Context, action: ChartAction) -> None:
    chat, t = await chat_for(update, context)
    store = services(context).store
    query = update.callback_query
    if not any(s.id == action.series_id for s in await store.series.all()):
        if query:
            await query.answer(t("That button has expired — send the command again."), show_alert=True)
        return
    if query:
        await query.answer(t("📈 Drawing the chart…"))
    kind = "team" if action.teams else "driver"
    own = frozenset(f.target_id for f in await store.chats.follows(chat.id) if f.kind == kind)
    request = ChartRequest(action.series_id, action.year, action.championship, action.class_index, action.teams, own)
    try:
        chart = await picture(context, t, request)
    except NotFound as exc:
        await reply(update, context, render.not_found(t, exc))
        return
    delivery = services(context).delivery
    thread = thread_of(update)
    sent = None
    if chart.file_id is not None:
        sent = await delivery.send_photo(chat.id, chart.file_id, chart.caption, thread_id=thread)
        if sent is None:
            chart.file_id = None  # Telegram no longer knows it: upload the bytes instead
    if sent is None:
        sent = await delivery.send_photo(chat.id, chart.png, chart.caption, thread_id=thread)
    if sent is not None and sent.photo:
        chart.file_id = sent.photo[-1].file_id  # the largest size is the one uploaded


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(buttons(("ch",), on_button))

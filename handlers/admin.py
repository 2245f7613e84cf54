"""Admin commands (user ids from PITBOARD_ADMINS): /stats, /import (send a file), /broadcast TEXT."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import render
from bot.i18n import N_
from bot.ingest.fetch import is_url
from bot.render.status import provider_lines
from handlers import upload
from handlers.common import Context, buttons, chat_for, command_text, is_bot_admin, reply, services
from storage.outbox import BROADCAST_PRIORITY


async def _refuse(update: Update, context: Context) -> bool:
    if is_bot_admin(update, context):
        return False
    _, t = await chat_for(update, context)
    await reply(update, context, t("That command is for Pitboard's admins."))
    return True


# The counters' keys (storage) and the labels /stats shows for them, translated where shown.
STAT_LABELS = {
    "chats": N_("chats"),
    "active_chats": N_("active chats"),
    "groups": N_("groups"),
    "follows": N_("follows"),
    "outbox_pending": N_("outbox pending"),
    "outbox_sent": N_("outbox sent"),
    "outbox_dead": N_("outbox dead"),
    "outbox_skipped": N_("outbox skipped"),
    "series": N_("series"),
    "seasons": N_("seasons"),
    "events": N_("events"),
    "sessions": N_("sessions"),
    "drivers": N_("drivers"),
    "teams": N_("teams"),
    "entries": N_("entries"),
    "results": N_("results"),
    "official_standings": N_("official standings rows"),
}


async def stats_command(update: Update, context: Context) -> None:
    if await _refuse(update, context):
        return
    chat, t = await chat_for(update, context)
    store = services(context).store
    chats = await store.chats.stats()
    data = await store.counts()
    lines = [f"<b>{t('Statistics')}</b>"]
    lines += [f"• {t(STAT_LABELS.get(name, name))}: {t.number(value)}" for name, value in {**chats, **data}.items()]
    lines += provider_lines(t, await store.providers.all(), chat.timezone)
    await reply(update, context, "\n".join(lines))


async def import_command(update: Update, context: Context) -> None:
    if await _refuse(update, context):
        return
    text = command_text(context)
    if is_url(text):
        await upload.from_url(update, context, text)
        return
    _, t = await chat_for(update, context)
    await reply(
        update,
        context,
        t(
            "Send me the file (CSV or JSON) with the caption {example}. Options: series=, season=,"
            " event= (for result tables that do not say).",
            example="<code>/import season=2023 event=Barcelona</code>",
        )
        + "\n"
        + t("Or give its address: {example}", example="<code>/import https://… season=2023</code>"),
    )


async def broadcast_command(update: Update, context: Context) -> None:
    if await _refuse(update, context):
        return
    _, t = await chat_for(update, context)
    text = command_text(context)
    if not text:
        await reply(update, context, t("Usage: {example}", example="<code>/broadcast TEXT</code>"))
        return
    store = services(context).store
    targets = await store.chats.active_chat_ids()
    body = render.e(text[:3500])
    # One alert with a row for every active chat, written before anything is sent: the delivery drains it
    # like a summary, so a crash midway resumes the chats not reached yet. The key is the command message,
    # so the same /broadcast (an edit, a redelivered update) is queued once.
    message = update.effective_message
    key = f"broadcast:{update.effective_chat.id if update.effective_chat else 0}:{message.message_id if message else 0}"
    alert_id = await store.outbox.alert("broadcast", key, None)
    await store.outbox.enqueue_alerts(alert_id, [(chat_id, body, None) for chat_id in targets], BROADCAST_PRIORITY)
    context.application.create_task(services(context).delivery.drain(), name="broadcast")
    await reply(update, context, t.n("Broadcasting to {n} chat.", "Broadcasting to {n} chats.", len(targets)))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("stats", stats_command))
    app.add_handler(CommandHandler("import", import_command))
    app.add_handler(CommandHandler("broadcast", broadcast_command))
    app.add_handler(MessageHandler(filters.Document.ALL, upload.document))
    app.add_handler(buttons(("im",), upload.on_button))

"""Admin commands (user ids from PITBOARD_ADMINS): /stats, /import (send a file), /broadcast TEXT."""

from __future__ import annotations

import asyncio
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import render
from bot.i18n import Translator
from bot.importers import load_paths
from bot.importers.table import ImportFailure
from bot.notifier import Notifier
from bot.records import ChangeSet
from handlers.common import Context, chat_for, command_text, is_bot_admin, reply, services
from storage.outbox import BROADCAST_PRIORITY
from storage.writer import ImportConflict

MAX_UPLOAD = 20 * 1024 * 1024  # what the Bot API lets a bot download
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


async def _refuse(update: Update, context: Context) -> bool:
    if is_bot_admin(update, context):
        return False
    _, t = await chat_for(update, context)
    await reply(update, context, t("That command is for Pitboard's admins."))
    return True


async def stats_command(update: Update, context: Context) -> None:
    if await _refuse(update, context):
        return
    _, t = await chat_for(update, context)
    store = services(context).store
    chats = await store.chats.stats()
    data = await store.counts()
    lines = [f"<b>{t('Statistics')}</b>"]
    lines += [f"• {name.replace('_', ' ')}: {t.number(value)}" for name, value in {**chats, **data}.items()]
    await reply(update, context, "\n".join(lines))


async def import_command(update: Update, context: Context) -> None:
    if await _refuse(update, context):
        return
    _, t = await chat_for(update, context)
    await reply(
        update,
        context,
        t(
            "Send me the file (CSV or JSON) with the caption {example}. Options: series=, season=,"
            " event= (for result tables that do not say).",
            example="<code>/import season=2023 event=Barcelona</code>",
        ),
    )


def _options(caption: str) -> dict[str, str]:
    return {k.casefold(): v for k, v in re.findall(r"(\w+)=(\S+)", caption)}


async def document(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.document is None:
        return
    caption = message.caption or ""
    if not caption.startswith("/import"):
        return
    if await _refuse(update, context):
        return
    _, t = await chat_for(update, context)
    doc = message.document
    if doc.file_size and doc.file_size > MAX_UPLOAD:
        await reply(update, context, t("That file is too large (20 MB at most)."))
        return
    options = _options(caption)
    name = _SAFE_NAME.sub("_", doc.file_name or "upload.csv")[:100]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if "season" in options:
            folder = folder / _SAFE_NAME.sub("_", options["season"])
        if "event" in options:
            folder = folder / _SAFE_NAME.sub("_", options["event"])
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        telegram_file = await doc.get_file()
        await telegram_file.download_to_drive(path)
        season = int(options["season"]) if options.get("season", "").isdigit() else None
        try:
            batches = await asyncio.to_thread(load_paths, [path], options.get("series"), season)
            changes = await services(context).store.apply(batches)
        except (ImportFailure, ImportConflict) as exc:
            text = str(exc).replace(str(folder) + "/", "")
            await reply(update, context, t("Import failed, nothing was changed:") + f"\n<code>{render.e(text)}</code>")
            return
    await reply(update, context, summary(t, changes))
    notifier = context.application.bot_data.get("notifier")
    if isinstance(notifier, Notifier):
        await notifier.poll(datetime.now(UTC))  # announce what this upload changed right away


def summary(t: Translator, changes: ChangeSet) -> str:
    if not changes.changed:
        return t("Nothing changed: the store already holds this file.")
    parts = [
        t.n("{n} event", "{n} events", changes.events_added),
        t.n("{n} session", "{n} sessions", changes.sessions_added),
        t.n("{n} result added", "{n} results added", changes.results_added),
        t.n("{n} result corrected", "{n} results corrected", changes.results_updated),
        t.n("{n} new driver", "{n} new drivers", changes.drivers_added),
    ]
    counts = [
        changes.events_added,
        changes.sessions_added,
        changes.results_added,
        changes.results_updated,
        changes.drivers_added,
    ]
    lines = ["✅ " + (", ".join(p for p, n in zip(parts, counts, strict=True) if n) or t("settings updated"))]
    lines += [f"• {render.e(note)}" for note in changes.notes[:10]]
    return "\n".join(lines)


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
    app.add_handler(MessageHandler(filters.Document.ALL, document))

"""The admin upload: a file with the caption `/import [series=…] [season=…] [event=…]`.

Caption and file name are untrusted (handlers/upload_input.py). A version that would remove much of
what is stored (storage/removals.py) is kept for a short while (handlers/pending.py) and offered with
"Import anyway" / "Cancel" buttons instead of being applied.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot import render
from bot.core import callbacks
from bot.i18n import Translator
from bot.ingest.definitions import grouped
from bot.ingest.fetch import FetchLimits, fetch, new_session
from bot.ingest.importers import load_paths
from bot.ingest.importers.table import ImportFailure
from bot.ingest.importing import ImportOutcome, apply_import, news_age
from bot.ingest.urls import load_fetched
from bot.jobs.notifier import Notifier
from handlers.common import Context, chat_for, is_bot_admin, reply, services
from handlers.pending import Pending, PendingImports
from handlers.upload_input import is_import_caption, parse_caption, place, safe_name
from storage.removals import Removal, RemovalRefused
from storage.writer import ImportConflict

log = logging.getLogger(__name__)

MAX_UPLOAD = 20 * 1024 * 1024  # what the Bot API lets a bot download


async def document(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None or message.document is None:
        return
    if not is_import_caption(message.caption, context.bot.username):
        return
    _, t = await chat_for(update, context)
    if not is_bot_admin(update, context):
        await reply(update, context, t("That command is for Pitboard's admins."))
        return
    caption = parse_caption(message.caption or "", t)
    if isinstance(caption, str):
        await reply(update, context, caption)
        return
    doc = message.document
    if doc.file_size and doc.file_size > MAX_UPLOAD:
        await reply(update, context, t("That file is too large (20 MB at most)."))
        return
    content = bytes(await (await doc.get_file()).download_as_bytearray())
    if len(content) > MAX_UPLOAD:
        await reply(update, context, t("That file is too large (20 MB at most)."))
        return
    user = update.effective_user
    pending = Pending(message.chat_id, user.id if user else 0, safe_name(doc.file_name), caption, content)
    await _run(update, context, t, pending, allow_removals=False)


async def from_url(update: Update, context: Context, text: str) -> None:
    """`/import URL [series=…] [season=…] [event=…]`: the file at URL, then the same flow as an upload."""
    chat, t = await chat_for(update, context)
    url, _, options = text.partition(" ")
    caption = parse_caption(f"/import {options}", t)
    if isinstance(caption, str):
        await reply(update, context, caption)
        return
    limits = FetchLimits(timeout=services(context).settings.fetch_timeout, max_bytes=MAX_UPLOAD)
    try:
        async with new_session(limits) as session:
            fetched = await fetch(session, url, limits)
    except ImportFailure as exc:
        await reply(update, context, t("Import failed, nothing was changed:") + f"\n<code>{render.e(str(exc))}</code>")
        return
    assert fetched is not None  # no validators sent, so never "not modified"
    user = update.effective_user
    pending = Pending(chat.id, user.id if user else 0, fetched.name, caption, fetched.content, fetched=fetched)
    await _run(update, context, t, pending, allow_removals=False)


async def _run(update: Update, context: Context, t: Translator, pending: Pending, allow_removals: bool) -> None:
    try:
        outcome = await _import(context, pending, allow_removals)
    except RemovalRefused as exc:
        token = _pending(context).keep(pending)
        lines = [t("Not imported: this version would remove much of what is stored.")]
        lines += [f"• {_removal(t, r)}" for r in exc.removals[:8]]
        lines.append(t("A cut-off file? Import it anyway only if the removal is meant."))
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t("Import anyway"), callback_data=callbacks.import_choice(True, token)),
                    InlineKeyboardButton(t("Cancel"), callback_data=callbacks.import_choice(False, token)),
                ]
            ]
        )
        await reply(update, context, "\n".join(lines), markup)
        return
    except (ImportFailure, ImportConflict) as exc:
        await reply(update, context, t("Import failed, nothing was changed:") + f"\n<code>{render.e(str(exc))}</code>")
        return
    await reply(update, context, summary(t, outcome))
    notifier = context.application.bot_data.get("notifier")
    if isinstance(notifier, Notifier):
        await notifier.poll(datetime.now(UTC))  # announce what this upload changed right away


async def _import(context: Context, pending: Pending, allow_removals: bool) -> ImportOutcome:
    store = services(context).store
    max_age = news_age(services(context).settings.results_news_days)
    caption = pending.caption
    if pending.fetched is not None:
        batches = await asyncio.to_thread(
            load_fetched, [pending.fetched], caption.series, caption.season, event=caption.event
        )
        return await apply_import(store, batches, datetime.now(UTC), allow_removals=allow_removals, max_age=max_age)
    with tempfile.TemporaryDirectory(prefix="pitboard-upload-") as tmp:
        folder = Path(tmp)
        try:
            path = place(folder, caption, pending.name, pending.content)
            batches = await asyncio.to_thread(load_paths, [path], caption.series, caption.season)
        except ImportFailure as exc:
            raise _relative(exc, folder) from None
        except (RecursionError, OverflowError, ValueError, MemoryError) as exc:
            # A file no bound foresaw: still a clean import error, never "something went wrong".
            log.warning("upload %s could not be read: %r", pending.name, exc)
            raise ImportFailure(pending.name, "the file cannot be read") from None
        return await apply_import(store, batches, datetime.now(UTC), allow_removals=allow_removals, max_age=max_age)


def _removal(t: Translator, removal: Removal) -> str:
    values = {"place": render.e(removal.place), "removed": removal.removed, "held": removal.held}
    if removal.what == "sessions":
        return t("{place}: {removed} of {held} sessions would be cancelled", **values)
    if removal.what == "classified cars":
        return t("{place}: {removed} of {held} classified cars would lose their classification", **values)
    return t("{place}: {removed} of {held} results would be removed", **values)


def _relative(exc: ImportFailure, folder: Path) -> ImportFailure:
    """The error names the file as the admin sent it, not the temporary folder."""
    return ImportFailure(exc.path.replace(str(folder) + "/", ""), exc.message, exc.line)


def _pending(context: Context) -> PendingImports:
    found = context.application.bot_data.get("pending_imports")
    if not isinstance(found, PendingImports):
        found = PendingImports()
        context.application.bot_data["pending_imports"] = found
    return found


async def on_button(update: Update, context: Context, action: callbacks.ImportAction) -> None:
    query = update.callback_query
    assert query is not None
    chat, t = await chat_for(update, context)
    if not is_bot_admin(update, context):
        await query.answer(t("That command is for Pitboard's admins."), show_alert=True)
        return
    pending = _pending(context).take(action.token, chat.id)
    if pending is None:
        await query.answer(t("That button has expired — send the command again."), show_alert=True)
        return
    await query.answer()
    message = query.message
    if not action.confirm:
        if isinstance(message, Message):
            await services(context).delivery.edit(
                chat.id, message.message_id, t("Import cancelled, nothing was changed."), None
            )
        return
    if isinstance(message, Message):
        await services(context).delivery.edit(chat.id, message.message_id, t("Importing anyway…"), None)
    await _run(update, context, t, pending, allow_removals=True)


def summary(t: Translator, outcome: ImportOutcome) -> str:
    changes = outcome.changes
    if not changes.changed:
        return t("Nothing changed: the store already holds this file.")
    parts = [
        (t.n("{n} event", "{n} events", changes.events_added), changes.events_added),
        (t.n("{n} session", "{n} sessions", changes.sessions_added), changes.sessions_added),
        (t.n("{n} result added", "{n} results added", changes.results_added), changes.results_added),
        (t.n("{n} result corrected", "{n} results corrected", changes.results_updated), changes.results_updated),
        (t.n("{n} new driver", "{n} new drivers", changes.drivers_added), changes.drivers_added),
    ]
    lines = ["✅ " + (", ".join(p for p, n in parts if n) or t("settings updated"))]
    if outcome.silent_races:
        lines.append(
            t.n(
                "Results for {n} past race stored without alerts.",
                "Results for {n} past races stored without alerts.",
                outcome.silent_races,
            )
        )
    for group in grouped(outcome.applied):
        season = render.e(f"{group.series_name} {group.seasons}")
        if group.rules and group.calendar:
            lines.append(t("Applied the shipped points rules and calendar of {season}.", season=season))
        elif group.rules:
            lines.append(t("Applied the shipped points rules of {season}.", season=season))
        else:
            lines.append(t("Applied the shipped calendar of {season}.", season=season))
    lines += [f"• {render.e(note)}" for note in changes.notes[:10]]
    return "\n".join(lines)

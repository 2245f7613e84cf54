"""Turns store changes into alerts: summaries when race results land, corrections, schedule notices,
and reminders before sessions. The imports log is the change feed, so an import by another process
(`pitboard import` from cron) alerts exactly like an admin's upload in the chat.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import Application, ContextTypes

from bot import render
from bot.alerts.planner import plan_summaries
from bot.core.chat_settings import DEFAULTS
from bot.core.clock import SYSTEM, Clock
from bot.core.news import RESULTS_NEWS_AGE
from bot.delivery import Delivery
from bot.i18n import Translator
from bot.ingest.importing import results_news
from bot.jobs.reminders import Wakeups, due_of, queue_due, start_of
from storage.reminders import ReminderPair
from storage.store import Store

log = logging.getLogger(__name__)

FEED_KEY = "alerts.last_import_id"
REMINDER_HORIZON = timedelta(days=8)


class Notifier:
    def __init__(
        self,
        store: Store,
        delivery: Delivery,
        app: Application | None = None,  # type: ignore[type-arg]
        clock: Clock = SYSTEM,
        results_news_age: timedelta = RESULTS_NEWS_AGE,
    ) -> None:
        self.store = store
        # Results of a race that ended longer ago than this alert nobody (PITBOARD_RESULTS_NEWS_DAYS).
        self.results_news_age = results_news_age
        self.delivery = delivery
        self.app = app
        self.clock = clock
        # Lead times some chat uses: read once, then widened by every chat whose settings change.
        self._leads: set[int] | None = None
        # One reminder planning at a time (the poll, a due time's wake-up, a follow's re-plan).
        self._planning = asyncio.Lock()
        self.wakeups = Wakeups(clock, self.poll)

    async def close(self) -> None:
        await self.wakeups.close()

    async def open_feed(self) -> None:
        """A new installation announces what comes from now on, not the history it was filled with.

        Called while the Application starts, before anything else runs: an import that lands after the
        bot is up is then always news, even if it comes before the first poll.
        """
        if await self.store.feed.state(FEED_KEY) is None:
            await self.store.feed.set_state(FEED_KEY, str(await self.store.feed.last_import_id()))

    async def start(self, now: datetime) -> None:
        """At start: resume what a crash left in the outbox, catch up on the feed, plan reminders."""
        await self.open_feed()
        await self.delivery.drain(resume=True)
        await self.poll(now)

    async def poll(self, now: datetime) -> int:
        """Handle imports not seen yet; returns how many alert messages were queued."""
        last = int(await self.store.feed.state(FEED_KEY) or 0)
        queued = 0
        imports = await self.store.feed.imports_since(last)
        for feed_import in imports:
            for change in feed_import.session_changes:
                queued += await self.handle(change, now)
            await self.store.feed.set_state(FEED_KEY, str(feed_import.id))
        # An import may add drivers to an entry list: due reminders then look at their audience once more.
        queued += await self.plan_reminders(now, again=bool(imports))
        if queued:
            await self.delivery.drain()
        else:
            # Rows waiting out a 429 or a delay are sent when due by the delivery's own wake-up; this is
            # the net under it (rows another process queued, a wake-up lost with an error).
            await self.delivery.wake_when_due()
        return queued

    async def handle(self, change: dict[str, Any], now: datetime) -> int:
        what, session_id = change["what"], int(change["session_id"])
        if what in ("results_new", "results_corrected") and (
            # Alerts are news, not history: a `--quiet` import or a back-fill of past races stays silent.
            change.get("quiet") or not await results_news(self.store, session_id, now, self.results_news_age)
        ):
            return 0
        if what == "results_new":
            return await self.summaries(session_id, now)
        if what == "results_corrected":
            return await self.summaries(session_id, now, correction=True)
        if what == "added":
            session = await self.store.schedule.session_ref(session_id)
            start = session.start_utc if session else None
            # A new calendar adds a whole season: only a session added close to its start is news.
            if start is None or not now < datetime.fromisoformat(start.replace("Z", "+00:00")) < now + REMINDER_HORIZON:
                return 0
            return await self.schedule_notice(session_id, what, None, now)
        if what in ("moved", "cancelled"):
            return await self.schedule_notice(session_id, what, change.get("old_start_utc"), now)
        return 0

    async def summaries(self, session_id: int, now: datetime, correction: bool = False) -> int:
        session = await self.store.schedule.session_ref(session_id)
        if session is None or session.kind not in ("race", "sprint"):
            return 0
        plan = await plan_summaries(self.store, session_id)
        if plan is None:
            return 0
        kind = "correction" if correction else "summary"
        # One summary per race and chat, ever; each correction once per published version.
        key = (
            f"correction:{session_id}:{await self.store.results.results_fingerprint(session_id)}"
            if correction
            else f"summary:{session_id}"
        )
        alert_id = await self.store.outbox.alert(kind, key, session_id)
        chats = await self.store.chats.get_many(list(plan.chats))
        rendered: dict[tuple[str, frozenset[int], bool, int], tuple[str, str | None]] = {}
        rows: list[tuple[int, str, str | None]] = []
        later: list[tuple[int, str, int]] = []
        for chat_id, drivers in plan.chats.items():
            chat = chats.get(chat_id)
            if chat is None or not chat.active:
                continue
            prefs = chat.prefs
            if not prefs.alert_race:
                continue
            spoiler = prefs.spoiler.safe and not correction
            delay = prefs.spoiler.delay_hours if spoiler else 0
            # Thousands of chats follow the same few drivers: render each distinct message once.
            cache_key = (chat.language, frozenset(drivers), spoiler, delay)
            if cache_key not in rendered:
                t = Translator(chat.language)
                view = plan.for_chat(chat_id)
                if correction:
                    rendered[cache_key] = (render.correction(t, view) if view.outcomes else "", None)
                elif spoiler:
                    button = json.dumps(render.spoiler_button(t, session_id).to_dict())
                    rendered[cache_key] = (render.spoiler_teaser(t, view, delay), button)
                else:
                    rendered[cache_key] = (render.race_summary(t, view), None)
            text, markup = rendered[cache_key]
            if not text:
                continue
            rows.append((chat_id, text, markup))
            if delay:
                later.append((chat_id, chat.language, delay))
        queued = await self.store.outbox.enqueue_alerts(alert_id, rows)
        if later:
            later_id = await self.store.outbox.alert("summary-later", f"summary-later:{session_id}", session_id)
            for chat_id, language, delay in later:
                text = render.race_summary(Translator(language), plan.for_chat(chat_id))
                await self.store.outbox.enqueue_alert(
                    later_id, chat_id, text, None, not_before=now + timedelta(hours=delay)
                )
        return queued

    async def schedule_notice(self, session_id: int, what: str, old_start: str | None, now: datetime) -> int:
        session = await self.store.schedule.session_ref(session_id)
        if session is None:
            return 0
        start = session.start_utc
        if start and datetime.fromisoformat(start.replace("Z", "+00:00")) < now:
            return 0  # the past changes nothing for anyone
        alert_id = await self.store.outbox.alert("schedule", f"schedule:{session_id}:{what}:{start}", session_id)
        # Rendered and stored once per language and time zone (an outbox part each); the audience read and
        # queued a batch at a time, each row naming its part.
        parts: dict[tuple[str, str], str] = {}
        queued = 0
        async for batch in self.store.reminders.schedule_audience(session_id):
            new = {(language, timezone) for _, language, timezone in batch} - parts.keys()
            if new:
                rendered = {
                    look: render.schedule_notice(Translator(look[0]), session, what, old_start, look[1]) for look in new
                }
                stored = await self.store.outbox.add_parts(alert_id, list(rendered.values()))
                parts.update({look: str(stored[text]) for look, text in rendered.items()})
            rows = [(chat_id, parts[(language, timezone)]) for chat_id, language, timezone in batch]
            queued += await self.store.outbox.enqueue_parts(alert_id, rows)
        return queued

    async def _lead_times(self) -> set[int]:
        if self._leads is None:
            self._leads = await self.store.reminders.leads_in_use() | set(DEFAULTS.reminder_minutes)
        return self._leads

    async def plan_reminders(self, now: datetime, again: bool = False) -> int:
        """Queue the reminders that fell due and are not planned yet; wake up at the next due times. A
        reminder whose session has started is recorded as skipped. `again`: also look at due reminders of
        sessions not started yet once more (after an import), the ledger keeping each chat's to one.

        Everything is derived from the store, so nothing is lost by a restart: a reminder due while the bot
        was down still goes out if its session has not started yet.
        """
        async with self._planning:
            pairs = await self._pairs(now)
            due = [p for p in pairs if due_of(p) <= now and (not p.planned or (again and now < start_of(p)))]
            self.wakeups.plan(due_of(p) for p in pairs if due_of(p) > now)
            return await queue_due(self.store, due, now) if due else 0

    async def replan_chat(self, chat_id: int, now: datetime | None = None) -> int:
        """A follow, an unfollow or a settings change: the chat's reminders are planned at once, not at the
        next poll. Its due reminders (planned for everyone before it followed) are queued, and a lead time
        nobody used before gets its wake-ups. Wake-ups it no longer wants stay: at their time its audience
        query leaves it out, so they send nothing."""
        now = now or self.clock.now()
        chat = await self.store.chats.get(chat_id)
        if chat is not None:
            (await self._lead_times()).update(chat.prefs.reminder_minutes)
        queued = await self.plan_reminders(now)
        async with self._planning:
            pairs = await self._pairs(now)
            due = [p for p in pairs if p.planned and due_of(p) <= now < start_of(p)]
            queued += await queue_due(self.store, due, now, chat_id=chat_id) if due else 0
        if queued:
            await self.delivery.drain()
        return queued

    async def _pairs(self, now: datetime) -> list[ReminderPair]:
        window_start = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        window_end = (now + REMINDER_HORIZON).strftime("%Y-%m-%dT%H:%M:%SZ")
        return await self.store.reminders.pairs(window_start, window_end, await self._lead_times())


async def start_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    notifier = context.application.bot_data.get("notifier")
    if isinstance(notifier, Notifier):
        await notifier.start(notifier.clock.now())


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    notifier = context.application.bot_data.get("notifier")
    if isinstance(notifier, Notifier):
        try:
            await notifier.poll(notifier.clock.now())
        except Exception:
            log.exception("alert poll failed; the next one retries")

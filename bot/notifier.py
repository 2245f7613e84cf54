"""Turns store changes into alerts: summaries when race results land, corrections, schedule notices,
and reminders before sessions. The imports log is the change feed, so an import by another process
(`pitboard import` from cron) alerts exactly like an admin's upload in the chat.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram.ext import Application, ContextTypes

from bot import render
from bot.alerts import DEFAULT_LEAD_MINUTES, due_at, plan_summaries, recipients, reminder
from bot.core.news import RESULTS_NEWS_AGE
from bot.delivery import Delivery
from bot.i18n import Translator
from bot.importing import results_news
from storage.chats import Chat
from storage.store import SessionRef, Store

log = logging.getLogger(__name__)

FEED_KEY = "alerts.last_import_id"
REMINDER_HORIZON = timedelta(days=8)


class Notifier:
    # Results of a race that ended longer ago than this alert nobody (PITBOARD_RESULTS_NEWS_DAYS).
    results_news_age = RESULTS_NEWS_AGE

    def __init__(self, store: Store, delivery: Delivery, app: Application | None = None) -> None:  # type: ignore[type-arg]
        self.store = store
        self.delivery = delivery
        self.app = app

    async def open_feed(self) -> None:
        """A new installation announces what comes from now on, not the history it was filled with.

        Called while the Application starts, before anything else runs: an import that lands after the
        bot is up is then always news, even if it comes before the first poll.
        """
        if await self.store.state(FEED_KEY) is None:
            await self.store.set_state(FEED_KEY, str(await self.store.last_import_id()))

    async def start(self, now: datetime) -> None:
        """At start: resume what a crash left in the outbox, catch up on the feed, plan reminders."""
        await self.open_feed()
        await self.delivery.drain(resume=True)
        await self.poll(now)

    async def poll(self, now: datetime) -> int:
        """Handle imports not seen yet; returns how many alert messages were queued."""
        last = int(await self.store.state(FEED_KEY) or 0)
        queued = 0
        for import_id, changes in await self.store.imports_since(last):
            for change in changes:
                queued += await self.handle(change, now)
            await self.store.set_state(FEED_KEY, str(import_id))
        queued += await self.plan_reminders(now)
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
            session = await self.store.session_ref(session_id)
            start = session.start_utc if session else None
            # A new calendar adds a whole season: only a session added close to its start is news.
            if start is None or not now < datetime.fromisoformat(start.replace("Z", "+00:00")) < now + REMINDER_HORIZON:
                return 0
            return await self.schedule_notice(session_id, what, None, now)
        if what in ("moved", "cancelled"):
            return await self.schedule_notice(session_id, what, change.get("old_start_utc"), now)
        return 0

    async def _chats(self, session_id: int) -> list[tuple[Chat, frozenset[int]]]:
        out = []
        for chat_id, drivers in (await recipients(self.store, session_id)).items():
            chat = await self.store.chats.get(chat_id)
            if chat is not None and chat.active:
                out.append((chat, drivers))
        return out

    async def summaries(self, session_id: int, now: datetime, correction: bool = False) -> int:
        session = await self.store.session_ref(session_id)
        if session is None or session.kind not in ("race", "sprint"):
            return 0
        plan = await plan_summaries(self.store, session_id)
        if plan is None:
            return 0
        kind = "correction" if correction else "summary"
        # One summary per race and chat, ever; each correction once per published version.
        key = (
            f"correction:{session_id}:{await self.store.results_fingerprint(session_id)}"
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
            if chat is None or not chat.active or not chat.settings.get("alert_race", True):
                continue
            spoiler = bool(chat.settings.get("spoiler_safe")) and not correction
            delay = int(chat.settings.get("spoiler_delay_hours", 0)) if spoiler else 0
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
        session = await self.store.session_ref(session_id)
        if session is None:
            return 0
        start = session.start_utc
        if start and datetime.fromisoformat(start.replace("Z", "+00:00")) < now:
            return 0  # the past changes nothing for anyone
        alert_id = await self.store.outbox.alert("schedule", f"schedule:{session_id}:{what}:{start}", session_id)
        queued = 0
        for chat, _ in await self._chats(session_id):
            if not chat.settings.get("alert_schedule", True):
                continue
            t = Translator(chat.language)
            text = render.schedule_notice(t, session, what, old_start, chat.timezone)
            queued += await self.store.outbox.enqueue_alert(alert_id, chat.id, text, None)
        return queued

    async def plan_reminders(self, now: datetime) -> int:
        """Queue reminders that are due; a reminder whose session has started is recorded as skipped.

        Jobs are derived from the store each time, so nothing is lost by a restart: a reminder due
        while the bot was down still goes out if its session has not started yet.
        """
        queued = 0
        window_start = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        window_end = (now + REMINDER_HORIZON).strftime("%Y-%m-%dT%H:%M:%SZ")
        for session in await self.store.sessions_starting_between(window_start, window_end):
            queued += await self._reminders_for(session, now)
        return queued

    async def _reminders_for(self, session: SessionRef, now: datetime) -> int:
        assert session.start_utc is not None
        start = datetime.fromisoformat(session.start_utc.replace("Z", "+00:00"))
        queued = 0
        for chat, drivers in await self._chats(session.session_id):
            settings = chat.settings
            if session.kind == "qualifying" and not settings.get("alert_qualifying", False):
                continue
            if session.kind != "qualifying" and not settings.get("alert_race", True):
                continue
            leads = sorted({int(m) for m in settings.get("reminder_minutes", list(DEFAULT_LEAD_MINUTES))})
            for index, lead in enumerate(leads):
                due = due_at(session.start_utc, lead)
                if due > now:
                    self._wake_at(due)
                    continue
                key = f"reminder:{session.session_id}:{session.start_utc}:{lead}"
                alert_id = await self.store.outbox.alert("reminder", key, session.session_id)
                if chat.id in await self.store.outbox.chats_with_alert(alert_id):
                    continue
                # A late reminder is no news when the next, shorter one is due or nearly so (after downtime,
                # or when a chat starts following shortly before a session).
                shorter = leads[index - 1] if index else None
                superseded = shorter is not None and due_at(session.start_utc, shorter) - now <= timedelta(
                    minutes=shorter / 2
                )
                if now >= start or superseded:
                    await self.store.outbox.enqueue_alert(alert_id, chat.id, "", None, state="skipped")
                    continue
                minutes_left = max(1, round((start - now).total_seconds() / 60))
                content = await reminder(self.store, session.session_id, drivers, minutes_left)
                if content is None:
                    continue
                text = render.reminder(Translator(chat.language), content, chat.timezone)
                queued += await self.store.outbox.enqueue_alert(alert_id, chat.id, text, None)
        return queued

    def _wake_at(self, when: datetime) -> None:
        """A JobQueue (APScheduler) job that runs the poll when a reminder falls due. No misfire grace
        limit: a job that fires late still runs (the ledger keeps it to once per chat)."""
        queue = self.app.job_queue if self.app is not None else None
        if queue is None:
            return
        name = f"wake:{when.isoformat()}"
        if not queue.get_jobs_by_name(name):
            queue.run_once(poll_job, when=when, name=name, job_kwargs={"misfire_grace_time": None})


async def start_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    notifier = context.application.bot_data.get("notifier")
    if isinstance(notifier, Notifier):
        await notifier.start(datetime.now(UTC))


async def poll_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    notifier = context.application.bot_data.get("notifier")
    if isinstance(notifier, Notifier):
        try:
            await notifier.poll(datetime.now(UTC))
        except Exception:
            log.exception("alert poll failed; the next one retries")

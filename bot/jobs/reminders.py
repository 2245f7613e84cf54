"""Reminders planned like summaries: the due (session, lead) pairs from one query, each session's audience from
one set-based query read in batches, each head and car line rendered once and shared by every chat that gets
it, the rows queued a batch at a time. And the wake-ups: one task that runs the poll at each due time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta

from bot import render
from bot.alerts.reminder import ReminderContent, due_at
from bot.core.clock import Clock
from bot.core.tasks import cancel_and_wait
from bot.i18n import Translator
from storage.reminders import Recipient, ReminderPair
from storage.store import Store

log = logging.getLogger(__name__)


def start_of(pair: ReminderPair) -> datetime:
    return datetime.fromisoformat(pair.start_utc.replace("Z", "+00:00"))


def due_of(pair: ReminderPair) -> datetime:
    return due_at(pair.start_utc, pair.lead)


class _Texts:
    """One session's reminder texts: the head once per language and time zone, each driver's car lines once
    per language, shared by every lead time due at once."""

    def __init__(self, content: ReminderContent, minutes_left: int) -> None:
        self.content = content
        self.minutes_left = minutes_left
        # (language, driver) → car lines: rendered once and shared by every lead time due at once.
        self._cars: dict[tuple[str, str], tuple[tuple[int, int], str]] = {}

    @staticmethod
    def drivers(text: str | None) -> list[str]:
        return [] if text is None else text.split(",")

    def head(self, language: str, timezone: str) -> str:
        return render.reminder_head(Translator(language), self.content.session, self.minutes_left, timezone)

    def car(self, language: str, driver: str) -> tuple[tuple[int, int], str] | None:
        """The driver's (id as the audience query spells it) place in the message and car lines; None when
        the session has no car of theirs."""
        placed = self.content.placed(int(driver))
        if not placed:
            return None
        key = (language, driver)
        if key not in self._cars:
            t = Translator(language)
            self._cars[key] = (placed[0][0], "\n".join(render.reminder_car(t, car) for _, car in placed))
        return self._cars[key]

    def forget_cars(self) -> None:
        """Drivers were added to the content (no entry list)."""
        self._cars.clear()


class _AlertParts:
    """One reminder alert's texts stored as outbox parts, and each chat's message as the list of their ids:
    its head, then its drivers' cars in entry-list order (200,000 chats, a few hundred stored texts)."""

    def __init__(self, store: Store, alert_id: int, texts: _Texts) -> None:
        self.store, self.alert_id, self.texts = store, alert_id, texts
        self._heads: dict[tuple[str, str], str] = {}  # (language, time zone) → part id
        self._cars: dict[str, dict[str, tuple[tuple[int, int], str]]] = {}  # language → driver → (place, id)

    def forget_cars(self) -> None:
        """Drivers were added to the content (no entry list): their lines are stored on next use."""
        self._cars.clear()

    async def prepare(self, batch: list[Recipient]) -> None:
        """Store the parts this batch needs that are not stored yet (one write): only the cars of drivers some
        chat follows, so a race with ten followers stores a dozen texts, not the whole entry list's."""
        heads = {look: self.texts.head(*look) for look in {(r[2], r[3]) for r in batch} - self._heads.keys()}
        cars: dict[str, dict[str, tuple[tuple[int, int], str]]] = {}
        for language, drivers in {(r[2], r[1]) for r in batch if r[1] is not None}:
            stored = self._cars.setdefault(language, {})
            for driver in drivers.split(","):
                if driver not in stored and driver not in cars.get(language, {}):
                    car = self.texts.car(language, driver)
                    if car is not None:
                        cars.setdefault(language, {})[driver] = car
        wanted = [*heads.values(), *(lines for found in cars.values() for _, lines in found.values())]
        if not wanted:
            return
        ids = await self.store.outbox.add_parts(self.alert_id, wanted)
        self._heads.update({look: str(ids[text]) for look, text in heads.items()})
        for language, found in cars.items():
            self._cars[language].update({d: (place, str(ids[lines])) for d, (place, lines) in found.items()})

    def of(self, r: Recipient) -> str:
        """The chat's message as part ids, "head,car,car"."""
        _, drivers, language, timezone, _ = r
        head = self._heads[(language, timezone)]
        if drivers is None:
            return head
        cars = self._cars[language]
        if "," not in drivers:
            car = cars.get(drivers)
            return f"{head},{car[1]}" if car else head
        # A set: a driver in two cars of the event is listed twice by the query. Places are unique per driver.
        return ",".join([head, *(part for _, part in sorted({cars[d] for d in drivers.split(",") if d in cars}))])


async def queue_due(store: Store, pairs: list[ReminderPair], now: datetime, chat_id: int | None = None) -> int:
    """Queue the reminders of due pairs (all one session's pairs share its audience query); a reminder whose
    session has started, or whose chat's next shorter one is due or nearly so, is recorded as skipped.
    `chat_id`: only that chat (a follow or a settings change); otherwise everyone, and the pairs are then
    marked planned."""
    queued = 0
    sessions: dict[int, list[ReminderPair]] = {}
    for pair in pairs:
        sessions.setdefault(pair.session_id, []).append(pair)
    for session_id, group in sessions.items():
        queued += await _queue_session(store, session_id, group, now, chat_id)
    return queued


async def _queue_session(
    store: Store, session_id: int, pairs: list[ReminderPair], now: datetime, chat_id: int | None
) -> int:
    start = start_of(pairs[0])
    alerts = {pair.lead: await store.outbox.alert("reminder", pair.key, session_id) for pair in pairs}
    have = await store.reminders.chats_with_alerts(list(alerts.values()), chat_id)
    content = await ReminderContent.load(store, session_id)
    if content is None:
        return 0
    texts = _Texts(content, max(1, round((start - now).total_seconds() / 60)))
    parts = {alert_id: _AlertParts(store, alert_id, texts) for alert_id in alerts.values()}
    # What a chat with these reminder_minutes gets for each due lead: None (not its lead), "send" or "skip".
    decisions: dict[str, dict[int, str | None]] = {}

    def decide(leads_json: str) -> dict[int, str | None]:
        leads = sorted({int(m) for m in json.loads(leads_json)})
        out: dict[int, str | None] = {}
        for lead in alerts:
            if lead not in leads:
                out[lead] = None
                continue
            shorter = max((m for m in leads if m < lead), default=None)
            # A late reminder is no news when the next, shorter one is due or nearly so (after downtime, or a
            # chat that starts following shortly before a session).
            superseded = shorter is not None and due_at(pairs[0].start_utc, shorter) - now <= timedelta(
                minutes=shorter / 2
            )
            out[lead] = "skip" if now >= start or superseded else "send"
        return out

    queued = 0
    async for batch in store.reminders.reminder_audience(session_id, pairs[0].kind == "qualifying", chat_id):
        if not content.has_entries:
            await content.ensure({int(d) for r in batch for d in texts.drivers(r[1])})
            texts.forget_cars()
            for alert_parts in parts.values():
                alert_parts.forget_cars()
        for alert_parts in parts.values():
            await alert_parts.prepare(batch)
        send: dict[int, list[tuple[int, str]]] = {alert_id: [] for alert_id in alerts.values()}
        skip: dict[int, list[int]] = {alert_id: [] for alert_id in alerts.values()}
        for r in batch:
            chat = r[0]
            wanted = decisions.get(r[4])
            if wanted is None:
                wanted = decisions[r[4]] = decide(r[4])
            for lead, alert_id in alerts.items():
                what = wanted[lead]
                if what is None or chat in have[alert_id]:
                    continue
                if what == "skip":
                    skip[alert_id].append(chat)
                else:
                    send[alert_id].append((chat, parts[alert_id].of(r)))
        for alert_id in alerts.values():
            if send[alert_id]:
                queued += await store.outbox.enqueue_parts(alert_id, send[alert_id])
            if skip[alert_id]:
                await store.reminders.record_skipped(alert_id, skip[alert_id], now)
    if chat_id is None:
        await store.reminders.mark_planned(list(alerts.values()), now)
    return queued


class Wakeups:
    """The alert poll, run at each planned due time: one task sleeping on the clock until the earliest. A
    sleep is never longer than a minute, so a wall clock that jumps is noticed."""

    MAX_SLEEP = 60.0

    def __init__(self, clock: Clock, run: Callable[[datetime], Awaitable[object]]) -> None:
        self.clock = clock
        self.run = run
        self._times: set[datetime] = set()
        self._task: asyncio.Task[None] | None = None
        self._sleeping_until: datetime | None = None

    def plan(self, times: Iterable[datetime]) -> None:
        self._times.update(times)
        if not self._times:
            return
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._loop())
        elif self._sleeping_until is not None and min(self._times) < self._sleeping_until:
            self._task.cancel()  # only ever cancelled while it sleeps: never in the middle of a poll
            self._task = asyncio.get_running_loop().create_task(self._loop())

    def planned(self) -> list[datetime]:
        return sorted(self._times)

    async def _loop(self) -> None:
        while self._times:
            earliest = min(self._times)
            wait = (earliest - self.clock.now()).total_seconds()
            if wait > 0:
                self._sleeping_until = earliest
                try:
                    await self.clock.sleep(min(wait, self.MAX_SLEEP))
                finally:
                    self._sleeping_until = None
                continue
            now = self.clock.now()
            self._times = {t for t in self._times if t > now}
            try:
                await self.run(now)
            except Exception:
                log.exception("alert poll at a reminder's due time failed; the next poll retries")

    async def close(self) -> None:
        await cancel_and_wait(self._task)
        self._task = None

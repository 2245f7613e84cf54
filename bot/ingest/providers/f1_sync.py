"""Keeping F1 current from Jolpica: a whole season once (`pitboard sync f1`, bench/sync), and in the bot a
daily calendar sync plus, after each session's scheduled end, a poll for its results with backoff that
gives up 48 h after the end. Everything goes through the one import path (bot/ingest/importing.py), so
the change feed alerts exactly as for a file import, and a refused or failed fetch writes nothing.

`F1Sync.status()` is the hook `pitboard status` / `/stats` can show: last success, last error, next run,
sessions waiting for results and those given up on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from telegram.ext import ContextTypes

from bot.core.clock import SYSTEM, Clock
from bot.core.news import RESULTS_NEWS_AGE
from bot.core.tasks import cancel_and_wait
from bot.ingest.importing import ImportOutcome, apply_import
from bot.ingest.providers.client import FileCache, HttpClient, ProviderError, Usage
from bot.ingest.providers.jolpica import (
    SERIES_SLUG,
    JolpicaClient,
    Progress,
    SeasonData,
    fetch_round,
    fetch_season,
    season_batch,
)
from storage.removals import RemovalRefused
from storage.store import Store
from storage.writer import ImportConflict

log = logging.getLogger(__name__)

PROVIDER = "jolpica"
PROVIDER_NAME = "Jolpica-F1"  # as `pitboard status` and /stats name it
GIVE_UP_AFTER = timedelta(hours=48)
FIRST_TRY_AFTER_END = timedelta(minutes=10)
FIRST_BACKOFF = timedelta(minutes=10)
MAX_BACKOFF = timedelta(hours=2)
# How long a session runs when the store knows only its start (Jolpica gives start times only).
DURATIONS = {"race": timedelta(hours=2), "sprint": timedelta(hours=1), "qualifying": timedelta(hours=1)}
# Session key in the store → the Jolpica endpoint with its results.
RESULT_KINDS = {"race": "results", "sprint": "sprint", "qualifying": "qualifying"}
SYNC_ERRORS = (ProviderError, RemovalRefused, ImportConflict)


@dataclass(slots=True)
class SyncReport:
    season: int
    outcome: ImportOutcome
    usage: Usage


async def sync_season(
    store: Store,
    client: JolpicaClient,
    season: int,
    now: datetime,
    *,
    progress: Progress | None = None,
    allow_removals: bool = False,
    max_age: timedelta = RESULTS_NEWS_AGE,
) -> SyncReport:
    """Fetch the whole season, check every page, then write it in one transaction (or not at all)."""
    data = await fetch_season(client, season, progress)
    outcome = await apply_import(store, [season_batch(data)], now, allow_removals=allow_removals, max_age=max_age)
    return SyncReport(season, outcome, replace(client.http.usage, statuses=dict(client.http.usage.statuses)))


@dataclass(slots=True)
class Waiting:
    """A session whose results are awaited."""

    session_id: int
    season: int
    round: int
    key: str  # race, sprint, qualifying
    name: str
    ends_at: datetime
    attempts: int = 0
    next_try: datetime | None = None
    gave_up: bool = False


@dataclass(slots=True)
class ProviderStatus:
    provider: str
    enabled: bool
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    next_run: datetime | None = None
    requests: int = 0
    waiting: list[Waiting] = field(default_factory=list)
    given_up: list[Waiting] = field(default_factory=list)


def _parse(utc: str) -> datetime:
    return datetime.fromisoformat(utc.replace("Z", "+00:00"))


class F1Sync:
    def __init__(
        self,
        store: Store,
        client: JolpicaClient,
        *,
        clock: Clock = SYSTEM,
        max_age: timedelta = RESULTS_NEWS_AGE,
        calendar_every: timedelta = timedelta(days=1),
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.max_age = max_age
        self.calendar_every = calendar_every
        self.waiting: dict[int, Waiting] = {}
        self.next_calendar: datetime | None = None
        self._status = ProviderStatus(PROVIDER, enabled=True)
        self.running: asyncio.Task[None] | None = None  # the job's run, going on beside it

    async def stop(self) -> None:
        """At shutdown: a run waiting for Jolpica is cancelled (it is retried at the next start), then the
        HTTP client is closed."""
        await cancel_and_wait(self.running)
        await self.client.http.close()

    def status(self) -> ProviderStatus:
        waiting = [w for w in self.waiting.values() if not w.gave_up]
        next_tries = [w.next_try for w in waiting if w.next_try] + ([self.next_calendar] if self.next_calendar else [])
        return replace(
            self._status,
            requests=self.client.http.usage.requests,
            next_run=min(next_tries) if next_tries else None,
            waiting=sorted(waiting, key=lambda w: w.ends_at),
            given_up=[w for w in self.waiting.values() if w.gave_up],
        )

    def _ok(self, now: datetime) -> None:
        self._status.last_success = now

    def failed(self, now: datetime, what: str, exc: BaseException) -> None:
        # An outage is logged and retried; it never stops the bot (the caller carries on).
        self._status.last_error, self._status.last_error_at = f"{what}: {exc}", now
        log.warning("F1 sync: %s failed: %s", what, exc)

    async def tick(self, now: datetime) -> None:
        """What the job does every minute: the calendar when due, then the results that are due."""
        if self.next_calendar is None or now >= self.next_calendar:
            await self.sync_calendar(now)
        await self.poll_results(now)

    async def sync_calendar(self, now: datetime) -> bool:
        """The season's schedule (one request, conditional): new, moved and cancelled sessions."""
        self.next_calendar = now + self.calendar_every
        try:
            schedule = await self.client.schedule(now.year)
            if not schedule.items:
                return False
            batch = season_batch(SeasonData(now.year, schedule=schedule))
            await apply_import(self.store, [batch], now, max_age=self.max_age)
        except SYNC_ERRORS as exc:
            self.failed(now, f"calendar {now.year}", exc)
            # Not a day: the next tick tries again after the results backoff's first step.
            self.next_calendar = now + FIRST_BACKOFF
            return False
        self._ok(now)
        return True

    async def _discover(self, now: datetime) -> None:
        for year in sorted({now.year, (now - GIVE_UP_AFTER - timedelta(hours=3)).year}):
            for s in await self.store.schedule.schedule(SERIES_SLUG, year):
                if s.key not in RESULT_KINDS or s.start_utc is None or s.status == "cancelled":
                    continue
                if s.session_id in self.waiting:
                    if s.results_status != "none":
                        del self.waiting[s.session_id]  # landed (this sync or a file import)
                    continue
                ends = _parse(s.start_utc) + DURATIONS[s.key]
                if s.results_status != "none" or not ends <= now < ends + GIVE_UP_AFTER:
                    continue
                head = s.event_key.split("-", 1)[0]
                if not head.isdigit():
                    continue
                self.waiting[s.session_id] = Waiting(
                    s.session_id,
                    year,
                    int(head),
                    s.key,
                    f"{s.event_name} {s.name}",
                    ends,
                    next_try=ends + FIRST_TRY_AFTER_END,
                )

    async def poll_results(self, now: datetime) -> int:
        """Ask for the results of every session whose next try has come; the number that landed."""
        try:
            await self._discover(now)
        except Exception as exc:  # the store busy or broken: log, try at the next tick
            self.failed(now, "finding sessions", exc)
            return 0
        landed = 0
        for waiting in sorted(self.waiting.values(), key=lambda w: w.ends_at):
            if waiting.gave_up or waiting.next_try is None or now < waiting.next_try:
                continue
            if now >= waiting.ends_at + GIVE_UP_AFTER:
                waiting.gave_up = True
                log.warning("F1 sync: no results for %s %s 48 h after its end; giving up", waiting.season, waiting.name)
                continue
            waiting.attempts += 1
            delay = min(FIRST_BACKOFF * 2 ** (waiting.attempts - 1), MAX_BACKOFF)
            waiting.next_try = now + delay
            try:
                data = await fetch_round(self.client, waiting.season, waiting.round, RESULT_KINDS[waiting.key])
                if not data.results[RESULT_KINDS[waiting.key]].items:
                    self._ok(now)
                    continue  # not out yet
                await apply_import(self.store, [season_batch(data)], now, max_age=self.max_age)
            except SYNC_ERRORS as exc:
                self.failed(now, f"results of {waiting.season} {waiting.name}", exc)
                continue
            self._ok(now)
            landed += 1
            del self.waiting[waiting.session_id]
            log.info("F1 sync: results of %s %s stored", waiting.season, waiting.name)
        return landed


def make_client(base_url: str, clock: Clock, cache: FileCache | None = None) -> JolpicaClient:
    return JolpicaClient(HttpClient(clock=clock, cache=cache), base_url)


async def f1_sync_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """The JobQueue's F1 sync: never raises (an outage is logged, kept in the status, and retried)."""
    sync = context.application.bot_data.get("f1_sync")
    if not isinstance(sync, F1Sync):
        return
    # The run goes on beside the job: python-telegram-bot waits for running jobs at shutdown, and a Jolpica
    # that does not answer (backing off for a minute) must not hold up a stop. `stop()` cancels it.
    if sync.running is None or sync.running.done():
        sync.running = asyncio.create_task(run_once(sync), name="f1-sync")


async def run_once(sync: F1Sync) -> None:
    """One run of the job: never raises (an outage is logged, kept in the status, and retried)."""
    before = sync.status()
    try:
        await sync.tick(sync.clock.now())
    except Exception as exc:
        sync.failed(sync.clock.now(), "sync", exc)
        log.exception("F1 sync failed; the next run retries")
    await record_status(sync, before)


async def record_status(sync: F1Sync, before: ProviderStatus) -> None:
    """A run that asked Jolpica something lands in the provider status `pitboard status` and /stats show (a
    minute with nothing due is no run)."""
    after = sync.status()
    if (after.last_success, after.last_error_at) == (before.last_success, before.last_error_at):
        return
    ok = after.last_error_at is None or (after.last_success is not None and after.last_success >= after.last_error_at)
    try:
        await sync.store.providers.record_run(
            PROVIDER_NAME, ok, None if ok else after.last_error, after.next_run, now=sync.clock.now()
        )
    except Exception:
        log.exception("could not record the F1 sync's status")

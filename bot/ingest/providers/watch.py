"""Watched timing files: poll URLs during a race weekend and import what changed.

Each URL is asked "changed since?" (If-None-Match / If-Modified-Since with what the last imported version
carried); a 304 or the same bytes is nothing to do. A changed file goes through the same import path as
a file on disk, on its own (one transaction per file): a provisional classification that turns official,
a new "after 6 hours" classification (a stage of the race), a corrected result.

A URL that fails (unreachable, 404 because the file is not published yet, an HTML error page, a version
the removal rule refuses) is logged, recorded in the provider status and tried again later with backoff;
it never stops the other URLs or the bot. All timing is on the injected clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

import aiohttp

from bot.core.clock import SYSTEM, Clock
from bot.core.news import RESULTS_NEWS_AGE
from bot.core.records import ChangeSet
from bot.ingest.fetch import DEFAULT_LIMITS, Fetched, FetchLimits, fetch, new_session, shown_url
from bot.ingest.importers.table import ImportFailure
from bot.ingest.importing import apply_import
from bot.ingest.urls import load_fetched
from storage.providers import Validators
from storage.removals import RemovalRefused
from storage.store import Store
from storage.writer import ImportConflict

log = logging.getLogger(__name__)

PROVIDER_PREFIX = "watch:"
MAX_BACKOFF = 30 * 60.0  # seconds: a URL down for long is still tried twice an hour


def provider_name(url: str) -> str:
    return PROVIDER_PREFIX + shown_url(url)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    url: str
    result: str  # "imported", "unchanged", "not-modified", "failed"
    changes: ChangeSet | None = None
    error: str | None = None
    silent_races: int = 0

    @property
    def changed(self) -> bool:
        return self.changes is not None and self.changes.changed


@dataclass(slots=True)
class _Target:
    url: str
    due: float = 0.0  # on the clock's monotonic time
    failures: int = 0


def backoff(every: float, failures: int) -> float:
    """Seconds to the next poll after `failures` failures in a row (0: the regular interval)."""
    return min(every * 2 ** min(failures, 16), max(MAX_BACKOFF, every))


class Watch:
    def __init__(
        self,
        store: Store,
        urls: list[str],
        *,
        series: str | None = None,
        season: int | None = None,
        every: float = 60.0,
        clock: Clock = SYSTEM,
        limits: FetchLimits = DEFAULT_LIMITS,
        max_age: timedelta = RESULTS_NEWS_AGE,
        quiet: bool = False,
    ) -> None:
        if every <= 0:
            raise ValueError("the watch interval must be positive")
        self.store = store
        self.series = series
        self.season = season
        self.every = every
        self.clock = clock
        self.limits = limits
        self.max_age = max_age
        self.quiet = quiet
        self.targets = [_Target(url) for url in dict.fromkeys(urls)]
        self._session: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[list[PollOutcome]] | None = None
        self._importing = asyncio.Lock()
        self._polling = asyncio.Lock()  # the start job and the repeating one must not poll a URL twice at once

    async def close(self) -> None:
        """Stop: a poll still waiting for a slow site is cancelled (nothing half-written: each import is
        one transaction), then the HTTP session closes."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def announce(self) -> None:
        """Put every URL into the status before its first poll (next run: now)."""
        for target in self.targets:
            await self.store.providers.schedule(provider_name(target.url), self.clock.now())

    async def poll_due(self) -> list[PollOutcome]:
        """Poll every URL whose time has come: side by side, each imported as soon as it arrives, one at a time."""
        async with self._polling:
            return await self._poll_due()

    async def _poll_due(self) -> list[PollOutcome]:
        # A job that fires a hair early must not skip a URL for a whole interval.
        horizon = self.clock.monotonic() + min(1.0, self.every / 20)
        due = [t for t in self.targets if t.due <= horizon]
        if not due:
            return []
        if self._session is None:
            self._session = new_session(self.limits)
        return list(await asyncio.gather(*(self._poll_one(t) for t in due)))

    async def _poll_one(self, target: _Target) -> PollOutcome:
        # Each URL on its own: a slow site delays only its own file; imports still go one at a time.
        got = await self._fetch(target)
        async with self._importing:
            return await self._import(target, got)

    def poll_in_background(self, on_change: Callable[[], Awaitable[object]]) -> asyncio.Task[list[PollOutcome]] | None:
        """For the bot's job: the poll runs beside the job (python-telegram-bot waits for running jobs when
        it stops, and a site that never answers must not hold the bot up); None while one still runs."""
        if self._task is not None and not self._task.done():
            return None
        self._task = asyncio.create_task(run_due(self, on_change), name="watch-poll")
        return self._task

    async def run(self, report: Callable[[PollOutcome], None] | None = None) -> None:
        """Poll until cancelled."""
        await self.announce()
        try:
            while True:
                for outcome in await self.poll_due():
                    if report:
                        report(outcome)
                wait = min(t.due for t in self.targets) - self.clock.monotonic()
                await self.clock.sleep(max(wait, 0.0))
        finally:
            await self.close()

    async def _fetch(self, target: _Target) -> Fetched | ImportFailure | None:
        known = await self.store.providers.validators(provider_name(target.url))
        assert self._session is not None
        try:
            return await fetch(
                self._session, target.url, self.limits, etag=known.etag, last_modified=known.last_modified
            )
        except ImportFailure as exc:
            return exc
        except Exception as exc:  # whatever the HTTP stack raises: a failed poll, never a dead watch
            log.warning("watch %s: unexpected %r", shown_url(target.url), exc)
            return ImportFailure(shown_url(target.url), f"the download failed: {type(exc).__name__}")

    async def _import(self, target: _Target, got: Fetched | ImportFailure | None) -> PollOutcome:
        provider = provider_name(target.url)
        shown = shown_url(target.url)
        outcome: PollOutcome
        try:
            if isinstance(got, ImportFailure):
                raise got
            if got is None:
                outcome = PollOutcome(shown, "not-modified")
            elif got.sha256 == (await self.store.providers.validators(provider)).content_sha256:
                # Same bytes under a new ETag (a server without validators, a re-upload): nothing to do.
                await self.store.providers.remember(provider, _validators(got))
                outcome = PollOutcome(shown, "unchanged")
            else:
                batches = await asyncio.to_thread(load_fetched, [got], self.series, self.season)
                result = await apply_import(
                    self.store, batches, self.clock.now(), quiet=self.quiet, max_age=self.max_age
                )
                await self.store.providers.remember(provider, _validators(got))
                outcome = PollOutcome(shown, "imported", result.changes, silent_races=result.silent_races)
        except RemovalRefused as exc:
            outcome = PollOutcome(shown, "failed", error=f"{shown}: not imported: {exc}")
        except (ImportFailure, ImportConflict) as exc:
            outcome = PollOutcome(shown, "failed", error=str(exc))
        except Exception as exc:  # a bug must not end the watch: record it and try again later
            log.exception("watch %s: the import failed", shown)
            outcome = PollOutcome(shown, "failed", error=f"{shown}: {type(exc).__name__}: {exc}")
        target.failures = target.failures + 1 if outcome.result == "failed" else 0
        delay = backoff(self.every, target.failures - 1) if target.failures else self.every
        target.due = self.clock.monotonic() + delay
        if outcome.error:
            log.warning("watch: %s (next try in %g s)", outcome.error, delay)
        await self.store.providers.record_run(
            provider,
            outcome.result != "failed",
            outcome.error,
            self.clock.now() + timedelta(seconds=delay),
            now=self.clock.now(),
            changed=outcome.changed,
        )
        return outcome


def _validators(got: Fetched) -> Validators:
    return Validators(got.etag, got.last_modified, got.sha256)


def job_timeout(limits: FetchLimits) -> float:
    """A poll fetches side by side (one timeout) and imports one file after another (seconds each)."""
    return limits.timeout + 120.0


async def run_due(watch: Watch, on_change: Callable[[], Awaitable[object]]) -> list[PollOutcome]:
    """One run of the bot's watch job: poll what is due, within the job's timeout; then `on_change` (the
    alert poll) when something was imported, so summaries go out at once. Never raises: an outage is
    recorded per URL and logged, and the job runs again at its next interval."""
    try:
        outcomes = await asyncio.wait_for(watch.poll_due(), timeout=job_timeout(watch.limits))
    except TimeoutError:
        log.warning("the watch poll took longer than %g s; it goes on at the next run", job_timeout(watch.limits))
        return []
    except Exception:
        log.exception("the watch poll failed; the next run tries again")
        return []
    if any(o.changed for o in outcomes):
        try:
            await on_change()
        except Exception:
            log.exception("the alert poll after a watch import failed; the regular poll retries")
    return outcomes

"""The import flow the command line and the admin upload share: write the batches — with the shipped rules
and calendar of a known season the store lacks (bot/ingest/definitions.py) — then say which race results
were stored without alerts (alerts are news, not history: bot/core/news.py).

The notifier applies the same rule where the alerts are made (`results_news`), so a back-fill by any
process — `pitboard import` from cron, an upload, a provider — alerts nobody.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.news import RESULTS_NEWS_AGE, results_are_news
from bot.core.records import ChangeSet, ImportBatch
from bot.ingest.definitions import Applied, completion
from storage.schedule import SessionTimes
from storage.store import Store

NEWS_DAYS_ENV = "PITBOARD_RESULTS_NEWS_DAYS"
RESULTS_CHANGES = ("results_new", "results_corrected")
SUMMARY_KINDS = ("race", "sprint")  # the sessions whose results make a summary


@dataclass(slots=True)
class ImportOutcome:
    changes: ChangeSet
    silent_races: int  # races whose new or corrected results were stored without alerts
    applied: list[Applied] = field(default_factory=list)  # shipped definitions written with the files


def news_age(days: float | None) -> timedelta:
    return RESULTS_NEWS_AGE if days is None else timedelta(days=days)


def news_age_from_env() -> timedelta:
    """The command line reads PITBOARD_RESULTS_NEWS_DAYS like the bot's settings do (default 3 days)."""
    raw = os.environ.get(NEWS_DAYS_ENV, "").strip()
    if not raw:
        return RESULTS_NEWS_AGE
    try:
        days = float(raw)
    except ValueError:
        raise ValueError(f"{NEWS_DAYS_ENV} must be a number of days, not {raw!r}") from None
    if not 0 < days <= 3650:
        raise ValueError(f"{NEWS_DAYS_ENV} must lie between 0 and 3650 days, not {raw!r}")
    return timedelta(days=days)


def _is_news(times: SessionTimes, now: datetime, max_age: timedelta) -> bool:
    return results_are_news(times.start_utc, times.end_utc, now, max_age, day=times.day)


async def results_news(store: Store, session_id: int, now: datetime, max_age: timedelta) -> bool:
    times = (await store.schedule.session_times([session_id])).get(session_id)
    return times is None or _is_news(times, now, max_age)


async def silent_races(store: Store, changes: ChangeSet, now: datetime, max_age: timedelta, quiet: bool) -> int:
    ids = sorted({c.session_id for c in changes.session_changes if c.what in RESULTS_CHANGES})
    times = await store.schedule.session_times(ids)
    return sum(1 for t in times.values() if t.kind in SUMMARY_KINDS and (quiet or not _is_news(t, now, max_age)))


async def apply_import(
    store: Store,
    batches: list[ImportBatch],
    now: datetime,
    *,
    quiet: bool = False,
    allow_removals: bool = False,
    max_age: timedelta = RESULTS_NEWS_AGE,
) -> ImportOutcome:
    """Write the batches (all or nothing; `RemovalRefused` unless `allow_removals`) and count the races
    whose results alert nobody. The shipped rules and calendar of the seasons they touch go first, in the
    same transaction, where the store lacks them."""
    shipped = await completion(store, batches)
    changes = await store.apply([*shipped.batches, *batches], quiet=quiet, allow_removals=allow_removals)
    applied = shipped.applied if changes.changed else []
    return ImportOutcome(changes, await silent_races(store, changes, now, max_age, quiet), applied)

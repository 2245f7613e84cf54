"""bench/reminders: reminders and schedule notices for 200,000 chats / 1,000,000 follows.

The store holds the real GT World Challenge Europe 2023 (bot/ingest/series/gtwc-europe-2023.json and the timing
files in ../shared/data/gtwc-europe/2023); the Barcelona race is then moved to 30 h after the bench's "now"
by a new calendar version, as an admin's import would. The audience: drivers and series follows mixed,
German and English, several time zones and lead-time settings. Measured with the project's own Store and
Notifier (the delivery is left out: nothing is sent, rows are only queued):
  - the "moved" notice to every follower of the race (goal ≤ 2 s),
  - an alert poll with nothing due (goal ≤ 50 ms),
  - the poll at which the 24-hour reminders fall due, queueing every one of them (goal ≤ 2 s),
  - peak memory (goal ≤ 300 MB): the process's peak RSS, and the peak traced by tracemalloc while the
    1-hour reminders are queued (a separate poll: tracing slows allocation down).

Run: .venv-test/bin/python bench/reminders.py [--chats 200000] [--follows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.clock import ManualClock  # noqa: E402
from bot.ingest.importers import load_paths  # noqa: E402
from bot.jobs.notifier import FEED_KEY, Notifier  # noqa: E402
from storage.store import Store  # noqa: E402

GOAL_IDLE_S = 0.050
GOAL_QUEUE_S = 2.0
GOAL_MOVED_S = 2.0
GOAL_MB = 300.0
NOW = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)  # a fixed "now": the run is the same every time
ZONES = ("UTC", "Europe/Berlin", "Europe/Vienna", "Europe/London", "America/New_York", "Asia/Tokyo")
SETTINGS: tuple[dict[str, Any], ...] = (
    {},  # the defaults: 24 h and 1 h before races, no qualifying
    {},
    {},
    {"reminder_minutes": [1440, 180, 60]},
    {"reminder_minutes": [60, 15]},
    {"reminder_minutes": [1440], "alert_qualifying": True},
    {"alert_race": False},
    {"alert_schedule": False},
)


class NoDelivery:
    """Nothing is sent in this bench: only planning and queueing are measured."""

    async def drain(self, resume: bool = False) -> int:
        return 0

    async def wake_when_due(self) -> None:
        return None


def _moved_calendar(tmp: Path, series: Path, start: datetime) -> Path:
    doc = json.loads(series.read_text(encoding="utf-8"))
    event = next(e for e in doc["seasons"][0]["events"] if e["key"] == "barcelona")
    race = next(s for s in event["sessions"] if s["key"] == "race")
    race["start"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    path = tmp / "gtwc-europe-2023-moved.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


async def _audience(store: Store, chats: int, follows: int) -> None:
    """`follows` spread over `chats` (each chat's targets distinct), loaded a slice of chats at a time so the
    bench's own lists do not dominate the memory it measures."""
    rng = random.Random(42)
    drivers = sorted({n.driver_id for n in await store.drivers.driver_names()})
    series = [s.id for s in await store.series.all()]
    step = 20_000
    for first in range(1, chats + 1, step):
        ids = range(first, min(chats, first + step - 1) + 1)
        rows: list[tuple[int, str, int]] = []
        for chat in ids:
            # follows / chats on average: chats 1..extra get one more
            count = follows // chats + (1 if chat <= follows % chats else 0)
            kinds = ["series" if rng.random() < 0.05 else "driver" for _ in range(count)]
            rows += [(chat, "driver", d) for d in rng.sample(drivers, kinds.count("driver"))]
            rows += [(chat, "series", s) for s in rng.sample(series, min(len(series), kinds.count("series")))]
        await store.chats.add_many([(c, "private", "de" if c % 2 else "en") for c in ids], rows)
        looks = [(c, ZONES[c % len(ZONES)], SETTINGS[(c // 7) % len(SETTINGS)]) for c in ids]
        if hasattr(store.chats, "set_many"):
            await store.chats.set_many(looks)
        else:  # the code before set_many (the before-figures): one write per chat
            for chat, zone, settings in looks:
                await store.chats.set_timezone(chat, zone)
                if settings:
                    await store.chats.set_settings(chat, settings)


def _mb(kb: float) -> float:
    return kb / 1024


async def main(chats: int, follows: int, data: Path) -> None:
    series_file = ROOT / "bot" / "ingest" / "series" / "gtwc-europe-2023.json"
    race_start = NOW + timedelta(hours=30)
    with tempfile.TemporaryDirectory() as tmp:
        async with await Store.open(Path(tmp) / "reminders.db") as store:
            loaded = time.perf_counter()
            await store.apply(load_paths([series_file, data / "gtwc-europe" / "2023"]))
            await _audience(store, chats, follows)
            load_s = time.perf_counter() - loaded
            try:
                # The notifier's clock stays at NOW: its wake-ups never fire by themselves during the bench.
                notifier = Notifier(store, NoDelivery(), clock=ManualClock(NOW))  # type: ignore[arg-type]
            except TypeError:  # the code before the clock (the before-figures) woke up through the JobQueue
                notifier = Notifier(store, NoDelivery())  # type: ignore[arg-type]
            await notifier.open_feed()
            await store.apply(load_paths([_moved_calendar(Path(tmp), series_file, race_start)]))

            # The "moved" notice: the change feed's entries for the new calendar, handled as a poll would.
            last = int(await store.feed.state(FEED_KEY) or 0)
            started = time.perf_counter()
            notices = 0
            for feed_import in await store.feed.imports_since(last):
                for change in feed_import.session_changes:
                    notices += await notifier.handle(change, NOW)
                await store.feed.set_state(FEED_KEY, str(feed_import.id))
            moved_s = time.perf_counter() - started

            await notifier.poll(NOW)  # plans the wake-ups; nothing is due yet
            idle = []
            for minute in range(1, 6):
                started = time.perf_counter()
                queued = await notifier.poll(NOW + timedelta(minutes=minute))
                idle.append(time.perf_counter() - started)
                assert queued == 0, queued
            idle_s = min(idle)

            started = time.perf_counter()
            reminders = await notifier.poll(race_start - timedelta(hours=24))
            queue_s = time.perf_counter() - started

            rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            tracemalloc.start()
            hourly = await notifier.poll(race_start - timedelta(hours=1))
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            stats = await store.chats.stats()
            close = getattr(notifier, "close", None)
            if close is not None:
                await close()
    peak_mb = peak / 1024 / 1024
    rss_mb = _mb(rss_kb)
    runs = ", ".join(f"{x * 1000:.1f}" for x in idle)
    lines = [
        f"{chats} chats, {follows} follows, GTWC Europe 2023, Barcelona race moved to now + 30 h",
        f"(store and audience loaded in {load_s:.1f} s)",
        f"'moved' notice: {notices} queued in {moved_s:.3f} s;"
        f" goal ≤ {GOAL_MOVED_S:.0f} s, ratio {moved_s / GOAL_MOVED_S:.2f}",
        f"poll with nothing due: best {idle_s * 1000:.1f} ms (runs {runs} ms);"
        f" goal ≤ {GOAL_IDLE_S * 1000:.0f} ms, ratio {idle_s / GOAL_IDLE_S:.2f}",
        f"24-hour reminders: {reminders} queued in {queue_s:.3f} s;"
        f" goal ≤ {GOAL_QUEUE_S:.0f} s, ratio {queue_s / GOAL_QUEUE_S:.2f}",
        f"1-hour reminders: {hourly} queued (traced); outbox now: {stats['outbox_pending']} pending,"
        f" {stats['outbox_skipped']} skipped",
        f"peak RSS of the process {rss_mb:.0f} MB (store, audience and the polls above);"
        f" goal ≤ {GOAL_MB:.0f} MB, ratio {rss_mb / GOAL_MB:.2f}",
        f"peak traced by tracemalloc while queueing the 1-hour reminders {peak_mb:.0f} MB;"
        f" ratio {peak_mb / GOAL_MB:.2f}",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=200_000)
    parser.add_argument("--follows", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared race data")
    args = parser.parse_args()
    asyncio.run(main(args.chats, args.follows, args.data))

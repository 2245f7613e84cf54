"""The store: one database and a repository per area. Everything else asks these; no SQL outside storage/.

store = await Store.open("pitboard.db")
await store.schedule.upcoming(...)      # store.series, .results, .schedule, .drivers, .feed, .chats, …
"""

from __future__ import annotations

from pathlib import Path

from bot.core.clock import SYSTEM, Clock
from bot.core.records import ChangeSet, ImportBatch
from storage.chats import Chats
from storage.database import Database, open_database
from storage.drivers import DriversRepository
from storage.feed import FeedRepository
from storage.outbox import Outbox
from storage.people import PeopleQueries
from storage.providers import Providers
from storage.reminders import ReminderQueries
from storage.results import ResultsRepository
from storage.schedule import ScheduleRepository
from storage.series import SeriesRepository
from storage.sqlite import BUSY_TIMEOUT
from storage.timetable import Timetable
from storage.writer import apply_batches

_COUNTED = ("series", "seasons", "events", "sessions", "drivers", "teams", "entries", "results", "official_standings")


class Store:
    def __init__(self, path: str | Path, db: Database, clock: Clock = SYSTEM) -> None:
        self.path = str(path)
        self.db = db
        self.clock = clock  # "now" for queries that ask what is ahead (/next, /calendar): a test sets it
        self.series = SeriesRepository(db)
        self.results = ResultsRepository(db)
        self.schedule = ScheduleRepository(db)
        self.drivers = DriversRepository(db)
        self.feed = FeedRepository(db)
        self.chats = Chats(db)
        self.outbox = Outbox(db, clock)
        self.reminders = ReminderQueries(db)
        self.providers = Providers(db, clock)
        self.timetable = Timetable(db)
        self.people = PeopleQueries(db)  # drivers' and teams' activity, a season's teams, a driver's results

    @classmethod
    async def open(cls, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT, clock: Clock = SYSTEM) -> Store:
        """A path or `sqlite:///…` opens SQLite, `postgresql://…` PostgreSQL (storage/database.py).
        `busy_timeout`: SQLite's wait per statement for another connection's lock (tests lower it)."""
        db = await open_database(str(path), busy_timeout=busy_timeout, clock=clock)
        return cls(getattr(db, "path", db.url), db, clock)

    async def close(self) -> None:
        await self.db.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def apply(
        self, batches: list[ImportBatch], *, quiet: bool = False, allow_removals: bool = False
    ) -> ChangeSet:
        """Write the batches in one transaction (all or nothing) and say what changed.

        `quiet`: stored without alerts; a version removing much of what is stored raises
        `storage.removals.RemovalRefused` unless `allow_removals` (see storage/removals.py)."""
        return await apply_batches(self.db, batches, quiet=quiet, allow_removals=allow_removals)

    async def counts(self) -> dict[str, int]:
        """Rows per results table (for `pitboard status` and checks after an import)."""
        return {table: int(await self.db.fetchval(f"SELECT count(*) FROM {table}") or 0) for table in _COUNTED}

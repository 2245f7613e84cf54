"""Series and their seasons: what the store holds, finding a series by name, what a season has."""

from __future__ import annotations

from dataclasses import dataclass

from storage import revision
from storage.database import Database

_CACHED_COVERAGES = 1000  # (series, year) pairs; far more than any store holds


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    id: int
    slug: str
    name: str
    years: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SeasonCoverage:
    has_rules: bool  # points rules (championships) are stored
    has_calendar: bool  # at least one event has a date: results files alone carry none


class SeriesRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        # Asked several times by every command (the grammar's vocabulary, the buttons, the fallbacks) and
        # changed only by imports: kept per store revision, like the season cache (storage/revision.py).
        self._all: tuple[tuple[int, int], list[SeriesInfo]] | None = None
        self._coverage: dict[tuple[str, int], tuple[tuple[int, int], SeasonCoverage | None]] = {}

    async def all(self) -> list[SeriesInfo]:
        """Every series with the years the store holds, by name."""
        version = await cache_version(self.db)
        if self._all is not None and self._all[0] == version:
            return list(self._all[1])
        found = await self._read_all()
        self._all = (version, found)
        return list(found)

    async def _read_all(self) -> list[SeriesInfo]:
        years: dict[int, list[int]] = {}
        for r in await self.db.fetch("SELECT series_id, year FROM seasons"):
            years.setdefault(int(r[0]), []).append(int(r[1]))
        rows = await self.db.fetch("SELECT id, slug, name FROM series ORDER BY name, id")
        return [SeriesInfo(r[0], r[1], r[2], tuple(sorted(years.get(r[0], ())))) for r in rows]

    async def find(self, text: str) -> SeriesInfo | None:
        """The series whose slug or name is `text`, else the only one containing it."""
        wanted = text.casefold().strip()
        all_series = await self.all()
        for s in all_series:
            if wanted in (s.slug, s.name.casefold()):
                return s
        matches = [s for s in all_series if wanted in s.slug or wanted in s.name.casefold()]
        return matches[0] if len(matches) == 1 else None

    async def season_coverage(self, series_slug: str, year: int) -> SeasonCoverage | None:
        """What a stored season has; None if the store has no such season."""
        version = await cache_version(self.db)
        cached = self._coverage.get((series_slug, year))
        if cached is not None and cached[0] == version:
            return cached[1]
        if len(self._coverage) > _CACHED_COVERAGES:
            self._coverage.clear()
        coverage = await self._read_coverage(series_slug, year)
        self._coverage[(series_slug, year)] = (version, coverage)
        return coverage

    async def _read_coverage(self, series_slug: str, year: int) -> SeasonCoverage | None:
        row = await self.db.fetchrow(
            "SELECT EXISTS (SELECT 1 FROM championships c WHERE c.season_id = se.id),"
            " EXISTS (SELECT 1 FROM events e WHERE e.season_id = se.id AND e.start_date IS NOT NULL)"
            " FROM seasons se JOIN series s ON s.id = se.series_id WHERE s.slug = ? AND se.year = ?",
            series_slug,
            year,
        )
        return SeasonCoverage(bool(row[0]), bool(row[1])) if row else None

    async def data_version(self) -> int:
        """Changes whenever another connection commits: an import here (it writes on its own connection) or
        in another process, such as `pitboard import` from cron."""
        return await data_version(self.db)

    async def classes(self, series_slug: str, year: int) -> list[str]:
        """Every class entered in the season, sorted: a button's class index points into this list."""
        rows = await self.db.fetch(
            "SELECT DISTINCT en.class FROM entries en JOIN events e ON e.id = en.event_id"
            " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id"
            " WHERE sr.slug = ? AND se.year = ? AND en.class IS NOT NULL AND en.class != '' ORDER BY 1",
            series_slug,
            year,
        )
        return [str(r[0]) for r in rows]


async def cache_version(db: Database) -> tuple[int, int]:
    """What the store's caches are keyed on: the revision (any process's commits) and this process's own
    changes (on SQLite a write on the bot's own connection leaves data_version as it was)."""
    return await data_version(db), revision.generation()


async def data_version(db: Database) -> int:
    # Read once per update while the bot handles one (storage/revision.py).
    known = revision.remembered(id(db))
    if known is not None:
        return known
    if db.dialect == "postgresql":
        # No pragma there: migration 0011's triggers count every transaction that writes results data.
        version = int(await db.fetchval("SELECT value FROM store_revision WHERE id = 1") or 0)
    else:
        version = int(await db.fetchval("PRAGMA data_version") or 0)
    revision.remember(id(db), version)
    return version

"""Series and their seasons: what the store holds, finding a series by name, what a season has."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database


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

    async def all(self) -> list[SeriesInfo]:
        """Every series with the years the store holds, by name."""
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


async def data_version(db: Database) -> int:
    if db.dialect == "postgresql":
        # No pragma there: migration 0011's triggers count every statement that writes results data.
        return int(await db.fetchval("SELECT value FROM store_revision WHERE id = 1") or 0)
    return int(await db.fetchval("PRAGMA data_version") or 0)

"""Queries about people and teams: how much and how recently they raced, a series' teams, a driver's results.

The people resolver (bot/services/people.py) ranks name matches with these; /driver shows the results."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Database


@dataclass(frozen=True, slots=True)
class SeasonCount:
    """How many events a driver or team entered in one season of one series."""

    subject_id: int
    series_slug: str
    series_name: str
    year: int
    events: int


@dataclass(frozen=True, slots=True)
class TeamRow:
    team_id: int
    name: str


@dataclass(frozen=True, slots=True)
class DriverResult:
    """One session result of a driver's car, newest first in `driver_results`."""

    series_slug: str
    series_name: str
    year: int
    event_name: str
    session_key: str
    session_name: str
    kind: str
    position: int | None
    class_position: int | None
    car_class: str | None
    status: str
    laps: int | None


_ACTIVITY = (
    "SELECT {subject}, sr.slug, sr.name, se.year, count(DISTINCT e.id) FROM entries en"
    " {join} JOIN events e ON e.id = en.event_id JOIN seasons se ON se.id = e.season_id"
    " JOIN series sr ON sr.id = se.series_id WHERE {subject} IN ({marks})"
    " GROUP BY {subject}, sr.id, se.year ORDER BY {subject}, se.year, sr.slug"
)


class PeopleQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _rows(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        return [tuple(r) for r in await self.db.fetch(sql, *params)]

    async def _activity(self, subject: str, join: str, ids: list[int]) -> list[SeasonCount]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._rows(_ACTIVITY.format(subject=subject, join=join, marks=marks), tuple(ids))
        return [SeasonCount(int(r[0]), str(r[1]), str(r[2]), int(r[3]), int(r[4])) for r in rows]  # type: ignore[call-overload]

    async def driver_activity(self, driver_ids: list[int]) -> list[SeasonCount]:
        return await self._activity("ed.driver_id", "JOIN entry_drivers ed ON ed.entry_id = en.id", driver_ids)

    async def team_activity(self, team_ids: list[int]) -> list[SeasonCount]:
        return await self._activity("en.team_id", "", team_ids)

    async def season_teams(self, series_id: int, year: int) -> list[TeamRow]:
        """The teams entered in one season, by name."""
        rows = await self._rows(
            "SELECT t.id, t.name FROM teams t WHERE EXISTS (SELECT 1 FROM entries en"
            " JOIN events e ON e.id = en.event_id JOIN seasons se ON se.id = e.season_id"
            " WHERE en.team_id = t.id AND se.series_id = ? AND se.year = ?) ORDER BY lower(t.name), t.id",
            (series_id, year),
        )
        return [TeamRow(int(r[0]), str(r[1])) for r in rows]  # type: ignore[call-overload]

    async def team_name(self, team_id: int) -> str | None:
        rows = await self._rows("SELECT name FROM teams WHERE id = ?", (team_id,))
        return str(rows[0][0]) if rows else None

    async def driver_results(self, driver_id: int, kinds: tuple[str, ...], limit: int) -> list[DriverResult]:
        """The driver's latest results in sessions of `kinds` (race, sprint), each session on its own."""
        marks = ",".join("?" * len(kinds))
        rows = await self._rows(
            "SELECT sr.slug, sr.name, se.year, e.name, s.key, s.name, s.kind, r.position, r.class_position, en.class,"
            " r.status, r.laps FROM entry_drivers ed JOIN entries en ON en.id = ed.entry_id"
            " JOIN results r ON r.entry_id = en.id JOIN sessions s ON s.id = r.session_id"
            " JOIN events e ON e.id = en.event_id JOIN seasons se ON se.id = e.season_id"
            f" JOIN series sr ON sr.id = se.series_id WHERE ed.driver_id = ? AND s.kind IN ({marks})"
            " ORDER BY se.year DESC, coalesce(s.start_utc, s.start_date, e.end_date, e.start_date, '') DESC,"
            " e.round DESC, s.key DESC LIMIT ?",
            (driver_id, *kinds, limit),
        )
        return [DriverResult(*r) for r in rows]  # type: ignore[arg-type]

"""The SQL of /calendar and /next: every session of a season or of the weekends ahead, with its event's dates,
and whether an event has an entry list at all. Deciding what is past or upcoming is the caller's (it has the
clock); this only reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.database import Database

# Stages ("after 6 hours") are parts of a race, not sessions of the weekend: the race stands for them.
_SELECT = (
    "SELECT sr.slug, sr.name, se.year, e.id, e.key, e.name, e.round, e.timezone, e.start_date, e.end_date,"
    " s.id, s.key, s.name, s.kind, s.start_utc, s.start_date, s.status, s.results_status"
    " FROM sessions s JOIN events e ON e.id = s.event_id JOIN seasons se ON se.id = e.season_id"
    " JOIN series sr ON sr.id = se.series_id"
)
_ORDER = " ORDER BY coalesce(e.start_date, e.end_date, ''), e.round, e.id, s.id"


@dataclass(frozen=True, slots=True)
class TimetableRow:
    series_slug: str
    series_name: str
    year: int
    event_id: int
    event_key: str
    event_name: str
    round: int | None
    timezone: str | None
    event_start: str | None  # the event's first and last local day, if known
    event_end: str | None
    session_id: int
    session_key: str
    session_name: str
    kind: str
    start_utc: str | None  # None: the time is not known
    start_date: str | None  # the session's own local day, if known
    status: str
    results_status: str


class Timetable:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[TimetableRow]:
        return [TimetableRow(*tuple(r)) for r in await self.db.fetch(sql, *params)]

    async def season(self, series_slug: str, year: int) -> list[TimetableRow]:
        """Every session of one season (stages left out), event by event."""
        return await self._rows(
            _SELECT + " WHERE sr.slug = ? AND se.year = ? AND s.kind != 'stage'" + _ORDER, (series_slug, year)
        )

    async def from_day(self, series_slugs: list[str], day: str) -> list[TimetableRow]:
        """Every session (stages left out) of the events of these series that end on `day` or later, or whose
        dates are not known: the weekends that may still be ahead."""
        if not series_slugs:
            return []
        marks = ",".join("?" * len(series_slugs))
        return await self._rows(
            _SELECT + f" WHERE sr.slug IN ({marks}) AND s.kind != 'stage'"
            " AND coalesce(e.end_date, e.start_date, '9999-12-31') >= ?" + _ORDER,
            (*series_slugs, day),
        )

    async def events_with_entries(self, event_ids: list[int]) -> set[int]:
        """The events whose entry list the store holds (at least one car entered)."""
        found: set[int] = set()
        for i in range(0, len(event_ids), 500):
            chunk = event_ids[i : i + 500]
            rows = await self.db.fetch(
                f"SELECT DISTINCT event_id FROM entries WHERE event_id IN ({','.join('?' * len(chunk))})", *chunk
            )
            found |= {int(r[0]) for r in rows}
        return found

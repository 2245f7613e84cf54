"""Events and sessions in time: a season's schedule, calendar export, what is ahead, the latest race, and the
identity of one event or session."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.database import Database


@dataclass(frozen=True, slots=True)
class SessionRef:
    session_id: int
    series_slug: str
    series_name: str
    year: int
    event_id: int
    event_name: str
    timezone: str | None
    key: str
    name: str
    kind: str
    start_utc: str | None
    results_status: str


@dataclass(frozen=True, slots=True)
class ScheduledSession:
    session_id: int
    event_key: str
    event_name: str
    timezone: str | None
    key: str
    name: str
    kind: str
    start_utc: str | None  # None: time TBC
    start_date: str | None
    status: str
    results_status: str


@dataclass(frozen=True, slots=True)
class CalendarSession:
    """A session as an exported calendar (ICS) shows it."""

    series_slug: str
    series_name: str
    year: int
    event_key: str
    event_name: str
    circuit: str | None
    key: str
    name: str
    kind: str
    start_utc: str | None
    end_utc: str | None
    start_date: str | None
    status: str


@dataclass(frozen=True, slots=True)
class UpcomingRow:
    series_slug: str
    series_name: str
    year: int
    event_id: int
    event_key: str
    event_name: str
    timezone: str | None
    session_id: int
    session_key: str
    session_name: str
    kind: str
    start_utc: str | None
    start_date: str | None  # the session's own day, if known
    status: str
    event_start: str | None
    event_end: str | None


@dataclass(frozen=True, slots=True)
class SessionTimes:
    kind: str
    start_utc: str | None
    end_utc: str | None
    day: str | None  # the session's local day, else its event's last day


@dataclass(frozen=True, slots=True)
class EventMatch:
    id: int
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class EventSession:
    key: str
    name: str
    kind: str
    results_status: str


@dataclass(frozen=True, slots=True)
class EventName:
    series_slug: str
    name: str
    year: int
    end_date: str | None


@dataclass(frozen=True, slots=True)
class LastRace:
    year: int
    event_id: int
    session_key: str


@dataclass(frozen=True, slots=True)
class GridInfo:
    """Of a qualifying session: whether it sets the grid, and for which race."""

    sets_grid: bool
    parent_key: str | None


_SESSION_REF = (
    "SELECT s.id, sr.slug, sr.name, se.year, e.id, e.name, e.timezone, s.key, s.name, s.kind, s.start_utc,"
    " s.results_status FROM sessions s JOIN events e ON e.id = s.event_id"
    " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id"
)


class ScheduleRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def schedule(self, series_slug: str, year: int) -> list[ScheduledSession]:
        rows = await self.db.fetch(
            "SELECT s.id, e.key, e.name, e.timezone, s.key, s.name, s.kind, s.start_utc, s.start_date, s.status,"
            " s.results_status FROM sessions s JOIN events e ON e.id = s.event_id"
            " JOIN seasons se ON se.id = e.season_id"
            " JOIN series sr ON sr.id = se.series_id WHERE sr.slug = ? AND se.year = ?"
            " ORDER BY coalesce(e.start_date, ''), e.round NULLS FIRST,"
            " coalesce(s.start_utc, s.start_date, e.end_date, ''), s.id",
            series_slug,
            year,
        )
        return [ScheduledSession(*tuple(r)) for r in rows]

    async def calendar_sessions(
        self, series_slugs: list[str], year: int | None = None, since_utc: str | None = None
    ) -> list[CalendarSession]:
        """Sessions of these series (one season, or all; from `since_utc` on), in time order, for ICS export."""
        if not series_slugs:
            return []
        marks = ",".join("?" * len(series_slugs))
        where = f"sr.slug IN ({marks})"
        params: list[Any] = list(series_slugs)
        if year is not None:
            where += " AND se.year = ?"
            params.append(year)
        if since_utc is not None:
            where += " AND coalesce(s.start_utc, coalesce(s.start_date, e.end_date) || 'T23:59:59Z') >= ?"
            params.append(since_utc)
        rows = await self.db.fetch(
            "SELECT sr.slug, sr.name, se.year, e.key, e.name, e.circuit, s.key, s.name, s.kind, s.start_utc,"
            " s.end_utc, coalesce(s.start_date, CASE WHEN s.start_utc IS NULL THEN e.start_date END), s.status"
            " FROM sessions s JOIN events e ON e.id = s.event_id JOIN seasons se ON se.id = e.season_id"
            f" JOIN series sr ON sr.id = se.series_id WHERE {where}"
            " ORDER BY coalesce(s.start_utc, s.start_date, e.start_date, ''), s.id",
            *params,
        )
        return [CalendarSession(*tuple(r)) for r in rows]

    async def session_times(self, session_ids: list[int]) -> dict[int, SessionTimes]:
        """When each session took place, as far as the store knows (for the news-not-history rule)."""
        out: dict[int, SessionTimes] = {}
        for i in range(0, len(session_ids), 500):
            chunk = session_ids[i : i + 500]
            rows = await self.db.fetch(
                "SELECT s.id, s.kind, s.start_utc, s.end_utc, coalesce(s.start_date, e.end_date, e.start_date)"
                f" FROM sessions s JOIN events e ON e.id = s.event_id WHERE s.id IN ({','.join('?' * len(chunk))})",
                *chunk,
            )
            out.update({int(r[0]): SessionTimes(*tuple(r)[1:]) for r in rows})
        return out

    async def session_ref(self, session_id: int) -> SessionRef | None:
        row = await self.db.fetchrow(_SESSION_REF + " WHERE s.id = ?", session_id)
        return SessionRef(*tuple(row)) if row else None

    async def sessions_starting_between(self, start_utc: str, end_utc: str) -> list[SessionRef]:
        rows = await self.db.fetch(
            _SESSION_REF + " WHERE s.start_utc >= ? AND s.start_utc < ? AND s.status != 'cancelled'"
            " AND s.kind IN ('race', 'sprint', 'qualifying') ORDER BY s.start_utc",
            start_utc,
            end_utc,
        )
        return [SessionRef(*tuple(r)) for r in rows]

    async def upcoming(self, now_utc: str, today: str, series_slugs: list[str], limit: int = 200) -> list[UpcomingRow]:
        """Sessions not started yet (or, time TBC, on a day not past) of the given series."""
        if not series_slugs:
            return []
        marks = ",".join("?" * len(series_slugs))
        rows = await self.db.fetch(
            "SELECT sr.slug, sr.name, se.year, e.id, e.key, e.name, e.timezone, s.id, s.key, s.name, s.kind,"
            " s.start_utc, s.start_date, s.status, e.start_date, e.end_date FROM sessions s"
            " JOIN events e ON e.id = s.event_id JOIN seasons se ON se.id = e.season_id"
            f" JOIN series sr ON sr.id = se.series_id WHERE sr.slug IN ({marks})"
            " AND s.kind IN ('race', 'qualifying', 'sprint') AND s.status != 'cancelled' AND s.results_status = 'none'"
            " AND ((s.start_utc IS NOT NULL AND s.start_utc >= ?) OR"
            "      (s.start_utc IS NULL AND coalesce(s.start_date, e.end_date) >= ?))"
            " ORDER BY coalesce(s.start_utc, coalesce(s.start_date, e.end_date) || 'T23:59:59Z'), s.id LIMIT ?",
            *series_slugs,
            now_utc,
            today,
            limit,
        )
        return [UpcomingRow(*tuple(r)) for r in rows]

    async def last_race(
        self,
        series_slug: str,
        year: int | None = None,
        driver_ids: frozenset[int] = frozenset(),
        team_ids: frozenset[int] = frozenset(),
    ) -> LastRace | None:
        """The latest race with results (by date, then round); only in `year` if given, and only races with a
        result of a car of `driver_ids` or `team_ids` if any given."""
        where = ["sr.slug = ?", "s.kind = 'race'", "s.results_status != 'none'"]
        params: list[Any] = [series_slug]
        if year is not None:
            where.append("se.year = ?")
            params.append(year)
        if driver_ids or team_ids:
            drivers = ", ".join("?" * len(driver_ids)) or "NULL"
            teams = ", ".join("?" * len(team_ids)) or "NULL"
            where.append(
                "EXISTS (SELECT 1 FROM results r JOIN entries en ON en.id = r.entry_id"
                f" WHERE r.session_id = s.id AND (en.team_id IN ({teams}) OR EXISTS (SELECT 1 FROM entry_drivers ed"
                f" WHERE ed.entry_id = en.id AND ed.driver_id IN ({drivers}))))"
            )
            params += [*sorted(team_ids), *sorted(driver_ids)]
        row = await self.db.fetchrow(
            "SELECT se.year, e.id, s.key FROM sessions s JOIN events e ON e.id = s.event_id"
            " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id"
            f" WHERE {' AND '.join(where)}"
            " ORDER BY se.year DESC, coalesce(s.start_utc, s.start_date, e.end_date, '') DESC,"
            " e.round DESC NULLS LAST, s.key DESC LIMIT 1",
            *params,
        )
        return LastRace(row[0], row[1], row[2]) if row else None

    async def find_events(self, series_slug: str, year: int, text: str) -> list[EventMatch]:
        """The season's events whose key, name, circuit, country or alias contains `text`, in calendar order."""
        like = f"%{text.strip().casefold()}%"
        rows = await self.db.fetch(
            "SELECT e.id, e.key, e.name FROM events e JOIN seasons se ON se.id = e.season_id"
            " JOIN series s ON s.id = se.series_id WHERE s.slug = ? AND se.year = ?"
            " AND (lower(e.key) LIKE ? OR lower(e.name) LIKE ? OR lower(coalesce(e.circuit, '')) LIKE ?"
            " OR lower(coalesce(e.country, '')) LIKE ?"
            " OR EXISTS (SELECT 1 FROM event_aliases a WHERE a.event_id = e.id AND lower(a.alias) LIKE ?))"
            " ORDER BY coalesce(e.start_date, ''), e.round NULLS FIRST",
            series_slug,
            year,
            like,
            like,
            like,
            like,
            like,
        )
        return [EventMatch(r[0], r[1], r[2]) for r in rows]

    async def event_sessions(self, event_id: int) -> list[EventSession]:
        rows = await self.db.fetch(
            "SELECT key, name, kind, results_status FROM sessions WHERE event_id = ? ORDER BY id", event_id
        )
        return [EventSession(r[0], r[1], r[2], r[3]) for r in rows]

    async def event_name(self, event_id: int) -> EventName | None:
        row = await self.db.fetchrow(
            "SELECT sr.slug, e.name, se.year, e.end_date FROM events e JOIN seasons se ON se.id = e.season_id"
            " JOIN series sr ON sr.id = se.series_id WHERE e.id = ?",
            event_id,
        )
        return EventName(row[0], row[1], row[2], row[3]) if row else None

    async def session_grid_info(self, event_id: int, key: str) -> GridInfo | None:
        row = await self.db.fetchrow(
            "SELECT sets_grid, parent_key FROM sessions WHERE event_id = ? AND key = ?", event_id, key
        )
        return GridInfo(bool(row[0]), row[1]) if row else None

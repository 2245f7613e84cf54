"""The repository API over the results store. Everything else asks this; no SQL outside storage/."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.core.clock import SYSTEM, Clock
from bot.records import ChangeSet, ImportBatch
from bot.standings.engine import EntryInfo, EventInfo, ResultInfo, SeasonData, SessionInfo
from bot.standings.rules import ChampionshipDef, ChampionshipRules
from storage.chats import Chats
from storage.db import BUSY_TIMEOUT, WriteGuard, connect
from storage.outbox import Outbox
from storage.people import PeopleQueries
from storage.providers import Providers
from storage.reminders import ReminderQueries
from storage.sqlite import SqliteDatabase
from storage.timetable import Timetable
from storage.writer import apply_batches


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    id: int
    slug: str
    name: str
    years: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DriverName:
    driver_id: int
    name: str
    alias: str


@dataclass(frozen=True, slots=True)
class OfficialRow:
    subject_id: int
    name: str
    car_class: str
    points: float
    position: int | None
    position_text: str | None
    wins: int | None


@dataclass(frozen=True, slots=True)
class ResultLine:
    position: int | None
    class_position: int | None
    number: str
    car_class: str | None
    team: str | None
    car: str | None
    crew: tuple[str, ...]
    status: str
    status_detail: str | None
    laps: int | None
    time_text: str | None
    gap_text: str | None
    best_lap_text: str | None
    grid: int | None
    points: float | None
    crew_ids: tuple[int, ...] = ()
    best_lap_ms: int | None = None


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
class DriverEntry:
    event_id: int
    series_slug: str
    year: int
    event_name: str
    event_date: str | None
    number: str
    team: str | None
    car: str | None
    car_class: str | None
    crew: tuple[str, ...]


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


_SESSION_REF = (
    "SELECT s.id, sr.slug, sr.name, se.year, e.id, e.name, e.timezone, s.key, s.name, s.kind, s.start_utc,"
    " s.results_status FROM sessions s JOIN events e ON e.id = s.event_id"
    " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id"
)


class Store:
    def __init__(self, path: str | Path, conn: aiosqlite.Connection, clock: Clock = SYSTEM) -> None:
        self.path = str(path)
        self.conn = conn
        self.guard = WriteGuard(conn, clock)
        # The one database API (storage/database.py); it shares the guard's lock until every repository uses it.
        self.db = SqliteDatabase(conn, self.path, clock)
        self.db.lock = self.guard.lock
        self._seasons: dict[tuple[str, int], tuple[int, SeasonData]] = {}
        self.chats = Chats(conn, self.guard)
        self.outbox = Outbox(conn, self.guard, clock)
        self.reminders = ReminderQueries(conn, self.guard)
        self.providers = Providers(conn, self.guard, clock)
        self.clock = clock  # "now" for queries that ask what is ahead (/next, /calendar): a test sets it
        self.timetable = Timetable(conn)

    @classmethod
    async def open(cls, path: str | Path, *, busy_timeout: float = BUSY_TIMEOUT, clock: Clock = SYSTEM) -> Store:
        """`busy_timeout`: SQLite's wait per statement for another connection's lock (tests lower it)."""
        return cls(path, await connect(path, busy_timeout), clock)

    async def close(self) -> None:
        await self.conn.close()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _all(self, sql: str, params: tuple[Any, ...] = (), plain: bool = False) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            if plain:
                # Plain tuples: hundreds of thousands of rows (an alert's audience) build much faster.
                cur._cursor.row_factory = None
            return list(await cur.fetchall())

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    # --- writing -------------------------------------------------------------------------

    async def apply(
        self, batches: list[ImportBatch], *, quiet: bool = False, allow_removals: bool = False
    ) -> ChangeSet:
        """Write the batches in one transaction (all or nothing) and say what changed.

        `quiet`: stored without alerts; a version removing much of what is stored raises
        `storage.removals.RemovalRefused` unless `allow_removals` (see storage/removals.py)."""
        return await apply_batches(self.db, batches, quiet=quiet, allow_removals=allow_removals)

    # --- series and seasons --------------------------------------------------------------

    async def series(self) -> list[SeriesInfo]:
        rows = await self._all(
            "SELECT s.id, s.slug, s.name, group_concat(se.year) AS years FROM series s"
            " LEFT JOIN seasons se ON se.series_id = s.id GROUP BY s.id ORDER BY s.name"
        )
        return [
            SeriesInfo(r["id"], r["slug"], r["name"], tuple(sorted(int(y) for y in (r["years"] or "").split(",") if y)))
            for r in rows
        ]

    async def find_series(self, text: str) -> SeriesInfo | None:
        wanted = text.casefold().strip()
        all_series = await self.series()
        for s in all_series:
            if wanted in (s.slug, s.name.casefold()):
                return s
        matches = [s for s in all_series if wanted in s.slug or wanted in s.name.casefold()]
        return matches[0] if len(matches) == 1 else None

    async def season_coverage(self, series_slug: str, year: int) -> tuple[bool, bool] | None:
        """(has points rules, has a calendar) of a stored season; None if the store has no such season.
        A calendar is any event with a date: results files alone carry none."""
        row = await self._one(
            "SELECT EXISTS (SELECT 1 FROM championships c WHERE c.season_id = se.id),"
            " EXISTS (SELECT 1 FROM events e WHERE e.season_id = se.id AND e.start_date IS NOT NULL)"
            " FROM seasons se JOIN series s ON s.id = se.series_id WHERE s.slug = ? AND se.year = ?",
            (series_slug, year),
        )
        return (bool(row[0]), bool(row[1])) if row else None

    async def data_version(self) -> int:
        """Changes whenever another connection commits: an import here (it writes on its own connection)
        or in another process, such as `pitboard import` from cron."""
        row = await self._one("PRAGMA data_version")
        return int(row[0]) if row else 0

    async def season_data(self, series_slug: str, year: int) -> SeasonData | None:
        """Everything the standings engine needs for one season; cached until the store changes."""
        version = await self.data_version()
        cached = self._seasons.get((series_slug, year))
        if cached is not None and cached[0] == version:
            return cached[1]
        data = await self._load_season(series_slug, year)
        if data is not None:
            if len(self._seasons) > 32:
                self._seasons.clear()
            self._seasons[(series_slug, year)] = (version, data)
        return data

    async def _load_season(self, series_slug: str, year: int) -> SeasonData | None:
        head = await self._one(
            "SELECT se.id, s.slug, s.name FROM seasons se JOIN series s ON s.id = se.series_id"
            " WHERE s.slug = ? AND se.year = ?",
            (series_slug, year),
        )
        if head is None:
            return None
        season_id = head["id"]
        events = [
            EventInfo(
                r["id"],
                r["key"],
                r["name"],
                r["round"],
                r["start_date"],
                tuple(json.loads(r["tags"])),
                tuple(json.loads(r["classes"])),
            )
            for r in await self._all(
                "SELECT id, key, name, round, start_date, tags, classes FROM events WHERE season_id = ?"
                " ORDER BY coalesce(start_date, '9999'), coalesce(round, 9999), id",
                (season_id,),
            )
        ]
        sessions = [
            SessionInfo(
                r["id"],
                r["event_id"],
                r["key"],
                r["name"],
                r["kind"],
                r["stage_minutes"],
                bool(r["sets_grid"]),
                r["parent_key"],
            )
            for r in await self._all(
                "SELECT s.id, s.event_id, s.key, s.name, s.kind, s.stage_minutes, s.sets_grid, s.parent_key"
                " FROM sessions s JOIN events e ON e.id = s.event_id WHERE e.season_id = ?"
                " ORDER BY coalesce(s.start_utc, s.start_date, ''), s.id",
                (season_id,),
            )
        ]
        crews: dict[int, list[int]] = defaultdict(list)
        for r in await self._all(
            "SELECT ed.entry_id, ed.driver_id FROM entry_drivers ed JOIN entries en ON en.id = ed.entry_id"
            " JOIN events e ON e.id = en.event_id WHERE e.season_id = ? ORDER BY ed.entry_id, ed.position",
            (season_id,),
        ):
            crews[r[0]].append(r[1])
        entries = {
            r["id"]: EntryInfo(
                r["id"], r["event_id"], r["number"], r["team_id"], r["car"], r["class"], tuple(crews.get(r["id"], ()))
            )
            for r in await self._all(
                "SELECT en.id, en.event_id, en.number, en.team_id, en.car, en.class FROM entries en"
                " JOIN events e ON e.id = en.event_id WHERE e.season_id = ?",
                (season_id,),
            )
        }
        results = [
            ResultInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
            for r in await self._all(
                "SELECT r.session_id, r.entry_id, r.position, r.class_position, r.classification_order, r.status,"
                " r.fastest_lap_rank,"
                " r.points FROM results r JOIN sessions s ON s.id = r.session_id JOIN events e ON e.id = s.event_id"
                " WHERE e.season_id = ?",
                (season_id,),
            )
        ]
        driver_names = {
            r[0]: r[1]
            for r in await self._all(
                "SELECT DISTINCT d.id, d.name FROM drivers d JOIN entry_drivers ed ON ed.driver_id = d.id"
                " JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id WHERE e.season_id = ?",
                (season_id,),
            )
        }
        team_names = {
            r[0]: r[1]
            for r in await self._all(
                "SELECT DISTINCT t.id, t.name FROM teams t JOIN entries en ON en.team_id = t.id"
                " JOIN events e ON e.id = en.event_id WHERE e.season_id = ?",
                (season_id,),
            )
        }
        championships = [
            ChampionshipDef(
                key=r["key"],
                name=r["name"],
                default=bool(r["is_default"]),
                rules=ChampionshipRules.model_validate(json.loads(r["rules"])),
            )
            for r in await self._all(
                "SELECT key, name, is_default, rules FROM championships WHERE season_id = ? ORDER BY id", (season_id,)
            )
        ]
        return SeasonData(
            head["slug"],
            head["name"],
            year,
            events,
            sessions,
            entries,
            results,
            driver_names,
            team_names,
            championships,
        )

    async def official_standings(
        self, series_slug: str, year: int, championship_key: str, subject_kind: str, event_id: int | None = None
    ) -> tuple[int | None, list[OfficialRow]]:
        """The published table after `event_id` (default: the latest round that has one)."""
        season = await self._one(
            "SELECT se.id FROM seasons se JOIN series s ON s.id = se.series_id WHERE s.slug = ? AND se.year = ?",
            (series_slug, year),
        )
        if season is None:
            return None, []
        if event_id is None:
            last = await self._one(
                "SELECT o.event_id FROM official_standings o JOIN events e ON e.id = o.event_id"
                " WHERE o.season_id = ? AND o.championship_key = ? AND o.subject_kind = ?"
                " ORDER BY coalesce(e.start_date, '') DESC, e.round DESC LIMIT 1",
                (season["id"], championship_key, subject_kind),
            )
            if last is None:
                return None, []
            event_id = int(last[0])
        name_table = "drivers" if subject_kind == "driver" else "teams"
        rows = await self._all(
            f"SELECT o.subject_id, n.name, o.class, o.points, o.position, o.position_text, o.wins"
            f" FROM official_standings o JOIN {name_table} n ON n.id = o.subject_id"
            " WHERE o.season_id = ? AND o.championship_key = ? AND o.subject_kind = ? AND o.event_id = ?"
            " ORDER BY coalesce(o.position, 9999), o.points DESC",
            (season["id"], championship_key, subject_kind, event_id),
        )
        return event_id, [OfficialRow(*tuple(r)) for r in rows]

    async def official_progression(
        self, series_slug: str, year: int, championship_key: str, subject_kind: str
    ) -> dict[int, dict[int, tuple[float, int | None, str | None]]]:
        """event_id → subject_id → (points, position, position_text): every published round at once."""
        rows = await self._all(
            "SELECT o.event_id, o.subject_id, o.points, o.position, o.position_text FROM official_standings o"
            " JOIN seasons se ON se.id = o.season_id JOIN series s ON s.id = se.series_id"
            " WHERE s.slug = ? AND se.year = ? AND o.championship_key = ? AND o.subject_kind = ?",
            (series_slug, year, championship_key, subject_kind),
        )
        out: dict[int, dict[int, tuple[float, int | None, str | None]]] = defaultdict(dict)
        for r in rows:
            out[r[0]][r[1]] = (r[2], r[3], r[4])
        return out

    # --- results ---------------------------------------------------------------------------

    async def find_events(self, series_slug: str, year: int, text: str) -> list[tuple[int, str, str]]:
        """(event id, key, name) whose key, name, circuit or alias contains `text`."""
        like = f"%{text.strip().casefold()}%"
        rows = await self._all(
            "SELECT DISTINCT e.id, e.key, e.name FROM events e JOIN seasons se ON se.id = e.season_id"
            " JOIN series s ON s.id = se.series_id LEFT JOIN event_aliases a ON a.event_id = e.id"
            " WHERE s.slug = ? AND se.year = ? AND (lower(e.key) LIKE ? OR lower(e.name) LIKE ?"
            " OR lower(coalesce(e.circuit, '')) LIKE ? OR lower(coalesce(e.country, '')) LIKE ?"
            " OR lower(a.alias) LIKE ?)"
            " ORDER BY coalesce(e.start_date, ''), e.round",
            (series_slug, year, like, like, like, like, like),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    async def event_sessions(self, event_id: int) -> list[tuple[str, str, str, str]]:
        rows = await self._all(
            "SELECT key, name, kind, results_status FROM sessions WHERE event_id = ? ORDER BY id", (event_id,)
        )
        return [(r[0], r[1], r[2], r[3]) for r in rows]

    async def session_results(self, event_id: int, session_key: str) -> list[ResultLine]:
        crews: dict[int, list[str]] = defaultdict(list)
        crew_ids: dict[int, list[int]] = defaultdict(list)
        for r in await self._all(
            "SELECT ed.entry_id, d.name, d.id FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id"
            " JOIN entries en ON en.id = ed.entry_id WHERE en.event_id = ? ORDER BY ed.entry_id, ed.position",
            (event_id,),
        ):
            crews[r[0]].append(r[1])
            crew_ids[r[0]].append(r[2])
        rows = await self._all(
            "SELECT en.id AS entry_id, r.position, r.class_position, en.number, en.class, t.name AS team, en.car,"
            " r.status, r.status_detail, r.laps, r.time_text, r.gap_text, r.best_lap_text, r.grid, r.points,"
            " r.best_lap_ms"
            " FROM results r JOIN sessions s ON s.id = r.session_id JOIN entries en ON en.id = r.entry_id"
            " LEFT JOIN teams t ON t.id = en.team_id WHERE s.event_id = ? AND s.key = ?"
            " ORDER BY r.position IS NULL, r.position, r.laps DESC, en.number",
            (event_id, session_key),
        )
        return [
            ResultLine(
                r["position"],
                r["class_position"],
                r["number"],
                r["class"],
                r["team"],
                r["car"],
                tuple(crews.get(r["entry_id"], ())),
                r["status"],
                r["status_detail"],
                r["laps"],
                r["time_text"],
                r["gap_text"],
                r["best_lap_text"],
                r["grid"],
                r["points"],
                tuple(crew_ids.get(r["entry_id"], ())),
                r["best_lap_ms"],
            )
            for r in rows
        ]

    async def schedule(self, series_slug: str, year: int) -> list[ScheduledSession]:
        rows = await self._all(
            "SELECT s.id, e.key, e.name, e.timezone, s.key, s.name, s.kind, s.start_utc, s.start_date, s.status,"
            " s.results_status FROM sessions s JOIN events e ON e.id = s.event_id"
            " JOIN seasons se ON se.id = e.season_id"
            " JOIN series sr ON sr.id = se.series_id WHERE sr.slug = ? AND se.year = ?"
            " ORDER BY coalesce(e.start_date, ''), e.round, coalesce(s.start_utc, s.start_date, e.end_date, ''), s.id",
            (series_slug, year),
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
        rows = await self._all(
            "SELECT sr.slug, sr.name, se.year, e.key, e.name, e.circuit, s.key, s.name, s.kind, s.start_utc,"
            " s.end_utc, coalesce(s.start_date, CASE WHEN s.start_utc IS NULL THEN e.start_date END), s.status"
            " FROM sessions s JOIN events e ON e.id = s.event_id JOIN seasons se ON se.id = e.season_id"
            f" JOIN series sr ON sr.id = se.series_id WHERE {where}"
            " ORDER BY coalesce(s.start_utc, s.start_date, e.start_date, ''), s.id",
            tuple(params),
        )
        return [CalendarSession(*tuple(r)) for r in rows]

    async def session_times(self, session_ids: list[int]) -> dict[int, SessionTimes]:
        """When each session took place, as far as the store knows (for the news-not-history rule)."""
        out: dict[int, SessionTimes] = {}
        for i in range(0, len(session_ids), 500):
            chunk = session_ids[i : i + 500]
            rows = await self._all(
                "SELECT s.id, s.kind, s.start_utc, s.end_utc, coalesce(s.start_date, e.end_date, e.start_date)"
                f" FROM sessions s JOIN events e ON e.id = s.event_id WHERE s.id IN ({','.join('?' * len(chunk))})",
                tuple(chunk),
            )
            out.update({int(r[0]): SessionTimes(*tuple(r)[1:]) for r in rows})
        return out

    async def session_ref(self, session_id: int) -> SessionRef | None:
        row = await self._one(_SESSION_REF + " WHERE s.id = ?", (session_id,))
        return SessionRef(*tuple(row)) if row else None

    async def event_entries(self, event_id: int) -> list[ResultLine]:
        """The event's entry list (car, team, class, crew) in the shape of result lines without results."""
        rows = await self._all(
            "SELECT en.id, en.number, en.class, t.name, en.car FROM entries en LEFT JOIN teams t ON t.id = en.team_id"
            " WHERE en.event_id = ? ORDER BY en.number",
            (event_id,),
        )
        crews: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for r in await self._all(
            "SELECT ed.entry_id, d.id, d.name FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id"
            " JOIN entries en ON en.id = ed.entry_id WHERE en.event_id = ? ORDER BY ed.entry_id, ed.position",
            (event_id,),
        ):
            crews[r[0]].append((r[1], r[2]))
        return [
            ResultLine(
                None,
                None,
                r[1],
                r[2],
                r[3],
                r[4],
                tuple(n for _, n in crews[r[0]]),
                "classified",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                tuple(i for i, _ in crews[r[0]]),
            )
            for r in rows
        ]

    async def session_grid_info(self, event_id: int, key: str) -> tuple[bool, str | None] | None:
        """(sets the grid?, for which race) of a qualifying session."""
        row = await self._one(
            "SELECT sets_grid, parent_key FROM sessions WHERE event_id = ? AND key = ?", (event_id, key)
        )
        return (bool(row[0]), row[1]) if row else None

    async def followers_of_session(self, session_id: int) -> list[tuple[int, int | None]]:
        """(chat, driver) for active chats following a driver entered in the session's event;
        (chat, None) for chats following its series or one of its teams."""
        rows = await self._all(
            # CROSS JOIN fixes the order: from the race's few entries out to their followers, never
            # through all follows (SQLite's planner, without statistics, would start there).
            "SELECT f.chat_id, ed.driver_id FROM sessions s CROSS JOIN entries en CROSS JOIN entry_drivers ed"
            " CROSS JOIN follows f WHERE s.id = ? AND en.event_id = s.event_id AND ed.entry_id = en.id"
            " AND f.target_kind = 'driver' AND f.target_id = ed.driver_id"
            " UNION ALL SELECT f.chat_id, NULL FROM sessions s JOIN events e ON e.id = s.event_id"
            " JOIN seasons se ON se.id = e.season_id"
            " JOIN follows f ON f.target_kind = 'series' AND f.target_id = se.series_id WHERE s.id = ?"
            " UNION ALL SELECT DISTINCT f.chat_id, NULL FROM sessions s JOIN entries en ON en.event_id = s.event_id"
            " JOIN follows f ON f.target_kind = 'team' AND f.target_id = en.team_id WHERE s.id = ?",
            (session_id, session_id, session_id),
            plain=True,
        )
        if not any(r[1] is not None for r in rows) and not await self._one(
            "SELECT 1 FROM entries en JOIN sessions s ON s.event_id = en.event_id WHERE s.id = ? LIMIT 1", (session_id,)
        ):
            # No entry list yet: the drivers who race in this season are expected, in their latest car.
            rows += await self._all(
                "SELECT DISTINCT f.chat_id, ed.driver_id FROM sessions s JOIN events e0 ON e0.id = s.event_id"
                " CROSS JOIN events e CROSS JOIN entries en CROSS JOIN entry_drivers ed CROSS JOIN follows f"
                " WHERE s.id = ? AND e.season_id = e0.season_id AND en.event_id = e.id AND ed.entry_id = en.id"
                " AND f.target_kind = 'driver' AND f.target_id = ed.driver_id",
                (session_id,),
                plain=True,
            )
        # Inactive chats (blocked, removed) are few: leave them out here rather than join every row.
        inactive = {r[0] for r in await self._all("SELECT id FROM chats WHERE active = 0", plain=True)}
        if inactive:
            return [r for r in rows if r[0] not in inactive]  # type: ignore[misc]
        return rows  # type: ignore[return-value]

    async def upcoming(self, now_utc: str, today: str, series_slugs: list[str], limit: int = 200) -> list[UpcomingRow]:
        """Sessions not started yet (or, time TBC, on a day not past) of the given series."""
        if not series_slugs:
            return []
        marks = ",".join("?" * len(series_slugs))
        rows = await self._all(
            "SELECT sr.slug, sr.name, se.year, e.id, e.key, e.name, e.timezone, s.id, s.key, s.name, s.kind,"
            " s.start_utc, s.start_date, s.status, e.start_date, e.end_date FROM sessions s"
            " JOIN events e ON e.id = s.event_id JOIN seasons se ON se.id = e.season_id"
            f" JOIN series sr ON sr.id = se.series_id WHERE sr.slug IN ({marks})"
            " AND s.kind IN ('race', 'qualifying', 'sprint') AND s.status != 'cancelled' AND s.results_status = 'none'"
            " AND ((s.start_utc IS NOT NULL AND s.start_utc >= ?) OR"
            "      (s.start_utc IS NULL AND coalesce(s.start_date, e.end_date) >= ?))"
            " ORDER BY coalesce(s.start_utc, coalesce(s.start_date, e.end_date) || 'T23:59:59Z'), s.id LIMIT ?",
            (*series_slugs, now_utc, today, limit),
        )
        return [UpcomingRow(*tuple(r)) for r in rows]

    async def last_race(
        self,
        series_slug: str,
        year: int | None = None,
        driver_ids: frozenset[int] = frozenset(),
        team_ids: frozenset[int] = frozenset(),
    ) -> tuple[int, int, str] | None:
        """(year, event id, session key) of the latest race with results (by date, then round); only in
        `year` if given, and only races with a result of a car of `driver_ids` or `team_ids` if any given."""
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
        row = await self._one(
            "SELECT se.year, e.id, s.key FROM sessions s JOIN events e ON e.id = s.event_id"
            " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id"
            f" WHERE {' AND '.join(where)}"
            " ORDER BY se.year DESC, coalesce(s.start_utc, s.start_date, e.end_date, '') DESC, e.round DESC, s.key DESC"
            " LIMIT 1",
            tuple(params),
        )
        return (row[0], row[1], row[2]) if row else None

    async def event_name(self, event_id: int) -> tuple[str, str, int, str | None] | None:
        """(series slug, event name, year, end date)."""
        row = await self._one(
            "SELECT sr.slug, e.name, se.year, e.end_date FROM events e JOIN seasons se ON se.id = e.season_id"
            " JOIN series sr ON sr.id = se.series_id WHERE e.id = ?",
            (event_id,),
        )
        return (row[0], row[1], row[2], row[3]) if row else None

    async def team_series(self, team_id: int) -> list[str]:
        rows = await self._all(
            "SELECT DISTINCT sr.slug FROM entries en JOIN events e ON e.id = en.event_id"
            " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id WHERE en.team_id = ?",
            (team_id,),
        )
        return [r[0] for r in rows]

    # --- drivers ---------------------------------------------------------------------------

    async def follow_examples(self) -> tuple[str, str, str] | None:
        """(driver, series slug, team) of the latest car imported: examples for /follow's help that the
        store actually knows, whatever series it holds."""
        async with self.conn.execute(
            "SELECT d.name, se.slug, t.name FROM entries e JOIN teams t ON t.id = e.team_id"
            " JOIN entry_drivers ed ON ed.entry_id = e.id AND ed.position = 1"
            " JOIN drivers d ON d.id = ed.driver_id JOIN events ev ON ev.id = e.event_id"
            " JOIN seasons sn ON sn.id = ev.season_id JOIN series se ON se.id = sn.series_id"
            " ORDER BY e.id DESC LIMIT 1"
        ) as cur:
            row = await cur.fetchone()
        return (row[0], row[1], row[2]) if row else None

    async def driver_name(self, driver_id: int) -> str | None:
        row = await self._one("SELECT name FROM drivers WHERE id = ?", (driver_id,))
        return str(row[0]) if row else None

    async def driver_names(self) -> list[DriverName]:
        rows = await self._all(
            "SELECT d.id, d.name, a.alias FROM drivers d JOIN driver_aliases a ON a.driver_id = d.id"
        )
        return [DriverName(r[0], r[1], r[2]) for r in rows]

    async def driver_entries(self, driver_id: int) -> list[DriverEntry]:
        rows = await self._all(
            "SELECT en.id, e.id, s.slug, se.year, e.name, e.start_date, en.number, t.name, en.car, en.class"
            " FROM entry_drivers ed JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id"
            " JOIN seasons se ON se.id = e.season_id JOIN series s ON s.id = se.series_id"
            " LEFT JOIN teams t ON t.id = en.team_id WHERE ed.driver_id = ?"
            " ORDER BY se.year, coalesce(e.start_date, ''), e.round",
            (driver_id,),
        )
        if not rows:
            return []
        ids = [r[0] for r in rows]
        crews: dict[int, list[str]] = defaultdict(list)
        marks = ",".join("?" * len(ids))
        for r in await self._all(
            f"SELECT ed.entry_id, d.name FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id"
            f" WHERE ed.entry_id IN ({marks}) ORDER BY ed.entry_id, ed.position",
            tuple(ids),
        ):
            crews[r[0]].append(r[1])
        return [DriverEntry(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], tuple(crews[r[0]])) for r in rows]

    async def driver_sources(self, driver_id: int) -> list[tuple[str, str]]:
        rows = await self._all(
            "SELECT source, source_id FROM driver_source_ids WHERE driver_id = ? ORDER BY 1, 2", (driver_id,)
        )
        return [(r[0], r[1]) for r in rows]

    async def merge_drivers(self, keep_id: int, other_id: int) -> None:
        """An admin says two identities are one person: `other` is folded into `keep`."""
        if keep_id == other_id:
            raise ValueError("cannot merge a driver with itself")
        row = await self._one("SELECT count(*) FROM drivers WHERE id IN (?, ?)", (keep_id, other_id))
        if row is None or row[0] != 2:
            raise ValueError("both drivers must exist")
        async with self.guard.transaction() as conn:
            await conn.execute("UPDATE entry_drivers SET driver_id = ? WHERE driver_id = ?", (keep_id, other_id))
            await conn.execute(
                "UPDATE OR IGNORE driver_aliases SET driver_id = ? WHERE driver_id = ?", (keep_id, other_id)
            )
            await conn.execute("UPDATE driver_source_ids SET driver_id = ? WHERE driver_id = ?", (keep_id, other_id))
            await conn.execute(
                "UPDATE OR IGNORE follows SET target_id = ? WHERE target_kind = 'driver' AND target_id = ?",
                (keep_id, other_id),
            )
            await conn.execute(
                "UPDATE OR IGNORE official_standings SET subject_id = ? WHERE subject_kind = 'driver'"
                " AND subject_id = ?",
                (keep_id, other_id),
            )
            for table, column in (("follows", "target_id"), ("official_standings", "subject_id")):
                kind = "target_kind" if table == "follows" else "subject_kind"
                await conn.execute(f"DELETE FROM {table} WHERE {kind} = 'driver' AND {column} = ?", (other_id,))
            await conn.execute("DELETE FROM drivers WHERE id = ?", (other_id,))

    async def split_driver(self, driver_id: int, series_slug: str) -> int:
        """An admin says the driver of `series_slug` is a different person from the rest of `driver_id`'s
        career: that series' entries and ids move to a new identity, and the two are never merged by name again."""
        async with self.guard.transaction() as conn:
            row = await self._one("SELECT name, name_key FROM drivers WHERE id = ?", (driver_id,))
            if row is None:
                raise ValueError(f"no driver {driver_id}")
            moving = [
                r[0]
                for r in await self._all(
                    "SELECT ed.entry_id FROM entry_drivers ed JOIN entries en ON en.id = ed.entry_id"
                    " JOIN events e ON e.id = en.event_id JOIN seasons se ON se.id = e.season_id"
                    " JOIN series s ON s.id = se.series_id WHERE ed.driver_id = ? AND s.slug = ?",
                    (driver_id, series_slug),
                )
            ]
            if not moving:
                raise ValueError(f"driver {driver_id} has no entries in {series_slug}")
            cur = await conn.execute("INSERT INTO drivers (name, name_key) VALUES (?, ?)", (row[0], row[1]))
            new_id = int(cur.lastrowid or 0)
            await conn.executemany(
                "UPDATE entry_drivers SET driver_id = ? WHERE entry_id = ? AND driver_id = ?",
                [(new_id, e, driver_id) for e in moving],
            )
            # Ids of the series' own source (e.g. 'gtwc:gtwc-europe', 'imsa') go with it.
            await conn.execute(
                "UPDATE driver_source_ids SET driver_id = ? WHERE driver_id = ? AND (source = ? OR source LIKE ?)",
                (new_id, driver_id, series_slug, f"%:{series_slug}"),
            )
            await conn.execute(
                "INSERT INTO driver_aliases (alias_key, driver_id, alias) VALUES (?, ?, ?)", (row[1], new_id, row[0])
            )
            await conn.execute("INSERT INTO driver_splits (driver_a, driver_b) VALUES (?, ?)", (driver_id, new_id))
        return new_id

    async def results_fingerprint(self, session_id: int) -> str:
        """Changes whenever the session's classification does (a correction is announced once per version)."""
        rows = await self._all(
            "SELECT entry_id, position, class_position, status, laps FROM results WHERE session_id = ?"
            " ORDER BY entry_id",
            (session_id,),
        )
        return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]

    async def imports_since(self, last_id: int) -> list[tuple[int, list[dict[str, Any]]]]:
        """(import id, its session changes) for every import after `last_id`: the change feed, whichever
        process imported."""
        rows = await self._all("SELECT id, summary FROM imports WHERE id > ? ORDER BY id", (last_id,))
        return [(r[0], json.loads(r[1]).get("session_changes", [])) for r in rows]

    async def last_import_id(self) -> int:
        row = await self._one("SELECT coalesce(max(id), 0) FROM imports")
        return int(row[0]) if row else 0

    async def state(self, key: str) -> str | None:
        row = await self._one("SELECT value FROM bot_state WHERE key = ?", (key,))
        return str(row[0]) if row else None

    async def set_state(self, key: str, value: str) -> None:
        await self.guard.write(
            "INSERT INTO bot_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def sessions_starting_between(self, start_utc: str, end_utc: str) -> list[SessionRef]:
        rows = await self._all(
            _SESSION_REF + " WHERE s.start_utc >= ? AND s.start_utc < ? AND s.status != 'cancelled'"
            " AND s.kind IN ('race', 'sprint', 'qualifying') ORDER BY s.start_utc",
            (start_utc, end_utc),
        )
        return [SessionRef(*tuple(r)) for r in rows]

    async def counts(self) -> dict[str, int]:
        out = {}
        for table in (
            "series",
            "seasons",
            "events",
            "sessions",
            "drivers",
            "teams",
            "entries",
            "results",
            "official_standings",
        ):
            row = await self._one(f"SELECT count(*) FROM {table}")
            out[table] = int(row[0]) if row else 0
        return out

    @property
    def people(self) -> PeopleQueries:
        """Drivers' and teams' activity, a season's teams, a driver's session results (storage/people.py)."""
        return PeopleQueries(self.conn)

    # --- results views (/results in depth) ---------------------------------------------------

    async def result_sessions(self, event_id: int) -> list[ResultSession]:
        """The event's sessions that have results, with how many cars each one lists."""
        rows = await self._all(
            "SELECT s.id, s.key, s.name, s.kind, s.stage_minutes, s.results_status, count(*) FROM sessions s"
            " JOIN results r ON r.session_id = s.id WHERE s.event_id = ? GROUP BY s.id ORDER BY s.id",
            (event_id,),
        )
        return [ResultSession(*tuple(r)) for r in rows]

    async def results_events(self, series_slug: str, year: int) -> list[ResultsEvent]:
        """The season's events that have results, in calendar order."""
        rows = await self._all(
            "SELECT e.id, e.key, e.name, e.round FROM events e JOIN seasons se ON se.id = e.season_id"
            " JOIN series sr ON sr.id = se.series_id WHERE sr.slug = ? AND se.year = ?"
            " AND EXISTS (SELECT 1 FROM sessions s JOIN results r ON r.session_id = s.id WHERE s.event_id = e.id)"
            " ORDER BY coalesce(e.start_date, '9999'), coalesce(e.round, 9999), e.id",
            (series_slug, year),
        )
        return [ResultsEvent(*tuple(r)) for r in rows]

    async def season_classes(self, series_slug: str, year: int) -> list[str]:
        """Every class entered in the season, sorted: a button's class index points into this list."""
        rows = await self._all(
            "SELECT DISTINCT en.class FROM entries en JOIN events e ON e.id = en.event_id"
            " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id"
            " WHERE sr.slug = ? AND se.year = ? AND en.class IS NOT NULL AND en.class != '' ORDER BY 1",
            (series_slug, year),
        )
        return [str(r[0]) for r in rows]


@dataclass(frozen=True, slots=True)
class ResultSession:
    """A session with results, as /results lists it."""

    id: int
    key: str
    name: str
    kind: str
    stage_minutes: int | None
    results_status: str
    cars: int


@dataclass(frozen=True, slots=True)
class ResultsEvent:
    id: int
    key: str
    name: str
    round: int | None

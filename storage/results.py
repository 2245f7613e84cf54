"""Results: a session's classification, an event's entry list, the sessions and events that have results,
the published (official) standings, and everything the standings engine needs for one season."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass

from bot.core.rules import ChampionshipDef, ChampionshipRules
from bot.core.season import EntryInfo, EventInfo, ResultInfo, SeasonData, SessionInfo
from storage.database import Database
from storage.series import cache_version

_CACHED_SEASONS = 32


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
class OfficialRow:
    subject_id: int
    name: str
    car_class: str
    points: float
    position: int | None
    position_text: str | None
    wins: int | None


@dataclass(frozen=True, slots=True)
class OfficialTable:
    """The published table after one event (None, []: nothing published)."""

    event_id: int | None
    rows: list[OfficialRow]


@dataclass(frozen=True, slots=True)
class OfficialPoint:
    points: float
    position: int | None
    position_text: str | None


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


class ResultsRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._seasons: dict[tuple[str, int], tuple[tuple[int, int], SeasonData]] = {}
        # Published tables, asked twice by every /standings: kept per store revision like the seasons.
        self._official: dict[tuple[str, int, str, str, int | None], tuple[tuple[int, int], OfficialTable]] = {}

    async def session_results(self, event_id: int, session_key: str) -> list[ResultLine]:
        crews: dict[int, list[str]] = defaultdict(list)
        crew_ids: dict[int, list[int]] = defaultdict(list)
        for r in await self.db.fetch(
            "SELECT ed.entry_id, d.name, d.id FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id"
            " JOIN entries en ON en.id = ed.entry_id WHERE en.event_id = ? ORDER BY ed.entry_id, ed.position",
            event_id,
        ):
            crews[r[0]].append(r[1])
            crew_ids[r[0]].append(r[2])
        rows = await self.db.fetch(
            "SELECT en.id AS entry_id, r.position, r.class_position, en.number, en.class, t.name AS team, en.car,"
            " r.status, r.status_detail, r.laps, r.time_text, r.gap_text, r.best_lap_text, r.grid, r.points,"
            " r.best_lap_ms"
            " FROM results r JOIN sessions s ON s.id = r.session_id JOIN entries en ON en.id = r.entry_id"
            " LEFT JOIN teams t ON t.id = en.team_id WHERE s.event_id = ? AND s.key = ?"
            " ORDER BY r.position IS NULL, r.position, r.laps DESC NULLS LAST, en.number",
            event_id,
            session_key,
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

    async def event_entries(self, event_id: int) -> list[ResultLine]:
        """The event's entry list (car, team, class, crew) in the shape of result lines without results."""
        rows = await self.db.fetch(
            "SELECT en.id, en.number, en.class, t.name, en.car FROM entries en LEFT JOIN teams t ON t.id = en.team_id"
            " WHERE en.event_id = ? ORDER BY en.number",
            event_id,
        )
        crews: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for r in await self.db.fetch(
            "SELECT ed.entry_id, d.id, d.name FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id"
            " JOIN entries en ON en.id = ed.entry_id WHERE en.event_id = ? ORDER BY ed.entry_id, ed.position",
            event_id,
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

    async def result_sessions(self, event_id: int) -> list[ResultSession]:
        """The event's sessions that have results, with how many cars each one lists."""
        rows = await self.db.fetch(
            "SELECT s.id, s.key, s.name, s.kind, s.stage_minutes, s.results_status, count(*) FROM sessions s"
            " JOIN results r ON r.session_id = s.id WHERE s.event_id = ?"
            " GROUP BY s.id, s.key, s.name, s.kind, s.stage_minutes, s.results_status ORDER BY s.id",
            event_id,
        )
        return [ResultSession(*tuple(r)) for r in rows]

    async def results_events(self, series_slug: str, year: int) -> list[ResultsEvent]:
        """The season's events that have results, in calendar order."""
        rows = await self.db.fetch(
            "SELECT e.id, e.key, e.name, e.round FROM events e JOIN seasons se ON se.id = e.season_id"
            " JOIN series sr ON sr.id = se.series_id WHERE sr.slug = ? AND se.year = ?"
            " AND EXISTS (SELECT 1 FROM sessions s JOIN results r ON r.session_id = s.id WHERE s.event_id = e.id)"
            " ORDER BY coalesce(e.start_date, '9999'), coalesce(e.round, 9999), e.id",
            series_slug,
            year,
        )
        return [ResultsEvent(*tuple(r)) for r in rows]

    async def results_fingerprint(self, session_id: int) -> str:
        """Changes whenever the session's classification does (a correction is announced once per version)."""
        rows = await self.db.fetch(
            "SELECT entry_id, position, class_position, status, laps FROM results WHERE session_id = ?"
            " ORDER BY entry_id",
            session_id,
        )
        return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()[:16]

    async def official_standings(
        self, series_slug: str, year: int, championship_key: str, subject_kind: str, event_id: int | None = None
    ) -> OfficialTable:
        """The published table after `event_id` (default: the latest round that has one)."""
        version = await cache_version(self.db)
        key = (series_slug, year, championship_key, subject_kind, event_id)
        cached = self._official.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        table = await self._read_official(series_slug, year, championship_key, subject_kind, event_id)
        if len(self._official) > _CACHED_SEASONS * 8:
            self._official.clear()
        self._official[key] = (version, table)
        return table

    async def _read_official(
        self, series_slug: str, year: int, championship_key: str, subject_kind: str, event_id: int | None
    ) -> OfficialTable:
        season_id = await self.db.fetchval(
            "SELECT se.id FROM seasons se JOIN series s ON s.id = se.series_id WHERE s.slug = ? AND se.year = ?",
            series_slug,
            year,
        )
        if season_id is None:
            return OfficialTable(None, [])
        if event_id is None:
            last = await self.db.fetchval(
                "SELECT o.event_id FROM official_standings o JOIN events e ON e.id = o.event_id"
                " WHERE o.season_id = ? AND o.championship_key = ? AND o.subject_kind = ?"
                " ORDER BY coalesce(e.start_date, '') DESC, e.round DESC NULLS LAST LIMIT 1",
                season_id,
                championship_key,
                subject_kind,
            )
            if last is None:
                return OfficialTable(None, [])
            event_id = int(last)
        name_table = "drivers" if subject_kind == "driver" else "teams"
        rows = await self.db.fetch(
            f"SELECT o.subject_id, n.name, o.class, o.points, o.position, o.position_text, o.wins"
            f" FROM official_standings o JOIN {name_table} n ON n.id = o.subject_id"
            " WHERE o.season_id = ? AND o.championship_key = ? AND o.subject_kind = ? AND o.event_id = ?"
            " ORDER BY coalesce(o.position, 9999), o.points DESC",
            season_id,
            championship_key,
            subject_kind,
            event_id,
        )
        return OfficialTable(event_id, [OfficialRow(*tuple(r)) for r in rows])

    async def official_progression(
        self, series_slug: str, year: int, championship_key: str, subject_kind: str
    ) -> dict[int, dict[int, OfficialPoint]]:
        """event_id → subject_id → its published points and position: every published round at once."""
        rows = await self.db.fetch(
            "SELECT o.event_id, o.subject_id, o.points, o.position, o.position_text FROM official_standings o"
            " JOIN seasons se ON se.id = o.season_id JOIN series s ON s.id = se.series_id"
            " WHERE s.slug = ? AND se.year = ? AND o.championship_key = ? AND o.subject_kind = ?",
            series_slug,
            year,
            championship_key,
            subject_kind,
        )
        out: dict[int, dict[int, OfficialPoint]] = defaultdict(dict)
        for r in rows:
            out[r[0]][r[1]] = OfficialPoint(r[2], r[3], r[4])
        return out

    async def season_data(self, series_slug: str, year: int) -> SeasonData | None:
        """Everything the standings engine needs for one season; cached until the store changes."""
        version = await cache_version(self.db)
        cached = self._seasons.get((series_slug, year))
        if cached is not None and cached[0] == version:
            return cached[1]
        data = await self._load_season(series_slug, year)
        if data is not None:
            if len(self._seasons) > _CACHED_SEASONS:
                self._seasons.clear()
            self._seasons[(series_slug, year)] = (version, data)
        return data

    async def _load_season(self, series_slug: str, year: int) -> SeasonData | None:
        head = await self.db.fetchrow(
            "SELECT se.id, s.slug, s.name FROM seasons se JOIN series s ON s.id = se.series_id"
            " WHERE s.slug = ? AND se.year = ?",
            series_slug,
            year,
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
            for r in await self.db.fetch(
                "SELECT id, key, name, round, start_date, tags, classes FROM events WHERE season_id = ?"
                " ORDER BY coalesce(start_date, '9999'), coalesce(round, 9999), id",
                season_id,
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
            for r in await self.db.fetch(
                "SELECT s.id, s.event_id, s.key, s.name, s.kind, s.stage_minutes, s.sets_grid, s.parent_key"
                " FROM sessions s JOIN events e ON e.id = s.event_id WHERE e.season_id = ?"
                " ORDER BY coalesce(s.start_utc, s.start_date, ''), s.id",
                season_id,
            )
        ]
        crews: dict[int, list[int]] = defaultdict(list)
        for r in await self.db.fetch_tuples(
            "SELECT ed.entry_id, ed.driver_id FROM entry_drivers ed JOIN entries en ON en.id = ed.entry_id"
            " JOIN events e ON e.id = en.event_id WHERE e.season_id = ? ORDER BY ed.entry_id, ed.position",
            season_id,
        ):
            crews[r[0]].append(r[1])
        entries = {
            r[0]: EntryInfo(r[0], r[1], r[2], r[3], r[4], r[5], tuple(crews.get(r[0], ())))
            for r in await self.db.fetch_tuples(
                "SELECT en.id, en.event_id, en.number, en.team_id, en.car, en.class FROM entries en"
                " JOIN events e ON e.id = en.event_id WHERE e.season_id = ?",
                season_id,
            )
        }
        results = [
            ResultInfo(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
            for r in await self.db.fetch_tuples(
                "SELECT r.session_id, r.entry_id, r.position, r.class_position, r.classification_order, r.status,"
                " r.fastest_lap_rank, r.points FROM results r JOIN sessions s ON s.id = r.session_id"
                " JOIN events e ON e.id = s.event_id WHERE e.season_id = ?",
                season_id,
            )
        ]
        driver_names = {
            r[0]: r[1]
            for r in await self.db.fetch_tuples(
                "SELECT DISTINCT d.id, d.name FROM drivers d JOIN entry_drivers ed ON ed.driver_id = d.id"
                " JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id WHERE e.season_id = ?",
                season_id,
            )
        }
        team_names = {
            r[0]: r[1]
            for r in await self.db.fetch_tuples(
                "SELECT DISTINCT t.id, t.name FROM teams t JOIN entries en ON en.team_id = t.id"
                " JOIN events e ON e.id = en.event_id WHERE e.season_id = ?",
                season_id,
            )
        }
        championships = [
            ChampionshipDef(
                key=r["key"],
                name=r["name"],
                default=bool(r["is_default"]),
                rules=ChampionshipRules.model_validate(json.loads(r["rules"])),
            )
            for r in await self.db.fetch(
                "SELECT key, name, is_default, rules FROM championships WHERE season_id = ? ORDER BY id", season_id
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

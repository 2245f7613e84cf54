"""Writes ImportBatches in one transaction and reports what changed, on SQLite or PostgreSQL.

`write_batches` talks to an open transaction (an Executor of storage/database.py) with SQL both dialects
run: `ON CONFLICT` instead of `INSERT OR IGNORE`, `RETURNING id` instead of lastrowid, parameters of the
column's own type. `apply_batches` opens that transaction: on PostgreSQL in `db.transaction()`; on SQLite
on a connection of its own in a worker thread (storage/sqlite_sync.py), because a season of F1 is tens of
thousands of statements, and straight sqlite3 calls are what make the full import take seconds, off the
bot's event loop.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.names import name_key
from bot.core.records import (
    ChangeSet,
    DriverRec,
    EntryRec,
    EventRec,
    ImportBatch,
    ResultRec,
    SeasonRec,
    SessionChange,
    SessionRec,
    TeamRec,
)
from storage import revision
from storage.database import Database, Executor, sqlite_path
from storage.removals import Removal, RemovalRefused, suspicious
from storage.sqlite_sync import immediate_transaction

CAREER_GAP_YEARS = 15


class ImportConflict(ValueError):
    """The batch contradicts itself or the store (e.g. a result for a car that has no entry)."""


def _local_to_utc(local: str, timezone: str | None) -> str | None:
    if not timezone:
        return None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    moment = datetime.fromisoformat(local).replace(tzinfo=zone)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Drivers:
    """Resolves a source's view of a person to one identity (see docs/data-format.md)."""

    def __init__(self, tx: Executor, changes: ChangeSet) -> None:
        self.tx = tx
        self.changes = changes
        self.by_source: dict[tuple[str, str], int] = {}
        self.sources_of: dict[int, set[str]] = defaultdict(set)
        self.by_key: dict[str, set[int]] = defaultdict(set)
        self.birth: dict[int, str | None] = {}
        self.splits: set[frozenset[int]] = set()
        self.cache: dict[tuple[DriverRec, int], int] = {}
        self.year = 0
        self.active: dict[int, list[int]] = {}

    async def load(self) -> None:
        tx = self.tx
        self.by_source = {
            (s, i): d for s, i, d in await tx.fetch_tuples("SELECT source, source_id, driver_id FROM driver_source_ids")
        }
        for (source, _), driver in self.by_source.items():
            self.sources_of[driver].add(source)
        for key, driver in await tx.fetch_tuples("SELECT alias_key, driver_id FROM driver_aliases"):
            self.by_key[key].add(driver)
        self.birth = {d: b for d, b in await tx.fetch_tuples("SELECT id, birth_date FROM drivers")}
        self.splits = {
            frozenset((a, b)) for a, b in await tx.fetch_tuples("SELECT driver_a, driver_b FROM driver_splits")
        }
        self.active = {
            d: [lo, hi]
            for d, lo, hi in await tx.fetch_tuples(
                "SELECT ed.driver_id, min(se.year), max(se.year) FROM entry_drivers ed"
                " JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id"
                " JOIN seasons se ON se.id = e.season_id GROUP BY ed.driver_id"
            )
        }

    def _contradicts(self, driver_id: int, rec: DriverRec) -> bool:
        if rec.source and rec.source_id and rec.source in self.sources_of[driver_id]:
            return True  # that person already carries another id of the same source
        known = self.birth.get(driver_id)
        if known and rec.birth_date and known != rec.birth_date:
            return True
        # Same name a generation apart is a different person (a father in F1 in the 1980s and his son in
        # GT racing decades later, whom the timing sheets write without his "III"). An admin can still merge.
        span = self.active.get(driver_id)
        return bool(
            span and self.year and (self.year > span[1] + CAREER_GAP_YEARS or self.year < span[0] - CAREER_GAP_YEARS)
        )

    async def resolve(self, rec: DriverRec) -> int:
        cached = self.cache.get((rec, self.year))
        if cached is not None:
            return cached
        key = name_key(rec.name)
        driver_id: int | None = None
        if rec.source and rec.source_id:
            driver_id = self.by_source.get((rec.source, rec.source_id))
        if driver_id is None:
            candidates = [d for d in self.by_key.get(key, ()) if not self._contradicts(d, rec)]
            if len(candidates) == 1:
                driver_id = candidates[0]
        if driver_id is None:
            driver_id = int(
                await self.tx.fetchval(
                    "INSERT INTO drivers (name, name_key, first_name, last_name, nationality, birth_date)"
                    " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    rec.name,
                    key,
                    rec.first_name,
                    rec.last_name,
                    rec.nationality,
                    rec.birth_date,
                )
            )
            self.birth[driver_id] = rec.birth_date
            self.changes.drivers_added += 1
        elif rec.birth_date and not self.birth.get(driver_id):
            await self.tx.execute("UPDATE drivers SET birth_date = ? WHERE id = ?", rec.birth_date, driver_id)
            self.birth[driver_id] = rec.birth_date
        if rec.source and rec.source_id and (rec.source, rec.source_id) not in self.by_source:
            await self.tx.execute(
                "INSERT INTO driver_source_ids (source, source_id, driver_id) VALUES (?, ?, ?)",
                rec.source,
                rec.source_id,
                driver_id,
            )
            self.by_source[(rec.source, rec.source_id)] = driver_id
            self.sources_of[driver_id].add(rec.source)
        if driver_id not in self.by_key[key]:
            await self.tx.execute(
                "INSERT INTO driver_aliases (alias_key, driver_id, alias) VALUES (?, ?, ?)"
                " ON CONFLICT (alias_key, driver_id) DO NOTHING",
                key,
                driver_id,
                rec.name,
            )
            self.by_key[key].add(driver_id)
        self.cache[(rec, self.year)] = driver_id
        span = self.active.setdefault(driver_id, [self.year, self.year])
        span[0], span[1] = min(span[0], self.year), max(span[1], self.year)
        return driver_id


class _Teams:
    def __init__(self, tx: Executor, changes: ChangeSet) -> None:
        self.tx = tx
        self.changes = changes
        self.by_source: dict[tuple[str, str], int] = {}
        self.by_key: dict[str, list[int]] = defaultdict(list)
        self.cache: dict[TeamRec, int] = {}

    async def load(self) -> None:
        self.by_source = {
            (s, i): t
            for s, i, t in await self.tx.fetch_tuples("SELECT source, source_id, team_id FROM team_source_ids")
        }
        for team_id, key in await self.tx.fetch_tuples("SELECT id, name_key FROM teams ORDER BY id"):
            self.by_key[key].append(team_id)

    async def resolve(self, rec: TeamRec) -> int:
        cached = self.cache.get(rec)
        if cached is not None:
            return cached
        key = name_key(rec.name)
        team_id: int | None = None
        if rec.source and rec.source_id:
            team_id = self.by_source.get((rec.source, rec.source_id))
        if team_id is None and len(self.by_key.get(key, ())) == 1:
            team_id = self.by_key[key][0]
        if team_id is None:
            team_id = int(
                await self.tx.fetchval("INSERT INTO teams (name, name_key) VALUES (?, ?) RETURNING id", rec.name, key)
            )
            self.by_key[key].append(team_id)
            self.changes.teams_added += 1
        if rec.source and rec.source_id and (rec.source, rec.source_id) not in self.by_source:
            await self.tx.execute(
                "INSERT INTO team_source_ids (source, source_id, team_id) VALUES (?, ?, ?)",
                rec.source,
                rec.source_id,
                team_id,
            )
            self.by_source[(rec.source, rec.source_id)] = team_id
        self.cache[rec] = team_id
        return team_id


_SESSION_FIELDS = ("name", "kind", "parent_key", "stage_minutes", "sets_grid", "start_utc", "end_utc", "start_date")
_RESULT_COLUMNS = (
    "position, class_position, classification_order, status, status_detail, laps, time_ms, time_text, gap_text,"
    " best_lap_ms, best_lap_text, fastest_lap_rank, grid, points"
)
_RESULT_COLUMN_NAMES = [c.strip() for c in _RESULT_COLUMNS.split(",")]


class _Writer:
    def __init__(self, tx: Executor, batch: ImportBatch, quiet: bool = False) -> None:
        self.tx = tx
        self.batch = batch
        self.quiet = quiet
        self.changes = ChangeSet(notes=list(batch.notes))
        self.drivers = _Drivers(tx, self.changes)
        self.teams = _Teams(tx, self.changes)
        # What this version would take away (storage/removals.py decides whether that is too much).
        self.removals: list[Removal] = []
        self._cancelled = 0
        self._zone_from_table: set[int] = set()  # events whose zone only the circuit table gave
        self._seen: set[int] = set()  # sessions this batch names (a calendar cancels the others)
        self._calendar = False

    async def run(self) -> ChangeSet:
        batch = self.batch
        await self.drivers.load()
        await self.teams.load()
        series_id = await self._series()
        for season in batch.seasons:
            await self._season(series_id, season)
        await self.tx.execute(
            "INSERT INTO imports (source, path, digest, imported_at, summary) VALUES (?, ?, ?, ?, ?)",
            batch.source,
            "\n".join(batch.paths),
            batch.digest,
            _now(),
            json.dumps(_summary(self.changes, self.quiet)),
        )
        return self.changes

    async def _series(self) -> int:
        batch = self.batch
        row = await self.tx.fetchrow("SELECT id, class_aliases FROM series WHERE slug = ?", batch.series_slug)
        if row is None:
            return int(
                await self.tx.fetchval(
                    "INSERT INTO series (slug, name, class_aliases) VALUES (?, ?, ?) RETURNING id",
                    batch.series_slug,
                    batch.series_name,
                    json.dumps(batch.class_aliases, sort_keys=True),
                )
            )
        if batch.class_aliases:
            merged = json.loads(row[1]) | batch.class_aliases
            await self.tx.execute(
                "UPDATE series SET class_aliases = ? WHERE id = ?", json.dumps(merged, sort_keys=True), row[0]
            )
        if batch.source == "native":
            await self.tx.execute("UPDATE series SET name = ? WHERE id = ?", batch.series_name, row[0])
        return int(row[0])

    async def _season(self, series_id: int, season: SeasonRec) -> None:
        tx = self.tx
        await tx.execute(
            "INSERT INTO seasons (series_id, year) VALUES (?, ?) ON CONFLICT (series_id, year) DO NOTHING",
            series_id,
            season.year,
        )
        season_id = int(
            await tx.fetchval("SELECT id FROM seasons WHERE series_id = ? AND year = ?", series_id, season.year)
        )
        await self._championships(season_id, season)
        held = int(
            await tx.fetchval(
                "SELECT count(*) FROM sessions s JOIN events e ON e.id = s.event_id"
                " WHERE e.season_id = ? AND s.status <> 'cancelled'",
                season_id,
            )
        )
        self._cancelled = 0
        self._seen = set()
        self._calendar = season.calendar
        self.drivers.year = season.year
        event_ids: dict[str, int] = {}
        resolved: dict[int, list[EventRec]] = defaultdict(list)
        names: dict[int, tuple[str, str | None]] = {}
        events = season.events
        if any(s.uid for e in events for s in e.sessions):
            events = await _by_uid(tx, season_id, events)
        for event in events:
            event_id, event_name, timezone = await self._event(season_id, event)
            event_ids[event.key] = event_id
            resolved[event_id].append(event)
            names[event_id] = (event_name, timezone)
        for event_id, events in resolved.items():
            event_name, timezone = names[event_id]
            # Several source folders can be one event (IMSA files Daytona's qualifying under the Roar).
            ran = any(
                s.kind != "qualifying" and s.kind != "practice" and s.results is not None
                for e in events
                for s in e.sessions
            )
            entry_ids = await self._entries(
                event_id,
                _merged_entries(events),
                replace_crews=ran or not any(s.results is not None for e in events for s in e.sessions),
            )
            told = False
            for event in events:
                for session in event.sessions:
                    if session.start_utc is None and session.start_local:
                        session.start_utc = _local_to_utc(session.start_local, timezone)
                        if session.start_utc is not None and event_id in self._zone_from_table and not told:
                            told = True  # say once per event where the zone came from, so a wrong guess shows
                            self.changes.notes.append(
                                f"{event_name}: local times read in {timezone}"
                                f" ({event.venue.circuit if event.venue else '?'}, from the circuit table)"
                            )
                        if session.start_utc is None:
                            self.changes.notes.append(
                                f"{event_name}: {session.name} starts {session.start_local} local time, but the"
                                " event has no time zone yet: stored as 'time TBC' (import the calendar to fix)"
                            )
                    await self._session(event_id, event_name, season.year, session, entry_ids)
        if season.official_standings:
            await self._official_standings(season_id, season, event_ids)
        if season.calendar:
            await self._cancel_missing(season_id, season.year)
        if suspicious(self._cancelled, held):
            self.removals.append(Removal(f"{self.batch.series_name} {season.year}", "sessions", self._cancelled, held))

    async def _cancel_missing(self, season_id: int, year: int) -> None:
        """A calendar lists its whole season: a session it brought before (it has a UID) that this version
        leaves out is cancelled. Sessions with results, and those no calendar brought, are not its to cancel."""
        rows = await self.tx.fetch_tuples(
            "SELECT s.id, s.name, s.kind, s.start_utc, e.name FROM sessions s JOIN events e ON e.id = s.event_id"
            " WHERE e.season_id = ? AND s.uid IS NOT NULL AND s.status = 'scheduled' AND s.results_status = 'none'"
            " ORDER BY s.id",  # the change feed lists them in a fixed order on both dialects
            season_id,
        )
        for session_id, name, kind, start_utc, event_name in rows:
            if session_id in self._seen:
                continue
            await self.tx.execute("UPDATE sessions SET status = 'cancelled' WHERE id = ?", session_id)
            self.changes.sessions_updated += 1
            self._cancelled += 1
            self._note(session_id, year, event_name, name, kind, "cancelled", start_utc, None)

    def _note(
        self,
        session_id: int,
        year: int,
        event_name: str,
        session_name: str,
        kind: str,
        what: str,
        old: str | None,
        new: str | None,
    ) -> None:
        """One entry of the change feed (what the alert planner reads)."""
        self.changes.session_changes.append(
            SessionChange(
                session_id=session_id,
                series_slug=self.batch.series_slug,
                year=year,
                event_name=event_name,
                session_name=session_name,
                kind=kind,
                what=what,
                old_start_utc=old,
                new_start_utc=new,
            )
        )

    async def _championships(self, season_id: int, season: SeasonRec) -> None:
        for champ in season.championships:
            rules = json.dumps(champ.rules, sort_keys=True)
            row = await self.tx.fetchrow(
                "SELECT name, is_default, rules FROM championships WHERE season_id = ? AND key = ?",
                season_id,
                champ.key,
            )
            if row is not None and tuple(row) == (champ.name, int(champ.is_default), rules):
                continue
            await self.tx.execute(
                "INSERT INTO championships (season_id, key, name, is_default, rules) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (season_id, key) DO UPDATE SET name = excluded.name,"
                " is_default = excluded.is_default, rules = excluded.rules",
                season_id,
                champ.key,
                champ.name,
                int(champ.is_default),
                rules,
            )
            self.changes.championships_written += 1

    async def _event(self, season_id: int, event: EventRec) -> tuple[int, str, str | None]:
        tx = self.tx
        names = [event.key, *event.aliases]
        row = None
        for alias in names:
            row = await tx.fetchrow(
                "SELECT e.* FROM event_aliases a JOIN events e ON e.id = a.event_id"
                " WHERE a.season_id = ? AND a.alias = ?",
                season_id,
                alias,
            )
            if row is None:
                row = await tx.fetchrow("SELECT * FROM events WHERE season_id = ? AND key = ?", season_id, alias)
            if row is not None:
                break
        tags = json.dumps(sorted(event.tags)) if event.tags is not None else None
        classes = json.dumps(event.classes) if event.classes is not None else None
        venue = event.venue  # the circuit table's view: fills only what neither the source nor the store says
        if row is None:
            event_id = int(
                await tx.fetchval(
                    "INSERT INTO events (season_id, key, name, round, circuit, country, timezone, start_date,"
                    " end_date, tags, classes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    season_id,
                    event.key,
                    event.name,
                    event.round,
                    event.circuit or (venue.circuit if venue else None),
                    event.country or (venue.country if venue else None),
                    event.timezone or (venue.timezone if venue else None),
                    event.start_date,
                    event.end_date,
                    tags or "[]",
                    classes or "[]",
                )
            )
            self.changes.events_added += 1
            name = event.name
            timezone = event.timezone or (venue.timezone if venue else None)
            if not event.timezone and venue:
                self._zone_from_table.add(event_id)
        else:
            event_id = int(row["id"])
            name = row["name"]
            timezone = event.timezone or row["timezone"] or (venue.timezone if venue else None)
            if not (event.timezone or row["timezone"]) and venue:
                self._zone_from_table.add(event_id)
            authoritative = self.batch.source in ("native", "ergast", "jolpica")
            wanted: dict[str, Any] = {
                "round": event.round,
                "circuit": event.circuit or (venue.circuit if venue and not row["circuit"] else None),
                "country": event.country or (venue.country if venue and not row["country"] else None),
                "timezone": event.timezone or (venue.timezone if venue and not row["timezone"] else None),
                "start_date": event.start_date,
                "end_date": event.end_date,
                "tags": tags,
                "classes": classes,
            }
            if authoritative:
                wanted |= {"name": event.name, "key": event.key}
            update = {k: v for k, v in wanted.items() if v is not None and row[k] != v}
            if update:
                if "key" in update and await tx.fetchrow(
                    "SELECT 1 FROM events WHERE season_id = ? AND key = ? AND id <> ?",
                    season_id,
                    update["key"],
                    event_id,
                ):
                    raise ImportConflict(f"event key {update['key']!r} is already used by another event")
                sets = ", ".join(f"{k} = ?" for k in update)
                await tx.execute(f"UPDATE events SET {sets} WHERE id = ?", *update.values(), event_id)
                self.changes.events_updated += 1
                name = update.get("name", name)
        await tx.executemany(
            "INSERT INTO event_aliases (season_id, alias, event_id) VALUES (?, ?, ?)"
            " ON CONFLICT (season_id, alias) DO NOTHING",
            [(season_id, alias, event_id) for alias in names],
        )
        return event_id, name, timezone

    async def _entries(self, event_id: int, entries: list[EntryRec], replace_crews: bool) -> dict[str, int]:
        tx = self.tx
        existing: dict[str, tuple[int, tuple[Any, ...]]] = {}
        for row in await tx.fetch_tuples(
            "SELECT id, key, number, team_id, car, class FROM entries WHERE event_id = ?", event_id
        ):
            existing[row[1]] = (row[0], (row[2], row[3], row[4], row[5]))
        crews: dict[int, tuple[int, ...]] = defaultdict(tuple)
        if existing:
            grouped: dict[int, list[int]] = defaultdict(list)
            for entry_id, driver_id in await tx.fetch_tuples(
                "SELECT ed.entry_id, ed.driver_id FROM entry_drivers ed JOIN entries e ON e.id = ed.entry_id"
                " WHERE e.event_id = ? ORDER BY ed.entry_id, ed.position",
                event_id,
            ):
                grouped[entry_id].append(driver_id)
            crews.update({k: tuple(v) for k, v in grouped.items()})
        ids = {key: entry_id for key, (entry_id, _) in existing.items()}
        crew_rows: list[tuple[int, int, int]] = []
        for entry in entries:
            team_id = await self.teams.resolve(entry.team) if entry.team else None
            crew = tuple(dict.fromkeys([await self.drivers.resolve(d) for d in entry.crew]))
            values = (entry.number, team_id, entry.car, entry.car_class)
            known = existing.get(entry.key)
            if known is None:
                entry_id = int(
                    await tx.fetchval(
                        "INSERT INTO entries (event_id, key, number, team_id, car, class)"
                        " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                        event_id,
                        entry.key,
                        *values,
                    )
                )
                ids[entry.key] = entry_id
                crew_rows.extend((entry_id, i, d) for i, d in enumerate(crew, 1))
                self.changes.entries_added += 1
                continue
            entry_id, old_values = known
            changed = False
            if old_values != values:
                await tx.execute(
                    "UPDATE entries SET number = ?, team_id = ?, car = ?, class = ? WHERE id = ?", *values, entry_id
                )
                changed = True
            old_crew = crews.get(entry_id, ())
            if not replace_crews:
                # Qualifying alone does not say who raced: add drivers, drop none.
                crew = tuple(dict.fromkeys(old_crew + crew))[:6]
            if old_crew != crew:
                await tx.execute("DELETE FROM entry_drivers WHERE entry_id = ?", entry_id)
                crew_rows.extend((entry_id, i, d) for i, d in enumerate(crew, 1))
                changed = True
            if changed:
                self.changes.entries_updated += 1
        if crew_rows:
            await tx.executemany(
                "INSERT INTO entry_drivers (entry_id, position, driver_id) VALUES (?, ?, ?)", crew_rows
            )
        return ids

    async def _session(
        self, event_id: int, event_name: str, year: int, session: SessionRec, entry_ids: dict[str, int]
    ) -> None:
        tx = self.tx
        row = await tx.fetchrow("SELECT * FROM sessions WHERE event_id = ? AND key = ?", event_id, session.key)
        incoming = {
            "name": session.name,
            "kind": session.kind,
            "parent_key": session.parent_key,
            "stage_minutes": session.stage_minutes,
            "sets_grid": int(session.sets_grid),
            "start_utc": session.start_utc,
            "end_utc": session.end_utc,
            "start_date": session.start_date,
        }
        has_results = session.results is not None
        status = session.status or ("finished" if has_results else None)

        def change(what: str, old: str | None = None, new: str | None = None) -> None:
            self._note(session_id, year, event_name, session.name, session.kind, what, old, new)

        if row is None:
            session_id = int(
                await tx.fetchval(
                    "INSERT INTO sessions (event_id, key, name, kind, parent_key, stage_minutes, sets_grid,"
                    " start_utc, end_utc, start_date, status, uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " RETURNING id",
                    event_id,
                    session.key,
                    *incoming.values(),
                    status or "scheduled",
                    session.uid,
                )
            )
            self._seen.add(session_id)
            self.changes.sessions_added += 1
            change("added", None, session.start_utc)
            old_status, old_results_status = "scheduled", "none"
        else:
            session_id = int(row["id"])
            self._seen.add(session_id)
            old_status, old_results_status = row["status"], row["results_status"]
            if session.uid and row["uid"] != session.uid:
                # A feed that regenerates its UIDs: the session is found by event + key; keeping the new UID
                # is bookkeeping, not a change anyone hears of.
                await tx.execute("UPDATE sessions SET uid = ? WHERE id = ?", session.uid, session_id)
            if self._calendar and status is None and old_status == "cancelled":
                status = "scheduled"  # the calendar lists it again (a broken feed restored)
            # A results file knows no times: keep the calendar's where the batch has none.
            update = {
                k: v
                for k, v in incoming.items()
                if row[k] != v and (v is not None or k not in ("start_utc", "end_utc", "start_date"))
            }
            if status and status != old_status:
                update["status"] = status
            if update:
                sets = ", ".join(f"{k} = ?" for k in update)
                await tx.execute(f"UPDATE sessions SET {sets} WHERE id = ?", *update.values(), session_id)
                self.changes.sessions_updated += 1
                if "start_utc" in update:
                    change("moved", row["start_utc"], session.start_utc)
                if update.get("status") == "cancelled":
                    change("cancelled", row["start_utc"], None)
                    self._cancelled += 1
                elif update.get("status") == "scheduled" and old_status == "cancelled" and "start_utc" not in update:
                    # Listed again by its calendar: as news it is a session added (near its start only).
                    change("added", None, session.start_utc)
        if session.results is None:
            return
        await self._results(session_id, f"{event_name} {session.name}", session, entry_ids, old_results_status, change)

    async def _results(
        self,
        session_id: int,
        place: str,
        session: SessionRec,
        entry_ids: dict[str, int],
        old_results_status: str,
        change: Any,
    ) -> None:
        tx = self.tx
        existing = {
            row[0]: tuple(row[1:])
            for row in await tx.fetch_tuples(
                f"SELECT entry_id, {_RESULT_COLUMNS} FROM results WHERE session_id = ?", session_id
            )
        }
        inserts, updates = [], []
        seen: set[int] = set()
        incoming: dict[int, tuple[Any, ...]] = {}
        for result in session.results or ():
            entry_id = entry_ids.get(result.entry_key)
            if entry_id is None:
                raise ImportConflict(f"{session.name}: result for car {result.entry_key!r}, which has no entry")
            if entry_id in seen:
                raise ImportConflict(f"{session.name}: car {result.entry_key!r} appears twice")
            seen.add(entry_id)
            values = _result_values(result)
            incoming[entry_id] = values
            old = existing.get(entry_id)
            if old is None:
                inserts.append((session_id, entry_id, *values))
            elif old != values:
                updates.append((*values, session_id, entry_id))
        removed = [(session_id, e) for e in existing if e not in seen]
        self._check_removals(place, existing, incoming)
        if inserts:
            await tx.executemany(
                f"INSERT INTO results (session_id, entry_id, {_RESULT_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                inserts,
            )
        if updates:
            sets = ", ".join(f"{c.strip()} = ?" for c in _RESULT_COLUMNS.split(","))
            await tx.executemany(f"UPDATE results SET {sets} WHERE session_id = ? AND entry_id = ?", updates)
        if removed:
            await tx.executemany("DELETE FROM results WHERE session_id = ? AND entry_id = ?", removed)
        self.changes.results_added += len(inserts)
        self.changes.results_updated += len(updates) + len(removed)
        new_status = session.results_status or "final"
        if new_status != old_results_status:
            await tx.execute("UPDATE sessions SET results_status = ? WHERE id = ?", new_status, session_id)
            if existing or old_results_status != "none":
                self.changes.sessions_updated += 1
        if not existing and inserts:
            change("results_new")
        elif updates or removed or (inserts and existing):
            change("results_corrected")
        elif old_results_status == "provisional" and new_status == "final":
            change("results_final")

    def _check_removals(
        self, place: str, existing: dict[int, tuple[Any, ...]], incoming: dict[int, tuple[Any, ...]]
    ) -> None:
        """Note what this version takes from the session: rows that vanish, cars that lose their
        classification (a row kept but emptied counts too). The refusal itself comes at the end."""
        gone = sum(1 for e in existing if e not in incoming)
        if suspicious(gone, len(existing)):
            self.removals.append(Removal(place, "results", gone, len(existing)))
            return
        status = _RESULT_COLUMN_NAMES.index("status")
        classified = [e for e, old in existing.items() if old[status] == "classified"]
        lost = sum(1 for e in classified if e not in incoming or incoming[e][status] != "classified")
        if suspicious(lost, len(classified)):
            self.removals.append(Removal(place, "classified cars", lost, len(classified)))

    async def _official_standings(self, season_id: int, season: SeasonRec, event_ids: dict[str, int]) -> None:
        tx = self.tx
        existing = {
            tuple(row[:5]): tuple(row[5:])
            for row in await tx.fetch_tuples(
                "SELECT championship_key, event_id, subject_kind, subject_id, class, points, position,"
                " position_text, wins FROM official_standings WHERE season_id = ?",
                season_id,
            )
        }
        rows = []
        ids = self.batch.id_source or self.batch.source
        for rec in season.official_standings:
            if rec.subject_kind == "driver":
                subject = self.drivers.by_source.get((ids, rec.subject_source_id))
            else:
                subject = self.teams.by_source.get((ids, rec.subject_source_id))
            event_id = event_ids.get(rec.event_key)
            if subject is None or event_id is None:
                raise ImportConflict(
                    f"standings row for unknown {rec.subject_kind} {rec.subject_source_id!r} or event {rec.event_key!r}"
                )
            key = (rec.championship_key, event_id, rec.subject_kind, subject, rec.car_class)
            values = (float(rec.points), rec.position, rec.position_text, rec.wins)  # points: a REAL column
            if existing.get(key) != values:
                rows.append((season_id, *key, *values))
        if rows:
            await tx.executemany(
                "INSERT INTO official_standings (season_id, championship_key, event_id, subject_kind, subject_id,"
                " class, points, position, position_text, wins) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (championship_key, event_id, subject_kind, subject_id, class) DO UPDATE SET"
                " points = excluded.points, position = excluded.position,"
                " position_text = excluded.position_text, wins = excluded.wins",
                rows,
            )
            self.changes.standings_written += len(rows)


async def _by_uid(tx: Executor, season_id: int, events: list[EventRec]) -> list[EventRec]:
    """Match calendar sessions by UID first: a session whose UID the store knows goes to the event and key it
    is stored under, even if this version groups or names it differently (a race moved by a month, a
    sponsor's new name). Sessions without a known UID keep their event + key, made unique if a matched
    session took it. Events left with no session are dropped."""
    stored: dict[str, tuple[str, str]] = {
        uid: (event_key, key)
        for uid, event_key, key in await tx.fetch_tuples(
            "SELECT s.uid, e.key, s.key FROM sessions s JOIN events e ON e.id = s.event_id"
            " WHERE e.season_id = ? AND s.uid IS NOT NULL",
            season_id,
        )
    }
    if not stored:
        return events
    out: dict[str, EventRec] = {}
    taken: set[tuple[str, str]] = set()
    placed: list[tuple[EventRec, SessionRec, tuple[str, str] | None]] = []
    for event in events:
        for session in event.sessions:
            target = stored.get(session.uid) if session.uid else None
            placed.append((event, session, target))
            if target:
                taken.add(target)
    for event, session, target in placed:
        if target is None:
            target = (event.key, session.key)
            number = 1
            while target in taken:
                number += 1
                target = (event.key, f"{session.key}-{number}")
            taken.add(target)
        event_key, session.key = target
        holder = out.get(event_key)
        if holder is None:
            holder = out[event_key] = EventRec(
                key=event_key,
                name=event.name,
                round=event.round,
                circuit=event.circuit,
                country=event.country,
                timezone=event.timezone,
                tags=event.tags,
                classes=event.classes,
            )
        holder.sessions.append(session)
        for day in (event.start_date, event.end_date):
            if day:
                holder.start_date = min(holder.start_date or day, day)
                holder.end_date = max(holder.end_date or day, day)
    return list(out.values())


def _result_values(result: ResultRec) -> tuple[Any, ...]:
    """A results row as the columns take it: points as a float (the column is REAL, and PostgreSQL's driver
    takes no other type for it; a source may well write 25 for 25.0)."""
    *values, points = result.values()
    return (*values, None if points is None else float(points))


def _merged_entries(events: list[EventRec]) -> list[EntryRec]:
    if len(events) == 1:
        return events[0].entries
    ranked = sorted(events, key=lambda e: not any(s.kind in ("race", "sprint") for s in e.sessions))
    merged: dict[str, EntryRec] = {}
    for event in ranked:
        for entry in event.entries:
            known = merged.get(entry.key)
            if known is None:
                merged[entry.key] = EntryRec(
                    entry.key, entry.number, entry.team, entry.car, entry.car_class, list(entry.crew)
                )
                continue
            known.team = known.team or entry.team
            known.car = known.car or entry.car
            known.car_class = known.car_class or entry.car_class
            names = {d.name for d in known.crew}
            known.crew.extend(d for d in entry.crew if d.name not in names)
    return list(merged.values())


def _summary(changes: ChangeSet, quiet: bool) -> dict[str, Any]:
    # `quiet` rides on each change: the imports log is the notifier's feed, and it must not alert on them.
    extra = {"quiet": True} if quiet else {}
    return {
        "session_changes": [
            {
                "session_id": c.session_id,
                "what": c.what,
                "old_start_utc": c.old_start_utc,
                "new_start_utc": c.new_start_utc,
                **extra,
            }
            for c in changes.session_changes
        ],
        "events_added": changes.events_added,
        "sessions_added": changes.sessions_added,
        "results_added": changes.results_added,
        "results_updated": changes.results_updated,
        "drivers_added": changes.drivers_added,
    }


class _NoChange(Exception):
    """Raised inside the transaction when the batches changed nothing: rolled back, so that even the
    import log stays as it was (re-importing the same files is a no-op)."""

    def __init__(self, changes: ChangeSet) -> None:
        super().__init__("nothing changed")
        self.changes = changes


async def write_batches(
    tx: Executor, batches: list[ImportBatch], *, quiet: bool = False, allow_removals: bool = False
) -> ChangeSet:
    """Write the batches inside the open transaction `tx`; raises (RemovalRefused, ImportConflict, a
    database error) to have it rolled back."""
    total = ChangeSet()
    removals: list[Removal] = []
    for batch in batches:
        writer = _Writer(tx, batch, quiet)
        total.merge(await writer.run())
        removals.extend(writer.removals)
    if removals and not allow_removals:
        raise RemovalRefused(removals)
    return total


async def _write_or_nothing(
    tx: Executor, batches: list[ImportBatch], *, quiet: bool, allow_removals: bool
) -> ChangeSet:
    changes = await write_batches(tx, batches, quiet=quiet, allow_removals=allow_removals)
    if not changes.changed:
        raise _NoChange(changes)
    return changes


def _apply_sqlite(path: str, batches: list[ImportBatch], quiet: bool, allow_removals: bool) -> ChangeSet:
    """In a worker thread: the whole import on a connection of its own, its coroutine on a loop of its own."""
    try:
        with immediate_transaction(path) as tx:
            return asyncio.run(_write_or_nothing(tx, batches, quiet=quiet, allow_removals=allow_removals))
    except _NoChange as nothing:
        return nothing.changes


# "pbimport" in ASCII: the advisory lock PostgreSQL imports take (storage/migrate.py and storage/leader.py
# hold other keys).
IMPORT_LOCK = int.from_bytes(b"pbimport", "big")


async def apply_in_transaction(
    db: Database, batches: list[ImportBatch], *, quiet: bool = False, allow_removals: bool = False
) -> ChangeSet:
    """The batches in one `db.transaction()`: how PostgreSQL imports (the writer's statements go over the
    network either way, so there is no faster path to take)."""
    try:
        async with db.transaction() as tx:
            if tx.dialect == "postgresql":
                # Imports take turns, as SQLite's BEGIN IMMEDIATE makes them: the writer reads what is stored
                # and writes the difference, and at READ COMMITTED two imports side by side (a provider sync
                # on the leader, an upload on another replica) would both write the same difference. Held
                # until the transaction ends.
                await tx.execute("SELECT pg_advisory_xact_lock(?)", IMPORT_LOCK)
            return await _write_or_nothing(tx, batches, quiet=quiet, allow_removals=allow_removals)
    except _NoChange as nothing:
        return nothing.changes


async def apply_batches(
    db: Database, batches: list[ImportBatch], *, quiet: bool = False, allow_removals: bool = False
) -> ChangeSet:
    """Apply several batches in ONE transaction: all of them land or none does.

    `quiet`: the feed marks the changes so that nobody is alerted (a back-fill). A version that removes a
    large share of what is stored is refused (`RemovalRefused`, nothing written) unless `allow_removals`.
    """
    try:
        if db.dialect == "sqlite":
            # Off the bot's event loop, as fast as plain sqlite3 (see storage/sqlite_sync.py).
            return await asyncio.to_thread(_apply_sqlite, sqlite_path(db.url), batches, quiet, allow_removals)
        return await apply_in_transaction(db, batches, quiet=quiet, allow_removals=allow_removals)
    finally:
        revision.forget()  # a handler that imports and then shows a table sees its own import

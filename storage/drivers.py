"""Drivers and teams as identities: names and aliases, a driver's entries and source ids, an admin's merge and
split, the series a team races in, and examples for /follow's help."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from storage import revision
from storage.database import Database


@dataclass(frozen=True, slots=True)
class DriverName:
    driver_id: int
    name: str
    alias: str


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
class DriverSource:
    """An id a source gives the driver (e.g. Jolpica's driverId)."""

    source: str
    source_id: str


@dataclass(frozen=True, slots=True)
class FollowExample:
    """The latest car imported: a driver, its series and team, for /follow's help."""

    driver: str
    series_slug: str
    team: str


# A follow or an official table row of `other` whose twin for `keep` exists stays behind, and goes with
# `other` (as UPDATE OR IGNORE left it): these move only the rows without one. Parameters: keep, other, keep.
_MOVE_DRIVER = (
    "UPDATE driver_aliases SET driver_id = ? WHERE driver_id = ? AND NOT EXISTS (SELECT 1 FROM driver_aliases x"
    " WHERE x.driver_id = ? AND x.alias_key = driver_aliases.alias_key)",
    "UPDATE follows SET target_id = ? WHERE target_kind = 'driver' AND target_id = ? AND NOT EXISTS"
    " (SELECT 1 FROM follows x WHERE x.chat_id = follows.chat_id AND x.target_kind = 'driver' AND x.target_id = ?)",
    "UPDATE official_standings SET subject_id = ? WHERE subject_kind = 'driver' AND subject_id = ? AND NOT EXISTS"
    " (SELECT 1 FROM official_standings x WHERE x.championship_key = official_standings.championship_key"
    " AND x.event_id = official_standings.event_id AND x.class = official_standings.class"
    " AND x.subject_kind = 'driver' AND x.subject_id = ?)",
)


class DriversRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def driver_name(self, driver_id: int) -> str | None:
        name = await self.db.fetchval("SELECT name FROM drivers WHERE id = ?", driver_id)
        return None if name is None else str(name)

    async def driver_names(self) -> list[DriverName]:
        rows = await self.db.fetch(
            "SELECT d.id, d.name, a.alias FROM drivers d JOIN driver_aliases a ON a.driver_id = d.id"
        )
        return [DriverName(r[0], r[1], r[2]) for r in rows]

    async def driver_entries(self, driver_id: int) -> list[DriverEntry]:
        rows = await self.db.fetch(
            "SELECT en.id, e.id, s.slug, se.year, e.name, e.start_date, en.number, t.name, en.car, en.class"
            " FROM entry_drivers ed JOIN entries en ON en.id = ed.entry_id JOIN events e ON e.id = en.event_id"
            " JOIN seasons se ON se.id = e.season_id JOIN series s ON s.id = se.series_id"
            " LEFT JOIN teams t ON t.id = en.team_id WHERE ed.driver_id = ?"
            " ORDER BY se.year, coalesce(e.start_date, ''), e.round NULLS FIRST",
            driver_id,
        )
        if not rows:
            return []
        ids = [r[0] for r in rows]
        crews: dict[int, list[str]] = defaultdict(list)
        marks = ",".join("?" * len(ids))
        for r in await self.db.fetch(
            f"SELECT ed.entry_id, d.name FROM entry_drivers ed JOIN drivers d ON d.id = ed.driver_id"
            f" WHERE ed.entry_id IN ({marks}) ORDER BY ed.entry_id, ed.position",
            *ids,
        ):
            crews[r[0]].append(r[1])
        return [DriverEntry(r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], tuple(crews[r[0]])) for r in rows]

    async def driver_sources(self, driver_id: int) -> list[DriverSource]:
        rows = await self.db.fetch(
            "SELECT source, source_id FROM driver_source_ids WHERE driver_id = ? ORDER BY 1, 2", driver_id
        )
        return [DriverSource(r[0], r[1]) for r in rows]

    async def merge_drivers(self, keep_id: int, other_id: int) -> None:
        """An admin says two identities are one person: `other` is folded into `keep`."""
        if keep_id == other_id:
            raise ValueError("cannot merge a driver with itself")
        found = await self.db.fetchval("SELECT count(*) FROM drivers WHERE id IN (?, ?)", keep_id, other_id)
        if found != 2:
            raise ValueError("both drivers must exist")
        async with self.db.transaction() as tx:
            await tx.execute("UPDATE entry_drivers SET driver_id = ? WHERE driver_id = ?", keep_id, other_id)
            await tx.execute("UPDATE driver_source_ids SET driver_id = ? WHERE driver_id = ?", keep_id, other_id)
            for sql in _MOVE_DRIVER:
                await tx.execute(sql, keep_id, other_id, keep_id)
            await tx.execute("DELETE FROM driver_aliases WHERE driver_id = ?", other_id)
            await tx.execute("DELETE FROM follows WHERE target_kind = 'driver' AND target_id = ?", other_id)
            await tx.execute(
                "DELETE FROM official_standings WHERE subject_kind = 'driver' AND subject_id = ?", other_id
            )
            await tx.execute("DELETE FROM drivers WHERE id = ?", other_id)
        revision.forget()  # the season cache must see the merge in the rest of this update

    async def split_driver(self, driver_id: int, series_slug: str) -> int:
        """An admin says the driver of `series_slug` is a different person from the rest of `driver_id`'s
        career: that series' entries and ids move to a new identity, and the two are never merged by name again."""
        async with self.db.transaction() as tx:
            row = await tx.fetchrow("SELECT name, name_key FROM drivers WHERE id = ?", driver_id)
            if row is None:
                raise ValueError(f"no driver {driver_id}")
            moving = [
                r[0]
                for r in await tx.fetch(
                    "SELECT ed.entry_id FROM entry_drivers ed JOIN entries en ON en.id = ed.entry_id"
                    " JOIN events e ON e.id = en.event_id JOIN seasons se ON se.id = e.season_id"
                    " JOIN series s ON s.id = se.series_id WHERE ed.driver_id = ? AND s.slug = ?",
                    driver_id,
                    series_slug,
                )
            ]
            if not moving:
                raise ValueError(f"driver {driver_id} has no entries in {series_slug}")
            new_id = int(
                await tx.fetchval("INSERT INTO drivers (name, name_key) VALUES (?, ?) RETURNING id", row[0], row[1])
            )
            await tx.executemany(
                "UPDATE entry_drivers SET driver_id = ? WHERE entry_id = ? AND driver_id = ?",
                [(new_id, e, driver_id) for e in moving],
            )
            # Ids of the series' own source (e.g. 'gtwc:gtwc-europe', 'imsa') go with it.
            await tx.execute(
                "UPDATE driver_source_ids SET driver_id = ? WHERE driver_id = ? AND (source = ? OR source LIKE ?)",
                new_id,
                driver_id,
                series_slug,
                f"%:{series_slug}",
            )
            await tx.execute(
                "INSERT INTO driver_aliases (alias_key, driver_id, alias) VALUES (?, ?, ?)", row[1], new_id, row[0]
            )
            await tx.execute("INSERT INTO driver_splits (driver_a, driver_b) VALUES (?, ?)", driver_id, new_id)
        revision.forget()
        return new_id

    async def team_series(self, team_id: int) -> list[str]:
        """The slugs of the series a team has entered."""
        rows = await self.db.fetch(
            "SELECT DISTINCT sr.slug FROM entries en JOIN events e ON e.id = en.event_id"
            " JOIN seasons se ON se.id = e.season_id JOIN series sr ON sr.id = se.series_id WHERE en.team_id = ?",
            team_id,
        )
        return [r[0] for r in rows]

    async def follow_examples(self) -> FollowExample | None:
        """The latest car imported: examples for /follow's help that the store actually knows, whatever series
        it holds."""
        row = await self.db.fetchrow(
            "SELECT d.name, se.slug, t.name FROM entries e JOIN teams t ON t.id = e.team_id"
            " JOIN entry_drivers ed ON ed.entry_id = e.id AND ed.position = 1"
            " JOIN drivers d ON d.id = ed.driver_id JOIN events ev ON ev.id = e.event_id"
            " JOIN seasons sn ON sn.id = ev.season_id JOIN series se ON se.id = sn.series_id"
            " ORDER BY e.id DESC LIMIT 1"
        )
        return FollowExample(row[0], row[1], row[2]) if row else None

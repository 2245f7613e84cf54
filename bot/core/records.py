"""Plain records that importers produce and `storage` writes in one transaction.

Importers never touch the database: they turn a file into an `ImportBatch`, and the store
answers with a `ChangeSet` saying what the batch changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SessionKind = Literal["practice", "qualifying", "sprint", "race", "stage"]
ResultStatus = Literal["classified", "not_classified", "dnf", "dns", "dsq"]
SESSION_KINDS: tuple[str, ...] = ("practice", "qualifying", "sprint", "race", "stage")
RESULT_STATUSES: tuple[str, ...] = ("classified", "not_classified", "dnf", "dns", "dsq")


@dataclass(frozen=True, slots=True)
class DriverRec:
    """A person as one source names them; `storage` resolves it to one identity."""

    name: str
    first_name: str | None = None
    last_name: str | None = None
    source: str | None = None
    source_id: str | None = None
    nationality: str | None = None
    birth_date: str | None = None


@dataclass(frozen=True, slots=True)
class TeamRec:
    name: str
    source: str | None = None
    source_id: str | None = None


@dataclass(slots=True)
class EntryRec:
    key: str
    number: str
    team: TeamRec | None
    car: str | None
    car_class: str | None
    crew: list[DriverRec]


@dataclass(slots=True)
class ResultRec:
    entry_key: str
    status: str
    position: int | None = None
    class_position: int | None = None
    order: int | None = None  # place in the classification, non-finishers included
    status_detail: str | None = None
    laps: int | None = None
    time_ms: int | None = None
    time_text: str | None = None
    gap_text: str | None = None
    best_lap_ms: int | None = None
    best_lap_text: str | None = None
    fastest_lap_rank: int | None = None
    grid: int | None = None
    points: float | None = None

    def values(self) -> tuple[Any, ...]:
        return (
            self.position,
            self.class_position,
            self.order,
            self.status,
            self.status_detail,
            self.laps,
            self.time_ms,
            self.time_text,
            self.gap_text,
            self.best_lap_ms,
            self.best_lap_text,
            self.fastest_lap_rank,
            self.grid,
            self.points,
        )


@dataclass(slots=True)
class SessionRec:
    key: str
    name: str
    kind: str
    start_utc: str | None = None
    end_utc: str | None = None
    start_date: str | None = None
    start_local: str | None = None  # naive local time; the store converts it with the event's zone
    parent_key: str | None = None
    stage_minutes: int | None = None
    sets_grid: bool = False
    status: str | None = None  # None: leave as stored (or 'scheduled' when new)
    results_status: str | None = None  # provisional / final when results come with it
    results: list[ResultRec] | None = None  # None: the batch says nothing about results
    uid: str | None = None  # a calendar's UID: the store matches it before event + key (storage/writer.py)


@dataclass(frozen=True, slots=True)
class VenueRec:
    """Where an event is, from Pitboard's circuit table (bot/ingest/circuits.py). It only fills what neither the
    source nor the store says: a calendar's own circuit, country and time zone win."""

    circuit: str
    country: str | None
    timezone: str


@dataclass(slots=True)
class EventRec:
    key: str
    name: str
    round: int | None = None
    circuit: str | None = None
    country: str | None = None
    timezone: str | None = None
    start_date: str | None = None
    end_date: str | None = None
    tags: list[str] | None = None
    classes: list[str] | None = None  # which classes race here; None: not said
    aliases: list[str] = field(default_factory=list)
    entries: list[EntryRec] = field(default_factory=list)
    sessions: list[SessionRec] = field(default_factory=list)
    venue: VenueRec | None = None


@dataclass(slots=True)
class ChampionshipRec:
    key: str
    name: str
    rules: dict[str, Any]
    is_default: bool = False


@dataclass(slots=True)
class OfficialStandingRec:
    championship_key: str
    event_key: str
    subject_kind: str  # driver / team
    subject_source_id: str  # the source's id of the driver or team
    points: float
    position: int | None
    position_text: str | None
    wins: int | None
    car_class: str = ""


@dataclass(slots=True)
class SeasonRec:
    year: int
    events: list[EventRec] = field(default_factory=list)
    championships: list[ChampionshipRec] = field(default_factory=list)
    official_standings: list[OfficialStandingRec] = field(default_factory=list)
    # A calendar feed (ICS) lists the whole season: its sessions that a new version leaves out are
    # cancelled, under the refusal rule for suspicious versions (storage/removals.py).
    calendar: bool = False


@dataclass(slots=True)
class ImportBatch:
    """Everything one import writes; applied all-or-nothing."""

    source: str  # ergast, alkamel, gtwc, native, ics, jolpica
    series_slug: str
    series_name: str
    seasons: list[SeasonRec]
    class_aliases: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what the importer normalised or inferred
    paths: list[str] = field(default_factory=list)
    digest: str = ""
    # Whose ids the drivers' and teams' source ids are, when not the source's own: Jolpica serves Ergast's.
    id_source: str | None = None

    def row_count(self) -> int:
        count = 0
        for season in self.seasons:
            count += len(season.official_standings)
            for event in season.events:
                count += len(event.entries) + len(event.sessions)
                count += sum(len(s.results or ()) for s in event.sessions)
        return count


@dataclass(slots=True)
class SessionChange:
    session_id: int
    series_slug: str
    year: int
    event_name: str
    session_name: str
    kind: str
    what: str  # added, moved, cancelled, results_new, results_corrected, results_final
    old_start_utc: str | None = None
    new_start_utc: str | None = None


@dataclass(slots=True)
class ChangeSet:
    """What an import changed, as the alert planner and the CLI summary need it."""

    events_added: int = 0
    events_updated: int = 0
    sessions_added: int = 0
    sessions_updated: int = 0
    entries_added: int = 0
    entries_updated: int = 0
    results_added: int = 0
    results_updated: int = 0
    drivers_added: int = 0
    teams_added: int = 0
    standings_written: int = 0
    championships_written: int = 0
    session_changes: list[SessionChange] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.events_added,
                self.events_updated,
                self.sessions_added,
                self.sessions_updated,
                self.entries_added,
                self.entries_updated,
                self.results_added,
                self.results_updated,
                self.drivers_added,
                self.teams_added,
                self.standings_written,
                self.championships_written,
            )
        )

    def merge(self, other: ChangeSet) -> None:
        for name in (
            "events_added",
            "events_updated",
            "sessions_added",
            "sessions_updated",
            "entries_added",
            "entries_updated",
            "results_added",
            "results_updated",
            "drivers_added",
            "teams_added",
            "standings_written",
            "championships_written",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.session_changes.extend(other.session_changes)
        self.notes.extend(other.notes)

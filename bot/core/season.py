"""A season as the standings engine reads it: events, sessions, entries, results and championships.

Plain data, no database and no Telegram: storage/ builds it, bot/standings computes from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.core.rules import ChampionshipDef


@dataclass(frozen=True, slots=True)
class EventInfo:
    id: int
    key: str
    name: str
    round: int | None
    start_date: str | None
    tags: tuple[str, ...]
    classes: tuple[str, ...] = ()  # the classes that race here; empty: all


@dataclass(frozen=True, slots=True)
class SessionInfo:
    id: int
    event_id: int
    key: str
    name: str
    kind: str
    stage_minutes: int | None
    sets_grid: bool
    parent_key: str | None


@dataclass(frozen=True, slots=True)
class EntryInfo:
    id: int
    event_id: int
    number: str
    team_id: int | None
    car: str | None
    car_class: str | None
    crew: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ResultInfo:
    session_id: int
    entry_id: int
    position: int | None
    class_position: int | None
    order: int | None
    status: str
    fastest_lap_rank: int | None
    points: float | None


@dataclass(slots=True)
class SeasonData:
    series_slug: str
    series_name: str
    year: int
    events: list[EventInfo]  # in calendar order
    sessions: list[SessionInfo]
    entries: dict[int, EntryInfo]
    results: list[ResultInfo]
    driver_names: dict[int, str]
    team_names: dict[int, str]
    championships: list[ChampionshipDef]
    # Computed progressions, kept as long as this (cached) snapshot of the season is.
    progressions: dict[tuple[str, str], list[Any]] = field(default_factory=dict)

    def championship(self, key: str | None = None) -> ChampionshipDef | None:
        if key is None:
            return next(
                (c for c in self.championships if c.default), self.championships[0] if self.championships else None
            )
        wanted = key.casefold()
        return next((c for c in self.championships if wanted in (c.key, c.name.casefold())), None)

"""A driver's ride at one event, as /next, reminders and race summaries show it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Crewed(Protocol):
    """An entry or a result line: a car and the drivers sharing it."""

    @property
    def number(self) -> str: ...
    @property
    def team(self) -> str | None: ...
    @property
    def car(self) -> str | None: ...
    @property
    def car_class(self) -> str | None: ...
    @property
    def crew(self) -> tuple[str, ...]: ...


@dataclass(frozen=True, slots=True)
class Ride:
    """One driver's car at an event: number, team, car, class and the co-drivers sharing it."""

    driver: str
    number: str
    team: str | None
    car: str | None
    car_class: str | None
    co_drivers: tuple[str, ...]

    @classmethod
    def of(cls, driver: str, entry: Crewed) -> Ride:
        return cls(
            driver, entry.number, entry.team, entry.car, entry.car_class, tuple(c for c in entry.crew if c != driver)
        )

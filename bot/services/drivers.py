"""A driver profile for /driver: one line per season and series, recent session results, championship places."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.standings.engine import standings
from storage.drivers import DriverEntry
from storage.people import DriverResult
from storage.store import Store

RECENT_RESULTS = 5
RESULT_KINDS = ("race", "sprint")


@dataclass(slots=True)
class SeasonLine:
    """What the driver raced in one season of one series, every repeat folded."""

    series_slug: str
    series_name: str
    year: int
    cars: list[tuple[str | None, list[str]]]  # (team, its car numbers), in the order first raced
    models: list[str]  # car models that say more than the team's name
    classes: list[str]
    teammates: list[str]  # everyone who shared a car with the driver, most often first


@dataclass(frozen=True, slots=True)
class ChampionshipPlace:
    series_name: str
    year: int
    championship: str
    car_class: str
    position: int | None
    points: float


@dataclass(slots=True)
class DriverProfile:
    driver_id: int
    name: str
    seasons: list[SeasonLine]
    recent: list[DriverResult]
    positions: list[ChampionshipPlace]
    followed: bool = False
    series_names: dict[str, str] = field(default_factory=dict)


def _same(a: str, b: str) -> bool:
    return a.casefold().strip() == b.casefold().strip()


def _names_team(car: str, team: str | None) -> bool:
    return team is not None and (_same(car, team) or car.casefold() in team.casefold())


def season_lines(entries: list[DriverEntry], name: str, series_names: dict[str, str]) -> list[SeasonLine]:
    grouped: dict[tuple[str, int], list[DriverEntry]] = {}
    for entry in entries:
        grouped.setdefault((entry.series_slug, entry.year), []).append(entry)
    lines = []
    for (slug, year), rows in grouped.items():
        cars: dict[str | None, list[str]] = {}
        models: list[str] = []
        classes: list[str] = []
        mates: Counter[str] = Counter()
        for row in rows:
            numbers = cars.setdefault(row.team, [])
            if row.number not in numbers:
                numbers.append(row.number)
            # F1's "car" repeats the constructor (the team's name twice): only a model that adds something.
            if row.car and row.car not in models and not _names_team(row.car, row.team):
                models.append(row.car)
            if row.car_class and row.car_class not in classes:
                classes.append(row.car_class)
            mates.update(c for c in set(row.crew) if c != name)
        order = {mate: i for i, mate in enumerate(m for row in rows for m in row.crew)}
        teammates = sorted(mates, key=lambda m: (-mates[m], order[m]))
        lines.append(
            SeasonLine(slug, series_names.get(slug, slug), year, list(cars.items()), models, classes, teammates)
        )
    return sorted(lines, key=lambda s: (-s.year, s.series_name))


async def championship_places(store: Store, driver_id: int, seasons: list[SeasonLine]) -> list[ChampionshipPlace]:
    """The driver's place in every drivers' championship of their latest season in each series."""
    latest: dict[str, int] = {}
    for s in seasons:
        latest[s.series_slug] = max(latest.get(s.series_slug, 0), s.year)
    places = []
    for slug, year in latest.items():
        data = await store.results.season_data(slug, year)
        if data is None:
            continue
        for champ in data.championships:
            if "drivers" not in champ.rules.subjects:
                continue
            result = standings(data, champ, "drivers")
            if result is None:
                continue
            for class_name, rows in result.classes.items():
                for row in rows:
                    if row.subject_id == driver_id:
                        places.append(
                            ChampionshipPlace(data.series_name, year, champ.name, class_name, row.position, row.points)
                        )
    return places


async def driver_profile(store: Store, driver_id: int, name: str, followed: bool = False) -> DriverProfile:
    series_names = {s.slug: s.name for s in await store.series.all()}
    seasons = season_lines(await store.drivers.driver_entries(driver_id), name, series_names)
    recent = await store.people.driver_results(driver_id, RESULT_KINDS, RECENT_RESULTS)
    places = await championship_places(store, driver_id, seasons)
    return DriverProfile(driver_id, name, seasons, recent, places, followed, series_names)

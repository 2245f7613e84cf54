"""A driver profile for /driver: seasons, cars, crews and recent results."""

from __future__ import annotations

from dataclasses import dataclass

from bot.standings.engine import standings
from bot.standings.service import NotFound
from storage.store import ResultLine, Store


@dataclass(slots=True)
class SeasonCar:
    series_slug: str
    year: int
    number: str
    team: str | None
    car: str | None
    car_class: str | None
    crews: list[tuple[str, ...]]


@dataclass(slots=True)
class DriverProfile:
    driver_id: int
    name: str
    seasons: list[SeasonCar]
    recent: list[tuple[str, str, ResultLine | None]]  # (series, event, the car's race result)
    positions: list[tuple[str, str, int | None, float]]  # (series, table, position, points)


async def driver_profile(store: Store, driver_id: int, name: str) -> DriverProfile:
    from bot.standings.results import results_table

    entries = await store.driver_entries(driver_id)
    latest_year: dict[str, int] = {}
    for e in entries:
        latest_year[e.series_slug] = max(latest_year.get(e.series_slug, 0), e.year)
    cars: dict[tuple[str, int, str], SeasonCar] = {}
    for e in entries:
        if e.year != latest_year[e.series_slug]:
            continue
        key = (e.series_slug, e.year, e.number)
        car = cars.setdefault(key, SeasonCar(e.series_slug, e.year, e.number, e.team, e.car, e.car_class, []))
        crew = tuple(c for c in e.crew if c != name)
        if crew and frozenset(crew) not in {frozenset(c) for c in car.crews}:
            car.crews.append(crew)
    recent: list[tuple[str, str, ResultLine | None]] = []
    for e in entries[-3:][::-1]:
        try:
            table = await results_table(store, e.series_slug, e.year, e.event_name, "race")
        except NotFound:
            recent.append((e.series_slug, e.event_name, None))
            continue
        line = next((r for r in table.rows if name in r.crew), None)
        recent.append((e.series_slug, e.event_name, line))
    positions: list[tuple[str, str, int | None, float]] = []
    for slug, year in latest_year.items():
        data = await store.season_data(slug, year)
        if data is None:
            continue
        champ = data.championship()
        if champ is None:
            continue
        result = standings(data, champ, "drivers")
        if result is None:
            continue
        for class_name, rows in result.classes.items():
            for row in rows:
                if row.subject_id == driver_id:
                    label = f"{champ.name} {class_name}".strip()
                    positions.append((slug, label, row.position, row.points))
    return DriverProfile(
        driver_id, name, sorted(cars.values(), key=lambda c: (-c.year, c.series_slug)), recent, positions
    )

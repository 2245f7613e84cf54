"""What a race summary says: each followed driver's outcome, class winners and poles, titles decided.

Plain async Python over the store: no Telegram, and the time is always an argument.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from bot.core.rides import Ride
from bot.standings.engine import SeasonData, StandingRow, Standings, decided_titles, progression
from bot.standings.rules import ChampionshipDef
from storage.results import ResultLine
from storage.schedule import SessionRef
from storage.store import Store


@dataclass(slots=True)
class DriverOutcome:
    """One followed driver's race, as the summary tells it."""

    driver_id: int
    ride: Ride
    position: int | None
    class_position: int | None
    status: str
    laps: int | None
    status_detail: str | None
    class_pole: bool
    fastest_in_class: bool
    championship: str | None = None
    points: float | None = None  # scored at this event in that championship
    standing_before: int | None = None
    standing_after: int | None = None
    standing_points: float | None = None
    # Several classes in the race: the headline tells the class result ("Class win", "P3 in Bronze Cup").
    class_race: bool = False
    # Titles this race decided for the driver, and those their car's team took without them (a driver who
    # did not race every round is no class champion when their car and team are).
    titles: list[ClinchedTitle] = field(default_factory=list)
    car_titles: list[ClinchedTitle] = field(default_factory=list)


@dataclass(slots=True)
class ClinchedTitle:
    championship: str
    car_class: str
    drivers: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    driver_ids: set[int] = field(default_factory=set)
    team_cars: dict[str, set[str]] = field(default_factory=dict)  # holder team (casefolded) → its scoring cars

    def held_by_car(self, ride: Ride) -> bool:
        """The title went to the team of this car, and this car scored for it."""
        return ride.number in self.team_cars.get((ride.team or "").casefold(), set())


@dataclass(slots=True)
class RaceSummary:
    session: SessionRef
    outcomes: list[DriverOutcome]
    class_winners: list[ResultLine]
    titles: list[ClinchedTitle]


def standing_row(standings: Standings | None, car_class: str, subject_id: int) -> StandingRow | None:
    if standings is None:
        return None
    return next((r for r in standings.classes.get(car_class, []) if r.subject_id == subject_id), None)


def _steps_around(data: SeasonData, champ: ChampionshipDef, event_id: int) -> tuple[Standings | None, Standings | None]:
    steps = data.progressions.get((champ.key, "drivers"))
    if steps is None:
        steps = data.progressions[(champ.key, "drivers")] = progression(data, champ, "drivers")
    for index, step in enumerate(steps):
        if step.after_event and step.after_event.id == event_id:
            return (steps[index - 1] if index else None), step
    return None, None


def clinched_titles(data: SeasonData, event_id: int, classes: set[str]) -> list[ClinchedTitle]:
    """Titles decided by this event that were not decided before it, for the given classes."""
    out: dict[tuple[str, str], ClinchedTitle] = {}
    for champ in data.championships:
        events = [e for e in data.events if champ.rules.event_tags is None or set(champ.rules.event_tags) & set(e.tags)]
        ids = [e.id for e in events]
        if event_id not in ids:
            continue
        counted = [s.after_event.id for s in progression_cached(data, champ) if s.after_event]
        position = counted.index(event_id) if event_id in counted else None
        previous = counted[position - 1] if position else None
        for subject in champ.rules.subjects:
            now = decided_titles(data, champ, subject, event_id)
            before = {t.car_class for t in decided_titles(data, champ, subject, previous)} if previous else set()
            for title in now:
                if title.car_class in before or (champ.rules.per_class and title.car_class not in classes):
                    continue
                entry = out.setdefault((champ.name, title.car_class), ClinchedTitle(champ.name, title.car_class))
                names = [h.name for h in title.holders]
                (entry.drivers if subject == "drivers" else entry.teams).extend(names)
                for holder in title.holders:
                    if subject == "drivers":
                        entry.driver_ids.add(holder.subject_id)
                    else:
                        entry.team_cars.setdefault(holder.name.casefold(), set()).update(holder.entries)
    return list(out.values())


def progression_cached(data: SeasonData, champ: ChampionshipDef) -> list[Standings]:
    key = (champ.key, "drivers")
    if key not in data.progressions:
        data.progressions[key] = progression(data, champ, "drivers")
    return data.progressions[key]


async def race_summary(store: Store, session_id: int, driver_ids: AbstractSet[int]) -> RaceSummary | None:
    """What a chat following `driver_ids` is told once a race's results are in."""
    session = await store.schedule.session_ref(session_id)
    if session is None or session.kind not in ("race", "sprint"):
        return None  # stages (Spa after 6 hours) and qualifying get no summary
    results = await store.results.session_results(session.event_id, session.key)
    if not results:
        return None
    data = await store.results.season_data(session.series_slug, session.year)
    champ = data.championship() if data else None
    before, after = _steps_around(data, champ, session.event_id) if data and champ else (None, None)
    pole_cars = await _class_poles(store, session)
    fastest = _fastest_in_class(results)
    outcomes: list[DriverOutcome] = []
    for line in results:
        for driver_id, name in zip(line.crew_ids, line.crew, strict=False):
            if driver_id not in driver_ids:
                continue
            car_class = line.car_class or ""
            row_after = standing_row(after, car_class if champ and champ.rules.per_class else "", driver_id)
            row_before = standing_row(before, car_class if champ and champ.rules.per_class else "", driver_id)
            outcomes.append(
                DriverOutcome(
                    driver_id,
                    Ride.of(name, line),
                    line.position,
                    line.class_position,
                    line.status,
                    line.laps,
                    line.status_detail,
                    line.number in pole_cars,
                    line.number in fastest,
                    champ.name if champ else None,
                    (row_after.points - (row_before.points if row_before else 0.0)) if row_after else None,
                    row_before.position if row_before else None,
                    row_after.position if row_after else None,
                    row_after.points if row_after else None,
                )
            )
    several_classes = len({r.car_class for r in results if r.car_class}) > 1
    winners = [r for r in results if r.class_position == 1 and r.car_class] if several_classes else []
    # A chat hears of the titles in its drivers' classes; a series follower of every class's.
    classes = (
        {o.ride.car_class for o in outcomes if o.ride.car_class}
        if driver_ids
        else {r.car_class for r in results if r.car_class}
    )
    titles = clinched_titles(data, session.event_id, classes) if data else []
    for outcome in outcomes:
        outcome.class_race = several_classes
        outcome.titles = [t for t in titles if outcome.driver_id in t.driver_ids]
        outcome.car_titles = [
            t for t in titles if outcome.driver_id not in t.driver_ids and t.held_by_car(outcome.ride)
        ]
    return RaceSummary(session, outcomes, winners, titles)


async def _class_poles(store: Store, session: SessionRef) -> set[str]:
    """Car numbers that took their class's pole in the qualifying that set this race's grid."""
    for event_session in await store.schedule.event_sessions(session.event_id):
        if event_session.kind != "qualifying":
            continue
        grid = await store.schedule.session_grid_info(session.event_id, event_session.key)
        if grid is None or not grid.sets_grid or grid.parent_key not in (session.key, None):
            continue
        lines = await store.results.session_results(session.event_id, event_session.key)
        return {r.number for r in lines if r.class_position == 1 and r.status == "classified"}
    return set()


def _fastest_in_class(results: list[ResultLine]) -> set[str]:
    best: dict[str | None, ResultLine] = {}
    for line in results:
        if line.best_lap_ms is None:
            continue
        current = best.get(line.car_class)
        if current is None or (current.best_lap_ms or 0) > line.best_lap_ms:
            best[line.car_class] = line
    return {line.number for line in best.values()}

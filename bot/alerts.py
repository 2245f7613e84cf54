"""Deciding what to tell whom about a session: recipients, reminders and race summaries.

Plain async Python over the store: no Telegram, and the time is always an argument.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.chat_settings import DEFAULTS
from bot.rides import Ride
from bot.standings.engine import SeasonData, StandingRow, Standings, decided_titles, progression
from bot.standings.rules import ChampionshipDef
from storage.drivers import DriverEntry
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


def _row(standings: Standings | None, car_class: str, subject_id: int) -> StandingRow | None:
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
            row_after = _row(after, car_class if champ and champ.rules.per_class else "", driver_id)
            row_before = _row(before, car_class if champ and champ.rules.per_class else "", driver_id)
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


_NOBODY: frozenset[int] = frozenset()


@dataclass(slots=True)
class SummaryPlan:
    """One race's summaries: the outcomes computed once, and who gets which part of them."""

    summary: RaceSummary
    chats: dict[int, frozenset[int]]  # chat → its followed drivers in the race (empty: series/team follower)

    def for_chat(self, chat_id: int) -> RaceSummary:
        drivers = self.chats.get(chat_id, _NOBODY)
        outcomes = [o for o in self.summary.outcomes if o.driver_id in drivers]
        classes = {o.ride.car_class or "" for o in outcomes}
        # A title without classes (F1's) concerns every follower of the series.
        titles = [t for t in self.summary.titles if not drivers or not t.car_class or t.car_class in classes]
        return RaceSummary(self.summary.session, outcomes, self.summary.class_winners, titles)


async def plan_summaries(store: Store, session_id: int) -> SummaryPlan | None:
    chats = await recipients(store, session_id)
    everyone: set[int] = set().union(*set(chats.values())) if chats else set()
    summary = await race_summary(store, session_id, everyone)
    if summary is None:
        return None
    return SummaryPlan(summary, chats)


async def recipients(store: Store, session_id: int) -> dict[int, frozenset[int]]:
    """chat id → the followed drivers it has in this session (empty: it follows the series or a team)."""
    out: dict[int, frozenset[int]] = {}
    # Most chats have one driver in a race: they share one frozenset per driver instead of a set each.
    alone: dict[int, frozenset[int]] = {}
    for follower in await store.chats.followers_of_session(session_id):
        chat_id, driver_id = follower.chat_id, follower.driver_id
        current = out.get(chat_id, _NOBODY)
        if driver_id is None or driver_id in current:
            out.setdefault(chat_id, current)
        elif not current:
            out[chat_id] = alone.get(driver_id) or alone.setdefault(driver_id, frozenset((driver_id,)))
        else:
            out[chat_id] = current | {driver_id}
    return out


# --- reminders ------------------------------------------------------------------------------------

DEFAULT_LEAD_MINUTES = DEFAULTS.reminder_minutes  # kept for older imports; the default lives in bot/core


@dataclass(slots=True)
class ReminderCar:
    ride: Ride
    grid: int | None = None
    class_grid: int | None = None
    standing: int | None = None
    championship: str | None = None
    standing_class: str | None = None


@dataclass(slots=True)
class Reminder:
    session: SessionRef
    lead_minutes: int
    cars: list[ReminderCar]


def due_at(start_utc: str, lead_minutes: int) -> datetime:
    start = datetime.fromisoformat(start_utc.replace("Z", "+00:00"))
    return start - timedelta(minutes=lead_minutes)


async def reminder(store: Store, session_id: int, driver_ids: AbstractSet[int], lead_minutes: int) -> Reminder | None:
    content = await ReminderContent.load(store, session_id)
    if content is None:
        return None  # time TBC: reminded once the time is known
    await content.ensure(driver_ids)
    return Reminder(content.session, lead_minutes, content.cars(driver_ids))


class ReminderContent:
    """What a session's reminders say about each driver, worked out once for every chat: the entry list, the
    grid and the standings going in are read once, and each driver's cars come from them."""

    def __init__(
        self,
        store: Store,
        session: SessionRef,
        lines: list[ResultLine],
        grid: dict[str, ResultLine],
        champ: ChampionshipDef | None,
        table: Standings | None,
    ) -> None:
        self.store, self.session = store, session
        self._per_class = bool(champ and champ.rules.per_class)
        self._champ_name = champ.name if champ else None
        self._table = table
        self.has_entries = bool(lines)
        # driver → ((place in the entry list, place in the crew), car); several cars when a driver has two.
        self._cars: dict[int, list[tuple[tuple[int, int], ReminderCar]]] = {}
        for index, line in enumerate(lines):
            for seat, (driver_id, name) in enumerate(zip(line.crew_ids, line.crew, strict=False)):
                quali = grid.get(line.number)
                self._cars.setdefault(driver_id, []).append(((index, seat), self._car(name, line, driver_id, quali)))

    @classmethod
    async def load(cls, store: Store, session_id: int) -> ReminderContent | None:
        session = await store.schedule.session_ref(session_id)
        if session is None or session.start_utc is None:
            return None
        lines = await store.results.event_entries(session.event_id)
        grid_lines: list[ResultLine] = []
        for event_session in await store.schedule.event_sessions(session.event_id):
            info = await store.schedule.session_grid_info(session.event_id, event_session.key)
            if (
                event_session.kind == "qualifying"
                and event_session.results_status != "none"
                and info
                and info.sets_grid
                and info.parent_key in (session.key, None)
            ):
                grid_lines = await store.results.session_results(session.event_id, event_session.key)
        data = await store.results.season_data(session.series_slug, session.year)
        champ = data.championship() if data else None
        table = None
        if data and champ:
            # The standings going into this race: before its own event if that already has results.
            steps = progression_cached(data, champ)
            earlier = [s for s in steps if s.after_event and s.after_event.id != session.event_id]
            own = next((i for i, s in enumerate(steps) if s.after_event and s.after_event.id == session.event_id), None)
            table = (steps[own - 1] if own else None) if own is not None else (earlier[-1] if earlier else None)
        return cls(store, session, lines, {r.number: r for r in grid_lines}, champ, table)

    def _car(self, name: str, entry: ResultLine | DriverEntry, driver_id: int, quali: ResultLine | None) -> ReminderCar:
        car_class = entry.car_class if self._per_class else None
        row = _row(self._table, (car_class or "") if self._per_class else "", driver_id)
        return ReminderCar(
            Ride.of(name, entry),
            quali.position if quali else None,
            quali.class_position if quali else None,
            row.position if row else None,
            self._champ_name,
            car_class,
        )

    async def ensure(self, driver_ids: AbstractSet[int]) -> None:
        """Without an entry list, each driver's latest car this season, as /next shows it (read per driver,
        once, only for drivers somebody follows)."""
        if self.has_entries:
            return
        for driver_id in sorted(set(driver_ids) - self._cars.keys()):
            known = [
                e
                for e in await self.store.drivers.driver_entries(driver_id)
                if e.series_slug == self.session.series_slug and e.year == self.session.year
            ]
            if not known:
                self._cars[driver_id] = []
                continue
            name = await self.store.drivers.driver_name(driver_id) or "?"
            self._cars[driver_id] = [((0, driver_id), self._car(name, known[-1], driver_id, None))]

    def driver_ids(self) -> list[int]:
        return list(self._cars)

    def placed(self, driver_id: int) -> list[tuple[tuple[int, int], ReminderCar]]:
        """The driver's cars with their place in the message (entry-list order)."""
        return self._cars.get(driver_id, [])

    def cars(self, driver_ids: AbstractSet[int]) -> list[ReminderCar]:
        found = sorted((p for d in driver_ids for p in self.placed(d)), key=lambda p: p[0])
        return [car for _, car in found]

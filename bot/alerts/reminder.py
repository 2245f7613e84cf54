"""What a reminder says: each followed driver's car, grid and standing before a session.

Plain async Python over the store: no Telegram, and the time is always an argument.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.alerts.summary import progression_cached, standing_row
from bot.core.rides import Ride
from bot.standings.engine import Standings
from bot.standings.rules import ChampionshipDef
from storage.drivers import DriverEntry
from storage.results import ResultLine
from storage.schedule import SessionRef
from storage.store import Store


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
        row = standing_row(self._table, (car_class or "") if self._per_class else "", driver_id)
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

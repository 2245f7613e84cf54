"""The chat's drivers and their cars in upcoming sessions (/next, /calendar)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.rides import Ride
from storage.store import DriverEntry, Store, UpcomingRow


@dataclass(frozen=True, slots=True)
class CarInfo:
    ride: Ride
    confirmed: bool  # False: the latest known car, no entry list for this event yet


@dataclass(slots=True)
class UpcomingSession:
    row: UpcomingRow
    cars: list[CarInfo]

    @property
    def start(self) -> datetime | None:
        if self.row.start_utc is None:
            return None
        return datetime.fromisoformat(self.row.start_utc.replace("Z", "+00:00"))


async def _driver_entries(store: Store, driver_ids: set[int]) -> dict[int, list[DriverEntry]]:
    return {d: await store.driver_entries(d) for d in driver_ids}


async def chat_series(store: Store, chat_id: int) -> list[str]:
    """Series the chat follows, directly or through its drivers and teams (most recent first)."""
    follows = await store.chats.follows(chat_id)
    by_year: dict[str, int] = {}
    all_series = {s.id: s for s in await store.series()}
    for f in follows:
        if f.kind == "series" and f.target_id in all_series:
            by_year[all_series[f.target_id].slug] = 9999
        elif f.kind == "driver":
            for entry in await store.driver_entries(f.target_id):
                by_year[entry.series_slug] = max(by_year.get(entry.series_slug, 0), entry.year)
        elif f.kind == "team":
            for slug in await store.team_series(f.target_id):
                by_year.setdefault(slug, 0)
    return sorted(by_year, key=lambda s: -by_year[s])


async def upcoming_for_chat(store: Store, chat_id: int, now: datetime, limit: int = 8) -> list[UpcomingSession]:
    follows = await store.chats.follows(chat_id)
    drivers = {f.target_id: f.name for f in follows if f.kind == "driver"}
    all_series = {s.id: s for s in await store.series()}
    followed_series = {
        all_series[f.target_id].slug for f in follows if f.kind == "series" and f.target_id in all_series
    }
    entries = await _driver_entries(store, set(drivers))
    series = set(followed_series)
    for driver_entries in entries.values():
        series |= {e.series_slug for e in driver_entries}
    rows = await store.upcoming(
        now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        now.astimezone(UTC).date().isoformat(),
        sorted(series),
        limit=400,
    )
    out: list[UpcomingSession] = []
    for row in rows:
        cars: list[CarInfo] = []
        for driver_id, name in drivers.items():
            same_season = [e for e in entries[driver_id] if e.series_slug == row.series_slug and e.year == row.year]
            if not same_season:
                continue
            at_event = [e for e in same_season if e.event_id == row.event_id]
            entry = at_event[0] if at_event else same_season[-1]
            cars.append(CarInfo(Ride.of(name, entry), bool(at_event)))
        if cars or row.series_slug in followed_series:
            out.append(UpcomingSession(row, cars))
        if len(out) >= limit:
            break
    return out

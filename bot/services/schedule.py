"""What /calendar and /next show: the sessions of a season or of the weekends ahead, read once from the store
and placed against one clock, so a round is raced, dated or "time TBC" in the same way wherever it is shown.

A session is past when its start has come, or (its time unknown) when its day, or else its event's last day,
is over where the event takes place; results count as "raced" only from the event's first day on, so a replayed
season whose results are all stored still has a future at a moment in its middle. The chat's drivers get
their own car of that event; an event whose entry list the store does not hold yet gets the driver's team
and car from the nearest round of the season and no crew (a crew is never borrowed from another round).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.rides import Ride
from storage.drivers import DriverEntry
from storage.store import Store
from storage.timetable import TimetableRow

MAX_WEEKENDS = 3  # /next: the weekends ahead shown at once
# Classifications computed from other sessions, not sessions on track: nothing to attend, no time to give.
DERIVED_SESSIONS = frozenset({"combined-qualifying"})


class CarState(Enum):
    ENTERED = "entered"  # on this event's entry list: its own car and crew
    NOT_ANNOUNCED = "not-announced"  # no entry list for this event yet: team and car of the season, no crew
    NOT_ENTERED = "not-entered"  # the event's entry list is out and the driver is not on it


class WeekendState(Enum):
    AHEAD = "ahead"  # at least one session still to come
    DONE = "done"  # every session past and results stored
    NO_RESULTS = "no-results"  # every session past, no results stored
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class CarInfo:
    ride: Ride  # NOT_ANNOUNCED: number empty, no co-drivers
    state: CarState = CarState.ENTERED

    @property
    def confirmed(self) -> bool:
        return self.state is CarState.ENTERED


@dataclass(frozen=True, slots=True)
class Session:
    row: TimetableRow
    start: datetime | None  # UTC, when the time is known
    day: date | None  # the session's own local day, when known
    past: bool

    @property
    def cancelled(self) -> bool:
        return self.row.status == "cancelled"


@dataclass(slots=True)
class Weekend:
    """One event (race weekend) with its sessions in order."""

    series_slug: str
    series_name: str
    year: int
    event_id: int
    key: str
    name: str
    round: int | None
    timezone: str | None  # where it takes place
    first_day: date | None
    last_day: date | None
    sessions: list[Session]
    cars: list[CarInfo] = field(default_factory=list)

    @property
    def ahead(self) -> list[Session]:
        """The sessions still to come (cancelled ones too: that they will not happen is news)."""
        return [s for s in self.sessions if not s.past]

    @property
    def state(self) -> WeekendState:
        live = [s for s in self.sessions if not s.cancelled]
        if not live:
            return WeekendState.CANCELLED
        if any(not s.past for s in live):
            return WeekendState.AHEAD
        if any(s.row.results_status != "none" for s in live):
            return WeekendState.DONE
        return WeekendState.NO_RESULTS

    def next_moment(self) -> datetime:
        """When the next session starts, as far as known (for ordering weekends across series); a day without a
        time counts from its start where the event takes place."""
        zone = _zone(self.timezone)
        for s in self.ahead:
            if s.start is not None:
                return s.start
            if s.day is not None:
                return datetime.combine(s.day, time(), tzinfo=zone)
        if self.first_day is not None:
            return datetime.combine(self.first_day, time(), tzinfo=zone)
        return datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class SeasonCalendar:
    series_id: int
    series_slug: str
    series_name: str
    year: int
    years: tuple[int, ...]  # every season of the series the store holds
    weekends: list[Weekend]

    @property
    def previous_year(self) -> int | None:
        return max((y for y in self.years if y < self.year), default=None)

    @property
    def next_year(self) -> int | None:
        return min((y for y in self.years if y > self.year), default=None)


_KIND_ORDER = {"practice": 0, "qualifying": 1, "sprint": 2, "race": 3}


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _over(day: date, zone: ZoneInfo, now: datetime) -> bool:
    """The local day has ended."""
    return now >= datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)


def _begun(day: date, zone: ZoneInfo, now: datetime) -> bool:
    return now >= datetime.combine(day, time(), tzinfo=zone)


def _session(row: TimetableRow, now: datetime) -> Session:
    zone = _zone(row.timezone)
    start = datetime.fromisoformat(row.start_utc.replace("Z", "+00:00")) if row.start_utc else None
    day = _day(row.start_date)
    if day is None and start is not None:
        day = start.astimezone(zone).date()
    raced = row.results_status != "none"
    first, last = _day(row.event_start), _day(row.event_end)
    if start is not None:
        past = start <= now
    elif day is not None:
        past = _over(day, zone, now) or (raced and _begun(day, zone, now))
    elif last is not None:
        past = _over(last, zone, now) or (raced and _begun(first or last, zone, now))
    else:
        past = raced  # nothing dated: results are all we know
    return Session(row, start, day, past)


def _order(sessions: list[Session]) -> list[Session]:
    if all(s.start is not None for s in sessions):
        return sorted(sessions, key=lambda s: (s.start, s.row.session_id))
    # Times missing: the weekend's usual order (practice, qualifying, sprint, race), by day where known.
    return sorted(
        sessions,
        key=lambda s: (s.day or date.max, _KIND_ORDER.get(s.row.kind, 9), s.row.session_key, s.row.session_id),
    )


def weekends(rows: list[TimetableRow], now: datetime) -> list[Weekend]:
    """The rows (event by event, as storage/timetable.py reads them) grouped into weekends, placed against `now`."""
    by_event: dict[int, list[TimetableRow]] = {}
    for row in rows:
        if row.session_key in DERIVED_SESSIONS:
            continue
        by_event.setdefault(row.event_id, []).append(row)
    out = []
    for event_rows in by_event.values():
        head = event_rows[0]
        sessions = _order([_session(r, now) for r in event_rows])
        days = [s.day for s in sessions if s.day is not None]
        first = _day(head.event_start) or (min(days) if days else None)
        last = _day(head.event_end) or (max(days) if days else first)
        out.append(
            Weekend(
                head.series_slug,
                head.series_name,
                head.year,
                head.event_id,
                head.event_key,
                head.event_name,
                head.round,
                head.timezone,
                first,
                last,
                sessions,
            )
        )
    return out


def default_season(years: tuple[int, ...], now: datetime) -> int | None:
    """The season running at `now` if the store holds it, else the latest it holds."""
    if not years:
        return None
    return now.year if now.year in years else max(years)


async def season_calendar(store: Store, series_slug: str, year: int, now: datetime) -> SeasonCalendar | None:
    series = await store.series.find(series_slug)
    if series is None:
        return None
    rows = await store.timetable.season(series.slug, year)
    return SeasonCalendar(series.id, series.slug, series.name, year, series.years, weekends(rows, now))


async def chat_series(store: Store, chat_id: int) -> list[str]:
    """Series the chat follows, directly or through its drivers and teams (most recent first)."""
    follows = await store.chats.follows(chat_id)
    by_year: dict[str, int] = {}
    all_series = {s.id: s for s in await store.series.all()}
    for f in follows:
        if f.kind == "series" and f.target_id in all_series:
            by_year[all_series[f.target_id].slug] = 9999
        elif f.kind == "driver":
            for entry in await store.drivers.driver_entries(f.target_id):
                by_year[entry.series_slug] = max(by_year.get(entry.series_slug, 0), entry.year)
        elif f.kind == "team":
            for slug in await store.drivers.team_series(f.target_id):
                by_year.setdefault(slug, 0)
    return sorted(by_year, key=lambda s: -by_year[s])


def _season_car(name: str, season: list[DriverEntry], weekend: Weekend) -> CarInfo:
    """No entry list for this event yet: the team and car of the driver's nearest round of the season before
    it (else after it), without number, class or crew, which change from round to round."""
    day = weekend.first_day.isoformat() if weekend.first_day else "9999-12-31"
    before = [e for e in season if (e.event_date or "") <= day]
    nearest = before[-1] if before else season[0]
    return CarInfo(Ride(name, "", nearest.team, nearest.car, None, ()), CarState.NOT_ANNOUNCED)


def cars_at(
    weekend: Weekend, drivers: dict[int, str], entries: dict[int, list[DriverEntry]], has_entry_list: bool
) -> list[CarInfo]:
    """The chat's drivers at one weekend, by name; drivers who do not race that series that season are left out."""
    cars: list[CarInfo] = []
    for driver_id, name in sorted(drivers.items(), key=lambda d: d[1]):
        season = [e for e in entries[driver_id] if e.series_slug == weekend.series_slug and e.year == weekend.year]
        if not season:
            continue
        own = [e for e in season if e.event_id == weekend.event_id]
        if own:
            cars += [CarInfo(Ride.of(name, e), CarState.ENTERED) for e in own]
        elif has_entry_list:
            cars.append(CarInfo(Ride(name, "", None, None, None, ()), CarState.NOT_ENTERED))
        else:
            cars.append(_season_car(name, season, weekend))
    return cars


async def weekends_ahead(
    store: Store, chat_id: int, now: datetime, series_slug: str | None = None, limit: int = MAX_WEEKENDS
) -> list[Weekend]:
    """The next weekends of `series_slug`, or of what the chat follows (its series, and its drivers' series
    where a driver races), with the chat's drivers' cars."""
    follows = await store.chats.follows(chat_id)
    drivers = {f.target_id: f.name for f in follows if f.kind == "driver"}
    entries = {d: await store.drivers.driver_entries(d) for d in drivers}
    all_series = {s.id: s for s in await store.series.all()}
    followed = {all_series[f.target_id].slug for f in follows if f.kind == "series" and f.target_id in all_series}
    if series_slug is not None:
        wanted, shown_anyway = {series_slug}, {series_slug}
    else:
        wanted = followed | {e.series_slug for driver_entries in entries.values() for e in driver_entries}
        shown_anyway = followed
    # A day's margin: an event that ended yesterday in UTC may still be running where it takes place.
    since = (now.astimezone(UTC).date() - timedelta(days=1)).isoformat()
    found = [w for w in weekends(await store.timetable.from_day(sorted(wanted), since), now) if w.ahead]
    found = [w for w in found if any(not s.cancelled for s in w.ahead)]
    found.sort(key=lambda w: (w.next_moment(), w.event_id))
    listed = await store.timetable.events_with_entries([w.event_id for w in found])
    out: list[Weekend] = []
    for weekend in found:
        weekend.cars = cars_at(weekend, drivers, entries, weekend.event_id in listed)
        racing = any(c.state is not CarState.NOT_ENTERED for c in weekend.cars)
        if racing or weekend.series_slug in shown_anyway:
            out.append(weekend)
        if len(out) >= limit:
            break
    return out

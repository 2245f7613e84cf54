"""What the bot's commands ask, as plain async functions over the store (no Telegram here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from rapidfuzz import fuzz, process, utils

from bot.ingest.definitions import ensure_shipped
from bot.names import name_key
from bot.rides import Ride
from bot.search import DriverMatch, search_drivers
from bot.standings.engine import standings
from bot.standings.service import NotFound
from storage.store import DriverEntry, ResultLine, Store, UpcomingRow

FollowKind = Literal["driver", "team", "series"]


@dataclass(frozen=True, slots=True)
class Target:
    kind: FollowKind
    id: int
    name: str


@dataclass(slots=True)
class FollowSearch:
    """One clear match, several to choose from, or none with suggestions."""

    exact: Target | None = None
    choices: list[Target] = field(default_factory=list)


def parse_follow_query(text: str) -> tuple[FollowKind, str]:
    words = text.strip().split(maxsplit=1)
    if len(words) == 2 and words[0].casefold() in ("series", "serie", "team", "driver", "fahrer"):
        kind = {"serie": "series", "fahrer": "driver"}.get(words[0].casefold(), words[0].casefold())
        return kind, words[1]  # type: ignore[return-value]
    return "driver", text.strip()


async def find_targets(store: Store, kind: FollowKind, query: str) -> FollowSearch:
    if not name_key(query):
        return FollowSearch()
    if kind == "driver":
        matches = await search_drivers(store, query, limit=6)
        return _decide([Target("driver", m.driver_id, m.name) for m in matches], [m.score for m in matches])
    if kind == "team":
        teams = await store.chats.teams()
        keys = [name_key(t.name) for t in teams]
        found = process.extract(
            name_key(query), keys, scorer=fuzz.WRatio, processor=utils.default_process, limit=12, score_cutoff=70
        )
        seen: dict[str, tuple[Target, float]] = {}
        for _, score, index in found:
            team = teams[index]
            # One team name can stand for several identities (F1 constructor and an SRO team): show it once.
            if keys[index] not in seen:
                seen[keys[index]] = (Target("team", team.team_id, team.name), float(score))
        ranked = sorted(seen.values(), key=lambda item: -item[1])[:6]
        return _decide([t for t, _ in ranked], [s for _, s in ranked])
    series = await store.series()
    wanted = query.casefold().strip()
    exact = [s for s in series if wanted in (s.slug, s.name.casefold())]
    if exact:
        return FollowSearch(exact=Target("series", exact[0].id, exact[0].name))
    scored = [(s, max(fuzz.partial_ratio(wanted, s.slug), fuzz.WRatio(wanted, s.name.casefold()))) for s in series]
    ranked_series = sorted((x for x in scored if x[1] >= 60), key=lambda x: -x[1])
    return _decide([Target("series", s.id, s.name) for s, _ in ranked_series], [float(v) for _, v in ranked_series])


def _decide(targets: list[Target], scores: list[float]) -> FollowSearch:
    if not targets:
        return FollowSearch()
    clear = scores[0] >= 95 and (len(scores) == 1 or scores[1] < scores[0] - 5 or scores[0] >= 99.5 > scores[1])
    if clear or (len(targets) == 1 and scores[0] >= 85):
        return FollowSearch(exact=targets[0])
    return FollowSearch(choices=targets)


async def suggestions(store: Store, query: str) -> list[DriverMatch]:
    """The closest names when nothing matched well."""
    return await search_drivers(store, query, limit=3, cutoff=40.0)


# --- the chat's drivers and their cars -------------------------------------------------------


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


# --- results ------------------------------------------------------------------------------------


@dataclass(slots=True)
class RaceReport:
    series_name: str
    year: int
    event_name: str
    session_name: str
    podium: list[ResultLine]
    class_winners: list[ResultLine]
    followed: list[tuple[str, ResultLine]]  # (driver name, the car's result)
    results_status: str


async def race_report(store: Store, chat_id: int, series: str | None, event: str | None) -> RaceReport:
    from bot.standings.service import results_table

    slugs = [series] if series else await chat_series(store, chat_id)
    if not slugs:
        raise NotFound("NO_SERIES")
    found = await store.find_series(slugs[0])
    if found is None:
        raise NotFound(f"Unknown series {slugs[0]!r}.")
    if event:
        table = await results_table(store, found.slug, None, event, "race")
    else:
        if found.years:
            # The race order needs the calendar: a results-only season gets the shipped one first.
            await ensure_shipped(store, found.slug, max(found.years))
        last = await store.last_race(found.slug)
        if last is None:
            raise NotFound("NO_RESULTS")
        # The latest race of that season in which the chat's drivers or teams had a car, else the season's last.
        follows = await store.chats.follows(chat_id)
        latest_mine = await store.last_race(
            found.slug,
            last[0],
            frozenset(f.target_id for f in follows if f.kind == "driver"),
            frozenset(f.target_id for f in follows if f.kind == "team"),
        )
        year, event_id, session_key = latest_mine or last
        names = await store.event_name(event_id)
        assert names is not None
        table = await results_table(store, found.slug, year, names[1], session_key)
    followed_names = {f.name for f in await store.chats.follows(chat_id) if f.kind == "driver"}
    classes = {r.car_class for r in table.rows if r.car_class}
    winners = [r for r in table.rows if r.class_position == 1 and r.car_class] if len(classes) > 1 else []
    mine = [(name, r) for r in table.rows for name in r.crew if name in followed_names]
    return RaceReport(
        table.series_name,
        table.year,
        table.event_name,
        table.session_name,
        [r for r in table.rows if r.position in (1, 2, 3)],
        winners,
        mine,
        table.results_status,
    )


# --- standings ----------------------------------------------------------------------------------


# --- driver profile -----------------------------------------------------------------------------


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
    from bot.standings.service import results_table

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

"""Jolpica-F1 (https://api.jolpi.ca/ergast/f1/, Ergast-compatible JSON): the schedule, race, sprint and
qualifying results and the official driver and constructor standings of a season, as the same records the
Ergast CSV importer (bot/ingest/importers/ergast.py) makes of the dump.

Identity: Jolpica's `driverId` / `constructorId` are Ergast's `driverRef` / `constructorRef`, so drivers
and teams carry the source ids of the Ergast namespace, and a store filled from the dump and one synced
from Jolpica name the same people the same way.

Every page is checked before anything is used: the `MRData` envelope, `limit`/`offset`/`total` as the
request asked, as many rows as `total` promises, the keys each record needs. A page that fails any of
that raises `ProviderError` naming its URL, and the sync writes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.core.records import (
    DriverRec,
    EntryRec,
    EventRec,
    ImportBatch,
    OfficialStandingRec,
    ResultRec,
    SeasonRec,
    SessionRec,
    TeamRec,
)
from bot.ingest.importers.ergast import POSITION_TEXT
from bot.ingest.providers.client import HttpClient, ProviderError, parse_json

SOURCE = "jolpica"
ID_SOURCE = "ergast"  # the namespace of its driver and constructor ids
DEFAULT_URL = "https://api.jolpi.ca/ergast/f1/"
PAGE_LIMIT = 100  # Jolpica's maximum
SERIES_SLUG, SERIES_NAME = "f1", "Formula 1"
# Schedule key → (session key, name, kind, sets_grid, parent_key), in a weekend's order.
SESSIONS = (
    ("FirstPractice", "fp1", "Practice 1", "practice", False, None),
    ("SecondPractice", "fp2", "Practice 2", "practice", False, None),
    ("SprintQualifying", "sprint-qualifying", "Sprint Qualifying", "qualifying", True, "sprint"),
    ("ThirdPractice", "fp3", "Practice 3", "practice", False, None),
    ("Qualifying", "qualifying", "Qualifying", "qualifying", True, "race"),
    ("Sprint", "sprint", "Sprint", "sprint", False, None),
)
RESULT_KEYS = {"results": "Results", "sprint": "SprintResults", "qualifying": "QualifyingResults"}
STANDINGS_KEYS = {"driverstandings": "DriverStandings", "constructorstandings": "ConstructorStandings"}

Progress = Callable[[str], None]


# --- reading checked values ------------------------------------------------------------------------------


class _Reader:
    """Reads one page's values, naming the page's URL in every complaint."""

    def __init__(self, url: str) -> None:
        self.url = url

    def fail(self, what: str) -> ProviderError:
        return ProviderError(self.url, f"malformed response: {what}")

    def obj(self, parent: Any, key: str, where: str) -> dict[str, Any]:
        value = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(value, dict):
            raise self.fail(f"{where} has no {key}")
        return value

    def items(self, parent: Any, key: str, where: str) -> list[dict[str, Any]]:
        value = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(f"{where} has no list {key}")
        return value

    def text(self, parent: dict[str, Any], key: str, where: str) -> str:
        value = parent.get(key)
        if not isinstance(value, str) or not value:
            raise self.fail(f"{where} has no {key}")
        return value

    def maybe(self, parent: dict[str, Any], key: str) -> str | None:
        value = parent.get(key)
        return value if isinstance(value, str) and value != "" else None

    def int(self, parent: dict[str, Any], key: str, where: str, required: bool = False) -> int | None:
        value = self.text(parent, key, where) if required else self.maybe(parent, key)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise self.fail(f"{where}: {key} {value!r} is not a whole number") from None

    def float(self, parent: dict[str, Any], key: str, where: str, required: bool = False) -> float | None:
        value = self.text(parent, key, where) if required else self.maybe(parent, key)
        if value is None:
            return None
        try:
            return float(value)
        except ValueError:
            raise self.fail(f"{where}: {key} {value!r} is not a number") from None


# --- fetching ----------------------------------------------------------------------------------------------


@dataclass
class Listing:
    """Every page of one endpoint, merged: races (with their result rows) or standings lists."""

    url: str
    items: list[dict[str, Any]]
    total: int


class JolpicaClient:
    def __init__(self, http: HttpClient, base_url: str = DEFAULT_URL) -> None:
        self.http = http
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"

    async def _page(self, path: str, offset: int) -> tuple[str, dict[str, Any], Any]:
        url = f"{self.base_url}{path}?limit={PAGE_LIMIT}&offset={offset}"
        got = await self.http.get(url)
        doc = parse_json(url, got.body)
        read = _Reader(url)
        data = read.obj(doc, "MRData", "the answer")
        return url, data, got

    async def listing(self, path: str, table_key: str, items_key: str, row_key: str | None) -> Listing:
        """All pages of `path`. `row_key`: the list inside each item that `total` counts (results of a
        race, standings of a list); None when the items themselves are counted (races)."""
        offset, total = 0, None
        items: list[dict[str, Any]] = []
        first_url = ""
        while True:
            url, data, got = await self._page(path, offset)
            read = _Reader(url)
            first_url = first_url or url
            limit = read.int(data, "limit", "MRData", required=True)
            page_offset = read.int(data, "offset", "MRData", required=True)
            page_total = read.int(data, "total", "MRData", required=True)
            assert limit is not None and page_offset is not None and page_total is not None
            if page_offset != offset:
                raise read.fail(f"offset {page_offset} where {offset} was asked for")
            if total is not None and page_total != total:
                raise read.fail(f"total changed from {total} to {page_total} between pages")
            total = page_total
            table = read.obj(data, table_key, "MRData")
            page = read.items(table, items_key, table_key)
            rows = sum(len(read.items(i, row_key, items_key)) for i in page) if row_key else len(page)
            expected = min(limit, total - offset) if total > offset else 0
            if rows != expected or limit <= 0:
                raise read.fail(f"{rows} rows on a page that should hold {expected} (total {total}, limit {limit})")
            self.http.remember(url, got)  # only a page that passed its checks is kept for conditional requests
            for item in page:
                if row_key and items and _same(items[-1], item):
                    items[-1][row_key].extend(item[row_key])  # one race cut across two pages
                else:
                    items.append(item)
            offset += rows
            if offset >= total:
                return Listing(first_url, items, total)

    async def schedule(self, season: int) -> Listing:
        return await self.listing(f"{season}/races/", "RaceTable", "Races", None)

    async def results(self, season: int, kind: str, round_: int | None = None) -> Listing:
        where = f"{season}/{round_}/{kind}/" if round_ is not None else f"{season}/{kind}/"
        return await self.listing(where, "RaceTable", "Races", RESULT_KEYS[kind])

    async def standings(self, season: int, kind: str, round_: int) -> Listing:
        return await self.listing(
            f"{season}/{round_}/{kind}/", "StandingsTable", "StandingsLists", STANDINGS_KEYS[kind]
        )


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a.get("round") == b.get("round") and a.get("season") == b.get("season")


# --- records -------------------------------------------------------------------------------------------


@dataclass
class SeasonData:
    """What a sync fetched for a season (any part may be missing: a round sync fetches only its round)."""

    season: int
    schedule: Listing | None = None
    results: dict[str, Listing] = field(default_factory=dict)  # results / sprint / qualifying
    standings: list[tuple[str, Listing]] = field(default_factory=list)  # (kind, one round's listing)


def _sub(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """An optional nested object, {} when absent."""
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _utc(date: str | None, time: str | None) -> str | None:
    if not date or not time:
        return None
    return f"{date}T{time[:8]}Z"


def event_key(read: _Reader, race: dict[str, Any]) -> tuple[int, str]:
    rnd = read.int(race, "round", "a race", required=True)
    assert rnd is not None
    circuit = read.obj(race, "Circuit", f"round {rnd}")
    return rnd, f"{rnd:02d}-{read.text(circuit, 'circuitId', f'round {rnd} Circuit')}"


def _event(read: _Reader, race: dict[str, Any], with_schedule: bool) -> EventRec:
    rnd, key = event_key(read, race)
    where = f"round {rnd}"
    circuit = read.obj(race, "Circuit", where)
    location = _sub(circuit, "Location")
    date = read.text(race, "date", where)
    event = EventRec(
        key=key,
        name=read.text(race, "raceName", where),
        round=rnd,
        circuit=read.maybe(circuit, "circuitName"),
        country=read.maybe(location, "country"),
    )
    if not with_schedule:
        return event
    event.start_date = read.maybe(_sub(race, "FirstPractice"), "date") or date
    event.end_date = date
    event.tags = ["sprint-weekend"] if isinstance(race.get("Sprint"), dict) else []
    for api_key, session_key, name, kind, sets_grid, parent in SESSIONS:
        moment = race.get(api_key)
        if moment is None:
            continue
        if not isinstance(moment, dict):
            raise read.fail(f"{where} {api_key} is not an object")
        day = read.text(moment, "date", f"{where} {api_key}")
        event.sessions.append(
            SessionRec(
                key=session_key,
                name=name,
                kind=kind,
                start_date=day,
                start_utc=_utc(day, read.maybe(moment, "time")),
                sets_grid=sets_grid,
                parent_key=parent,
            )
        )
    event.sessions.append(
        SessionRec(
            key="race", name="Race", kind="race", start_date=date, start_utc=_utc(date, read.maybe(race, "time"))
        )
    )
    return event


def _driver(read: _Reader, row: dict[str, Any], where: str) -> DriverRec:
    d = read.obj(row, "Driver", where)
    ref = read.text(d, "driverId", f"{where} Driver")
    first, last = read.maybe(d, "givenName") or "", read.text(d, "familyName", f"{where} Driver")
    return DriverRec(
        name=f"{first} {last}".strip(),
        first_name=first,
        last_name=last,
        source=ID_SOURCE,
        source_id=ref,
        nationality=read.maybe(d, "nationality"),
        birth_date=read.maybe(d, "dateOfBirth"),
    )


def _team(read: _Reader, row: dict[str, Any], where: str) -> TeamRec:
    c = read.obj(row, "Constructor", where)
    return TeamRec(
        name=read.text(c, "name", f"{where} Constructor"),
        source=ID_SOURCE,
        source_id=read.text(c, "constructorId", f"{where} Constructor"),
    )


class _Weekend:
    """One race weekend's entries and results, keyed as the CSV importer keys them."""

    def __init__(self, read: _Reader, event: EventRec, race_rows: list[dict[str, Any]]) -> None:
        self.read = read
        self.event = event
        where = f"round {event.round}"
        # A driver normally has one car per race; early shared drives give him two, told apart by number.
        self.per_driver = Counter(read.text(read.obj(r, "Driver", where), "driverId", where) for r in race_rows)
        self.entries: dict[str, EntryRec] = {e.key: e for e in event.entries}

    def entry_key(self, row: dict[str, Any], where: str) -> str:
        driver = _driver(self.read, row, where)
        ref = driver.source_id or ""
        number = self.read.maybe(row, "number") or ""
        key = ref if self.per_driver[ref] <= 1 else f"{ref}#{number}"
        if key not in self.entries:
            team = _team(self.read, row, where)
            self.entries[key] = EntryRec(
                key=key, number=number, team=team, car=team.name, car_class=None, crew=[driver]
            )
        return key

    def session(self, key: str, name: str, kind: str, **extra: Any) -> SessionRec:
        found = next((s for s in self.event.sessions if s.key == key), None)
        if found is None:
            found = SessionRec(key=key, name=name, kind=kind, **extra)
            self.event.sessions.append(found)
        return found

    def race_results(self, rows: list[dict[str, Any]], kind: str) -> None:
        session = (
            self.session("race", "Race", "race") if kind == "results" else self.session("sprint", "Sprint", "sprint")
        )
        session.results, session.status = [], "finished"
        for index, row in enumerate(rows, 1):
            where = f"round {self.event.round} {kind} row {index}"
            key = self.entry_key(row, where)
            session.results.append(_result(self.read, row, key, where))

    def qualifying(self, rows: list[dict[str, Any]]) -> None:
        session = self.session("qualifying", "Qualifying", "qualifying", sets_grid=True, parent_key="race")
        session.results, session.status = [], "finished"
        for index, row in enumerate(rows, 1):
            where = f"round {self.event.round} qualifying row {index}"
            key = self.entry_key(row, where)
            best = next((t for t in (self.read.maybe(row, q) for q in ("Q3", "Q2", "Q1")) if t), None)
            position = self.read.int(row, "position", where)
            session.results.append(
                ResultRec(
                    entry_key=key,
                    status="classified" if position else "not_classified",
                    position=position,
                    best_lap_text=best,
                )
            )

    def finish(self) -> EventRec:
        self.event.entries = list(self.entries.values())
        return self.event


def _result(read: _Reader, row: dict[str, Any], key: str, where: str) -> ResultRec:
    text = read.text(row, "positionText", where)
    status = "classified" if text.isdigit() else POSITION_TEXT.get(text)
    if status is None:
        raise read.fail(f"{where}: unknown positionText {text!r}")
    detail = read.maybe(row, "status")
    if text == "F":
        detail = "Did not qualify"
    timing, fastest = _sub(row, "Time"), _sub(row, "FastestLap")
    lap_time = _sub(fastest, "Time")
    # The API numbers every row in `position` (Ergast's positionOrder); only a finisher has a place.
    order = read.int(row, "position", where, required=True)
    return ResultRec(
        entry_key=key,
        status=status,
        position=order if text.isdigit() else None,
        status_detail=detail,
        order=order,
        laps=read.int(row, "laps", where),
        time_ms=read.int(timing, "millis", where),
        time_text=read.maybe(timing, "time"),
        best_lap_text=read.maybe(lap_time, "time"),
        fastest_lap_rank=read.int(fastest, "rank", where),
        grid=read.int(row, "grid", where),
        points=read.float(row, "points", where, required=True),
    )


def season_batch(data: SeasonData) -> ImportBatch:
    """The records of what was fetched: the same shapes as the Ergast CSV importer's."""
    events: dict[str, EventRec] = {}
    race_rows: dict[str, list[dict[str, Any]]] = {}
    if data.schedule is not None:
        read = _Reader(data.schedule.url)
        for race in data.schedule.items:
            event = _event(read, race, with_schedule=True)
            events[event.key] = event
    listings = {kind: data.results[kind] for kind in ("results", "sprint", "qualifying") if kind in data.results}
    for kind, listing in listings.items():
        read = _Reader(listing.url)
        for race in listing.items:
            _, key = event_key(read, race)
            if key not in events:
                events[key] = _event(read, race, with_schedule=False)
            if kind == "results":
                race_rows[key] = race[RESULT_KEYS[kind]]
    weekends = {key: _Weekend(_Reader(""), event, race_rows.get(key, [])) for key, event in events.items()}
    for kind, listing in listings.items():
        read = _Reader(listing.url)
        for race in listing.items:
            _, key = event_key(read, race)
            weekend = weekends[key]
            weekend.read = read
            rows = race[RESULT_KEYS[kind]]
            if kind == "qualifying":
                weekend.qualifying(rows)
            else:
                weekend.race_results(rows, kind)
                if kind == "sprint" and weekend.event.tags is not None and "sprint-weekend" not in weekend.event.tags:
                    weekend.event.tags.append("sprint-weekend")
    season = SeasonRec(year=data.season, events=[w.finish() for w in weekends.values()])
    season.events.sort(key=lambda e: e.round or 0)
    keys_by_round = {e.round: e.key for e in season.events}
    for standings_kind, listing in data.standings:
        read = _Reader(listing.url)
        entry_key_name = STANDINGS_KEYS[standings_kind]
        for standings in listing.items:
            rnd = read.int(standings, "round", "StandingsLists", required=True)
            after = keys_by_round.get(rnd)
            if after is None:
                raise read.fail(f"standings after round {rnd}, which has no race")
            for index, row in enumerate(standings[entry_key_name], 1):
                where = f"{entry_key_name} row {index}"
                if standings_kind == "driverstandings":
                    subject_kind, champ = "driver", "drivers"
                    subject = read.text(read.obj(row, "Driver", where), "driverId", f"{where} Driver")
                else:
                    subject_kind, champ = "team", "constructors"
                    subject = read.text(read.obj(row, "Constructor", where), "constructorId", f"{where} Constructor")
                season.official_standings.append(
                    OfficialStandingRec(
                        championship_key=champ,
                        event_key=after,
                        subject_kind=subject_kind,
                        subject_source_id=subject,
                        points=read.float(row, "points", where, required=True) or 0.0,
                        position=read.int(row, "position", where),
                        position_text=read.maybe(row, "positionText"),
                        wins=read.int(row, "wins", where),
                    )
                )
    urls = [data.schedule.url] if data.schedule else []
    urls += [listing.url for listing in listings.values()] + [listing.url for _, listing in data.standings]
    return ImportBatch(
        source=SOURCE,
        id_source=ID_SOURCE,
        series_slug=SERIES_SLUG,
        series_name=SERIES_NAME,
        seasons=[season],
        paths=urls,
    )


# --- what one sync fetches --------------------------------------------------------------------------------


async def fetch_season(
    client: JolpicaClient, season: int, progress: Progress | None = None, standings_rounds: set[int] | None = None
) -> SeasonData:
    """The whole season: schedule, every result, and the official standings after every round that has
    results (`standings_rounds`: only these rounds' standings, e.g. those the store lacks)."""
    note = progress or (lambda _: None)
    data = SeasonData(season)
    data.schedule = await client.schedule(season)
    note("schedule")
    for kind in ("results", "sprint", "qualifying"):
        data.results[kind] = await client.results(season, kind)
        note(kind)
    read = _Reader(data.results["results"].url)
    rounds = sorted({event_key(read, race)[0] for race in data.results["results"].items})
    for rnd in rounds:
        if standings_rounds is not None and rnd not in standings_rounds:
            continue
        for kind in STANDINGS_KEYS:
            data.standings.append((kind, await client.standings(season, kind, rnd)))
        note(f"standings after round {rnd}")
    return data


async def fetch_round(client: JolpicaClient, season: int, round_: int, kind: str) -> SeasonData:
    """One session's results (`kind`: results, sprint or qualifying) and, once a race or sprint has them,
    the official standings after the round."""
    data = SeasonData(season)
    listing = await client.results(season, kind, round_)
    data.results[kind] = listing
    if listing.items and kind in ("results", "sprint"):
        for standings_kind in STANDINGS_KEYS:
            data.standings.append((standings_kind, await client.standings(season, standings_kind, round_)))
    return data

"""Standings and results as the CLI and the bot ask for them: official where published, computed otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.ingest.definitions import RULES_DOC, ShippedSeason, ensure_shipped, example_season, nearest_shipped
from bot.standings.engine import SeasonData, Subject, standings
from bot.standings.rules import ChampionshipDef
from storage.store import ResultLine, Store


class NotFound(LookupError):
    """A friendly message for the user: unknown series, season, class, event or championship."""


class NoRules(NotFound):
    """A season without points rules, shipped or imported: says what to write and where to start from."""

    def __init__(self, series_slug: str, series_name: str, year: int) -> None:
        self.series_name = series_name
        self.year = year
        self.doc = RULES_DOC
        # The nearest shipped season of the same series; else any shipped season, as an example of the format.
        self.own = nearest_shipped(series_slug, year)
        self.start_from: ShippedSeason = self.own or example_season()
        start = self.start_from
        super().__init__(
            f"No points rules for {series_name} {year}. Write them as a Pitboard JSON file (format: {self.doc})"
            f" and import it with `pitboard import FILE`; start from the shipped {start.name} {start.year}"
            f" definition: {start.path}"
        )


@dataclass(slots=True)
class TableRow:
    position: int | None
    name: str
    points: float
    wins: int | None = None
    numbers: tuple[str, ...] = ()
    subject_id: int | None = None


@dataclass(slots=True)
class StandingsTable:
    series_slug: str
    series_name: str
    year: int
    championship: str
    subject: Subject
    car_class: str
    source: str  # official / computed
    after_event: str | None
    rows: list[TableRow]
    classes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ResultsTable:
    series_name: str
    year: int
    event_name: str
    session_name: str
    results_status: str
    car_class: str | None
    rows: list[ResultLine]


async def _season(store: Store, series_text: str, year: int | None) -> SeasonData:
    series = await store.find_series(series_text)
    if series is None:
        known = ", ".join(s.slug for s in await store.series()) or "none imported yet"
        raise NotFound(f"Unknown series {series_text!r}. Known series: {known}.")
    if not series.years:
        raise NotFound(f"{series.name} has no seasons yet.")
    chosen = year if year is not None else max(series.years)
    if chosen not in series.years:
        raise NotFound(f"{series.name} has no {chosen} season. Seasons: {_years(series.years)}.")
    # A known season the store holds without its rules or calendar gets the shipped ones first.
    await ensure_shipped(store, series.slug, chosen)
    data = await store.season_data(series.slug, chosen)
    assert data is not None
    return data


def _years(years: tuple[int, ...]) -> str:
    return f"{years[0]}–{years[-1]}" if len(years) > 3 else ", ".join(map(str, years))


def _championship(data: SeasonData, key: str | None, subject: Subject) -> ChampionshipDef:
    if not data.championships:
        raise NoRules(data.series_slug, data.series_name, data.year)
    if key is not None:
        found = data.championship(key)
        if found is None:
            names = ", ".join(c.key for c in data.championships)
            raise NotFound(f"No championship {key!r} in {data.series_name} {data.year}. Championships: {names}.")
        if subject not in found.rules.subjects:
            raise NotFound(f"{found.name} has no {subject} standings.")
        return found
    default = data.championship()
    if default is not None and subject in default.rules.subjects:
        return default
    for champ in data.championships:
        if subject in champ.rules.subjects:
            return champ
    raise NotFound(f"{data.series_name} {data.year} has no {subject} standings.")


async def standings_table(
    store: Store,
    series: str,
    year: int | None = None,
    car_class: str | None = None,
    teams: bool = False,
    championship: str | None = None,
    computed: bool = False,
) -> list[StandingsTable]:
    """One table, or one per class when the championship is per class and no class was asked for."""
    data = await _season(store, series, year)
    subject: Subject = "teams" if teams else "drivers"
    champ = _championship(data, championship, subject)
    if not computed:
        official = await _official(store, data, champ, subject, car_class)
        if official is not None:
            return [official]
    result = standings(data, champ, subject)
    if result is None:
        raise NotFound(f"No results yet for {champ.name}, {data.series_name} {data.year}.")
    classes = list(result.classes)
    if car_class is not None:
        wanted = [c for c in classes if c.casefold() == car_class.casefold()]
        if not wanted:
            wanted = [c for c in classes if car_class.casefold() in c.casefold()]
        if len(wanted) != 1:
            raise NotFound(f"No class {car_class!r} in {champ.name}. Classes: {', '.join(c for c in classes if c)}.")
        classes = wanted
    tables = []
    for name in classes:
        rows = [
            TableRow(r.position, r.name, r.points, r.wins, tuple(r.entries), r.subject_id) for r in result.classes[name]
        ]
        tables.append(
            StandingsTable(
                data.series_slug,
                data.series_name,
                data.year,
                champ.name,
                subject,
                name,
                "computed",
                result.after_event.name if result.after_event else None,
                rows,
                [c for c in result.classes if c],
            )
        )
    return tables


async def _official(
    store: Store, data: SeasonData, champ: ChampionshipDef, subject: Subject, car_class: str | None
) -> StandingsTable | None:
    kind = "driver" if subject == "drivers" else "team"
    event_id, rows = await store.official_standings(data.series_slug, data.year, champ.key, kind)
    if not rows:
        return None
    if car_class is not None:
        rows = [r for r in rows if r.car_class.casefold() == car_class.casefold()]
        if not rows:
            return None
    event = next((e.name for e in data.events if e.id == event_id), None)
    return StandingsTable(
        data.series_slug,
        data.series_name,
        data.year,
        champ.name,
        subject,
        car_class or "",
        "official",
        event,
        [TableRow(r.position, r.name, r.points, r.wins, (), r.subject_id) for r in rows],
    )


async def results_table(
    store: Store, series: str, year: int | None, event: str, session: str = "race", car_class: str | None = None
) -> ResultsTable:
    data = await _season(store, series, year)
    events = await store.find_events(data.series_slug, data.year, event)
    if not events:
        names = ", ".join(e.name for e in data.events)
        raise NotFound(f"No event matching {event!r} in {data.series_name} {data.year}. Events: {names}.")
    if len(events) > 1:
        exact = [e for e in events if event.casefold() in (e[1].casefold(), e[2].casefold())]
        if len(exact) != 1:
            raise NotFound(f"{event!r} matches several events: {', '.join(e[2] for e in events)}. Be more specific.")
        events = exact
    event_id, _, event_name = events[0]
    sessions = await store.event_sessions(event_id)
    wanted = session.casefold()
    match = next((s for s in sessions if s[0] == wanted), None) or next(
        (s for s in sessions if wanted in s[0] or wanted in s[1].casefold()), None
    )
    if match is None:
        raise NotFound(f"{event_name} has no session {session!r}. Sessions: {', '.join(s[0] for s in sessions)}.")
    rows = await store.session_results(event_id, match[0])
    if car_class is not None:
        classes = sorted({r.car_class for r in rows if r.car_class})
        chosen = [c for c in classes if c.casefold() == car_class.casefold()] or [
            c for c in classes if car_class.casefold() in c.casefold()
        ]
        if len(chosen) != 1:
            raise NotFound(f"No class {car_class!r} at {event_name}. Classes: {', '.join(classes) or 'none'}.")
        rows = [r for r in rows if r.car_class == chosen[0]]
        car_class = chosen[0]
    return ResultsTable(data.series_name, data.year, event_name, match[1], match[3], car_class, rows)

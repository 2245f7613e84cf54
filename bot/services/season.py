"""Standings and results as the CLI and the bot ask for them: official where published, computed otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.i18n import N_
from bot.ingest.definitions import RULES_DOC, ShippedSeason, ensure_shipped, example_season, nearest_shipped
from bot.standings.engine import SeasonData, Subject, standings
from bot.standings.rules import ChampionshipDef
from storage.store import Store


class NotFound(LookupError):
    """A friendly message for the user: unknown series, season, class, event or championship.

    `message` is an English catalogue id (marked with N_ where raised) with {placeholders}; the bot shows it
    translated and escaped (render.not_found), the CLI as str(exc) in English.
    """

    def __init__(self, message: str, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message.format(**values) if values else message)


class NoRules(NotFound):
    """A season without points rules, shipped or imported: says what to write and where to start from."""

    def __init__(self, series_slug: str, series_name: str, year: int) -> None:
        self.message, self.values = "", {}
        self.series_name = series_name
        self.year = year
        self.doc = RULES_DOC
        # The nearest shipped season of the same series; else any shipped season, as an example of the format.
        self.own = nearest_shipped(series_slug, year)
        self.start_from: ShippedSeason = self.own or example_season()
        start = self.start_from
        LookupError.__init__(
            self,
            f"No points rules for {series_name} {year}. Write them as a Pitboard JSON file (format: {self.doc})"
            f" and import it with `pitboard import FILE`; start from the shipped {start.name} {start.year}"
            f" definition: {start.path}",
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


async def season_data(store: Store, series_text: str, year: int | None) -> SeasonData:
    series = await store.series.find(series_text)
    if series is None:
        known = ", ".join(s.slug for s in await store.series.all()) or "none imported yet"
        raise NotFound(N_("Unknown series “{name}”. Known series: {known}."), name=series_text, known=known)
    if not series.years:
        raise NotFound(N_("{series} has no seasons yet."), series=series.name)
    chosen = year if year is not None else max(series.years)
    if chosen not in series.years:
        raise NotFound(
            N_("{series} has no {year} season. Seasons: {years}."),
            series=series.name,
            year=chosen,
            years=_years(series.years),
        )
    # A known season the store holds without its rules or calendar gets the shipped ones first.
    await ensure_shipped(store, series.slug, chosen)
    data = await store.results.season_data(series.slug, chosen)
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
            raise NotFound(
                N_("No championship “{name}” in {season}. Championships: {names}."),
                name=key,
                season=f"{data.series_name} {data.year}",
                names=names,
            )
        if subject not in found.rules.subjects:
            raise NotFound(
                N_("{championship} has no team standings.")
                if subject == "teams"
                else N_("{championship} has no driver standings."),
                championship=found.name,
            )
        return found
    default = data.championship()
    if default is not None and subject in default.rules.subjects:
        return default
    for champ in data.championships:
        if subject in champ.rules.subjects:
            return champ
    raise NotFound(
        N_("{season} has no team standings.") if subject == "teams" else N_("{season} has no driver standings."),
        season=f"{data.series_name} {data.year}",
    )


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
    data = await season_data(store, series, year)
    subject: Subject = "teams" if teams else "drivers"
    champ = _championship(data, championship, subject)
    if not computed:
        official = await _official(store, data, champ, subject, car_class)
        if official is not None:
            return [official]
    result = standings(data, champ, subject)
    if result is None:
        raise NotFound(
            N_("No results yet for {championship}, {season}."),
            championship=champ.name,
            season=f"{data.series_name} {data.year}",
        )
    classes = list(result.classes)
    if car_class is not None:
        wanted = [c for c in classes if c.casefold() == car_class.casefold()]
        if not wanted:
            wanted = [c for c in classes if car_class.casefold() in c.casefold()]
        if len(wanted) != 1:
            raise NotFound(
                N_("No class “{name}” in {championship}. Classes: {classes}."),
                name=car_class,
                championship=champ.name,
                classes=", ".join(c for c in classes if c),
            )
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
    table = await store.results.official_standings(data.series_slug, data.year, champ.key, kind)
    event_id, rows = table.event_id, table.rows
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

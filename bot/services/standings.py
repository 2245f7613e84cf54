"""/standings as data: which table a request means (championship, drivers/teams, class, season), the gap to
the leader, and paging. Plain async functions over the store; the handler and the tests call them alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.i18n import N_
from bot.services.season import NotFound, StandingsTable, TableRow, season_data, standings_table
from bot.standings.rules import ChampionshipDef
from storage.series import SeriesInfo
from storage.store import Store

PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class Request:
    """What a command line or a button asks for; None: the default."""

    series: SeriesInfo
    year: int | None = None
    championship: str | None = None  # a key: "constructors", "endurance"
    championship_index: int | None = None  # a button's: the place in the season's championship list
    car_class: str | None = None
    class_index: int | None = None  # a button's: 1-based place in the table's class list (0: none)
    teams: bool | None = None
    page: int = 0


@dataclass(frozen=True, slots=True)
class Row:
    position: int | None
    name: str
    points: float
    gap: float | None  # points behind the leader; None for the leader
    subject_id: int | None
    mine: bool


@dataclass(slots=True)
class View:
    series: SeriesInfo
    table: StandingsTable
    championships: list[tuple[str, str, tuple[str, ...]]]  # key, name, subjects
    championship_index: int
    class_index: int  # 1-based in table.classes, 0: no class
    page: int
    pages: int
    rows: list[Row]  # this page
    others: list[Row]  # the chat's own rows outside this page
    notes: list[NotFound] = field(default_factory=list)  # what was asked but could not be shown
    # Per championship, its classes for this subject: a button to another championship keeps the class by name.
    championship_classes: list[list[str]] = field(default_factory=list)

    def class_index_in(self, championship: int) -> int:
        """The current class's place in `championship`'s class list (1-based; 0: it has no such class)."""
        classes = self.championship_classes[championship] if championship < len(self.championship_classes) else []
        return classes.index(self.table.car_class) + 1 if self.table.car_class in classes else 0

    @property
    def teams(self) -> bool:
        return self.table.subject == "teams"

    @property
    def other_subject(self) -> bool:
        """The current championship has the other table too (drivers ⇄ teams)."""
        return len(self.championships[self.championship_index][2]) > 1

    @property
    def previous_year(self) -> int | None:
        earlier = [y for y in self.series.years if y < self.table.year]
        return max(earlier) if earlier else None

    @property
    def next_year(self) -> int | None:
        later = [y for y in self.series.years if y > self.table.year]
        return min(later) if later else None


def choose_championship(
    championships: Sequence[ChampionshipDef], key: str | None, index: int | None, teams: bool | None
) -> tuple[int, bool]:
    """(index in the season's list, teams) for what was asked: a championship that has only team standings
    (F1 constructors) gives teams; "teams" alone picks the first championship that has them."""
    default = next((i for i, c in enumerate(championships) if c.default), 0)
    chosen = None
    if index is not None and 0 <= index < len(championships):
        chosen = index
    elif key is not None:
        chosen = next((i for i, c in enumerate(championships) if c.key == key), None)
    subject = None if teams is None else ("teams" if teams else "drivers")
    if chosen is None:
        chosen = default
        if subject is not None and subject not in championships[chosen].rules.subjects:
            chosen = next((i for i, c in enumerate(championships) if subject in c.rules.subjects), chosen)
    subjects = championships[chosen].rules.subjects
    if subject is None or subject not in subjects:
        subject = "drivers" if "drivers" in subjects else subjects[0]
    return chosen, subject == "teams"


def with_gaps(rows: Sequence[TableRow], mine: set[int]) -> list[Row]:
    """Every row with its gap to the leader (the first row's points)."""
    leader = rows[0].points if rows else 0.0
    return [
        Row(
            r.position,
            r.name,
            r.points,
            None if index == 0 or r.points == leader else round(leader - r.points, 3),
            r.subject_id,
            r.subject_id in mine,
        )
        for index, r in enumerate(rows)
    ]


def page_of(rows: list[Row], page: int, size: int = PAGE_SIZE) -> tuple[int, int, list[Row], list[Row]]:
    """(page, pages, the page's rows, the chat's own rows elsewhere); a page out of range is the nearest one."""
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 0), pages - 1)
    start = page * size
    shown = rows[start : start + size]
    others = [r for i, r in enumerate(rows) if r.mine and not start <= i < start + size]
    return page, pages, shown, others


def pick_table(
    tables: list[StandingsTable], car_class: str | None, class_index: int | None, followed: set[int]
) -> tuple[StandingsTable, NotFound | None]:
    """One class's table: the one asked for, else the class of the chat's drivers, else the first."""
    classes = tables[0].classes if tables else []
    if class_index and 0 < class_index <= len(classes):
        car_class = classes[class_index - 1]
    problem = None
    if car_class is not None:
        wanted = car_class.casefold()
        found = next((t for t in tables if t.car_class.casefold() == wanted), None)
        if found is not None:
            return found, None
        if classes:
            problem = NotFound(
                N_("No class “{name}” in {championship}. Classes: {classes}."),
                name=car_class,
                championship=tables[0].championship,
                classes=", ".join(classes),
            )
    for table in tables:
        if followed & {r.subject_id for r in table.rows if r.subject_id is not None}:
            return table, problem
    return tables[0], problem


async def view(store: Store, request: Request, drivers: set[int], teams: set[int]) -> View:
    """The table `request` means, paged, with the chat's followed `drivers` or `teams` marked.

    Raises NotFound (season unknown, no rules, no results yet); a class the championship does not have is a
    note on the default table rather than an error."""
    data = await season_data(store, request.series.slug, request.year)
    if not data.championships:
        await standings_table(store, request.series.slug, data.year)  # raises NoRules, with its advice
    index, of_teams = choose_championship(
        data.championships, request.championship, request.championship_index, request.teams
    )
    champ = data.championships[index]
    followed = teams if of_teams else drivers
    tables = await standings_table(store, request.series.slug, data.year, None, of_teams, champ.key)
    table, problem = pick_table(tables, request.car_class, request.class_index, followed)
    rows = with_gaps(table.rows, followed)
    page, pages, shown, others = page_of(rows, request.page)
    class_index = table.classes.index(table.car_class) + 1 if table.car_class in table.classes else 0
    championships = [(c.key, c.name, tuple(str(x) for x in c.rules.subjects)) for c in data.championships]
    per_championship: list[list[str]] = []
    for position, other in enumerate(data.championships):
        if position == index or not other.rules.per_class:
            # The one shown has its classes already; a championship not per class has none (F1: no queries).
            per_championship.append(table.classes if position == index else [])
            continue
        subject_teams = of_teams if len(other.rules.subjects) > 1 else other.rules.subjects[0] == "teams"
        try:
            found = await standings_table(store, request.series.slug, data.year, None, subject_teams, other.key)
        except NotFound:
            found = []
        per_championship.append(found[0].classes if found else [])
    return View(
        request.series,
        table,
        championships,
        index,
        class_index,
        page,
        pages,
        shown,
        others,
        [problem] if problem else [],
        per_championship,
    )


async def indices_for(
    store: Store, series: SeriesInfo, year: int | None, championship: str | None, car_class: str | None, teams: bool
) -> tuple[int, int, int, bool]:
    """(year, championship index, class index, teams) of what was asked, for a button of `series` that keeps
    it ("which series?" asked after `/standings endurance silber`). 0 where the series has no such thing."""
    try:
        data = await season_data(store, series.slug, year)
    except NotFound:
        return 0, 0, 0, teams
    if not data.championships:
        return data.year, 0, 0, teams
    index, chosen_teams = choose_championship(data.championships, championship, None, teams)
    class_index = 0
    if car_class is not None:
        try:
            tables = await standings_table(
                store, series.slug, data.year, None, chosen_teams, data.championships[index].key
            )
        except NotFound:
            tables = []
        classes = [c.casefold() for c in tables[0].classes] if tables else []
        class_index = classes.index(car_class.casefold()) + 1 if car_class.casefold() in classes else 0
    return data.year, index, class_index, chosen_teams

"""The title fight as data: each leading subject's points after every round of one championship and class.

Plain Python over the store (no Telegram, no drawing): bot/render/charts.py draws it, handlers/chart.py sends
it. The points come from where /standings takes its table: the published standings when the store has them
(F1 from Ergast), else the standings engine's progression. So the last point of every line is the table's
points.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.i18n import N_
from bot.services.season import NotFound, season_data
from bot.standings.engine import SeasonData, StandingRow, Subject, standings
from bot.standings.rules import ChampionshipDef
from storage.store import Store

TOP = 6  # lines for the leaders; the chat's own drivers come on top of these
MAX_OWN = 4  # at most this many of the chat's own drivers outside the leaders (a readable picture)


@dataclass(frozen=True, slots=True)
class ChartLine:
    """One line: a subject, or several sharing every round's points (a car's crew) merged into one."""

    names: tuple[str, ...]
    subject_ids: tuple[int, ...]
    position: int | None  # in the final table
    points: tuple[float, ...]  # after each round of ChartData.rounds
    own: bool  # one of the chat's drivers (or teams)


@dataclass(frozen=True, slots=True)
class ChartData:
    series_name: str
    year: int
    championship: str
    car_class: str  # "" when the championship is not per class
    subject: Subject
    source: str  # official / computed, as the table says
    rounds: tuple[str, ...]  # short round labels, in calendar order
    after_event: str | None
    lines: tuple[ChartLine, ...]


@dataclass(frozen=True, slots=True)
class ChartRequest:
    """What a "📈 Chart" press asks for (bot.core.callbacks.ChartAction) plus whose drivers to draw."""

    series_id: int
    year: int
    championship: int  # index into SeasonData.championships
    class_index: int  # 1-based into the table's classes; 0: none asked
    teams: bool
    own: frozenset[int] = field(default_factory=frozenset)  # the chat's followed drivers (or teams)


async def data_revision(store: Store) -> tuple[int, int]:
    """Changes whenever results may have: the imports log (every import, any process) and SQLite's data_version
    (any other connection's commit, such as a driver merge from the CLI). Read it BEFORE the data, so a change
    in between leaves a newer revision than the cached picture was drawn from, never an older one."""
    return await store.feed.last_import_id(), await store.series.data_version()


async def chart_data(store: Store, request: ChartRequest, top: int = TOP) -> ChartData:
    """Raises NotFound (a catalogue message) when the season, championship, class or results are not there."""
    series = next((s for s in await store.series.all() if s.id == request.series_id), None)
    if series is None:
        raise NotFound(N_("That series is no longer in the store."))
    data = await season_data(store, series.slug, request.year)
    if not 0 <= request.championship < len(data.championships):
        raise NotFound(
            N_("No championship number {number} in {season}."),
            number=request.championship + 1,
            season=f"{data.series_name} {data.year}",
        )
    champ = data.championships[request.championship]
    subject: Subject = "teams" if request.teams else "drivers"
    if subject not in champ.rules.subjects:
        raise NotFound(
            N_("{championship} has no team standings.")
            if request.teams
            else N_("{championship} has no driver standings."),
            championship=champ.name,
        )
    official = await _official(store, data, champ, subject, request.own, top)
    if official is not None:
        return official
    return _computed(data, champ, subject, request, top)


def _computed(data: SeasonData, champ: ChampionshipDef, subject: Subject, request: ChartRequest, top: int) -> ChartData:
    final = standings(data, champ, subject)  # computes and caches the progression on the season snapshot
    steps = data.progressions.get((champ.key, subject), [])
    if final is None or not steps:
        raise NotFound(
            N_("No results yet for {championship}, {season}."),
            championship=champ.name,
            season=f"{data.series_name} {data.year}",
        )
    # The same class list /standings numbers its buttons by (StandingsTable.classes).
    classes = [c for c in final.classes if c]
    if request.class_index:
        if request.class_index > len(classes):
            raise NotFound(
                N_("No class number {number} in {championship}."), number=request.class_index, championship=champ.name
            )
        car_class = classes[request.class_index - 1]
    elif len(final.classes) == 1:
        car_class = next(iter(final.classes))
    else:
        # No class asked of a per-class championship: the class of the chat's drivers, else the first.
        car_class = next((c for c in classes if request.own & {r.subject_id for r in final.classes[c]}), classes[0])
    table = final.classes[car_class]
    history: list[dict[int, float]] = [
        {r.subject_id: r.points for r in step.classes.get(car_class, [])} for step in steps
    ]
    rounds = [step.after_event for step in steps if step.after_event is not None]
    return ChartData(
        data.series_name,
        data.year,
        champ.name,
        car_class,
        subject,
        "computed",
        tuple(round_label(e.name, e.key) for e in rounds),
        final.after_event.name if final.after_event else None,
        _lines(table, history, request.own, top),
    )


async def _official(
    store: Store, data: SeasonData, champ: ChampionshipDef, subject: Subject, own: frozenset[int], top: int
) -> ChartData | None:
    """The published standings after every round, where the store has them (as /standings prefers them)."""
    kind = "driver" if subject == "drivers" else "team"
    official = await store.results.official_standings(data.series_slug, data.year, champ.key, kind)
    last_event, rows = official.event_id, official.rows
    if not rows:
        return None
    published = await store.results.official_progression(data.series_slug, data.year, champ.key, kind)
    events = [e for e in data.events if e.id in published]
    table = [StandingRow(r.subject_id, r.name, r.car_class, r.points, r.position or 0) for r in rows]
    history = [{subject_id: point.points for subject_id, point in published[e.id].items()} for e in events]
    return ChartData(
        data.series_name,
        data.year,
        champ.name,
        "",
        subject,
        "official",
        tuple(round_label(e.name, e.key) for e in events),
        next((e.name for e in data.events if e.id == last_event), None),
        _lines(table, history, own, top),
    )


def _lines(
    table: list[StandingRow], history: list[dict[int, float]], own: frozenset[int], top: int
) -> tuple[ChartLine, ...]:
    """The leaders' lines (crews with identical points merged) and the chat's own subjects further down."""

    def series_of(subject_id: int) -> tuple[float, ...]:
        # A subject missing from a round's table has not scored yet (or, published, is not listed): carry on.
        out: list[float] = []
        last = 0.0
        for step in history:
            last = step.get(subject_id, last)
            out.append(last)
        return tuple(out)

    merged: list[ChartLine] = []
    same: dict[tuple[int | None, tuple[float, ...]], int] = {}  # a crew: the same place and points every round
    for row in table:
        points = series_of(row.subject_id)
        position = row.position or None
        index = same.get((position, points))
        if index is not None:
            previous = merged[index]
            merged[index] = ChartLine(
                (*previous.names, row.name),
                (*previous.subject_ids, row.subject_id),
                position,
                points,
                previous.own or row.subject_id in own,
            )
            continue
        same[(position, points)] = len(merged)
        merged.append(ChartLine((row.name,), (row.subject_id,), position, points, row.subject_id in own))
    leaders = merged[:top]
    others = [line for line in merged[top:] if line.own][:MAX_OWN]
    return tuple(leaders + others)


_GRAND_PRIX = " grand prix"
_LABEL = 16  # characters


def round_label(name: str, key: str) -> str:
    """A round's name short enough for an axis on a phone. A venue key found in the name keeps the name's
    spelling ("Michelin GT Challenge at VIR" → "VIR", "CrowdStrike 24 Hours of Spa" → "Spa"); a sponsor's name
    gives way to the venue key ("Sahlen's Six Hours of The Glen" → "Watkins Glen"); numbered keys (Ergast's
    "01-bahrain") name the Grand Prix ("Bahrain Grand Prix" → "Bahrain")."""
    numbered = key[:2].isdigit() and "-" in key
    words = (key.split("-", 1)[1] if numbered else key).replace("_", " ").replace("-", " ").strip()
    folded = name.casefold()
    if not numbered and words:
        at = folded.find(words.casefold())
        if at >= 0:
            return name[at : at + len(words)]
        if len(name) <= _LABEL and not folded.endswith(_GRAND_PRIX):
            return name
        return _cut(words.upper() if len(words) <= 4 else words.title())
    if folded.endswith(_GRAND_PRIX) and len(name) > len(_GRAND_PRIX):
        return _cut(name[: -len(_GRAND_PRIX)].strip())
    return _cut(name)


def _cut(text: str) -> str:
    return text if len(text) <= _LABEL else text[: _LABEL - 1] + "…"


K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """A small least-recently-used map (charts: the same table state reuses its PNG and Telegram file_id)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)

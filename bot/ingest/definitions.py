"""The series definitions that ship with the package (bot/ingest/series/*.json), applied by themselves.

An import of a known series and season, or a query about one, finds the store without that season's
points rules or calendar: the shipped definition fills in what is missing — only what is missing, so a
rules file or calendar someone imported is never overwritten. The import path writes it in the same
transaction as the files (bot/ingest/importing.py); a query writes it on its own, quietly.
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

from bot.core.records import ImportBatch, SeasonRec
from bot.ingest.importers import native
from bot.ingest.shipped import series_files
from storage.store import Store

# The section of the format documentation a rules file follows (the anchor GitHub gives "### Championship rules").
RULES_DOC = "docs/data-format.md#championship-rules"


@dataclass(frozen=True, slots=True)
class ShippedSeason:
    slug: str
    name: str
    year: int
    path: Path
    batch: ImportBatch  # this season alone: its rules and, where shipped, its calendar

    @property
    def has_rules(self) -> bool:
        return bool(self.batch.seasons[0].championships)

    @property
    def has_calendar(self) -> bool:
        return bool(self.batch.seasons[0].events)


@dataclass(slots=True)
class Applied:
    """What the shipped definitions added to the store, for the import summary."""

    series_name: str
    year: int
    rules: bool
    calendar: bool


@dataclass(frozen=True, slots=True)
class AppliedGroup:
    """Consecutive seasons of one series that got the same parts (an Ergast import: 75 F1 seasons)."""

    series_name: str
    first: int
    last: int
    rules: bool
    calendar: bool

    @property
    def seasons(self) -> str:
        return str(self.first) if self.first == self.last else f"{self.first}–{self.last}"

    def describe(self) -> str:
        parts = [p for p, wanted in (("points rules", self.rules), ("calendar", self.calendar)) if wanted]
        return f"applied the shipped {self.series_name} {self.seasons} {' and '.join(parts)}"


def grouped(applied: list[Applied]) -> list[AppliedGroup]:
    out: list[AppliedGroup] = []
    for item in sorted(applied, key=lambda a: (a.series_name, a.year)):
        last = out[-1] if out else None
        if (
            last is not None
            and (last.series_name, last.rules, last.calendar) == (item.series_name, item.rules, item.calendar)
            and item.year == last.last + 1
        ):
            out[-1] = replace(last, last=item.year)
        else:
            out.append(AppliedGroup(item.series_name, item.year, item.year, item.rules, item.calendar))
    return out


@dataclass(slots=True)
class Completion:
    batches: list[ImportBatch] = field(default_factory=list)
    applied: list[Applied] = field(default_factory=list)


@cache
def _catalog() -> dict[str, dict[int, ShippedSeason]]:
    """Every shipped season by series slug and year (read once; the files are part of the package)."""
    catalog: dict[str, dict[int, ShippedSeason]] = {}
    for path in series_files():
        whole = native.load([path], None, None)
        seasons = catalog.setdefault(whole.series_slug, {})
        for season in whole.seasons:
            seasons[season.year] = ShippedSeason(
                whole.series_slug, whole.series_name, season.year, path, replace(whole, seasons=[season])
            )
    return catalog


def shipped(slug: str, year: int) -> ShippedSeason | None:
    return _catalog().get(slug, {}).get(year)


def shipped_years(slug: str) -> list[int]:
    return sorted(_catalog().get(slug, {}))


def nearest_shipped(slug: str, year: int) -> ShippedSeason | None:
    """The shipped season of `slug` closest to `year` (the later one on a tie): the file to start from."""
    years = shipped_years(slug)
    if not years:
        return None
    best = min(years, key=lambda y: (abs(y - year), -y))
    return _catalog()[slug][best]


def example_season() -> ShippedSeason:
    """A season to start from when the series itself ships nothing: one with rules and a calendar."""
    seasons = [s for by_year in _catalog().values() for s in by_year.values()]
    complete = [s for s in seasons if s.has_rules and s.has_calendar]
    return max(complete or seasons, key=lambda s: (s.year, s.slug))


def _incoming(batches: list[ImportBatch]) -> tuple[set[tuple[str, int]], set[tuple[str, int]], set[tuple[str, int]]]:
    """(seasons the batches touch, those they bring rules for, those they bring a calendar for)."""
    seasons: set[tuple[str, int]] = set()
    rules: set[tuple[str, int]] = set()
    calendars: set[tuple[str, int]] = set()
    for batch in batches:
        for season in batch.seasons:
            key = (batch.series_slug, season.year)
            seasons.add(key)
            if season.championships:
                rules.add(key)
            if any(e.start_date for e in season.events):
                calendars.add(key)
    return seasons, rules, calendars


async def _missing(store: Store, season: ShippedSeason, incoming_rules: bool, incoming_calendar: bool) -> Applied:
    coverage = await store.series.season_coverage(season.slug, season.year)
    has_rules, has_calendar = (coverage.has_rules, coverage.has_calendar) if coverage else (False, False)
    return Applied(
        season.name,
        season.year,
        rules=season.has_rules and not has_rules and not incoming_rules,
        calendar=season.has_calendar and not has_calendar and not incoming_calendar,
    )


def _partial(season: ShippedSeason, want: Applied) -> ImportBatch:
    # A copy: the catalog lives as long as the bot, and the writer may fill in what it resolves.
    whole = deepcopy(season.batch.seasons[0])
    part = SeasonRec(
        year=whole.year,
        championships=whole.championships if want.rules else [],
        events=whole.events if want.calendar else [],
    )
    return replace(season.batch, seasons=[part], notes=[], paths=[f"shipped:{season.path.name}"])


async def completion(store: Store, batches: list[ImportBatch]) -> Completion:
    """The shipped rules and calendars the store lacks for the seasons `batches` touch; to be written
    before the batches, in the same transaction (the calendar first, so results find their events)."""
    seasons, rules, calendars = _incoming(batches)
    out = Completion()
    for slug, year in sorted(seasons):
        season = shipped(slug, year)
        if season is None:
            continue
        want = await _missing(store, season, (slug, year) in rules, (slug, year) in calendars)
        if want.rules or want.calendar:
            out.batches.append(_partial(season, want))
            out.applied.append(want)
    return out


async def ensure_shipped(store: Store, slug: str, year: int) -> list[Applied]:
    """Before a query about a stored season: apply what the store lacks of its shipped definition."""
    season = shipped(slug, year)
    if season is None or await store.series.season_coverage(slug, year) is None:
        return []  # a season the store does not hold is not created by asking about it
    want = await _missing(store, season, False, False)
    if not (want.rules or want.calendar):
        return []
    # Quiet: a definition applied on the way to an answer is no news for anyone.
    await store.apply([_partial(season, want)], quiet=True)
    return [want]

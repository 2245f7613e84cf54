"""Pitboard's native JSON: calendars, entry lists, results and championship rules for any series.

The format is documented in docs/data-format.md; pydantic validates it so a mistake is
reported with its place in the document ("seasons.0.events.3.sessions.1.start").
"""

from __future__ import annotations

import datetime as dt
import json
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.names import display_name, name_key
from bot.core.records import (
    ChampionshipRec,
    DriverRec,
    EntryRec,
    EventRec,
    ImportBatch,
    ResultRec,
    SeasonRec,
    SessionRec,
    TeamRec,
)
from bot.ingest.importers.bounds import MAX_DEPTH, MAX_YEAR, MIN_YEAR, check_json
from bot.ingest.importers.common import digest
from bot.ingest.importers.table import ImportFailure, read_text
from bot.standings.rules import ChampionshipDef

FORMAT = "pitboard/1"
_KEY = r"^[a-z0-9][a-z0-9-]*$"


class _Model(BaseModel):
    # Infinity and NaN are refused (bot/ingest/importers/bounds.py checks the raw document first, with its place).
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SeriesDoc(_Model):
    slug: str = Field(pattern=_KEY, max_length=40)
    name: str = Field(min_length=1, max_length=100)
    class_aliases: dict[str, str] = {}


class EntryDoc(_Model):
    number: str = Field(min_length=1, max_length=8)
    team: str | None = Field(default=None, max_length=120)
    car: str | None = Field(default=None, max_length=120)
    car_class: str | None = Field(default=None, alias="class", max_length=40)
    drivers: list[str] = Field(min_length=1, max_length=6)


class ResultDoc(_Model):
    number: str = Field(min_length=1, max_length=8)
    status: Literal["classified", "not_classified", "dnf", "dns", "dsq"] = "classified"
    position: int | None = Field(default=None, ge=1)
    class_position: int | None = Field(default=None, ge=1)
    status_detail: str | None = Field(default=None, max_length=200)
    laps: int | None = Field(default=None, ge=0)
    time: str | None = None
    gap: str | None = None
    best_lap: str | None = None
    grid: int | None = Field(default=None, ge=1)
    points: float | None = None


def _utc(value: str | None) -> str | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must carry a zone: write them in UTC with a trailing Z")
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


class SessionDoc(_Model):
    key: str = Field(pattern=_KEY, max_length=40)
    name: str = Field(min_length=1, max_length=80)
    kind: Literal["practice", "qualifying", "sprint", "race", "stage"]
    start: str | None = None  # UTC; null: time TBC
    end: str | None = None
    date: dt.date | None = None  # the local day, when the time is not confirmed
    status: Literal["scheduled", "finished", "cancelled", "postponed"] | None = None
    results_status: Literal["provisional", "final"] | None = None
    parent: str | None = None
    stage_minutes: int | None = Field(default=None, gt=0)
    sets_grid: bool = False
    results: list[ResultDoc] | None = None

    @field_validator("start", "end")
    @classmethod
    def _in_utc(cls, value: str | None) -> str | None:
        return _utc(value)


class EventDoc(_Model):
    key: str = Field(pattern=_KEY, max_length=60)
    name: str = Field(min_length=1, max_length=120)
    round: int | None = Field(default=None, ge=0)
    circuit: str | None = None
    country: str | None = None
    timezone: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    tags: list[str] = []
    classes: list[str] | None = None
    aliases: list[str] = []
    entries: list[EntryDoc] = []
    sessions: list[SessionDoc] = []

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Vienna)") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EventDoc:
        numbers = [e.number for e in self.entries]
        dupes = sorted({n for n in numbers if numbers.count(n) > 1})
        if dupes:
            raise ValueError(f"car number(s) {', '.join(dupes)} entered twice")
        keys = [s.key for s in self.sessions]
        if len(keys) != len(set(keys)):
            raise ValueError("session keys must be unique within an event")
        for session in self.sessions:
            seen = [r.number for r in session.results or ()]
            twice = sorted({n for n in seen if seen.count(n) > 1})
            if twice:
                raise ValueError(f"session {session.key}: car(s) {', '.join(twice)} appear twice")
            unknown = sorted(set(seen) - set(numbers))
            if unknown:
                raise ValueError(f"session {session.key}: car(s) {', '.join(unknown)} have no entry")
        return self


class SeasonDoc(_Model):
    year: int | None = Field(default=None, ge=1900, le=2100)
    years: tuple[int, int] | None = None  # rules for a range of seasons (no events then)

    @field_validator("years")
    @classmethod
    def _plausible_range(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and not MIN_YEAR <= value[0] <= value[1] <= MAX_YEAR:
            raise ValueError(f"'years' must be [first, last] with {MIN_YEAR} <= first <= last <= {MAX_YEAR}")
        return value

    championships: list[ChampionshipDef] = []
    events: list[EventDoc] = []

    @model_validator(mode="after")
    def _one_year_form(self) -> SeasonDoc:
        if (self.year is None) == (self.years is None):
            raise ValueError("give either 'year' or 'years': [first, last]")
        if self.years is not None and self.events:
            raise ValueError("'years' is for championship rules only; events need one 'year'")
        defaults = [c.key for c in self.championships if c.default]
        if len(defaults) > 1:
            raise ValueError(f"only one default championship, found {', '.join(defaults)}")
        return self


class NativeDoc(_Model):
    format: Literal["pitboard/1"]
    series: SeriesDoc
    seasons: list[SeasonDoc] = Field(min_length=1)


def looks_like(text: str) -> bool:
    return text.lstrip().startswith("{")


def load(paths: list[Path], series: str | None, season: int | None) -> ImportBatch:
    if len(paths) != 1 or paths[0].is_dir():
        raise ImportFailure(paths[0], "import native JSON files one by one")
    path = paths[0]
    text = read_text(path)
    if not text.strip():
        raise ImportFailure(path, "the file is empty", 1)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailure(path, f"not valid JSON: {exc.msg}", exc.lineno) from exc
    except RecursionError:
        raise ImportFailure(path, f"not a Pitboard document: nested deeper than {MAX_DEPTH} levels") from None
    except ValueError:  # Python refuses integers of more than 4300 digits
        raise ImportFailure(path, "not valid JSON: a number too long to read") from None
    check_json(path, raw)
    try:
        doc = NativeDoc.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ImportFailure(path, f"{where}: {first['msg']}{more}") from exc
    if series and series != doc.series.slug:
        raise ImportFailure(path, f"the file is for series {doc.series.slug!r}, not {series!r}")
    seasons: list[SeasonRec] = []
    for season_doc in doc.seasons:
        years = [season_doc.year] if season_doc.year else list(range(season_doc.years[0], season_doc.years[1] + 1))  # type: ignore[index]
        for year in years:
            if year is None or (season is not None and year != season):
                continue
            seasons.append(
                SeasonRec(
                    year=year,
                    championships=[
                        ChampionshipRec(
                            key=c.key,
                            name=c.name,
                            is_default=c.default,
                            rules=c.rules.model_dump(mode="json", exclude_defaults=True),
                        )
                        for c in season_doc.championships
                    ],
                    events=[_event(e, doc.series.class_aliases, doc.series.slug) for e in season_doc.events],
                )
            )
    return ImportBatch(
        source="native",
        series_slug=doc.series.slug,
        series_name=doc.series.name,
        seasons=seasons,
        class_aliases=doc.series.class_aliases,
        paths=[str(path)],
        digest=digest([path]),
    )


def _event(doc: EventDoc, class_aliases: dict[str, str], series_slug: str) -> EventRec:
    entries = [
        EntryRec(
            key=e.number,
            number=e.number,
            team=TeamRec(name=e.team) if e.team else None,
            car=e.car,
            car_class=class_aliases.get(e.car_class, e.car_class) if e.car_class else None,
            crew=[
                DriverRec(name=display_name(n), source=f"native:{series_slug}", source_id=name_key(display_name(n)))
                for n in e.drivers
            ],
        )
        for e in doc.entries
    ]
    sessions = []
    for s in doc.sessions:
        results = None
        if s.results is not None:
            results = [
                ResultRec(
                    entry_key=r.number,
                    status=r.status,
                    position=r.position,
                    class_position=r.class_position,
                    status_detail=r.status_detail,
                    laps=r.laps,
                    time_text=r.time,
                    gap_text=r.gap,
                    best_lap_text=r.best_lap,
                    grid=r.grid,
                    points=r.points,
                )
                for r in s.results
            ]
        start_date = s.date.isoformat() if s.date else None
        if start_date is None and s.start and doc.timezone:
            start_date = (
                datetime.fromisoformat(s.start.replace("Z", "+00:00"))
                .astimezone(ZoneInfo(doc.timezone))
                .date()
                .isoformat()
            )
        sessions.append(
            SessionRec(
                key=s.key,
                name=s.name,
                kind=s.kind,
                start_utc=s.start,
                end_utc=s.end,
                start_date=start_date,
                parent_key=s.parent,
                stage_minutes=s.stage_minutes,
                sets_grid=s.sets_grid,
                status=s.status,
                results_status=s.results_status,
                results=results,
            )
        )
    return EventRec(
        key=doc.key,
        name=doc.name,
        round=doc.round,
        circuit=doc.circuit,
        country=doc.country,
        timezone=doc.timezone,
        start_date=doc.start_date.isoformat() if doc.start_date else None,
        end_date=doc.end_date.isoformat() if doc.end_date else None,
        tags=doc.tags,
        classes=[class_aliases.get(c, c) for c in doc.classes] if doc.classes is not None else None,
        aliases=doc.aliases,
        entries=entries,
        sessions=sessions,
    )

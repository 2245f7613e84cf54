"""Bounds on every input field, checked twice: on the raw JSON document (with its place in the file) and
on the records every importer produces (the net for CSV and JSON alike), before anything is written.

The limits are documented in docs/data-format.md ("Bounds"). They are far above anything real data
holds (the longest field in the shared Ergast, Al Kamel and SRO files is 83 characters) and low
enough that a hostile or broken file cannot make the store, the standings or a message huge.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from bot.core.records import ImportBatch
from bot.ingest.importers.table import ImportFailure

MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_SEASONS = MAX_YEAR - MIN_YEAR + 1  # per file: a "years" range of championship rules at most
MAX_NAME = 200  # characters in a name, key, class, car, status text
MAX_TEXT = 1000  # any other string in a native JSON document
MAX_INT = 2**31 - 1  # positions, laps, milliseconds (a 24-hour race is 8.6e7 ms), grid, round
MAX_POINTS = 100_000.0
MAX_DEPTH = 24  # nesting of a native JSON document (the format itself needs 8)
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def control_char(text: str) -> str | None:
    """The first control character in `text` as U+XXXX, or None."""
    found = CONTROL.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


def check_json(path: Path, value: Any, where: str = "", depth: int = 0) -> None:
    """The raw document: depth, finite numbers, integers in range, string lengths, no control characters."""
    place = where or "the document"
    if depth > MAX_DEPTH:
        raise ImportFailure(path, f"{place}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_string(path, key, f"{place} (a key)", MAX_NAME)
            check_json(path, item, f"{where}.{key}" if where else str(key), depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json(path, item, f"{where}.{index}" if where else str(index), depth + 1)
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            raise ImportFailure(path, f"{place}: {_short(value)} is out of range (at most {MAX_INT})")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ImportFailure(path, f"{place}: {value} is not a number Pitboard stores (finite numbers only)")
        if abs(value) > MAX_INT:
            raise ImportFailure(path, f"{place}: {value:g} is out of range")
    elif isinstance(value, str):
        _check_string(path, value, place, MAX_TEXT)


def _short(value: int) -> str:
    text = str(value)
    return text if len(text) <= 24 else f"{text[:10]}…({len(text)} digits)"


def _check_string(path: Path, text: str, place: str, limit: int) -> None:
    if len(text) > limit:
        raise ImportFailure(path, f"{place}: text of {len(text)} characters (at most {limit})")
    bad = control_char(text)
    if bad:
        raise ImportFailure(path, f"{place}: control character {bad} in {text[:40]!r}")


def check_batch(path: Path, batch: ImportBatch) -> None:
    """Every importer's records: the net that makes the store's bounds hold whatever the format."""
    if len(batch.seasons) > MAX_SEASONS:
        raise ImportFailure(path, f"{len(batch.seasons)} seasons in one file (at most {MAX_SEASONS})")
    _name(path, "series", batch.series_slug)
    _name(path, "series name", batch.series_name)
    for season in batch.seasons:
        if not MIN_YEAR <= season.year <= MAX_YEAR:
            raise ImportFailure(path, f"season {season.year} is not a year between {MIN_YEAR} and {MAX_YEAR}")
        for standing in season.official_standings:
            _number(path, "standings points", standing.points, MAX_POINTS)
            _int(path, "standings position", standing.position)
            _int(path, "wins", standing.wins)
        for event in season.events:
            label = event.name[:40]
            for what, text in (("event", event.key), ("event name", event.name), ("circuit", event.circuit)):
                _name(path, what, text)
            for alias in event.aliases:
                _name(path, f"{label}: alias", alias)
            _int(path, f"{label}: round", event.round)
            for entry in event.entries:
                car = f"{label} #{entry.number[:10]}"
                _name(path, f"{label}: car number", entry.number)
                _name(path, f"{car}: team", entry.team.name if entry.team else None)
                _name(path, f"{car}: car", entry.car)
                _name(path, f"{car}: class", entry.car_class)
                for driver in entry.crew:
                    _name(path, f"{car}: driver", driver.name)
            for session in event.sessions:
                _name(path, f"{label}: session", session.name)
                _name(path, f"{label}: session key", session.key)
                _int(path, f"{label} {session.name}: stage minutes", session.stage_minutes)
                for result in session.results or ():
                    where = f"{label} {session.name} #{result.entry_key[:10]}"
                    for text in (result.status_detail, result.time_text, result.gap_text, result.best_lap_text):
                        _name(path, where, text)
                    for value in (result.position, result.class_position, result.order, result.laps, result.grid):
                        _int(path, where, value)
                    for value in (result.time_ms, result.best_lap_ms, result.fastest_lap_rank):
                        _int(path, where, value)
                    _number(path, f"{where}: points", result.points, MAX_POINTS)


def _name(path: Path, what: str, text: str | None) -> None:
    if text is None:
        return
    if len(text) > MAX_NAME:
        raise ImportFailure(path, f"{what}: a name of {len(text)} characters (at most {MAX_NAME})")
    bad = control_char(text)
    if bad:
        raise ImportFailure(path, f"{what}: control character {bad} in {text[:40]!r}")


def _int(path: Path, what: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= MAX_INT:
        raise ImportFailure(path, f"{what}: {_short(value)} is out of range (0 to {MAX_INT})")


def _number(path: Path, what: str, value: float | None, limit: float) -> None:
    if value is not None and (not math.isfinite(value) or abs(value) > limit):
        raise ImportFailure(path, f"{what}: {value!r} is not a number between -{limit:g} and {limit:g}")

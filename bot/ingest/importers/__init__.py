"""Importers turn files into ImportBatches. `load_paths` detects the format of each path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.core.records import ImportBatch
from bot.ingest.circuits import place_events
from bot.ingest.importers import alkamel, ergast, gtwc, ics, native
from bot.ingest.importers.bounds import check_batch
from bot.ingest.importers.table import ImportFailure, read_table, read_text

FORMATS = ("auto", "ergast", "alkamel", "gtwc", "native", "ics")
Loader = Callable[[list[Path], str | None, int | None], ImportBatch]
LOADERS: dict[str, Loader] = {
    "ergast": ergast.load,
    "alkamel": alkamel.load,
    "gtwc": gtwc.load,
    "native": native.load,
}


def detect(path: Path) -> str:
    """Which importer reads `path` (a file or a folder)."""
    if not path.exists():
        raise ImportFailure(path, "no such file or folder")
    if path.is_dir():
        if ergast.is_dump(path):
            return "ergast"
        csvs = sorted(p for p in path.rglob("*.csv") if p.is_file())
        jsons = sorted(p for p in path.rglob("*.json") if p.is_file())
        if not csvs:
            if jsons:
                raise ImportFailure(path, "a folder of JSON files: import each native JSON file by name")
            raise ImportFailure(path, "no result files (CSV) in this folder")
        return detect(csvs[0])
    if path.suffix.casefold() == ".json":
        return "native"
    if path.suffix.casefold() in (".ics", ".ical", ".ifb"):
        return "ics"
    text = read_text(path)
    if native.looks_like(text):
        return "native"
    if ics.looks_like(text):
        return "ics"
    table = read_table(path, text)
    if gtwc.looks_like(table.header):
        return "gtwc"
    if alkamel.looks_like(table.header):
        return "alkamel"
    if "raceId" in table.header or "driverId" in table.header:
        raise ImportFailure(path, "this is one file of the Ergast dump: import its whole folder", 1)
    raise ImportFailure(
        path,
        f"unknown header: {', '.join(table.header[:8])} is not a format Pitboard reads"
        " (Ergast, Al Kamel, SRO results tables, native JSON)",
        1,
    )


def load_paths(
    paths: list[Path],
    series: str | None = None,
    season: int | None = None,
    fmt: str = "auto",
    progress: Callable[[Path], None] | None = None,
    series_name: str | None = None,
    filter_text: str | None = None,
) -> list[ImportBatch]:
    """One batch per path, all read before anything is written."""
    if fmt not in FORMATS:
        raise ImportFailure(
            paths[0] if paths else Path("."), f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}"
        )
    batches = []
    for path in paths:
        kind = detect(path) if fmt == "auto" else fmt
        if kind == "ics":
            batch = ics.load([path], series, season, series_name=series_name, filter_text=filter_text)
        else:
            batch = LOADERS[kind]([path], series, season)
        # A known track's time zone dates the sessions of a results file that comes without a calendar.
        place_events(batch)
        check_batch(path, batch)
        batches.append(batch)
        if progress:
            progress(path)
    return batches

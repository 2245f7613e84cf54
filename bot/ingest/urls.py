"""Fetched files go through the same importers as files on disk: each is written into a temporary folder
under its URL's last directories (the importers read the event and season from folder names, as for a
checkout of the files) and `load_paths` detects its format. Errors name the URL, not the temporary file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bot.core.records import ImportBatch
from bot.ingest.fetch import Fetched, safe_segment
from bot.ingest.importers import load_paths
from bot.ingest.importers.table import ImportFailure


def _place(folder: Path, fetched: Fetched, event: str | None, taken: set[Path]) -> Path:
    folders = list(fetched.folders)
    if event:
        # The admin's event= names the event folder: the URL's directories stay below it (Races/ …).
        kept = folders[-1:] if folders and folders[-1] in ("Races", "Qualifications") else []
        folders = [safe_segment(event) or "event", *kept]
    path = folder.joinpath(*folders, fetched.name)
    index = 1
    while path in taken:  # two URLs ending alike: keep both
        path = folder.joinpath(f"{index}", *folders, fetched.name)
        index += 1
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ImportFailure(fetched.url, "the file name is not allowed")
    taken.add(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(fetched.content)
    return path


def _is_empty(batch: ImportBatch) -> bool:
    return not any(season.events or season.championships or season.official_standings for season in batch.seasons)


def load_fetched(
    files: list[Fetched],
    series: str | None = None,
    season: int | None = None,
    fmt: str = "auto",
    event: str | None = None,
    series_name: str | None = None,
    filter_text: str | None = None,
) -> list[ImportBatch]:
    """One batch per fetched file, all read before anything is written; errors name the URL. `series_name`,
    `filter_text`: for ICS calendars, as for files."""
    with tempfile.TemporaryDirectory(prefix="pitboard-url-") as tmp:
        folder = Path(tmp)
        taken: set[Path] = set()
        placed = [(_place(folder, fetched, event, taken), fetched) for fetched in files]
        batches: list[ImportBatch] = []
        for path, fetched in placed:
            try:
                loaded = load_paths([path], series, season, fmt, series_name=series_name, filter_text=filter_text)
            except ImportFailure as exc:
                raise _renamed(exc, path, fetched) from None
            except (RecursionError, OverflowError, ValueError, MemoryError):
                raise ImportFailure(fetched.url, "the file cannot be read") from None
            for batch in loaded:
                if _is_empty(batch):
                    raise ImportFailure(fetched.url, "the file holds no events, sessions, results or rules")
                # The imports log says where the data came from: the URL, not the temporary file.
                batch.paths = [fetched.url]
            batches.extend(loaded)
        return batches


def _renamed(exc: ImportFailure, path: Path, fetched: Fetched) -> ImportFailure:
    where = fetched.url if exc.path in (str(path), str(path.resolve())) else f"{fetched.url} ({Path(exc.path).name})"
    return ImportFailure(where, exc.message, exc.line)

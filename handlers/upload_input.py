"""The untrusted parts of an admin upload: the caption's options and the file's name.

Only known options with validated values are accepted, and the file is written inside its temporary
folder under a sanitised name, whatever the caption or the file name says (`../`, absolute paths, NUL).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from bot import render
from bot.i18n import Translator
from bot.ingest.importers.bounds import MAX_YEAR, MIN_YEAR
from bot.ingest.importers.table import ImportFailure

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_SERIES = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_EVENT = re.compile(r"^[^\W_][\w-]{0,59}$")  # becomes a folder name: no dots, no separators
_COMMAND = re.compile(r"^/import(?:@(\w+))?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Caption:
    series: str | None = None
    season: int | None = None
    event: str | None = None


def is_import_caption(caption: str | None, bot_username: str | None) -> bool:
    """`/import` or `/import@this_bot` as the first word — not `/importfoo`, not another bot's."""
    words = (caption or "").split(maxsplit=1)
    match = _COMMAND.match(words[0]) if words else None
    if match is None:
        return False
    addressed = match.group(1)
    return addressed is None or addressed.casefold() == (bot_username or "").casefold()


def parse_caption(caption: str, t: Translator) -> Caption | str:
    """The options, or a friendly error in the chat's language."""
    options: dict[str, str] = {}
    for word in caption.split()[1:]:
        key, sep, value = word.partition("=")
        key = key.casefold()
        if not sep or key not in ("series", "season", "event") or key in options:
            return t(
                "I don't understand {option}. Options: series=SLUG, season=YEAR, event=NAME, each once.",
                option=f"<code>{render.e(word[:40])}</code>",
            )
        options[key] = value
    season = options.get("season")
    if season is not None and not (season.isascii() and season.isdigit() and MIN_YEAR <= int(season) <= MAX_YEAR):
        return t("season= must be a year such as 2023.")
    series = options.get("series", "").casefold() or None
    if series is not None and not _SERIES.match(series):
        return t("series= must be a series such as gtwc-europe (letters, digits and -).")
    event = options.get("event")
    if event is not None and not _EVENT.match(event):
        return t("event= must be a name of up to 60 letters, digits, - or _, such as Barcelona.")
    return Caption(series, int(season) if season else None, event)


def safe_name(name: str | None) -> str:
    """A plain file name of the upload, never a path: the last component, safe characters, no leading dot."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _SAFE_NAME.sub("_", base).lstrip("._")
    stem, dot, suffix = base.rpartition(".")
    if dot and suffix.casefold() in ("csv", "json", "txt"):
        return f"{stem[:80] or 'upload'}.{suffix.casefold()}"
    return (base[:80] or "upload") + ".csv"


def place(folder: Path, caption: Caption, name: str, content: bytes) -> Path:
    target = folder
    if caption.season:
        target = target / str(caption.season)
    if caption.event:
        target = target / caption.event
    path = target / name
    # The grammar above already makes this so; the check keeps it so whatever changes there.
    if not path.resolve().is_relative_to(folder.resolve()):
        raise ImportFailure(name, "the file name is not allowed")
    target.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path

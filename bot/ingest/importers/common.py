"""Pieces every results importer needs: class positions, entry merging, file digests."""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.names import slug
from bot.core.records import DriverRec, EntryRec, ResultRec, SessionRec, TeamRec

_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")


def digest(paths: Iterable[Path]) -> str:
    sha = hashlib.sha256()
    for path in sorted(paths):
        sha.update(path.name.encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def year_from_path(path: Path) -> int | None:
    for part in reversed(path.resolve().parts):
        match = _YEAR.search(part)
        if match:
            return int(match.group(1))
    return None


def event_key_from_folder(folder: str) -> str:
    """'21-road-atlanta' → 'road-atlanta'; 'Circuit_Paul_Ricard_1000Km' → 'circuit-paul-ricard-1000km'."""
    return re.sub(r"^\d+-", "", slug(folder)) or slug(folder)


def event_name_from_folder(folder: str) -> str:
    text = re.sub(r"^\d+[-_ ]", "", folder).replace("_", " ").replace("-", " ")
    return " ".join(w if w.isupper() or any(c.isdigit() for c in w) else w.capitalize() for w in text.split())


def assign_class_positions(results: list[ResultRec], class_of: dict[str, str | None]) -> None:
    """Class position = order within the class by overall position, for cars that have one."""
    by_class: dict[str | None, list[ResultRec]] = defaultdict(list)
    for result in results:
        if result.position is not None and result.status in ("classified", "dnf"):
            by_class[class_of.get(result.entry_key)].append(result)
    for members in by_class.values():
        members.sort(key=lambda r: r.position or 0)
        for index, result in enumerate(members, 1):
            result.class_position = index


@dataclass
class EntrySightings:
    """One car as several files of an event describe it; merged into one entry."""

    number: str
    classes: Counter[str] = field(default_factory=Counter)
    class_files: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    team: TeamRec | None = None
    car: str | None = None
    crew: list[DriverRec] = field(default_factory=list)

    def see(
        self, file_label: str, car_class: str | None, team: TeamRec | None, car: str | None, crew: list[DriverRec]
    ) -> None:
        if car_class:
            self.classes[car_class] += 1
            self.class_files[car_class].append(file_label)
        self.team = self.team or team
        self.car = self.car or car
        known = {d.name for d in self.crew}
        self.crew.extend(d for d in crew if d.name not in known)


def merge_entries(sightings: dict[str, EntrySightings], event_label: str, notes: list[str]) -> list[EntryRec]:
    entries = []
    for key, seen in sightings.items():
        car_class = None
        if seen.classes:
            car_class, _ = seen.classes.most_common(1)[0]
            for other, count in seen.classes.items():
                if other != car_class:
                    files = ", ".join(seen.class_files[other][:3])
                    notes.append(
                        f"{event_label}: #{seen.number} is {other!r} in {count} file(s) ({files}) but {car_class!r}"
                        f" in {seen.classes[car_class]}; entered as {car_class!r}"
                    )
        entries.append(
            EntryRec(key=key, number=seen.number, team=seen.team, car=seen.car, car_class=car_class, crew=seen.crew[:6])
        )
    return entries


# Intermediate classifications of an endurance race, as timing services name them: SRO's
# "Main_Race_after_6_hours" / "after_1.30_hour" (1 h 30), Al Kamel's "Race_Hour 6" / "Hour_06".
_AFTER = re.compile(r"after[ _-]*(\d+)(?:[.,](\d+))?[ _-]*(hours?|mins?|minutes?)(?![a-z])", re.IGNORECASE)
_HOUR = re.compile(r"(?<![a-z])hour[ _-]*(\d{1,2})(?!\d)", re.IGNORECASE)


def stage_minutes(stem: str) -> int | None:
    """Minutes into the race of an intermediate classification named `stem`, or None for any other file."""
    after = _AFTER.search(stem)
    if after:
        amount, fraction, unit = int(after.group(1)), after.group(2), after.group(3).casefold()
        return amount * 60 + int(fraction or 0) if unit.startswith("hour") else amount
    hour = _HOUR.search(stem)
    return int(hour.group(1)) * 60 if hour and int(hour.group(1)) > 0 else None


def stage_session(minutes: int) -> SessionRec:
    """The race's stage after `minutes`: one key for every importer, so the same stage from two sources
    (a results table and a watched timing file) is one session."""
    label = f"{minutes // 60}h{minutes % 60:02d}" if minutes % 60 else f"{minutes // 60}h"
    if minutes < 60:
        label = f"{minutes}min"
    return SessionRec(
        key=f"race-after-{label}", name=f"Race, after {label}", kind="stage", parent_key="race", stage_minutes=minutes
    )

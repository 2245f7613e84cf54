"""Series-website result tables (SRO: GT World Challenge Europe and its siblings).

Layout: one folder per event, `Races/` (Race_1.csv, Main_Race.csv, Main_Race_after_6_hours.csv)
and `Qualifications/` (Qualifying_1.csv, Combined_Qualifying.csv). Race header: Pos, Car #,
Class, Drivers, Team, Car, Time (best lap), Laps, Gap; qualifying adds Avg Time, Time 1..4.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from bot.core.names import name_key, split_crew
from bot.core.records import DriverRec, EventRec, ImportBatch, ResultRec, SeasonRec, SessionRec, TeamRec
from bot.ingest.importers.common import (
    EntrySightings,
    assign_class_positions,
    digest,
    event_key_from_folder,
    event_name_from_folder,
    merge_entries,
    stage_minutes,
    stage_session,
    year_from_path,
)
from bot.ingest.importers.table import ImportFailure, Table, parse_duration_ms, parse_int, read_table

SOURCE = "gtwc"
HEADER = ("Pos", "Car #", "Class", "Drivers", "Team")

# How the series' own pages spell a class now and then; the canonical names are SRO's.
CLASS_ALIASES = {
    "bronze": "Bronze Cup",
    "silver": "Silver Cup",
    "gold": "Gold Cup",
    "pro": "Pro Cup",
    "pro-am": "Pro-Am Cup",
    "pro-am cup": "Pro-Am Cup",
    "proam": "Pro-Am Cup",
    "pro am cup": "Pro-Am Cup",
    "bronze cup": "Bronze Cup",
    "silver cup": "Silver Cup",
    "gold cup": "Gold Cup",
    "pro cup": "Pro Cup",
}

_PROVISIONAL = re.compile(r"[_ -]?\(?(provisional|unofficial)\)?", re.IGNORECASE)


def looks_like(header: list[str]) -> bool:
    return all(h in header for h in HEADER)


def _canonical_class(raw: str, notes: Counter[str]) -> str | None:
    raw = " ".join(raw.split())
    if not raw:
        return None
    canonical = CLASS_ALIASES.get(raw.casefold(), raw)
    if canonical != raw:
        notes[f"class {raw!r} read as {canonical!r}"] += 1
    return canonical


def _session_for(path: Path, sprint_event: bool) -> SessionRec:
    session = _session_from_stem(path, _PROVISIONAL.sub("", path.stem), sprint_event)
    # Timing pages publish a provisional classification first; the final one replaces it.
    session.results_status = "provisional" if _PROVISIONAL.search(path.stem) else "final"
    return session


def _session_from_stem(path: Path, stem: str, sprint_event: bool) -> SessionRec:
    lower = stem.casefold()
    minutes = stage_minutes(stem)
    if minutes:
        return stage_session(minutes)
    if lower == "main_race":
        return SessionRec(key="race", name="Race", kind="race")
    match = re.fullmatch(r"race_(\d+)", lower)
    if match:
        return SessionRec(key=f"race-{match.group(1)}", name=f"Race {match.group(1)}", kind="race")
    if lower == "combined_qualifying":
        return SessionRec(
            key="combined-qualifying",
            name="Qualifying (combined)",
            kind="qualifying",
            sets_grid=True,
            parent_key="race",
        )
    match = re.fullmatch(r"qualifying_(\d+)", lower)
    if match:
        number = match.group(1)
        # At a sprint weekend Qualifying 1 sets Race 1's grid; at an endurance weekend the
        # qualifying parts only feed the combined result.
        return SessionRec(
            key=f"qualifying-{number}",
            name=f"Qualifying {number}",
            kind="qualifying",
            sets_grid=sprint_event,
            parent_key=f"race-{number}" if sprint_event else "race",
        )
    match = re.fullmatch(r"(free_)?practice_?(\d*)", lower)
    if match:
        return SessionRec(
            key=f"practice-{match.group(2) or 1}", name=f"Practice {match.group(2) or 1}", kind="practice"
        )
    raise ImportFailure(
        path,
        f"cannot tell which session {path.name!r} is (expected Race_1, Main_Race,"
        " Main_Race_after_6_hours, Qualifying_1 or Combined_Qualifying)",
    )


def _event_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.csv") if p.is_file())


def _is_event_folder(folder: Path) -> bool:
    return (folder / "Races").is_dir() or (folder / "Qualifications").is_dir()


def load(paths: list[Path], series: str | None, season: int | None) -> ImportBatch:
    """Paths: season folders, event folders or single files."""
    groups: dict[Path, list[Path]] = {}
    for path in paths:
        if path.is_dir() and _is_event_folder(path):
            groups.setdefault(path, []).extend(_event_files(path))
        elif path.is_dir():
            for sub in sorted(p for p in path.iterdir() if p.is_dir() and _is_event_folder(p)):
                groups.setdefault(sub, []).extend(_event_files(sub))
        else:
            event_folder = path.parent.parent if path.parent.name in ("Races", "Qualifications") else path.parent
            groups.setdefault(event_folder, []).append(path)
    if not groups:
        raise ImportFailure(paths[0], "no event folders with Races/ or Qualifications/ found")
    years = {season or year_from_path(folder) for folder in groups}
    if None in years or len(years) != 1:
        raise ImportFailure(paths[0], "cannot tell the season from the folder names; pass --season")
    year = years.pop()
    assert year is not None
    notes: list[str] = []
    slug = series or "gtwc-europe"
    events = [_load_event(folder, files, notes, f"{SOURCE}:{slug}") for folder, files in groups.items()]
    all_files = [f for files in groups.values() for f in files]
    return ImportBatch(
        source=SOURCE,
        series_slug=slug,
        series_name="GT World Challenge Europe" if slug == "gtwc-europe" else slug,
        seasons=[SeasonRec(year=year, events=events)],
        notes=notes,
        paths=[str(p) for p in all_files],
        digest=digest(all_files),
    )


def _load_event(folder: Path, files: list[Path], notes: list[str], source: str) -> EventRec:
    stems = [_PROVISIONAL.sub("", f.stem).casefold() for f in files]
    sprint_event = any(re.fullmatch(r"race_\d+", stem) for stem in stems)
    has_race_file = any(stem == "main_race" or re.fullmatch(r"race_\d+", stem) for stem in stems)
    # Race classifications first: their crews and classes are the ones that count.
    files = sorted(files, key=lambda f: (f.parent.name != "Races", "after" in f.stem.casefold(), f.name))
    label = event_name_from_folder(folder.name)
    class_notes: Counter[str] = Counter()
    sightings: dict[str, EntrySightings] = {}
    sessions: list[SessionRec] = []
    for path in files:
        table = read_table(path)
        if not looks_like(table.header):
            raise ImportFailure(
                path, f"unknown header: expected {', '.join(HEADER)}; found {', '.join(table.header[:9])}", 1
            )
        session = _session_for(path, sprint_event)
        session.results = _results(table, session, sightings, class_notes, f"{path.parent.name}/{path.name}", source)
        sessions.append(session)
    entries = merge_entries(sightings, label, notes)
    class_of = {e.key: e.car_class for e in entries}
    for session in sessions:
        if session.kind in ("race", "stage", "sprint"):
            assign_class_positions(session.results or [], class_of)
        else:
            _qualifying_class_positions(session.results or [], class_of)
    for text, count in sorted(class_notes.items()):
        notes.append(f"{label}: {text} ({count} row(s))")
    tags = ["sprint"] if sprint_event else (["endurance"] if has_race_file else None)
    key = event_key_from_folder(folder.name)
    return EventRec(key=key, name=label, aliases=[folder.name], tags=tags, entries=entries, sessions=sessions)


def _qualifying_class_positions(results: list[ResultRec], class_of: dict[str, str | None]) -> None:
    counters: Counter[str | None] = Counter()
    for result in sorted(
        (r for r in results if r.position is not None and r.status == "classified"), key=lambda r: r.position or 0
    ):
        car_class = class_of.get(result.entry_key)
        counters[car_class] += 1
        result.class_position = counters[car_class]


def _results(
    table: Table,
    session: SessionRec,
    sightings: dict[str, EntrySightings],
    class_notes: Counter[str],
    label: str,
    source: str,
) -> list[ResultRec]:
    results: list[ResultRec] = []
    seen: dict[str, int] = {}
    is_race = session.kind in ("race", "stage")
    for row in table:
        number = row.get("Car #").strip()
        if not number:
            raise ImportFailure(table.path, "row without a car number", row.line)
        if number in seen:
            raise ImportFailure(
                table.path, f"car #{number} appears twice in one session (also line {seen[number]})", row.line
            )
        seen[number] = row.line
        names = split_crew(row.get("Drivers"))
        if not names:
            raise ImportFailure(table.path, f"car #{number} has no drivers", row.line)
        crew = [DriverRec(name=n, source=source, source_id=name_key(n)) for n in names]
        team_name = " ".join(row.get("Team").split())
        team = TeamRec(name=team_name) if team_name else None
        car_class = _canonical_class(row.get("Class"), class_notes)
        sightings.setdefault(number, EntrySightings(number=number)).see(
            label, car_class, team, row.get("Car") or None, crew
        )
        pos_text = row.get("Pos").strip()
        position = parse_int(pos_text)
        if position is None and pos_text.upper() not in ("NC", "DNF", "DNS", "DSQ", "DQ", "RET", ""):
            raise ImportFailure(table.path, f"position {pos_text!r} is neither a number nor NC/DNF/DNS/DSQ", row.line)
        status = "classified"
        if position is None:
            status = {"DNS": "dns", "DSQ": "dsq", "DQ": "dsq", "DNF": "dnf", "RET": "dnf"}.get(
                pos_text.upper(), "not_classified"
            )
        best_text = row.get("Time") or row.get("Avg Time")
        laps = parse_int(row.get("Laps"))
        if is_race and row.get("Laps") and laps is None:
            raise ImportFailure(table.path, f"laps {row.get('Laps')!r} is not a number", row.line)
        results.append(
            ResultRec(
                entry_key=number,
                status=status,
                position=position,
                laps=laps,
                order=len(results) + 1,
                gap_text=row.get("Gap") or None,
                best_lap_text=best_text or None,
                best_lap_ms=parse_duration_ms(best_text) if best_text else None,
                status_detail=f"not classified after {laps} laps" if status == "not_classified" and laps else None,
            )
        )
    if not results:
        raise ImportFailure(table.path, "the file has a header but no results", 2)
    return results

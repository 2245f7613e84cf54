"""Al Kamel Systems result CSVs (IMSA, FIA WEC, ELMS, SRO America).

Two layouts: the current one with DRIVERn_FIRSTNAME/SECONDNAME (n = 1..6) and the older
WEC/ELMS one with DRIVER_1..DRIVER_4 as "Firstname LASTNAME". Qualifying files have their own
header (POS, TIME, ' LAPS'). File names start with the session's local start (YYYYMMDDHHMM).

Almost every race row says "Classified", even for a car that stopped hours early, so a
retirement is inferred: a car whose last crossing of the line came more than
`RETIRED_AFTER_LAPS` of its own average laps before the winner's finish was not running at
the end (Petit Le Mans 2023: the #10 stopped 64 minutes early; the #63 crossed the line for
the last time 9 minutes, under six of its laps, before the flag and counts as running).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from bot.core.names import display_name, name_key
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
from bot.ingest.importers.table import ImportFailure, Row, Table, parse_duration_ms, parse_int, read_table

RETIRED_AFTER_LAPS = 8.0

_PROVISIONAL = re.compile(r"provisional|unofficial", re.IGNORECASE)
_LOCAL_START = re.compile(r"^(\d{12})[-_]")
_STATUS = {
    "classified": "classified",
    "running": "classified",
    "finished": "classified",
    "not classified": "not_classified",
    "nc": "not_classified",
    "not started": "dns",
    "dns": "dns",
    "did not start": "dns",
    "retired": "dnf",
    "dnf": "dnf",
    "disqualified": "dsq",
    "dsq": "dsq",
    "excluded": "dsq",
    "dq": "dsq",
}
KNOWN_SERIES = {
    "imsa": "IMSA WeatherTech SportsCar Championship",
    "wec": "FIA World Endurance Championship",
    "elms": "European Le Mans Series",
    "gtwc-america": "GT World Challenge America",
}


def looks_like(header: list[str]) -> bool:
    has_position = "POSITION" in header or "POS" in header
    has_driver = "DRIVER1_FIRSTNAME" in header or "DRIVER_1" in header
    return has_position and "NUMBER" in header and "CLASS" in header and has_driver


def _series_for(paths: list[Path], tables: list[Table], series: str | None) -> str:
    if series:
        return series
    if all(any(h.startswith("IMSA_") for h in t.header) for t in tables):
        return "imsa"
    for path in paths:
        for token in re.split(r"[^A-Za-z]+", path.name.upper()):
            if token.lower() in KNOWN_SERIES:
                return token.lower()
    raise ImportFailure(paths[0], "cannot tell the series from this Al Kamel file; pass --series (e.g. wec, elms)")


def _session_for(path: Path) -> SessionRec:
    stem = path.stem.casefold()
    local = _LOCAL_START.match(path.name)
    start_local = None
    if local:
        try:
            start_local = datetime.strptime(local.group(1), "%Y%m%d%H%M").strftime("%Y-%m-%dT%H:%M:%S")
        except ValueError as exc:
            raise ImportFailure(path, f"file name starts with an impossible date {local.group(1)!r}") from exc
    minutes = stage_minutes(path.stem)
    if minutes:  # "Race_Hour 6": the classification after 6 hours, a stage of the race
        session = stage_session(minutes)
    elif "qualif" in stem:
        session = SessionRec(key="qualifying", name="Qualifying", kind="qualifying", sets_grid=True, parent_key="race")
    elif "race" in stem or "classification" in stem:
        session = SessionRec(key="race", name="Race", kind="race")
    elif "practice" in stem:
        number = re.search(r"practice[-_ ]?(\d)", stem)
        key = f"practice-{number.group(1)}" if number else "practice"
        session = SessionRec(key=key, name=key.replace("-", " ").capitalize(), kind="practice")
    else:
        raise ImportFailure(path, "cannot tell the session from the file name (expected …race…, …qualifying…)")
    if start_local:
        session.start_local = start_local
        session.start_date = start_local[:10]
    return session


def _crew(row: Row, header: list[str], series: str) -> list[DriverRec]:
    crew: list[DriverRec] = []
    if "DRIVER1_FIRSTNAME" in header:
        for n in range(1, 7):
            first = row.get(f"DRIVER{n}_FIRSTNAME")
            last = row.get(f"DRIVER{n}_SECONDNAME")
            if not (first or last):
                continue
            name = display_name(f"{first} {last}".strip())
            source_id = row.get(f"DRIVER{n}_{series.upper()}_DriverId") or None
            source = series if source_id else f"alkamel:{series}"
            crew.append(
                DriverRec(
                    name=name,
                    first_name=first or None,
                    last_name=display_name(last) or None,
                    source=source,
                    source_id=source_id or name_key(name),
                    nationality=row.get(f"DRIVER{n}_COUNTRY") or None,
                )
            )
    else:
        for n in range(1, 7):
            name = row.get(f"DRIVER_{n}")
            if name:
                shown = display_name(name)
                crew.append(DriverRec(name=shown, source=f"alkamel:{series}", source_id=name_key(shown)))
    return crew


def load(paths: list[Path], series: str | None, season: int | None) -> ImportBatch:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.csv") if p.is_file()))
        else:
            files.append(path)
    if not files:
        raise ImportFailure(paths[0], "no CSV files found")
    tables = [read_table(f) for f in files]
    for table in tables:
        if not looks_like(table.header):
            raise ImportFailure(
                table.path,
                "unknown header: not an Al Kamel results table (expected POSITION/POS, NUMBER, CLASS, DRIVER…)",
                1,
            )
    series_slug = _series_for(files, tables, series)
    notes: list[str] = []
    by_event: dict[str, list[Table]] = {}
    for table in tables:
        by_event.setdefault(_event_folder(table.path), []).append(table)
    years: set[int] = set()
    events = []
    for folder, event_tables in by_event.items():
        event, event_years = _load_event(folder, event_tables, series_slug, notes)
        years |= event_years
        events.append(event)
    if season is None:
        if len(years) != 1:
            raise ImportFailure(files[0], "cannot tell the season from file names or folders; pass --season")
        season = years.pop()
    return ImportBatch(
        source="alkamel",
        series_slug=series_slug,
        series_name=KNOWN_SERIES.get(series_slug, series_slug.upper()),
        seasons=[SeasonRec(year=season, events=events)],
        notes=notes,
        paths=[str(f) for f in files],
        digest=digest(files),
    )


_NAMED_FILE = re.compile(r"^(?:19|20)\d\d_[A-Za-z]+_(.+?)_(?:classification|results?|race|qualifying)", re.IGNORECASE)


def _event_folder(path: Path) -> str:
    """The event a file belongs to: its folder (IMSA), or the name in '2014_ELMS_Imola_Classification.csv'."""
    named = _NAMED_FILE.match(path.name)
    return named.group(1) if named else path.parent.name


def _load_event(folder: str, tables: list[Table], series: str, notes: list[str]) -> tuple[EventRec, set[int]]:
    label = event_name_from_folder(folder)
    sightings: dict[str, EntrySightings] = {}
    sessions: list[SessionRec] = []
    years: set[int] = set()
    # Race files first: their crews are the ones that raced.
    for table in sorted(tables, key=lambda t: "qualif" in t.path.name.casefold()):
        session = _session_for(table.path)
        session.results_status = "provisional" if _PROVISIONAL.search(table.path.name) else "final"
        if any(s.key == session.key for s in sessions):
            raise ImportFailure(table.path, f"a second {session.name.lower()} file for {label}")
        year = int(session.start_date[:4]) if session.start_date else year_from_path(table.path)
        if year:
            years.add(year)
        session.results = _results(table, session, sightings, series)
        sessions.append(session)
    entries = merge_entries(sightings, label, notes)
    class_of = {e.key: e.car_class for e in entries}
    for session in sessions:
        if session.kind == "race":
            retired = _infer_retirements(session.results or [])
            if retired:
                notes.append(
                    f"{label}: {len(retired)} car(s) marked 'Classified' stopped early, stored as DNF: "
                    + ", ".join(f"#{k}" for k in retired)
                )
        assign_class_positions(session.results or [], class_of)
    key = event_key_from_folder(folder)
    return EventRec(key=key, name=label, aliases=[folder], entries=entries, sessions=sessions), years


def _results(table: Table, session: SessionRec, sightings: dict[str, EntrySightings], series: str) -> list[ResultRec]:
    header = table.header
    pos_col = "POSITION" if "POSITION" in header else "POS"
    time_col = "TOTAL_TIME" if "TOTAL_TIME" in header else None
    best_col = "FL_TIME" if "FL_TIME" in header else "TIME"
    results: list[ResultRec] = []
    seen: dict[str, int] = {}
    for row in table:
        number = row.get("NUMBER")
        if not number:
            raise ImportFailure(table.path, "row without a car NUMBER", row.line)
        if number in seen:
            raise ImportFailure(
                table.path, f"car #{number} appears twice in one session (also line {seen[number]})", row.line
            )
        seen[number] = row.line
        crew = _crew(row, header, series)
        car_class = " ".join(row.get("CLASS").split()) or None
        team_name = " ".join(row.get("TEAM").split())
        if not team_name and not crew:
            raise ImportFailure(
                table.path, f"car #{number}: the row has no TEAM and no drivers; is it cut short?", row.line
            )
        sightings.setdefault(number, EntrySightings(number=number)).see(
            table.path.name, car_class, TeamRec(name=team_name) if team_name else None, row.get("VEHICLE") or None, crew
        )
        raw_status = row.get("STATUS")
        status = _STATUS.get(raw_status.casefold()) if raw_status else "classified"
        if status is None:
            raise ImportFailure(table.path, f"unknown STATUS {raw_status!r}", row.line)
        position = parse_int(row.get(pos_col))
        laps = parse_int(row.get("LAPS"))
        total_text = row.get(time_col) if time_col else ""
        best_text = row.get(best_col)
        if position is None and status == "classified":
            status = "dns" if not laps else "not_classified"
        results.append(
            ResultRec(
                entry_key=number,
                status=status,
                position=position if status != "dns" else None,
                laps=laps,
                order=len(results) + 1,
                time_text=total_text or None,
                time_ms=parse_duration_ms(total_text) if total_text else None,
                gap_text=(row.get("GAP_FIRST") or None) if row.get("GAP_FIRST") != "-" else None,
                best_lap_text=best_text or None,
                best_lap_ms=parse_duration_ms(best_text) if best_text else None,
                status_detail=raw_status if raw_status and status not in ("classified",) else None,
            )
        )
    if not results:
        raise ImportFailure(table.path, "the file has a header but no results", 2)
    return results


def _infer_retirements(results: list[ResultRec]) -> list[str]:
    finishers = [r for r in results if r.status == "classified" and r.time_ms and r.position]
    if not finishers:
        return []
    winner = min(finishers, key=lambda r: r.position or 0)
    assert winner.time_ms is not None
    retired = []
    for result in finishers:
        if result is winner or not result.laps or result.time_ms is None:
            continue
        average_lap = result.time_ms / result.laps
        if winner.time_ms - result.time_ms > RETIRED_AFTER_LAPS * average_lap:
            result.status = "dnf"
            result.status_detail = f"stopped after {result.time_text} ({result.laps} laps)"
            retired.append(result.entry_key)
    return retired

"""The Ergast F1 CSV dump (1950–2024): races with session times, qualifying, sprint and race
results, drivers, constructors as teams, and the official standings after every round."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from bot.core.records import (
    DriverRec,
    EntryRec,
    EventRec,
    ImportBatch,
    OfficialStandingRec,
    ResultRec,
    SeasonRec,
    SessionRec,
    TeamRec,
)
from bot.ingest.importers.common import digest
from bot.ingest.importers.table import ImportFailure, Row, read_table

SOURCE = "ergast"
REQUIRED_FILES = ("races.csv", "results.csv", "drivers.csv", "constructors.csv", "circuits.csv", "status.csv")
OPTIONAL_FILES = ("sprint_results.csv", "qualifying.csv", "driver_standings.csv", "constructor_standings.csv")
_SESSION_TIMES = (
    ("fp1", "Practice 1", "practice"),
    ("fp2", "Practice 2", "practice"),
    ("fp3", "Practice 3", "practice"),
    ("quali", "Qualifying", "qualifying"),
    ("sprint", "Sprint", "sprint"),
)
# Ergast's positionText letters (Jolpica sends the same): retired, disqualified, excluded, withdrawn, failed to
# qualify, not classified.
POSITION_TEXT = {"R": "dnf", "D": "dsq", "E": "dsq", "W": "dns", "F": "dns", "N": "not_classified"}


def is_dump(folder: Path) -> bool:
    return folder.is_dir() and all((folder / name).is_file() for name in ("races.csv", "results.csv", "drivers.csv"))


def _value(row: Row, column: str) -> str | None:
    text = row.get(column)
    return None if text in ("", "\\N") else text


def _int(row: Row, column: str, path: Path, required: bool = False) -> int | None:
    text = _value(row, column)
    if text is None:
        if required:
            raise ImportFailure(path, f"{column} is empty", row.line)
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise ImportFailure(path, f"{column} {text!r} is not a whole number", row.line) from exc


def _float(row: Row, column: str, path: Path) -> float | None:
    text = _value(row, column)
    if text is None:
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise ImportFailure(path, f"{column} {text!r} is not a number", row.line) from exc


def _utc(date: str | None, time: str | None) -> str | None:
    if not date or not time:
        return None
    return f"{date}T{time[:8]}Z"


def load(paths: list[Path], series: str | None, season: int | None) -> ImportBatch:
    if len(paths) != 1 or not paths[0].is_dir():
        raise ImportFailure(paths[0], "import the whole Ergast folder (races.csv, results.csv, drivers.csv, …)")
    folder = paths[0]
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ImportFailure(folder, f"the Ergast dump lacks {', '.join(missing)}")
    files = [folder / n for n in REQUIRED_FILES + OPTIONAL_FILES if (folder / n).is_file()]
    tables = {path.name: read_table(path) for path in files}
    columns = {
        "races.csv": ("raceId", "year", "round", "circuitId", "name", "date"),
        "results.csv": ("raceId", "driverId", "constructorId", "position", "positionText", "points", "statusId"),
        "drivers.csv": ("driverId", "driverRef", "forename", "surname"),
        "constructors.csv": ("constructorId", "constructorRef", "name"),
        "circuits.csv": ("circuitId", "circuitRef", "name", "country"),
        "status.csv": ("statusId", "status"),
        "sprint_results.csv": ("raceId", "driverId", "constructorId", "position", "positionText", "points"),
        "qualifying.csv": ("raceId", "driverId", "constructorId", "position"),
        "driver_standings.csv": ("raceId", "driverId", "points", "position", "positionText", "wins"),
        "constructor_standings.csv": ("raceId", "constructorId", "points", "position", "positionText", "wins"),
    }
    for name, table in tables.items():
        table.require(columns[name])

    drivers: dict[str, tuple[str, DriverRec]] = {}
    for row in tables["drivers.csv"]:
        ref = row.get("driverRef")
        first, last = row.get("forename"), row.get("surname")
        drivers[row.get("driverId")] = (
            ref,
            DriverRec(
                name=f"{first} {last}".strip(),
                first_name=first,
                last_name=last,
                source=SOURCE,
                source_id=ref,
                nationality=_value(row, "nationality"),
                birth_date=_value(row, "dob"),
            ),
        )
    teams = {
        row.get("constructorId"): TeamRec(name=row.get("name"), source=SOURCE, source_id=row.get("constructorRef"))
        for row in tables["constructors.csv"]
    }
    circuits = {row.get("circuitId"): row for row in tables["circuits.csv"]}
    statuses = {row.get("statusId"): row.get("status") for row in tables["status.csv"]}

    results_by_race: dict[str, list[Row]] = defaultdict(list)
    for row in tables["results.csv"]:
        results_by_race[row.get("raceId")].append(row)
    sprints_by_race: dict[str, list[Row]] = defaultdict(list)
    for row in tables.get("sprint_results.csv", ()):
        sprints_by_race[row.get("raceId")].append(row)
    quali_by_race: dict[str, list[Row]] = defaultdict(list)
    for row in tables.get("qualifying.csv", ()):
        quali_by_race[row.get("raceId")].append(row)

    seasons: dict[int, SeasonRec] = {}
    event_key_of: dict[str, tuple[int, str]] = {}
    races_path = folder / "races.csv"
    for row in tables["races.csv"]:
        year = _int(row, "year", races_path, required=True)
        rnd = _int(row, "round", races_path, required=True)
        assert year is not None and rnd is not None
        if season is not None and year != season:
            continue
        race_id = row.get("raceId")
        circuit = circuits.get(row.get("circuitId"))
        if circuit is None:
            raise ImportFailure(races_path, f"unknown circuitId {row.get('circuitId')}", row.line)
        event = _event(
            row,
            rnd,
            circuit,
            drivers,
            teams,
            statuses,
            results_by_race[race_id],
            sprints_by_race.get(race_id, []),
            quali_by_race.get(race_id, []),
            folder,
        )
        seasons.setdefault(year, SeasonRec(year=year)).events.append(event)
        event_key_of[race_id] = (year, event.key)

    for name, kind, champ, id_column in (
        ("driver_standings.csv", "driver", "drivers", "driverId"),
        ("constructor_standings.csv", "team", "constructors", "constructorId"),
    ):
        standings_table = tables.get(name)
        if standings_table is None:
            continue
        for row in standings_table:
            located = event_key_of.get(row.get("raceId"))
            if located is None:
                continue
            year, event_key = located
            subject = row.get(id_column)
            if kind == "driver":
                if subject not in drivers:
                    raise ImportFailure(standings_table.path, f"unknown driverId {subject}", row.line)
                source_id = drivers[subject][0]
            else:
                if subject not in teams:
                    raise ImportFailure(standings_table.path, f"unknown constructorId {subject}", row.line)
                source_id = teams[subject].source_id or ""
            points = _float(row, "points", standings_table.path)
            seasons[year].official_standings.append(
                OfficialStandingRec(
                    championship_key=champ,
                    event_key=event_key,
                    subject_kind=kind,
                    subject_source_id=source_id,
                    points=points or 0.0,
                    position=_int(row, "position", standings_table.path),
                    position_text=_value(row, "positionText"),
                    wins=_int(row, "wins", standings_table.path),
                )
            )
    if not seasons:
        raise ImportFailure(races_path, f"no races{f' in {season}' if season else ''}")
    return ImportBatch(
        source=SOURCE,
        series_slug=series or "f1",
        series_name="Formula 1",
        seasons=[seasons[y] for y in sorted(seasons)],
        paths=[str(f) for f in files],
        digest=digest(files),
    )


def _event(
    race: Row,
    rnd: int,
    circuit: Row,
    drivers: dict[str, tuple[str, DriverRec]],
    teams: dict[str, TeamRec],
    statuses: dict[str, str],
    results: list[Row],
    sprints: list[Row],
    qualifying: list[Row],
    folder: Path,
) -> EventRec:
    date = _value(race, "date")
    sessions: list[SessionRec] = []
    # From 2023 a sprint weekend's second session is the sprint qualifying (shootout), which the dump files as
    # fp2; Jolpica names it SprintQualifying. Both sources store it as the same session.
    sprint_qualifying = _value(race, "sprint_date") is not None and int(_value(race, "year") or 0) >= 2023
    for prefix, name, kind in _SESSION_TIMES:
        day = _value(race, f"{prefix}_date")
        if day is None:
            continue
        key = "qualifying" if prefix == "quali" else prefix
        grid_for = "race" if prefix == "quali" else None
        if prefix == "fp2" and sprint_qualifying:
            key, name, kind, grid_for = "sprint-qualifying", "Sprint Qualifying", "qualifying", "sprint"
        sessions.append(
            SessionRec(
                key=key,
                name=name,
                kind=kind,
                start_date=day,
                start_utc=_utc(day, _value(race, f"{prefix}_time")),
                sets_grid=grid_for is not None,
                parent_key=grid_for,
            )
        )
    race_session = SessionRec(
        key="race", name="Race", kind="race", start_date=date, start_utc=_utc(date, _value(race, "time"))
    )
    sessions.append(race_session)

    # A driver normally has one car per race; early shared drives give him two, told apart by number.
    per_driver = Counter(r.get("driverId") for r in results)
    entries: dict[str, EntryRec] = {}

    def entry_key(row: Row) -> str:
        driver_ref, driver = drivers[row.get("driverId")]
        number = _value(row, "number") or ""
        key = driver_ref if per_driver[row.get("driverId")] <= 1 else f"{driver_ref}#{number}"
        if key not in entries:
            team = teams.get(row.get("constructorId"))
            entries[key] = EntryRec(
                key=key, number=number, team=team, car=team.name if team else None, car_class=None, crew=[driver]
            )
        return key

    def check_ids(row: Row, path: Path) -> None:
        if row.get("driverId") not in drivers:
            raise ImportFailure(path, f"unknown driverId {row.get('driverId')}", row.line)
        if row.get("constructorId") not in teams:
            raise ImportFailure(path, f"unknown constructorId {row.get('constructorId')}", row.line)

    results_path = folder / "results.csv"
    if results:
        race_session.results = []
        race_session.status = "finished"
        for row in results:
            check_ids(row, results_path)
            race_session.results.append(_result(row, entry_key(row), statuses, results_path))
    if sprints:
        sprint = next((s for s in sessions if s.key == "sprint"), None)
        if sprint is None:
            sprint = SessionRec(key="sprint", name="Sprint", kind="sprint")
            sessions.insert(-1, sprint)
        sprint.results = []
        sprint.status = "finished"
        for row in sprints:
            check_ids(row, folder / "sprint_results.csv")
            sprint.results.append(_result(row, entry_key(row), statuses, folder / "sprint_results.csv"))
    if qualifying:
        quali = next((s for s in sessions if s.key == "qualifying"), None)
        if quali is None:
            quali = SessionRec(
                key="qualifying", name="Qualifying", kind="qualifying", sets_grid=True, parent_key="race"
            )
            sessions.insert(0, quali)
        quali.results = []
        quali.status = "finished"
        path = folder / "qualifying.csv"
        for row in qualifying:
            check_ids(row, path)
            key = entry_key(row)
            best = next((t for t in (_value(row, "q3"), _value(row, "q2"), _value(row, "q1")) if t), None)
            position = _int(row, "position", path)
            quali.results.append(
                ResultRec(
                    entry_key=key,
                    status="classified" if position else "not_classified",
                    position=position,
                    best_lap_text=best,
                )
            )
    return EventRec(
        key=f"{rnd:02d}-{circuit.get('circuitRef')}",
        name=race.get("name"),
        round=rnd,
        circuit=circuit.get("name"),
        country=circuit.get("country"),
        start_date=_value(race, "fp1_date") or date,
        end_date=date,
        tags=["sprint-weekend"] if sprints else [],
        entries=list(entries.values()),
        sessions=sessions,
    )


def _result(row: Row, key: str, statuses: dict[str, str], path: Path) -> ResultRec:
    text = row.get("positionText")
    status = "classified" if text.isdigit() else POSITION_TEXT.get(text)
    if status is None:
        raise ImportFailure(path, f"unknown positionText {text!r}", row.line)
    detail = statuses.get(row.get("statusId"))
    if text == "F":
        detail = "Did not qualify"
    return ResultRec(
        entry_key=key,
        status=status,
        position=_int(row, "position", path),
        status_detail=detail,
        order=_int(row, "positionOrder", path),
        laps=_int(row, "laps", path),
        time_ms=_int(row, "milliseconds", path),
        time_text=_value(row, "time"),
        best_lap_text=_value(row, "fastestLapTime"),
        fastest_lap_rank=_int(row, "rank", path),
        grid=_int(row, "grid", path),
        points=_float(row, "points", path),
    )

"""The shipped circuit table: venues as files spell them resolve to a circuit and its time zone, so results
files of known tracks get UTC times with no calendar; unknown venues stay 'time TBC'."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.ingest import circuits
from bot.ingest.importers import load_paths
from storage.schedule import ScheduledSession
from storage.store import Store
from tests.conftest import ERGAST, GTWC, IMSA, ROOT, SERIES, SHARED
from tests.databases import new_db

ALKAMEL_SAMPLE = SHARED / "alkamel-samples" / "2014_ELMS_Imola_Classification.csv"
NO_ZONE_NOTE = "has no time zone yet"


async def _import(db: Path, *paths: Path, season: int | None = None) -> tuple[list[ScheduledSession], list[str]]:
    store = await Store.open(db)
    try:
        batches = load_paths(list(paths), season=season)
        changes = await store.apply(batches)
        series = batches[-1].series_slug
        year = batches[-1].seasons[0].year
        return await store.schedule.schedule(series, year), changes.notes
    finally:
        await store.close()


def _calendar_starts(name: str) -> dict[tuple[str, str], str]:
    doc = json.loads((SERIES / name).read_text(encoding="utf-8"))
    return {
        (event["key"], session["key"]): session["start"]
        for event in doc["seasons"][0]["events"]
        for session in event["sessions"]
        if session.get("start")
    }


# --- importing without a calendar -------------------------------------------------------------------------


async def test_imsa_2023_without_calendar_gets_the_calendars_utc_times(tmp_path: Path) -> None:
    schedule, notes = await _import(new_db(tmp_path, "imsa"), IMSA)
    by_event = {(s.event_key, s.key): s for s in schedule}
    assert by_event[("road-atlanta", "race")].start_utc == "2023-10-14T15:40:00Z"
    assert by_event[("road-atlanta", "race")].timezone == "America/New_York"
    calendar = _calendar_starts("imsa-2023.json")
    # Three more zones than Road Atlanta's: Pacific, Central, Eastern with a spring-forward weekend.
    assert by_event[("long-beach-street-circuit", "race")].start_utc == calendar[("long-beach", "race")]
    assert by_event[("road-america", "race")].start_utc == calendar[("road-america", "race")]
    assert by_event[("sebring-international-raceway", "race")].start_utc == calendar[("sebring", "race")]
    assert by_event[("road-america", "race")].timezone == "America/Chicago"
    # Every session of every round is timed, and at the instant the shipped calendar gives.
    assert all(s.start_utc for s in schedule)
    assert sorted(s.start_utc or "" for s in schedule) == sorted(calendar.values())
    assert not [n for n in notes if NO_ZONE_NOTE in n]
    assert any("America/New_York (Michelin Raceway Road Atlanta, from the circuit table)" in n for n in notes), notes


async def test_gtwc_europe_2023_events_get_their_circuit_and_zone(tmp_path: Path) -> None:
    schedule, _ = await _import(new_db(tmp_path, "gtwc"), GTWC, season=2023)
    zones = {s.event_key: s.timezone for s in schedule}
    calendar = json.loads((SERIES / "gtwc-europe-2023.json").read_text(encoding="utf-8"))
    expected = {}
    for event in calendar["seasons"][0]["events"]:
        for alias in event["aliases"]:
            expected[circuits.normalise(alias).replace(" ", "-")] = event["timezone"]
    assert zones and all(zones[key] == expected[key] for key in zones), zones
    # The SRO tables carry no times: the sessions stay 'time TBC' (no start to convert), but the zone is there.
    assert zones["valencia"] == "Europe/Madrid" and zones["crowdstrike-24-hours-of-spa"] == "Europe/Brussels"


async def test_alkamel_sample_imola_is_placed(tmp_path: Path) -> None:
    schedule, _ = await _import(new_db(tmp_path, "elms"), ALKAMEL_SAMPLE)
    assert {s.timezone for s in schedule} == {"Europe/Rome"}


async def test_unknown_venue_stays_time_tbc_with_the_note(tmp_path: Path) -> None:
    folder = tmp_path / "imsa" / "2023" / "99-bull-run-raceway"
    folder.mkdir(parents=True)
    shutil.copy(IMSA / "21-road-atlanta" / "202310141140-race-results.csv", folder)
    schedule, notes = await _import(new_db(tmp_path, "unknown"), folder)
    (race,) = schedule
    assert race.start_utc is None and race.start_date == "2023-10-14" and race.timezone is None
    assert any("Bull Run Raceway" in n and NO_ZONE_NOTE in n for n in notes), notes


async def test_a_calendars_zone_wins_over_the_circuit_table(tmp_path: Path) -> None:
    doc = json.loads((SERIES / "imsa-2023.json").read_text(encoding="utf-8"))
    (event,) = [e for e in doc["seasons"][0]["events"] if e["key"] == "petit-le-mans"]
    event["timezone"] = "America/Chicago"  # not Road Atlanta's: shows whose zone the file's local time uses
    for session in event["sessions"]:
        session.pop("start", None)
        session.pop("end", None)
    doc["seasons"][0]["events"] = [event]
    calendar = tmp_path / "calendar.json"
    calendar.write_text(json.dumps(doc), encoding="utf-8")
    schedule, _ = await _import(new_db(tmp_path, "cal"), calendar, IMSA / "21-road-atlanta")
    race = next(s for s in schedule if s.key == "race")
    assert race.timezone == "America/Chicago"
    assert race.start_utc == "2023-10-14T16:40:00Z"  # 11:40 CDT, not the table's EDT


async def test_f1_events_carry_their_circuits_zone(store: Store) -> None:
    zones = {s.event_key: s.timezone for s in await store.schedule.schedule("f1", 2024)}
    assert zones["22-vegas"] == "America/Los_Angeles"
    assert zones["24-yas_marina"] == "Asia/Dubai"
    assert zones["04-suzuka"] == "Asia/Tokyo"


# --- resolving venue names ---------------------------------------------------------------------------------


# 'Valencia' in sports-car results is Circuit Ricardo Tormo, not F1's street circuit of 2008-2012.
TAKEN_REFS = {"valencia": "ricardo_tormo", "las_vegas": "vegas"}  # and "Las Vegas" is the Strip circuit now


def test_every_ergast_circuit_resolves_to_its_own_row() -> None:
    with (ERGAST / "circuits.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 77
    for row in rows:
        for spelling in (row["name"], row["name"].upper(), row["circuitRef"]):
            found = circuits.resolve(spelling)
            assert found is not None, spelling
            if spelling in TAKEN_REFS:
                assert found.id == TAKEN_REFS[spelling]
            else:
                assert found.source == f"ergast:{row['circuitId']}", (spelling, found)


def _shipped_events() -> list[dict]:
    return [
        event
        for path in sorted(SERIES.glob("*.json"))
        for season in json.loads(path.read_text(encoding="utf-8")).get("seasons", [])
        for event in season.get("events", [])
    ]


def test_every_venue_in_the_shipped_data_resolves() -> None:
    names = [p.name for p in IMSA.iterdir() if p.is_dir()]
    names += [p.name for p in GTWC.iterdir() if p.is_dir()]
    names.append("Imola")  # the Al Kamel sample's event, from its file name
    for event in _shipped_events():
        names += [event["circuit"], *event.get("aliases", [])]
    assert len(names) > 60
    assert [n for n in names if circuits.resolve(n) is None] == []


def test_an_event_name_never_points_at_another_circuit() -> None:
    """Sponsor titles ('Chevrolet Grand Prix') may resolve to nothing, never to the wrong track."""
    for event in _shipped_events():
        by_name = circuits.resolve(event["name"])
        assert by_name is None or by_name == circuits.resolve(event["circuit"]), event["name"]


@pytest.mark.parametrize(
    ("spelling", "circuit_id"),
    [
        ("Circuit de Spa-Francorchamps", "spa"),
        ("Spa", "spa"),
        ("SPA-FRANCORCHAMPS", "spa"),
        ("CrowdStrike_24_Hours_of_Spa", "spa"),
        ("Michelin Raceway Road Atlanta", "road_atlanta"),
        ("Road Atlanta", "road_atlanta"),
        ("21-road-atlanta", "road_atlanta"),
        ("Motul Petit Le Mans", "road_atlanta"),
        ("Sebring International Raceway", "sebring"),
        ("WeatherTech Raceway Laguna Seca", "laguna_seca"),
        ("Laguna Secca", "laguna_seca"),
        ("Nürburgring", "nurburgring"),
        ("Nurburgring", "nurburgring"),
        ("NÜRBURGRING", "nurburgring"),
        ("Circuit de la Sarthe", "lemans"),
        ("24 Heures du Mans", "lemans"),
        ("Valencia", "ricardo_tormo"),
        ("Valencia Street Circuit", "valencia"),
        ("Barcelona", "catalunya"),
        ("Circuit_Paul_Ricard_1000Km", "ricard"),
        ("Autódromo José Carlos Pace", "interlagos"),
        ("01-roar-before-the-24", "daytona"),
        ("Canadian Tire Motorsport Park", "mosport"),
        ("Indianapolis Motor Speedway RC", "indianapolis"),
        ("Road America", "road_america"),
    ],
)
def test_spellings_resolve(spelling: str, circuit_id: str) -> None:
    found = circuits.resolve(spelling)
    assert found is not None and found.id == circuit_id


@pytest.mark.parametrize(
    "venue",
    [
        "Bull Run",  # not the Red Bull Ring
        "Road Americas Raceway",  # neither Road America nor Road Atlanta by a letter of fuzz
        "Homestead-Miami Speedway",  # a city inside another track's name is not that city's circuit
        "Las Vegas Motor Speedway",
        "Portland International Raceway",
        "Circuit",
        "",
        "2023",
    ],
)
def test_unknown_or_other_tracks_resolve_to_none(venue: str) -> None:
    assert circuits.resolve(venue) is None


@pytest.mark.parametrize(
    ("venue", "zone"),
    [
        ("Suzuka", "Asia/Tokyo"),
        ("Interlagos", "America/Sao_Paulo"),
        ("Spa", "Europe/Brussels"),
        ("Road Atlanta", "America/New_York"),
        ("Sebring", "America/New_York"),
        ("Laguna Seca", "America/Los_Angeles"),
        ("Le Mans", "Europe/Paris"),
        ("Yas Marina", "Asia/Dubai"),
        ("Las Vegas", "America/Los_Angeles"),
        ("Indianapolis", "America/Indiana/Indianapolis"),
        ("Detroit Street Circuit", "America/Detroit"),
        ("Canadian Tire Motorsport Park", "America/Toronto"),
    ],
)
def test_zones(venue: str, zone: str) -> None:
    found = circuits.resolve(venue)
    assert found is not None and found.timezone == zone


def test_every_row_says_where_it_came_from() -> None:
    table = circuits.table()
    assert len(table) >= 100
    sources = {c.source.split(":")[0] for c in table.circuits.values()}
    assert sources == {"ergast", "scripts/circuits_input.json"}


def test_build_script_gives_the_shipped_file_again(tmp_path: Path) -> None:
    pytest.importorskip("timezonefinder")
    outputs = []
    for run in ("first", "second"):
        output = tmp_path / f"{run}.json"
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "scripts" / "build_circuits.py"),
                "--ergast",
                str(ERGAST / "circuits.csv"),
                "--output",
                str(output),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        outputs.append(output.read_bytes())
    assert outputs[0] == outputs[1] == circuits.TABLE_PATH.read_bytes()

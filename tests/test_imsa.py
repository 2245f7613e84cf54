"""IMSA 2023 from Al Kamel CSVs, with retirements inferred from TOTAL_TIME and laps."""

from __future__ import annotations

from bot.ingest.importers import load_paths
from bot.services.classification import results_table
from storage.store import Store
from tests.conftest import SHARED


async def test_petit_le_mans_bachler_9_gtdpro(store: Store) -> None:
    race = await results_table(store, "imsa", 2023, "petit le mans", "race")
    car = next(r for r in race.rows if r.number == "9")
    assert car.team == "Pfaff Motorsports"
    assert car.car_class == "GTDPRO"
    assert "Klaus Bachler" in car.crew
    assert (car.class_position, car.position) == (2, 19)
    assert car.status == "classified"


async def test_petit_le_mans_retirement_and_laps_down(store: Store) -> None:
    race = await results_table(store, "imsa", 2023, "road atlanta", "race")
    acura = next(r for r in race.rows if r.number == "10")
    assert acura.status == "dnf"
    assert "8:57:25" in (acura.status_detail or "")
    lambo = next(r for r in race.rows if r.number == "63")
    assert lambo.status == "classified"
    class_winner = next(r for r in race.rows if r.car_class == lambo.car_class and r.class_position == 1)
    assert class_winner.laps is not None and lambo.laps is not None
    assert class_winner.laps - lambo.laps == 4


async def test_numbers_are_text(store: Store) -> None:
    race = await results_table(store, "imsa", 2023, "petit le mans", "race")
    numbers = {r.number for r in race.rows}
    assert {"01", "1", "023"} <= numbers


async def test_non_starters_from_status(store: Store) -> None:
    race = await results_table(store, "imsa", 2023, "long beach", "race")
    dns = {r.number for r in race.rows if r.status == "dns"}
    assert dns == {"80", "93"}


async def test_daytona_qualifying_filed_under_the_roar_belongs_to_daytona(store: Store) -> None:
    events = await store.schedule.find_events("imsa", 2023, "daytona")
    assert len(events) == 1
    keys = {s.key for s in await store.schedule.event_sessions(events[0].id)}
    assert {"qualifying", "race"} <= keys


async def test_calendar_times_are_utc_from_local_file_names(store: Store) -> None:
    schedule = {(s.event_key, s.key): s for s in await store.schedule.schedule("imsa", 2023)}
    assert schedule[("petit-le-mans", "race")].start_utc == "2023-10-14T15:40:00Z"
    assert schedule[("petit-le-mans", "race")].timezone == "America/New_York"
    assert schedule[("sebring", "race")].start_utc == "2023-03-18T14:10:00Z"  # EDT since 12 March
    assert schedule[("daytona", "race")].start_utc == "2023-01-28T18:40:00Z"  # EST
    # No Detroit results in the data: the calendar knows the day but not the time.
    detroit = schedule[("detroit", "race")]
    assert detroit.start_utc is None and detroit.start_date == "2023-06-03"


def test_older_al_kamel_layout_semicolons_bom_trailing_separator() -> None:
    """The 2014 ELMS file in its original form: ';', UTF-8 BOM, trailing ';', DRIVER_1..4 as 'Firstname LASTNAME'."""
    sample = SHARED / "alkamel-samples" / "2014_ELMS_Imola_Classification.csv"
    raw = sample.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert b";\r\n" in raw or b";\n" in raw
    (batch,) = load_paths([sample])
    assert (batch.series_slug, batch.seasons[0].year) == ("elms", 2014)
    event = batch.seasons[0].events[0]
    assert event.name == "Imola"
    race = event.sessions[0]
    assert race.results is not None and len(race.results) == 37
    winner = race.results[0]
    assert (winner.entry_key, winner.position, winner.class_position, winner.time_ms) == ("38", 1, 1, 14404690)
    crew = next(e for e in event.entries if e.key == "38").crew
    assert [d.name for d in crew] == ["Simon Dolan", "Harry Tincknell", "Filipe Albuquerque"]
    statuses = {r.status for r in race.results}
    assert "not_classified" in statuses

"""GT World Challenge Europe 2023 from the series' own result tables."""

from __future__ import annotations

from bot.services.classification import results_table
from bot.services.season import standings_table
from storage.store import Store


async def test_911_bronze_pole_and_not_classified_at_barcelona(store: Store) -> None:
    quali = await results_table(store, "gtwc-europe", 2023, "barcelona", "combined-qualifying", "Bronze Cup")
    pole = quali.rows[0]
    assert (pole.number, pole.class_position, pole.position) == ("911", 1, 20)
    assert pole.team == "Pure Rxcing"

    race = await results_table(store, "gtwc-europe", 2023, "barcelona", "race")
    car = next(r for r in race.rows if r.number == "911")
    assert car.status == "not_classified"
    assert car.laps == 19
    assert car.class_position is None
    assert car.crew == ("Joel Sturm", "Alex Malykhin", "Klaus Bachler")
    bronze_winner = next(r for r in race.rows if r.car_class == "Bronze Cup" and r.class_position == 1)
    assert bronze_winner.number == "188"


async def test_bachler_is_one_identity_with_varying_crews(store: Store) -> None:
    names = [n for n in await store.drivers.driver_names() if n.name == "Klaus Bachler"]
    assert len({n.driver_id for n in names}) == 1
    entries = [e for e in await store.drivers.driver_entries(names[0].driver_id) if e.series_slug == "gtwc-europe"]
    assert {e.number for e in entries} == {"911"}
    crews = {frozenset(e.crew) for e in entries}
    assert len(crews) >= 2, crews  # Sprint rounds with Malykhin, endurance with Malykhin and Sturm (Spa: + Seefried)
    assert any("Marco Seefried" in c for c in crews)
    assert len(entries) >= 5


async def _leaders(store: Store, championship: str, teams: bool = False) -> set[str]:
    tables = await standings_table(store, "gtwc-europe", 2023, "Bronze Cup", teams, championship, computed=True)
    assert len(tables) == 1 and tables[0].source == "computed"
    return {r.name for r in tables[0].rows if r.position == 1}


async def test_bronze_cup_titles_are_reproduced_from_the_rules(store: Store) -> None:
    assert await _leaders(store, "sprint") == {"Alex Malykhin"}
    assert await _leaders(store, "endurance") == {"Eddie Cheever", "Chris Froggatt", "Jonathan Hui"}
    assert await _leaders(store, "overall") == {"Alex Malykhin"}
    assert await _leaders(store, "overall", teams=True) == {"Pure Rxcing"}


async def test_endurance_cup_crew_drove_car_93(store: Store) -> None:
    tables = await standings_table(store, "gtwc-europe", 2023, "Bronze Cup", False, "endurance", computed=True)
    leaders = [r for r in tables[0].rows if r.position == 1]
    assert {n for r in leaders for n in r.numbers} == {"93"}


async def test_class_spellings_are_normalised(store: Store) -> None:
    misano = await results_table(store, "gtwc-europe", 2023, "misano", "race-1")
    assert "Bronze" not in {r.car_class for r in misano.rows}
    spa = await results_table(store, "gtwc-europe", 2023, "spa", "race")
    assert next(r for r in spa.rows if r.number == "31").car_class == "Bronze Cup"


async def test_stages_are_stored_as_stages_of_the_race(store: Store) -> None:
    spa = (await store.schedule.find_events("gtwc-europe", 2023, "spa"))[0]
    sessions = {s.key: s.kind for s in await store.schedule.event_sessions(spa.id)}
    assert sessions["race-after-6h"] == "stage"
    assert sessions["race-after-12h"] == "stage"
    assert sessions["race"] == "race"


async def test_calendar_dates_without_times_are_tbc(store: Store) -> None:
    schedule = {(s.event_key, s.key): s for s in await store.schedule.schedule("gtwc-europe", 2023)}
    assert len({s.event_key for s in schedule.values()}) == 10
    barcelona = schedule[("barcelona", "race")]
    assert barcelona.start_utc is None and barcelona.start_date == "2023-10-01"
    assert barcelona.results_status == "final"
    assert all(s.start_utc is None for s in schedule.values())  # the data has no start times: never invent one

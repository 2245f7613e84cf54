"""The queries that unpack JSON or lean on a dialect's own functions give the same answers on SQLite and on
PostgreSQL: the same store (IMSA 2023, real files) and the same chats built in both, then every such query
asked of both and compared."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.chat_settings import DEFAULTS
from bot.ingest.importers import load_paths
from storage.store import Store
from tests.conftest import IMSA, SERIES

# (chat, settings): the default, own lead times, no race reminders, no schedule notices, a JSON null.
CHATS: list[tuple[int, dict[str, Any]]] = [
    (101, {}),
    (102, {"reminder_minutes": [1440, 30], "alert_qualifying": True}),
    (103, {"alert_race": False, "reminder_minutes": [90]}),
    (104, {"alert_schedule": False, "alert_qualifying": False}),
    (105, {"reminder_minutes": None, "thread_id": 7}),
    (-1001, {"thread_id": 12, "alert_race": True}),
]


async def _build(store: Store) -> tuple[int, list[int]]:
    """IMSA 2023 and its rules, the chats above following two drivers of one car, a team and the series;
    returns a race session's id and the followed drivers."""
    await store.apply(load_paths([SERIES / "imsa-2023.json", IMSA]))
    race = await store.db.fetchrow(
        "SELECT s.id, s.event_id FROM sessions s WHERE s.kind = 'race' AND s.start_utc IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM entries en WHERE en.event_id = s.event_id) ORDER BY s.start_utc, s.id LIMIT 1"
    )
    assert race is not None
    crew = await store.db.fetch(
        "SELECT ed.driver_id, en.team_id FROM entries en JOIN entry_drivers ed ON ed.entry_id = en.id"
        " WHERE en.event_id = ? ORDER BY en.id, ed.driver_id LIMIT 2",
        race[1],
    )
    drivers = [int(r[0]) for r in crew]
    series_id = int(await store.db.fetchval("SELECT id FROM series WHERE slug = 'imsa'"))
    follows = [(101, "driver", drivers[0]), (101, "driver", drivers[1]), (102, "driver", drivers[1])]
    follows += [(103, "team", int(crew[0][1])), (104, "series", series_id), (105, "driver", drivers[0])]
    follows += [(-1001, "driver", drivers[0])]
    await store.chats.add_many([(c, "group" if c < 0 else "private", "de") for c, _ in CHATS], follows)
    await store.chats.set_many([(c, "Europe/Berlin", settings) for c, settings in CHATS])
    return int(race[0]), drivers


@pytest.fixture
async def both(tmp_path: Path, pg_url: str) -> AsyncIterator[tuple[Store, Store, int]]:
    sqlite, postgres = await Store.open(tmp_path / "s.db"), await Store.open(pg_url)
    try:
        race, _ = await _build(sqlite)
        assert (race, _) == await _build(postgres)
        yield sqlite, postgres, race
    finally:
        await sqlite.close()
        await postgres.close()


def _recipients(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    # Drivers come comma-separated in no set order; the lead times as JSON text, spaced differently.
    return sorted((r[0], tuple(sorted((r[1] or "").split(","))), r[2], r[3], tuple(json.loads(r[4]))) for r in rows)


async def test_reminder_queries_agree(both: tuple[Store, Store, int]) -> None:
    sqlite, postgres, race = both
    leads = await sqlite.reminders.leads_in_use()
    assert leads == set(DEFAULTS.reminder_minutes) | {1440, 30, 90}
    assert await postgres.reminders.leads_in_use() == leads

    start = await sqlite.db.fetchval("SELECT start_utc FROM sessions WHERE id = ?", race)
    window = ("2023-01-01T00:00:00Z", "2023-02-01T00:00:00Z")
    pairs = await sqlite.reminders.pairs(*window, leads)
    assert pairs and race in {p.session_id for p in pairs}
    assert await postgres.reminders.pairs(*window, leads) == pairs
    assert any(p.start_utc == start for p in pairs)

    for qualifying in (False, True):
        rows = [r async for batch in sqlite.reminders.reminder_audience(race, qualifying) for r in batch]
        pg_rows = [r async for batch in postgres.reminders.reminder_audience(race, qualifying) for r in batch]
        assert _recipients(pg_rows) == _recipients(rows)
        # 103 wants no race reminders; only 102 asked for qualifying ones.
        assert {r[0] for r in rows} == ({102} if qualifying else {101, 102, 104, 105, -1001})
    one = [r async for batch in postgres.reminders.reminder_audience(race, False, 102) for r in batch]
    assert [r[0] for r in one] == [102]

    notices = sorted(r for batch in [b async for b in sqlite.reminders.schedule_audience(race)] for r in batch)
    assert sorted(r for b in [b async for b in postgres.reminders.schedule_audience(race)] for r in b) == notices
    assert {r[0] for r in notices} == {101, 102, 103, 105, -1001}


async def test_planning_a_reminder_queues_the_same_rows(both: tuple[Store, Store, int]) -> None:
    sqlite, postgres, race = both
    for store in (sqlite, postgres):
        alert = await store.outbox.alert("reminder", f"reminder:{race}:x:60", race)
        ids = await store.outbox.add_parts(alert, ["head", "car 1", "car 2"])
        rows = [(101, f"{ids['head']},{ids['car 1']}"), (102, f"{ids['head']},{ids['car 2']}"), (-1001, "")]
        assert await store.outbox.enqueue_parts(alert, rows) == 3
        # Planning again adds nothing: a chat that has the alert keeps it.
        assert await store.outbox.enqueue_parts(alert, [*rows, (105, str(ids["head"]))]) == 1
    assert await postgres.reminders.planned_rows(alert) == await sqlite.reminders.planned_rows(alert)
    assert (await postgres.reminders.planned_rows(alert))[102] == ("pending", "head\ncar 2")


async def test_clearing_one_setting_keeps_the_others(both: tuple[Store, Store, int]) -> None:
    sqlite, postgres, _ = both
    for store in (sqlite, postgres):
        await store.chats.clear_setting(-1001, "thread_id")
        await store.chats.clear_setting(101, "thread_id")  # not set: nothing changes
        group, private = await store.chats.get(-1001), await store.chats.get(101)
        assert group is not None and private is not None
        assert json.loads(await store.db.fetchval("SELECT settings FROM chats WHERE id = -1001")) == {
            "alert_race": True
        }
        assert json.loads(await store.db.fetchval("SELECT settings FROM chats WHERE id = 101")) == {}


async def test_the_season_cache_sees_a_change_made_elsewhere(both: tuple[Store, Store, int], pg_url: str) -> None:
    """Another process (here: another store on the same database) merges two drivers: the first store's
    cached season is stale, and its next read shows the merge."""
    _, postgres, _ = both
    other = await Store.open(pg_url)
    try:
        before = await postgres.results.season_data("imsa", 2023)
        assert before is not None
        assert await postgres.results.season_data("imsa", 2023) is before  # cached while nothing changed
        version = await postgres.series.data_version()
        keep, gone = (await other.db.fetch("SELECT id FROM drivers ORDER BY id LIMIT 2"))[:2]
        await other.drivers.merge_drivers(int(keep[0]), int(gone[0]))
        assert await postgres.series.data_version() > version
        after = await postgres.results.season_data("imsa", 2023)
        assert after is not None and after is not before
    finally:
        await other.close()


async def test_season_teams_sort_alike(both: tuple[Store, Store, int]) -> None:
    sqlite, postgres, _ = both
    series_id = int(await sqlite.db.fetchval("SELECT id FROM series WHERE slug = 'imsa'"))
    teams = await sqlite.people.season_teams(series_id, 2023)
    assert len(teams) > 10
    assert await postgres.people.season_teams(series_id, 2023) == teams

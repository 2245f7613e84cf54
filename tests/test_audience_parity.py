"""A race's audience (storage/chats.followers_of_session) is the same on SQLite and on PostgreSQL, where it
comes as one array of chats per driver: followers of a driver in the race (with the driver), of its series and
of a team in it (without), an inactive chat left out. The query failed on PostgreSQL before (an untyped NULL
under DISTINCT is text there)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from storage.store import Store
from tests.test_dialect_parity import _build


def Follower(chat_id: int, driver_id: int | None) -> tuple[int, int | None]:
    return (chat_id, driver_id)


async def audience(store: Store, race: int) -> Counter[tuple[int, int | None]]:
    """The groups as (chat, driver) pairs, so both dialects compare whatever order each groups them in."""
    return Counter((chat, g.driver_id) for g in await store.chats.followers_of_session(race) for chat in g.chat_ids)


async def test_the_audience_of_a_race_on_both_dialects(tmp_path: Path, pg_url: str) -> None:
    sqlite, postgres = await Store.open(tmp_path / "s.db"), await Store.open(pg_url)
    try:
        race, drivers = await _build(sqlite)
        assert (race, drivers) == await _build(postgres)
        found = await audience(postgres, race)
        assert found == await audience(sqlite, race)
        assert {Follower(101, drivers[0]), Follower(101, drivers[1]), Follower(102, drivers[1])} <= set(found)
        assert {Follower(103, None), Follower(104, None), Follower(-1001, drivers[0])} <= set(found)
        for store in (sqlite, postgres):
            await store.chats.set_active(101, False)
        found = await audience(postgres, race)
        assert found == await audience(sqlite, race)
        assert all(chat != 101 for chat, _ in found) and Follower(102, drivers[1]) in found
    finally:
        await sqlite.close()
        await postgres.close()

"""A race report for /results: the classification with the chat's drivers marked."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ingest.definitions import ensure_shipped
from bot.services.schedule import chat_series
from bot.standings.service import NotFound
from storage.store import ResultLine, Store


@dataclass(slots=True)
class RaceReport:
    series_name: str
    year: int
    event_name: str
    session_name: str
    podium: list[ResultLine]
    class_winners: list[ResultLine]
    followed: list[tuple[str, ResultLine]]  # (driver name, the car's result)
    results_status: str


async def race_report(store: Store, chat_id: int, series: str | None, event: str | None) -> RaceReport:
    from bot.standings.results import results_table

    slugs = [series] if series else await chat_series(store, chat_id)
    if not slugs:
        raise NotFound("NO_SERIES")
    found = await store.find_series(slugs[0])
    if found is None:
        raise NotFound(f"Unknown series {slugs[0]!r}.")
    if event:
        table = await results_table(store, found.slug, None, event, "race")
    else:
        if found.years:
            # The race order needs the calendar: a results-only season gets the shipped one first.
            await ensure_shipped(store, found.slug, max(found.years))
        last = await store.last_race(found.slug)
        if last is None:
            raise NotFound("NO_RESULTS")
        # The latest race of that season in which the chat's drivers or teams had a car, else the season's last.
        follows = await store.chats.follows(chat_id)
        latest_mine = await store.last_race(
            found.slug,
            last[0],
            frozenset(f.target_id for f in follows if f.kind == "driver"),
            frozenset(f.target_id for f in follows if f.kind == "team"),
        )
        year, event_id, session_key = latest_mine or last
        names = await store.event_name(event_id)
        assert names is not None
        table = await results_table(store, found.slug, year, names[1], session_key)
    followed_names = {f.name for f in await store.chats.follows(chat_id) if f.kind == "driver"}
    classes = {r.car_class for r in table.rows if r.car_class}
    winners = [r for r in table.rows if r.class_position == 1 and r.car_class] if len(classes) > 1 else []
    mine = [(name, r) for r in table.rows for name in r.crew if name in followed_names]
    return RaceReport(
        table.series_name,
        table.year,
        table.event_name,
        table.session_name,
        [r for r in table.rows if r.position in (1, 2, 3)],
        winners,
        mine,
        table.results_status,
    )

"""One session's classification as the CLI and the bot ask for it: by series, season, event, session and class."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import N_
from bot.services.season import NotFound, season_data
from storage.results import ResultLine
from storage.store import Store


@dataclass(slots=True)
class ResultsTable:
    series_name: str
    year: int
    event_name: str
    session_name: str
    results_status: str
    car_class: str | None
    rows: list[ResultLine]


async def results_table(
    store: Store, series: str, year: int | None, event: str, session: str = "race", car_class: str | None = None
) -> ResultsTable:
    data = await season_data(store, series, year)
    events = await store.schedule.find_events(data.series_slug, data.year, event)
    if not events:
        names = ", ".join(e.name for e in data.events)
        raise NotFound(
            N_("No event “{name}” in {season}. Events: {names}."),
            name=event,
            season=f"{data.series_name} {data.year}",
            names=names,
        )
    if len(events) > 1:
        exact = [e for e in events if event.casefold() in (e.key.casefold(), e.name.casefold())]
        if len(exact) != 1:
            raise NotFound(
                N_("“{name}” matches several events: {names}. Be more specific."),
                name=event,
                names=", ".join(e.name for e in events),
            )
        events = exact
    event_id, event_name = events[0].id, events[0].name
    sessions = await store.schedule.event_sessions(event_id)
    wanted = session.casefold()
    match = next((s for s in sessions if s.key == wanted), None) or next(
        (s for s in sessions if wanted in s.key or wanted in s.name.casefold()), None
    )
    if match is None:
        raise NotFound(
            N_("{event} has no session “{name}”. Sessions: {names}."),
            event=event_name,
            name=session,
            names=", ".join(s.key for s in sessions),
        )
    rows = await store.results.session_results(event_id, match.key)
    if car_class is not None:
        classes = sorted({r.car_class for r in rows if r.car_class})
        chosen = [c for c in classes if c.casefold() == car_class.casefold()] or [
            c for c in classes if car_class.casefold() in c.casefold()
        ]
        if len(chosen) != 1:
            raise NotFound(
                N_("No class “{name}” at {event}. Classes: {classes}."),
                name=car_class,
                event=event_name,
                classes=", ".join(classes) or "–",
            )
        rows = [r for r in rows if r.car_class == chosen[0]]
        car_class = chosen[0]
    return ResultsTable(data.series_name, data.year, event_name, match.name, match.kind, car_class, rows)


# --- one session's classification as /results pages it -----------------------------------------------------------

ROWS_PER_PAGE_SINGLE = 20  # single-seaters: a line per car fits 20 in one message
ROWS_PER_PAGE_CREWS = 12  # crews of two to five drivers: two lines per car


@dataclass(frozen=True, slots=True)
class ClassificationPage:
    rows: list[ResultLine]
    page: int  # 0-based, clamped to what exists
    pages: int
    first: int  # 1-based number of the first row shown (0 when there is none)
    total: int


def in_class(rows: list[ResultLine], car_class: str | None) -> list[ResultLine]:
    return rows if car_class is None else [r for r in rows if r.car_class == car_class]


def page_of(rows: list[ResultLine], page: int) -> ClassificationPage:
    size = ROWS_PER_PAGE_CREWS if any(len(r.crew) > 1 for r in rows) else ROWS_PER_PAGE_SINGLE
    pages = max(1, -(-len(rows) // size))
    page = min(max(page, 0), pages - 1)
    shown = rows[page * size : (page + 1) * size]
    return ClassificationPage(shown, page, pages, page * size + 1 if shown else 0, len(rows))


def class_winners(rows: list[ResultLine], classes: list[str]) -> list[ResultLine]:
    """The best car of each class, in the order of `classes`; nothing when the session has one class."""
    if len(classes) < 2:
        return []
    best = {r.car_class: r for r in reversed(rows) if r.class_position == 1 and r.car_class}
    return [best[c] for c in classes if c in best]


def laps_down(status_detail: str | None) -> int | None:
    """Ergast writes a classified car's deficit as "+3 Laps"."""
    found = re.fullmatch(r"\+(\d+) Laps?", status_detail or "")
    return int(found.group(1)) if found else None

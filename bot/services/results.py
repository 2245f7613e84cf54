"""/results: what a fan asks (series, season, event, session, class, in any order) turned into one session's
classification, or into a question with buttons when the words fit several things or none.

A view is fully named by a `ResultsViewAction` (session id, class index, page, stages shown): the command builds
one from the words, every button carries one, and `results_view` builds the same view from it either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from bot.core.callbacks import ResultsViewAction
from bot.i18n import N_
from bot.services.classification import ClassificationPage, class_winners, in_class, page_of
from bot.services.grammar import Query, parse, season_in
from bot.services.schedule import chat_series
from bot.services.season import NotFound, season_data
from bot.services.vocabulary import build_vocabulary
from storage.results import ResultLine, ResultSession, ResultsEvent
from storage.series import SeriesInfo
from storage.store import Store

# Buttons run in this order: practice, qualifying, sprint, race, then the race's stages by time.
_KIND_ORDER = {"practice": 0, "qualifying": 1, "sprint": 2, "race": 3, "stage": 4}


class NoSeries(LookupError):
    """The words name no series and the chat has none of its own: ask which (`wanted`: the words not understood)."""

    def __init__(self, wanted: str | None) -> None:
        super().__init__(wanted or "")
        self.wanted = wanted


@dataclass(frozen=True, slots=True)
class Neighbour:
    event: ResultsEvent
    action: ResultsViewAction


@dataclass(slots=True)
class ResultsView:
    series: SeriesInfo
    year: int
    event: ResultsEvent
    session: ResultSession
    sessions: list[ResultSession]  # every session of the event that has results, in running order
    classes: list[str]  # the season's classes; action.class_index points into it (1-based)
    session_classes: list[str]  # the classes with a car in this session
    car_class: str | None
    action: ResultsViewAction
    page: ClassificationPage
    class_winners: list[ResultLine]
    followed: list[tuple[str, ResultLine]]  # (driver name, the car's result), every class
    followed_ids: frozenset[int]
    leader: ResultLine | None = None  # the first car of the classification shown (the gaps are to it)
    previous: Neighbour | None = None
    next: Neighbour | None = None
    unknown: list[str] = field(default_factory=list)  # words of the command that were not understood


@dataclass(frozen=True, slots=True)
class Option:
    label: str  # an event or series name (data: escaped where shown as text)
    action: ResultsViewAction
    event: ResultsEvent | None = None


@dataclass(slots=True)
class ResultsQuestion:
    """What was understood, and buttons for the rest."""

    ask: Literal["series", "event"]
    series: SeriesInfo | None
    year: int | None
    session: str | None  # a session key or kind the words named
    car_class: str | None
    unknown: list[str]
    options: list[Option]


def session_order(sessions: list[ResultSession]) -> list[ResultSession]:
    return sorted(sessions, key=lambda s: (_KIND_ORDER.get(s.kind, 5), s.stage_minutes or 0, s.key))


def main_session(sessions: list[ResultSession]) -> ResultSession:
    """The session /results shows for an event by default: its race ("race", else Race 1), else its last."""
    races = [s for s in session_order(sessions) if s.kind == "race"]
    main = next((s for s in races if s.key == "race"), None) or (races[0] if races else None)
    return main or session_order(sessions)[-1]


def pick_session(sessions: list[ResultSession], wanted: str | None) -> ResultSession:
    """`wanted`: a session key ("race-2", "race-after-6h") or kind ("qualifying") the words named."""
    if wanted:
        ordered = session_order(sessions)
        match = next((s for s in ordered if s.key == wanted), None) or next(
            (s for s in ordered if s.kind == wanted), None
        )
        if match is not None:
            return match
    return main_session(sessions)


def same_session(sessions: list[ResultSession], like: ResultSession) -> ResultSession:
    """Another event's session matching `like` (for previous/next event): same key, else same kind, else its race."""
    return pick_session(sessions, like.key if any(s.key == like.key for s in sessions) else like.kind)


async def results_view(
    store: Store, chat_id: int, action: ResultsViewAction, unknown: list[str] | None = None
) -> ResultsView:
    ref = await store.schedule.session_ref(action.session_id)
    if ref is None:
        raise NotFound(N_("That button has expired — send the command again."))
    series = await store.series.find(ref.series_slug)
    assert series is not None
    events = await store.results.results_events(ref.series_slug, ref.year)
    event = next((e for e in events if e.id == ref.event_id), None)
    sessions = session_order(await store.results.result_sessions(ref.event_id))
    session = next((s for s in sessions if s.id == ref.session_id), None)
    if event is None or session is None:
        raise NotFound(N_("{event} has no results yet."), event=ref.event_name)
    classes = await store.series.classes(ref.series_slug, ref.year)
    class_index = action.class_index if action.class_index <= len(classes) else 0
    car_class = classes[class_index - 1] if class_index else None
    action = replace(action, class_index=class_index)
    rows = await store.results.session_results(ref.event_id, ref.key)
    # In the order the classes lead the classification (Pro before Bronze), not alphabetically.
    session_classes = list(dict.fromkeys(r.car_class for r in rows if r.car_class))
    shown = in_class(rows, car_class)
    page = page_of(shown, action.page)
    action = replace(action, page=page.page)
    follows = [f for f in await store.chats.follows(chat_id) if f.kind == "driver"]
    names = {f.target_id: f.name for f in follows}
    followed = [(names[i], r) for r in rows for i in r.crew_ids if i in names]
    view = ResultsView(
        series,
        ref.year,
        event,
        session,
        sessions,
        classes,
        session_classes,
        car_class,
        action,
        page,
        class_winners(rows, session_classes) if car_class is None and page.page == 0 else [],
        followed,
        frozenset(names),
        leader=next((r for r in shown if r.status == "classified"), None),
        unknown=list(unknown or []),
    )
    place = events.index(event)
    if place > 0:
        view.previous = await _neighbour(store, events[place - 1], session, action)
    if place + 1 < len(events):
        view.next = await _neighbour(store, events[place + 1], session, action)
    return view


async def _neighbour(
    store: Store, event: ResultsEvent, like: ResultSession, action: ResultsViewAction
) -> Neighbour | None:
    sessions = await store.results.result_sessions(event.id)
    if not sessions:
        return None
    target = same_session(sessions, like)
    return Neighbour(event, replace(action, session_id=target.id, page=0))


async def results_for_text(store: Store, chat_id: int, text: str) -> ResultsView | ResultsQuestion:
    """/results [words]: the view they name, or what to ask. Raises NoSeries, or NotFound with a catalogue text."""
    mine = await chat_series(store, chat_id)
    default = mine[0] if mine else None
    vocabulary = await build_vocabulary(store, [season_in(text)])
    query = parse(text, vocabulary, "results", default)
    if query.series is None:
        candidates = query.choices.get("series", [])
        if not candidates:
            raise NoSeries(" ".join(query.unknown) or None)
        options: list[Option] = []
        fits: list[bool] = []
        wanted = _session_key(query.session)
        for slug in candidates:
            again = parse(text, vocabulary, "results", slug)
            if again.series != slug:
                continue
            try:
                found = await _resolve(store, chat_id, again)
            except NotFound:
                continue  # "spa 1995": a season only one of them has
            if isinstance(found, ResultsView):
                label = f"{found.series.name} — {found.event.name}"
                options.append(Option(label, found.action, found.event))
                fits.append(wanted is None or wanted in (found.session.key, found.session.kind))
        if any(fits):
            # "spa 12h": only the series whose Spa has a 12-hour classification.
            options = [o for o, fit in zip(options, fits, strict=True) if fit]
        if not options:
            raise NoSeries(" ".join(query.unknown) or None)
        if len(options) == 1:
            return await results_view(store, chat_id, options[0].action)
        return ResultsQuestion("series", None, query.season, _session_key(query.session), None, [], options)
    found = await _resolve(store, chat_id, query)
    if isinstance(found, _NoResultsYet) and query.season is None:
        # "/results f1 monaco" before this year's Monaco: last year's.
        found = await _last_year(store, chat_id, text, query.series) or found
    if isinstance(found, _NoResultsYet):
        raise NotFound(N_("{event} has no results yet."), event=found.event_name)
    return found


@dataclass(frozen=True, slots=True)
class _NoResultsYet:
    event_name: str


async def _last_year(store: Store, chat_id: int, text: str, slug: str) -> ResultsView | ResultsQuestion | None:
    series = await store.series.find(slug)
    if series is None or len(series.years) < 2:
        return None
    year = series.years[-2]
    vocabulary = await build_vocabulary(store, [year])
    query = parse(f"{text} {year}", vocabulary, "results", slug)
    if query.series != slug or query.event is None:
        return None
    found = await _resolve(store, chat_id, query)
    return None if isinstance(found, _NoResultsYet) else found


async def _resolve(store: Store, chat_id: int, query: Query) -> ResultsView | ResultsQuestion | _NoResultsYet:
    assert query.series is not None
    data = await season_data(store, query.series, query.season)  # NotFound for a season the store lacks
    series = await store.series.find(data.series_slug)
    assert series is not None
    year = data.year
    classes = await store.series.classes(series.slug, year)
    class_index = classes.index(query.car_class) + 1 if query.car_class in classes else 0
    wanted = _session_key(query.session)
    if wanted is None and query.choices.get("session"):
        wanted = query.choices["session"][0]  # the view has a button for each of the others
    events = await store.results.results_events(series.slug, year)
    if query.event is None:
        if "event" in query.choices or query.round is not None or query.unknown:
            # Several events fit, or none: the season's events as buttons, the other words kept in each.
            keys = query.choices.get("event") or [e.key for e in events]
            chosen = [e for e in events if e.key in keys]
            options = [await _option(store, e, wanted, class_index) for e in chosen]
            if not any(options):
                raise NotFound(N_("No race results yet this season."))
            return ResultsQuestion(
                "event",
                series,
                year,
                wanted,
                query.car_class,
                query.unknown if "event" not in query.choices else [],
                [o for o in options if o is not None],
            )
        event = await _latest_event(store, chat_id, series.slug, query.season, events)
    else:
        named = next((e for e in events if e.key == query.event), None)
        if named is None:
            return _NoResultsYet(next((e.name for e in data.events if e.key == query.event), query.event))
        event = named
    sessions = await store.results.result_sessions(event.id)
    session = pick_session(sessions, wanted)
    action = ResultsViewAction(session.id, class_index)
    return await results_view(store, chat_id, action, query.unknown)


async def _option(store: Store, event: ResultsEvent, wanted: str | None, class_index: int) -> Option | None:
    sessions = await store.results.result_sessions(event.id)
    if not sessions:
        return None
    return Option(event.name, ResultsViewAction(pick_session(sessions, wanted).id, class_index), event)


async def _latest_event(
    store: Store, chat_id: int, slug: str, year: int | None, events: list[ResultsEvent]
) -> ResultsEvent:
    """No event named: the latest race with a car of the chat's drivers or teams, else the season's last."""
    last = await store.schedule.last_race(slug, year)
    if last is None:
        if events:
            return events[-1]
        raise NotFound(N_("No race results yet this season."))
    follows = await store.chats.follows(chat_id)
    latest_mine = await store.schedule.last_race(
        slug,
        last.year,
        frozenset(f.target_id for f in follows if f.kind == "driver"),
        frozenset(f.target_id for f in follows if f.kind == "team"),
    )
    event_id = (latest_mine or last).event_id
    found = next((e for e in events if e.id == event_id), None)
    if found is not None:
        return found
    # The latest race is of another season than `events`.
    names = await store.schedule.event_name(event_id)
    assert names is not None
    return next(e for e in await store.results.results_events(slug, names.year) if e.id == event_id)


def _session_key(session: str | None) -> str | None:
    """The grammar's session before an event is known: "@stage:6" → race-after-6h, "@kind:qualifying" → qualifying."""
    if session is None or not session.startswith("@"):
        return session
    kind, _, value = session[1:].partition(":")
    return f"race-after-{value}h" if kind == "stage" else value

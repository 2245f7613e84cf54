"""The words the argument grammar knows (bot/grammar.py), read from the store: each series' classes,
championships, events and sessions for the seasons a command line may name."""

from __future__ import annotations

from collections.abc import Iterable

from bot.services.grammar import EventWords, SeriesWords, SessionWords, Vocabulary
from storage.store import Store


async def build_vocabulary(store: Store, seasons: Iterable[int | None] = ()) -> Vocabulary:
    """Every series with its latest season, and with each of `seasons` it has."""
    wanted = {s for s in seasons if s is not None}
    out = []
    for info in await store.series.all():
        years = [max(info.years)] if info.years else []
        years += sorted(wanted & set(info.years) - set(years))
        classes: set[str] = set()
        championships: dict[str, str] = {}
        events: dict[int, tuple[EventWords, ...]] = {}
        for year in years:
            data = await store.results.season_data(info.slug, year)
            if data is None:
                continue
            classes |= {e.car_class for e in data.entries.values() if e.car_class}
            championships.update({c.key: c.name for c in data.championships})
            sessions: dict[int, list[SessionWords]] = {}
            for session in data.sessions:
                sessions.setdefault(session.event_id, []).append(SessionWords(session.key, session.kind))
            events[year] = tuple(
                EventWords(e.key, e.name, e.round or index + 1, None, tuple(sessions.get(e.id, ())))
                for index, e in enumerate(data.events)
            )
        out.append(
            SeriesWords(info.slug, info.name, info.years, tuple(sorted(classes)), tuple(championships.items()), events)
        )
    return Vocabulary(tuple(out))

"""The words the argument grammar knows (bot/grammar.py), read from the store: each series' classes,
championships, events and sessions for the seasons a command line may name."""

from __future__ import annotations

from collections.abc import Iterable

from bot.services.grammar import EventWords, SeriesWords, SessionWords, Vocabulary
from bot.standings.engine import SeasonData
from storage.series import SeriesInfo
from storage.store import Store


async def build_vocabulary(store: Store, seasons: Iterable[int | None] = ()) -> Vocabulary:
    """Every series with its latest season, and with each of `seasons` it has."""
    wanted = {s for s in seasons if s is not None}
    out = []
    for info in await store.series.all():
        years = [max(info.years)] if info.years else []
        years += sorted(wanted & set(info.years) - set(years))
        found = [(year, await store.results.season_data(info.slug, year)) for year in years]
        datas = tuple(data for _, data in found if data is not None)
        key = (info.slug, tuple(years))
        cached = _WORDS.get(key)
        # The season data is cached per store revision (storage/results.py): the same objects, the same words.
        if cached is not None and cached[0] == info and _same(cached[1], datas):
            out.append(cached[2])
            continue
        words = _series_words(info, [(year, data) for year, data in found if data is not None])
        if len(_WORDS) >= _WORDS_MAX:
            _WORDS.clear()
        _WORDS[key] = (info, datas, words)
        out.append(words)
    return Vocabulary(tuple(out))


# Every command with arguments builds the vocabulary; its words change only with the season data.
_WORDS: dict[tuple[str, tuple[int, ...]], tuple[SeriesInfo, tuple[SeasonData, ...], SeriesWords]] = {}
_WORDS_MAX = 256


def _same(before: tuple[SeasonData, ...], now: tuple[SeasonData, ...]) -> bool:
    return len(before) == len(now) and all(a is b for a, b in zip(before, now, strict=True))


def _series_words(info: SeriesInfo, found: list[tuple[int, SeasonData]]) -> SeriesWords:
    classes: set[str] = set()
    championships: dict[str, str] = {}
    events: dict[int, tuple[EventWords, ...]] = {}
    for year, data in found:
        classes |= {e.car_class for e in data.entries.values() if e.car_class}
        championships.update({c.key: c.name for c in data.championships})
        sessions: dict[int, list[SessionWords]] = {}
        for session in data.sessions:
            sessions.setdefault(session.event_id, []).append(SessionWords(session.key, session.kind))
        events[year] = tuple(
            EventWords(e.key, e.name, e.round or index + 1, None, tuple(sessions.get(e.id, ())))
            for index, e in enumerate(data.events)
        )
    return SeriesWords(info.slug, info.name, info.years, tuple(sorted(classes)), tuple(championships.items()), events)

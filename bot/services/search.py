"""Fuzzy, accent- and case-insensitive driver search (rapidfuzz over every known spelling)."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from bot.core.names import name_key
from storage.store import Store


@dataclass(frozen=True, slots=True)
class DriverMatch:
    driver_id: int
    name: str
    score: float


def _scorer(query: str, choice: str, **kwargs: object) -> float:
    # A surname alone ("bachler") must find "klaus bachler": score each word of the name too.
    full = fuzz.WRatio(query, choice)
    words = max((fuzz.ratio(query, word) for word in choice.split()), default=0.0)
    return max(full, words if " " not in query else 0.0)


async def search_drivers(store: Store, text: str, limit: int = 8, cutoff: float = 70.0) -> list[DriverMatch]:
    query = name_key(text)
    if not query:
        return []
    names = await store.drivers.driver_names()
    keys = [name_key(n.alias) for n in names]
    found = process.extract(
        query, keys, scorer=_scorer, processor=utils.default_process, limit=limit * 4, score_cutoff=cutoff
    )
    best: dict[int, DriverMatch] = {}
    for _, score, index in found:
        entry = names[index]
        if entry.driver_id not in best or best[entry.driver_id].score < score:
            best[entry.driver_id] = DriverMatch(entry.driver_id, entry.name, float(score))
    ranked = sorted(best.values(), key=lambda m: (-m.score, m.name))
    exact = [m for m in ranked if m.score >= 99.5]
    return exact if exact else ranked[:limit]

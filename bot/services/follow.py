"""Follow targets: what "/follow …" names — a driver, a team or a series — matched against the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from rapidfuzz import fuzz, process, utils

from bot.names import name_key
from bot.search import DriverMatch, search_drivers
from storage.store import Store

FollowKind = Literal["driver", "team", "series"]


@dataclass(frozen=True, slots=True)
class Target:
    kind: FollowKind
    id: int
    name: str


@dataclass(slots=True)
class FollowSearch:
    """One clear match, several to choose from, or none with suggestions."""

    exact: Target | None = None
    choices: list[Target] = field(default_factory=list)


def parse_follow_query(text: str) -> tuple[FollowKind, str]:
    words = text.strip().split(maxsplit=1)
    if len(words) == 2 and words[0].casefold() in ("series", "serie", "team", "driver", "fahrer"):
        kind = {"serie": "series", "fahrer": "driver"}.get(words[0].casefold(), words[0].casefold())
        return kind, words[1]  # type: ignore[return-value]
    return "driver", text.strip()


async def find_targets(store: Store, kind: FollowKind, query: str) -> FollowSearch:
    if not name_key(query):
        return FollowSearch()
    if kind == "driver":
        matches = await search_drivers(store, query, limit=6)
        return _decide([Target("driver", m.driver_id, m.name) for m in matches], [m.score for m in matches])
    if kind == "team":
        teams = await store.chats.teams()
        keys = [name_key(t.name) for t in teams]
        found = process.extract(
            name_key(query), keys, scorer=fuzz.WRatio, processor=utils.default_process, limit=12, score_cutoff=70
        )
        seen: dict[str, tuple[Target, float]] = {}
        for _, score, index in found:
            team = teams[index]
            # One team name can stand for several identities (F1 constructor and an SRO team): show it once.
            if keys[index] not in seen:
                seen[keys[index]] = (Target("team", team.team_id, team.name), float(score))
        ranked = sorted(seen.values(), key=lambda item: -item[1])[:6]
        return _decide([t for t, _ in ranked], [s for _, s in ranked])
    series = await store.series()
    wanted = query.casefold().strip()
    exact = [s for s in series if wanted in (s.slug, s.name.casefold())]
    if exact:
        return FollowSearch(exact=Target("series", exact[0].id, exact[0].name))
    scored = [(s, max(fuzz.partial_ratio(wanted, s.slug), fuzz.WRatio(wanted, s.name.casefold()))) for s in series]
    ranked_series = sorted((x for x in scored if x[1] >= 60), key=lambda x: -x[1])
    return _decide([Target("series", s.id, s.name) for s, _ in ranked_series], [float(v) for _, v in ranked_series])


def _decide(targets: list[Target], scores: list[float]) -> FollowSearch:
    if not targets:
        return FollowSearch()
    clear = scores[0] >= 95 and (len(scores) == 1 or scores[1] < scores[0] - 5 or scores[0] >= 99.5 > scores[1])
    if clear or (len(targets) == 1 and scores[0] >= 85):
        return FollowSearch(exact=targets[0])
    return FollowSearch(choices=targets)


async def suggestions(store: Store, query: str) -> list[DriverMatch]:
    """The closest names when nothing matched well."""
    return await search_drivers(store, query, limit=3, cutoff=40.0)

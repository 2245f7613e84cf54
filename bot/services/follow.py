"""Follow targets: what "/follow …" names — a driver, a team or a series — resolved by bot/services/people.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz

from bot.core.names import name_key
from bot.services.people import Candidate, Resolution, resolve, resolve_series, resolve_team, team_match
from storage.chats import Follow
from storage.people import TeamRow
from storage.series import SeriesInfo
from storage.store import Store

FollowKind = Literal["driver", "team", "series"]
_KIND_WORDS = {"series": "series", "serie": "series", "team": "team", "driver": "driver", "fahrer": "driver"}


@dataclass(frozen=True, slots=True)
class Target:
    kind: FollowKind
    id: int
    name: str


def target(candidate: Candidate) -> Target:
    return Target(candidate.kind, candidate.id, candidate.name)


def parse_follow_query(text: str) -> tuple[FollowKind, str, bool]:
    """(kind, name, whether the kind was said): "team NAME" → team; "team" alone → team, no name."""
    words = text.strip().split(maxsplit=1)
    if words and words[0].casefold() in _KIND_WORDS:
        kind = _KIND_WORDS[words[0].casefold()]
        return kind, (words[1].strip() if len(words) == 2 else ""), True  # type: ignore[return-value]
    return "driver", text.strip(), False


async def followed_ids(store: Store, chat_id: int, kind: str) -> set[int]:
    return {f.target_id for f in await store.chats.follows(chat_id) if f.kind == kind}


async def find_targets(store: Store, kind: FollowKind, query: str, said: bool, chat_id: int) -> Resolution:
    """The driver (or team, series) `query` names; a bare name that is no driver may be a series or a team."""
    if not name_key(query):
        return Resolution()
    found = await resolve(store, kind, query, await followed_ids(store, chat_id, kind))
    if said:
        return found
    series = await resolve_series(store, query)
    if found.chosen is None and not found.choices and series.chosen is not None:
        return series
    team = await resolve_team(store, query)
    if team.chosen is None:
        return found
    if found.chosen is None and not found.choices:
        return team
    # "McLaren": a team by its full name, a driver only by surname: ask which one is meant.
    driver = found.chosen
    if team.chosen.match >= 99.5 and driver is not None and name_key(driver.name) != name_key(query):
        return Resolution(choices=[driver, team.chosen])
    return found


def followed_matches(follows: list[Follow], kind: FollowKind, query: str, said: bool) -> list[Follow]:
    """The chat's follows that `query` names best ("/unfollow verstappen"): one, or several as good."""
    key = name_key(query)
    if not key:
        return []
    scored: list[tuple[float, Follow]] = []
    for f in follows:
        if said and f.kind != kind:
            continue
        words = name_key(f.name).split()
        score = max(
            fuzz.WRatio(key, name_key(f.name)),
            max((fuzz.ratio(key, w) for w in words), default=0.0) if " " not in key else 0.0,
            team_match(query, f.name),
        )
        if score >= 85:
            scored.append((score, f))
    scored.sort(key=lambda x: -x[0])
    return [f for score, f in scored if score >= scored[0][0] - 1]


async def series_teams(store: Store, series: SeriesInfo) -> list[TeamRow]:
    """The teams of the series' latest season."""
    if not series.years:
        return []
    return await store.people.season_teams(series.id, max(series.years))

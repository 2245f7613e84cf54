"""One resolver for the people, teams and series a fan names (/driver, /follow, /unfollow).

Names are matched first (exact, then fuzzy); among the matches that are equally good as text, the one the
chat follows wins, then the one who raced most and most recently. When two are close, the caller asks with
buttons instead of guessing: `/driver verstappen` is Max without a question, `/driver schumacher` asks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Literal

from rapidfuzz import fuzz, process, utils

from bot.services.grammar import SeriesWords, Vocabulary, normalize, parse
from bot.services.search import search_drivers
from storage.people import SeasonCount
from storage.store import Store

Kind = Literal["driver", "team", "series"]

# A season this many years before the latest one of its series counts half as much as the latest.
HALF_LIFE_YEARS = 10.0
# A text match at least this good may be taken without asking; weaker ones are only suggested.
STRONG_MATCH = 85.0
# Matches within this many points of the best one are equally good as text: the ranking decides.
SAME_MATCH = 5.0
# The first candidate is taken without asking when its weight is at least this many times the next one's.
CLEAR_LEAD = 3.0
MAX_CHOICES = 6


@dataclass(frozen=True, slots=True)
class Career:
    """A candidate's seasons in one series."""

    series_slug: str
    series_name: str
    first: int
    last: int
    events: int


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: Kind
    id: int
    name: str
    match: float  # how well the text matched, 0–100
    weight: float = 0.0  # how much and how recently they raced (see `weight`)
    followed: bool = False
    careers: tuple[Career, ...] = ()


@dataclass(slots=True)
class Resolution:
    """`chosen`: taken without asking (`others`: the rest that matched as well, for a "not them?" button);
    `choices`: close candidates to ask between; `suggestions`: weak matches ("did you mean")."""

    chosen: Candidate | None = None
    choices: list[Candidate] = field(default_factory=list)
    suggestions: list[Candidate] = field(default_factory=list)
    others: list[Candidate] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.chosen is None and not self.choices and not self.suggestions


def weight(seasons: Iterable[SeasonCount], latest: dict[str, int]) -> float:
    """Events raced, each counting less the older its season is against the latest season of its series."""
    total = 0.0
    for s in seasons:
        age = max(0, latest.get(s.series_slug, s.year) - s.year)
        total += s.events * 0.5 ** (age / HALF_LIFE_YEARS)
    return total


def careers(seasons: Iterable[SeasonCount]) -> tuple[Career, ...]:
    """One line per series, the most recent first."""
    by_series: dict[str, list[SeasonCount]] = defaultdict(list)
    for s in seasons:
        by_series[s.series_slug].append(s)
    out = [
        Career(
            slug, rows[0].series_name, min(r.year for r in rows), max(r.year for r in rows), sum(r.events for r in rows)
        )
        for slug, rows in by_series.items()
    ]
    return tuple(sorted(out, key=lambda c: (-c.last, c.series_name)))


def rank(candidates: list[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: (not c.followed, -c.weight, -c.match, c.name))


def decide(candidates: list[Candidate], same: float = SAME_MATCH, exact_first: bool = True) -> Resolution:
    """Take one, ask between close ones, or only suggest: the same rule for drivers, teams and series.

    `same`: how close two text matches must be to count as equally good; `exact_first`: an exact match
    leaves out every inexact one (a full name typed means that person)."""
    strong = [c for c in candidates if c.match >= STRONG_MATCH]
    if not strong:
        return Resolution(suggestions=rank(candidates)[:3])
    best = max(c.match for c in strong)
    tier = [c for c in strong if c.match >= (99.5 if exact_first and best >= 99.5 else best - same)]
    followed = [c for c in tier if c.followed]
    pool = rank(followed or tier)
    top = pool[0]
    others = [c for c in rank(tier) if c != top]
    if len(pool) == 1:
        return Resolution(chosen=top, others=others)
    second = pool[1]
    if top.weight > 0 and top.weight >= CLEAR_LEAD * second.weight:
        return Resolution(chosen=top, others=others)
    return Resolution(choices=pool[:MAX_CHOICES])


async def _latest_years(store: Store) -> dict[str, int]:
    return {s.slug: max(s.years) for s in await store.series.all() if s.years}


def _with_activity(candidates: list[Candidate], activity: list[SeasonCount], latest: dict[str, int]) -> list[Candidate]:
    by_id: dict[int, list[SeasonCount]] = defaultdict(list)
    for row in activity:
        by_id[row.subject_id].append(row)
    return [replace(c, weight=weight(by_id[c.id], latest), careers=careers(by_id[c.id])) for c in candidates]


async def resolve_driver(store: Store, text: str, followed: frozenset[int] | set[int] = frozenset()) -> Resolution:
    matches = await search_drivers(store, text, limit=12)
    if not matches:
        matches = await search_drivers(store, text, limit=3, cutoff=40.0)
    found = [Candidate("driver", m.driver_id, m.name, m.score, followed=m.driver_id in followed) for m in matches]
    activity = await store.people.driver_activity([c.id for c in found])
    return decide(_with_activity(found, activity, await _latest_years(store)))


def _tokens(text: str) -> list[str]:
    return normalize(text).split()


def _token_hit(word: str, tokens: list[str]) -> int | None:
    """The index of the team-name word that `word` names: equal, its start ("mot" → motorsport), or a typo."""
    for i, token in enumerate(tokens):
        if word == token or (len(word) >= 3 and token.startswith(word)):
            return i
    for i, token in enumerate(tokens):
        if len(word) >= 4 and fuzz.ratio(word, token) >= 85:
            return i
    return None


def team_match(query: str, name: str) -> float:
    """How well `query` names team `name`, token by token: every word asked must be in the name ("ABC" →
    "Team ABC", not every team with an A, B or C); the more of the name the words cover, the better."""
    words, tokens = _tokens(query), _tokens(name)
    if not words or not tokens:
        return 0.0
    if "".join(words) == "".join(tokens):
        return 100.0
    hits = [_token_hit(w, tokens) for w in words]
    if any(h is None for h in hits):
        return 0.0
    covered = len(set(hits)) / len(tokens)
    return 90.0 + 9.0 * covered


async def resolve_team(store: Store, text: str, followed: frozenset[int] | set[int] = frozenset()) -> Resolution:
    teams = await store.chats.teams()
    scored = [(t, team_match(text, t.name)) for t in teams]
    hits = [(t, s) for t, s in scored if s > 0]
    if not hits:
        # No team has every word: a typo in a one-word name ("Ferari") may still be close enough to suggest.
        keys = [normalize(t.name) for t in teams]
        found = process.extract(
            normalize(text), keys, scorer=fuzz.WRatio, processor=utils.default_process, limit=3, score_cutoff=80
        )
        hits = [(teams[i], min(float(score), STRONG_MATCH - 1)) for _, score, i in found]
    found_candidates = [Candidate("team", t.team_id, t.name, s, followed=t.team_id in followed) for t, s in hits]
    activity = await store.people.team_activity([c.id for c in found_candidates])
    ranked = _with_activity(found_candidates, activity, await _latest_years(store))
    # One name may stand for several identities (an F1 constructor and an SRO team): offer it once.
    seen: dict[str, Candidate] = {}
    for c in rank(ranked):
        seen.setdefault(normalize(c.name), c)
    # Every team holding all the words asked is as good a match: "Porsche" is the 1960s F1 works team
    # and Porsche Penske Motorsport; how much and how recently they raced decides, or the fan does.
    return decide(list(seen.values()), same=10.0, exact_first=False)


async def resolve_series(store: Store, text: str, followed: frozenset[int] | set[int] = frozenset()) -> Resolution:
    """By slug, name or the grammar's short names ("f1", "imsa", "gtwc", "formel 1")."""
    infos = await store.series.all()
    vocabulary = Vocabulary(tuple(SeriesWords(s.slug, s.name, s.years) for s in infos))
    query = parse(text, vocabulary, "standings")
    latest = {s.slug: max(s.years) for s in infos if s.years}

    def candidate(slug: str, match: float) -> Candidate:
        info = next(s for s in infos if s.slug == slug)
        first, last = (min(info.years), max(info.years)) if info.years else (0, 0)
        career = (Career(info.slug, info.name, first, last, len(info.years)),) if info.years else ()
        return Candidate("series", info.id, info.name, match, float(latest.get(slug, 0)), info.id in followed, career)

    if query.series is not None and not query.unknown:
        return decide([candidate(query.series, 100.0)])
    if query.choices.get("series") and not query.unknown:
        return Resolution(choices=[candidate(slug, 100.0) for slug in query.choices["series"]])
    wanted = normalize(text)
    scored = [(max(fuzz.WRatio(wanted, normalize(s.name)), fuzz.ratio(wanted, normalize(s.slug))), s) for s in infos]
    close = sorted(((score, s) for score, s in scored if score >= 70), key=lambda x: -x[0])[:3]
    return Resolution(suggestions=[candidate(s.slug, min(float(score), STRONG_MATCH - 1)) for score, s in close])


async def resolve(store: Store, kind: Kind, text: str, followed: frozenset[int] | set[int] = frozenset()) -> Resolution:
    if kind == "team":
        return await resolve_team(store, text, followed)
    if kind == "series":
        return await resolve_series(store, text, followed)
    return await resolve_driver(store, text, followed)

"""One argument grammar for every command: what a fan types after /standings, /results, /calendar or /next,
parsed into series, season, class, championship, event, round and session, in any order, in English or German.

Pure: the words it knows come in a `Vocabulary` built from the store, so tests hand it the real series and call
it without Telegram. What it cannot place is returned as `unknown`, and a word that fits several things as
`choices`, so the caller can say what it understood and ask for the rest with buttons — never a dead end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from anyascii import anyascii

Context = Literal["standings", "results", "calendar", "next"]


@dataclass(frozen=True, slots=True)
class SessionWords:
    key: str  # as stored: race, race-1, qualifying-2, race-after-6h, fp1, sprint
    kind: str  # race, sprint, qualifying, practice, stage


@dataclass(frozen=True, slots=True)
class EventWords:
    key: str
    name: str
    round: int
    venue: str | None = None
    sessions: tuple[SessionWords, ...] = ()


@dataclass(frozen=True, slots=True)
class SeriesWords:
    slug: str
    name: str
    years: tuple[int, ...]
    classes: tuple[str, ...] = ()  # as stored: "Bronze Cup", "GTD PRO"
    championships: tuple[tuple[str, str], ...] = ()  # (key, name): ("sprint", "Sprint Cup")
    events: Mapping[int, tuple[EventWords, ...]] = field(default_factory=dict)  # by season; those loaded


@dataclass(frozen=True, slots=True)
class Vocabulary:
    series: tuple[SeriesWords, ...]

    def get(self, slug: str) -> SeriesWords | None:
        return next((s for s in self.series if s.slug == slug), None)


@dataclass(slots=True)
class Query:
    """What was understood. `choices`: a field whose word fits several values (ask with buttons)."""

    series: str | None = None
    season: int | None = None
    car_class: str | None = None
    championship: str | None = None
    subject: str | None = None  # drivers or teams
    event: str | None = None
    round: int | None = None
    session: str | None = None
    unknown: list[str] = field(default_factory=list)
    choices: dict[str, list[str]] = field(default_factory=dict)


# Common short names, in both languages; a family name ("gtwc") stands for each series whose slug starts so.
_SERIES_WORDS: dict[str, tuple[str, ...]] = {
    "f1": ("f1", "formula 1", "formula one", "formel 1", "formel eins"),
    "imsa": ("imsa", "weathertech", "iwsc"),
    "gtwc": ("gtwc", "gt world challenge", "gtwce", "sro"),
    "wec": ("wec", "world endurance championship", "langstrecken wm"),
}
_CLASS_SYNONYMS = {"silber": "silver", "gesamt": "overall"}
_CHAMPIONSHIP_WORDS: dict[str, tuple[str, ...]] = {
    "overall": ("overall", "gesamt", "gesamtwertung", "general"),
    "sprint": ("sprint", "sprint cup", "sprintcup"),
    "endurance": ("endurance", "endurance cup", "langstrecke", "langstrecken"),
    "constructors": ("constructors", "constructor", "konstrukteure", "konstrukteurs", "konstrukteurswertung"),
    "drivers": ("drivers championship", "fahrerwertung", "fahrer wm", "wdc"),
}
_SUBJECT_WORDS: dict[str, tuple[str, ...]] = {
    "drivers": ("drivers", "driver", "fahrer", "fahrerinnen"),
    "teams": ("teams", "team", "teamwertung", "mannschaften"),
}
_SESSION_WORDS: dict[str, tuple[str, ...]] = {
    "race": ("race", "rennen", "gp", "grand prix", "lauf", "hauptrennen", "main race"),
    "qualifying": ("qualifying", "quali", "qualifikation", "q", "zeittraining"),
    "sprint": ("sprint", "sprintrennen", "sprint race"),
    "sprint-qualifying": ("sprint qualifying", "sprint shootout", "sprint quali", "sq", "shootout"),
    "practice": ("practice", "training", "freies training", "free practice", "fp"),
}


# Words that carry no meaning here ("the results of the race at Monza").
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NOISE = _words(
    "the of at in der die das des den im am beim von vom and und for fur results result ergebnis ergebnisse"
    " standings stand tabelle wertung class klasse cup season saison championship meisterschaft event round"
)
# Parts of event names that name no particular event.
_EVENT_NOISE = _words(
    "grand prix gp race hours hour of the at de du di la le el das die der rolex tirerack com mobil motul"
    " international circuit autodromo raceway speedway park ring km 1000 24 12 6 sportscar championship"
    " weekend classic challenge battle on bricks"
)
_MAX_WORDS = 4

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # "after 6 hours", "nach 6 stunden", "6h", "6 h", "hour 6", "stunde 6": a stage of an endurance race.
    (re.compile(r"\b(?:after|nach)\s+(\d{1,2})\s*(?:h|hrs?|hours?|std|stunden?)\b"), "@stage:{0}"),
    (re.compile(r"\b(\d{1,2})\s*(?:h|hrs|std)\b"), "@stage:{0}"),
    (re.compile(r"\b(?:hour|stunde)\s+(\d{1,2})\b"), "@stage:{0}"),
    (re.compile(r"\b(?:round|rd|runde)\s*(\d{1,2})\b"), "@round:{0}"),
    (re.compile(r"\b(?:race|rennen|lauf|heat)\s*([1-9])\b"), "@session:race-{0}"),
    (re.compile(r"\b(?:qualifying|quali|qualifikation|q)\s*([1-9])\b"), "@session:qualifying-{0}"),
    (re.compile(r"\b(?:fp|free practice|practice|freies training|training)\s*([1-9])\b"), "@session:fp{0}"),
)


def normalize(text: str) -> str:
    """Lower case ASCII words: "Nürburgring" → "nurburgring", "Pro-Am" → "pro am", "GTD_PRO" → "gtd pro"."""
    plain = anyascii(text).casefold()
    plain = re.sub(r"[-_/.,;:'’`\"()\[\]]+", " ", plain)
    return re.sub(r"\s+", " ", plain).strip()


def _squash(words: Iterable[str]) -> str:
    return "".join(words)


def _class_keys(name: str) -> set[str]:
    """The spellings of a class: "Pro-Am Cup" → proamcup, proam; "GTD PRO" → gtdpro; "Silver Cup" → silber."""
    words = normalize(name).split()
    keys = {_squash(words)}
    core = [w for w in words if w not in ("cup", "class", "klasse", "trophy")]
    if core:
        keys.add(_squash(core))
    german = {v: k for k, v in _CLASS_SYNONYMS.items()}
    for key in list(keys):
        for english, translated in german.items():
            if english in key:
                keys.add(key.replace(english, translated))
    return keys


def _series_keys(series: SeriesWords) -> set[str]:
    keys = {_squash(normalize(series.slug).split()), _squash(normalize(series.name).split())}
    for family, words in _SERIES_WORDS.items():
        if series.slug == family:
            keys |= {_squash(w.split()) for w in words}
    return keys


def _event_short_key(key: str) -> str:
    """Stored keys may lead with the round ("14-monza"): the name part."""
    return _squash(normalize(re.sub(r"^\d+-", "", key)).split())


def _marker(template: str, match: re.Match[str]) -> str:
    return f" {template.format(match.group(1))} "


class _Tokens:
    """The words of a command line, each used at most once."""

    def __init__(self, text: str) -> None:
        line = normalize(text)
        for pattern, template in _PATTERNS:
            line = pattern.sub(partial(_marker, template), line)
        self.words = line.split()
        self.used = [False] * len(self.words)

    def spans(self) -> Iterable[tuple[int, int, str]]:
        """(start, end, the words squashed) for every free run of up to _MAX_WORDS words, longest first."""
        for size in range(_MAX_WORDS, 0, -1):
            for start in range(len(self.words) - size + 1):
                if not any(self.used[start : start + size]):
                    yield start, start + size, _squash(self.words[start : start + size])

    def take(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.used[i] = True

    def free(self) -> list[tuple[int, str]]:
        return [(i, w) for i, w in enumerate(self.words) if not self.used[i]]


def parse(text: str, vocabulary: Vocabulary, context: Context, default_series: str | None = None) -> Query:
    """Everything `text` says, in any order. `default_series`: the series the chat follows, when it is one."""
    tokens = _Tokens(text)
    query = Query()
    _take_specials(tokens, query)
    _take_series(tokens, query, vocabulary)
    if query.series is None and "series" not in query.choices:
        query.series = _infer_series(tokens, vocabulary, query, context, default_series) or (
            default_series if "series" not in query.choices else None
        )
    series = vocabulary.get(query.series) if query.series else None
    if series is not None:
        _take_championship(tokens, query, series, context)
        _take_class(tokens, query, series)
        _take_session_words(tokens, query, context)
        _take_event(tokens, query, series)
        _resolve_session(query, series)
    else:
        _take_session_words(tokens, query, context)
    query.unknown[:0] = [w for _, w in tokens.free() if w not in _NOISE and not w.startswith("@")]
    return query


def season_in(text: str) -> int | None:
    """The season a command line names, before any vocabulary is needed (to load that season's words)."""
    found = re.search(r"\b(19[5-9]\d|20\d\d)\b", normalize(text))
    return int(found.group(1)) if found else None


def _take_specials(tokens: _Tokens, query: Query) -> None:
    for i, word in tokens.free():
        if re.fullmatch(r"(19[5-9]\d|20\d\d)", word):
            query.season = int(word)
        elif word.startswith("@round:"):
            query.round = int(word.split(":")[1])
        elif word.startswith("@session:"):
            query.session = word.split(":", 1)[1]
        elif word.startswith("@stage:"):
            query.session = f"@stage:{word.split(':')[1]}"
        else:
            continue
        tokens.take(i, i + 1)


def _take_series(tokens: _Tokens, query: Query, vocabulary: Vocabulary) -> None:
    keys = {s.slug: _series_keys(s) for s in vocabulary.series}
    families = {_squash(w.split()): family for family, words in _SERIES_WORDS.items() for w in words if family != "f1"}
    for start, end, squashed in list(tokens.spans()):
        if any(tokens.used[start:end]):
            continue
        exact = [slug for slug, found in keys.items() if squashed in found]
        if not exact and squashed in families:
            exact = [s.slug for s in vocabulary.series if s.slug.startswith(families[squashed])]
        if not exact:
            continue
        tokens.take(start, end)
        if len(exact) == 1:
            query.series = exact[0]
        else:
            query.choices["series"] = sorted(exact)
        return


def _infer_series(
    tokens: _Tokens, vocabulary: Vocabulary, query: Query, context: Context, default_series: str | None
) -> str | None:
    """No series named: the one series whose classes or events the words name ("bronze", "daytona gtd")."""
    scores: dict[str, int] = {}
    for series in vocabulary.series:
        classes = set().union(*(_class_keys(c) for c in series.classes)) if series.classes else set()
        events = _event_index(series, _season_of(series, query.season))
        known = {key for key, _ in series.championships} - {"overall", "drivers"}
        championships = (
            {_squash(w.split()) for key, ws in _CHAMPIONSHIP_WORDS.items() if key in known for w in ws}
            if context == "standings"
            else set()
        )
        hits = sum(
            1
            for _, _, squashed in tokens.spans()
            if squashed in classes or squashed in events or squashed in championships
        )
        if hits:
            scores[series.slug] = hits
    if not scores:
        return None
    best = max(scores.values())
    leaders = sorted(slug for slug, score in scores.items() if score == best)
    if len(leaders) == 1:
        return leaders[0]
    if default_series in leaders:
        return default_series  # "spa" is F1 and GT World Challenge: the chat's own series first
    query.choices["series"] = leaders
    return None


def _season_of(series: SeriesWords, season: int | None) -> int | None:
    if season is not None:
        return season
    return max(series.years) if series.years else None


def _take_championship(tokens: _Tokens, query: Query, series: SeriesWords, context: Context) -> None:
    if context != "standings":
        # "sprint" after /results is a session; only standings have championships.
        words = {k: v for k, v in _CHAMPIONSHIP_WORDS.items() if k not in ("sprint",)}
    else:
        words = _CHAMPIONSHIP_WORDS
    known = {key for key, _ in series.championships}
    names = {_squash(normalize(name).split()): key for key, name in series.championships}
    for start, end, squashed in list(tokens.spans()):
        if any(tokens.used[start:end]):
            continue
        key = names.get(squashed) or next(
            (k for k, ws in words.items() if squashed in {_squash(w.split()) for w in ws}), None
        )
        if key is None:
            continue
        if key in known:
            query.championship = key
            tokens.take(start, end)
        elif key == "constructors" and "constructors" not in known:
            query.subject = "teams"
            tokens.take(start, end)
    for start, end, squashed in list(tokens.spans()):
        if any(tokens.used[start:end]):
            continue
        for subject, ws in _SUBJECT_WORDS.items():
            if squashed in {_squash(w.split()) for w in ws}:
                query.subject = subject
                tokens.take(start, end)


def _take_class(tokens: _Tokens, query: Query, series: SeriesWords) -> None:
    keys = {c: _class_keys(c) for c in series.classes}
    for start, end, squashed in list(tokens.spans()):
        if any(tokens.used[start:end]):
            continue
        found = [c for c, ks in keys.items() if squashed in ks]
        if not found:
            continue
        tokens.take(start, end)
        if len(found) == 1:
            query.car_class = found[0]
        else:
            query.choices["class"] = sorted(found)
        return


def _take_session_words(tokens: _Tokens, query: Query, context: Context) -> None:
    if query.session is not None:
        return
    words = dict(_SESSION_WORDS)
    if context == "standings":
        return  # standings have no sessions; "sprint" was a championship
    for start, end, squashed in list(tokens.spans()):
        if any(tokens.used[start:end]):
            continue
        for kind, ws in words.items():
            if squashed in {_squash(w.split()) for w in ws}:
                query.session = f"@kind:{kind}"
                tokens.take(start, end)
                return


def _event_index(series: SeriesWords, season: int | None) -> dict[str, set[str]]:
    """squashed words → the keys of the events they name, for one season."""
    index: dict[str, set[str]] = {}
    for event in series.events.get(season, ()) if season is not None else ():
        names = {_event_short_key(event.key), _squash(normalize(event.name).split())}
        # The name without its generic words: "Abu Dhabi Grand Prix" → abudhabi, "Rolex 24 at Daytona" → daytona.
        names.add(_squash(w for w in normalize(event.name).split() if w not in _EVENT_NOISE))
        if event.venue:
            names.add(_squash(normalize(event.venue).split()))
        for text in (event.name, event.venue or "", re.sub(r"^\d+-", "", event.key)):
            names |= {w for w in normalize(text).split() if len(w) >= 3 and w not in _EVENT_NOISE and not w.isdigit()}
        for name in names:
            index.setdefault(name, set()).add(event.key)
    return index


def _take_event(tokens: _Tokens, query: Query, series: SeriesWords) -> None:
    season = _season_of(series, query.season)
    events = series.events.get(season, ()) if season is not None else ()
    if query.round is not None:
        match = next((e for e in events if e.round == query.round), None)
        if match is not None:
            query.event = match.key
        return
    index = _event_index(series, season)
    for start, end, squashed in list(tokens.spans()):
        if any(tokens.used[start:end]):
            continue
        found = index.get(squashed)
        if not found:
            continue
        tokens.take(start, end)
        if len(found) == 1:
            query.event = next(iter(found))
            # "abu dhabi": the other words naming the same event are used up with it.
            for i, word in tokens.free():
                if index.get(word) == found:
                    tokens.take(i, i + 1)
        else:
            order = {e.key: e.round for e in events}
            query.choices["event"] = sorted(found, key=lambda k: order.get(k, 0))
        return


def _resolve_session(query: Query, series: SeriesWords) -> None:
    """A session word ("race", "qualifying", "6h") against the event's real sessions."""
    wanted = query.session
    if wanted is None or query.event is None:
        if wanted is not None and wanted.startswith("@kind:"):
            query.session = wanted.split(":", 1)[1]
        elif wanted is not None and wanted.startswith("@stage:"):
            query.session = f"race-after-{wanted.split(':')[1]}h"
        return
    season = _season_of(series, query.season)
    event = next((e for e in series.events.get(season, ()) if e.key == query.event), None) if season else None
    if event is None:
        return
    keys = [s.key for s in event.sessions]
    if wanted.startswith("@stage:"):
        hours = wanted.split(":")[1]
        stage = f"race-after-{hours}h"
        # "Spa 24h" names the race itself: no stage of that length, so the race.
        query.session = stage if stage in keys else ("race" if "race" in keys else None)
        return
    if wanted.startswith("@kind:"):
        kind = wanted.split(":", 1)[1]
        if kind in keys:
            query.session = kind
            return
        same = [s.key for s in event.sessions if s.kind == kind or (kind == "practice" and s.kind == "practice")]
        if kind == "qualifying" and "combined-qualifying" in keys:
            query.session = "combined-qualifying"
        elif len(same) == 1:
            query.session = same[0]
        elif same:
            query.session = None
            query.choices["session"] = same
        else:
            query.session = None
            query.unknown.append(kind)
        return
    if wanted not in keys:
        query.session = None
        query.choices["session"] = keys


def subject_in(words: Iterable[str]) -> tuple[str | None, list[str]]:
    """("drivers"/"teams", the other words) for words left unplaced because no series was known: the subject
    means the same in every series, so "/standings teams" keeps it through "which series?"."""
    subject = None
    rest = []
    for word in words:
        found = next((s for s, ws in _SUBJECT_WORDS.items() if normalize(word) in ws), None)
        if found is not None and subject is None:
            subject = found
        else:
            rest.append(word)
    return subject, rest

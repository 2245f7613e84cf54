"""The argument grammar as data: real command lines (from issue 10's findings and our own), in English and
German, each with what must be understood, against the vocabulary of the real store (F1 1950–2024, IMSA 2023,
GT World Challenge Europe 2023)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.services.grammar import Context, Query, Vocabulary, parse, season_in
from bot.services.vocabulary import build_vocabulary
from storage.store import Store

GT = "gtwc-europe"
_VOCABULARIES: dict[int | None, Vocabulary] = {}

# (context, line, default series (the chat's), expected fields); "unknown": the words not placed.
CASES: list[tuple[Context, str, str | None, dict[str, Any]]] = [
    # /standings: class spellings, both languages, the series inferred from the class
    ("standings", "pro", None, {"series": GT, "car_class": "Pro Cup"}),
    ("standings", "silber", None, {"series": GT, "car_class": "Silver Cup"}),
    ("standings", "Silver", None, {"series": GT, "car_class": "Silver Cup"}),
    ("standings", "bronze", None, {"series": GT, "car_class": "Bronze Cup"}),
    ("standings", "Bronze Cup", None, {"series": GT, "car_class": "Bronze Cup"}),
    ("standings", "gold", None, {"series": GT, "car_class": "Gold Cup"}),
    ("standings", "pro am", None, {"series": GT, "car_class": "Pro-Am Cup"}),
    ("standings", "proam", None, {"series": GT, "car_class": "Pro-Am Cup"}),
    ("standings", "Pro-Am Cup", None, {"series": GT, "car_class": "Pro-Am Cup"}),
    ("standings", "endurance", None, {"series": GT, "championship": "endurance"}),
    ("standings", "langstrecke bronze", None, {"series": GT, "championship": "endurance", "car_class": "Bronze Cup"}),
    ("standings", "sprint cup silver", None, {"series": GT, "championship": "sprint", "car_class": "Silver Cup"}),
    ("standings", "silber sprint", None, {"series": GT, "championship": "sprint", "car_class": "Silver Cup"}),
    ("standings", "gesamtwertung gold", None, {"series": GT, "championship": "overall", "car_class": "Gold Cup"}),
    ("standings", "bronze endurance teams", None, {"championship": "endurance", "subject": "teams"}),
    ("standings", "gtwc bronze", None, {"series": GT, "car_class": "Bronze Cup"}),
    ("standings", "GT World Challenge Europe gold", None, {"series": GT, "car_class": "Gold Cup"}),
    ("standings", "imsa gtd pro", None, {"series": "imsa", "car_class": "GTDPRO"}),
    ("standings", "imsa GTDPRO", None, {"series": "imsa", "car_class": "GTDPRO"}),
    ("standings", "GTD", None, {"series": "imsa", "car_class": "GTD"}),
    ("standings", "gtd pro", None, {"series": "imsa", "car_class": "GTDPRO"}),
    ("standings", "imsa lmp2", None, {"series": "imsa", "car_class": "LMP2"}),
    ("standings", "weathertech gtp", None, {"series": "imsa", "car_class": "GTP"}),
    ("standings", "fahrer imsa gtd", None, {"series": "imsa", "car_class": "GTD", "subject": "drivers"}),
    ("standings", "f1 2021", None, {"series": "f1", "season": 2021, "unknown": []}),
    ("standings", "2021 f1", None, {"series": "f1", "season": 2021}),
    ("standings", "f1 constructors", None, {"series": "f1", "championship": "constructors"}),
    (
        "standings",
        "formel 1 2010 konstrukteure",
        None,
        {"series": "f1", "season": 2010, "championship": "constructors"},
    ),
    ("standings", "Formula One 1988", None, {"series": "f1", "season": 1988}),
    ("standings", "2021", "f1", {"series": "f1", "season": 2021}),
    ("standings", "teams", GT, {"series": GT, "subject": "teams"}),
    ("standings", "tabelle bronze", None, {"series": GT, "car_class": "Bronze Cup", "unknown": []}),
    ("standings", "gesamt pro", None, {"series": GT, "championship": "overall", "car_class": "Pro Cup"}),
    ("standings", "xyz", None, {"series": None, "unknown": ["xyz"]}),
    ("standings", "gtwc 2019", None, {"series": GT, "season": 2019}),
    # /results: event by name, venue word or round; session in every spelling
    ("results", "valencia race 1", None, {"series": GT, "event": "valencia", "session": "race-1"}),
    ("results", "valencia rennen 2", None, {"series": GT, "event": "valencia", "session": "race-2"}),
    ("results", "Valencia Lauf 2", None, {"series": GT, "event": "valencia", "session": "race-2"}),
    ("results", "ergebnisse valencia lauf 2", None, {"event": "valencia", "session": "race-2", "unknown": []}),
    (
        "results",
        "valencia qualifying",
        None,
        {"event": "valencia", "choices": {"session": ["qualifying-1", "qualifying-2"]}},
    ),
    ("results", "misano q1", None, {"event": "misano", "session": "qualifying-1"}),
    ("results", "brands hatch race 2", None, {"event": "brands-hatch", "session": "race-2"}),
    ("results", "zandvoort race 2", GT, {"series": GT, "event": "zandvoort", "session": "race-2"}),
    # Zandvoort and Spa are F1 and GT World Challenge venues: without the chat's series, ask which.
    ("results", "zandvoort race 2", None, {"series": None, "choices": {"series": ["f1", GT]}}),
    (
        "results",
        "hockenheim rennen 1 bronze",
        None,
        {"event": "hockenheim", "session": "race-1", "car_class": "Bronze Cup"},
    ),
    ("results", "nürburgring", None, {"series": GT, "event": "nurburgring"}),
    ("results", "Nurburgring", None, {"series": GT, "event": "nurburgring"}),
    ("results", "barcelona", None, {"series": GT, "event": "barcelona"}),
    ("results", "spa 6h", GT, {"series": GT, "event": "spa", "session": "race-after-6h"}),
    ("results", "spa 6 h", GT, {"series": GT, "event": "spa", "session": "race-after-6h"}),
    ("results", "spa nach 6 stunden", GT, {"series": GT, "event": "spa", "session": "race-after-6h"}),
    ("results", "spa after 12 hours", GT, {"series": GT, "event": "spa", "session": "race-after-12h"}),
    ("results", "spa hour 18", GT, {"series": GT, "event": "spa", "session": "race-after-18h"}),
    ("results", "spa 24h", GT, {"series": GT, "event": "spa", "session": "race"}),
    ("results", "spa qualifying", GT, {"event": "spa", "session": "combined-qualifying"}),
    ("results", "imsa daytona gtd", None, {"series": "imsa", "event": "daytona", "car_class": "GTD"}),
    ("results", "daytona", None, {"series": "imsa", "event": "daytona"}),
    ("results", "sebring", None, {"series": "imsa", "event": "sebring"}),
    ("results", "petit le mans quali", None, {"event": "petit-le-mans", "session": "qualifying"}),
    ("results", "watkins glen", None, {"series": "imsa", "event": "watkins-glen"}),
    ("results", "imsa laguna seca", None, {"event": "laguna-seca"}),
    ("results", "long beach rennen", None, {"event": "long-beach", "session": "race"}),
    (
        "results",
        "f1 monaco qualifying",
        None,
        {"series": "f1", "season": None, "event": "08-monaco", "session": "qualifying"},
    ),
    (
        "results",
        "f1 2021 monza sprint",
        None,
        {"series": "f1", "season": 2021, "event": "14-monza", "session": "sprint"},
    ),
    ("results", "f1 round 5 2021", None, {"series": "f1", "season": 2021, "round": 5, "event": "05-monaco"}),
    ("results", "f1 2021 runde 5", None, {"season": 2021, "round": 5, "event": "05-monaco"}),
    ("results", "f1 abu dhabi 2024", None, {"season": 2024, "event": "24-yas_marina", "unknown": []}),
    ("results", "f1 2024 las vegas", None, {"season": 2024, "event": "22-vegas"}),
    ("results", "f1 2023 silverstone rennen", None, {"season": 2023, "event": "10-silverstone", "session": "race"}),
    ("results", "monaco 1988", "f1", {"series": "f1", "season": 1988, "event": "03-monaco"}),
    ("results", "f1 2021 valencia", None, {"series": "f1", "season": 2021, "unknown": ["valencia"]}),
    # /calendar and /next: the series alone, by any of its names
    ("calendar", "f1", None, {"series": "f1"}),
    ("calendar", "formel 1", None, {"series": "f1"}),
    ("calendar", "imsa 2023", None, {"series": "imsa", "season": 2023}),
    ("calendar", "weathertech", None, {"series": "imsa"}),
    ("calendar", "gtwc", None, {"series": GT}),
    ("next", "GT World Challenge", None, {"series": GT}),
    ("next", "", GT, {"series": GT}),
    ("next", "", None, {"series": None, "unknown": []}),
    # /results in depth: session and class together, several events at one venue, past seasons
    ("results", "valencia race 2 bronze", None, {"event": "valencia", "session": "race-2", "car_class": "Bronze Cup"}),
    ("results", "valencia rennen 2 silber", None, {"session": "race-2", "car_class": "Silver Cup"}),
    (
        "results",
        "f1 2021 red bull ring qualifying",
        None,
        {"event": None, "choices": {"event": ["08-red_bull_ring", "09-red_bull_ring"]}},
    ),
    ("results", "imsa gtd pro daytona", None, {"event": "daytona", "car_class": "GTDPRO"}),
    ("results", "sebring lmp2 quali", None, {"event": "sebring", "car_class": "LMP2", "session": "qualifying"}),
    ("results", "barcelona pro am", None, {"event": "barcelona", "car_class": "Pro-Am Cup"}),
    ("results", "f1 1995 monaco", None, {"season": 1995, "event": "05-monaco", "session": None}),
    ("results", "spa 12h", None, {"series": None, "choices": {"series": ["f1", GT]}}),
    ("results", "f1 2021 monaco sprint", None, {"event": "05-monaco", "session": None, "unknown": ["sprint"]}),
    ("results", "gtwc bronze", None, {"series": GT, "car_class": "Bronze Cup", "event": None}),
]


# /standings in depth (issue 10, item 4): past seasons, constructors, cups per class, teams, what is left over.
CASES += [
    ("standings", "f1 1995", None, {"series": "f1", "season": 1995, "unknown": []}),
    ("standings", "f1 teams 1995", None, {"series": "f1", "season": 1995, "subject": "teams", "championship": None}),
    ("standings", "konstrukteure", None, {"series": "f1", "championship": "constructors"}),
    ("standings", "gtwc sprint silber", None, {"series": GT, "championship": "sprint", "car_class": "Silver Cup"}),
    (
        "standings",
        "endurance cup pro am teams",
        None,
        {"series": GT, "championship": "endurance", "car_class": "Pro-Am Cup", "subject": "teams"},
    ),
    ("standings", "imsa gtd pro teams", None, {"series": "imsa", "car_class": "GTDPRO", "subject": "teams"}),
    ("standings", "f1 2021 qwerty", None, {"series": "f1", "season": 2021, "unknown": ["qwerty"]}),
    ("standings", "xyz 2021", None, {"series": None, "season": 2021, "unknown": ["xyz"]}),
    # No series: the subject is left over; handlers/standings.py keeps it with grammar.subject_in.
    ("standings", "teams", None, {"series": None, "unknown": ["teams"]}),
]


def _vocabulary(full_db: Path, season: int | None) -> Vocabulary:
    if season not in _VOCABULARIES:

        async def build() -> Vocabulary:
            async with await Store.open(full_db) as store:
                return await build_vocabulary(store, [season])

        _VOCABULARIES[season] = asyncio.run(build())
    return _VOCABULARIES[season]


@pytest.mark.parametrize(("context", "line", "default", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_a_command_line_is_understood(
    full_db: Path, context: Context, line: str, default: str | None, expected: dict[str, Any]
) -> None:
    query = parse(line, _vocabulary(full_db, season_in(line)), context, default_series=default)
    got = {name: getattr(query, name) for name in expected}
    assert got == expected, query


def test_there_are_at_least_60_lines_in_both_languages() -> None:
    assert len(CASES) >= 60
    german = ("silber", "rennen", "lauf", "nach", "stunden", "konstrukteure", "fahrer", "gesamt", "tabelle", "runde")
    assert sum(any(w in line.lower().split() for w in german) for _, line, _, _ in CASES) >= 12


def test_words_are_used_once_and_nothing_is_invented() -> None:
    assert Query() == parse("", Vocabulary(()), "standings")
    assert parse("bronze", Vocabulary(()), "standings").unknown == ["bronze"]

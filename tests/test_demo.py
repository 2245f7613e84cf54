"""The offline demo: every shipped series loaded as it stood on the replayed day (1 October 2023), and the real
bot on the demo's clock, so every date it shows is that season's — in English and German."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.records import ImportBatch
from bot.demo import DEMO_DATA, ReplayClock, as_of, load_replay, replay_season
from bot.ingest.importers import load_paths
from storage.store import Store
from tests.botenv import BotEnv, buttons, running_bot
from tests.conftest import ERGAST
from tests.databases import clone_db, drop_db, new_db

OPENS_AT = datetime(2023, 10, 1, 11, 59, 40, tzinfo=UTC)  # an hour and 20 s before the Barcelona race


def text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_the_replayed_day_is_barcelona_2023_with_the_rounds_before_it(tmp_path: Path) -> None:
    data = replay_season(DEMO_DATA, tmp_path)
    assert data.race_start == datetime(2023, 10, 1, 13, 0, tzinfo=UTC)  # 15:00 in Barcelona
    assert data.opens_at == OPENS_AT
    rounds = {p.name for p in data.sources if p.parent.name == "2023" and "gtwc-europe" in p.parts}
    assert "Valencia" in rounds and "Barcelona" not in rounds and "Zandvoort" not in rounds
    assert any(p.name == "f1-ergast" for p in data.sources) and any(p.name == "2023" for p in data.sources)
    assert data.loaded == [
        "GT World Challenge Europe 2023",
        "Formula 1 1950–2023",
        "IMSA WeatherTech SportsCar Championship 2023",
    ]


def test_as_of_keeps_what_was_known_that_morning() -> None:
    (f1,) = as_of(load_paths([ERGAST]), OPENS_AT)
    assert max(s.year for s in f1.seasons) == 2023
    season = next(s for s in f1.seasons if s.year == 2023)
    events = {e.name: e for e in season.events}
    japan, qatar = events["Japanese Grand Prix"], events["Qatar Grand Prix"]
    assert all(s.results for s in japan.sessions if s.key in ("qualifying", "race")) and japan.entries
    assert all(s.results is None for s in qatar.sessions) and qatar.entries == []
    assert [s.start_utc for s in qatar.sessions if s.key == "race"] == ["2023-10-08T17:00:00Z"]  # still scheduled
    standings_after = {s.event_key for s in season.official_standings}
    assert japan.key in standings_after and qatar.key not in standings_after


def demo_store(path: str, folder: Path) -> None:
    async def build() -> None:
        store = await Store.open(path)
        try:
            batches: list[ImportBatch] = load_replay(replay_season(DEMO_DATA, folder))
            await store.apply(batches)
        finally:
            await store.close()

    asyncio.run(build())


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's store, built once (F1 1950–2023 included: a few seconds)."""
    folder = tmp_path_factory.mktemp("demo")
    path = new_db(folder, "demo", keep=True)
    demo_store(path, folder)
    try:
        yield path
    finally:
        drop_db(path)


@pytest.fixture
async def demo(demo_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotEnv]:
    db = clone_db(demo_db, tmp_path, "demo")
    clock = ReplayClock(OPENS_AT)
    async with running_bot(db, clock=clock) as running:
        yield running
        assert running.errors() == []


@pytest.mark.parametrize(("language", "race_day"), [("en", "Sun, Oct 1: Race 13:00"), ("de", "1. Okt.: Rennen")])
async def test_the_demo_shows_the_replayed_season_s_dates(demo: BotEnv, language: str, race_day: str) -> None:
    user = 7001
    demo.standin.user(user, first_name="Demo", language_code=language)
    assert "Klaus Bachler" in text(await demo.say(user, user, "/follow bachler"))
    answer = await demo.say(user, user, "/follow verstappen")  # Jos (1994–2003) or Max: a choice, or Max at once
    if any("Max Verstappen" in label for label, _ in buttons(answer[0])):
        answer = await demo.press(user, user, answer[0], "Max Verstappen")
    assert "Max Verstappen" in text(answer) and await demo.store.chats.follows(user)
    upcoming = text(await demo.say(user, user, "/next"))
    assert "Barcelona" in upcoming  # /next shows the next three weekends; Zandvoort is the fourth
    calendar = text(await demo.say(user, user, "/calendar gtwc"))
    assert "Zandvoort" in calendar and set(re.findall(r"\b20\d\d\b", calendar)) <= {"2023"}, calendar
    assert race_day in upcoming, upcoming
    assert "Qatar Grand Prix" in upcoming and "Japanese" not in upcoming  # Suzuka (24 Sep) is over
    assert set(re.findall(r"\b20\d\d\b", upcoming)) <= {"2023"}, upcoming
    calendar = text(await demo.say(user, user, "/calendar gtwc-europe"))
    assert "Valencia" in calendar and set(re.findall(r"\b20\d\d\b", calendar)) <= {"2023"}, calendar
    standings = text(await demo.say(user, user, "/standings f1"))
    assert "2023" in standings and "Max Verstappen" in standings and "2024" not in standings

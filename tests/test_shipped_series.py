"""The shipped series definitions apply themselves (bot/ingest/definitions.py), on a fresh database fed only
with real results files: standings, calendar and the bot's answers need no rules file and no calendar import.
A season Pitboard ships nothing for gets an error that says what to write and where to start from."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.records import ResultRec
from bot.ingest.definitions import RULES_DOC, ensure_shipped, example_season, grouped, nearest_shipped, shipped
from bot.ingest.importers import load_paths
from bot.ingest.importing import apply_import
from bot.services.search import search_drivers
from bot.services.season import NoRules, standings_table
from storage.series import SeasonCoverage
from storage.store import Store
from storage.writer import ImportConflict
from tests.botenv import ADMIN_ID, BotEnv, running_bot
from tests.conftest import ERGAST, GTWC, IMSA, ROOT, run_cli
from tests.databases import new_db
from tests.test_f1_standings import _compare
from tests.wheelenv import build_wheel, clean_env, install

NOW = datetime(2026, 12, 5, tzinfo=UTC)
BACHLER, MALYKHIN = "Klaus Bachler", "Alex Malykhin"
ANA, BEN, CARL = 3101, 3102, 3103  # English, German; CARL follows a driver of a series without rules


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _season_2024(tmp_path: Path) -> Path:
    """Barcelona's real files filed as a 2024 round: a GTWC season Pitboard ships no rules for."""
    folder = tmp_path / "2024" / "Barcelona"
    shutil.copytree(GTWC / "Barcelona", folder)
    return folder


def _no_rules_series(tmp_path: Path) -> Path:
    """A series Pitboard knows nothing about: one event with results, no championships."""
    doc = {
        "format": "pitboard/1",
        "series": {"slug": "club-gt", "name": "Club GT"},
        "seasons": [
            {
                "year": 2023,
                "events": [
                    {
                        "key": "hill",
                        "name": "Hill Climb",
                        "start_date": "2023-08-05",
                        "end_date": "2023-08-06",
                        "entries": [{"number": "7", "team": "Garage Seven", "drivers": ["Carla Kurvenreich"]}],
                        "sessions": [
                            {
                                "key": "race",
                                "name": "Race",
                                "kind": "race",
                                "date": "2023-08-06",
                                "results": [{"number": "7", "position": 1}],
                            }
                        ],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "club-gt.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


# --- the import path -------------------------------------------------------------------------------


def test_cli_import_of_gtwc_results_alone_applies_the_shipped_rules_and_calendar(tmp_path: Path) -> None:
    db = new_db(tmp_path, "fresh")
    first = run_cli("import", str(GTWC), db=db, check=True).stdout
    assert "Applied the shipped GT World Challenge Europe 2023 points rules and calendar." in first
    asked = ("standings", "gtwc-europe", "--season", "2023", "--class", "Bronze Cup", "--format", "csv")
    bronze = _csv(run_cli(*asked, db=db, check=True).stdout)
    assert bronze[0]["driver"] == MALYKHIN and bronze[0]["position"] == "1"
    # Importing again changes nothing, and nothing is applied twice.
    again = run_cli("import", str(GTWC), db=db, check=True).stdout
    assert "Nothing changed" in again and "Applied" not in again


async def test_the_calendar_comes_with_the_results(tmp_path: Path) -> None:
    async with await Store.open(new_db(tmp_path, "fresh")) as store:
        outcome = await apply_import(store, load_paths([GTWC]), NOW)
        assert [g.describe() for g in grouped(outcome.applied)] == [
            "applied the shipped GT World Challenge Europe 2023 points rules and calendar"
        ]
        races = [s for s in await store.schedule.schedule("gtwc-europe", 2023) if s.kind == "race"]
        events = list(dict.fromkeys(s.event_name for s in races))
        assert events[-3:] == ["Valencia", "Barcelona", "Zandvoort"]  # in date order: the calendar's
        barcelona = next(s for s in races if s.event_name == "Barcelona")
        assert barcelona.start_date == "2023-10-01"
        # Klaus Bachler's car raced last at Barcelona (the Bronze Cup does not race at the Zandvoort finale).
        bachler = (await search_drivers(store, BACHLER))[0]
        assert bachler.name == BACHLER
        last = await store.schedule.last_race("gtwc-europe", 2023, frozenset({bachler.driver_id}))
        assert last is not None
        event = await store.schedule.event_name(last.event_id)
        assert event is not None and event.name == "Barcelona"


async def test_the_shipped_definition_lands_with_the_files_or_not_at_all(tmp_path: Path) -> None:
    batches = load_paths([GTWC / "Barcelona"], season=2023)
    race = next(s for e in batches[0].seasons[0].events for s in e.sessions if s.key == "race")
    assert race.results is not None
    race.results.append(ResultRec(entry_key="no-such-car", status="classified", position=99))
    async with await Store.open(new_db(tmp_path, "fresh")) as store:
        with pytest.raises(ImportConflict):
            await apply_import(store, batches, NOW)
        assert await store.series.all() == []
        assert await store.series.season_coverage("gtwc-europe", 2023) is None


async def test_rules_someone_imported_are_kept(tmp_path: Path) -> None:
    """Only what the store lacks is applied: own rules for the season keep theirs, the calendar still comes."""
    own = json.loads((ROOT / "bot" / "ingest" / "series" / "gtwc-europe-2023.json").read_text("utf-8"))
    season = own["seasons"][0]
    season["championships"] = [dict(season["championships"][0], key="house", name="House Rules")]
    season["events"] = []
    rules = tmp_path / "house-rules.json"
    rules.write_text(json.dumps(own), encoding="utf-8")
    async with await Store.open(new_db(tmp_path, "fresh")) as store:
        outcome = await apply_import(store, load_paths([rules, GTWC / "Barcelona"], season=2023), NOW)
        applied = [g.describe() for g in grouped(outcome.applied)]
        assert applied == ["applied the shipped GT World Challenge Europe 2023 calendar"]
        data = await store.results.season_data("gtwc-europe", 2023)
        assert data is not None and [c.key for c in data.championships] == ["house"]


async def test_a_query_applies_what_an_older_import_left_out(tmp_path: Path) -> None:
    """A store filled without the shipped definitions (an older Pitboard): the first query applies them."""
    async with await Store.open(new_db(tmp_path, "old")) as store:
        await store.apply(load_paths([GTWC]))
        assert await store.series.season_coverage("gtwc-europe", 2023) == SeasonCoverage(False, False)
        tables = await standings_table(store, "gtwc-europe", 2023, "Bronze Cup")
        assert tables[0].rows[0].name == MALYKHIN
        assert await store.series.season_coverage("gtwc-europe", 2023) == SeasonCoverage(True, True)
        assert await ensure_shipped(store, "gtwc-europe", 2023) == []
        # Asking about a season the store does not hold creates nothing.
        assert await ensure_shipped(store, "gtwc-europe", 2024) == []
        assert await store.series.season_coverage("imsa", 2023) is None


async def test_ergast_alone_gives_computed_f1_standings_equal_to_the_official_ones(tmp_path: Path) -> None:
    async with await Store.open(new_db(tmp_path, "f1")) as store:
        outcome = await apply_import(store, load_paths([ERGAST]), NOW)
        assert [(g.rules, g.calendar) for g in outcome.applied] and all(a.rules for a in outcome.applied)
        rounds = 0
        problems: list[str] = []
        for year in range(1991, 2025):
            counted, found = await _compare(store, year)
            rounds += counted
            problems += found
        assert rounds >= 620 and not problems, "\n".join(problems[:30])
        drivers = await standings_table(store, "f1", 2010, computed=True)
        assert drivers[0].source == "computed" and drivers[0].rows[0].name == "Sebastian Vettel"


# --- a season without shipped rules ------------------------------------------------------------------


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    return {
        re.sub(r"[^\w\- ]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in markdown.splitlines()
        if line.startswith("#")
    }


def test_the_rules_doc_link_points_at_a_real_section() -> None:
    path, anchor = RULES_DOC.split("#")
    assert anchor in _anchors((ROOT / path).read_text("utf-8"))


def test_cli_says_which_file_to_write_and_which_season_to_start_from(tmp_path: Path) -> None:
    db = new_db(tmp_path, "fresh")
    imported = run_cli("import", str(_season_2024(tmp_path)), "--season", "2024", db=db, check=True).stdout
    assert "Applied" not in imported
    failed = run_cli("standings", "gtwc-europe", "--season", "2024", db=db)
    assert failed.returncode == 2
    message = " ".join(failed.stderr.split())
    assert "No points rules for GT World Challenge Europe 2024" in message
    assert RULES_DOC in message
    assert "start from the shipped GT World Challenge Europe 2023 definition" in message
    shipped_file = message.rsplit("definition: ", 1)[1].strip()
    assert Path(shipped_file).is_file() and Path(shipped_file).name == "gtwc-europe-2023.json"


def test_the_nearest_shipped_season_is_the_one_to_start_from() -> None:
    nearest = nearest_shipped("f1", 2026)
    assert nearest is not None and nearest.year == 2024 and nearest.has_rules
    assert shipped("f1", 1950) is not None and shipped("f1", 2025) is None
    gtwc = nearest_shipped("gtwc-europe", 2019)
    assert gtwc is not None and gtwc.year == 2023


async def test_a_series_pitboard_ships_nothing_for_gets_an_example(tmp_path: Path) -> None:
    async with await Store.open(new_db(tmp_path, "fresh")) as store:
        await apply_import(store, load_paths([_no_rules_series(tmp_path)]), NOW)
        with pytest.raises(NoRules) as caught:
            await standings_table(store, "club-gt")
        assert caught.value.own is None
        assert caught.value.start_from.has_rules and caught.value.start_from.has_calendar
        assert RULES_DOC in str(caught.value)


# --- the bot -----------------------------------------------------------------------------------------


@pytest.fixture(params=["import", "older-store"])
async def gtwc_bot(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BotEnv]:
    """A database holding GTWC Europe 2023's results files and a series without rules; the shipped GTWC
    definition came with the import, or ("older-store") is applied when the bot is first asked."""
    db = new_db(tmp_path, "gtwc")
    async with await Store.open(db) as store:
        batches = load_paths([GTWC, _no_rules_series(tmp_path)])
        if request.param == "import":
            await apply_import(store, batches, NOW)
        else:
            await store.apply(batches)
    async with running_bot(db) as env:
        env.standin.user(ANA, first_name="Ana", language_code="en")
        env.standin.user(BEN, first_name="Ben", language_code="de")
        env.standin.user(CARL, first_name="Carl", language_code="de")
        yield env
        assert env.errors() == []


def _text(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def test_the_bot_picks_the_chat_series_for_standings_results_and_calendar(gtwc_bot: BotEnv) -> None:
    env = gtwc_bot
    assert BACHLER in _text(await env.say(ANA, ANA, "/follow Klaus Bachler"))
    standings = _text(await env.say(ANA, ANA, "/standings"))
    assert "Which series?" not in standings
    assert "GT World Challenge Europe 2023 — Overall — Bronze Cup" in standings and MALYKHIN in standings
    results = _text(await env.say(ANA, ANA, "/results"))
    assert "Barcelona" in results and "Klaus Bachler: NC after 19 laps" in results
    calendar = _text(await env.say(ANA, ANA, "/calendar"))
    assert "Barcelona" in calendar and "Zandvoort" in calendar and "Which series?" not in calendar


async def test_the_bot_says_what_to_do_for_a_series_without_rules_in_german(gtwc_bot: BotEnv) -> None:
    env = gtwc_bot
    assert "Carla Kurvenreich" in _text(await env.say(CARL, CARL, "/follow Carla Kurvenreich"))
    reply = _text(await env.say(CARL, CARL, "/standings"))
    assert "Für Club GT 2023 gibt es noch keine Punkteregeln" in reply
    assert RULES_DOC in reply and example_season().path.name in reply


async def test_an_admin_upload_says_which_shipped_definition_it_applied(gtwc_bot: BotEnv) -> None:
    env = gtwc_bot
    env.standin.user(ADMIN_ID, first_name="Root", language_code="en")
    race = IMSA / "21-road-atlanta" / "202310141140-race-results.csv"
    reply = _text(await env.upload(ADMIN_ID, ADMIN_ID, race.name, race.read_bytes(), "/import event=21-road-atlanta"))
    assert "Applied the shipped points rules and calendar of IMSA WeatherTech SportsCar Championship 2023." in reply
    # The calendar came first in the same transaction: the race file's local start time found its zone.
    petit = next(
        s
        for s in await env.store.schedule.schedule("imsa", 2023)
        if s.event_key == "petit-le-mans" and s.kind == "race"
    )
    assert petit.start_utc == "2023-10-14T15:40:00Z"


# --- from an installed wheel ----------------------------------------------------------------------------


def test_an_installed_wheel_carries_the_series_definitions_and_the_demo_season(tmp_path: Path) -> None:
    """`pip install` of the wheel, no checkout: its own data imports with the shipped rules, in an empty folder.
    (The whole `pitboard demo --script` from a wheel runs in .ci/run: it waits for its reminder in real time.)"""
    bin_dir = install(build_wheel(tmp_path), tmp_path / "venv")
    empty = tmp_path / "empty"
    empty.mkdir()
    probe = (
        "import bot.demo, bot.ingest.shipped, bot.standin.spec; "
        "print(bot.demo.DEMO_DATA); print(bot.ingest.shipped.SERIES_DIR); "
        "print(bot.standin.spec.load_spec().version)"
    )
    where = subprocess.run(
        [str(bin_dir / "python"), "-c", probe], cwd=empty, env=clean_env(empty), capture_output=True, text=True
    )
    assert where.returncode == 0, where.stderr
    demo_data, series_dir, _ = where.stdout.split("\n", 2)
    for path in (demo_data, series_dir):
        assert Path(path).is_relative_to(tmp_path / "venv") and Path(path).is_dir()
    season = Path(demo_data) / "gtwc-europe" / "2023"
    assert (Path(demo_data) / "gtwc-europe" / "README.md").is_file()

    def pitboard(*args: str) -> str:
        run = subprocess.run(
            [str(bin_dir / "pitboard"), *args], cwd=empty, env=clean_env(empty), capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        return run.stdout

    assert "Applied the shipped GT World Challenge Europe 2023 points rules and calendar." in pitboard(
        "import", str(season)
    )
    bronze = _csv(pitboard("standings", "gtwc-europe", "--class", "Bronze Cup", "--format", "csv"))
    assert bronze[0]["driver"] == MALYKHIN

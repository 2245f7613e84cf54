"""The `pitboard` command as a user runs it, in its own process, against a real SQLite file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from bot.services.search import search_drivers
from storage.store import Store
from tests.conftest import GTWC, run_cli
from tests.databases import new_db


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_f1_standings_default_to_the_official_table(full_db: Path) -> None:
    result = run_cli("standings", "f1", "--season", "2021", "--format", "csv", db=full_db, check=True)
    rows = _csv(result.stdout)
    assert rows[0]["driver"] == "Max Verstappen" and rows[0]["points"] == "395.5"
    assert rows[0]["source"] == "official"
    assert rows[1]["driver"] == "Lewis Hamilton" and rows[1]["points"] == "387.5"


def test_computed_standings_cross_check_the_official_ones(full_db: Path) -> None:
    result = run_cli("standings", "f1", "--season", "2021", "--computed", "--format", "csv", db=full_db, check=True)
    rows = _csv(result.stdout)
    assert rows[0]["source"] == "computed"
    assert [(r["driver"], r["points"]) for r in rows[:2]] == [("Max Verstappen", "395.5"), ("Lewis Hamilton", "387.5")]


def test_constructors_with_teams(full_db: Path) -> None:
    rows = _csv(
        run_cli("standings", "f1", "--season", "2023", "--teams", "--format", "csv", db=full_db, check=True).stdout
    )
    assert rows[0]["team"] == "Red Bull" and rows[0]["points"] == "860"


def test_gtwc_bronze_cup_tables(full_db: Path) -> None:
    rows = _csv(
        run_cli(
            "standings",
            "gtwc-europe",
            "--season",
            "2023",
            "--class",
            "bronze cup",
            "--championship",
            "sprint",
            "--format",
            "csv",
            db=full_db,
            check=True,
        ).stdout
    )
    assert rows[0]["driver"] == "Alex Malykhin" and rows[0]["position"] == "1"
    teams = _csv(
        run_cli(
            "standings", "gtwc-europe", "--class", "Bronze Cup", "--teams", "--format", "csv", db=full_db, check=True
        ).stdout
    )
    assert teams[0]["team"] == "Pure Rxcing"
    table = run_cli("standings", "gtwc-europe", "--class", "Bronze Cup", db=full_db, check=True).stdout
    assert "Overall" in table and "Alex Malykhin" in table


def test_results_table_and_csv(full_db: Path) -> None:
    rows = _csv(
        run_cli(
            "results",
            "gtwc-europe",
            "--season",
            "2023",
            "--event",
            "barcelona",
            "--class",
            "bronze",
            "--format",
            "csv",
            db=full_db,
            check=True,
        ).stdout
    )
    assert rows[0]["number"] == "188" and rows[0]["class_position"] == "1"
    nc = next(r for r in rows if r["number"] == "911")
    assert nc["status"] == "not_classified" and nc["laps"] == "19"
    text = run_cli("results", "imsa", "--event", "petit", "--class", "GTDPRO", db=full_db, check=True).stdout
    assert "Pfaff Motorsports" in text


def test_friendly_errors(full_db: Path) -> None:
    unknown = run_cli("standings", "indycar", db=full_db)
    assert unknown.returncode == 2 and "Unknown series “indycar”" in unknown.stderr and "gtwc-europe" in unknown.stderr
    no_class = run_cli("standings", "imsa", "--class", "Hypercar", db=full_db)
    assert no_class.returncode == 2 and "GTDPRO" in no_class.stderr
    no_event = run_cli("results", "gtwc-europe", "--event", "monaco", db=full_db)
    assert no_event.returncode == 2 and "Barcelona" in no_event.stderr
    no_season = run_cli("standings", "imsa", "--season", "1990", db=full_db)
    assert no_season.returncode == 2 and "2023" in no_season.stderr


def test_drivers_search_spellings(full_db: Path) -> None:
    for spelling in ("bachler", "BACHLER", "Klaus Bächler"):
        result = run_cli("drivers", spelling, db=full_db, check=True)
        first = result.stdout.splitlines()[0]
        assert first.startswith("Klaus Bachler"), (spelling, result.stdout)
    assert run_cli("drivers", "zzqxv", db=full_db).returncode == 1


async def test_search_service_finds_one_clear_match(store: Store) -> None:
    for spelling in ("bachler", "BACHLER", "Klaus Bächler", "klaus bachler"):
        matches = await search_drivers(store, spelling)
        assert [m.name for m in matches][:1] == ["Klaus Bachler"], (spelling, matches)
    assert await search_drivers(store, "") == []


def test_import_reports_changes_then_nothing(tmp_path: Path) -> None:
    db = new_db(tmp_path, "cli")
    first = run_cli("import", str(GTWC / "Barcelona"), "--season", "2023", db=db, check=True)
    assert "results added" in first.stdout
    second = run_cli("import", str(GTWC / "Barcelona"), "--season", "2023", db=db, check=True)
    assert "Nothing changed" in second.stdout

"""Timing files by URL: `pitboard import URL`, `pitboard watch`, the provider status — real HTTP against a
local server serving the real files, real SQLite files, a ManualClock for the watch."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.i18n import Translator
from bot.ingest.providers.watch import Watch, provider_name
from bot.render.status import provider_lines
from storage.providers import ProviderStatus
from storage.store import Store
from tests.botenv import ADMIN_ID, buttons, running_bot
from tests.conftest import GTWC, IMSA, ROOT, run_cli
from tests.databases import new_db
from tests.urlserver import FileServer, closed_port

BARCELONA = "/gtwc-europe/2023/Barcelona/Races/Main_Race.csv"
SPA = "/gtwc-europe/2023/CrowdStrike_24_Hours_of_Spa/Races"


@pytest.fixture
def server() -> Iterator[FileServer]:
    running = FileServer().start()
    try:
        yield running
    finally:
        running.stop()


async def _snapshot(db: Path) -> tuple[dict[str, int], int, list[tuple[object, ...]]]:
    async with await Store.open(db) as store:
        results = [tuple(r) for r in await store.db.fetch("SELECT * FROM results ORDER BY session_id, entry_id")]
        return await store.counts(), await store.feed.last_import_id(), results


def snapshot(db: Path) -> tuple[dict[str, int], int, list[tuple[object, ...]]]:
    return asyncio.run(_snapshot(db))


def test_import_by_url_is_the_import_by_path(server: FileServer, tmp_path: Path) -> None:
    server.serve(BARCELONA, GTWC / "Barcelona" / "Races" / "Main_Race.csv")
    by_path, by_url = new_db(tmp_path, "path"), new_db(tmp_path, "url")
    run_cli(
        "import", str(GTWC / "Barcelona" / "Races" / "Main_Race.csv"), "--series", "gtwc-europe", db=by_path, check=True
    )
    first = run_cli(
        "import", server.url(BARCELONA), "--series", "gtwc-europe", "--season", "2023", db=by_url, check=True
    )
    assert "results added" in first.stdout
    table = ("results", "gtwc-europe", "--event", "barcelona", "--format", "csv")
    assert run_cli(*table, db=by_url, check=True).stdout == run_cli(*table, db=by_path, check=True).stdout
    assert snapshot(by_url)[0] == snapshot(by_path)[0]
    again = run_cli(
        "import", server.url(BARCELONA), "--series", "gtwc-europe", "--season", "2023", db=by_url, check=True
    )
    assert "Nothing changed" in again.stdout
    assert all(agent.startswith("Pitboard/") for agent in server.user_agents)


def _bad_cases(server: FileServer) -> list[tuple[str, str]]:
    server.serve(
        "/gtwc-europe/2023/Valencia/Races/Race_1.csv",
        b"<!DOCTYPE html>\n<html><head><title>Maintenance</title></head><body>Back soon</body></html>",
        content_type="text/csv",  # an error page that claims to be the CSV
    )
    empty = {
        "format": "pitboard/1",
        "series": {"slug": "test-gt", "name": "Test GT"},
        "seasons": [{"year": 2023, "events": []}],
    }
    server.serve("/calendar.json", json.dumps(empty).encode(), content_type="application/json")
    server.hanging.add("/slow/Main_Race.csv")
    return [
        (f"http://127.0.0.1:{closed_port()}/Main_Race.csv", "cannot connect"),
        (server.url("/gtwc-europe/2023/Monza/Races/Main_Race.csv"), "404"),
        (server.url("/slow/Main_Race.csv"), "timeout"),
        (server.url("/gtwc-europe/2023/Valencia/Races/Race_1.csv"), "HTML"),
        (server.url("/calendar.json"), "no events"),
    ]


def test_bad_urls_fail_cleanly_and_change_nothing(server: FileServer, tmp_path: Path) -> None:
    server.serve(BARCELONA, GTWC / "Barcelona" / "Races" / "Main_Race.csv")
    db = new_db(tmp_path, "store")
    run_cli("import", str(GTWC / "Barcelona" / "Races" / "Main_Race.csv"), "--series", "gtwc-europe", db=db, check=True)
    before = snapshot(db)
    env = {**os.environ, "PITBOARD_DATABASE": str(db), "COLUMNS": "200", "PITBOARD_FETCH_TIMEOUT": "0.5"}
    for url, said in _bad_cases(server):
        # A good file beside the bad one: all or nothing, so neither lands.
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli", "import", server.url(BARCELONA), url, "--season", "2023"],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )
        assert result.returncode != 0, (url, result.stdout)
        message = " ".join(result.stderr.split())
        assert "nothing was changed" in message and url in message and said in message, message
        assert "Traceback" not in result.stderr
    assert snapshot(db) == before


async def test_watch_imports_exactly_what_changed(server: FileServer, tmp_path: Path) -> None:
    races = GTWC / "CrowdStrike_24_Hours_of_Spa" / "Races"
    main, hour6, hour7 = f"{SPA}/Main_Race.csv", f"{SPA}/Main_Race_after_6_hours.csv", f"{SPA}/latest.csv"
    # The timing page publishes the race classification as provisional first, under the same URL.
    server.serve(main, races / "Main_Race.csv", filename="Main_Race_Provisional.csv")
    server.serve(hour7, races / "Main_Race_after_6_hours.csv", filename="Main_Race_after_6_hours.csv", etags=False)
    clock = ManualClock(datetime(2023, 7, 2, 16, 30, tzinfo=UTC))
    async with await Store.open(new_db(tmp_path, "store"), clock=clock) as store:
        watch = Watch(store, [server.url(u) for u in (main, hour6, hour7)], season=2023, every=60, clock=clock)
        runner = asyncio.create_task(watch.run())
        await clock.advance(0, settle=0.3)
        for _ in range(50):  # the first poll: real HTTP and SQLite, so wait for its outcome
            status = {s.provider: s for s in await store.providers.all()}
            if all(s.runs for s in status.values()) and len(status) == 3:
                break
            await asyncio.sleep(0.05)
        sessions = {s.key: s for s in await store.schedule.schedule("gtwc-europe", 2023) if s.event_key == "spa"}
        assert sessions["race"].results_status == "provisional"
        assert "race-after-6h" in sessions  # from the "latest" URL
        assert status[provider_name(server.url(hour6))].last_error is not None  # not published yet: 404
        imports = await store.feed.last_import_id()

        # Nothing changed on the server: 304 where it supports validators, same bytes where it does not.
        await _poll(clock, store, watch)
        assert await store.feed.last_import_id() == imports
        assert server.statuses(main)[-1] == 304
        assert server.statuses(hour7)[-1] == 200

        # The race turns official; hour 6 appears at its own URL (the same table as "latest" had);
        # "latest" moves on to the classification after 7 hours.
        server.serve(main, races / "Main_Race.csv", filename="Main_Race.csv")
        server.serve(hour6, races / "Main_Race_after_6_hours.csv")
        server.serve(hour7, races / "Main_Race_after_7_hours.csv", filename="Main_Race_after_7_hours.csv", etags=False)
        await clock.advance(60, settle=0.3)
        await _poll(clock, store, watch, already=True)
        sessions = {s.key: s for s in await store.schedule.schedule("gtwc-europe", 2023) if s.event_key == "spa"}
        assert sessions["race"].results_status == "final"
        assert sessions["race-after-7h"].results_status == "final"
        keys = {s.session_id: s.key for s in sessions.values()}
        changes = [c for i in await store.feed.imports_since(imports) for c in i.session_changes]
        assert sorted((keys[c["session_id"]], c["what"]) for c in changes) == [
            ("race", "results_final"),
            ("race-after-7h", "added"),
            ("race-after-7h", "results_new"),
        ], changes
        # Hour 6 failed twice (404): its next try backs off to 120 s after the second, at T+180.
        hour6_status = await store.providers.get(provider_name(server.url(hour6)))
        assert hour6_status is not None and hour6_status.failures_in_a_row == 2
        assert hour6_status.next_run_utc == "2023-07-02T16:33:00Z"
        assert server.statuses(hour6) == [404, 404]
        imports = await store.feed.last_import_id()
        await _poll(clock, store, watch)
        hour6_status = await store.providers.get(provider_name(server.url(hour6)))
        assert hour6_status is not None and hour6_status.last_error is None and hour6_status.last_success_utc
        assert server.statuses(hour6) == [404, 404, 200]
        # The same table "latest" brought an hour ago: stored already, so nothing new to tell.
        assert [c for i in await store.feed.imports_since(imports) for c in i.session_changes] == []
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)


async def _poll(clock: ManualClock, store: Store, watch: Watch, already: bool = False) -> None:
    runs = sum(s.runs for s in await store.providers.all())
    if not already:
        await clock.advance(60, settle=0.3)
    for _ in range(100):
        if sum(s.runs for s in await store.providers.all()) >= runs + (0 if already else 3):
            return
        await asyncio.sleep(0.05)


def _text(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def _runs(store: Store, providers: list[str]) -> dict[str, ProviderStatus]:
    """The provider status once each of `providers` has run (the bot's job runs on real time)."""
    for _ in range(200):
        status = {s.provider: s for s in await store.providers.all()}
        if all(p in status and status[p].runs for p in providers):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"the providers did not run: {await store.providers.all()}")


async def test_the_bot_runs_the_watch_list_and_stats_show_it(server: FileServer, tmp_path: Path) -> None:
    server.serve(BARCELONA, GTWC / "Barcelona" / "Races" / "Main_Race.csv")
    unpublished = server.url("/gtwc-europe/2023/Barcelona/Races/Main_Race_after_2_hours.csv")
    db = new_db(tmp_path, "bot")
    server.hanging.add("/down/Race_1.csv")
    down = server.url("/down/Race_1.csv")  # a site that accepts the connection and never answers
    watch_list = {
        "PITBOARD_WATCH_URLS": f"{server.url(BARCELONA)}, {unpublished} {down}",
        "PITBOARD_WATCH_SEASON": "2023",
        "PITBOARD_WATCH_EVERY": "3600",
        "PITBOARD_FETCH_TIMEOUT": "8",
    }
    async with running_bot(db, settings=watch_list) as env:
        env.standin.user(ADMIN_ID, first_name="Ada", language_code="de")
        env.standin.private_chat(ADMIN_ID)
        status = await _runs(env.store, [provider_name(server.url(BARCELONA)), provider_name(unpublished)])
        # The hanging fetch is still waiting: it delays neither the other files nor any command.
        assert status[provider_name(down)].runs == 0
        assert status[provider_name(server.url(BARCELONA))].imports == 1
        assert "404" in (status[provider_name(unpublished)].last_error or "")
        sessions = {
            s.key: s for s in await env.store.schedule.schedule("gtwc-europe", 2023) if s.event_key == "barcelona"
        }
        assert sessions["race"].results_status == "final"
        stats = _text(await env.say(ADMIN_ID, ADMIN_ID, "/stats"))
        assert "Datenquellen" in stats and "zuletzt erfolgreich" in stats and "letzter Fehler" in stats, stats
        assert server.url(BARCELONA) in stats and unpublished in stats and "404 Not Found" in stats
        assert down in stats and "zuletzt erfolgreich: nie" in stats
        assert env.errors() == []
    shown = run_cli("status", db=db, check=True).stdout
    assert f"watch:{server.url(BARCELONA)}" in shown and f"watch:{unpublished}" in shown
    assert "the server answered 404 Not Found" in shown and "1 with changes" in shown


def test_status_in_english_and_german() -> None:
    row = ProviderStatus(
        "watch:http://timing.example/Main_Race.csv",
        "2023-10-01T13:00:00Z",
        "2023-10-01T13:00:00Z",
        "2023-10-01T12:59:00Z",
        "http://timing.example/Main_Race.csv: the server answered 503 <Service Unavailable>",
        "2023-10-01T13:01:00Z",
        3,
        1,
        0,
        1,
    )
    en = "\n".join(provider_lines(Translator("en"), [row], "Europe/Madrid"))
    de = "\n".join(provider_lines(Translator("de"), [row], "Europe/Madrid"))
    assert "last success: Sun 1 Oct 15:00" in en and "next run: Sun 1 Oct 15:01" in en and "3 runs, 1 failed" in en
    assert "&lt;Service Unavailable&gt;" in en  # data is escaped: valid Telegram HTML
    assert "zuletzt erfolgreich: So. 1. Okt." in de and "3 Läufe, 1 fehlgeschlagen" in de and "Datenquellen" in de


async def test_admin_import_takes_a_url_with_the_upload_flow(server: FileServer, tmp_path: Path) -> None:
    race = GTWC / "Barcelona" / "Races" / "Main_Race.csv"
    cut = "/cut/gtwc-europe/2023/Barcelona/Races/Main_Race.csv"
    server.serve(BARCELONA, race)
    server.serve(cut, b"".join(race.read_bytes().splitlines(keepends=True)[:6]))
    async with running_bot(new_db(tmp_path, "bot")) as env:
        env.standin.private_chat(ADMIN_ID)
        done = _text(await env.say(ADMIN_ID, ADMIN_ID, f"/import {server.url(BARCELONA)} season=2023"))
        assert "results added" in done, done
        failed = _text(await env.say(ADMIN_ID, ADMIN_ID, f"/import {server.url('/gone/Main_Race.csv')}"))
        assert "Import failed, nothing was changed" in failed and "/gone/Main_Race.csv" in failed and "404" in failed
        [asked] = await env.say(ADMIN_ID, ADMIN_ID, f"/import {server.url(cut)}")
        assert "results would be removed" in asked["text"], asked["text"]
        assert [label for label, _ in buttons(asked)] == ["Import anyway", "Cancel"]
        applied = await env.press(ADMIN_ID, ADMIN_ID, asked, "Import anyway", expect=2)
        assert any("results corrected" in (m["text"] or "") for m in applied), [m["text"] for m in applied]
        assert env.errors() == []


def test_an_al_kamel_hour_classification_by_url_is_a_stage_of_the_race(server: FileServer, tmp_path: Path) -> None:
    race = IMSA / "21-road-atlanta" / "202310141140-race-results.csv"
    db = new_db(tmp_path, "imsa")
    run_cli("import", str(race), db=db, check=True)
    table = ("results", "imsa", "--event", "road-atlanta", "--format", "csv")
    before = run_cli(*table, db=db, check=True).stdout
    # Al Kamel names its hourly classifications "…Race_Hour 6…" (here with the race's rows as content).
    hour6 = "/imsa/2023/21-road-atlanta/202310141140_Race_Hour%206_Classification.CSV"
    server.serve(hour6, race)
    imported = run_cli("import", server.url(hour6), "--series", "imsa", db=db, check=True)
    assert "1 sessions added" in imported.stdout and "results corrected" not in imported.stdout, imported.stdout
    assert run_cli(*table, db=db, check=True).stdout == before  # the race itself is untouched
    stage = run_cli(*table, "--session", "race-after-6h", db=db, check=True).stdout
    assert stage.count("\n") == before.count("\n")


async def test_record_run_counts_redacts_and_clears(tmp_path: Path) -> None:
    """The API a provider (the Jolpica sync) reports through."""
    clock = ManualClock(datetime(2024, 3, 2, 15, 0, tzinfo=UTC))
    async with await Store.open(new_db(tmp_path, "status"), clock=clock) as store:
        later = datetime(2024, 3, 2, 15, 5, tzinfo=UTC)
        leaked = "https://api.example/bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ012345678/getMe: 502 " + "x" * 2000
        await store.providers.record_run("jolpica", False, leaked, later)
        [row] = await store.providers.all()
        assert row.last_error is not None and "<token>" in row.last_error and "123456:ABC" not in row.last_error
        assert len(row.last_error) <= 500 and row.last_error_utc == "2024-03-02T15:00:00Z"
        assert (row.runs, row.failures, row.failures_in_a_row, row.last_success_utc) == (1, 1, 1, None)
        await clock.advance(300)
        await store.providers.record_run("jolpica", True, None, None, changed=True)
        row = await store.providers.get("jolpica")
        assert row is not None and row.last_error is None and row.last_error_utc == "2024-03-02T15:00:00Z"
        assert (row.runs, row.failures, row.failures_in_a_row, row.imports) == (2, 1, 0, 1)
        assert row.last_success_utc == "2024-03-02T15:05:00Z" and row.next_run_utc is None


def test_watch_once_from_the_command_line(server: FileServer, tmp_path: Path) -> None:
    server.serve(BARCELONA, GTWC / "Barcelona" / "Races" / "Main_Race.csv")
    db = new_db(tmp_path, "watch")
    first = run_cli("watch", server.url(BARCELONA), "--season", "2023", "--once", db=db, check=True)
    assert "54 results added" in first.stdout
    again = run_cli("watch", server.url(BARCELONA), "--season", "2023", "--once", db=db, check=True)
    assert "not-modified" in again.stdout and server.statuses(BARCELONA) == [200, 304]
    failed = run_cli("watch", server.url("/gone.csv"), "--once", db=db)
    assert failed.returncode == 1 and "404 Not Found" in failed.stderr and "Traceback" not in failed.stderr
    assert run_cli("watch", "ftp://timing.example/x.csv", db=db).returncode == 2

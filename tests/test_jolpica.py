"""Jolpica-F1: real HTTP against the local stand-in (built from the Ergast dump), real SQLite, time on a
ManualClock (JumpClock: a sequential sync's waits move the clock instead of the wall clock)."""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.cli import sync_f1
from bot.core.clock import JumpClock, ManualClock
from bot.ingest.importers import load_paths
from bot.ingest.providers.client import HttpClient, ProviderError, cache_beside, retry_after
from bot.ingest.providers.f1_sync import PROVIDER_NAME, F1Sync, record_status
from bot.ingest.providers.jolpica_standin import ErgastData, Faults, JolpicaStandIn
from bot.ingest.providers.limiter import JOLPICA_RATES, RateLimiter
from bot.jobs.notifier import Notifier
from storage.store import Store
from tests.botenv import ADMIN_ID, running_bot
from tests.clocked import drive
from tests.conftest import ERGAST, ROOT, SERIES
from tests.databases import new_db
from tests.test_f1_standings import _compare

AFTER_2024 = datetime(2025, 1, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def ergast() -> ErgastData:
    return ErgastData(ERGAST)


@pytest.fixture
async def standin(ergast: ErgastData) -> AsyncIterator[JolpicaStandIn]:
    server = JolpicaStandIn(ergast)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _rules(db: Path) -> None:
    async with await Store.open(db) as store:
        await store.apply(load_paths([SERIES / "f1.json"]))


def _official_final(year: int) -> list[tuple[str, float, str]]:
    """The CSV dump's driver table after the season's last round: (driverRef, points, positionText)."""
    with (ERGAST / "races.csv").open(encoding="utf-8") as f:
        last = max((r for r in csv.DictReader(f) if r["year"] == str(year)), key=lambda r: int(r["round"]))
    with (ERGAST / "drivers.csv").open(encoding="utf-8") as f:
        refs = {r["driverId"]: r["driverRef"] for r in csv.DictReader(f)}
    with (ERGAST / "driver_standings.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["raceId"] == last["raceId"]]
    rows.sort(key=lambda r: int(r["position"]))
    return [(refs[r["driverId"]], float(r["points"]), r["positionText"]) for r in rows]


async def _stored_final(store: Store, year: int) -> list[tuple[str, float, str]]:
    rows = (await store.results.official_standings("f1", year, "drivers", "driver")).rows
    refs: dict[int, str] = {}
    for row in rows:
        sources = {s.source: s.source_id for s in await store.drivers.driver_sources(row.subject_id)}
        refs[row.subject_id] = sources["ergast"]
    return [(refs[r.subject_id], r.points, r.position_text or "") for r in rows]


async def test_sync_2024_through_429s_and_a_5xx_burst_gives_the_official_table(
    ergast: ErgastData, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = JumpClock(AFTER_2024)
    faults = Faults(rate_limit_every=7, retry_after="3", error_burst=(15, 3))
    server = JolpicaStandIn(ergast, faults=faults, monotonic=clock.monotonic, enforce_limits=True)
    url = await server.start()
    db = new_db(tmp_path, "f1")
    await _rules(db)
    try:
        assert await sync_f1(str(db), url, 2024, clock) == 0
    finally:
        await server.stop()
    printed = capsys.readouterr().out
    assert "24 events added" in printed and "requests" in printed
    statuses = [status for _, status in server.requests]
    assert statuses.count(429) >= 5 and statuses.count(503) == 3
    assert server.limit_violations == 0  # the client kept to 4/s and 500/h by itself
    used = len(server.requests) - statuses.count(429) - statuses.count(503)
    assert used <= 100, used  # a season within the goal
    async with await Store.open(db) as store:
        assert await _stored_final(store, 2024) == _official_final(2024)
        assert (await _stored_final(store, 2024))[0][0] == "max_verstappen"
        rounds, problems = await _compare(store, 2024)  # computed from the synced results, every round
        assert rounds == 24 and problems == []


@pytest.mark.parametrize("year", [2024, 2021, 1995])
async def test_other_seasons_sync_and_agree_with_the_csv_import(
    standin: JolpicaStandIn, tmp_path: Path, year: int
) -> None:
    synced, imported = new_db(tmp_path, "synced"), new_db(tmp_path, "imported")
    for db in (synced, imported):
        await _rules(db)
    assert await sync_f1(str(synced), standin.base_url, year, JumpClock(AFTER_2024)) == 0
    async with await Store.open(imported) as store:
        await store.apply(load_paths([ERGAST], season=year))
    views = []
    for db in (synced, imported):
        async with await Store.open(db) as store:
            rounds, problems = await _compare(store, year)
            assert rounds > 10 and problems == [], problems[:5]
            views.append(
                (await _stored_final(store, year), await _results_view(store, year), await _sessions_view(store, year))
            )
    assert views[0] == views[1]
    assert views[0][0] == _official_final(year)


async def _sessions_view(store: Store, year: int) -> list[tuple[Any, ...]]:
    """Every session of the season: a 2024 sprint weekend's sprint qualifying is one session from both sources."""
    return sorted((s.event_key, s.key, s.kind, s.start_utc) for s in await store.schedule.schedule("f1", year))


async def _results_view(store: Store, year: int) -> list[tuple[Any, ...]]:
    """Every result as names and values (store ids differ between stores)."""
    data = await store.results.season_data("f1", year)
    assert data is not None
    events = {e.id: e.key for e in data.events}
    sessions = {s.id: (events[s.event_id], s.key) for s in data.sessions}
    rows = []
    for r in data.results:
        entry = data.entries[r.entry_id]
        crew = tuple(data.driver_names[d] for d in entry.crew)
        team = data.team_names.get(entry.team_id or 0)
        rows.append((*sessions[r.session_id], entry.number, crew, team, r.position, r.order, r.status, r.points))
    return sorted(rows, key=repr)


RESULTS_PAGE_3 = "/ergast/f1/2024/results/?limit=100&offset=200"


@pytest.mark.parametrize(
    ("fault", "page"),
    [
        ("truncated", RESULTS_PAGE_3),
        ("html", RESULTS_PAGE_3),
        ("missing-key", RESULTS_PAGE_3),
        ("short", RESULTS_PAGE_3),
        ("bad-total", RESULTS_PAGE_3),  # differs from the pages before
        ("bad-total", "/ergast/f1/2024/races/?limit=100&offset=0"),  # one page promising rows it lacks
        ("short", "/ergast/f1/2024/24/driverstandings/?limit=100&offset=0"),
    ],
)
async def test_a_malformed_page_is_rejected_and_nothing_is_written(
    ergast: ErgastData, tmp_path: Path, capsys: pytest.CaptureFixture[str], fault: str, page: str
) -> None:
    server = JolpicaStandIn(ergast, faults=Faults(malformed={page: fault}))
    url = await server.start()
    db = new_db(tmp_path, "f1")
    await _rules(db)
    async with await Store.open(db) as store:
        before = (await store.counts(), await store.feed.last_import_id())
    try:
        assert await sync_f1(str(db), url, 2024, JumpClock(AFTER_2024)) == 1
    finally:
        await server.stop()
    message = capsys.readouterr().err
    assert "nothing was changed" in message and url.removesuffix("/ergast/f1/") + page in message
    async with await Store.open(db) as store:
        assert (await store.counts(), await store.feed.last_import_id()) == before


def test_the_real_command_refuses_an_html_page_naming_the_url(tmp_path: Path) -> None:
    """`pitboard sync f1` as a user runs it: an HTML error page where JSON belongs → exit 1, store unchanged."""

    async def serve_and_run() -> subprocess.CompletedProcess[str]:
        server = JolpicaStandIn(ERGAST, faults=Faults(malformed={"/ergast/f1/2024/races/": "html"}))
        url = await server.start()
        try:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot.cli",
                "sync",
                "f1",
                "--season",
                "2024",
                env={
                    "PITBOARD_DATABASE": str(new_db(tmp_path, "f1")),
                    "PITBOARD_JOLPICA_URL": url,
                    "PATH": "/usr/bin:/bin",
                },
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(proc.communicate(), 60)
            return subprocess.CompletedProcess([], proc.returncode or 0, out.decode(), err.decode())
        finally:
            await server.stop()

    result = asyncio.run(serve_and_run())
    assert result.returncode == 1, result.stdout + result.stderr
    assert "HTML page" in result.stderr and "/ergast/f1/2024/races/" in result.stderr
    assert "nothing was changed" in result.stderr


async def test_a_second_sync_asks_conditionally_and_changes_nothing(
    standin: JolpicaStandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = new_db(tmp_path, "f1")
    assert await sync_f1(str(db), standin.base_url, 2021, JumpClock(AFTER_2024)) == 0
    first = len(standin.requests)
    capsys.readouterr()
    assert await sync_f1(str(db), standin.base_url, 2021, JumpClock(AFTER_2024)) == 0
    printed = capsys.readouterr().out
    assert "Nothing changed" in printed
    assert [s for _, s in standin.requests[first:]] == [304] * first  # every page answered "not modified"


async def test_the_limiter_keeps_4_per_second_and_500_per_hour() -> None:
    clock = JumpClock(AFTER_2024)
    limiter = RateLimiter(JOLPICA_RATES, clock)
    times = []
    for _ in range(520):
        await limiter.acquire()
        times.append(clock.monotonic())
    for i in range(4, len(times)):
        assert times[i] - times[i - 4] >= 1.0 - 1e-9  # never a 5th within a second
    assert times[499] < 200 and times[500] >= 3600  # the 501st waits for the hour's first to age out


async def test_429_retry_after_is_honoured_and_5xx_backs_off_capped(ergast: ErgastData) -> None:
    clock = JumpClock(AFTER_2024)
    server = JolpicaStandIn(ergast, faults=Faults(error_burst=(1, 40)), monotonic=clock.monotonic)
    url = await server.start()
    try:
        async with HttpClient(clock=clock, attempts=6, max_backoff=8) as client:
            with pytest.raises(ProviderError) as failure:
                await client.get(url + "2024/races/")
            assert "server error 503, gave up after 6 attempts" in str(failure.value)
            assert client.usage.waited_seconds == 1 + 2 + 4 + 8 + 8  # doubling, capped
        server.faults = Faults(rate_limit_every=1, retry_after="900")
        async with HttpClient(clock=clock) as client:
            with pytest.raises(ProviderError, match="rate limited for 900 s"):
                await client.get(url + "2024/races/")
        server.faults, server.requests = Faults(rate_limit_every=2, retry_after="7"), []
        async with HttpClient(clock=clock) as client:
            started = clock.monotonic()
            await client.get(url + "2024/races/")
            await client.get(url + "2024/results/")  # request 2 → 429, then again after 7 s
            assert clock.monotonic() - started >= 7 and client.usage.retries == 1
    finally:
        await server.stop()
    assert retry_after("Sat, 05 Dec 2026 12:00:30 GMT", datetime(2026, 12, 5, 12, 0, tzinfo=UTC)) == 30


# --- the bot ---------------------------------------------------------------------------------------------

ABU_DHABI_RACE_END = datetime(2024, 12, 8, 15, 0, tzinfo=UTC)  # 13:00 UTC start, two hours
VERSTAPPEN_FAN, NORRIS_FAN, NOBODY = 7101, 7102, 7103


async def _season_but_the_finale(standin: JolpicaStandIn, db: Path) -> None:
    await _rules(db)
    standin.hold(2024, 24)
    assert await sync_f1(str(db), standin.base_url, 2024, JumpClock(AFTER_2024)) == 0


async def test_results_after_the_finale_bring_one_summary_per_following_chat(
    standin: JolpicaStandIn, tmp_path: Path
) -> None:
    db = new_db(tmp_path, "f1")
    await _season_but_the_finale(standin, db)
    clock = ManualClock(datetime(2024, 12, 8, 12, 0, tzinfo=UTC))
    settings = {"PITBOARD_JOLPICA_URL": standin.base_url}
    async with running_bot(db, clock=clock, providers=True, settings=settings) as env:
        for chat, driver in ((VERSTAPPEN_FAN, "Max Verstappen"), (NORRIS_FAN, "Lando Norris")):
            env.standin.user(chat, first_name="Fan", language_code="en")
            # First contact: the welcome and the answer; wait for both (under load the second trailed and
            # was counted as the summary).
            await env.say(chat, chat, f"/follow {driver}", expect=2)
        env.standin.user(NOBODY, first_name="Nobody", language_code="en")
        await env.say(NOBODY, NOBODY, "/start")
        counts = {c: len(env.standin.messages(c)) for c in (VERSTAPPEN_FAN, NORRIS_FAN, NOBODY)}
        sync = env.app.bot_data["f1_sync"]
        notifier = env.app.bot_data["notifier"]
        assert isinstance(sync, F1Sync) and isinstance(notifier, Notifier)

        async def tick(at: datetime) -> None:
            # What the job (f1_sync_job) does, at a time the test chooses.
            before = sync.status()
            task = asyncio.ensure_future(sync.tick(at))
            await drive(clock, task.done, step=0.5)
            task.result()
            await record_status(sync, before)
            await notifier.poll(at)

        await tick(datetime(2024, 12, 8, 15, 5, tzinfo=UTC))  # the race not over + 10 min yet
        await tick(datetime(2024, 12, 8, 15, 12, tzinfo=UTC))  # asked: nothing published
        waiting = {w.key: w for w in sync.status().waiting}
        assert waiting["race"].attempts == 1 and waiting["race"].next_try == datetime(2024, 12, 8, 15, 22, tzinfo=UTC)
        assert {c: len(env.standin.messages(c)) for c in counts} == counts
        standin.publish(2024, 24)
        await tick(datetime(2024, 12, 8, 15, 22, tzinfo=UTC))
        await tick(datetime(2024, 12, 8, 16, 30, tzinfo=UTC))  # nothing more to fetch, nothing more to send
        for chat, name in ((VERSTAPPEN_FAN, "Max Verstappen"), (NORRIS_FAN, "Lando Norris")):
            texts = [m["text"] or "" for m in env.standin.messages(chat)[counts[chat] :]]
            assert len(texts) == 1, texts
            assert "Abu Dhabi" in texts[0] and name in texts[0]
        assert len(env.standin.messages(NOBODY)) == counts[NOBODY]
        status = sync.status()
        assert status.waiting == [] and status.last_error is None and status.last_success is not None
        # The provider status the admin sees (pitboard status, /stats) has the sync's runs.
        (row,) = [r for r in await env.store.providers.all() if r.provider == PROVIDER_NAME]
        assert row.last_success_utc is not None and row.last_error is None and row.runs >= 2
        env.standin.user(ADMIN_ID, first_name="Admin", language_code="en")
        stats = await env.say(ADMIN_ID, ADMIN_ID, "/stats")
        assert PROVIDER_NAME in (stats[-1]["text"] or "")
        assert env.errors() == []


async def test_results_that_never_come_are_given_up_after_48_hours(standin: JolpicaStandIn, tmp_path: Path) -> None:
    db = new_db(tmp_path, "f1")
    await _season_but_the_finale(standin, db)
    clock = ManualClock(ABU_DHABI_RACE_END)
    async with await Store.open(db) as store:
        from bot.ingest.providers.f1_sync import make_client

        sync = F1Sync(store, make_client(standin.base_url, clock), clock=clock)
        try:
            before = len(standin.requests)
            at = ABU_DHABI_RACE_END
            while at < datetime(2024, 12, 11, tzinfo=UTC):
                task = asyncio.ensure_future(sync.poll_results(at))
                await drive(clock, task.done, step=0.5)
                at += timedelta(minutes=10)
            status = sync.status()
            assert sorted(w.key for w in status.given_up) == ["qualifying", "race"] and status.waiting == []
            asked = len(standin.requests) - before
            # Backoff up to every 2 h: about 25 asks per session in 48 h, not one every 10 minutes (288).
            assert asked <= 2 * 26, asked
        finally:
            await sync.client.http.close()


async def test_an_outage_is_logged_kept_in_the_status_and_never_raised(tmp_path: Path) -> None:
    db = new_db(tmp_path, "f1")
    await _rules(db)
    clock = JumpClock(datetime(2025, 3, 1, tzinfo=UTC))
    async with await Store.open(db) as store:
        from bot.ingest.providers.f1_sync import make_client

        sync = F1Sync(store, make_client("http://127.0.0.1:9/ergast/f1/", clock), clock=clock)
        try:
            await sync.tick(clock.now())
        finally:
            await sync.client.http.close()
    status = sync.status()
    assert status.last_error and "calendar 2025" in status.last_error and "127.0.0.1:9" in status.last_error
    assert status.next_run is not None and status.last_success is None


async def test_a_run_waiting_for_an_unreachable_jolpica_does_not_hold_up_the_stop(tmp_path: Path) -> None:
    """As found trying it as a new user: with no route to api.jolpi.ca, Ctrl-C waited 21 s for the job's
    retries, because python-telegram-bot waits for running jobs. The run now goes on beside the job."""
    db = new_db(tmp_path, "f1")
    await _rules(db)
    clock = ManualClock(datetime(2025, 3, 1, tzinfo=UTC))  # backoff sleeps on it: never over unless advanced
    async with await Store.open(db) as store:
        from bot.ingest.providers.f1_sync import make_client, run_once

        sync = F1Sync(store, make_client("http://127.0.0.1:9/ergast/f1/", clock), clock=clock)
        sync.running = asyncio.create_task(run_once(sync))
        for _ in range(100):  # the first attempt fails at once; the run then waits out its backoff
            if clock.sleepers():
                break
            await asyncio.sleep(0.01)
        assert not sync.running.done()
        await asyncio.wait_for(sync.stop(), timeout=5)
        assert sync.running.cancelled()


def test_settings_read_the_jolpica_url_and_the_switch() -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    plain = Settings.model_validate({})
    assert plain.jolpica_url == "https://api.jolpi.ca/ergast/f1/" and plain.sync_f1 is True
    mirror = Settings.model_validate(
        {"PITBOARD_JOLPICA_URL": " http://127.0.0.1:8765/ergast/f1", "PITBOARD_SYNC_F1": "0"}
    )
    assert mirror.jolpica_url == "http://127.0.0.1:8765/ergast/f1/" and mirror.sync_f1 is False
    with pytest.raises(ValidationError, match="http"):
        Settings.model_validate({"PITBOARD_JOLPICA_URL": "api.jolpi.ca"})


def test_a_postgresql_store_keeps_its_http_cache_in_the_cache_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beside a SQLite file as before; for a database URL one folder per server and database in the user's
    cache folder, never a folder named after the URL (nor its password) in the working folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert cache_beside(str(tmp_path / "p.db"), "jolpica").folder == tmp_path / "p.db.http-cache" / "jolpica"
    cache = cache_beside("postgresql://pit:hunter2@db.internal:5433/pitboard", "jolpica")
    assert cache.folder == tmp_path / "cache" / "pitboard" / "http-cache" / "db.internal-5433-pitboard" / "jolpica"

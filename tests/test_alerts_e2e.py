"""Alerts end to end: the real bot over HTTP, imports by another process, the notifier's clock set by the test."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_application
from bot.core.clock import ManualClock
from bot.delivery import FloodGate
from bot.ingest.importers import load_paths
from bot.jobs.notifier import Notifier
from bot.settings import Settings
from bot.standin import BotApiStandIn
from storage.store import Store
from tests.botenv import NO_LIMITS, TOKEN, BotEnv, running_bot
from tests.conftest import GTWC, IMSA, ROOT, SERIES
from tests.databases import new_db

VIENNA, NEW_YORK, HAMBURG = 6001, 6002, 6003
# The evening of the Barcelona race (1 Oct 2023): its results are news then, not years later.
BARCELONA_EVENING = datetime(2023, 10, 1, 19, 0, tzinfo=UTC)


def notifier(env: BotEnv) -> Notifier:
    found = env.app.bot_data["notifier"]
    assert isinstance(found, Notifier)
    return found


async def _follow_bachler(env: BotEnv, chat: int, language: str, zone: str) -> None:
    env.standin.user(chat, first_name="Fan", language_code=language)
    await env.say(chat, chat, "/follow Klaus Bachler")
    await env.say(chat, chat, f"/timezone {zone}")


async def _season_before_barcelona(db: Path) -> None:
    async with await Store.open(db) as store:
        rounds = [p for p in sorted(GTWC.iterdir()) if p.is_dir() and p.name not in ("Barcelona", "Zandvoort")]
        await store.apply(load_paths([SERIES / "gtwc-europe-2023.json", *rounds], season=2023))


@pytest.fixture
async def gtwc_before_barcelona(tmp_path: Path) -> AsyncIterator[BotEnv]:
    db = new_db(tmp_path, "store")
    await _season_before_barcelona(db)
    # The polls say "now" in 2023: the delivery's clock stands before every session they remind of (a reminder
    # is relevant until its session starts).
    async with running_bot(db, clock=ManualClock(datetime(2023, 6, 1, tzinfo=UTC))) as env:
        yield env
        assert env.errors() == []


async def test_barcelona_results_from_another_process_send_one_summary_in_german(
    gtwc_before_barcelona: BotEnv, tmp_path: Path
) -> None:
    env = gtwc_before_barcelona
    await _follow_bachler(env, HAMBURG, "de", "Europe/Berlin")
    before = len(env.standin.messages(HAMBURG))
    db = env.store.path
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import", str(GTWC / "Barcelona"), "--season", "2023"],
        env={"PITBOARD_DATABASE": db, "PATH": "/usr/bin:/bin"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    await notifier(env).poll(BARCELONA_EVENING)  # what the 30-second job does
    messages = env.standin.messages(HAMBURG)[before:]
    assert len(messages) == 1, [m["text"] for m in messages]
    text = messages[0]["text"] or ""
    assert "Klaus Bachler — Teamtitel im Bronze Cup mit Pure Rxcing (Gesamtwertung)" in text
    assert "Klassen-Pole, nicht gewertet nach 19 Runden" in text
    assert "Titel im Bronze Cup entschieden (Gesamtwertung): Alex Malykhin · Teams: Pure Rxcing" in text
    assert "Bronze Cup: #188 Garage 59" in text
    await notifier(env).poll(BARCELONA_EVENING)
    assert len(env.standin.messages(HAMBURG)[before:]) == 1  # exactly once


async def test_results_imported_the_moment_the_bot_is_up_are_still_news(tmp_path: Path) -> None:
    """The feed's starting point is taken while the bot starts, not by its start job a moment later: an
    import landing in between used to count as history, and its race summaries were never sent."""
    db = new_db(tmp_path, "store")
    await _season_before_barcelona(db)
    standin = BotApiStandIn(token=TOKEN)
    await standin.start()
    store = await Store.open(db)
    settings = Settings.model_validate(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": standin.base_url, "PITBOARD_DATABASE": str(db)}
    )
    app = build_application(settings, store=store, gate=FloodGate(NO_LIMITS))
    try:
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)  # the bot is up; its start job has not run yet
        bachler = next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Klaus Bachler")
        await store.chats.add_many([(HAMBURG, "private", "de")], [(HAMBURG, "driver", bachler)])
        standin.user(HAMBURG, first_name="Fan", language_code="de")
        standin.private_chat(HAMBURG)
        await store.apply(load_paths([GTWC / "Barcelona"], season=2023))
        await app.bot_data["notifier"].start(BARCELONA_EVENING)  # what the start job then does
        texts = [m["text"] or "" for m in standin.messages(HAMBURG)]
        assert len(texts) == 1 and "nicht gewertet nach 19 Runden" in texts[0], texts
    finally:
        await app.shutdown()
        await store.close()
        await standin.stop()


@pytest.fixture
async def imsa_season(tmp_path: Path) -> AsyncIterator[BotEnv]:
    db = new_db(tmp_path, "store")
    async with await Store.open(db) as store:
        await store.apply(load_paths([SERIES / "imsa-2023.json", IMSA]))
    # The polls say "now" in 2023: the delivery's clock stands before every session they remind of (a reminder
    # is relevant until its session starts).
    async with running_bot(db, clock=ManualClock(datetime(2023, 6, 1, tzinfo=UTC))) as env:
        yield env
        assert env.errors() == []


async def test_petit_le_mans_one_hour_reminder_in_each_chats_time_zone(imsa_season: BotEnv) -> None:
    env = imsa_season
    await _follow_bachler(env, VIENNA, "en", "Europe/Vienna")
    await _follow_bachler(env, NEW_YORK, "en", "America/New_York")
    counts = {chat: len(env.standin.messages(chat)) for chat in (VIENNA, NEW_YORK)}
    await notifier(env).poll(datetime(2023, 10, 13, 15, 40, tzinfo=UTC))  # the 24-hour one
    await notifier(env).poll(datetime(2023, 10, 14, 14, 39, 59, tzinfo=UTC))  # nothing due
    after_24h = {chat: len(env.standin.messages(chat)) for chat in counts}
    assert after_24h == {chat: n + 1 for chat, n in counts.items()}
    await notifier(env).poll(datetime(2023, 10, 14, 14, 40, tzinfo=UTC))  # the 1-hour one, due 14:40 UTC
    vienna = env.standin.messages(VIENNA)[-1]["text"] or ""
    new_york = env.standin.messages(NEW_YORK)[-1]["text"] or ""
    assert "starts in 1 h: Sat 14 Oct 17:40 CEST" in vienna
    assert "starts in 1 h: Sat 14 Oct 11:40 EDT" in new_york
    for text in (vienna, new_york):
        assert "#9 Pfaff Motorsports, Porsche 911 GT3 R (992), GTDPRO" in text
        assert "Patrick Pilet, Kevin Estre" in text


async def test_reminders_survive_restarts_and_downtime(imsa_season: BotEnv) -> None:
    env = imsa_season
    await _follow_bachler(env, VIENNA, "en", "Europe/Vienna")
    start = len(env.standin.messages(VIENNA))
    # Down from before the 24-hour reminder until 30 minutes before the start: the 1-hour one still goes
    # out (saying 30 minutes); the 24-hour one is no news any more and is recorded as skipped.
    await notifier(env).poll(datetime(2023, 10, 14, 15, 10, tzinfo=UTC))
    assert len(env.standin.messages(VIENNA)) == start + 1
    assert "starts in 30 min" in (env.standin.messages(VIENNA)[-1]["text"] or "")
    restarted = Notifier(env.store, notifier(env).delivery)  # a new process, the same store
    await restarted.start(datetime(2023, 10, 14, 15, 20, tzinfo=UTC))
    assert len(env.standin.messages(VIENNA)) == start + 1
    # Watkins Glen: the bot comes back only after the start: recorded as skipped, nothing sent.
    await restarted.poll(datetime(2023, 6, 25, 14, 50, tzinfo=UTC))
    assert len(env.standin.messages(VIENNA)) == start + 1
    assert await env.store.outbox.due(limit=10) == []
    stats = await env.store.chats.stats()
    assert stats["outbox_skipped"] == 3 and stats["outbox_dead"] == 0  # Petit's 24 h; the Glen's 24 h and 1 h


def _barcelona_copy(tmp_path: Path, swap: bool) -> Path:
    """Barcelona's race file as a provisional copy; `swap` exchanges the two best Bronze Cup cars (a penalty)."""
    folder = tmp_path / ("swap" if swap else "plain") / "2023" / "Barcelona" / "Races"
    folder.mkdir(parents=True)
    lines = (GTWC / "Barcelona" / "Races" / "Main_Race.csv").read_text(encoding="utf-8").splitlines()
    if swap:
        bronze = [i for i, line in enumerate(lines) if ",Bronze Cup," in line and line[0].isdigit()][:2]
        first, second = (lines[i].split(",", 1) for i in bronze)
        lines[bronze[0]], lines[bronze[1]] = f"{first[0]},{second[1]}", f"{second[0]},{first[1]}"
    (folder / "Main_Race_provisional.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder.parent


async def test_provisional_results_then_a_correction_never_a_second_summary(
    gtwc_before_barcelona: BotEnv, tmp_path: Path
) -> None:
    env = gtwc_before_barcelona
    await _follow_bachler(env, VIENNA, "en", "Europe/Vienna")
    start = len(env.standin.messages(VIENNA))
    for swap in (False, True, True):
        await env.store.apply(
            load_paths([_barcelona_copy(tmp_path / str(len(env.standin.messages(VIENNA))), swap)], season=2023)
        )
        await notifier(env).poll(BARCELONA_EVENING)
    texts = [m["text"] or "" for m in env.standin.messages(VIENNA)[start:]]
    assert len(texts) == 2, texts
    assert "(provisional)" in texts[0] and "Not classified after 19 laps" in texts[0]  # no qualifying in the copy
    assert texts[1].startswith("✏️ Corrected result, Barcelona") and "Klaus Bachler" in texts[1]


async def test_spoiler_safe_chat_gets_a_button_then_the_summary(gtwc_before_barcelona: BotEnv) -> None:
    env = gtwc_before_barcelona
    await _follow_bachler(env, VIENNA, "en", "Europe/Vienna")
    chat = await env.store.chats.get(VIENNA)
    assert chat is not None
    await env.store.chats.set_settings(VIENNA, {**chat.settings, "spoiler_safe": True})
    start = len(env.standin.messages(VIENNA))
    await env.store.apply(load_paths([GTWC / "Barcelona"], season=2023))
    await notifier(env).poll(BARCELONA_EVENING)
    teaser = env.standin.messages(VIENNA)[start]
    assert "is in" in (teaser["text"] or "") and "Bachler" not in (teaser["text"] or "")
    shown = await env.press(VIENNA, VIENNA, teaser, "Show the result")
    assert "not classified after 19 laps" in (shown[0]["text"] or "")


async def test_moved_session_gets_a_notice_and_its_reminders_follow(imsa_season: BotEnv, tmp_path: Path) -> None:
    env = imsa_season
    await _follow_bachler(env, VIENNA, "en", "Europe/Vienna")
    start = len(env.standin.messages(VIENNA))
    doc = json.loads((SERIES / "imsa-2023.json").read_text(encoding="utf-8"))
    event = next(e for e in doc["seasons"][0]["events"] if e["key"] == "petit-le-mans")
    race = next(s for s in event["sessions"] if s["key"] == "race")
    race["start"] = "2023-10-14T16:40:00Z"  # an hour later
    moved = tmp_path / "imsa-moved.json"
    moved.write_text(json.dumps(doc), encoding="utf-8")
    await env.store.apply(load_paths([moved]))
    await notifier(env).poll(datetime(2023, 10, 10, 12, 0, tzinfo=UTC))
    notice = env.standin.messages(VIENNA)[start]["text"] or ""
    assert "Moved: now Sat 14 Oct 18:40 CEST (was Sat 14 Oct 17:40 CEST)" in notice
    chat = await env.store.chats.get(VIENNA)
    assert chat is not None
    await env.store.chats.set_settings(VIENNA, {**chat.settings, "reminder_minutes": [60]})
    await notifier(env).poll(datetime(2023, 10, 14, 14, 40, tzinfo=UTC))  # the old 1-hour time: nothing
    assert len(env.standin.messages(VIENNA)) == start + 1
    await notifier(env).poll(datetime(2023, 10, 14, 14, 40, tzinfo=UTC) + timedelta(hours=1))
    assert "starts in 1 h: Sat 14 Oct 18:40 CEST" in (env.standin.messages(VIENNA)[-1]["text"] or "")


async def test_time_tbc_gets_reminders_once_known_and_a_cancelled_race_gets_a_notice_not_reminders(
    imsa_season: BotEnv, tmp_path: Path
) -> None:
    env = imsa_season
    env.standin.user(VIENNA, first_name="Fan", language_code="en")
    await env.say(VIENNA, VIENNA, "/follow series imsa")
    await env.say(VIENNA, VIENNA, "/timezone Europe/Vienna")
    chat = await env.store.chats.get(VIENNA)
    assert chat is not None
    await env.store.chats.set_settings(VIENNA, {**chat.settings, "reminder_minutes": [60]})
    start = len(env.standin.messages(VIENNA))
    # Detroit is in the calendar with a date and no time: nothing to remind of yet.
    await notifier(env).poll(datetime(2023, 6, 3, 12, 0, tzinfo=UTC))
    assert len(env.standin.messages(VIENNA)) == start

    doc = json.loads((SERIES / "imsa-2023.json").read_text(encoding="utf-8"))
    events = {e["key"]: e for e in doc["seasons"][0]["events"]}
    events["detroit"]["sessions"][0]["start"] = "2023-06-03T17:40:00Z"  # the time is published
    petit = next(s for s in events["petit-le-mans"]["sessions"] if s["key"] == "race")
    petit["status"] = "cancelled"
    updated = tmp_path / "imsa-updated.json"
    updated.write_text(json.dumps(doc), encoding="utf-8")
    await env.store.apply(load_paths([updated]))

    await notifier(env).poll(datetime(2023, 6, 1, 12, 0, tzinfo=UTC))
    texts = [m["text"] or "" for m in env.standin.messages(VIENNA)[start:]]
    assert len(texts) == 2, texts  # one notice each; Petit Le Mans's lies ahead, so it is news too
    assert any("Detroit" in t and "Start time confirmed: Sat 3 Jun 19:40 CEST" in t for t in texts), texts
    assert any("Petit Le Mans" in t and "Cancelled." in t for t in texts), texts

    await notifier(env).poll(datetime(2023, 6, 3, 16, 40, tzinfo=UTC))  # Detroit's 1-hour reminder
    assert "starts in 1 h: Sat 3 Jun 19:40 CEST" in (env.standin.messages(VIENNA)[-1]["text"] or "")
    count = len(env.standin.messages(VIENNA))
    await notifier(env).poll(datetime(2023, 10, 14, 14, 40, tzinfo=UTC))  # the cancelled race's: nothing
    await notifier(env).poll(datetime(2023, 10, 14, 14, 40, tzinfo=UTC))
    assert len(env.standin.messages(VIENNA)) == count

"""Issue 8, imports: each finding replayed as it was found (3: a back-fill alerts every follower; 4: a cut-off
file silently deletes results; 8: input without bounds; 9: /importfoo runs /import), on the real data files,
the real CLI in its own process and the real bot over HTTP against the stand-in.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build_application
from bot.delivery import FloodGate
from bot.ingest.importers import load_paths
from bot.jobs.notifier import Notifier
from bot.settings import Settings
from bot.standin import BotApiStandIn
from storage.store import Store
from tests.botenv import ADMIN_ID, NO_LIMITS, TOKEN, BotEnv, buttons, running_bot
from tests.conftest import GTWC, IMSA, SERIES, run_cli
from tests.databases import fingerprint, new_db, query

MONZA_RACE = GTWC / "Monza" / "Races" / "Main_Race.csv"
FOLLOWER_BASE = 7_100_000
# Petit Le Mans 2023 ended 2023-10-15T01:40Z (the IMSA calendar); an hour later its results are news.
PETIT_END = datetime(2023, 10, 15, 1, 40, tzinfo=UTC)


DATA_TABLES = ("seasons", "events", "sessions", "entries", "entry_drivers", "results", "drivers", "teams", "imports")


def data_fingerprint(db: str) -> str:
    """The race data and the imports log (a running bot writes its own chats and state beside them)."""
    return fingerprint(db, DATA_TABLES)


def summaries_queued(db: Path) -> int:
    rows = query(
        db,
        "SELECT count(*) FROM outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.kind IN ('summary', 'correction')",
    )
    return int(rows[0][0])  # type: ignore[call-overload]


def notifier(env: BotEnv) -> Notifier:
    found = env.app.bot_data["notifier"]
    assert isinstance(found, Notifier)
    return found


async def _imsa_history(db: Path, folders: list[Path], followers: int) -> None:
    """The IMSA calendar and some rounds stored before the bot runs; `followers` chats follow Ben Barnicoat."""
    async with await Store.open(db) as store:
        await store.apply(load_paths([SERIES / "imsa-2023.json", *folders]))
        driver = next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Ben Barnicoat")
        chats = [(FOLLOWER_BASE + i, "private", "en") for i in range(followers)]
        await store.chats.add_many(chats, [(c, "driver", driver) for c, _, _ in chats])


# --- finding 3: alerts are news, not history ----------------------------------------------------------


async def test_backfill_of_a_past_season_queues_no_summaries(tmp_path: Path) -> None:
    """As found: a back-fill of IMSA 2023 with 150 followers of one driver queued 1,638 summaries."""
    db = new_db(tmp_path, "store")
    history = [IMSA / "01-roar-before-the-24", IMSA / "02-daytona-international-speedway"]
    await _imsa_history(db, history, followers=150)
    async with running_bot(db) as env:
        result = run_cli("import", str(IMSA), db=db)
        assert result.returncode == 0, result.stderr
        await notifier(env).poll(datetime.now(UTC))  # what the 30-second job does
        assert summaries_queued(db) == 0
        assert env.errors() == []
    backfilled = len([p for p in IMSA.glob("*/*race-results.csv") if p.parent not in history])
    assert f"Results for {backfilled} past races stored without alerts." in result.stdout, result.stdout


@asynccontextmanager
async def bot_at_rest(db: Path) -> AsyncIterator[tuple[BotApiStandIn, Notifier]]:
    """The real Application wired up (store, delivery over HTTP to the stand-in, notifier, feed opened) with
    its jobs not started: only the test's polls "at T" read the feed, never the wall-clock poll job."""
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
        await app.post_init(app)
        found = app.bot_data["notifier"]
        assert isinstance(found, Notifier)
        yield standin, found
    finally:
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        await store.close()
        await standin.stop()


async def test_a_fresh_race_still_alerts_every_follower(tmp_path: Path) -> None:
    """The same season up to Petit Le Mans; its results, an hour after the race ended, are news."""
    db = new_db(tmp_path, "store")
    petit = IMSA / "21-road-atlanta"
    await _imsa_history(db, [p for p in sorted(IMSA.iterdir()) if p.is_dir() and p != petit], followers=20)
    async with bot_at_rest(db) as (standin, alerts):
        for i in range(20):
            standin.private_chat(standin.user(FOLLOWER_BASE + i, first_name="Fan"))
        await alerts.store.apply(load_paths([petit], season=2023))
        assert await alerts.poll(PETIT_END + timedelta(hours=1)) == 20
        assert summaries_queued(db) == 20
        assert len({m["chat_id"] for m in standin.messages()}) == 20


async def test_quiet_import_of_a_fresh_race_alerts_nobody(tmp_path: Path) -> None:
    """`pitboard import --quiet`: stored, standings updated, nobody alerted, and the summary says so."""
    db = new_db(tmp_path, "store")
    petit = IMSA / "21-road-atlanta"
    await _imsa_history(db, [p for p in sorted(IMSA.iterdir()) if p.is_dir() and p != petit], followers=20)
    async with bot_at_rest(db) as (_, alerts):
        result = run_cli("import", str(petit), "--season", "2023", "--quiet", db=db)
        assert result.returncode == 0, result.stderr
        assert "Results for 1 past race stored without alerts." in result.stdout, result.stdout
        assert await alerts.poll(PETIT_END + timedelta(hours=1)) == 0
        assert summaries_queued(db) == 0
    stored = query(
        db,
        "SELECT count(*) FROM results r JOIN sessions s ON s.id = r.session_id JOIN events e ON e.id = s.event_id"
        " WHERE e.key = 'petit-le-mans' AND s.key = 'race'",
    )
    assert int(stored[0][0]) > 0  # type: ignore[call-overload]


# --- finding 4: one refusal rule for versions that remove much of what is stored -------------------------


def _monza_cut(tmp_path: Path, lines: int = 6) -> Path:
    """`head -6 Monza/Races/Main_Race.csv`: the header and five cars, cut at a line boundary."""
    folder = tmp_path / "cut" / "2023" / "Monza" / "Races"
    folder.mkdir(parents=True)
    text = MONZA_RACE.read_text(encoding="utf-8")
    path = folder / MONZA_RACE.name
    path.write_text("".join(text.splitlines(keepends=True)[:lines]), encoding="utf-8")
    return path


def _monza_race_rows(db: Path) -> int:
    rows = query(
        db,
        "SELECT count(*) FROM results r JOIN sessions s ON s.id = r.session_id JOIN events e ON e.id = s.event_id"
        " WHERE e.key = 'monza' AND s.key = 'race'",
    )
    return int(rows[0][0])  # type: ignore[call-overload]


@pytest.fixture
def monza_db(tmp_path: Path) -> Path:
    db = new_db(tmp_path, "monza")
    run_cli("import", str(GTWC / "Monza"), "--season", "2023", db=db, check=True)
    assert _monza_race_rows(db) == 55
    return db


def test_truncated_file_is_refused_naming_what_would_vanish(monza_db: Path, tmp_path: Path) -> None:
    """As found: `head -6 Main_Race.csv` imported as "50 results corrected", the race from 55 rows to 5."""
    cut = _monza_cut(tmp_path)
    before = data_fingerprint(monza_db)
    result = run_cli("import", str(cut), db=monza_db)
    assert result.returncode == 1, result.stdout
    assert "nothing was changed" in result.stderr
    assert "Monza Race: 50 of 55 results would be removed" in result.stderr, result.stderr
    assert "--allow-removals" in result.stderr
    assert data_fingerprint(monza_db) == before


def test_allow_removals_applies_the_cut_file(monza_db: Path, tmp_path: Path) -> None:
    result = run_cli("import", str(_monza_cut(tmp_path)), "--allow-removals", db=monza_db)
    assert result.returncode == 0, result.stderr
    assert _monza_race_rows(monza_db) == 5


def test_a_single_car_dropped_is_an_ordinary_correction(monza_db: Path, tmp_path: Path) -> None:
    """Below the thresholds (storage/removals.py): one car fewer is applied without asking."""
    result = run_cli("import", str(_monza_cut(tmp_path, lines=55)), db=monza_db)
    assert result.returncode == 0, result.stderr
    assert _monza_race_rows(monza_db) == 54


def test_classified_cars_losing_their_classification_are_refused(monza_db: Path, tmp_path: Path) -> None:
    """Every row kept but the positions gone (a broken export): 'classified cars' would vanish."""
    lines = MONZA_RACE.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = [lines[0], *(re.sub(r"^\d+,", "NC,", line, count=1) for line in lines[1:])]
    path = _monza_cut(tmp_path)
    path.write_text("".join(broken), encoding="utf-8")
    before = data_fingerprint(monza_db)
    result = run_cli("import", str(path), db=monza_db)
    assert result.returncode == 1
    assert re.search(r"Monza Race: \d+ of \d+ classified cars would lose their classification", result.stderr)
    assert data_fingerprint(monza_db) == before


def test_a_calendar_cancelling_most_of_a_season_is_refused(tmp_path: Path) -> None:
    db = new_db(tmp_path, "cal")
    calendar = SERIES / "imsa-2023.json"
    run_cli("import", str(calendar), db=db, check=True)
    doc = json.loads(calendar.read_text(encoding="utf-8"))
    for event in doc["seasons"][0]["events"]:
        for session in event["sessions"]:
            session["status"] = "cancelled"
    changed = tmp_path / "imsa-2023.json"
    changed.write_text(json.dumps(doc), encoding="utf-8")
    before = data_fingerprint(db)
    result = run_cli("import", str(changed), db=db)
    assert result.returncode == 1
    assert re.search(r"IMSA[^:]* 2023: \d+ of \d+ sessions would be cancelled", result.stderr), result.stderr
    assert data_fingerprint(db) == before


async def test_upload_of_a_truncated_file_asks_before_removing(monza_db: Path, tmp_path: Path) -> None:
    """As found, through the admin upload: refused with buttons; Cancel keeps the store; Import anyway applies."""
    content = _monza_cut(tmp_path).read_bytes()
    before = data_fingerprint(monza_db)
    async with running_bot(monza_db) as env:
        env.standin.private_chat(ADMIN_ID)
        caption = "/import season=2023 event=Monza"
        [asked] = await env.upload(ADMIN_ID, ADMIN_ID, "Main_Race.csv", content, caption)
        assert "Monza Race: 50 of 55 results would be removed" in asked["text"], asked["text"]
        assert [label for label, _ in buttons(asked)] == ["Import anyway", "Cancel"]
        assert data_fingerprint(monza_db) == before
        [cancelled] = await env.press(ADMIN_ID, ADMIN_ID, asked, "Cancel")
        assert "nothing was changed" in cancelled["text"]
        assert data_fingerprint(monza_db) == before

        [asked] = await env.upload(ADMIN_ID, ADMIN_ID, "Main_Race.csv", content, caption)
        done = await env.press(ADMIN_ID, ADMIN_ID, asked, "Import anyway", expect=2)
        assert any("50 results corrected" in (m["text"] or "") for m in done), [m["text"] for m in done]
        assert _monza_race_rows(monza_db) == 5
        assert env.errors() == []


# --- finding 8: bounds on every input field -----------------------------------------------------------------


def _native(tmp_path: Path, name: str, edit: object) -> Path:
    doc = json.loads((SERIES / "gtwc-europe-2023.json").read_text(encoding="utf-8"))
    event = doc["seasons"][0]["events"][0]
    event["entries"] = [{"number": "911", "team": "Pure Rxcing", "drivers": ["Klaus Bachler"]}]
    event["sessions"][0]["results"] = [{"number": "911", "points": 25}]
    assert callable(edit)
    edit(doc, event)
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _rejected(db: Path, path: Path, *expected: str) -> str:
    before = data_fingerprint(db)
    result = run_cli("import", str(path), db=db)
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "nothing was changed" in result.stderr and path.name in result.stderr, result.stderr
    for word in expected:
        assert word in result.stderr, result.stderr
    assert data_fingerprint(db) == before
    return result.stderr


def test_years_range_is_bounded(monza_db: Path, tmp_path: Path) -> None:
    """As found: `"years": [1, 200000]` created 200,000 seasons."""
    doc = json.loads((SERIES / "f1.json").read_text(encoding="utf-8"))
    doc["seasons"] = [doc["seasons"][0] | {"years": [1, 200000]}]
    path = tmp_path / "f1.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    _rejected(monza_db, path, "seasons.0.years", "1900")


def test_a_100kb_driver_name_is_refused(monza_db: Path, tmp_path: Path) -> None:
    """As found: a 100 KB name was stored (team names in CSV: test_csv_field_bounds_name_file_and_line)."""
    path = _native(tmp_path, "name.json", lambda doc, ev: ev["entries"][0].update(drivers=["K" * 100_000]))
    _rejected(monza_db, path, "seasons.0.events.0.entries.0.drivers.0", "100000 characters")


def test_a_nul_in_a_name_is_refused(monza_db: Path, tmp_path: Path) -> None:
    path = _native(tmp_path, "nul.json", lambda doc, ev: ev["entries"][0].update(team="Pure\x00Rxcing"))
    _rejected(monza_db, path, "entries.0.team", "U+0000")


@pytest.mark.parametrize("literal", ["Infinity", "NaN", "-Infinity"])
def test_points_must_be_finite(monza_db: Path, tmp_path: Path, literal: str) -> None:
    """As found: `"points": Infinity` was stored as inf."""
    path = _native(tmp_path, "inf.json", lambda doc, ev: None)
    path.write_text(path.read_text(encoding="utf-8").replace('"points": 25', f'"points": {literal}'))
    _rejected(monza_db, path, "results.0.points", "finite")


def test_an_integer_above_2_63_is_an_import_error(monza_db: Path, tmp_path: Path) -> None:
    """As found: a traceback (OverflowError from SQLite) instead of the import error."""
    path = _native(tmp_path, "big.json", lambda doc, ev: ev["sessions"][0]["results"][0].update(laps=2**64))
    _rejected(monza_db, path, "results.0.laps", "out of range")


def test_deeply_nested_json_is_an_import_error(monza_db: Path, tmp_path: Path) -> None:
    """As found: a RecursionError traceback."""
    path = tmp_path / "deep.json"
    path.write_text('{"format": "pitboard/1", "series": ' + "[" * 100_000 + "]" * 100_000 + "}", encoding="utf-8")
    _rejected(monza_db, path, "nested deeper")


def test_a_number_of_thousands_of_digits_is_an_import_error(monza_db: Path, tmp_path: Path) -> None:
    path = _native(tmp_path, "digits.json", lambda doc, ev: None)
    path.write_text(path.read_text(encoding="utf-8").replace('"points": 25', '"points": ' + "9" * 5000))
    _rejected(monza_db, path, "too long")


def test_csv_field_bounds_name_file_and_line(monza_db: Path, tmp_path: Path) -> None:
    lines = MONZA_RACE.read_text(encoding="utf-8").splitlines()
    path = _monza_cut(tmp_path)
    long_team = [*lines[:3], lines[3].replace("Rowe Racing", "R" * 100_000, 1), *lines[4:]]
    if long_team[3] == lines[3]:
        fields = lines[3].split(",")
        long_team[3] = ",".join([*fields[:-4], "R" * 100_000, *fields[-3:]])
    path.write_text("\n".join(long_team) + "\n", encoding="utf-8")
    _rejected(monza_db, path, f"{path.name}:4:", "at most 500")
    path.write_text("\n".join([*lines[:5], lines[5].replace(",", ",Te\x01am", 1), *lines[6:]]) + "\n")
    _rejected(monza_db, path, f"{path.name}:6:", "U+0001")


async def test_upload_of_a_malformed_file_is_a_clean_import_error(monza_db: Path, tmp_path: Path) -> None:
    """As found: deep nesting or an integer above 2^63 uploaded gave "Sorry, something went wrong"."""
    deep = '{"format": "pitboard/1", "series": ' + "[" * 100_000 + "]" * 100_000 + "}"
    big = _native(tmp_path, "big.json", lambda doc, ev: ev["sessions"][0]["results"][0].update(laps=2**64))
    async with running_bot(monza_db) as env:
        env.standin.private_chat(ADMIN_ID)
        for name, content in (("deep.json", deep.encode()), ("big.json", big.read_bytes())):
            [answer] = await env.upload(ADMIN_ID, ADMIN_ID, name, content, "/import")
            assert answer["text"].startswith("Import failed, nothing was changed:"), answer["text"]
            assert name in answer["text"] and "pitboard-upload" not in answer["text"]
        assert env.errors() == []


# --- finding 8 and 9: the upload's caption and file name; /importfoo ------------------------------------------


async def test_caption_options_are_validated_and_the_file_stays_in_its_folder(
    monza_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As found: `/import season=.. event=..` wrote the upload outside its temporary folder."""
    uploads = tmp_path / "a" / "b" / "uploads"
    uploads.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(uploads))
    content = MONZA_RACE.read_bytes()
    before = data_fingerprint(monza_db)
    async with running_bot(monza_db) as env:
        env.standin.private_chat(ADMIN_ID)
        for caption, expected in (
            ("/import season=.. event=..", "season= must be a year"),
            ("/import season=2023 event=..", "event= must be a name"),
            ("/import season=99999999999999999999", "season= must be a year"),
            ("/import series=../../etc season=2023", "series= must be a series"),
            ("/import sesaon=2023", "I don't understand"),
            ("/import season=2023 season=2024", "I don't understand"),
        ):
            [answer] = await env.upload(ADMIN_ID, ADMIN_ID, "Main_Race.csv", content, caption)
            assert expected in answer["text"], (caption, answer["text"])
        for name in ("../../Main_Race.csv", "/tmp/Main_Race.csv", "..", "Main\x00Race.csv", "..\\..\\x.csv"):
            [answer] = await env.upload(ADMIN_ID, ADMIN_ID, name, content, "/import season=2023 event=Monza")
            assert "Sorry" not in answer["text"], (name, answer["text"])
        assert env.errors() == []
    assert data_fingerprint(monza_db) == before  # the same Monza race again changes nothing
    assert [p for p in (tmp_path / "a").rglob("*") if p.is_file()] == []


async def test_importfoo_is_not_import(monza_db: Path, tmp_path: Path) -> None:
    """As found: a file with the caption `/importfoo` was imported like `/import`."""
    one_car_fewer = _monza_cut(tmp_path, lines=55).read_bytes()  # an ordinary correction under /import
    before = data_fingerprint(monza_db)
    async with running_bot(monza_db) as env:
        env.standin.private_chat(ADMIN_ID)
        for caption in ("/importfoo", "/import_all season=2023", "/import@other_bot"):
            env.standin.send_document(ADMIN_ID, ADMIN_ID, "Main_Race.csv", one_car_fewer, caption=caption)
        # An upload the bot answers, sent after the others; then time for any of them to have been handled.
        caption = "/import@pitboard_bot season=2023 event=Monza"
        [answer] = await env.upload(ADMIN_ID, ADMIN_ID, "Main_Race.csv", MONZA_RACE.read_bytes(), caption)
        assert "Nothing changed" in answer["text"], answer["text"]
        await env.quiet(1.0)
        texts = [m["text"] or "" for m in env.standin.messages(ADMIN_ID)]
        assert len(texts) == 1, texts
        assert env.errors() == []
    assert data_fingerprint(monza_db) == before


async def test_upload_answers_in_the_chats_language(monza_db: Path, tmp_path: Path) -> None:
    content = _monza_cut(tmp_path).read_bytes()
    async with running_bot(monza_db) as env:
        env.standin.private_chat(env.standin.user(ADMIN_ID, first_name="Admin", language_code="de"))
        [answer] = await env.upload(ADMIN_ID, ADMIN_ID, "Main_Race.csv", content, "/import season=20x3")
        assert "season= muss ein Jahr sein" in answer["text"], answer["text"]
        [asked] = await env.upload(ADMIN_ID, ADMIN_ID, "Main_Race.csv", content, "/import season=2023 event=Monza")
        assert "Monza Race: 50 von 55 Ergebnissen würden entfernt" in asked["text"], asked["text"]
        assert [label for label, _ in buttons(asked)] == ["Trotzdem importieren", "Abbrechen"]
        assert env.errors() == []

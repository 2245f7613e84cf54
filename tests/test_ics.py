"""ICS calendars in and out: the real NASCAR 2026 feed in five versions (../shared/data/calendars, from
thefotes/motorsport-ics), small hand-made files for the sloppiness other published feeds show, real SQLite,
and the bot against the Bot API stand-in for /ics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from bot.core.clock import ManualClock
from bot.ingest.importers import load_paths
from bot.ingest.importers.ics import parse
from bot.ingest.importers.table import ImportFailure
from bot.jobs.notifier import Notifier
from storage.removals import RemovalRefused
from storage.store import Store
from tests.botenv import future_calendar, running_bot
from tests.conftest import SHARED, run_cli
from tests.databases import new_db

NASCAR = SHARED / "calendars" / "nascar-2026"
V1, V2, V3, V4, V5 = sorted(NASCAR.glob("*.ics"))
CUP = "(NASCAR Cup Series)"
FAN = 7001


def cup(path: Path) -> list:
    return load_paths([path], "nascar-cup", 2026, series_name="NASCAR Cup Series", filter_text=CUP)


def whole(path: Path) -> list:
    return load_paths([path], "nascar", 2026)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    async with await Store.open(new_db(tmp_path, "ics")) as opened:
        yield opened


async def test_every_version_imports_and_importing_it_again_changes_nothing(store: Store) -> None:
    first = await store.apply(cup(V1))
    assert first.sessions_added == 39 and first.events_added == 37
    for path in (V1, V2, V3, V4, V5):
        await store.apply(cup(path))  # the Cup Series is complete in every version, even the broken one
        again = await store.apply(cup(path))
        assert not again.changed and again.session_changes == [], path.name
    schedule = await store.schedule.schedule("nascar-cup", 2026)
    daytona = [s for s in schedule if s.event_key == "daytona-international-speedway"]
    # Thursday's Duels and Sunday's 500 are one weekend at one venue: one event.
    assert [s.name for s in daytona] == [
        "America 250 Florida Duel 1 at DAYTONA",
        "America 250 Florida Duel 2 at DAYTONA",
        "DAYTONA 500",
    ]
    assert {s.kind for s in schedule} == {"race"}


async def test_the_moved_race_is_one_change_and_uids_keep_renamed_races(store: Store) -> None:
    await store.apply(cup(V1))
    await store.apply(cup(V2))
    changes = await store.apply(cup(V3))
    moved = [c for c in changes.session_changes if c.what == "moved"]
    assert [(c.session_name, c.old_start_utc, c.new_start_utc) for c in moved] == [
        ("Toyota / Save Mart 350", "2026-07-28T19:30:00Z", "2026-06-28T19:30:00Z")
    ]
    # The real v3 also drops v2's "SIM TEST Lime Rock" and adds the Texas race (README counts 98 in both).
    assert sorted(c.what for c in changes.session_changes) == ["added", "cancelled", "moved"]


async def test_the_partial_feed_is_refused_unless_allowed_and_the_restored_feed_brings_all_back(
    store: Store,
) -> None:
    await store.apply(whole(V1))
    await store.apply(whole(V2))
    # All three series in one: at Sonoma the Cup race moves a month away from the Xfinity race, so the
    # weekends regroup; matching by UID keeps it one session and one "moved".
    changes = await store.apply(whole(V3))
    moved = [c.session_name for c in changes.session_changes if c.what == "moved"]
    assert moved == ["Toyota / Save Mart 350 (NASCAR Cup Series)"]
    assert (await store.counts())["events"] == 44
    with pytest.raises(RemovalRefused, match=r"58 of 98 sessions would be cancelled.*--allow-removals"):
        await store.apply(whole(V4))
    assert not (await store.apply(whole(V3))).changed  # nothing was written
    allowed = await store.apply(whole(V4), allow_removals=True)
    assert sum(c.what == "cancelled" for c in allowed.session_changes) == 58
    restored = await store.apply(whole(V5))
    assert not [c for c in restored.session_changes if c.what == "cancelled"]
    # Back for the followers who were told "cancelled": 57 as added, and the Truck race at Charlotte, which
    # the restored feed also moves, as moved (beside the Cracker Barrel 400, back at its old time).
    assert sum(c.what == "added" for c in restored.session_changes) == 57
    assert sorted(c.session_name for c in restored.session_changes if c.what == "moved") == [
        "Cracker Barrel 400 (NASCAR Cup Series)",
        "North Carolina Education Lottery 200 (NASCAR Craftsman Truck Series)",
    ]
    schedule = await store.schedule.schedule("nascar", 2026)
    assert sum(s.status != "cancelled" for s in schedule) == 98


def test_the_partial_feed_is_refused_by_the_command_line(tmp_path: Path) -> None:
    db = new_db(tmp_path, "cli")
    run_cli("import", str(V3), "--series", "nascar", "--season", "2026", db=db, check=True)
    refused = run_cli("import", str(V4), "--series", "nascar", "--season", "2026", db=db)
    assert refused.returncode == 1
    assert "58 of 98 sessions would be cancelled" in refused.stderr and "--allow-removals" in refused.stderr
    allowed = run_cli("import", str(V4), "--series", "nascar", "--season", "2026", "--allow-removals", db=db)
    assert allowed.returncode == 0, allowed.stderr


async def test_moved_race_sends_one_notice_and_its_reminders_move(tmp_path: Path) -> None:
    db = new_db(tmp_path, "bot")
    async with await Store.open(db) as setup:
        await setup.apply(cup(V1))
        await setup.apply(cup(V2))
    async with running_bot(db, clock=ManualClock(datetime(2026, 5, 18, tzinfo=UTC))) as env:
        env.standin.user(FAN, first_name="Fan", language_code="en")
        await env.say(FAN, FAN, "/follow series nascar-cup")
        await env.say(FAN, FAN, "/timezone America/Los_Angeles")
        chat = await env.store.chats.get(FAN)
        assert chat is not None
        await env.store.chats.set_settings(FAN, {**chat.settings, "reminder_minutes": [60]})
        notifier = env.app.bot_data["notifier"]
        assert isinstance(notifier, Notifier)
        await notifier.poll(datetime(2026, 5, 18, 12, 0, tzinfo=UTC))
        start = len(env.standin.messages(FAN))
        await env.store.apply(cup(V3))
        await notifier.poll(datetime(2026, 5, 18, 12, 5, tzinfo=UTC))
        new = [m["text"] or "" for m in env.standin.messages(FAN)[start:]]
        moved = [t for t in new if "Save Mart" in t]
        assert len(moved) == 1 and "Moved" in moved[0], new
        await env.store.apply(cup(V3))  # the same version again: no second notice
        await notifier.poll(datetime(2026, 5, 18, 12, 10, tzinfo=UTC))
        count = len(env.standin.messages(FAN))
        assert sum("Save Mart" in (m["text"] or "") for m in env.standin.messages(FAN)) == 1
        await notifier.poll(datetime(2026, 6, 28, 18, 30, tzinfo=UTC))  # an hour before the new start
        reminder = env.standin.messages(FAN)[-1]["text"] or ""
        assert len(env.standin.messages(FAN)) > count and "starts in 1 h" in reminder and "Save Mart" in reminder
        assert env.errors() == []


def _ics(tmp_path: Path, name: str, body: str, head: str = "") -> Path:
    path = tmp_path / name
    path.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + head + body + "END:VCALENDAR\r\n",
        encoding="utf-8",
    )
    return path


def _event(uid: str, summary: str, start: str, extra: str = "") -> str:
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{summary}\r\n{start}\r\n{extra}END:VEVENT\r\n"


BURIRAM_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:UTC+07:00\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\n"
    "TZOFFSETFROM:+0700\r\nTZOFFSETTO:+0700\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)
# Exported from Outlook-style tools: a STANDARD block with no DTSTART (mandatory in RFC 5545).
BROKEN_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Arabian\r\nBEGIN:STANDARD\r\nTZOFFSETTO:+0300\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)


async def _sessions(store: Store, series: str) -> dict[str, tuple[str | None, str | None, str | None, str]]:
    return {
        f"{s.event_key}/{s.key}": (s.start_utc, s.start_date, s.name, s.kind)
        for s in await store.schedule.schedule(series, 2026)
    }


async def test_sloppy_published_feeds(store: Store, tmp_path: Path) -> None:
    # A MotoGP-style feed from a calendar tool: custom TZIDs (one unquoted with a colon, one without any
    # VTIMEZONE), a VTIMEZONE missing DTSTART, an all-day "time TBC" race, a missing DTEND.
    body = (
        _event(
            "a1",
            "Thai Grand Prix - FP1",
            "DTSTART;TZID=UTC+07:00:20260227T104500",
            "LOCATION:Chang International Circuit\\, Buriram\r\n",
        )
        + _event(
            "a2",
            "Thai Grand Prix - Qualifying",
            "DTSTART;TZID=UTC+0700:20260228T105000",
            "LOCATION:Chang International Circuit\r\n",
        )
        + _event(
            "a3",
            "Thai Grand Prix - Sprint",
            "DTSTART;TZID=Arabian:20260228T120000",
            "LOCATION:Chang International Circuit\r\n",
        )
        + _event(
            "a4", "Thai Grand Prix - Race", "DTSTART;VALUE=DATE:20260301", "LOCATION:Chang International Circuit\r\n"
        )
        # A rally-style feed of floating times and German session names.
        + _event("b1", "Freies Training 1 (Rallye Deutschland)", "DTSTART:20260820T090000")
        + _event("b2", "Rennen (Rallye Deutschland)", "DTSTART:20260823T140000")
    )
    path = _ics(tmp_path, "sloppy.ics", body, BURIRAM_ZONE + BROKEN_ZONE)
    changes = await store.apply(load_paths([path], "mixed", 2026))
    sessions = await _sessions(store, "mixed")
    assert sessions["chang-international-circuit/fp1"][:1] == ("2026-02-27T03:45:00Z",)
    assert sessions["chang-international-circuit/qualifying"][0] == "2026-02-28T03:50:00Z"
    assert sessions["chang-international-circuit/sprint"][0] == "2026-02-28T09:00:00Z"  # the broken block's +03:00
    assert sessions["chang-international-circuit/race"][:2] == (None, "2026-03-01")  # time TBC on its day
    assert sessions["rallye-deutschland/fp1"][:2] == (None, "2026-08-20")  # floating, no zone known: TBC
    assert sessions["rallye-deutschland/race"][3] == "race"
    assert any("time TBC" in n for n in changes.notes)
    # The same feed with a calendar zone: floating times are read in it.
    zoned = _ics(tmp_path, "zoned.ics", body, "X-WR-TIMEZONE:Europe/Berlin\r\n" + BURIRAM_ZONE + BROKEN_ZONE)
    await store.apply(load_paths([zoned], "zoned", 2026))
    assert (await _sessions(store, "zoned"))["rallye-deutschland/fp1"][0] == "2026-08-20T07:00:00Z"


async def test_regenerated_uids_and_respelled_zones_change_nothing(store: Store, tmp_path: Path) -> None:
    # Feeds regenerated by a script (new UIDs every run) that also spell the zone differently each time.
    def version(n: int, zone: str) -> Path:
        body = "".join(
            _event(f"run{n}-{i}@gen", f"Austrian Grand Prix - {name}", f"DTSTART;TZID={zone}:2026062{day}T{hour}0000")
            for i, (name, day, hour) in enumerate((("Practice 1", 6, 13), ("Qualifying", 7, 16), ("Race", 8, 15)))
        )
        return _ics(tmp_path, f"v{n}.ics", body)

    await store.apply(load_paths([version(1, "Europe/Vienna")], "f1x", 2026))
    respelled = (
        (2, "W. Europe Standard Time"),  # Outlook
        (3, '"/Europe/Vienna"'),
        (4, "Europe/Berlin"),
        (5, "/mozilla.org/20050126_1/Europe/Vienna"),  # old Mozilla clients
    )
    for n, zone in respelled:
        again = await store.apply(load_paths([version(n, zone)], "f1x", 2026))
        assert not again.changed and again.session_changes == [], zone
    sessions = await _sessions(store, "f1x")
    assert sessions["austrian-grand-prix/race"][0] == "2026-06-28T13:00:00Z"
    assert set(sessions) == {"austrian-grand-prix/fp1", "austrian-grand-prix/qualifying", "austrian-grand-prix/race"}


async def test_filter_keeps_one_series_and_empty_or_wrong_input_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ImportFailure, match=r"no event matches --filter 'Indy'.*\(NASCAR Cup Series\)"):
        load_paths([V1], "indy", 2026, filter_text="Indy")
    xfinity = load_paths([V1], "nascar-xfinity", 2026, filter_text="(NASCAR Xfinity Series)")
    assert sum(len(e.sessions) for e in xfinity[0].seasons[0].events) == 33
    empty = _ics(tmp_path, "empty.ics", "")
    with pytest.raises(ImportFailure, match=r"empty\.ics: the calendar holds no events"):
        load_paths([empty], "x", 2026)
    html = tmp_path / "error.ics"
    html.write_text("<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", encoding="utf-8")
    with pytest.raises(ImportFailure, match=r"error\.ics: an HTML page"):
        load_paths([html], "x", 2026)
    with pytest.raises(ImportFailure, match="give --series"):
        load_paths([V1], None, 2026)


def test_export_parses_has_utc_instants_and_alarms_and_reimports_unchanged(tmp_path: Path) -> None:
    db = new_db(tmp_path, "export")
    args = ("--series", "nascar-cup", "--season", "2026", "--series-name", "NASCAR Cup Series", "--filter", CUP)
    run_cli("import", str(V3), *args, db=db, check=True)
    out = tmp_path / "cup.ics"
    run_cli("export-ics", "--series", "nascar-cup", "--season", "2026", "--output", str(out), db=db, check=True)
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 40
    sonoma = next(e for e in events if "Save Mart" in str(e["SUMMARY"]))
    assert sonoma.decoded("DTSTART") == datetime(2026, 6, 28, 19, 30, tzinfo=UTC)
    assert sorted(a.decoded("TRIGGER") for a in sonoma.walk("VALARM")) == [timedelta(days=-1), timedelta(hours=-1)]
    assert len({str(e["UID"]) for e in events}) == 40
    again = run_cli("import", str(out), "--series", "nascar-cup", "--season", "2026", db=db, check=True)
    assert "Nothing changed" in again.stdout
    german = run_cli("export-ics", "--series", "nascar-cup", "--language", "de", "--reminders", "30", db=db, check=True)
    assert "– Rennen" in german.stdout and "TRIGGER:-PT30M" in german.stdout


async def test_ics_command_sends_a_document_of_the_followed_series(tmp_path: Path) -> None:
    db = new_db(tmp_path, "bot")
    async with await Store.open(db) as setup:
        await setup.apply(cup(V3))
    async with running_bot(db) as env:
        env.standin.user(FAN, first_name="Fan", language_code="de")
        await env.say(FAN, FAN, "/follow series nascar-cup")
        sent = await env.say(FAN, FAN, "/ics")
        document = sent[-1]["document"]
        assert "Kalenderdatei" in (sent[-1]["caption"] or "")
        assert document["file_name"] == "pitboard.ics"
        calendar = icalendar.Calendar.from_ical(env.standin.file_content(document["file_id"]))
        titles = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
        assert titles and all("Rennen" in t for t in titles)
        assert env.errors() == []


async def test_next_has_a_calendar_button_with_the_chats_reminders(tmp_path: Path) -> None:
    db = new_db(tmp_path, "next")
    async with await Store.open(db) as setup:
        await setup.apply(load_paths([future_calendar(tmp_path / "future.json")]))
    async with running_bot(db) as env:
        env.standin.user(FAN, first_name="Fan", language_code="en")
        await env.say(FAN, FAN, "/follow series test-gt")
        chat = await env.store.chats.get(FAN)
        assert chat is not None
        await env.store.chats.set_settings(FAN, {**chat.settings, "reminder_minutes": [120, 30]})
        listing = (await env.say(FAN, FAN, "/next"))[-1]
        sent = await env.press(FAN, FAN, listing, ".ics")
        calendar = icalendar.Calendar.from_ical(env.standin.file_content(sent[-1]["document"]["file_id"]))
        timed = next(e for e in calendar.walk("VEVENT") if isinstance(e.decoded("DTSTART"), datetime))
        triggers = sorted(-a.decoded("TRIGGER") for a in timed.walk("VALARM"))
        assert triggers == [timedelta(minutes=30), timedelta(minutes=120)]
        assert env.errors() == []


def test_summary_shapes_of_published_feeds() -> None:
    # Shapes seen in published F1 and MotoGP calendars: the official F1 feed ("FORMULA 1 ... 2026 - Practice 1"),
    # fan-made ones ("F1: Sprint Qualifying (Dutch Grand Prix)"), German ones ("Großer Preis ... – Rennen").
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{i}\r\nSUMMARY:{summary}\r\nDTSTART:2026082{day}T120000Z\r\nEND:VEVENT\r\n"
        for i, (summary, day) in enumerate(
            (
                ("FORMULA 1 HEINEKEN DUTCH GRAND PRIX 2026 - Practice 1", 1),
                ("FORMULA 1 HEINEKEN DUTCH GRAND PRIX 2026 - Sprint Qualifying", 1),
                ("FORMULA 1 HEINEKEN DUTCH GRAND PRIX 2026 - Sprint", 2),
                ("FORMULA 1 HEINEKEN DUTCH GRAND PRIX 2026 - Qualifying", 2),
                ("FORMULA 1 HEINEKEN DUTCH GRAND PRIX 2026 - Race", 3),
                ("Großer Preis von Österreich – Freies Training 2", 7),
                ("Großer Preis von Österreich – Rennen", 9),
            )
        )
    )
    batch = parse(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n".encode(), "shapes.ics", "f1", 2026)
    found = {(e.name, s.key, s.kind) for e in batch.seasons[0].events for s in e.sessions}
    dutch = "FORMULA 1 HEINEKEN DUTCH GRAND PRIX 2026"
    assert found == {
        (dutch, "fp1", "practice"),
        (dutch, "sprint-qualifying", "qualifying"),
        (dutch, "sprint", "sprint"),
        (dutch, "qualifying", "qualifying"),
        (dutch, "race", "race"),
        ("Großer Preis von Österreich", "fp2", "practice"),
        ("Großer Preis von Österreich", "race", "race"),
    }

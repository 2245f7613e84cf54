"""Issue 8, findings 11 and 12, replayed as found: reminders for a new follow (or a new lead time) leave at
their due time, not at the next poll; reminders and schedule notices are planned set-based, so the statements
per poll do not grow with the number of chats.

Time: the bot runs on a ManualClock; "at T" is where the test moved it. The wake-up at a reminder's due time
sleeps on that clock, so nothing here waits for real time to pass.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import render
from bot.alerts.planner import recipients
from bot.alerts.reminder import reminder
from bot.core.clock import ManualClock
from bot.i18n import Translator
from bot.ingest.importers import load_paths
from bot.jobs.notifier import Notifier
from storage.sqlite import SqliteDatabase
from storage.store import Store
from tests.botenv import BotEnv, running_bot
from tests.conftest import IMSA, SERIES
from tests.databases import ON_POSTGRES, new_db

FAN = 7101
PETIT = datetime(2023, 10, 14, 15, 40, tzinfo=UTC)  # Petit Le Mans 2023, the race
HOUR_DUE = PETIT - timedelta(hours=1)
DAY_DUE = PETIT - timedelta(hours=24)


@pytest.fixture
async def imsa_db(tmp_path: Path) -> Path:
    db = new_db(tmp_path, "store")
    async with await Store.open(db) as store:
        await store.apply(load_paths([SERIES / "imsa-2023.json", IMSA]))
    return db


def notifier(env: BotEnv) -> Notifier:
    found = env.app.bot_data["notifier"]
    assert isinstance(found, Notifier)
    return found


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str, timeout: float = 10.0) -> None:
    """Wait for something the bot does over real I/O (HTTP, the database); fails after `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        done = check()
        if not isinstance(done, bool):
            done = await done
        if done:
            return
        assert loop.time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.01)


def texts(env: BotEnv, chat: int) -> list[str]:
    return [m["text"] or "" for m in env.standin.messages(chat)]


async def _bachler(store: Store) -> int:
    return next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Klaus Bachler")


async def test_finding_11_follow_20_s_before_the_1_hour_reminder_gets_it_at_its_due_time(imsa_db: Path) -> None:
    """As found: a chat follows the series 20 s before Petit Le Mans's 1-hour reminder falls due; it came
    up to a poll interval late, because wake-ups were planned per chat by the poll, and this chat had none."""
    clock = ManualClock(HOUR_DUE - timedelta(seconds=60))
    async with running_bot(imsa_db, clock=clock) as env:
        await notifier(env).poll(clock.now())  # the last poll before the follow: nobody follows IMSA yet
        await clock.advance(40)  # at T − 20 s
        env.standin.user(FAN, first_name="Fan", language_code="en")
        assert await env.say(FAN, FAN, "/follow series imsa")
        before = len(texts(env, FAN))
        await clock.advance(19.5)  # at T − 0.5 s: not yet
        assert len(texts(env, FAN)) == before
        await clock.advance(0.5)  # at T
        await eventually(lambda: len(texts(env, FAN)) > before, "the 1-hour reminder")
        reminder_text = texts(env, FAN)[before]
        assert "Petit Le Mans" in reminder_text and "starts in 1 h: Sat 14 Oct 15:40 UTC" in reminder_text
        assert env.errors() == []


async def test_finding_11_follow_after_the_24_hour_reminder_fell_due_gets_it_with_the_follow(imsa_db: Path) -> None:
    """The 24-hour reminder was planned for everyone at its due time; a chat following 20 s later gets it
    with its follow, not at the next poll (and, planned once, not never)."""
    clock = ManualClock(DAY_DUE - timedelta(seconds=60))
    async with running_bot(imsa_db, clock=clock) as env:
        await notifier(env).poll(clock.now())
        await clock.advance(60)  # at T: the wake-up plans the 24-hour reminder for its audience (nobody yet)
        await notifier(env).poll(clock.now())
        await clock.advance(20)
        env.standin.user(FAN, first_name="Fan", language_code="en")
        got = await env.say(FAN, FAN, "/follow Klaus Bachler", expect=2)
        assert len(got) == 2, [m["text"] for m in got]
        assert "starts in 24 h" in (got[1]["text"] or "") and "Klaus Bachler" in (got[1]["text"] or "")
        assert env.errors() == []


async def test_finding_11_a_new_lead_time_is_reminded_at_its_due_time(imsa_db: Path) -> None:
    """A chat switches on the 15-minute reminder (a lead time no chat used) 60 s before it falls due: it
    leaves at its due time. Before, only chats already planned had wake-ups."""
    quarter_due = PETIT - timedelta(minutes=15)
    clock = ManualClock(quarter_due - timedelta(seconds=60))
    async with await Store.open(imsa_db) as store:
        await store.chats.add_many([(FAN, "private", "en")], [(FAN, "driver", await _bachler(store))])
    async with running_bot(imsa_db, clock=clock) as env:
        env.standin.user(FAN, first_name="Fan", language_code="en")
        env.standin.private_chat(FAN)
        await notifier(env).poll(clock.now())  # the 1-hour reminder, late ("16 min"); the 24-hour one skipped
        await eventually(lambda: len(texts(env, FAN)) == 1, "the late 1-hour reminder")
        shown = await env.press(FAN, FAN, (await env.say(FAN, FAN, "/settings"))[0], "Reminders")
        assert await env.press(FAN, FAN, shown[0], "15 min")
        await eventually(lambda: quarter_due in notifier(env).wakeups.planned(), "a wake-up at the new lead time")
        before = len(texts(env, FAN))
        await clock.advance(59.5)
        assert len(texts(env, FAN)) == before
        await clock.advance(0.5)
        await eventually(lambda: len(texts(env, FAN)) > before, "the 15-minute reminder")
        assert "starts in 15 min" in texts(env, FAN)[before]
        assert env.errors() == []


async def test_an_unfollow_leaves_a_harmless_wake_up(imsa_db: Path) -> None:
    clock = ManualClock(HOUR_DUE - timedelta(seconds=60))
    async with await Store.open(imsa_db) as store:
        await store.chats.add_many([(FAN, "private", "en")], [(FAN, "driver", await _bachler(store))])
        await store.chats.set_many([(FAN, "UTC", {"reminder_minutes": [60]})])
    async with running_bot(imsa_db, clock=clock) as env:
        await notifier(env).poll(clock.now())
        env.standin.user(FAN, first_name="Fan", language_code="en")
        assert await env.say(FAN, FAN, "/unfollow Klaus Bachler")
        before = len(texts(env, FAN))
        await clock.advance(60)  # at T: the wake-up runs the poll; the chat is no longer in the audience
        race = await _race(env.store)

        async def planned() -> bool:
            pairs = await env.store.reminders.pairs("2023-10-14T00:00:00Z", "2023-10-15T00:00:00Z", [60])
            return any(p.session_id == race.session_id and p.planned for p in pairs)

        await eventually(planned, "the 1-hour reminder planned at its due time")
        alert_id = await env.store.outbox.alert("reminder", f"reminder:{race.session_id}:{race.start_utc}:60", None)
        assert FAN not in await env.store.outbox.rows_for_alert(alert_id)
        assert len(texts(env, FAN)) == before
        assert env.errors() == []


async def test_a_planned_reminder_leaves_at_its_due_time_across_a_restart(imsa_db: Path) -> None:
    """Kept from before: the bot restarts 30 s before the 1-hour reminder; the new process plans the
    wake-up at its start, and the reminder leaves at its due time, once."""
    async with await Store.open(imsa_db) as store:
        await store.chats.add_many([(FAN, "private", "en")], [(FAN, "driver", await _bachler(store))])
        await store.chats.set_many([(FAN, "UTC", {"reminder_minutes": [60]})])
    first = ManualClock(HOUR_DUE - timedelta(seconds=60))
    async with running_bot(imsa_db, clock=first) as env:
        await notifier(env).poll(first.now())
        assert HOUR_DUE in notifier(env).wakeups.planned()
    clock = ManualClock(HOUR_DUE - timedelta(seconds=30))
    async with running_bot(imsa_db, clock=clock) as env:
        env.standin.user(FAN, first_name="Fan", language_code="en")
        env.standin.private_chat(FAN)
        await eventually(lambda: HOUR_DUE in notifier(env).wakeups.planned(), "the start job's wake-up")
        await clock.advance(29.5)
        assert texts(env, FAN) == []
        await clock.advance(0.5)
        await eventually(lambda: len(texts(env, FAN)) == 1, "the 1-hour reminder")
        assert "starts in 1 h" in texts(env, FAN)[0]
        await notifier(env).poll(clock.now())
        assert len(texts(env, FAN)) == 1
        assert env.errors() == []


async def _race(store: Store) -> Any:
    return next(
        s for s in await store.schedule.schedule("imsa", 2023) if s.event_key == "petit-le-mans" and s.key == "race"
    )


# --- finding 12 --------------------------------------------------------------------------------------------

VARIANTS: tuple[dict[str, Any], ...] = (
    {},
    {"reminder_minutes": [1440, 180, 60]},
    {"reminder_minutes": [60, 15]},
    {"alert_race": False},
    {"reminder_minutes": [1440], "alert_qualifying": True, "alert_schedule": False},
)
ZONES = ("UTC", "Europe/Vienna", "America/New_York")


async def _fans(store: Store, count: int) -> dict[int, tuple[str, str, dict[str, Any]]]:
    """`count` chats: series followers, followers of one or two Petit Le Mans entrants, and followers of a
    driver not entered there; languages, zones and settings mixed. chat → (language, zone, settings)."""
    race = await store.schedule.session_ref((await _race(store)).session_id)
    assert race is not None
    entrants = sorted({d for line in await store.results.event_entries(race.event_id) for d in line.crew_ids})
    others = sorted({n.driver_id for n in await store.drivers.driver_names()} - set(entrants))[:50]
    imsa = next(s.id for s in await store.series.all() if s.slug == "imsa")
    chats: dict[int, tuple[str, str, dict[str, Any]]] = {}
    follows: list[tuple[int, str, int]] = []
    for i in range(count):
        chat = 20_000 + i
        chats[chat] = ("de" if i % 2 else "en", ZONES[i % 3], VARIANTS[(i // 4) % len(VARIANTS)])
        if i % 4 == 0:
            follows.append((chat, "series", imsa))
        elif i % 4 == 1:
            follows.append((chat, "driver", entrants[i % len(entrants)]))
        elif i % 4 == 2:
            follows += [
                (chat, "driver", entrants[i % len(entrants)]),
                (chat, "driver", entrants[(i * 7) % len(entrants)]),
            ]
        else:
            follows.append((chat, "driver", others[i % len(others)]))
    await store.chats.add_many([(c, "private", lang) for c, (lang, _, _) in chats.items()], follows)
    await store.chats.set_many([(c, zone, settings) for c, (_, zone, settings) in chats.items()])
    return chats


def count_statements(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the store's connection is asked to run (an executemany of 20,000 rows is one)."""
    seen: list[str] = []
    if ON_POSTGRES:
        # Every statement goes through these, on the pool or on a transaction's connection.
        from storage.postgres import _Statements

        for name in ("fetch", "fetch_tuples", "fetchrow", "fetchval", "execute", "executemany"):
            method = getattr(_Statements, name)

            async def counted_pg(self: Any, sql: str, *args: Any, _method: Any = method) -> Any:
                seen.append(sql)
                return await _method(self, sql, *args)

            monkeypatch.setattr(_Statements, name, counted_pg)
        return seen
    assert isinstance(store.db, SqliteDatabase)
    conn = store.db.conn
    for name in ("execute", "executemany"):
        original = getattr(conn, name)

        def counted(sql: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            seen.append(sql)
            return _original(sql, *args, **kwargs)

        monkeypatch.setattr(conn, name, counted)
    return seen


async def _expected_reminders(
    store: Store, chats: dict[int, tuple[str, str, dict[str, Any]]], session_id: int, now: datetime
) -> dict[int, tuple[str, str]]:
    """chat → (state, text) for the session's 24-hour reminder, decided chat by chat as the old loop did."""
    session = await store.schedule.session_ref(session_id)
    assert session is not None and session.start_utc is not None
    start = datetime.fromisoformat(session.start_utc.replace("Z", "+00:00"))
    minutes_left = max(1, round((start - now).total_seconds() / 60))
    out: dict[int, tuple[str, str]] = {}
    for chat, drivers in (await recipients(store, session_id)).items():
        language, zone, settings = chats[chat]
        wants = (
            settings.get("alert_qualifying", False)
            if session.kind == "qualifying"
            else settings.get("alert_race", True)
        )
        if not wants or 1440 not in settings.get("reminder_minutes", [1440, 60]):
            continue
        content = await reminder(store, session_id, drivers, minutes_left)
        assert content is not None
        out[chat] = ("pending", render.reminder(Translator(language), content, zone))
    return out


@pytest.mark.parametrize("count", [100, 1000])
async def test_finding_12_reminders_and_notices_set_based(
    imsa_db: Path, tmp_path: Path, count: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many chats with mixed settings: exactly the right rows, each rendered in the chat's language and
    time zone, and the statements per poll the same for 100 and for 1,000 chats (before: several per chat)."""
    async with await Store.open(imsa_db) as store:
        chats = await _fans(store, count)
        race = await _race(store)
        quali = next(
            s
            for s in await store.schedule.schedule("imsa", 2023)
            if s.event_key == "petit-le-mans" and s.kind == "qualifying"
        )
        # Planning queues rows; nothing is sent here, so the notifier needs no delivery.
        # Its clock stays a day early: no wake-up runs a poll of its own while the test plans by hand.
        notifier = Notifier(store, None, clock=ManualClock(DAY_DUE - timedelta(days=1)))  # type: ignore[arg-type]
        await notifier.plan_reminders(DAY_DUE - timedelta(minutes=1))  # the qualifying's 24-hour one (due a day ago)
        statements = count_statements(store, monkeypatch)

        await notifier.plan_reminders(DAY_DUE - timedelta(seconds=30))  # nothing due
        idle = len(statements)
        queued = await notifier.plan_reminders(DAY_DUE)  # the race's 24-hour reminders
        due = len(statements) - idle
        for session in (race, quali):
            key = f"reminder:{session.session_id}:{session.start_utc}:1440"
            expected = await _expected_reminders(store, chats, session.session_id, DAY_DUE)
            assert await store.reminders.planned_rows(await store.outbox.alert("reminder", key, None)) == expected
            assert expected
        assert queued == len(await _expected_reminders(store, chats, race.session_id, DAY_DUE))
        # Shared texts are stored once per alert (a head per language and zone, a car per driver and language),
        # not once per chat; planning again, as after an import, adds neither texts nor rows.
        stored = await _table_sizes(store)
        assert stored["outbox_parts"] < stored["outbox"] / 2 or count == 100, stored
        assert await notifier.plan_reminders(DAY_DUE, again=True) == 0
        assert await _table_sizes(store) == stored

        # The race moved an hour later: a notice to every follower who wants schedule notices.
        doc = json.loads((SERIES / "imsa-2023.json").read_text(encoding="utf-8"))
        event = next(e for e in doc["seasons"][0]["events"] if e["key"] == "petit-le-mans")
        next(s for s in event["sessions"] if s["key"] == "race")["start"] = "2023-10-14T16:40:00Z"
        moved = tmp_path / "imsa-moved.json"
        moved.write_text(json.dumps(doc), encoding="utf-8")
        last = await store.feed.last_import_id()
        await store.apply(load_paths([moved]))
        (feed_import,) = await store.feed.imports_since(last)
        changes = feed_import.session_changes
        change = next(c for c in changes if c["what"] == "moved")
        before = len(statements)
        notices = await notifier.handle(change, DAY_DUE)
        notice = len(statements) - before
        session = await store.schedule.session_ref(race.session_id)
        assert session is not None
        alert_id = await store.outbox.alert("schedule", f"schedule:{race.session_id}:moved:{session.start_utc}", None)
        expected = {}
        for chat in await recipients(store, race.session_id):
            language, zone, settings = chats[chat]
            if settings.get("alert_schedule", True):
                text = render.schedule_notice(Translator(language), session, "moved", change["old_start_utc"], zone)
                expected[chat] = ("pending", text)
        assert notices == len(expected) and await store.reminders.planned_rows(alert_id) == expected

    # The same for 100 and for 1,000 chats (recorded by the first run, compared by the second).
    figures = (idle, due, notice)
    assert idle <= 2 and due <= 40 and notice <= 12, figures
    _FIGURES[count] = figures
    if len(_FIGURES) == 2:
        assert _FIGURES[100] == _FIGURES[1000], _FIGURES


_FIGURES: dict[int, tuple[int, int, int]] = {}


async def _table_sizes(store: Store) -> dict[str, int]:
    out = {}
    for table in ("outbox", "outbox_parts"):
        out[table] = int(await store.db.fetchval(f"SELECT count(*) FROM {table}"))
    return out

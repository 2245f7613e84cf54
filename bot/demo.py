"""The offline demo: the local Bot API stand-in, the real bot, every series Pitboard ships data for (F1
1950–2023, IMSA 2023, GT World Challenge Europe 2023) and a console chat to talk to the bot.

The demo replays a past day: the bot runs on a clock set to the morning of GTWC Europe's Barcelona race
(1 October 2023), so every date it reads or shows is that season's. The rounds before it come with their
real results, the later ones lie ahead; the Barcelona results arrive when its race "ends"."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import sys
import tempfile
import time as wall
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.markup import escape as rich_escape
from telegram.ext import Application

from bot.app import build_application, polling
from bot.core.clock import SYSTEM, Clock
from bot.core.records import EventRec, ImportBatch, SessionRec
from bot.i18n import Translator
from bot.ingest.importers import load_paths
from bot.ingest.shipped import SERIES_DIR
from bot.jobs.notifier import Notifier
from bot.settings import Settings
from bot.standin import BotApiStandIn
from storage.store import Store

# The demo's data ships with the package (credited in its READMEs), so the demo runs from an installed wheel.
DEMO_DATA = Path(__file__).resolve().parent / "demodata"
TOKEN = "123456:DEMO-TOKEN"
USER_ID = 424242
SCRIPT = (
    "/start",
    "/follow bachler",
    "/follow verstappen",
    "/next",
    "/standings bronze",
    "/results",
    "/driver Klaus Bachler",
    "/settings",
    "/timezone Europe/Vienna",
    "/next",
)
NEXT_ROUND = "barcelona"  # the round the replay puts just ahead
# The data has no start times (shared/data/README.md): the demo starts the Barcelona race at 15:00 local.
RACE_START_LOCAL = time(15, 0)


class ReplayClock:
    """The wall clock set back to a moment of a past season: time runs at its normal pace (the reminder
    comes after the real seconds), and every date the bot reads or shows is the season's."""

    def __init__(self, at: datetime, wall_clock: Clock = SYSTEM) -> None:
        self._wall = wall_clock
        self._offset = at - wall_clock.now()

    def now(self) -> datetime:
        return self._wall.now() + self._offset

    def monotonic(self) -> float:
        return self._wall.monotonic()

    async def sleep(self, seconds: float) -> None:
        await self._wall.sleep(seconds)


@dataclass(slots=True)
class DemoData:
    sources: list[Path]  # what the store holds at the start: definitions, calendar, the results so far
    finale: Path  # the replayed round's real results, imported when its race "ends"
    race_start: datetime
    opens_at: datetime  # the replayed moment the demo starts at
    loaded: list[str]  # the series loaded, for the introduction


def replay_season(data: Path, workdir: Path, reminder_in: timedelta = timedelta(seconds=20)) -> DemoData:
    """The demo's day: GTWC Europe 2023 as published, its Barcelona race at RACE_START_LOCAL, and the clock
    an hour and `reminder_in` before it (the 1-hour reminder comes while you watch, then the real results
    and with them the summary). F1 and IMSA come along where `data` holds them (`f1-ergast/`, `imsa/2023/`)."""
    doc: dict[str, Any] = json.loads((SERIES_DIR / "gtwc-europe-2023.json").read_text("utf-8"))
    events = doc["seasons"][0]["events"]
    pivot = next(e for e in events if e["key"] == NEXT_ROUND)
    race = next(s for s in pivot["sessions"] if s["key"] == "race")
    local = datetime.combine(date.fromisoformat(race["date"]), RACE_START_LOCAL, ZoneInfo(pivot["timezone"]))
    race_start = local.astimezone(UTC)
    race["start"] = race_start.strftime("%Y-%m-%dT%H:%M:%SZ")
    calendar = workdir / "gtwc-europe-2023-replay.json"
    calendar.write_text(json.dumps(doc), encoding="utf-8")
    opens_at = race_start - timedelta(hours=1) - reminder_in
    past = {
        alias for e in events if date.fromisoformat(e["end_date"]) < opens_at.date() for alias in e.get("aliases", [])
    }
    rounds = data / "gtwc-europe" / "2023"
    folders = [p for p in sorted(rounds.iterdir()) if p.is_dir() and p.name in past]
    sources = [calendar, *folders]
    loaded = ["GT World Challenge Europe 2023"]
    if (data / "f1-ergast").is_dir():
        sources += [SERIES_DIR / "f1.json", data / "f1-ergast"]
        loaded.append(f"Formula 1 1950–{opens_at.year}")
    if (data / "imsa" / "2023").is_dir():
        sources += [SERIES_DIR / "imsa-2023.json", data / "imsa" / "2023"]
        loaded.append("IMSA WeatherTech SportsCar Championship 2023")
    return DemoData(sources, rounds / "Barcelona", race_start, opens_at, loaded)


def load_replay(data: DemoData) -> list[ImportBatch]:
    """The demo's sources as of its moment (the GTWC result tables do not say their season)."""
    batches: list[ImportBatch] = []
    for source in data.sources:
        season = 2023 if "gtwc-europe" in source.parts else None
        batches += load_paths([source], season=season)
    return as_of(batches, data.opens_at)


def as_of(batches: list[ImportBatch], moment: datetime) -> list[ImportBatch]:
    """The batches as they stood at `moment`: later seasons left out, and the results, entry lists and
    official standings of sessions not yet run taken off (their schedule stays). Changes `batches`."""
    kept: list[ImportBatch] = []
    for batch in batches:
        batch.seasons = [season for season in batch.seasons if season.year <= moment.year]
        for season in batch.seasons:
            ahead = {event.key for event in season.events if _clear_future(event, moment)}
            season.official_standings = [s for s in season.official_standings if s.event_key not in ahead]
        if batch.seasons:
            kept.append(batch)
    return kept


def _clear_future(event: EventRec, moment: datetime) -> bool:
    """Clears the results of `event`'s sessions after `moment`; True if none of its sessions has run."""
    if not event.sessions:
        return False
    ran = False
    for session in event.sessions:
        if _after(session, moment):
            session.results = None
            session.status = None
            session.results_status = None
        else:
            ran = True
    if not ran:
        event.entries = []
    return not ran


def _after(session: SessionRec, moment: datetime) -> bool:
    if session.start_utc:
        return datetime.fromisoformat(session.start_utc.replace("Z", "+00:00")) > moment
    day = session.start_date or (session.start_local or "")[:10]
    # A day without a time: on the day itself, the session is not known to have run yet.
    return bool(day) and date.fromisoformat(day) >= moment.date()


def to_console(text: str) -> str:
    """Telegram HTML → rich markup for the terminal."""
    out = rich_escape(html.unescape(re.sub(r"<[^>]+>", lambda m: "\0" + m.group(0) + "\0", text)))
    tags = {
        "<b>": "[bold]",
        "</b>": "[/bold]",
        "<i>": "[italic]",
        "</i>": "[/italic]",
        "<code>": "[cyan]",
        "</code>": "[/cyan]",
        "<pre>": "[cyan]",
        "</pre>": "[/cyan]",
    }
    parts = out.split("\0")
    return "".join(tags.get(part, "") if part.startswith("<") and part.endswith(">") else part for part in parts)


class ConsoleChat:
    def __init__(self, standin: BotApiStandIn, console: Console, t: Translator) -> None:
        self.standin = standin
        self.console = console
        self.t = t
        self.user = standin.user(USER_ID, first_name="Demo", language_code=t.language)
        self.chat = standin.private_chat(self.user)
        self.buttons: list[tuple[int, str, str]] = []  # (message id, label, callback data)
        self.seen: dict[int, str] = {}
        self.busy = asyncio.Lock()

    def _snapshot(self) -> dict[int, str]:
        return {
            m["message_id"]: json.dumps([m.get("text"), m.get("reply_markup")], sort_keys=True, default=str)
            for m in self.standin.messages(self.chat_id)
        }

    async def _replies(self, before: dict[int, str], quiet: float = 0.7, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Messages the bot sent or edited since `before`, once it has been quiet for a moment."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        calls, last_change = len(self.standin.calls), loop.time()
        while loop.time() < deadline:
            await asyncio.sleep(0.05)
            if len(self.standin.calls) != calls:
                calls, last_change = len(self.standin.calls), loop.time()
            elif self._snapshot() != before and loop.time() - last_change > quiet:
                break
        after = self._snapshot()
        return [m for m in self.standin.messages(self.chat_id) if before.get(m["message_id"]) != after[m["message_id"]]]

    @property
    def chat_id(self) -> int:
        return self.chat.id

    def show(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            self.console.print(to_console(message.get("text", "")))
            markup = message.get("reply_markup") or {}
            rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
            if rows:
                self.buttons = []
                labels = []
                for row in rows:
                    for button in row:
                        self.buttons.append((message["message_id"], button["text"], button.get("callback_data", "")))
                        labels.append(f"[{len(self.buttons)}] {rich_escape(button['text'])}")
                self.console.print("[dim]" + "   ".join(labels) + "[/dim]")
            self.console.print()

    async def watch(self) -> None:
        """Show what the bot sends on its own (reminders, summaries) as it arrives."""
        while True:
            await asyncio.sleep(0.3)
            async with self.busy:
                now = self._snapshot()
                if now != self.seen:
                    self.show(
                        [
                            m
                            for m in self.standin.messages(self.chat_id)
                            if self.seen.get(m["message_id"]) != now[m["message_id"]]
                        ]
                    )
                    self.seen = now

    async def wait_for_bot(self, timeout: float) -> None:
        """Until the bot says something on its own (the watcher prints it)."""
        start = len(self.standin.messages(self.chat_id))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.standin.messages(self.chat_id)) == start and loop.time() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(0.8)

    async def say(self, line: str) -> None:
        async with self.busy:
            await self._say(line)
            self.seen = self._snapshot()

    async def _say(self, line: str) -> None:
        line = line.strip()
        before = self._snapshot()
        if line.isdigit() and self.buttons and 1 <= int(line) <= len(self.buttons):
            message_id, label, data = self.buttons[int(line) - 1]
            self.console.print(
                f"[bold green]{self.t('you')}[/bold green] [dim]{self.t('pressed')}[/dim] {rich_escape(label)}"
            )
            self.standin.press_button(self.chat_id, USER_ID, message_id, data)
        else:
            self.console.print(f"[bold green]{self.t('you')}[/bold green] {rich_escape(line)}")
            self.standin.send_text(self.chat_id, USER_ID, line)
        self.show(await self._replies(before))


async def run_demo(project_root: Path, data_dir: Path, script: bool, language: str = "en") -> int:
    console = Console(highlight=False)
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        began = wall.perf_counter()
        data = replay_season(data_dir, workdir)
        clock = ReplayClock(data.opens_at)
        t = Translator(language)
        console.rule(t("Pitboard offline demo"))
        # Whatever fails on the way in (a missing data file) closes what is open: an open store's thread
        # would keep the process alive after the error.
        async with AsyncExitStack() as stack:
            store = await stack.enter_async_context(await Store.open(workdir / "demo.db", clock=clock))
            await store.apply(load_replay(data))
            standin = BotApiStandIn(token=TOKEN, bot_username="pitboard_bot")
            await standin.start()
            stack.push_async_callback(standin.stop)
            settings = Settings.model_validate(
                {
                    "TELEGRAM_BOT_TOKEN": TOKEN,
                    "TELEGRAM_API_URL": standin.base_url,
                    "PITBOARD_DATABASE": str(workdir / "demo.db"),
                    "PITBOARD_ADMINS": str(USER_ID),
                    "PITBOARD_ALERT_POLL_SECONDS": 5,
                }
            )
            app = build_application(settings, store=store, clock=clock)
            console.print(introduction(t, data, wall.perf_counter() - began))
            await _tour(app, store, standin, data, clock, console, script, t)
    return 0


def introduction(t: Translator, data: DemoData, took: float) -> str:
    """What the demo replays, in the demo chat's language (dates as the bot writes them)."""
    return t(
        "Replaying {day}, {time} UTC: the bot's clock stands there, so every date it shows is that season's."
        " Loaded in {seconds} s: {series}, with the results known that morning. The GT World Challenge Europe"
        " race at Barcelona starts at {start} UTC (the data has no start times: the demo sets it); its 1-hour"
        " reminder comes in about 20 seconds, its real results after it. Try /follow verstappen. No Telegram"
        " token needed: the bot talks to Pitboard's local Bot API stand-in.",
        day=t.date(data.opens_at),
        time=t.time(data.opens_at, "UTC"),
        seconds=t.points(round(took, 1)),
        series=", ".join(data.loaded),
        start=t.time(data.race_start, "UTC"),
    )


async def _tour(
    app: Application,  # type: ignore[type-arg]
    store: Store,
    standin: BotApiStandIn,
    data: DemoData,
    clock: Clock,
    console: Console,
    script: bool,
    t: Translator,
) -> None:
    async def finish_race() -> None:
        console.print(f"[bold]{rich_escape(t('The Barcelona race is over: its real results come in.'))}[/bold]\n")
        await store.apply(load_paths([data.finale], season=2023))
        notifier = app.bot_data.get("notifier")
        if isinstance(notifier, Notifier):
            await notifier.poll(clock.now())

    async with polling(app):
        chat = ConsoleChat(standin, console, t)
        watcher = asyncio.get_running_loop().create_task(chat.watch())
        if script:
            for scripted in SCRIPT:
                await chat.say(scripted)
            waiting = t("Waiting for the 1-hour reminder of the Barcelona race…")
            console.print(f"[bold]{rich_escape(waiting)}[/bold]\n")
            await chat.wait_for_bot(timeout=90)
            await finish_race()
            await chat.wait_for_bot(timeout=30)
        else:
            how = t(
                "Type commands (/help), a number to press a button, '!finish' to end the Barcelona race now, or"
                " 'quit'. The 1-hour reminder comes by itself."
            )
            console.print(f"[dim]{rich_escape(how)}[/dim]\n")
            while True:
                typed: str | None = await asyncio.to_thread(_read_line)
                if typed is None or typed.strip() in ("quit", "exit"):
                    break
                if typed.strip() == "!finish":
                    await finish_race()
                elif typed.strip():
                    await chat.say(typed)
        watcher.cancel()


def _read_line() -> str | None:
    try:
        return input("› " if sys.stdin.isatty() else "")
    except EOFError:
        return None

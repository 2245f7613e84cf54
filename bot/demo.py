"""The offline demo: the local Bot API stand-in, the real bot, the real GTWC Europe 2023 season
replayed so that its last rounds lie ahead, and a console chat to talk to the bot."""

from __future__ import annotations

import asyncio
import html
import json
import logging
import re
import sys
import tempfile
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape as rich_escape
from telegram.ext import Application

from bot.app import build_application, polling
from bot.ingest.importers import load_paths
from bot.ingest.shipped import SERIES_DIR
from bot.notifier import Notifier
from bot.settings import Settings
from bot.standin import BotApiStandIn
from storage.store import Store

# The demo's season ships with the package (credited in its README), so the demo runs from an installed wheel.
DEMO_DATA = Path(__file__).resolve().parent / "demodata"
TOKEN = "123456:DEMO-TOKEN"
USER_ID = 424242
SCRIPT = (
    "/start",
    "/follow bachler",
    "/next",
    "/standings bronze",
    "/results",
    "/driver Klaus Bachler",
    "/settings",
    "/timezone Europe/Vienna",
    "/next",
)
NEXT_ROUND = "barcelona"  # the round the replay puts just ahead of today


@dataclass(slots=True)
class DemoData:
    calendar: Path
    results: list[Path]
    finale: Path  # the replayed round's real results, imported when its race "ends"
    shift_days: int
    race_start: datetime


def replay_season(
    project_root: Path, shared: Path, workdir: Path, now: datetime, reminder_in: timedelta = timedelta(seconds=20)
) -> DemoData:
    """GTWC Europe 2023 moved so that its Barcelona race starts today, an hour and `reminder_in` from now:
    the 1-hour reminder comes while you watch, then the real results arrive and with them the summary.
    The rounds before Barcelona come with their real results; the dates keep their order, not weekdays."""
    doc: dict[str, Any] = json.loads((SERIES_DIR / "gtwc-europe-2023.json").read_text("utf-8"))
    events = doc["seasons"][0]["events"]
    pivot = next(e for e in events if e["key"] == NEXT_ROUND)
    shift = (now.date() - date.fromisoformat(pivot["end_date"])).days
    race_start = (now + timedelta(hours=1) + reminder_in).replace(microsecond=0)

    def moved(day: str | None) -> str | None:
        return (date.fromisoformat(day) + timedelta(days=shift)).isoformat() if day else None

    for event in events:
        event["start_date"], event["end_date"] = moved(event.get("start_date")), moved(event.get("end_date"))
        for session in event.get("sessions", []):
            if session.get("date"):
                session["date"] = moved(session["date"])
            if event is pivot and session["key"] == "race":
                session["start"] = race_start.strftime("%Y-%m-%dT%H:%M:%SZ")
    calendar = workdir / "gtwc-europe-replay.json"
    calendar.write_text(json.dumps(doc), encoding="utf-8")
    today = now.date()
    past = {alias for e in events if date.fromisoformat(e["end_date"]) < today for alias in e.get("aliases", [])}
    rounds = shared / "gtwc-europe" / "2023"
    folders = [p for p in sorted(rounds.iterdir()) if p.is_dir() and p.name in past]
    return DemoData(calendar, folders, rounds / "Barcelona", shift, race_start)


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
    def __init__(self, standin: BotApiStandIn, console: Console, language: str) -> None:
        self.standin = standin
        self.console = console
        self.user = standin.user(USER_ID, first_name="Demo", language_code=language)
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
            self.console.print(f"[bold green]you[/bold green] [dim]pressed[/dim] {rich_escape(label)}")
            self.standin.press_button(self.chat_id, USER_ID, message_id, data)
        else:
            self.console.print(f"[bold green]you[/bold green] {rich_escape(line)}")
            self.standin.send_text(self.chat_id, USER_ID, line)
        self.show(await self._replies(before))


async def run_demo(project_root: Path, shared: Path, script: bool, language: str = "en") -> int:
    console = Console(highlight=False)
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        data = replay_season(project_root, shared, workdir, datetime.now(UTC))
        console.rule("Pitboard offline demo")
        console.print(
            f"GT World Challenge Europe 2023, replayed so that Barcelona is raced today: {len(data.results)} rounds"
            f" done, the race starts at {data.race_start:%H:%M} UTC. No Telegram token needed: the bot talks to"
            " Pitboard's local Bot API stand-in."
        )
        # Whatever fails on the way in (a missing data file) closes what is open: an open store's thread
        # would keep the process alive after the error.
        async with AsyncExitStack() as stack:
            store = await stack.enter_async_context(await Store.open(workdir / "demo.db"))
            await store.apply(load_paths([data.calendar, *data.results], season=2023))
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
            app = build_application(settings, store=store)
            await _tour(app, store, standin, data, console, script, language)
    return 0


async def _tour(
    app: Application,  # type: ignore[type-arg]
    store: Store,
    standin: BotApiStandIn,
    data: DemoData,
    console: Console,
    script: bool,
    language: str,
) -> None:
    async def finish_race() -> None:
        console.print("[bold]The Barcelona race is over: its real results come in.[/bold]\n")
        await store.apply(load_paths([data.finale], season=2023))
        notifier = app.bot_data.get("notifier")
        if isinstance(notifier, Notifier):
            await notifier.poll(datetime.now(UTC))

    async with polling(app):
        chat = ConsoleChat(standin, console, language)
        watcher = asyncio.get_running_loop().create_task(chat.watch())
        if script:
            for scripted in SCRIPT:
                await chat.say(scripted)
            console.print("[bold]Waiting for the 1-hour reminder of the Barcelona race…[/bold]\n")
            await chat.wait_for_bot(timeout=90)
            await finish_race()
            await chat.wait_for_bot(timeout=30)
        else:
            console.print(
                "[dim]Type commands (/help), a number to press a button, '!finish' to end the"
                " Barcelona race now, or 'quit'. The 1-hour reminder comes by itself.[/dim]\n"
            )
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

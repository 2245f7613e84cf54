"""Issue 8, findings 1, 6 and 7 (storage half), replayed as found: settings, start, secrets, a locked store.

The `pitboard run` tests start the real command line in a subprocess, from a `.env` copied from the
project's `.env.example`, against the Bot API stand-in over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import pytest

from bot.app import build_application, polling
from bot.core.clock import ManualClock
from bot.delivery import FloodGate
from bot.ingest.importers import load_paths
from bot.settings import Settings, SettingsProblem, load_settings
from bot.standin import BotApiStandIn
from bot.startup import until_reachable
from storage.sqlite import open_sqlite
from storage.store import Store
from tests.botenv import NO_LIMITS, future_calendar
from tests.clocked import drive
from tests.databases import ON_POSTGRES, holding, new_db, query, sqlite_only

ROOT = Path(__file__).resolve().parent.parent
# Shaped like a real token, so the redaction's shape rule and its registered-secret rule are both tried.
TOKEN = "7354981246:AAFq3xR9sTz0bQ-Lw_5YkPpD3mNvHc8eGiJ"
SECRET_PART = TOKEN.split(":", 1)[1]
ADMIN_FORMS = ["", "900001", "900001,900002", "900001; 900002", " 900001 , 900002 "]
USER = 900002


# ---------------------------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dotenv(folder: Path, **values: str) -> Path:
    """`.env.example` copied to `.env`, with the given settings filled in (as an operator would)."""
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for key, value in values.items():
        for i, line in enumerate(lines):
            if line.startswith(f"{key}="):
                lines[i] = f"{key}={value}"
                break
        else:
            lines.append(f"{key}={value}")
    path = folder / ".env"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def clean_environ() -> dict[str, str]:
    # Only the .env speaks: nothing of the test runner's own settings leaks into the bot.
    return {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "PITBOARD_"))}


class BotProcess:
    """`python -m bot.cli run` in `folder`; stdout and stderr go to files there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.stdout = folder / "stdout.txt"
        self.stderr = folder / "stderr.txt"
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.stdout.open("ab") as out, self.stderr.open("ab") as err:
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", "run", cwd=self.folder, env=clean_environ(), stdout=out, stderr=err
            )

    def log(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    async def wait_for_log(self, needle: str, timeout: float = 30.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while needle not in self.log():
            assert self.proc is not None
            if self.proc.returncode is not None or loop.time() > deadline:
                raise AssertionError(f"{needle!r} never logged; stderr:\n{self.log()[-3000:]}")
            await asyncio.sleep(0.05)

    async def wait(self, timeout: float = 60.0) -> int:
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(sig)
        return await self.wait(30.0)

    def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()


@asynccontextmanager
async def bot_process(folder: Path) -> AsyncIterator[BotProcess]:
    bot = BotProcess(folder)
    await bot.start()
    try:
        yield bot
    finally:
        bot.kill()
        with suppress(Exception):
            await bot.wait(10)


async def ask(standin: BotApiStandIn, chat: int, text: str, bot: BotProcess, timeout: float = 60.0) -> str:
    """Send `text` as the user; the bot's answer (fails at once if the bot process has ended)."""
    standin.send_text(chat, chat, text)
    answer = asyncio.ensure_future(standin.wait_for_messages(chat, 1, timeout=timeout))
    assert bot.proc is not None
    ended = asyncio.ensure_future(bot.proc.wait())
    await asyncio.wait([answer, ended], return_when=asyncio.FIRST_COMPLETED)
    if not answer.done():
        answer.cancel()
        raise AssertionError(f"the bot ended (exit code {bot.proc.returncode}):\n{bot.log()[-3000:]}")
    ended.cancel()
    [message] = answer.result()
    return str(message["text"])


def leaks(*paths: Path) -> dict[str, int]:
    """Occurrences of the token (or its secret half) in each file, read as bytes."""
    found = {}
    for path in paths:
        if path.exists():
            data = path.read_bytes()
            found[path.name] = data.count(TOKEN.encode()) + data.count(SECRET_PART.encode())
    return found


class GarbageServer:
    """Answers every connection with something that is not HTTP, as a broken proxy would."""

    def __init__(self) -> None:
        self.answered = 0
        self.server: asyncio.Server | None = None

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(Exception):
            await reader.read(65536)
            writer.write(b"HTTP/1.1 2x0 WHAT\r\nContent-Length: nonsense\r\n\r\n<html>")
            await writer.drain()
        self.answered += 1
        writer.close()

    async def start(self, port: int) -> None:
        self.server = await asyncio.start_server(self._answer, "127.0.0.1", port, reuse_address=True)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


# ------------------------------------------------------------------------------- finding 1: settings


@pytest.mark.parametrize("form", ADMIN_FORMS)
@pytest.mark.parametrize("where", ["environment", ".env"])
def test_admins_every_documented_form(form: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As found: `PITBOARD_ADMINS=` from `.env.example` stopped the bot ("error parsing value")."""
    for key in list(os.environ):
        if key.startswith(("TELEGRAM_", "PITBOARD_")):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    if where == ".env":
        dotenv(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, PITBOARD_ADMINS=form)
    else:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
        monkeypatch.setenv("PITBOARD_ADMINS", form)
    expected = [int(x) for x in form.replace(";", ",").split(",") if x.strip()]
    assert load_settings().admins == expected


@pytest.mark.parametrize(
    ("given", "api", "files"),
    [
        ("https://api.telegram.org", "https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("https://api.telegram.org/bot", "https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("https://api.telegram.org/bot/", "https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/bot/", "http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://127.0.0.1:18081", "http://127.0.0.1:18081/bot", "http://127.0.0.1:18081/file/bot"),
        (" http://localhost:8081/ ", "http://localhost:8081/bot", "http://localhost:8081/file/bot"),
    ],
)
def test_api_url_every_form_normalised(given: str, api: str, files: str) -> None:
    """As found: `http://…:18081` became `http://…:18081<TOKEN>/getMe`."""
    settings = Settings.model_validate({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": given})
    assert (settings.telegram_api_url, settings.file_url) == (api, files)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PITBOARD_ADMINS", "12,abc"),
        ("TELEGRAM_API_URL", "ftp://example.org/bot"),
        ("TELEGRAM_API_URL", f"https://api.telegram.org/bot{TOKEN}"),
        ("PITBOARD_LOG_LEVEL", "LOUD"),
        ("PITBOARD_ALERT_POLL_SECONDS", "soon"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it_and_exit_2(key: str, value: str, tmp_path: Path) -> None:
    import subprocess

    dotenv(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, PITBOARD_DATABASE=str(tmp_path / "p.db"), **{key: value})
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"], cwd=tmp_path, env=clean_environ(), capture_output=True, timeout=30
    )
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.count("\n") == 1 and key in err and "Traceback" not in err, err
    assert TOKEN not in err + done.stdout.decode() and SECRET_PART not in err


def test_load_settings_names_the_setting_without_its_value(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN + " x")  # a pasted token with junk after it
    with pytest.raises(SettingsProblem) as caught:
        load_settings()
    assert "TELEGRAM_BOT_TOKEN" in str(caught.value) and SECRET_PART not in str(caught.value)


# ----------------------------------------------------------------------- finding 1: `pitboard run`


@pytest.mark.parametrize("form", ADMIN_FORMS)
async def test_run_from_env_example_answers_start(form: str, tmp_path: Path) -> None:
    """As found: copying .env.example to .env and adding a token stopped `pitboard run` at start."""
    async with BotApiStandIn(token=TOKEN, enforce_limits=False) as standin:
        dotenv(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=standin.base_url,
            PITBOARD_DATABASE=new_db(tmp_path, "pitboard"),
            PITBOARD_ADMINS=form,
        )
        async with bot_process(tmp_path) as bot:
            assert "Pitboard" in await ask(standin, USER, "/start", bot)
            stats = await ask(standin, USER, "/stats", bot)
            if str(USER) in form:
                assert "Statistics" in stats
            else:
                assert "for Pitboard's admins" in stats
            # SIGINT for some forms, SIGTERM for the others: both stop it cleanly.
            code = await bot.stop(signal.SIGINT if len(form) % 2 else signal.SIGTERM)
    assert code == 0, bot.log()[-3000:]
    assert "Traceback" not in bot.log()


async def test_unreachable_api_at_start_is_retried_until_it_answers(tmp_path: Path) -> None:
    """As found: an unreachable Bot API at start exited at once ("Failed run number 0 of 0. Aborting.")."""
    port = free_port()
    standin = BotApiStandIn(token=TOKEN, enforce_limits=False)
    dotenv(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=f"http://127.0.0.1:{port}/bot",
        PITBOARD_DATABASE=new_db(tmp_path, "pitboard"),
    )
    async with bot_process(tmp_path) as bot:
        await bot.wait_for_log("getMe failed")
        assert bot.proc is not None and bot.proc.returncode is None
        # Up after getMe, the API fails the command menu: once a 502 (retried), then a refusal (skipped).
        standin.fail_next("setMyCommands", error_code=502, description="Bad Gateway")
        standin.fail_next("setMyCommands", error_code=400, description="Bad Request: not today")
        await standin.start(port=port)
        try:
            assert "Pitboard" in await ask(standin, USER, "/start", bot)
            assert await bot.stop() == 0
        finally:
            await standin.stop()
    log = bot.log()
    assert "getMe failed" in log and "retrying in 1 s" in log
    assert "setMyCommands failed (Bad Gateway); retrying in 1 s" in log
    assert "the command menu was not set: Not today" in log
    # The start job (the outbox resumed, the alerts feed read) still ran after the slow post_init.
    assert 'Job "alerts-start (trigger' in log and "was missed" not in log
    # The refused menu (private chats, English) is skipped; the others are still set: per scope and language.
    menus = [
        (str((c.params.get("scope") or {}).get("type")), c.params.get("language_code"))
        for c in standin.calls
        if c.method == "setMyCommands"
    ]
    assert menus == [
        ("all_private_chats", None),
        ("all_private_chats", None),
        ("all_private_chats", "de"),
        ("all_group_chats", None),
        ("all_group_chats", "de"),
        ("all_chat_administrators", None),
        ("all_chat_administrators", "de"),
    ]
    assert leaks(bot.stdout, bot.stderr) == {"stdout.txt": 0, "stderr.txt": 0}


async def test_start_backoff_is_capped_exponential_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Driven by a ManualClock: 1, 2, 4, … capped at 30 s, each failure logged, and then the bot starts."""
    port = free_port()
    settings = Settings.model_validate({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": f"http://127.0.0.1:{port}"})
    app = build_application(settings)
    clock = ManualClock()
    caplog.set_level(logging.WARNING, logger="pitboard.startup")
    task = asyncio.ensure_future(until_reachable(app.initialize, "getMe", settings.telegram_api_url, clock=clock))
    standin = BotApiStandIn(token=TOKEN, enforce_limits=False)
    try:
        for _ in range(400):
            if len(caplog.records) >= 8:
                break
            await clock.advance(0 if clock.sleepers() == 0 else 30)
            await asyncio.sleep(0.01)
        delays = [r.getMessage().rsplit("retrying in ", 1)[1] for r in caplog.records]
        assert delays[:8] == ["1 s", "2 s", "4 s", "8 s", "16 s", "30 s", "30 s", "30 s"]
        assert not task.done()
        await standin.start(port=port)
        for _ in range(400):
            if task.done():
                break
            await clock.advance(30)
            await asyncio.sleep(0.01)
        await task
        assert app.bot.username == "pitboard_bot"
    finally:
        task.cancel()
        with suppress(BaseException):
            await task
        await app.shutdown()
        await app.bot.shutdown()
        await standin.stop()


# ------------------------------------------------------------------------------------- finding 6


async def test_a_rejected_token_is_fatal_with_a_clear_message_without_the_token(tmp_path: Path) -> None:
    """As found: `InvalidToken: The token … was rejected` on stderr."""
    db = new_db(tmp_path, "pitboard")
    async with BotApiStandIn(token="111:another-bots-token-entirely", enforce_limits=False) as standin:
        dotenv(
            tmp_path,
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=standin.url,  # without /bot, as an operator may write it
            PITBOARD_DATABASE=db,
            PITBOARD_LOG_LEVEL="DEBUG",
        )
        async with bot_process(tmp_path) as bot:
            code = await bot.wait()
    err = bot.log()
    assert code == 1
    assert "rejected the token (Unauthorized)" in err and "TELEGRAM_BOT_TOKEN" in err
    assert leaks(bot.stdout, bot.stderr) == {"stdout.txt": 0, "stderr.txt": 0}
    assert holding(db, TOKEN) == holding(db, SECRET_PART) == []


async def test_the_token_never_leaves_the_process_at_debug(tmp_path: Path) -> None:
    """Every failure path of the issue in one DEBUG run: the API unreachable at start, then answering
    garbage (not HTTP), a TELEGRAM_API_URL without /bot and with a trailing slash, then a real conversation
    that writes the store; the token is in none of stdout, stderr (the log) and the database files."""
    port = free_port()
    db = new_db(tmp_path, "pitboard")
    dotenv(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=f"http://127.0.0.1:{port}/",
        PITBOARD_DATABASE=db,
        PITBOARD_LOG_LEVEL="DEBUG",
    )
    garbage = GarbageServer()
    standin = BotApiStandIn(token=TOKEN, enforce_limits=False)
    async with bot_process(tmp_path) as bot:
        await bot.wait_for_log("getMe failed (aiohttp.ClientConnectorError")
        await garbage.start(port)
        await bot.wait_for_log("getMe failed (aiohttp.ClientResponseError", timeout=60)
        await garbage.stop()
        await standin.start(port=port)
        try:
            assert "Pitboard" in await ask(standin, USER, "/start", bot)
            standin.fail_next("sendMessage", error_code=500, description="Internal Server Error")
            await ask(standin, USER, "/following", bot)
            assert await bot.stop() == 0
        finally:
            await standin.stop()
    log = bot.log()
    assert garbage.answered >= 1
    # The libraries that print URLs and SQL did log (asyncpg logs no statements at DEBUG).
    assert ("DEBUG aiosqlite" in log or ON_POSTGRES) and "DEBUG telegram" in log
    assert "/bot<token>" in log  # python-telegram-bot printed its URL, masked
    assert leaks(bot.stdout, bot.stderr) == {"stdout.txt": 0, "stderr.txt": 0}
    assert query(db, "SELECT count(*) FROM chats")[0][0] >= 1  # the conversation wrote the store …
    assert holding(db, TOKEN) == holding(db, SECRET_PART) == []  # … and the token is nowhere in it


@sqlite_only("aiosqlite's DEBUG log of every call")
async def test_aiosqlite_debug_lines_are_redacted(tmp_path: Path) -> None:
    """aiosqlite logs every call with its parameters at DEBUG: an error text that quoted a Bot API URL
    would print the token there. The handler filter `pitboard run` installs masks it."""
    import io

    from bot.core.redact import RedactingFilter

    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.addFilter(RedactingFilter())
    sqlite_log = logging.getLogger("aiosqlite")
    sqlite_log.addHandler(handler)
    level = sqlite_log.level
    sqlite_log.setLevel(logging.DEBUG)
    try:
        database = await open_sqlite(tmp_path / "p.db")
        await database.fetch("SELECT ?", f"Cannot connect to http://127.0.0.1:1/bot{TOKEN}/sendMessage")
        await database.close()
    finally:
        sqlite_log.removeHandler(handler)
        sqlite_log.setLevel(level)
    assert "/bot<token>/sendMessage" in lines.getvalue()
    assert SECRET_PART not in lines.getvalue()


def test_an_uncaught_error_of_any_command_is_printed_redacted(tmp_path: Path) -> None:
    """The last resort of `pitboard …` (bot/cli.py main): a traceback that quotes a Bot API URL."""
    import subprocess

    script = (
        "import sys\n"
        "from bot.cli import main\n"
        "import bot.cli\n"
        "def boom() -> None:\n"
        f"    raise RuntimeError('Cannot connect to http://127.0.0.1:1/bot{TOKEN}/getMe')\n"
        "bot.cli.app.command('boom')(boom)\n"
        "sys.argv = ['pitboard', 'boom']\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=clean_environ(), capture_output=True, timeout=30
    )
    err = done.stderr.decode()
    assert done.returncode == 1 and "RuntimeError: Cannot connect to http://127.0.0.1:1/bot<token>/getMe" in err, err
    assert SECRET_PART not in err + done.stdout.decode()


# ---------------------------------------------------------------------------- finding 7 (storage)


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's import, as SQLite sees it: a connection inside BEGIN IMMEDIATE."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("BEGIN IMMEDIATE")
    return conn


@sqlite_only("another connection holds SQLite's one write lock past busy_timeout")
async def test_guard_waits_out_a_lock_longer_than_busy_timeout(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    clock = ManualClock()
    guard = await open_sqlite(db, busy_timeout=0, clock=clock)
    await guard.execute("CREATE TABLE t (x INTEGER)")
    holder = hold_write_lock(db)
    try:
        single = asyncio.ensure_future(guard.execute("INSERT INTO t VALUES (1)"))
        for _ in range(20):  # 40 s on the clock, far past busy_timeout
            await clock.advance(2, settle=0.01)
        assert not single.done()
        holder.execute("COMMIT")
        # Until it is done, not a fixed number of steps: on a loaded machine a retry may register its sleep
        # on the clock only after a step, and awaiting it then waited for a clock nobody moved (CI hung).
        await drive(clock, single.done, step=2, limit=60, real=0.02)
        assert await single == 1

        holder.execute("BEGIN IMMEDIATE")

        async def in_transaction() -> None:
            async with guard.transaction() as c:
                await c.execute("INSERT INTO t VALUES (2)")

        batch = asyncio.ensure_future(guard.executemany("INSERT INTO t VALUES (?)", [(3,), (4,)]))
        together = asyncio.ensure_future(in_transaction())
        await clock.advance(10, settle=0.01)
        assert not batch.done() and not together.done()
        holder.execute("COMMIT")
        await drive(clock, lambda: batch.done() and together.done(), step=2, limit=60, real=0.02)
        await batch
        await together
        assert [r[0] for r in await guard.fetch("SELECT x FROM t ORDER BY x")] == [1, 2, 3, 4]
    finally:
        holder.close()
        await guard.close()


@sqlite_only("another connection holds SQLite's one write lock past the bound")
async def test_guard_gives_up_after_its_bound(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    clock = ManualClock()
    guard = await open_sqlite(db, busy_timeout=0, clock=clock, lock_wait=60)
    await guard.execute("CREATE TABLE t (x INTEGER)")
    holder = hold_write_lock(db)
    try:
        write = asyncio.ensure_future(guard.execute("INSERT INTO t VALUES (1)"))
        waited = await drive(clock, write.done, step=2, limit=90, real=0.02)
        assert waited >= 60  # its bound (lock_wait), on the clock
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            await write
    finally:
        holder.close()
        await guard.close()


@asynccontextmanager
async def bot_on(standin: BotApiStandIn, db: Path, errors: list[str]) -> AsyncIterator[Store]:
    """The real Application on `db` (busy_timeout lowered to 50 ms, far below the lock held below)."""
    store = await Store.open(db, busy_timeout=0.05)
    settings = Settings.model_validate(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": standin.base_url, "PITBOARD_DATABASE": str(db)}
    )
    app = build_application(settings, store=store, gate=FloodGate(NO_LIMITS))
    try:
        async with polling(app):
            yield store
            errors += app.bot_data.get("errors", [])
    finally:
        await store.close()


@sqlite_only("an import holding SQLite's one write lock past busy_timeout")
async def test_follow_while_an_import_holds_the_write_lock(tmp_path: Path) -> None:
    """As found: a write lock held past busy_timeout turned a successful /follow into "Sorry, something
    went wrong" (the `sent` mark failed after the send), and after a restart the reply came again."""
    db = tmp_path / "pitboard.db"
    async with await Store.open(db) as store:
        await store.apply(load_paths([future_calendar(tmp_path / "cal.json")]))
    async with BotApiStandIn(token=TOKEN, enforce_limits=False) as standin:
        errors: list[str] = []
        async with bot_on(standin, db, errors):
            # The reply is on its way (0.3 s at the stand-in) when the import takes the lock for 1.5 s.
            standin.slow_next("sendMessage", 0.3, chat_id=USER)
            standin.send_text(USER, USER, "/follow bachler")
            watcher = sqlite3.connect(db, timeout=30)
            while not watcher.execute("SELECT 1 FROM outbox WHERE chat_id = ?", (USER,)).fetchone():
                await asyncio.sleep(0.002)
            watcher.close()
            holder = hold_write_lock(db)
            await asyncio.sleep(1.5)
            holder.execute("COMMIT")
            holder.close()
            await standin.wait_for_messages(USER, 1, timeout=30)
            await asyncio.sleep(0.5)  # an error reply, if any, would follow
        async with bot_on(standin, db, errors) as again:
            await asyncio.sleep(1.0)  # the start job resumes whatever a crash left 'sending'
            follows = await again.chats.follows(USER)
        texts = [m["text"] for m in standin.messages(USER)]
    assert [f.name for f in follows] == ["Klaus Bachler"]
    assert len(texts) == 1 and "Now following Klaus Bachler" in texts[0], texts
    assert not any("Sorry" in t for t in texts)
    assert errors == []


def test_import_uses_the_database_named_in_dotenv(tmp_path: Path) -> None:
    """`pitboard import` from cron, in the bot's folder, must write the store `pitboard run` reads."""
    import subprocess

    (tmp_path / "data").mkdir()
    db = new_db(tmp_path / "data", "store")
    dotenv(tmp_path, PITBOARD_DATABASE=db)
    calendar = future_calendar(tmp_path / "cal.json")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "import", str(calendar)],
        cwd=tmp_path,
        env=clean_environ(),
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert query(db, "SELECT count(*) FROM events")[0][0] == 2 and not (tmp_path / "pitboard.db").exists()


def test_env_example_documents_every_setting() -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for field in Settings.model_fields.values():
        assert f"{field.alias}=" in example, field.alias

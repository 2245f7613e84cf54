"""Webhook mode: Telegram (the stand-in) POSTs Updates to the bot's own HTTP server with the secret token.

Real HTTP throughout: updates POSTed by hand or by the stand-in's webhook pusher, replies sent through the
stand-in, the real `pitboard run --webhook` process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from telegram.ext import Application, ChatMemberHandler, InlineQueryHandler

from bot.app import ALLOWED_UPDATES, build_application
from bot.delivery import FloodGate
from bot.settings import Settings
from bot.standin import BotApiStandIn
from bot.web.server import HttpSurface
from bot.web.webhook import SECRET_HEADER, allowed_updates
from storage.store import Store
from tests.botenv import NO_LIMITS, TOKEN
from tests.databases import new_db

SECRET = "s3cret_Webhook-token"
ANA, EVE = 1001, 1002


@dataclass
class WebhookEnv:
    standin: BotApiStandIn
    app: Application  # type: ignore[type-arg]
    store: Store
    url: str  # where the webhook route listens

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> int:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with aiohttp.ClientSession() as session, session.post(self.url, json=update, headers=headers) as r:
            return r.status


@asynccontextmanager
async def webhook_bot(db: Path) -> AsyncIterator[WebhookEnv]:
    """The Application started by hand in webhook mode (no polling) with its HTTP surface on a free port."""
    standin = BotApiStandIn(token=TOKEN, enforce_limits=False, bot_username="pitboard_bot")
    await standin.start()
    store = await Store.open(db)
    settings = Settings.model_validate(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": standin.base_url,
            "PITBOARD_DATABASE": str(db),
            "PITBOARD_WEBHOOK_URL": "https://bot.example.org/telegram",
            "PITBOARD_WEBHOOK_SECRET": SECRET,
        }
    )
    app = build_application(settings, store=store, gate=FloodGate(NO_LIMITS))
    surface = HttpSurface(app, settings, "127.0.0.1:0", webhook_mode=True)
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    await surface.start()
    try:
        yield WebhookEnv(standin, app, store, f"{surface.url}/telegram")
    finally:
        await surface.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        await standin.stop()
        await store.close()


async def test_an_update_with_the_secret_is_handled_and_answered(tmp_path: Path) -> None:
    async with webhook_bot(new_db(tmp_path, "bot")) as env:
        env.standin.user(ANA, first_name="Ana", language_code="en")
        # The update as Telegram builds it (the stand-in's own shape), queued nowhere: only our POST carries it.
        update = env.standin.send_text(ANA, ANA, "/start")
        assert await env.post(update) == 200
        replies = await env.standin.wait_for_messages(ANA, 1, timeout=10)
        assert "Hi Ana!" in replies[0]["text"]
        assert await env.store.chats.get(ANA) is not None
        assert env.app.bot_data.get("errors", []) == []


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1]], ids=repr)
async def test_without_the_right_secret_403_and_nothing_happens(
    tmp_path: Path, secret: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    async with webhook_bot(new_db(tmp_path, "bot")) as env:
        env.standin.user(EVE, first_name="Eve <marker-in-body>", language_code="en")
        env.standin.user(ANA, first_name="Ana", language_code="en")
        forged = env.standin.send_text(EVE, EVE, "/start")
        with caplog.at_level(logging.INFO):
            assert await env.post(forged, secret=secret) == 403
        # A genuine update after it is answered; by then the forged one would have been too.
        assert await env.post(env.standin.send_text(ANA, ANA, "/start")) == 200
        await env.standin.wait_for_messages(ANA, 1, timeout=10)
        assert env.standin.messages(EVE) == []
        assert await env.store.chats.get(EVE) is None
        refused = [r for r in caplog.records if "refused a request" in r.getMessage()]
        assert len(refused) == 1
        assert "marker-in-body" not in caplog.text and "/start" not in refused[0].getMessage()


def test_allowed_updates_are_what_the_handlers_use() -> None:
    app = build_application(Settings.model_validate({"TELEGRAM_BOT_TOKEN": TOKEN}))
    assert allowed_updates(app) == list(ALLOWED_UPDATES) == ["message", "callback_query", "my_chat_member"]
    # Derived, not listed: a handler for another update type asks for it, an unknown kind stops the start.
    app.add_handler(ChatMemberHandler(lambda u, c: None, ChatMemberHandler.CHAT_MEMBER))  # type: ignore[arg-type,return-value]
    assert allowed_updates(app) == ["message", "callback_query", "my_chat_member", "chat_member"]
    app.add_handler(InlineQueryHandler(lambda u, c: None))  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="InlineQueryHandler"):
        allowed_updates(app)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pitboard_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PITBOARD_", "TELEGRAM_"))}
    return {**keep, "PITBOARD_DATABASE": str(new_db(tmp_path, "bot")), "PITBOARD_SYNC_F1": "false", **settings}


def run_pitboard(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", *args],
        env=pitboard_env(tmp_path, **settings),
        cwd=tmp_path,  # no .env of the checkout
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_webhook_without_url_or_secret_is_a_clear_startup_error(tmp_path: Path) -> None:
    result = run_pitboard(tmp_path, "--webhook", TELEGRAM_BOT_TOKEN=TOKEN)
    assert result.returncode == 2
    assert "--webhook needs PITBOARD_WEBHOOK_URL and PITBOARD_WEBHOOK_SECRET" in result.stderr
    result = run_pitboard(
        tmp_path, "--webhook", TELEGRAM_BOT_TOKEN=TOKEN, PITBOARD_WEBHOOK_URL="https://bot.example.org/tg"
    )
    assert result.returncode == 2 and "PITBOARD_WEBHOOK_SECRET" in result.stderr
    # A secret Telegram would refuse (only A-Z a-z 0-9 _ -, 1 to 256 of them); the value is never printed.
    result = run_pitboard(
        tmp_path,
        "--webhook",
        TELEGRAM_BOT_TOKEN=TOKEN,
        PITBOARD_WEBHOOK_URL="https://bot.example.org/tg",
        PITBOARD_WEBHOOK_SECRET="has spaces!",
    )
    assert result.returncode == 2
    assert "PITBOARD_WEBHOOK_SECRET must be 1-256 characters" in result.stderr and "spaces!" not in result.stderr


async def test_the_real_process_in_webhook_mode(tmp_path: Path) -> None:
    async with BotApiStandIn(token=TOKEN, enforce_limits=False, bot_username="pitboard_bot") as standin:
        standin.user(ANA, first_name="Ana", language_code="en")
        port = free_port()
        url = f"http://127.0.0.1:{port}/hook/pitboard"
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--webhook",
            env=pitboard_env(
                tmp_path,
                TELEGRAM_BOT_TOKEN=TOKEN,
                TELEGRAM_API_URL=standin.base_url,
                PITBOARD_WEBHOOK_URL=url,
                PITBOARD_WEBHOOK_SECRET=SECRET,
                PITBOARD_LISTEN=f"127.0.0.1:{port}",
                PITBOARD_LOG_LEVEL="INFO",
            ),
            cwd=tmp_path,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while standin.webhook is None and loop.time() < deadline and process.returncode is None:
                await asyncio.sleep(0.05)
            assert standin.webhook is not None, "the bot never called setWebhook"
            assert standin.webhook["url"] == url
            assert standin.webhook["secret_token"] == SECRET
            assert standin.webhook["allowed_updates"] == list(ALLOWED_UPDATES)
            assert standin.webhook["drop_pending_updates"] is False
            # Telegram's side: the stand-in POSTs the user's message to the webhook with the secret.
            standin.send_text(ANA, ANA, "/help")
            replies = await standin.wait_for_messages(ANA, 1, timeout=20)
            assert "/standings" in replies[0]["text"]
            assert all(status == 200 for _, status in standin.webhook_deliveries)
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as r:
                    assert r.status == 200
                async with session.post(url, json={"update_id": 99}) as r:
                    assert r.status == 403
            # Nothing polls: getUpdates would be refused while the webhook is set.
            assert not [c for c in standin.calls if c.method == "getUpdates"]
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        log = stderr.decode()
        assert process.returncode == 0, log
        assert "running: webhook" in log and TOKEN not in log and SECRET not in log

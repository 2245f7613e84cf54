"""The HTTP surface beside the bot (bot/web): /healthz, /readyz, /metrics and /cal/<token>.ics, over real HTTP
against the real Application, the Bot API stand-in and a real SQLite file."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import icalendar
from prometheus_client.parser import text_string_to_metric_families

from bot.core.clock import ManualClock
from bot.ingest.importers import load_paths
from bot.standin import BotApiStandIn
from bot.web.server import HttpSurface
from storage.service_stats import expected_schema_version
from storage.store import Store
from tests.botenv import TOKEN, BotEnv, future_calendar, running_bot
from tests.databases import ON_POSTGRES, new_db

ANA, BEN, EVE = 1001, 1002, 1003
PUBLIC = "https://bot.example.org"


@asynccontextmanager
async def surface(env: BotEnv) -> AsyncIterator[str]:
    http = HttpSurface(env.app, env.app.bot_data["services"].settings, "127.0.0.1:0")
    await http.start()
    try:
        yield http.url
    finally:
        await http.stop()


async def get(url: str) -> tuple[int, dict[str, str], bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as r:
        return r.status, dict(r.headers), await r.read()


def samples(text: str) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    """Family name → its (sample name, labels, value)."""
    return {
        family.name: [(s.name, s.labels, s.value) for s in family.samples]
        for family in text_string_to_metric_families(text)
    }


def value(found: dict[str, list[Any]], family: str, sample: str, **labels: str) -> float:
    return sum(
        v for name, got, v in found[family] if name == sample and all(got.get(k) == x for k, x in labels.items())
    )


async def test_metrics_after_a_few_commands(tmp_path: Path) -> None:
    clock = ManualClock()
    async with running_bot(new_db(tmp_path, "bot"), clock=clock) as env, surface(env) as url:
        for user in (ANA, BEN, EVE):
            env.standin.user(user, first_name="U", language_code="en")
        await env.say(ANA, ANA, "/start")
        await env.say(ANA, ANA, "/help")
        await env.say(ANA, ANA, "/nonsense")
        await env.say(ANA, ANA, "hello there")
        # A chat that blocked the bot: its reply is refused for good (403), the chat deactivated.
        env.standin.fail_next(
            "sendMessage", chat_id=EVE, error_code=403, description="Forbidden: bot was blocked by the user"
        )
        env.standin.send_text(EVE, EVE, "/help")
        # Flood control once: the reply waits (on the test's clock) and then goes out.
        env.standin.fail_next("sendMessage", chat_id=BEN, retry_after=3)
        env.standin.send_text(BEN, BEN, "/help")
        while env.standin.rejected_429 == 0:
            await asyncio.sleep(0.01)
        await clock.advance(4)
        await env.standin.wait_for_messages(BEN, 1, timeout=10)
        while (await env.store.chats.get(EVE)) is None or (await env.store.chats.get(EVE)).active:  # type: ignore[union-attr]
            await asyncio.sleep(0.01)
        await env.store.providers.record_run("jolpica", True, None, None)
        await env.store.providers.record_run("jolpica", False, "HTTP 503", None)
        await env.store.providers.record_run("watch:https://timing.example.org/live.json?key=SECRET", True, None, None)

        status, headers, body = await get(f"{url}/metrics")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        found = samples(body.decode())
        handled = "pitboard_updates_handled"
        assert value(found, handled, f"{handled}_total", command="start") == 1
        assert value(found, handled, f"{handled}_total", command="help") == 3
        assert value(found, handled, f"{handled}_total", command="unknown_command") == 1
        assert value(found, handled, f"{handled}_total", command="message") == 1
        latency = "pitboard_update_seconds"
        assert value(found, latency, f"{latency}_count", command="help") == 3
        assert value(found, latency, f"{latency}_bucket", command="help", le="+Inf") == 3
        assert value(found, latency, f"{latency}_sum", command="start") > 0
        assert value(found, "pitboard_outbox_rows", "pitboard_outbox_rows", state="sent") >= 5
        assert value(found, "pitboard_outbox_rows", "pitboard_outbox_rows", state="dead") == 1
        assert value(found, "pitboard_outbox_oldest_due_seconds", "pitboard_outbox_oldest_due_seconds") >= 0
        assert value(found, "pitboard_messages_sent", "pitboard_messages_sent_total", method="sendMessage") >= 5
        assert value(found, "pitboard_telegram_429", "pitboard_telegram_429_total") == 1
        errors = "pitboard_permanent_errors"
        assert value(found, errors, f"{errors}_total", reason="deactivate") == 1
        syncs = "pitboard_provider_syncs"
        assert value(found, syncs, f"{syncs}_total", provider="jolpica", outcome="success") == 1
        assert value(found, syncs, f"{syncs}_total", provider="jolpica", outcome="failure") == 1
        assert "SECRET" not in body.decode()
        assert value(found, "pitboard_scheduler_jobs_pending", "pitboard_scheduler_jobs_pending") >= 1
        assert value(found, "pitboard_leader", "pitboard_leader") == 1  # SQLite's one process always leads


async def set_newest_migration(store: Store, newest: int, *, applied: bool) -> None:
    """Make the store look one migration behind (or not): SQLite's user_version, PostgreSQL's version table
    (the newest row hidden under a negative number)."""
    if not ON_POSTGRES:
        await store.db.execute(f"PRAGMA user_version = {newest if applied else newest - 1}")
    elif applied:
        await store.db.execute("UPDATE schema_version SET version = ? WHERE version = ?", newest, -newest)
    else:
        await store.db.execute("UPDATE schema_version SET version = ? WHERE version = ?", -newest, newest)


async def test_health_and_readiness(tmp_path: Path) -> None:
    clock = ManualClock()
    settings = {"PITBOARD_READY_API_SECONDS": 300}
    async with running_bot(new_db(tmp_path, "bot"), clock=clock, settings=settings) as env, surface(env) as url:
        assert (await get(f"{url}/healthz"))[0] == 200
        status, _, body = await get(f"{url}/readyz")
        assert (status, body) == (200, b"ready\n")

        # Quiet for longer than the window: /readyz asks the Bot API itself, which answers.
        await clock.advance(301)
        assert (await get(f"{url}/readyz"))[0] == 200
        env.standin.go_down("502")
        await clock.advance(301)
        status, _, body = await get(f"{url}/readyz")
        assert status == 503 and b"Bot API no answer for 301 s" in body
        assert (await get(f"{url}/healthz"))[0] == 200
        env.standin.come_back()
        assert (await get(f"{url}/readyz"))[0] == 200

        # The schema behind the code's newest migration.
        expected = expected_schema_version()
        await set_newest_migration(env.store, expected, applied=False)
        status, _, body = await get(f"{url}/readyz")
        assert status == 503 and f"schema at version {expected - 1}, expected {expected}".encode() in body
        await set_newest_migration(env.store, expected, applied=True)
        assert (await get(f"{url}/readyz"))[0] == 200

        # The database gone: not ready, still alive.
        await env.store.close()
        status, _, body = await get(f"{url}/readyz")
        assert status == 503 and b"database not reachable" in body
        assert (await get(f"{url}/healthz"))[0] == 200


def link_token(text: str) -> str:
    found = re.search(re.escape(PUBLIC) + r"/cal/([A-Za-z0-9_-]+)\.ics", text)
    assert found, text
    return found.group(1)


def events(data: bytes) -> list[str]:
    return [str(e["summary"]) for e in icalendar.Calendar.from_ical(data).walk("VEVENT")]


async def test_calendar_feed_follows_the_chat_and_reset_revokes_it(tmp_path: Path) -> None:
    async with running_bot(new_db(tmp_path, "bot"), settings={"PITBOARD_PUBLIC_URL": PUBLIC + "/"}) as env:
        await env.store.apply(load_paths([future_calendar(tmp_path / "future.json")]))
        env.standin.user(ANA, first_name="Ana", language_code="en")
        env.standin.user(BEN, first_name="Ben", language_code="de")
        async with surface(env) as url:
            reply = (await env.say(ANA, ANA, "/ics"))[0]
            assert "follows nothing yet" in reply["text"] and "/ics reset" in reply["text"]
            token = link_token(reply["text"])
            status, headers, body = await get(f"{url}/cal/{token}.ics")
            assert status == 200 and headers["Content-Type"] == "text/calendar; charset=utf-8"
            assert "max-age" in headers["Cache-Control"]
            assert events(body) == []

            await env.say(ANA, ANA, "/follow series test-gt")
            status, _, body = await get(f"{url}/cal/{token}.ics")
            assert status == 200 and any("Ring & Roll 6h" in s for s in events(body))
            # /ics sends the file as before, its caption carrying the same link.
            document = (await env.say(ANA, ANA, "/ics"))[0]
            assert document.get("document") and link_token(document["caption"]) == token

            # In German too.
            german = (await env.say(BEN, BEN, "/ics"))[0]["text"]
            assert "Kalender" in german and link_token(german) != token

            reset = (await env.say(ANA, ANA, "/ics reset"))[0]["text"]
            new = link_token(reset)
            assert new != token and "no longer works" in reset
            unknown = await get(f"{url}/no/such/path")
            gone = await get(f"{url}/cal/{token}.ics")
            never = await get(f"{url}/cal/{'x' * 32}.ics")
            assert gone[0] == never[0] == unknown[0] == 404
            assert gone[2] == never[2] == unknown[2]
            assert (await get(f"{url}/cal/{new}.ics"))[0] == 200


async def test_no_link_without_a_public_address(tmp_path: Path) -> None:
    async with running_bot(new_db(tmp_path, "bot")) as env:
        env.standin.user(ANA, first_name="Ana", language_code="en")
        reply = (await env.say(ANA, ANA, "/ics"))[0]["text"]
        assert "/cal/" not in reply and "link" not in reply


async def test_the_real_process_polling_with_http(tmp_path: Path) -> None:
    """`pitboard run --http HOST:PORT`: long polling as before, and the HTTP surface beside it."""
    from tests.test_webhook import free_port, pitboard_env

    async with BotApiStandIn(token=TOKEN, enforce_limits=False, bot_username="pitboard_bot") as standin:
        standin.user(ANA, first_name="Ana", language_code="en")
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            "run",
            "--http",
            f"127.0.0.1:{port}",
            env=pitboard_env(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=standin.base_url),
            cwd=tmp_path,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            standin.send_text(ANA, ANA, "/start")
            await standin.wait_for_messages(ANA, 1, timeout=30)
            url = f"http://127.0.0.1:{port}"
            assert (await get(f"{url}/healthz"))[0] == 200
            assert (await get(f"{url}/readyz"))[0] == 200
            status, _, body = await get(f"{url}/metrics")
            assert status == 200
            found = samples(body.decode())
            assert value(found, "pitboard_updates_handled", "pitboard_updates_handled_total", command="start") == 1
            # No webhook route while polling: Telegram cannot post here.
            async with aiohttp.ClientSession() as session, session.post(f"{url}/telegram", json={}) as r:
                assert r.status == 404
            assert standin.webhook is None
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, stderr.decode()

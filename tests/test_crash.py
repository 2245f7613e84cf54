"""kill -9 the real bot process at random points of a 2,000-chat race summary: nothing is lost, and
duplicates stay within the messages in flight at each crash.

The bot runs as its own process (`pitboard run`) against the stand-in in this process. The stand-in's
flood limits are off and the bot's rate is raised, so the broadcast takes seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
from collections import Counter
from pathlib import Path

from bot.ingest.importers import load_paths
from bot.standin import BotApiStandIn
from storage.store import Store
from tests.clocked import until
from tests.conftest import GTWC, ROOT, SERIES
from tests.databases import new_db

CHATS = 2000
KILLS = 10
IN_FLIGHT = 16 + 32  # rows being sent (the default workers) plus sent rows whose marks are written in groups
TOKEN = "777:CRASH-TEST"


async def _start_bot(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _all_marked(db: str) -> bool:
    async with await Store.open(db) as store:
        stats = await store.chats.stats()
    return stats["outbox_pending"] == 0


async def _until(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.02)


async def test_kill_dash_nine_during_a_broadcast_loses_nothing(tmp_path: Path) -> None:
    db = new_db(tmp_path, "store")
    rounds = [p for p in sorted(GTWC.iterdir()) if p.is_dir() and p.name not in ("Barcelona", "Zandvoort")]
    async with await Store.open(db) as store:
        await store.apply(load_paths([SERIES / "gtwc-europe-2023.json", *rounds], season=2023))
        bachler = next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Klaus Bachler")
        for chat in range(1, CHATS + 1):
            await store.chats.ensure(10_000 + chat, "private", None, "de" if chat % 3 else "en")
            await store.chats.follow(10_000 + chat, "driver", bachler)
    standin = BotApiStandIn(token=TOKEN, enforce_limits=False)
    await standin.start()
    for chat in range(1, CHATS + 1):
        standin.private_chat(standin.user(10_000 + chat, first_name="Fan"))
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": standin.base_url,
        "PITBOARD_DATABASE": str(db),
        "PITBOARD_ALERT_POLL_SECONDS": "0.3",
        "PITBOARD_MESSAGES_PER_SECOND": "5000",
        "PITBOARD_RESULTS_NEWS_DAYS": "3650",  # the 2023 race replayed as news (its own poll job alerts)
        # PostgreSQL: a killed replica's claimed rows are retaken when their lease ends (SQLite: at start).
        "PITBOARD_CLAIM_LEASE_SECONDS": "5",
    }

    def commands_set() -> int:
        return sum(1 for c in standin.calls if c.method == "setMyCommands")

    def delivered() -> int:
        return len(standin.messages())

    bot = await _start_bot(env)
    try:
        await _until(lambda: commands_set() >= 2, 30)  # started, and the alert feed is at the present
        await asyncio.sleep(1.0)
        async with await Store.open(db) as store:  # the race ends: results arrive from elsewhere
            await store.apply(load_paths([GTWC / "Barcelona"], season=2023))
        rng = random.Random(2023)
        points = sorted(rng.sample(range(50, CHATS - 50), KILLS))
        for point in points:
            await _until(lambda p=point: delivered() >= p, 60)
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
            seen = commands_set()
            bot = await _start_bot(env)
            await _until(lambda s=seen: commands_set() >= s + 2, 30)
        await _until(lambda: len({m["chat_id"] for m in standin.messages()}) >= CHATS, 90)
        # Every chat reached is not yet the end: rows sent but not marked before a kill go out again.
        await until(lambda: _all_marked(db), timeout=60)
        await asyncio.sleep(1.0)
    finally:
        bot.send_signal(signal.SIGKILL)
        await bot.wait()
        await standin.stop()

    per_chat = Counter(m["chat_id"] for m in standin.messages())
    assert len(per_chat) == CHATS  # nothing lost
    duplicates = sum(n - 1 for n in per_chat.values())
    assert duplicates <= KILLS * IN_FLIGHT, duplicates  # bounded by what was in flight
    async with await Store.open(db) as store:
        stats = await store.chats.stats()
    assert stats["outbox_pending"] == 0 and stats["outbox_dead"] == 0
    assert stats["outbox_sent"] >= CHATS
    print(f"{KILLS} kills, {CHATS} chats, {duplicates} duplicate(s)")

"""bench/broadcast: a race summary to 10,000 private chats and 200 groups following the race's drivers,
through the local Bot API stand-in ENFORCING Telegram's limits (30/s overall, 1/s per chat, 20/min per group).

Prints the achieved rate and its ratio to the allowed rate (goal ≥ 0.95), 429s (goal 0), lost (0) and
duplicates (0); with --paid, the rate with allow_paid_broadcast (goal ≥ 900 messages/s).

Run: .venv/bin/python bench/broadcast.py [--chats 10000] [--groups 200] [--paid]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bot.alerts.planner import plan_summaries  # noqa: E402
from bot.app import build_application, polling  # noqa: E402
from bot.ingest.importers import load_paths  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.conftest import GTWC, SERIES  # noqa: E402

TOKEN = "555:BROADCAST-BENCH"
ALLOWED = 30.0
PAID_GOAL = 900.0


async def start_standin(enforce: bool) -> tuple[asyncio.subprocess.Process, str]:
    """Telegram's stand-in in its own process, as Telegram is: the bot's process measures only itself."""
    args = [sys.executable, "-m", "bot.standin", "--port", "0", "--token", TOKEN]
    if not enforce:
        args.append("--no-limits")
    process = await asyncio.create_subprocess_exec(*args, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode()
        if line.startswith("base_url"):
            return process, line.split()[1]


async def control(session: aiohttp.ClientSession, root: str, action: str, **body: object) -> object:
    async with session.post(f"{root}/_standin/{action}", json=body) as response:
        response.raise_for_status()
        return (await response.json())["result"]


async def probe_standings(session: aiohttp.ClientSession, root: str, users: list[int]) -> list[float]:
    """/standings from fresh private chats while the broadcast runs: the reply's round trip in ms."""
    timings = []
    for user in users:
        started = time.perf_counter()
        await control(session, root, "send_text", chat_id=user, user_id=user, text="/standings gtwc-europe bronze")
        await control(session, root, "wait_for_messages", chat_id=user, count=1, timeout=20)
        timings.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.2)
    return timings


async def main(chats: int, groups: int, paid: bool, probes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        rounds = [p for p in sorted(GTWC.iterdir()) if p.is_dir() and p.name not in ("Barcelona", "Zandvoort")]
        private = [10_000_000 + i for i in range(chats)]
        group_ids = [-1_000_000_000_000 - i for i in range(groups)]
        async with await Store.open(db) as store:
            await store.apply(load_paths([SERIES / "gtwc-europe-2023.json", *rounds], season=2023))
            drivers = sorted({n.driver_id for n in await store.drivers.driver_names()})
            bachler = next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Klaus Bachler")
            await store.chats.add_many(
                [(c, "private", "en") for c in private] + [(g, "supergroup", "de") for g in group_ids],
                [(c, "driver", bachler) for c in [*private, *group_ids]]
                + [(c, "driver", drivers[i % len(drivers)]) for i, c in enumerate(private)],
            )
        process, base_url = await start_standin(enforce=True)
        root = base_url.rsplit("/", 1)[0]
        try:
            async with aiohttp.ClientSession() as session:
                gate = asyncio.Semaphore(64)

                async def make(call: str, **body: object) -> None:
                    async with gate:
                        await control(session, root, call, **body)

                await asyncio.gather(*(make("user", user_id=c, first_name="Fan") for c in private))
                await asyncio.gather(*(make("private_chat", user_id=c) for c in private))
                await asyncio.gather(*(make("group", chat_id=g, title="Fans", supergroup=True) for g in group_ids))
                probe_users = [90_000_000 + i for i in range(probes)]
                await asyncio.gather(*(make("user", user_id=u, first_name="Probe") for u in probe_users))
                await asyncio.gather(*(make("private_chat", user_id=u) for u in probe_users))
                store = await Store.open(db)
                settings = Settings.model_validate(
                    {
                        "TELEGRAM_BOT_TOKEN": TOKEN,
                        "TELEGRAM_API_URL": base_url,
                        "PITBOARD_DATABASE": str(db),
                        "PITBOARD_PAID_BROADCAST": paid,
                        # The 2023 race replayed as news (results older than this alert nobody).
                        "PITBOARD_RESULTS_NEWS_DAYS": 3650,
                    }
                )
                app = build_application(settings, store=store)
                async with polling(app):
                    delivery = app.bot_data["services"].delivery
                    await store.apply(load_paths([GTWC / "Barcelona"], season=2023))
                    notifier = app.bot_data["notifier"]
                    started = time.perf_counter()
                    plan = await plan_summaries(store, await _session(store))
                    plan_s = time.perf_counter() - started
                    broadcast = asyncio.create_task(notifier.poll(datetime.now(UTC)))
                    await asyncio.sleep(1.0)
                    latencies = await probe_standings(session, root, probe_users) if probes else []
                    await broadcast  # the bot's own poll job may have queued the summaries first
                    await delivery.drain()
                    # Rows refused with a 429 wait out retry_after and go again: only what is still
                    # undelivered once that is over counts as lost.
                    deadline = time.perf_counter() + 180
                    while (await store.chats.stats())["outbox_pending"] and time.perf_counter() < deadline:
                        await asyncio.sleep(0.5)
                        await delivery.drain()
                    total_s = time.perf_counter() - started
                    stats = await store.chats.stats()
                await store.close()
                calls = await control(session, root, "calls", method="sendMessage")
                counters = await control(session, root, "stats")
        finally:
            process.terminate()
            await process.wait()
    probe_set = set(range(90_000_000, 90_000_000 + probes))
    sent = [c for c in calls if c["status"] == 200 and c["params"]["chat_id"] not in probe_set]  # type: ignore[union-attr]
    times = sorted(c["time"] for c in sent)
    # Probe replies share the 30/s with the broadcast: count every message sent while it ran.
    everything = sorted(c["time"] for c in calls if c["status"] == 200)  # type: ignore[union-attr]
    in_window = [t for t in everything if times and times[0] <= t <= times[-1]]
    per_chat = Counter(c["params"]["chat_id"] for c in sent)
    audience = chats + groups
    span = times[-1] - times[0] if len(times) > 1 else 1.0
    # Free mode: probe replies share the 30/s, so everything sent in the window counts. Paid mode: replies
    # are not paid sends, so only the broadcast's own messages count.
    rate = ((len(times) if paid else len(in_window)) - 1) / span if span else 0.0
    lost = audience - len(per_chat)
    duplicates = sum(n - 1 for n in per_chat.values())
    rejected = counters["rejected_429"]  # type: ignore[index]
    print(f"{chats} private chats + {groups} groups; stand-in (own process) enforcing the limits; paid: {paid}")
    print(
        f"planning {len(plan.chats) if plan else 0} recipients took {plan_s:.2f} s;"
        f" {stats['outbox_sent']} outbox rows sent; all delivered after {total_s:.1f} s"
    )
    if paid:
        print(f"rate {rate:.0f} messages/s; goal ≥ {PAID_GOAL:.0f}; ratio {rate / PAID_GOAL:.2f}")
    else:
        print(f"rate {rate:.2f} messages/s of {ALLOWED:.0f} allowed: ratio {rate / ALLOWED:.3f} (goal ≥ 0.95)")
    print(f"429s {rejected} (goal 0), lost {lost} (0), duplicates {duplicates} (0), dead rows {stats['outbox_dead']}")
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"/standings during the broadcast ({len(ordered)} probes, one fresh chat each): p50"
            f" {ordered[len(ordered) // 2]:.0f} ms, p95 {p95:.0f} ms; goal ≤ 100 ms, ratio {p95 / 100:.2f}"
        )


async def _session(store: Store) -> int:
    return next(
        s.session_id
        for s in await store.schedule.schedule("gtwc-europe", 2023)
        if (s.event_key, s.key) == ("barcelona", "race")
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--paid", action="store_true")
    parser.add_argument("--probes", type=int, default=200, help="/standings round trips measured during the run")
    args = parser.parse_args()
    asyncio.run(main(args.chats, args.groups, args.paid, args.probes))

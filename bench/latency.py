"""bench/latency: /standings, /next and /results round trips through the local Bot API stand-in.

The store holds the full Ergast F1 dump, IMSA 2023 and GTWC Europe 2023 (plus a small future calendar
so /next has something to show). Every command comes from its own private chat following Klaus Bachler;
Telegram's flood limits are switched off on the stand-in and in the bot's pacing, because this measures
the bot, not the 1-message-per-second rule. Round trip = user message injected → the bot's reply stored.

Commands with arguments (issue 10: the argument grammar, past seasons, sessions and classes) have their own goal:
p95 ≤ 50 ms each; the report ends with the worst of them and its ratio to that goal.

Run: .venv/bin/python bench/latency.py [--rounds 200]          (goals: p95 ≤ 100 ms; with arguments ≤ 50 ms)
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest.importers import load_paths  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.botenv import future_calendar, running_bot  # noqa: E402
from tests.conftest import all_sources  # noqa: E402

GOAL_P95_MS = 100.0
GOAL_ARGS_P95_MS = 50.0
# /standings and /results as fans ask them (issue 10), each measured on its own.
WITH_ARGUMENTS = [
    "/standings gtwc bronze",
    "/standings f1 2021",
    "/results valencia race 2 bronze",
    "/results f1 2021 monaco qualifying",
    "/results imsa daytona gtd",
    "/results f1 1995 monaco",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = await Store.open(db)
        await store.apply(load_paths([*all_sources(), future_calendar(Path(tmp) / "future.json")]))
        await store.close()
        async with running_bot(db) as env:
            commands = ["/standings gtwc-europe bronze", "/next", "/results", *WITH_ARGUMENTS]
            users = list(range(100_000, 100_000 + rounds * len(commands)))
            bachler = await _bachler(env.store)
            for user in users:
                env.standin.user(user, first_name="Fan", language_code="en")
                await env.store.chats.ensure(user, "private", "Fan", "en")
                await env.store.chats.follow(user, "driver", bachler)
            timings: dict[str, list[float]] = {c: [] for c in commands}
            for round_no in range(rounds):
                for command in commands:
                    user = users[round_no * len(commands) + commands.index(command)]
                    started = time.perf_counter()
                    env.standin.send_text(user, user, command)
                    await env.standin.wait_for_messages(user, 1, timeout=10)
                    timings[command].append((time.perf_counter() - started) * 1000)
            errors = env.errors()
    print(f"{rounds} rounds per command, one private chat per command, flood limits off (stand-in and bot)")
    worst = 0.0
    for command, values in timings.items():
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        worst = max(worst, p95)
        print(f"{command:<36} p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   max {max(values):6.1f} ms")
    print(f"worst p95: {worst:.1f} ms; goal ≤ {GOAL_P95_MS:.0f} ms; ratio {worst / GOAL_P95_MS:.2f}")
    with_args = max(percentile(timings[c], 0.95) for c in WITH_ARGUMENTS)
    print(
        f"worst p95 with arguments: {with_args:.1f} ms; goal ≤ {GOAL_ARGS_P95_MS:.0f} ms;"
        f" ratio {with_args / GOAL_ARGS_P95_MS:.2f}"
    )
    if errors:
        print(f"handler errors: {errors}")


async def _bachler(store: Store) -> int:
    return next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Klaus Bachler")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    asyncio.run(main(parser.parse_args().rounds))

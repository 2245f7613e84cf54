"""bench/fanout: 1,000,000 follows across 200,000 chats; planning one race's summaries
(who gets what: recipients, their drivers, the outcomes computed once).

Prints the planning time and peak memory against the goals (≤ 2 s, ≤ 300 MB).
Run: .venv/bin/python bench/fanout.py [--chats 200000] [--follows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.alerts.planner import plan_summaries  # noqa: E402
from bot.ingest.importers import load_paths  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.conftest import GTWC, SERIES  # noqa: E402

GOAL_SECONDS = 2.0
GOAL_MB = 300.0


async def main(chats: int, follows: int) -> None:
    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        async with await Store.open(Path(tmp) / "fanout.db") as store:
            await store.apply(load_paths([SERIES / "gtwc-europe-2023.json", GTWC]))
            drivers = sorted({n.driver_id for n in await store.drivers.driver_names()})
            series = [s.id for s in await store.series.all()]
            chat_ids = list(range(1, chats + 1))
            rows: set[tuple[int, str, int]] = set()
            while len(rows) < follows:
                chat = rng.choice(chat_ids)
                if rng.random() < 0.02:
                    rows.add((chat, "series", rng.choice(series)))
                else:
                    rows.add((chat, "driver", rng.choice(drivers)))
            load_start = time.perf_counter()
            await store.chats.add_many([(c, "private", "de" if c % 2 else "en") for c in chat_ids], sorted(rows))
            load_s = time.perf_counter() - load_start
            del rows
            session_id = next(
                s.session_id
                for s in await store.schedule.schedule("gtwc-europe", 2023)
                if (s.event_key, s.key) == ("barcelona", "race")
            )
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            timings = []
            for _ in range(3):
                started = time.perf_counter()
                plan = await plan_summaries(store, session_id)
                timings.append(time.perf_counter() - started)
            elapsed = min(timings)
            rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            tracemalloc.start()  # a separate run: tracing slows allocation down
            plan = await plan_summaries(store, session_id)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
    assert plan is not None
    peak_mb = peak / 1024 / 1024
    with_drivers = sum(1 for d in plan.chats.values() if d)
    print(
        f"{chats} chats, {follows} follows (loaded in {load_s:.1f} s); one race: {len(plan.chats)} recipients,"
        f" {with_drivers} of them with their own drivers in it, {len(plan.summary.outcomes)} driver outcomes"
    )
    runs = ", ".join(f"{x:.2f}" for x in timings)
    print(
        f"planning: best of 3 {elapsed:.2f} s (runs {runs} s); goal ≤ {GOAL_SECONDS:.0f} s,"
        f" ratio {elapsed / GOAL_SECONDS:.2f}"
    )
    print(
        f"peak memory allocated while planning {peak_mb:.0f} MB; goal ≤ {GOAL_MB:.0f} MB,"
        f" ratio {peak_mb / GOAL_MB:.2f}; process max RSS {rss_after:.0f} MB (before planning {rss_before:.0f} MB)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=200_000)
    parser.add_argument("--follows", type=int, default=1_000_000)
    args = parser.parse_args()
    asyncio.run(main(args.chats, args.follows))

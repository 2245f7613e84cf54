"""bench/chart: /standings' "📈 Chart" for GTWC Europe 2023 Bronze Cup and F1 2021 drivers.

Two figures per chart:
- drawing: the chart's data from the store plus the PNG (bot/services/charts.py + bot/render/charts.py), with
  no chart cache (the store's season snapshot is warm, as it is for any season someone has looked at);
- press → photo: a "📈 Chart" press through the real bot and the local Bot API stand-in until the photo is
  stored, uncached (the chart cache emptied before every press) and cached (the PNG's Telegram file_id
  reused: nothing drawn, nothing uploaded).
The first chart in a process also imports matplotlib (about 0.3 s, once); it is reported on its own.

Run: .venv/bin/python bench/chart.py [--rounds 30]          (goal: uncached p95 ≤ 300 ms)
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

from bot.core import callbacks  # noqa: E402
from bot.i18n import Translator  # noqa: E402
from bot.ingest.importers import load_paths  # noqa: E402
from bot.render.charts import chart_png  # noqa: E402
from bot.services.charts import ChartRequest, chart_data  # noqa: E402
from handlers.chart import ChartCache  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.botenv import BotEnv, running_bot  # noqa: E402
from tests.conftest import all_sources  # noqa: E402

GOAL_MS = 300.0
USER = 100_001


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(label: str, values: list[float]) -> str:
    return (
        f"{label:<46} p50 {statistics.median(values):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms"
        f"   max {max(values):6.1f} ms"
    )


async def charts(store: Store) -> dict[str, ChartRequest]:
    series = {s.slug: s.id for s in await store.series.all()}
    malykhin = next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Alex Malykhin")
    return {
        "GTWC Europe 2023 Bronze Cup": ChartRequest(series["gtwc-europe"], 2023, 0, 1, False, frozenset({malykhin})),
        "F1 2021 drivers": ChartRequest(series["f1"], 2021, 0, 0, False),
    }


async def drawing(store: Store, rounds: int) -> tuple[float, dict[str, list[float]]]:
    t = Translator("de")
    requests = await charts(store)
    started = time.perf_counter()
    for request in requests.values():  # warms the season snapshots and imports matplotlib
        chart_png(t, await chart_data(store, request))
    first = (time.perf_counter() - started) * 1000
    timings: dict[str, list[float]] = {name: [] for name in requests}
    for _ in range(rounds):
        for name, request in requests.items():
            started = time.perf_counter()
            chart_png(t, await chart_data(store, request))
            timings[name].append((time.perf_counter() - started) * 1000)
    return first, timings


async def press(env: BotEnv, data: str) -> float:
    anchor = env.standin.messages(USER)[-1]
    started = time.perf_counter()
    env.standin.press_button(USER, USER, anchor["message_id"], data, stale=True)
    await env.standin.wait_for_messages(USER, 1, timeout=10)
    return (time.perf_counter() - started) * 1000


async def through_bot(db: Path, rounds: int) -> dict[str, list[float]]:
    async with running_bot(db) as env:
        env.standin.user(USER, first_name="Fan", language_code="de")
        env.standin.send_text(USER, USER, "/follow Alex Malykhin")
        await env.standin.wait_for_messages(USER, 1, timeout=10)
        requests = await charts(env.store)
        timings: dict[str, list[float]] = {}
        for name, request in requests.items():
            data = callbacks.chart(request.series_id, request.year, request.championship, request.class_index, False)
            await press(env, data)  # warm-up: the season snapshot, matplotlib
            uncached, cached = [], []
            for _ in range(rounds):
                env.app.bot_data["charts"] = ChartCache()
                uncached.append(await press(env, data))
            for _ in range(rounds):
                cached.append(await press(env, data))
            timings[f"{name}, uncached"] = uncached
            timings[f"{name}, cached"] = cached
        if env.errors():
            print(f"handler errors: {env.errors()}")
    return timings


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = await Store.open(db)
        try:
            await store.apply(load_paths(all_sources()))
            first, drawn = await drawing(store, rounds)
        finally:
            await store.close()
        pressed = await through_bot(db, rounds)
    print(f"{rounds} rounds per chart; German labels; flood limits off (stand-in and bot)")
    print(f"first two charts in this process (matplotlib imported, seasons loaded): {first:.0f} ms")
    print("drawing (data + PNG, no chart cache):")
    for name, values in drawn.items():
        print("  " + line(name, values))
    print("press → photo stored, through the bot and the stand-in:")
    for name, values in pressed.items():
        print("  " + line(name, values))
    worst = max(percentile(v, 0.95) for v in [*drawn.values(), *(v for k, v in pressed.items() if "uncached" in k)])
    print(f"worst uncached p95: {worst:.1f} ms; goal ≤ {GOAL_MS:.0f} ms; ratio {worst / GOAL_MS:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))

"""bench/sync: a full F1 season synced from the local Jolpica stand-in (built from the Ergast dump) into a
fresh store, through `pitboard sync f1`'s own code: real HTTP, real SQLite, the client's rate limiter and
the stand-in enforcing Jolpica's published limits (4 requests/s, 500/hour), plus a 429 with Retry-After on
every 25th request. Time runs on a JumpClock: every wait the limiter and the backoff make moves the clock
instead of the wall clock, so the bench reports both the real seconds and the seconds the sync would have
taken against the real service.

Prints the requests used against the 500/hour budget, the ratio to the goal (a season in ≤ 100 requests),
and a second, unchanged sync (all conditional: 304s).

Run: .venv-test/bin/python bench/sync.py [--season 2024]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.cli import sync_f1  # noqa: E402
from bot.core.clock import JumpClock  # noqa: E402
from bot.ingest.providers.jolpica_standin import ErgastData, Faults, JolpicaStandIn  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
GOAL_REQUESTS = 100
BUDGET_PER_HOUR = 500


async def one_sync(db: Path, url: str, season: int, clock: JumpClock) -> tuple[float, float, str]:
    started, clock_started = time.perf_counter(), clock.monotonic()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = await sync_f1(str(db), url, season, clock)
    if code != 0:
        raise SystemExit(f"sync failed: {printed.getvalue()}")
    return time.perf_counter() - started, clock.monotonic() - clock_started, printed.getvalue().strip()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--season", type=int, default=2024)
    args = parser.parse_args()
    data = ErgastData(SHARED / "f1-ergast")
    clock = JumpClock(datetime(args.season + 1, 1, 10, tzinfo=UTC))
    standin = JolpicaStandIn(
        data, faults=Faults(rate_limit_every=25, retry_after="2"), monotonic=clock.monotonic, enforce_limits=True
    )
    url = await standin.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            real_s, clock_s, printed = await one_sync(db, url, args.season, clock)
            statuses = [status for _, status in standin.requests]
            requests = len(statuses)
            limited = statuses.count(429)
            first, violations = requests, standin.limit_violations
            again_real, again_clock, _ = await one_sync(db, url, args.season, clock)
            again = len(standin.requests) - first
            not_modified = [s for _, s in standin.requests[first:]].count(304)
    finally:
        await standin.stop()
    useful = requests - limited
    print(printed)
    print(f"season {args.season}, first sync:   {real_s:6.2f} s real, {clock_s:6.1f} s on the clock (limits and 429s)")
    print(
        f"requests:                {requests} ({useful} pages + {limited} answered 429)"
        f" = {requests / BUDGET_PER_HOUR:.0%} of the {BUDGET_PER_HOUR}/hour budget"
    )
    print(f"goal ≤ {GOAL_REQUESTS} requests per season   ratio to goal {requests / GOAL_REQUESTS:.2f}")
    print(f"limit violations seen by the server: {violations}")
    print(
        f"second sync (unchanged): {again_real:6.2f} s real, {again_clock:6.1f} s on the clock,"
        f" {again} requests, {not_modified} answered 304 Not Modified,"
        f" {standin.limit_violations - violations} refused by the server's limits (a new process starts with"
        " an empty limiter: the server's 429 and Retry-After cover that)"
    )


if __name__ == "__main__":
    asyncio.run(main())

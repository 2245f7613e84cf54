"""bench/webhook: one replica in webhook mode — how many Updates a second it accepts and answers, and how fast
/standings answers on PostgreSQL while a broadcast is going out.

The real bot process (`pitboard run --webhook`) against the local Bot API stand-in, on PostgreSQL (a server of
its own started here, or `--database postgresql://…`; `--database sqlite` for a SQLite file). Telegram's flood
limits are on: the stand-in enforces them and the bot paces itself (30/s overall, 1/s per chat).

1. Throughput: the load generator POSTs real Update JSON with the secret token to the webhook, `--concurrency`
   at a time, from `--updates` different private chats, mixed /start, /standings, /next and /help. An update
   counts as answered when its handler has returned, i.e. its reply is in the outbox (read from /metrics:
   pitboard_updates_handled). Goal ≥ 500 Updates/s.
2. /standings while a broadcast runs: a summary queued for `--broadcast` chats (through the storage API, as
   another replica's planner would), then `--rounds` /standings from one chat each, one after another;
   round trip = POST → the reply stored by the stand-in. Goal p95 ≤ 100 ms.

Run: .venv/bin/python bench/webhook.py [--database URL|sqlite] [--updates 5000] [--concurrency 100]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest.importers import load_paths  # noqa: E402
from bot.standin import BotApiStandIn  # noqa: E402
from bot.web.webhook import SECRET_HEADER  # noqa: E402
from storage.store import Store  # noqa: E402
from tests.botenv import future_calendar  # noqa: E402
from tests.conftest import GTWC, IMSA, SERIES  # noqa: E402
from tests.pgserver import PgServer, free_port  # noqa: E402

GOAL_RATE = 500.0
GOAL_P95_MS = 100.0
TOKEN = "4242:BENCH-TOKEN-never-logged"
SECRET = "bench_webhook_secret"
COMMANDS = ("/start", "/standings gtwc-europe", "/next", "/help")
FIRST_USER = 1_000_000  # load generator's chats; the broadcast's audience starts at 1
_message_ids = itertools.count(1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): the bot's cost per update whatever else the
    machine is doing, where the rates depend on what the other processes leave it."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def update_json(update_id: int, user: int, text: str) -> dict[str, Any]:
    """A private message as Telegram sends it to a webhook (a command carries its bot_command entity)."""
    sender = {"id": user, "is_bot": False, "first_name": "Fan", "language_code": "en"}
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": sender,
        "chat": {"id": user, "type": "private", "first_name": "Fan"},
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


@asynccontextmanager
async def database(given: str | None) -> AsyncIterator[str]:
    if given == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield str(Path(tmp) / "bench.db")
        return
    if given:
        yield given
        return
    root = Path(tempfile.mkdtemp(prefix="pitboard-bench-"))  # the `postgres` user must reach it
    server = PgServer(root)
    server.start()
    try:
        yield server.url
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


async def prepare(url: str, tmp: Path, broadcast: int) -> None:
    async with await Store.open(url) as store:
        sources = [SERIES / "gtwc-europe-2023.json", SERIES / "imsa-2023.json", GTWC, IMSA]
        await store.apply(load_paths([*sources, future_calendar(tmp / "future.json")]))
        series = next(s.id for s in await store.series.all() if s.slug == "gtwc-europe")
        chats = [(c, "private", "de" if c % 2 else "en") for c in range(1, broadcast + 1)]
        await store.chats.add_many(chats, [(c, "series", series) for c, _, _ in chats])


async def queue_broadcast(url: str, chats: int) -> None:
    """A summary for every chat of the audience, queued as the planner of another replica would."""
    async with await Store.open(url) as store:
        alert = await store.outbox.alert("broadcast", f"bench:{time.time_ns()}", None)
        text = "<b>Barcelona, race</b>\n1. #32 Team WRT\n2. #51 AF Corse\n" + "Summary line\n" * 8
        await store.outbox.enqueue_alerts(alert, [(c, text, None) for c in range(1, chats + 1)])


async def handled(session: aiohttp.ClientSession, base: str) -> float:
    async with session.get(f"{base}/metrics") as r:
        text = await r.text()
    for family in text_string_to_metric_families(text):
        if family.name == "pitboard_updates_handled":
            return sum(s.value for s in family.samples if s.name.endswith("_total"))
    return 0.0


async def throughput(
    session: aiohttp.ClientSession, hook: str, base: str, updates: int, concurrency: int
) -> tuple[float, float, int]:
    """(accepted/s, answered/s, non-200 answers)."""
    before = await handled(session, base)
    queue = [update_json(10_000 + i, FIRST_USER + i, COMMANDS[i % len(COMMANDS)]) for i in range(updates)]
    refused = 0
    started = time.perf_counter()

    async def post_some(share: list[dict[str, Any]]) -> None:
        nonlocal refused
        for update in share:
            async with session.post(hook, json=update, headers={SECRET_HEADER: SECRET}) as r:
                await r.read()
                refused += r.status != 200

    await asyncio.gather(*(post_some(queue[i::concurrency]) for i in range(concurrency)))
    accepted_s = time.perf_counter() - started
    while await handled(session, base) - before < updates:
        # Each scrape costs the bot a few outbox counts: often enough for a 2 % resolution, no more.
        await asyncio.sleep(0.2)
    answered_s = time.perf_counter() - started
    return updates / accepted_s, updates / answered_s, refused


async def main(args: argparse.Namespace) -> None:
    async with database(args.database) as url:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            await prepare(url, tmp, args.broadcast)
            standin = BotApiStandIn(token=TOKEN, enforce_limits=not args.no_limits, bot_username="pitboard_bot")
            await standin.start()
            users = [FIRST_USER + i for i in range(args.updates)] + list(range(1, args.broadcast + 1))
            rounds = [FIRST_USER + args.updates + i for i in range(args.rounds)]
            for user in (*users, *rounds):
                standin.private_chat(standin.user(user, "Fan", language_code="en"))
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            hook = f"{base}/telegram"
            keep = {k: v for k, v in os.environ.items() if not k.startswith(("PITBOARD_", "TELEGRAM_"))}
            env = {
                **keep,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_URL": standin.base_url,
                "PITBOARD_DATABASE": url,
                "PITBOARD_WEBHOOK_URL": hook,
                "PITBOARD_WEBHOOK_SECRET": SECRET,
                "PITBOARD_LISTEN": f"127.0.0.1:{port}",
                "PITBOARD_SYNC_F1": "false",
                "PITBOARD_ALERT_POLL_SECONDS": "1",
                "PITBOARD_LOG_LEVEL": "WARNING",
            }
            if args.no_limits:  # a diagnosis: what the handlers manage when nothing waits for Telegram's limits
                env["PITBOARD_MESSAGES_PER_SECOND"] = "1000000"
            profile = ["-m", "cProfile", "-o", str(Path(args.profile).resolve())] if args.profile else []
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *profile,
                "-m",
                "bot.cli",
                "run",
                "--webhook",
                env=env,
                cwd=tmp,
                stderr=asyncio.subprocess.PIPE,
            )
            log: list[bytes] = []

            async def keep_log() -> None:
                assert process.stderr is not None
                async for line in process.stderr:
                    log.append(line)

            logger = asyncio.create_task(keep_log())
            try:
                while standin.webhook is None:
                    if process.returncode is not None:
                        raise SystemExit("the bot exited:\n" + b"".join(log).decode())
                    await asyncio.sleep(0.05)
                connector = aiohttp.TCPConnector(limit=args.concurrency)
                async with aiohttp.ClientSession(connector=connector) as session:
                    await throughput(session, hook, base, 200, args.concurrency)  # warm-up: imports, caches
                    cpu_before = cpu_seconds(process.pid)
                    accepted, answered, refused = await throughput(session, hook, base, args.updates, args.concurrency)
                    cpu_ms = (cpu_seconds(process.pid) - cpu_before) * 1000 / args.updates
                    await queue_broadcast(url, args.broadcast)
                    sent_before = standin.sent_count
                    while standin.sent_count - sent_before < 30:  # the broadcast is going out
                        await asyncio.sleep(0.05)
                    timings = []
                    for i, user in enumerate(rounds):
                        started = time.perf_counter()
                        async with session.post(
                            hook, json=update_json(900_000 + i, user, COMMANDS[1]), headers={SECRET_HEADER: SECRET}
                        ) as r:
                            await r.read()
                        await standin.wait_for_messages(user, 1, timeout=30)
                        timings.append((time.perf_counter() - started) * 1000)
                    broadcast_sent = standin.sent_count - sent_before
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), 60)
                await logger
                await standin.stop()
    errors = [line.decode().rstrip() for line in log if b"ERROR" in line or b"Traceback" in line]
    print(
        f"one replica, `pitboard run --webhook` on {'SQLite' if args.database == 'sqlite' else 'PostgreSQL'};"
        f" {args.updates} updates from {args.updates} private chats, {args.concurrency} POSTs at a time,"
        f" mixed {' '.join(c.split()[0] for c in COMMANDS)}; flood limits on (stand-in and bot)"
    )
    print(f"accepted (HTTP 200): {accepted:.0f} updates/s; non-200 answers: {refused}")
    print(
        f"answered (reply in the outbox): {answered:.0f} updates/s;"
        f" goal ≥ {GOAL_RATE:.0f}/s, ratio {answered / GOAL_RATE:.2f}"
    )
    print(
        f"bot process CPU per update: {cpu_ms:.2f} ms (one core allows {1000 / cpu_ms:.0f} updates/s);"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    p50, p95 = statistics.median(timings), percentile(timings, 0.95)
    print(
        f"/standings during a broadcast to {args.broadcast} chats ({broadcast_sent} broadcast messages sent meanwhile),"
        f" {len(timings)} rounds: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {max(timings):.1f} ms;"
        f" goal p95 ≤ {GOAL_P95_MS:.0f} ms, ratio {p95 / GOAL_P95_MS:.2f}"
    )
    print(f"429s from the stand-in: {standin.rejected_429}")
    if errors:
        print(f"bot log: {len(errors)} error line(s), first: {errors[0]}")
        if args.verbose:
            print(b"".join(log).decode())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", help="postgresql://… (default: a server of its own), or sqlite")
    parser.add_argument("--updates", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--broadcast", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--verbose", action="store_true", help="print the bot's log when it has errors")
    parser.add_argument("--profile", help="write the bot process's cProfile statistics to this file")
    parser.add_argument("--no-limits", action="store_true", help="flood limits off (stand-in and the bot's pacing)")
    asyncio.run(main(parser.parse_args()))

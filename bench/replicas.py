"""bench/replicas: three `pitboard run --webhook` replicas on one PostgreSQL send a race summary to 10,000
private chats and 200 groups through the Bot API stand-in (its own process) ENFORCING Telegram's limits (30/s
overall, 1/s per private chat, 20/min per group); then the leader is killed (kill -9) and the time until
another replica leads is measured.

Prints the combined rate and its ratio to the allowed 30/s (goal ≥ 0.95), 429s (goal 0), lost (0),
duplicates (0), each replica's share, and the failover time (goal ≤ 30 s). Starts its own PostgreSQL server
(initdb + pg_ctl in a temporary folder) unless --database is given.

Run: .venv/bin/python bench/replicas.py [--chats 10000] [--groups 200] [--replicas 3]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from storage.migrate import migrate_postgres  # noqa: E402
from tests.pgserver import PgServer  # noqa: E402
from tests.replicas_cluster import Cluster, counted_times, most_in_a_second  # noqa: E402

ALLOWED = 30.0
FAILOVER_GOAL = 30.0


async def main(chats: int, groups: int, replicas: int, database: str | None) -> None:
    work = Path(tempfile.mkdtemp(prefix="pitboard-bench-replicas-"))
    pg = None
    if database is None:
        pg = PgServer(Path(tempfile.mkdtemp(prefix="pitboard-bench-pg-")))  # its own folder: PgServer hands it over
        pg.start()
        database = pg.url_for("bench")
        admin = await asyncpg.connect(pg.url)
        await admin.execute("CREATE DATABASE bench")
        await admin.close()
    conn = await asyncpg.connect(database)
    await migrate_postgres(conn)
    await conn.close()
    cluster = Cluster(pg or PgServer(work / "unused"), database, work)
    try:
        await cluster.start_standin()
        started = time.perf_counter()
        await cluster.seed(chats, groups)
        print(f"seeded {chats} private chats + {groups} groups in {time.perf_counter() - started:.1f} s")
        await cluster.start_replicas(replicas)
        await cluster.ready()
        audience = len(cluster.chats)
        started = time.perf_counter()
        await cluster.announce_race()

        async def everyone() -> bool:
            return await cluster.sent_count() >= audience

        await cluster.wait_until("every chat reached", everyone, timeout=audience / 25 + 120, every=2.0)
        total_s = time.perf_counter() - started
        await asyncio.sleep(3)  # anything sent twice would arrive now
        sends = await cluster.sends()
        stats = await cluster.control("stats")
        shares = {}
        for replica in cluster.replicas:
            shares[replica.name] = await cluster.metric(
                replica, "pitboard_messages_sent", "pitboard_messages_sent_total"
            )
        leader = (await cluster.leaders())[0]
        await cluster.kill(leader)
        killed_at = time.monotonic()

        async def new_leader() -> bool:
            return len(await cluster.leaders()) == 1

        failover = await cluster.wait_until("another replica leads", new_leader, timeout=120, every=0.1)
        failover = time.monotonic() - killed_at
    except BaseException:
        for replica in cluster.replicas:
            print(f"--- {replica.name} (pid {replica.pid}), last lines:\n{cluster.tail(replica)}", file=sys.stderr)
        raise
    finally:
        await cluster.stop()
        if pg is not None:
            pg.stop("immediate")
            shutil.rmtree(pg.root, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    audience_set = set(cluster.chats)
    ok = [c for c in sends if c["status"] == 200]
    broadcast = sorted(c["counted_at"] for c in ok if c["params"]["chat_id"] in audience_set)
    everything = sorted(counted_times(ok))
    per_chat = Counter(c["params"]["chat_id"] for c in ok if c["params"]["chat_id"] in audience_set)
    span = broadcast[-1] - broadcast[0] if len(broadcast) > 1 else 1.0
    in_window = [t for t in everything if broadcast and broadcast[0] <= t <= broadcast[-1]]
    rate = (len(in_window) - 1) / span
    lost = audience - len(per_chat)
    duplicates = sum(n - 1 for n in per_chat.values())
    print(f"{replicas} replicas on one PostgreSQL; stand-in (own process) enforcing Telegram's limits")
    print(f"{audience} chats reached in {total_s:.1f} s from the import (planning by the leader included)")
    print(f"combined rate {rate:.2f} messages/s of {ALLOWED:.0f} allowed: ratio {rate / ALLOWED:.3f} (goal ≥ 0.95)")
    print(f"most in any one second: {most_in_a_second(everything)} (limit 30)")
    print(f"429s {stats['rejected_429']} (goal 0), lost {lost} (0), duplicates {duplicates} (0)")
    print("sent per replica: " + ", ".join(f"{name} {int(n or 0)}" for name, n in shares.items()))
    print(
        f"leader failover after kill -9: {failover:.1f} s"
        f" (goal ≤ {FAILOVER_GOAL:.0f} s, ratio {failover / FAILOVER_GOAL:.2f})"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--database", help="postgresql://… of an empty database (default: a server of its own)")
    args = parser.parse_args()
    asyncio.run(main(args.chats, args.groups, args.replicas, args.database))

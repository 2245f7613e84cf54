"""Several real `pitboard run --webhook` processes on one PostgreSQL, and the Bot API stand-in in a process of
its own enforcing Telegram's limits (30/s overall, 1/s per private chat, 20/min per group → 429 with
retry_after): the replicas' acceptance test (tests/test_replicas_processes.py) and bench/replicas.py.

The audience is the GT World Challenge Europe 2023 season (../shared/data) with every round but Barcelona
imported; importing Barcelona from another process (the test's) is the news: the leader's change feed
plans a race summary to every chat following Klaus Bachler, and every replica sends a share.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.ingest.importers import load_paths
from storage.store import Store
from tests.conftest import GTWC, ROOT, SERIES
from tests.pgserver import PgServer, free_port

TOKEN = "4242:REPLICAS-TEST"
SECRET = "replica-webhook-secret"
PRIVATE_BASE = 10_000_000
GROUP_BASE = -1_000_000_000_000


@dataclass
class Replica:
    name: str
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process.returncode is None


@dataclass
class Cluster:
    pg: PgServer
    database: str  # the PostgreSQL URL the replicas share
    workdir: Path
    lease: float = 10.0  # PITBOARD_CLAIM_LEASE_SECONDS: a killed replica's rows are retaken this long after
    replicas: list[Replica] = field(default_factory=list)
    chats: list[int] = field(default_factory=list)
    _standin: asyncio.subprocess.Process | None = None
    base_url: str = ""
    _session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        assert self._session is not None, "start the cluster first"
        return self._session

    async def start_standin(self) -> None:
        """Telegram's stand-in in its own process, as Telegram is: it counts sends as they arrive."""
        self._session = aiohttp.ClientSession()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.standin",
            "--port",
            "0",
            "--token",
            TOKEN,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        self._standin = process
        assert process.stdout is not None
        while True:
            line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
            if not line:
                raise RuntimeError("the stand-in did not start")
            if line.startswith("base_url"):
                self.base_url = line.split()[1]
                return

    async def control(self, action: str, **body: object) -> Any:
        root = self.base_url.rsplit("/", 1)[0]
        async with self.session.post(f"{root}/_standin/{action}", json=body) as response:
            response.raise_for_status()
            return (await response.json())["result"]

    async def seed(self, private: int, groups: int) -> None:
        """The season without its Barcelona round, and `private` + `groups` chats following Klaus Bachler, in
        the store and at the stand-in."""
        rounds = [p for p in sorted(GTWC.iterdir()) if p.is_dir() and p.name not in ("Barcelona", "Zandvoort")]
        private_ids = [PRIVATE_BASE + i for i in range(private)]
        group_ids = [GROUP_BASE - i for i in range(groups)]
        self.chats = private_ids + group_ids
        async with await Store.open(self.database) as store:
            await store.apply(load_paths([SERIES / "gtwc-europe-2023.json", *rounds], season=2023))
            bachler = next(n.driver_id for n in await store.drivers.driver_names() if n.name == "Klaus Bachler")
            await store.chats.add_many(
                [(c, "private", "en") for c in private_ids] + [(g, "supergroup", "en") for g in group_ids],
                [(c, "driver", bachler) for c in self.chats],
            )
        await self.control("audience", private=private_ids, groups=group_ids)

    def _env(self, port: int) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("PITBOARD_", "TELEGRAM_"))}
        return {
            **keep,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.base_url,
            "PITBOARD_DATABASE": self.database,
            "PITBOARD_WEBHOOK_URL": f"http://127.0.0.1:{port}/hook",
            "PITBOARD_WEBHOOK_SECRET": SECRET,
            "PITBOARD_LISTEN": f"127.0.0.1:{port}",
            "PITBOARD_SYNC_F1": "false",
            # The 2023 race replayed as news (results older than this alert nobody).
            "PITBOARD_RESULTS_NEWS_DAYS": "3650",
            "PITBOARD_ALERT_POLL_SECONDS": "1",
            "PITBOARD_CLAIM_LEASE_SECONDS": str(self.lease),
            "PITBOARD_LOG_LEVEL": "INFO",
        }

    async def start_replicas(self, count: int) -> None:
        for n in range(count):
            port = free_port()
            log = self.workdir / f"replica-{n}.log"
            with log.open("wb") as out:
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-m",
                    "bot.cli",
                    "run",
                    "--webhook",
                    env=self._env(port),
                    cwd=self.workdir,  # no .env of the checkout
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=out,
                )
            self.replicas.append(Replica(f"replica-{n}", port, process, log))

    async def get(self, replica: Replica, path: str) -> tuple[int, str]:
        try:
            async with self.session.get(f"{replica.url}{path}", timeout=aiohttp.ClientTimeout(total=5)) as r:
                return r.status, await r.text()
        except (aiohttp.ClientError, TimeoutError):
            return 0, ""

    async def metric(self, replica: Replica, name: str, sample: str | None = None) -> float | None:
        status, body = await self.get(replica, "/metrics")
        if status != 200:
            return None
        for family in text_string_to_metric_families(body):
            if family.name == name:
                return sum(s.value for s in family.samples if s.name == (sample or name))
        return None

    async def leaders(self) -> list[Replica]:
        return [r for r in self.replicas if r.alive and await self.metric(r, "pitboard_leader") == 1]

    async def wait_until(self, what: str, check: Any, timeout: float, every: float = 0.2) -> float:
        """Seconds until `await check()` is true; raises naming `what` after `timeout`."""
        started = time.monotonic()
        while not await check():
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{what}: not within {timeout:.0f} s; logs in {self.workdir}")
            for replica in self.replicas:
                if replica.process.returncode not in (None, -signal.SIGKILL):
                    raise AssertionError(
                        f"{replica.name} exited with {replica.process.returncode}: {self.tail(replica)}"
                    )
            await asyncio.sleep(every)
        return time.monotonic() - started

    async def ready(self) -> None:
        """Every replica answers /readyz and exactly one leads."""

        async def all_ready() -> bool:
            statuses = [(await self.get(r, "/readyz"))[0] for r in self.replicas]
            return all(s == 200 for s in statuses) and len(await self.leaders()) == 1

        await self.wait_until("every replica ready, one leader", all_ready, 90)

    async def announce_race(self) -> None:
        """Barcelona's results imported by another process: the leader's change feed turns them into news."""
        async with await Store.open(self.database) as store:
            await store.apply(load_paths([GTWC / "Barcelona"], season=2023))

    async def sent_count(self) -> int:
        """Messages the stand-in accepted so far: cheap to ask while a broadcast runs, unlike the calls
        themselves (serializing thousands of them holds the stand-in up, and its sends then arrive bunched)."""
        return int((await self.control("stats"))["sent_count"])

    async def sends(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = await self.control("calls", method="sendMessage")
        return calls

    async def delivered(self) -> Counter[int]:
        """How many times each chat of the audience got its message."""
        audience = set(self.chats)
        return Counter(
            c["params"]["chat_id"]
            for c in await self.sends()
            if c["status"] == 200 and c["params"]["chat_id"] in audience
        )

    def tail(self, replica: Replica, lines: int = 30) -> str:
        kept = [line for line in replica.log.read_text(errors="replace").splitlines() if "apscheduler" not in line]
        return "\n".join(kept[-lines:])

    async def kill(self, replica: Replica) -> None:
        replica.process.send_signal(signal.SIGKILL)
        await replica.process.wait()

    async def stop(self) -> None:
        for replica in self.replicas:
            if replica.alive:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            try:
                await asyncio.wait_for(replica.process.wait(), 30)
            except TimeoutError:
                replica.process.kill()
                await replica.process.wait()
        if self._standin is not None and self._standin.returncode is None:
            self._standin.terminate()
            await self._standin.wait()
        if self._session is not None:
            await self._session.close()


def counted_times(sends: list[dict[str, Any]]) -> list[float]:
    """When the stand-in's flood limiter counted each admitted send (as Telegram counts a send when it takes
    it in; the call's `time` is when the answer was ready, later by however long answering took)."""
    times = [c["counted_at"] for c in sends if c["status"] == 200]
    assert None not in times, "a send the stand-in did not count: are its limits enforced?"
    return times


def most_in_a_second(times: list[float]) -> int:
    """The most sends inside any one-second window (half-open, as the stand-in counts)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best

"""/readyz, /healthz and /metrics of the real Application on a real PostgreSQL server that this test stops and
starts again (its own server: the shared one must stay up for the other tests).

Issue 11's acceptance: "/readyz turns non-200 when PostgreSQL is stopped" (with a reason naming the database),
the replica keeps answering /healthz, and once the server is back the pool reconnects and /readyz is 200 again.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.clock import ManualClock
from tests.botenv import running_bot
from tests.conftest import pg_unavailable
from tests.pgserver import PgServer, bin_dir
from tests.test_http_surface import get, samples, surface, value

ANA = 1001


@pytest.fixture
def own_pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server for this test alone (tempfile.mkdtemp: the `postgres` user must reach it)."""
    if bin_dir() is None:
        pg_unavailable("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH)")
    root = Path(tempfile.mkdtemp(prefix="pitboard-ready-"))
    server = PgServer(root)
    try:
        server.start()
    except Exception as exc:
        shutil.rmtree(root, ignore_errors=True)
        pg_unavailable(f"PostgreSQL did not start: {exc}")
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


async def test_readyz_follows_a_stopped_and_restarted_postgresql(own_pg_server: PgServer) -> None:
    clock = ManualClock()
    settings = {"PITBOARD_READY_API_SECONDS": 300}
    async with running_bot(own_pg_server.url, clock=clock, settings=settings) as env, surface(env) as url:
        env.standin.user(ANA, first_name="Ana", language_code="en")
        assert env.store.db.dialect == "postgresql"
        await env.say(ANA, ANA, "/start")
        status, _, body = await get(f"{url}/readyz")
        assert (status, body) == (200, b"ready\n")

        # /metrics parses on PostgreSQL, with the outbox counted by state from the server.
        status, _, body = await get(f"{url}/metrics")
        assert status == 200
        found = samples(body.decode())
        assert value(found, "pitboard_updates_handled", "pitboard_updates_handled_total", command="start") == 1
        assert value(found, "pitboard_outbox_rows", "pitboard_outbox_rows", state="sent") >= 1

        own_pg_server.stop("fast")
        status, _, body = await get(f"{url}/readyz")
        assert status == 503, body
        assert b"database not reachable" in body and b"PostgreSQL" in body, body
        assert (await get(f"{url}/healthz"))[0] == 200
        # A scrape during the outage still answers, with the counters kept in memory.
        status, _, body = await get(f"{url}/metrics")
        assert status == 200 and "pitboard_updates_handled" in samples(body.decode())

        own_pg_server.start()
        status, _, body = await get(f"{url}/readyz")
        assert (status, body) == (200, b"ready\n")
        # The pool serves the bot again: a command after the outage is answered.
        reply = await env.say(ANA, ANA, "/help")
        assert reply, "no answer after PostgreSQL came back"

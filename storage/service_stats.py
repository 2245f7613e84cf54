"""Counts for the service's own monitoring (/metrics): read at scrape time, never cached."""

from __future__ import annotations

from storage.database import Database
from storage.db import migrations

OUTBOX_STATES = ("pending", "sending", "sent", "failed", "dead")


async def outbox_states(db: Database) -> dict[str, int]:
    """Rows per outbox state, every known state present (0 where none)."""
    counts = dict.fromkeys(OUTBOX_STATES, 0)
    for state, count in await db.fetch_tuples("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
        counts[str(state)] = int(count)
    return counts


def expected_schema_version() -> int:
    """The number of the newest migration shipped: what a ready store's schema_version() says."""
    return max(version for version, _, _ in migrations())

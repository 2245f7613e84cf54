"""Counts for the service's own monitoring (/metrics): read at scrape time, never cached."""

from __future__ import annotations

from datetime import UTC, datetime

from storage.database import Database, Dialect
from storage.migrate import newest_version

OUTBOX_STATES = ("pending", "sending", "sent", "failed", "dead")


async def outbox_states(db: Database) -> dict[str, int]:
    """Rows per outbox state, every known state present (0 where none)."""
    counts = dict.fromkeys(OUTBOX_STATES, 0)
    for state, count in await db.fetch_tuples("SELECT state, COUNT(*) FROM outbox GROUP BY state"):
        counts[str(state)] = int(count)
    return counts


async def oldest_due(db: Database, now: datetime) -> float:
    """Seconds the oldest row that is due (pending or failed, its time come) has waited; 0 when none."""
    stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    due = await db.fetchval(
        "SELECT MIN(next_attempt_at) FROM outbox WHERE state IN ('pending', 'failed') AND next_attempt_at <= ?", stamp
    )
    if not due:
        return 0.0
    waited = now - datetime.fromisoformat(str(due).replace("Z", "+00:00"))
    return max(waited.total_seconds(), 0.0)


def expected_schema_version(dialect: Dialect = "sqlite") -> int:
    """The number of the newest migration shipped: what a ready store's schema_version() says."""
    return newest_version(dialect)

"""Sending as one replica among several on one PostgreSQL (issue 11): the flood limits kept for the bot as a
whole in the database (SharedFloodGate), the outbox claimed row by row (OutboxClaims) by a sender woken with
LISTEN/NOTIFY (OutboxListener). bot/app.py calls `replicate` when the store is PostgreSQL; SQLite's one
process keeps its in-process gate and drain.
"""

from __future__ import annotations

import os
import secrets
import socket

import asyncpg

from bot.core.clock import SYSTEM, Clock
from bot.delivery.delivery import Delivery
from bot.delivery.gate import Limits
from bot.delivery.replica_worker import LEASE, ReplicaSender
from bot.delivery.shared_gate import REPLICA_MARGIN, SharedFloodGate
from storage.outbox_claims import OutboxClaims, OutboxListener
from storage.shared_limits import SharedLimits


def replica_name() -> str:
    """Unique per process, readable in the outbox's claimed_by: host, pid and a few random bytes (a pid is
    reused after a restart, and containers share pids)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def shared_gate(pool: asyncpg.Pool, per_second: float = 30.0, clock: Clock = SYSTEM) -> SharedFloodGate:
    return SharedFloodGate(SharedLimits(pool), Limits(per_second=per_second, margin=REPLICA_MARGIN), clock=clock)


def replicate(
    delivery: Delivery, pool: asyncpg.Pool, dsn: str, clock: Clock = SYSTEM, lease: float = LEASE
) -> ReplicaSender:
    """Start `delivery`'s replica sender: claims as this process, woken by NOTIFY on its own connection."""
    claims = OutboxClaims(pool, replica_name(), clock.now)
    return delivery.replicate(claims, OutboxListener(dsn), lease)

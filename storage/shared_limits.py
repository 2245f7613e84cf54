"""The state of one flood limiter shared by every replica (bot/delivery/shared_gate.py decides with it).

Sends are handed out as slots on one time line per bucket ('global' for ordinary sends, 'paid' for paid
broadcasts): each slot is at least `spacing` after the previous one, whichever replica took it, so the bot
as a whole never sends more than 1/spacing per second, with no bursts. A chat's latest slots (one for a
private chat, twenty for a group) hold back its next send; a 429's pause (the whole bot, or one chat) is a
row every reservation reads.

One transaction reserves slots for every send a replica has waiting (a batch), serialized with the other
replicas on the bucket's row: the database sees at most one short transaction per send, however many
replicas there are — and sends are at most 30/s for the bot as a whole. Times are seconds since the epoch
(the injected clock's `now()`), the one time base replicas on different machines share.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

GLOBAL = "global"
PAID = "paid"


@dataclass(frozen=True, slots=True)
class Rules:
    """Slot spacing per bucket, per-chat windows (count sends per window seconds)."""

    spacing: float  # seconds between two slots of the bucket
    private_count: int = 1
    private_window: float = 1.0
    group_count: int = 20
    group_window: float = 60.0


@dataclass(frozen=True, slots=True)
class Request:
    chat_id: int
    reply: bool  # replies may reserve however far ahead the bucket is booked; broadcasts only `horizon`


@dataclass(frozen=True, slots=True)
class Grant:
    chat_id: int
    slot: float | None  # the moment to send at; None: nothing reserved, ask again at `retry_at`
    retry_at: float


class SharedLimits:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.transactions = 0  # reservations made (for tests and /metrics)

    async def reserve(
        self, requests: list[Request], now: float, bucket: str, rules: Rules, horizon: float | None
    ) -> list[Grant]:
        """A slot for each request, in order, or the moment to ask again (the chat's window or a pause is
        not over, or — for a broadcast, with `horizon` — the bucket is booked more than `horizon` ahead)."""
        chat_ids = sorted({r.chat_id for r in requests})
        self.transactions += 1
        async with self.pool.acquire() as conn, conn.transaction():
            # The bucket's row first: every reservation takes it, so replicas take turns here and each reads
            # the chats' rows as the previous one left them.
            buckets = {
                r["name"]: (r["next_free"], r["paused_until"])
                for r in await conn.fetch(
                    "SELECT name, next_free, paused_until FROM shared_limits WHERE name = ANY($1::text[]) FOR UPDATE",
                    sorted({bucket, GLOBAL}),
                )
            }
            if bucket not in buckets:
                raise LookupError(f"no shared limit bucket {bucket!r} (migration 0010 creates them)")
            next_free = buckets[bucket][0]
            paused = max(p for _, p in buckets.values())
            chats = {
                r["chat_id"]: (_times(r["recent"]), r["paused_until"])
                for r in await conn.fetch(
                    "SELECT chat_id, recent, paused_until FROM shared_chat_limits WHERE chat_id = ANY($1::bigint[])",
                    chat_ids,
                )
            }
            grants: list[Grant] = []
            changed: dict[int, list[float]] = {}
            for request in requests:
                recent, chat_paused = chats.get(request.chat_id, ([], 0.0))
                if request.chat_id > 0:
                    count, window = rules.private_count, rules.private_window
                else:
                    count, window = rules.group_count, rules.group_window
                earliest = max(now, paused, chat_paused)
                if len(recent) >= count:
                    earliest = max(earliest, recent[-count] + window)
                booked = max(next_free, now)
                if earliest > booked + _EPSILON:
                    grants.append(Grant(request.chat_id, None, earliest))  # the chat or a pause holds it
                    continue
                if horizon is not None and not request.reply and booked > now + horizon:
                    grants.append(Grant(request.chat_id, None, booked - horizon))
                    continue
                slot = max(booked, earliest)
                next_free = slot + rules.spacing
                recent = [*recent, slot][-count:]
                chats[request.chat_id] = (recent, chat_paused)
                changed[request.chat_id] = recent
                grants.append(Grant(request.chat_id, slot, slot))
            if changed:
                await conn.execute("UPDATE shared_limits SET next_free = $2 WHERE name = $1", bucket, next_free)
                await conn.execute(
                    "INSERT INTO shared_chat_limits (chat_id, recent)"
                    " SELECT * FROM unnest($1::bigint[], $2::text[])"
                    " ON CONFLICT (chat_id) DO UPDATE SET recent = EXCLUDED.recent",
                    list(changed),
                    [" ".join(repr(t) for t in times) for times in changed.values()],
                )
        return grants

    async def pause(self, chat_id: int | None, until: float) -> None:
        """A 429: hold the chat (None: the whole bot) until `until`, for every replica."""
        if chat_id is None:
            await self.pool.execute(
                "UPDATE shared_limits SET paused_until = GREATEST(paused_until, $1) WHERE name = $2", until, GLOBAL
            )
        else:
            await self.pool.execute(
                "INSERT INTO shared_chat_limits (chat_id, paused_until) VALUES ($1, $2) ON CONFLICT (chat_id)"
                " DO UPDATE SET paused_until = GREATEST(shared_chat_limits.paused_until, EXCLUDED.paused_until)",
                chat_id,
                until,
            )

    async def paused_until(self, chat_id: int) -> float:
        """The later of the bot's and the chat's pause (0 when none was ever given)."""
        value = await self.pool.fetchval(
            "SELECT GREATEST(g.paused_until, COALESCE(c.paused_until, 0)) FROM shared_limits g"
            " LEFT JOIN shared_chat_limits c ON c.chat_id = $1 WHERE g.name = $2",
            chat_id,
            GLOBAL,
        )
        return float(value or 0.0)

    async def prune(self, before: float) -> int:
        """Forget chats whose last send and pause are older than `before` (the longest window ago): they
        hold nothing back any more. The leader runs it now and then."""
        rows = await self.pool.fetch("SELECT chat_id, recent FROM shared_chat_limits WHERE paused_until < $1", before)
        stale = [r["chat_id"] for r in rows if not (times := _times(r["recent"])) or times[-1] < before]
        if not stale:
            return 0
        status = await self.pool.execute(
            "DELETE FROM shared_chat_limits WHERE chat_id = ANY($1::bigint[]) AND paused_until < $2", stale, before
        )
        return int(status.rsplit(" ", 1)[-1])


def _times(text: str) -> list[float]:
    return [float(t) for t in text.split()] if text else []


_EPSILON = 1e-6  # seconds: a floating-point rounding, not a wait

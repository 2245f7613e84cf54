"""The SQL of reminders and schedule notices: which (session, lead) pairs are due, and an alert's audience
as one set-based query (the chat's drivers, language, time zone and settings with it), read in batches.

Nothing here walks chats one by one: a poll costs the same for 100 chats as for 200,000 when nothing is due.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.core.chat_settings import DEFAULTS
from storage.database import Database
from storage.outbox import lock_alert

# What a chat that never changed a setting gets (bot/core/chat_settings.py), handed to the SQL as parameters.
DEFAULT_LEADS_JSON = json.dumps(list(DEFAULTS.reminder_minutes), separators=(",", ":"))
BATCH = 20_000  # audience rows per fetch and outbox rows per transaction: memory stays flat, writers take turns


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True, slots=True)
class ReminderPair:
    """One session and one lead time: the reminder `lead` minutes before `start_utc`."""

    session_id: int
    start_utc: str
    kind: str
    lead: int
    planned: bool

    @property
    def key(self) -> str:
        # The start is in the key: a moved session is reminded again at its new time.
        return f"reminder:{self.session_id}:{self.start_utc}:{self.lead}"


# (chat id, its drivers in the session comma-separated or None for a series/team follower, language, time zone,
# its reminder_minutes as JSON text): plain tuples, as 200,000 of them build several times faster than objects.
Recipient = tuple[int, str | None, str, str, str]


# (chat, driver) for everyone following the session: a driver entered at its event (from the few entries out
# to their followers, never through all follows), its series, or one of its teams; without an entry list, the
# drivers racing in the season. ?1 is the session, ?2 a single chat or NULL for all.
_AUDIENCE = """
WITH s AS (SELECT s.id, s.event_id, e.season_id, se.series_id FROM sessions s JOIN events e ON e.id = s.event_id
           JOIN seasons se ON se.id = e.season_id WHERE s.id = ?1),
aud(chat_id, driver_id) AS (
  SELECT f.chat_id, ed.driver_id FROM s CROSS JOIN entries en CROSS JOIN entry_drivers ed CROSS JOIN follows f
   WHERE en.event_id = s.event_id AND ed.entry_id = en.id AND f.target_kind = 'driver'
     AND f.target_id = ed.driver_id AND (?2 IS NULL OR f.chat_id = ?2)
  UNION ALL
  SELECT f.chat_id, NULL FROM s CROSS JOIN follows f
   WHERE f.target_kind = 'series' AND f.target_id = s.series_id AND (?2 IS NULL OR f.chat_id = ?2)
  UNION ALL
  SELECT f.chat_id, NULL FROM s CROSS JOIN entries en CROSS JOIN follows f
   WHERE en.event_id = s.event_id AND f.target_kind = 'team' AND f.target_id = en.team_id
     AND (?2 IS NULL OR f.chat_id = ?2)
  UNION ALL
  SELECT DISTINCT f.chat_id, ed.driver_id FROM s CROSS JOIN events e CROSS JOIN entries en
   CROSS JOIN entry_drivers ed CROSS JOIN follows f
   WHERE NOT EXISTS (SELECT 1 FROM entries x WHERE x.event_id = s.event_id)
     AND e.season_id = s.season_id AND en.event_id = e.id AND ed.entry_id = en.id
     AND f.target_kind = 'driver' AND f.target_id = ed.driver_id AND (?2 IS NULL OR f.chat_id = ?2)
),
"""
# Per chat its drivers, comma-separated (a driver in two cars of the event is there twice: the planner drops
# the repeat; DISTINCT here cost a quarter of the query).
_BY_CHAT = "byChat AS (SELECT chat_id, group_concat(driver_id) AS drivers FROM aud GROUP BY chat_id)\n"
_CHATS = "byChat AS (SELECT DISTINCT chat_id FROM aud)\n"

# PostgreSQL spells the same statements its own way: numbered parameters are $n and need their types
# (`$2 IS NULL` says nothing about $2), string_agg for group_concat, and the settings JSON read through
# jsonb, where a key holding JSON null reads as SQL NULL with ->> and must be made NULL with -> .
_PG_AUDIENCE = _AUDIENCE.replace("?1", "$1::bigint").replace("?2", "$2::bigint")
_PG_BY_CHAT = "byChat AS (SELECT chat_id, string_agg(driver_id::text, ',') AS drivers FROM aud GROUP BY chat_id)\n"


def _pg_setting(key: str) -> str:
    """The chat's setting `key` as text (its JSON form), NULL when unset or null."""
    return f"(c.settings::jsonb ->> '{key}')"


def _pg_wants(key: str, default: str) -> str:
    """A yes/no setting with its default ($n, 'true'/'false'): true unless stored as false (or 0)."""
    return f"coalesce({_pg_setting(key)}, {default}) NOT IN ('false', '0')"


class ReminderQueries:
    def __init__(self, db: Database) -> None:
        self.db = db

    @property
    def _postgres(self) -> bool:
        # These statements unpack JSON, with SQLite's json_each/json_extract/group_concat or PostgreSQL's jsonb.
        return self.db.dialect == "postgresql"

    async def leads_in_use(self) -> set[int]:
        """Every lead time some active chat has (one pass over chats, at start; kept up to date by the
        notifier as settings change)."""
        if self._postgres:
            rows = await self.db.fetch(
                "SELECT DISTINCT l.value::integer FROM chats c CROSS JOIN LATERAL jsonb_array_elements_text("
                " CASE WHEN jsonb_typeof(c.settings::jsonb -> 'reminder_minutes') = 'array'"
                " THEN c.settings::jsonb -> 'reminder_minutes' ELSE ?::jsonb END) AS l(value) WHERE c.active = 1",
                DEFAULT_LEADS_JSON,
            )
            return {int(r[0]) for r in rows if r[0] is not None}
        rows = await self.db.fetch(
            "SELECT DISTINCT CAST(j.value AS INTEGER) FROM chats c,"
            " json_each(coalesce(json_extract(c.settings, '$.reminder_minutes'), ?)) j WHERE c.active = 1",
            DEFAULT_LEADS_JSON,
        )
        return {int(r[0]) for r in rows if r[0] is not None}

    async def pairs(self, start_from: str, start_before: str, leads: Iterable[int]) -> list[ReminderPair]:
        """Every reminder of a timed, not cancelled race, sprint or qualifying starting in the window, one per
        lead time, with whether it has been planned: one query over sessions × leads (a few dozen rows)."""
        if self._postgres:
            rows = await self.db.fetch(
                "SELECT s.id, s.start_utc, s.kind, l.value,"
                " EXISTS (SELECT 1 FROM alerts a WHERE a.key = 'reminder:' || s.id || ':' || s.start_utc || ':'"
                "  || l.value AND a.planned_at IS NOT NULL)"
                " FROM sessions s CROSS JOIN unnest(?::integer[]) AS l(value)"
                " WHERE s.start_utc >= ? AND s.start_utc < ? AND s.status != 'cancelled'"
                " AND s.kind IN ('race', 'sprint', 'qualifying') ORDER BY s.start_utc, s.id, l.value",
                sorted(set(leads)),
                start_from,
                start_before,
            )
            return [ReminderPair(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]
        rows = await self.db.fetch(
            "SELECT s.id, s.start_utc, s.kind, CAST(l.value AS INTEGER),"
            " EXISTS (SELECT 1 FROM alerts a WHERE a.key = 'reminder:' || s.id || ':' || s.start_utc || ':' || l.value"
            "  AND a.planned_at IS NOT NULL)"
            " FROM sessions s CROSS JOIN json_each(?) l"
            " WHERE s.start_utc >= ? AND s.start_utc < ? AND s.status != 'cancelled'"
            " AND s.kind IN ('race', 'sprint', 'qualifying') ORDER BY s.start_utc, s.id",
            json.dumps(sorted(set(leads))),
            start_from,
            start_before,
        )
        return [ReminderPair(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]

    async def mark_planned(self, alert_ids: list[int], now: datetime) -> None:
        await self.db.executemany(
            "UPDATE alerts SET planned_at = ? WHERE id = ?", [(_stamp(now), alert_id) for alert_id in alert_ids]
        )

    async def chats_with_alerts(self, alert_ids: list[int], chat_id: int | None = None) -> dict[int, set[int]]:
        """alert → the chats that already have it (the ledger), for a session's due reminders in one query."""
        marks = ",".join("?" * len(alert_ids))
        out: dict[int, set[int]] = {alert_id: set() for alert_id in alert_ids}
        one = "" if chat_id is None else " AND chat_id = ?"
        for alert_id, chat in await self.db.fetch_tuples(
            f"SELECT alert_id, chat_id FROM outbox WHERE alert_id IN ({marks}){one}",
            *alert_ids,
            *(() if chat_id is None else (chat_id,)),
        ):
            out[alert_id].add(chat)
        return out

    async def reminder_audience(
        self, session_id: int, qualifying: bool, chat_id: int | None = None
    ) -> AsyncIterator[list[Recipient]]:
        """The session's active followers who want reminders of this kind of session, in batches."""
        wants_default = DEFAULTS.alert_qualifying if qualifying else DEFAULTS.alert_race
        if self._postgres:
            sql = (
                _PG_AUDIENCE + _PG_BY_CHAT + "SELECT b.chat_id, b.drivers, c.language, c.timezone,"
                f" coalesce({_pg_setting('reminder_minutes')}, $3::text) FROM byChat b JOIN chats c ON c.id = b.chat_id"
                f" WHERE c.active = 1 AND {_pg_wants('alert_qualifying' if qualifying else 'alert_race', '$4::text')}"
            )
            params: tuple[object, ...] = (session_id, chat_id, DEFAULT_LEADS_JSON, json.dumps(bool(wants_default)))
            async for rows in self._batches(sql, params):
                yield rows
            return
        wants = (
            "coalesce(json_extract(c.settings, '$.alert_qualifying'), ?4) != 0"
            if qualifying
            else "coalesce(json_extract(c.settings, '$.alert_race'), ?4) != 0"
        )
        sql = (
            _AUDIENCE + _BY_CHAT + "SELECT b.chat_id, b.drivers, c.language, c.timezone,"
            " coalesce(json_extract(c.settings, '$.reminder_minutes'), ?3)"
            f" FROM byChat b JOIN chats c ON c.id = b.chat_id WHERE c.active = 1 AND {wants}"
        )
        async for rows in self._batches(sql, (session_id, chat_id, DEFAULT_LEADS_JSON, int(wants_default))):
            yield rows

    async def schedule_audience(self, session_id: int) -> AsyncIterator[list[tuple[int, str, str]]]:
        """(chat, language, time zone) of the session's active followers who want schedule notices."""
        if self._postgres:
            sql = (
                _PG_AUDIENCE
                + _CHATS
                + "SELECT b.chat_id, c.language, c.timezone FROM byChat b JOIN chats c ON c.id = b.chat_id"
                f" WHERE c.active = 1 AND {_pg_wants('alert_schedule', '$3::text')}"
            )
            async for rows in self._batches(sql, (session_id, None, json.dumps(bool(DEFAULTS.alert_schedule)))):
                yield rows
            return
        sql = (
            _AUDIENCE
            + _CHATS
            + "SELECT b.chat_id, c.language, c.timezone FROM byChat b JOIN chats c ON c.id = b.chat_id"
            " WHERE c.active = 1 AND coalesce(json_extract(c.settings, '$.alert_schedule'), ?3) != 0"
        )
        async for rows in self._batches(sql, (session_id, None, int(DEFAULTS.alert_schedule))):
            yield rows

    async def _batches(self, sql: str, params: tuple[object, ...]) -> AsyncIterator[list[tuple[Any, ...]]]:
        # Plain tuples: an audience of 200,000 chats builds much faster than as rows. The database API reads
        # a query whole; the planner still gets (and writes) it batch by batch.
        rows = await self.db.fetch_tuples(sql, *params)
        for first in range(0, len(rows), BATCH):
            yield rows[first : first + BATCH]

    async def planned_rows(self, alert_id: int) -> dict[int, tuple[str, str]]:
        """chat → (state, text) of one alert: what planning queued (for tests and the operator's checks)."""
        parts = {
            r[0]: r[1] for r in await self.db.fetch("SELECT id, text FROM outbox_parts WHERE alert_id = ?", alert_id)
        }
        return {
            r[0]: (r[1], "\n".join(parts[int(i)] for i in r[3].split(",")) if r[3] else r[2])
            for r in await self.db.fetch("SELECT chat_id, state, text, parts FROM outbox WHERE alert_id = ?", alert_id)
        }

    async def record_skipped(self, alert_id: int, chat_ids: list[int], now: datetime) -> int:
        """A reminder that is no news any more (its session started, or the next one is due): recorded as
        'skipped', so it is neither sent nor planned again. Pending rows go through Outbox.enqueue_alerts."""
        stamp = _stamp(now)
        async with self.db.transaction() as tx:
            await lock_alert(tx, alert_id)  # the two counts below are this transaction's alone
            count = "SELECT count(*) FROM outbox WHERE alert_id = ?"
            before = int(await tx.fetchval(count, alert_id) or 0)
            await tx.executemany(
                "INSERT INTO outbox (alert_id, chat_id, priority, text, state, created_at)"
                " VALUES (?, ?, 10, '', 'skipped', ?) ON CONFLICT DO NOTHING",
                [(alert_id, chat_id, stamp) for chat_id in chat_ids],
            )
            return int(await tx.fetchval(count, alert_id) or 0) - before

"""Whether a waiting row is still worth sending. A row becomes `dead` for this or for a permanent error,
never because the Bot API was unreachable for a while."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.news import SUMMARY_MAX_AGE, parse_utc

# A command reply that could not leave (an outage, a crash) still goes out once the API is back, but an
# answer to a question asked more than this long ago is no longer expected: it is dropped instead.
REPLY_MAX_AGE = timedelta(minutes=15)


def stale_reason(
    kind: str | None,
    created_at: str | None,
    session_start: str | None,
    now: datetime,
    max_age: timedelta = SUMMARY_MAX_AGE,
) -> str | None:
    """Why the row is no longer relevant at `now`, or None while it is.

    A reminder is relevant until its session starts; every other alert (summary, correction, schedule
    notice, broadcast) for `max_age` after it was queued (a spoiler delay counts into that age); a command
    reply (no alert) for REPLY_MAX_AGE.
    """
    start = parse_utc(session_start)
    if kind == "reminder" and start is not None and now >= start:
        return "no longer relevant: the session has started"
    created = parse_utc(created_at)
    limit = REPLY_MAX_AGE if kind is None else max_age
    if created is not None and now - created > limit:
        return f"no longer relevant: older than {_hours(limit)}"
    return None


def _hours(age: timedelta) -> str:
    hours = age.total_seconds() / 3600
    return f"{hours:g} h" if hours >= 1 else f"{age.total_seconds() / 60:g} min"

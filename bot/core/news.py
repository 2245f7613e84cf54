"""Alerts are news, not history: the one rule that says whether a change is still worth telling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Results of a race that ended longer ago than this alert nobody (a back-fill of a past season).
RESULTS_NEWS_AGE = timedelta(days=3)
# A summary still waiting in the outbox after this long (an outage) is no longer sent.
SUMMARY_MAX_AGE = timedelta(hours=48)


def parse_utc(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def results_are_news(
    start_utc: str | None,
    end_utc: str | None,
    now: datetime,
    max_age: timedelta = RESULTS_NEWS_AGE,
    day: str | None = None,
) -> bool:
    """Results of a session are news while its end (or, unknown, its start) lies less than `max_age` back.

    `day`: the local day, for a session stored with a date but no time (result tables without a calendar
    time); it counts as over at noon UTC the day after, late enough for any zone. A session with no time
    and no day is news: nothing says it is old.
    """
    moment = parse_utc(end_utc) or parse_utc(start_utc)
    if moment is None and day:
        moment = datetime.fromisoformat(day[:10]).replace(tzinfo=UTC) + timedelta(days=1, hours=12)
    return moment is None or now - moment <= max_age

"""Alerts are news, not history: the one rule that says whether a change is still worth telling."""

from __future__ import annotations

from datetime import datetime, timedelta

# Results of a race that ended longer ago than this alert nobody (a back-fill of a past season).
RESULTS_NEWS_AGE = timedelta(days=3)
# A summary still waiting in the outbox after this long (an outage) is no longer sent.
SUMMARY_MAX_AGE = timedelta(hours=48)


def parse_utc(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def results_are_news(
    start_utc: str | None, end_utc: str | None, now: datetime, max_age: timedelta = RESULTS_NEWS_AGE
) -> bool:
    """Results of a session are news while its end (or, unknown, its start) lies less than `max_age` back.

    A session with no time at all is news: nothing says it is old.
    """
    moment = parse_utc(end_utc) or parse_utc(start_utc)
    return moment is None or now - moment <= max_age

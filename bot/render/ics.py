"""Sessions as an iCalendar file: what `/ics` sends a chat and `pitboard export-ics` writes.

- UIDs are stable per session (series, season, event key, session key), so importing the file again into
  a calendar app updates the entries instead of duplicating them.
- Times are UTC instants (DTSTART...Z): no VTIMEZONE to get wrong; the calendar app shows local time.
  A session whose time is not confirmed is an all-day entry on its day.
- VALARMs at the chat's reminder lead times (settings `reminder_minutes`).
- Titles in the chat's language. X-PITBOARD-* properties carry the stored names and kind, so the file
  re-imports into Pitboard unchanged (bot/ingest/importers/ics.py reads them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

import icalendar

from bot.i18n import Translator
from bot.ingest.importers.ics import pitboard_uid
from bot.services import chat_series
from storage.chats import Chat
from storage.schedule import CalendarSession
from storage.store import Store

PRODID = "-//Pitboard//Race calendar//EN"
DEFAULT_SESSION_LENGTH = timedelta(hours=2)  # for an end the store does not know


def _kind_word(t: Translator, kind: str) -> str:
    return {
        "practice": t("Practice"),
        "qualifying": t("Qualifying"),
        "sprint": t("Sprint"),
        "race": t("Race"),
        "stage": t("Race"),
    }.get(kind, kind)


def title(t: Translator, s: CalendarSession) -> str:
    kind = _kind_word(t, s.kind)
    if s.name.casefold() in (s.event_name.casefold(), kind.casefold()):
        return f"{s.event_name} – {kind}"
    return f"{s.event_name} – {kind}: {s.name}"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def render_ics(
    sessions: Iterable[CalendarSession],
    t: Translator,
    lead_minutes: Iterable[int] = (),
    name: str = "Pitboard",
    now: datetime | None = None,
) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    leads = sorted({int(m) for m in lead_minutes if int(m) > 0}, reverse=True)
    for s in sessions:
        if s.start_utc is None and s.start_date is None:
            continue  # no day known yet: nothing a calendar can show
        event = icalendar.Event()
        event.add("uid", pitboard_uid(s.series_slug, s.year, s.event_key, s.key))
        event.add("dtstamp", stamp)
        summary = title(t, s)
        event.add("summary", summary)
        if s.start_utc is not None:
            start = _utc(s.start_utc)
            event.add("dtstart", start)
            event.add("dtend", _utc(s.end_utc) if s.end_utc else start + DEFAULT_SESSION_LENGTH)
        else:
            day = date.fromisoformat(str(s.start_date))
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("description", t("Time to be confirmed."))
        if s.circuit:
            event.add("location", s.circuit)
        event.add("categories", [s.series_name])
        if s.status == "cancelled":
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
        event.add("x-pitboard-series", s.series_name)
        event.add("x-pitboard-event", s.event_name)
        event.add("x-pitboard-session", s.name)
        event.add("x-pitboard-kind", s.kind)
        if s.start_utc is not None and s.status != "cancelled":
            for minutes in leads:
                alarm = icalendar.Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", summary)
                alarm.add("trigger", -timedelta(minutes=minutes))
                event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical()


async def chat_calendar(store: Store, chat: Chat, now: datetime) -> bytes:
    """The sessions of the series a chat follows (directly or through its drivers and teams) from the start
    of this year on (a whole season: past entries cost nothing in a calendar app), with its reminder lead
    times and in its language."""
    series = await chat_series(store, chat.id)
    since = f"{now.astimezone(UTC).year}-01-01T00:00:00Z"
    sessions = await store.schedule.calendar_sessions(series, since_utc=since)
    return render_ics(sessions, Translator(chat.language), list(chat.prefs.reminder_minutes), now=now)

"""When things happen: /next, /calendar and session labels, in the chat's time zone."""

from __future__ import annotations

from datetime import date, datetime

from bot.i18n import Translator
from bot.render.common import e
from bot.render.rides import with_co_drivers
from bot.services import CarInfo, UpcomingSession
from storage.store import ScheduledSession


def when(
    t: Translator,
    start_utc: str | None,
    start_date: str | None,
    timezone: str,
    weekend: tuple[str | None, str | None] = (None, None),
) -> str:
    if start_utc:
        moment = datetime.fromisoformat(start_utc.replace("Z", "+00:00"))
        return f"{t.when(moment, timezone)} {e(t.zone_name(moment, timezone))}"
    if start_date:
        return f"{t.date(date.fromisoformat(start_date))}, {t('time TBC')}"
    first, last = weekend
    if first and last and first != last:
        return f"{t.date_range(date.fromisoformat(first), date.fromisoformat(last))}, {t('day and time TBC')}"
    if last or first:
        return f"{t.date(date.fromisoformat(last or first or ''))}, {t('time TBC')}"
    return t("date and time TBC")


def car_line(t: Translator, car: CarInfo) -> str:
    ride = car.ride
    parts = [f"#{e(ride.number)}"]
    if ride.team:
        parts.append(e(ride.team))
    if ride.car:
        parts.append(e(ride.car))
    text = " · ".join(parts)
    if ride.car_class:
        text += f" ({e(ride.car_class)})"
    line = f"  <b>{e(ride.driver)}</b> — {text}" + with_co_drivers(t, ride, " ")
    if not car.confirmed:
        line += " <i>" + t("(entry list not out yet)") + "</i>"
    return line


def next_sessions(t: Translator, sessions: list[UpcomingSession], timezone: str) -> str:
    if not sessions:
        return (
            t("No upcoming sessions for the drivers and series this chat follows.")
            + "\n"
            + t("See the season with /calendar, or follow more with /follow.")
        )
    lines = [f"<b>{t('Next sessions')}</b> <i>({e(timezone)})</i>"]
    last_event = None
    for s in sessions:
        if s.row.event_id != last_event:
            lines += ["", f"🏁 <b>{e(s.row.series_name)}</b> · {e(s.row.event_name)}"]
            last_event = s.row.event_id
        shown = when(t, s.row.start_utc, s.row.start_date, timezone, (s.row.event_start, s.row.event_end))
        lines.append(f"{e(session_label(t, s.row.session_name))}: {shown}")
        lines += [car_line(t, car) for car in s.cars]
    return "\n".join(lines)


def session_label(t: Translator, name: str) -> str:
    words = {"Race": t("Race"), "Qualifying": t("Qualifying"), "Sprint": t("Sprint")}
    head, _, tail = name.partition(" ")
    return f"{words.get(head, head)} {tail}".strip()


def calendar(
    t: Translator, series_name: str, year: int, sessions: list[ScheduledSession], timezone: str, today: date
) -> str:
    lines = [f"<b>{e(series_name)} {year}</b> <i>({e(timezone)})</i>"]
    seen: set[str] = set()
    for s in sessions:
        if s.kind not in ("race", "sprint") or (s.event_key in seen and s.kind != "race"):
            continue
        done = s.results_status != "none"
        day = s.start_date
        mark = "✅" if done else ("❌" if s.status == "cancelled" else "🗓")
        if not done and day and date.fromisoformat(day) < today:
            mark = "•"
        label = e(s.event_name) if s.key == "race" else f"{e(s.event_name)}, {e(session_label(t, s.name))}"
        lines.append(f"{mark} {label} — {when(t, s.start_utc, s.start_date, timezone)}")
        seen.add(s.event_key)
    return "\n".join(lines)

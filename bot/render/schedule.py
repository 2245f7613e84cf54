"""When things happen: /next, /calendar and session labels, in the chat's time zone.

/calendar: one line per event with its dates, raced ones marked done; the events still ahead with their
sessions, a line per day (in the chat's zone), "TBC" only where the store really has no day or time.
/next: the weekends ahead in the same shape (times with their zone), then the chat's drivers with their car of
that event: its own entry, "crew not yet announced" without an entry list, or "not on the entry list"."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, e
from bot.render.rides import with_co_drivers
from bot.services.schedule import CarInfo, CarState, SeasonCalendar, Session, Weekend, WeekendState

_INDENT = "    "
_MARKS = {WeekendState.DONE: "✅", WeekendState.NO_RESULTS: "•", WeekendState.CANCELLED: "❌", WeekendState.AHEAD: "🗓"}


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


def session_label(t: Translator, name: str) -> str:
    whole = {
        "Sprint Qualifying": t("Sprint Qualifying"),
        "Sprint Shootout": t("Sprint Qualifying"),
        "Qualifying (combined)": t("Qualifying (combined)"),
    }
    if name in whole:
        return whole[name]
    words = {"Race": t("Race"), "Qualifying": t("Qualifying"), "Sprint": t("Sprint"), "Practice": t("Practice")}
    head, _, tail = name.partition(" ")
    return f"{words.get(head, head)} {tail}".strip()


def event_days(t: Translator, weekend: Weekend) -> str:
    """The event's dates, the same in /calendar and /next."""
    first, last = weekend.first_day, weekend.last_day
    if first is None or last is None:
        return t("date TBC")
    return t.date_range(first, last)


def car_line(t: Translator, car: CarInfo) -> str:
    ride = car.ride
    if car.state is CarState.NOT_ENTERED:
        return f"  <b>{e(ride.driver)}</b> — <i>{t('not on the entry list')}</i>"
    parts = [f"#{e(ride.number)}"] if ride.number else []
    if ride.team:
        parts.append(e(ride.team))
    if ride.car and ride.car != ride.team:  # F1 files give the constructor as the car
        parts.append(e(ride.car))
    text = " · ".join(parts)
    if ride.car_class:
        text += f" ({e(ride.car_class)})"
    line = f"  <b>{e(ride.driver)}</b> — {text}"
    if car.state is CarState.NOT_ANNOUNCED:
        return line + " <i>(" + t("crew not yet announced") + ")</i>"
    return line + with_co_drivers(t, ride, " ")


def next_sessions(t: Translator, weekends: list[Weekend], timezone: str, series_name: str | None = None) -> str:
    if not weekends:
        if series_name is not None:
            return (
                t("No sessions ahead in {series}.", series=e(series_name)) + "\n" + t("See the season with /calendar.")
            )
        return (
            t("No upcoming sessions for the drivers and series this chat follows.")
            + "\n"
            + t("See the season with /calendar, or follow more with /follow.")
        )
    lines = [f"<b>{t('Next sessions')}</b> <i>({e(timezone)})</i>"]
    for weekend in weekends:
        lines += ["", f"🏁 <b>{e(weekend.series_name)}</b> · {e(weekend.name)} — {event_days(t, weekend)}"]
        lines += _day_lines(t, weekend.ahead, timezone, zone_names=True)
        lines += [car_line(t, car) for car in weekend.cars]
    return "\n".join(lines)


def _day_lines(t: Translator, sessions: list[Session], timezone: str, *, zone_names: bool = False) -> list[str]:
    """An upcoming event's sessions, one line per day in the chat's zone; those without a day last.
    `zone_names`: each time with its zone's abbreviation (CEST), for a view without the season around it."""
    by_day: dict[date, list[str]] = {}
    undated: list[str] = []
    for s in sessions:
        label = e(session_label(t, s.row.session_name))
        if s.cancelled:
            item = f"{label} ❌ {t('cancelled')}"
        elif s.start is not None:
            item = f"{label} {t.time(s.start, timezone)}"
            if zone_names:
                item += f" {e(t.zone_name(s.start, timezone))}"
        elif s.day is not None:
            item = f"{label}, {t('time TBC')}"
        else:
            undated.append(label)
            continue
        local_day = s.start.astimezone(ZoneInfo(timezone)).date() if s.start is not None else s.day
        assert local_day is not None
        by_day.setdefault(local_day, []).append(item)
    lines = [f"{_INDENT}{t.date_range(d, d)}: {' · '.join(items)}" for d, items in sorted(by_day.items())]
    if undated:
        lines.append(f"{_INDENT}{' · '.join(undated)}: {t('day and time TBC')}")
    return lines


def calendar(t: Translator, season: SeasonCalendar, timezone: str) -> Rendered:
    lines = [f"<b>{e(season.series_name)} {season.year}</b> <i>({e(timezone)})</i>"]
    for weekend in season.weekends:
        state = weekend.state
        line = f"{_MARKS[state]} {e(weekend.name)} — {event_days(t, weekend)}"
        if state is WeekendState.NO_RESULTS:
            line += f" · <i>{t('no results')}</i>"
        elif state is WeekendState.CANCELLED:
            line += f" · <i>{t('cancelled')}</i>"
        lines.append(line)
        if state is WeekendState.AHEAD:
            lines += _day_lines(t, weekend.ahead, timezone)
    if not season.weekends:
        lines.append(t("No events stored for this season."))
    row = []
    if season.previous_year is not None:
        data = callbacks.calendar_season(season.series_id, season.previous_year)
        row.append(InlineKeyboardButton(f"◀ {season.previous_year}", callback_data=data))
    if season.next_year is not None:
        data = callbacks.calendar_season(season.series_id, season.next_year)
        row.append(InlineKeyboardButton(f"{season.next_year} ▶", callback_data=data))
    return "\n".join(lines), InlineKeyboardMarkup([row]) if row else None

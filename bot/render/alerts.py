"""Alerts: reminders, race summaries, schedule notices, corrections and spoiler-safe teasers."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.alerts import DriverOutcome, RaceSummary, Reminder, ReminderCar
from bot.i18n import Translator
from bot.render.common import STATUS_SHORT, e
from bot.render.results import car_short
from bot.render.rides import car_text, with_co_drivers
from bot.render.schedule import session_label, when
from bot.render.settings import lead_label
from storage.store import SessionRef


def reminder(t: Translator, r: Reminder, timezone: str) -> str:
    return reminder_text(reminder_head(t, r.session, r.lead_minutes, timezone), [reminder_car(t, c) for c in r.cars])


def reminder_text(head: str, car_lines: list[str]) -> str:
    """A reminder from its head and car lines. The planner (bot/reminders.py) stores the same parts once per
    alert in the outbox and the sender joins them the same way: by a line break."""
    return head + "\n" + "\n".join(car_lines) if car_lines else head


def reminder_head(t: Translator, session: SessionRef, lead_minutes: int, timezone: str) -> str:
    assert session.start_utc is not None
    start = datetime.fromisoformat(session.start_utc.replace("Z", "+00:00"))
    lead = lead_label(t, lead_minutes)
    lines = [
        f"⏰ <b>{e(session.series_name)}</b> · {e(session.event_name)}",
        t(
            "{session} starts in {lead}: {when}",
            session=e(session_label(t, session.name)),
            lead=lead,
            when=f"<b>{t.when(start, timezone)} {e(t.zone_name(start, timezone))}</b>",
        ),
        "",
    ]
    return "\n".join(lines)


def reminder_car(t: Translator, car: ReminderCar) -> str:
    line = f"<b>{e(car.ride.driver)}</b> — {car_text(car.ride)}" + with_co_drivers(t, car.ride, " ")
    extras = []
    if car.grid:
        extras.append(
            t("grid P{pos}", pos=car.grid)
            + (
                " " + t("(P{pos} in {cls})", pos=car.class_grid, cls=e(car.ride.car_class))
                if car.class_grid and car.ride.car_class
                else ""
            )
        )
    if car.standing and car.championship:
        table = e(car.championship) + (f" {e(car.standing_class)}" if car.standing_class else "")
        extras.append(f"{table}: P{car.standing}")
    if extras:
        line += "\n  " + " · ".join(extras)
    return line


def outcome_text(t: Translator, o: DriverOutcome) -> str:
    parts = []
    car_class = o.ride.car_class
    if o.class_pole and car_class:
        parts.append(t("pole in {cls}", cls=e(car_class)))
    if o.status == "not_classified":
        parts.append(t.n("not classified after {n} lap", "not classified after {n} laps", o.laps or 0))
    elif o.status == "dnf":
        parts.append(t.n("retired after {n} lap", "retired after {n} laps", o.laps or 0))
    elif o.status in ("dns", "dsq"):
        parts.append(STATUS_SHORT[o.status])
    else:
        text = f"P{o.position}" if o.position else "–"
        if o.class_position and car_class:
            text += " " + t("(P{pos} in {cls})", pos=o.class_position, cls=e(car_class))
        parts.append(text)
    if o.fastest_in_class and o.status == "classified":
        parts.append(t("fastest lap in class"))
    if o.points is not None:
        parts.append(
            t.n("{n} point", "{n} points", int(o.points))
            if o.points == int(o.points)
            else t("{points} points", points=t.points(o.points))
        )
    if o.standing_after and o.championship:
        label = e(o.championship) + (f" {e(car_class)}" if car_class else "")
        before = f"P{o.standing_before} → " if o.standing_before and o.standing_before != o.standing_after else ""
        parts.append(f"{label}: {before}P{o.standing_after}")
    return " · ".join(parts)


def race_summary(t: Translator, summary: RaceSummary) -> str:
    s = summary.session
    lines = [f"🏁 <b>{e(s.series_name)}</b> · {e(s.event_name)} — {e(session_label(t, s.name))}"]
    if s.results_status == "provisional":
        lines[0] += f" <i>({t('provisional')})</i>"
    for o in summary.outcomes:
        head = f"<b>{e(o.ride.driver)}</b> ({car_text(o.ride, full=False)}" + with_co_drivers(t, o.ride, ", ")
        lines += ["", head + ")", outcome_text(t, o)]
    for title in summary.titles:
        holders = ", ".join(e(n) for n in title.drivers)
        text = "🏆 " + t(
            "{championship} {cls} title decided: {holders}",
            championship=e(title.championship),
            cls=e(title.car_class),
            holders=f"<b>{holders}</b>",
        )
        if title.teams:
            text += " · " + t("teams: {names}", names=", ".join(e(n) for n in title.teams))
        lines += ["", text]
    if summary.class_winners:
        lines += ["", f"<b>{t('Class winners')}</b>"]
        lines += [f"• {e(r.car_class)}: {car_short(r)}" for r in summary.class_winners]
    return "\n".join(lines)


def schedule_notice(t: Translator, session: SessionRef, what: str, old_start: str | None, timezone: str) -> str:
    head = f"📅 <b>{e(session.series_name)}</b> · {e(session.event_name)}, {e(session_label(t, session.name))}"
    if what == "cancelled":
        return head + "\n" + t("Cancelled.")
    new = when(t, session.start_utc, None, timezone)
    if old_start:
        return (
            head
            + "\n"
            + t("Moved: now {new} (was {old}).", new=f"<b>{new}</b>", old=when(t, old_start, None, timezone))
        )
    return head + "\n" + t("Start time confirmed: {new}.", new=f"<b>{new}</b>")


def correction(t: Translator, summary: RaceSummary) -> str:
    s = summary.session
    lines = [
        "✏️ "
        + t(
            "Corrected result, {event} ({session}):",
            event=f"<b>{e(s.event_name)}</b>",
            session=e(session_label(t, s.name)),
        )
    ]
    lines += [f"• {e(o.ride.driver)}: {outcome_text(t, o)}" for o in summary.outcomes]
    return "\n".join(lines)


def spoiler_button(t: Translator, session_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("👀 " + t("Show the result"), callback_data=callbacks.show_results(session_id))]]
    )


def spoiler_teaser(t: Translator, summary: RaceSummary, delay_hours: int) -> str:
    s = summary.session
    text = "🏁 " + t(
        "The result of {event} ({session}) is in.",
        event=f"<b>{e(s.event_name)}</b>",
        session=e(session_label(t, s.name)),
    )
    if delay_hours:
        text += "\n" + t.n(
            "Spoiler-safe: I send it in {n} hour, or tap to see it now.",
            "Spoiler-safe: I send it in {n} hours, or tap to see it now.",
            delay_hours,
        )
    else:
        text += "\n" + t("Spoiler-safe: tap to see it.")
    return text

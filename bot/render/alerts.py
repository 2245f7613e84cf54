"""Alerts: reminders, race summaries, schedule notices, corrections and spoiler-safe teasers."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.alerts.reminder import Reminder, ReminderCar
from bot.alerts.summary import ClinchedTitle, DriverOutcome, RaceSummary
from bot.core import callbacks
from bot.i18n import Translator
from bot.render.common import championship_name, e
from bot.render.results import car_short
from bot.render.rides import car_text, with_co_drivers
from bot.render.schedule import session_label, when
from bot.render.settings import lead_label
from storage.schedule import SessionRef


def reminder(t: Translator, r: Reminder, timezone: str) -> str:
    return reminder_text(reminder_head(t, r.session, r.lead_minutes, timezone), [reminder_car(t, c) for c in r.cars])


def reminder_text(head: str, car_lines: list[str]) -> str:
    """A reminder from its head and car lines. The planner (bot/jobs/reminders.py) stores the same parts once per
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


# Championship names come from the series definitions, in English; these are the ones a German chat reads
# in German (other names, "Sprint Cup", "WeatherTech Championship", are names in both languages).
def table_label(t: Translator, championship: str, car_class: str | None) -> str:
    """ "Bronze Cup (Overall)", or the championship alone where it has no classes."""
    name = e(championship_name(t, championship))
    return t("{cls} ({championship})", cls=e(car_class), championship=name) if car_class else name


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


_MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


def result_headline(t: Translator, o: DriverOutcome) -> tuple[str, str]:
    """(emoji, what the race was for the driver): "Class win", "Class pole, retired after 19 laps", "P3 in
    Bronze Cup"."""
    car_class = o.ride.car_class if o.class_race else None
    parts = []
    if o.class_pole:
        parts.append(t("class pole") if car_class else t("pole"))
    medal = ""
    if o.status == "not_classified":
        parts.append(
            t.n("not classified after {n} lap", "not classified after {n} laps", o.laps)
            if o.laps
            else t("not classified")
        )
    elif o.status == "dnf":
        parts.append(t.n("retired after {n} lap", "retired after {n} laps", o.laps) if o.laps else t("retired"))
    elif o.status == "dns":
        parts.append(t("did not start"))
    elif o.status == "dsq":
        parts.append(t("disqualified"))
    elif car_class and o.class_position:
        medal = _MEDALS.get(o.class_position, "")
        parts.append(
            t("class win") if o.class_position == 1 else t("P{pos} in {cls}", pos=o.class_position, cls=e(car_class))
        )
    elif o.position:
        medal = _MEDALS.get(o.position, "")
        parts.append(t("win") if o.position == 1 else f"P{o.position}")
    else:
        parts.append(t("finished"))
    return medal, _capitalised(", ".join(parts))


def title_headline(t: Translator, title: ClinchedTitle, o: DriverOutcome) -> str:
    """A title this race decided, as the driver's own line: "Bronze Cup champion (Overall)"."""
    championship = e(championship_name(t, title.championship))
    if o.driver_id in title.driver_ids:
        text = (
            t("{cls} champion ({championship})", cls=e(title.car_class), championship=championship)
            if title.car_class
            else t("Champion ({championship})", championship=championship)
        )
        if title.teams:
            text += " · " + t("teams: {names}", names=", ".join(e(n) for n in title.teams))
        return text
    team = e(o.ride.team or "")
    return (
        t(
            "{cls} teams' title with {team} ({championship})",
            cls=e(title.car_class),
            team=team,
            championship=championship,
        )
        if title.car_class
        else t("Title with {team} ({championship})", team=team, championship=championship)
    )


def _points(t: Translator, points: float) -> str:
    whole = int(points)
    return t.n("{n} pt", "{n} pts", whole) if points == whole else t("{points} pts", points=t.points(points))


def outcome_details(t: Translator, o: DriverOutcome) -> list[str]:
    """What follows the headline: overall position, fastest lap, points scored, the table before → after."""
    parts = []
    if o.class_race and o.position and o.status == "classified":
        parts.append(t("P{pos} overall", pos=o.position))
    if o.fastest_in_class and o.status == "classified":
        parts.append(t("fastest lap in class") if o.class_race else t("fastest lap"))
    if o.points:  # scored at this event; nothing scored reads from the table's total
        parts.append("+" + _points(t, o.points))
    if o.standing_after and o.championship:
        label = table_label(t, o.championship, o.ride.car_class)
        before = f"P{o.standing_before} → " if o.standing_before and o.standing_before != o.standing_after else ""
        total = f" ({_points(t, o.standing_points)})" if o.standing_points is not None else ""
        parts.append(f"{label}: {before}P{o.standing_after}{total}")
    return parts


def outcome_text(t: Translator, o: DriverOutcome) -> str:
    """One line: the headline and the details (corrections list the drivers this way)."""
    _, headline = result_headline(t, o)
    return " · ".join([headline, *outcome_details(t, o)])


def outcome_block(t: Translator, o: DriverOutcome) -> list[str]:
    """A followed driver's part of a summary: the headline first (a title decided for them, else the race),
    then the race, the car and the details."""
    medal, headline = result_headline(t, o)
    name = f"<b>{e(o.ride.driver)}</b>"
    titles = [title_headline(t, title, o) for title in [*o.titles, *o.car_titles]]
    if titles:
        lines = [f"🏆 {name} — {titles[0]}", *(f"🏆 {text}" for text in titles[1:])]
        lines.append(f"{medal} {headline}" if medal else headline)
    else:
        lines = [f"{medal} {name} — {headline}" if medal else f"{name} — {headline}"]
    car = car_text(o.ride, full=False) + (f", {e(o.ride.car_class)}" if o.class_race and o.ride.car_class else "")
    lines.append(car + with_co_drivers(t, o.ride, ", "))
    details = outcome_details(t, o)
    if details:
        lines.append(" · ".join(details))
    return lines


def title_line(t: Translator, title: ClinchedTitle) -> str:
    """A title decided at this race that no driver block named, with its holders."""
    championship = e(championship_name(t, title.championship))
    names = title.drivers or title.teams
    holders = f"<b>{', '.join(e(n) for n in names)}</b>"
    text = "🏆 " + (
        t(
            "{cls} title decided ({championship}): {holders}",
            cls=e(title.car_class),
            championship=championship,
            holders=holders,
        )
        if title.car_class
        else t("Title decided ({championship}): {holders}", championship=championship, holders=holders)
    )
    if title.drivers and title.teams:
        text += " · " + t("teams: {names}", names=", ".join(e(n) for n in title.teams))
    return text


def race_summary(t: Translator, summary: RaceSummary) -> str:
    s = summary.session
    lines = [f"🏁 <b>{e(s.series_name)}</b> · {e(s.event_name)} — {e(session_label(t, s.name))}"]
    if s.results_status == "provisional":
        lines[0] += f" <i>({t('provisional')})</i>"
    for o in summary.outcomes:
        lines += ["", *outcome_block(t, o)]
    # Titles named in a followed driver's own line are not repeated; the others follow, one line each.
    named = {id(title) for o in summary.outcomes for title in o.titles}
    others = [title_line(t, title) for title in summary.titles if id(title) not in named]
    if others:
        lines += ["", *others]
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

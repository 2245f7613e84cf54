"""Telegram HTML for everything the bot says. Every value from data or users is escaped here."""

from __future__ import annotations

from datetime import date, datetime
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.alerts import DriverOutcome, RaceSummary, Reminder, ReminderCar
from bot.i18n import Translator
from bot.rides import Ride
from bot.services import CarInfo, DriverProfile, RaceReport, Target, UpcomingSession
from bot.standings.service import NoRules, NotFound, StandingsTable
from storage.chats import Chat, Follow
from storage.store import ResultLine, ScheduledSession, SessionRef

Rendered = tuple[str, InlineKeyboardMarkup | None]
STATUS_SHORT = {"not_classified": "NC", "dnf": "DNF", "dns": "DNS", "dsq": "DSQ"}
MAX_TABLE_ROWS = 25


def e(value: object) -> str:
    return escape(str(value), quote=False)


def welcome(t: Translator, chat: Chat, first_name: str | None, examples: tuple[str, str, str] | None) -> str:
    """`examples`: (driver, series slug, team) the store knows (Store.follow_examples); None on an empty store."""
    driver, series, team = (e(x) for x in examples) if examples else ("NAME", "SLUG", "NAME")
    hello = t("Hi {name}!", name=e(first_name)) if first_name and not chat.is_group else t("Hi!")
    return "\n".join(
        [
            f"🏁 <b>Pitboard</b> — {t('race updates for the drivers you follow.')}",
            "",
            hello,
            t("Follow a driver: {example}", example=f"<code>/follow {driver}</code>"),
            t("A whole series: {example}", example=f"<code>/follow series {series}</code>"),
            t("A team: {example}", example=f"<code>/follow team {team}</code>"),
            "",
            t(
                "Then ask /next, /standings, /results or /driver — and I send reminders before races and a summary"
                " after them. /settings sets your time zone and language; /help lists everything."
            ),
        ]
    )


def group_welcome(t: Translator, title: str | None, forum: bool) -> str:
    lines = [
        f"🏁 <b>Pitboard</b> — {t('race reminders and results for {title}.', title=e(title or t('this group')))}",
        "",
        t(
            "Admins: follow drivers with {example}, set the time zone and language with /settings.",
            example="<code>/follow NAME</code>",
        ),
        t("Everyone can ask /next, /standings and /results."),
    ]
    if forum:
        lines.append(t("Send /here in the topic that should receive race alerts."))
    return "\n".join(lines)


def help_text(t: Translator, is_admin: bool) -> str:
    lines = [
        f"<b>{t('Commands')}</b>",
        f"/follow {t('NAME')} — {t('follow a driver (also: series SLUG, team NAME)')}",
        f"/unfollow — {t('stop following')}",
        f"/following — {t('what this chat follows')}",
        f"/next — {t('the next sessions of your drivers')}",
        f"/calendar — {t('the season calendar')}",
        f"/standings — {t('championship standings')}",
        f"/results — {t('the latest race')}",
        f"/driver {t('NAME')} — {t('a driver profile')}",
        f"/settings — {t('time zone, language, reminders, alerts')}",
        "/timezone Europe/Vienna · /language de",
    ]
    if is_admin:
        lines += ["", f"<b>{t('Admin')}</b>", "/stats · /import · /broadcast TEXT"]
    return "\n".join(lines)


# --- follows ------------------------------------------------------------------------------------------


def kind_label(t: Translator, kind: str) -> str:
    return {"driver": t("driver"), "team": t("team"), "series": t("series")}.get(kind, kind)


def followed(t: Translator, target: Target, new: bool) -> str:
    if new:
        return (
            t("✅ Now following {name}.", name=f"<b>{e(target.name)}</b>")
            + "\n"
            + t("You will get reminders before their races and a summary after. Try /next.")
        )
    return t("You already follow {name}.", name=f"<b>{e(target.name)}</b>")


def follow_choices(t: Translator, query: str, targets: list[Target]) -> Rendered:
    buttons = [
        [InlineKeyboardButton(target.name, callback_data=callbacks.follow(target.kind, target.id))]
        for target in targets[:8]
    ]
    return t("Several matches for “{query}” — which one?", query=e(query)), InlineKeyboardMarkup(buttons)


def follow_none(t: Translator, query: str, suggestions: list[Target]) -> Rendered:
    text = t("I know no one called “{query}”.", query=e(query))
    if not suggestions:
        return text + "\n" + t("Check the spelling, or try the surname only."), None
    buttons = [[InlineKeyboardButton(s.name, callback_data=callbacks.follow(s.kind, s.id))] for s in suggestions]
    return text + "\n" + t("Did you mean:"), InlineKeyboardMarkup(buttons)


def follow_usage(t: Translator, examples: tuple[str, str, str] | None) -> str:
    """`examples`: (driver, series slug, team) from the store (Store.follow_examples); None on an empty store."""
    if examples is None:
        return t("Whom should I follow? For example: {examples}", examples="<code>/follow NAME</code>")
    driver, series, team = (e(x) for x in examples)
    return t(
        "Whom should I follow? For example: {examples}",
        examples=f"<code>/follow {driver}</code>, <code>/follow series {series}</code>,"
        f" <code>/follow team {team}</code>",
    )


def following(t: Translator, follows: list[Follow], example: str | None = None) -> Rendered:
    """`example`: a driver's name from the store for the hint when the chat follows no one."""
    if not follows:
        return t(
            "This chat follows no one yet. Try {example}.", example=f"<code>/follow {e(example or 'NAME')}</code>"
        ), None
    lines = [f"<b>{t('Following')}</b>"]
    lines += [f"• {e(f.name)} <i>({kind_label(t, f.kind)})</i>" for f in follows]
    buttons = [
        [InlineKeyboardButton("✖ " + f.name, callback_data=callbacks.unfollow(f.kind, f.target_id))]
        for f in follows[:20]
    ]
    return "\n".join(lines) + "\n\n" + t("Tap a name to stop following."), InlineKeyboardMarkup(buttons)


def unfollowed(t: Translator, name: str, done: bool) -> str:
    if done:
        return t("Stopped following {name}.", name=f"<b>{e(name)}</b>")
    return t("This chat does not follow {name}.", name=f"<b>{e(name)}</b>")


# --- standings ----------------------------------------------------------------------------------------


def standings(
    t: Translator, table: StandingsTable, highlight: set[int], series_buttons: list[tuple[int, str]], series_id: int
) -> Rendered:
    title = f"{e(table.series_name)} {table.year} — {e(table.championship)}"
    if table.car_class:
        title += f" — {e(table.car_class)}"
    subject = t("Team") if table.subject == "teams" else t("Driver")
    rows = table.rows[:MAX_TABLE_ROWS]
    marked = [r for r in table.rows[MAX_TABLE_ROWS:] if r.subject_id in highlight]
    width = min(24, max([len(subject), *(len(r.name) for r in rows + marked)]))
    lines = [f"{'':1}{'#':>3} {subject:<{width}} {t('Pts'):>6}"]
    for row in [*rows, *marked]:
        mark = "»" if row.subject_id in highlight else " "
        name = row.name if len(row.name) <= width else row.name[: width - 1] + "…"
        lines.append(f"{mark}{row.position or '–':>3} {name:<{width}} {t.points(row.points):>6}")
    source = t("official") if table.source == "official" else t("computed from results")
    footer = t("{source}, after {event}", source=source, event=e(table.after_event or "—"))
    if highlight & {r.subject_id for r in table.rows}:
        footer += " · » " + t("your drivers")
    text = f"<b>{title}</b>\n<pre>{e(chr(10).join(lines))}</pre>\n<i>{footer}</i>"
    keyboard: list[list[InlineKeyboardButton]] = []
    if table.classes and len(table.classes) > 1:
        row_buttons = []
        for index, name in enumerate(table.classes):
            label = ("• " if name == table.car_class else "") + name
            row_buttons.append(
                InlineKeyboardButton(
                    label, callback_data=callbacks.standings(series_id, table.year, index + 1, table.subject == "teams")
                )
            )
        keyboard += [row_buttons[i : i + 3] for i in range(0, len(row_buttons), 3)]
    class_index = table.classes.index(table.car_class) + 1 if table.car_class in table.classes else 0
    other = t("Drivers") if table.subject == "teams" else t("Teams")
    keyboard.append(
        [
            InlineKeyboardButton(
                other, callback_data=callbacks.standings(series_id, table.year, class_index, table.subject != "teams")
            )
        ]
    )
    others = [
        InlineKeyboardButton(name, callback_data=callbacks.standings(sid, 0, 0, False))
        for sid, name in series_buttons
        if sid != series_id
    ]
    keyboard += [others[i : i + 3] for i in range(0, len(others), 3)]
    return text, InlineKeyboardMarkup(keyboard)


def pick_series(t: Translator, series: list[tuple[int, str]], command: str) -> Rendered:
    buttons = [
        [InlineKeyboardButton(name, callback_data=callbacks.standings(sid, 0, 0, False))] for sid, name in series
    ]
    if command != "standings":
        buttons = [
            [InlineKeyboardButton(name, callback_data=callbacks.series_command(command, sid))] for sid, name in series
        ]
    return t("Which series?"), InlineKeyboardMarkup(buttons) if buttons else None


def not_found(t: Translator, problem: NotFound) -> str:
    """A lookup that found nothing, in the chat's language where the bot has the words for it."""
    if isinstance(problem, NoRules):
        start = problem.start_from
        text = t(
            "No points rules for {season} yet. An admin can import them as a Pitboard JSON file (format:"
            " {doc}), starting from the shipped {example} definition <code>{file}</code>.",
            season=e(f"{problem.series_name} {problem.year}"),
            doc=f"<code>{e(problem.doc)}</code>",
            example=e(f"{start.name} {start.year}"),
            file=e(start.path.name),
        )
        return text
    return e(str(problem))


# --- schedule -----------------------------------------------------------------------------------------


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
    line = f"  <b>{e(ride.driver)}</b> — {text}" + _with_co_drivers(t, ride, " ")
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


# --- results ------------------------------------------------------------------------------------------


def result_position(t: Translator, r: ResultLine) -> str:
    if r.status in ("not_classified", "dnf", "dns", "dsq"):
        text = STATUS_SHORT[r.status]
        if r.laps:
            text += " " + t.n("after {n} lap", "after {n} laps", r.laps)
        return text
    text = f"P{r.position}" if r.position else "–"
    if r.class_position and r.car_class:
        text += " " + t("(P{pos} in {cls})", pos=r.class_position, cls=e(r.car_class))
    return text


def car_short(r: ResultLine) -> str:
    crew = ", ".join(e(c) for c in r.crew)
    team = f" {e(r.team)}" if r.team else ""
    return f"#{e(r.number)}{team} — {crew}"


def race_report(t: Translator, report: RaceReport) -> str:
    lines = [
        f"<b>{e(report.series_name)} {report.year} — {e(report.event_name)}</b>",
        f"<i>{e(session_label(t, report.session_name))}</i>",
    ]
    if report.results_status == "provisional":
        lines[-1] += " · " + t("provisional")
    medals = ["🥇", "🥈", "🥉"]
    lines.append("")
    for r in report.podium:
        lines.append(f"{medals[(r.position or 1) - 1]} {car_short(r)}")
    if report.class_winners:
        lines += ["", f"<b>{t('Class winners')}</b>"]
        lines += [f"• {e(r.car_class)}: {car_short(r)}" for r in report.class_winners]
    if report.followed:
        lines += ["", f"<b>{t('Your drivers')}</b>"]
        lines += [f"• {e(name)}: {result_position(t, r)} — #{e(r.number)}" for name, r in report.followed]
    return "\n".join(lines)


def driver_profile(t: Translator, profile: DriverProfile) -> Rendered:
    lines = [f"👤 <b>{e(profile.name)}</b>"]
    for car in profile.seasons:
        line = f"• {e(car.series_slug)} {car.year}: #{e(car.number)}"
        if car.team:
            line += f" {e(car.team)}"
        if car.car:
            line += f", {e(car.car)}"
        if car.car_class:
            line += f" ({e(car.car_class)})"
        crews = "; ".join(", ".join(e(n) for n in crew) for crew in car.crews if crew)
        if crews:
            line += " — " + t("with {names}", names=crews)
        lines.append(line)
    if profile.recent:
        lines += ["", f"<b>{t('Recent races')}</b>"]
        for series, event, result in profile.recent:
            shown = result_position(t, result) if result else t("no result")
            lines.append(f"• {e(series)} {e(event)}: {shown}")
    if profile.positions:
        lines += ["", f"<b>{t('Standings')}</b>"]
        for series, label, position, points in profile.positions:
            lines.append(f"• {e(series)} {e(label)}: P{position or '–'}, {t.points(points)} {t('pts')}")
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(t("Follow"), callback_data=callbacks.follow("driver", profile.driver_id))]]
    )
    return "\n".join(lines), markup


# --- settings -----------------------------------------------------------------------------------------

COMMON_ZONES = ("Europe/London", "Europe/Berlin", "Europe/Vienna", "America/New_York", "America/Los_Angeles", "UTC")
LEAD_CHOICES = (1440, 180, 60, 15)


def lead_label(t: Translator, minutes: int) -> str:
    return t.n("{n} h", "{n} h", minutes // 60) if minutes >= 60 else t.n("{n} min", "{n} min", minutes)


def spoiler_label(t: Translator, s: dict[str, object]) -> str:
    if not s.get("spoiler_safe"):
        return t("off")
    delay = int(str(s.get("spoiler_delay_hours", 0)))
    return t.n("summary after {n} hour", "summary after {n} hours", delay) if delay else t("only when asked")


def settings(t: Translator, chat: Chat) -> Rendered:
    s = chat.settings
    leads = s.get("reminder_minutes", [1440, 60])
    alerts = {
        "race": s.get("alert_race", True),
        "qualifying": s.get("alert_qualifying", False),
        "schedule": s.get("alert_schedule", True),
    }
    on, off = "✅", "▫️"
    lines = [
        f"<b>{t('Settings')}</b>",
        f"{t('Time zone')}: <b>{e(chat.timezone)}</b>",
        f"{t('Language')}: <b>{'Deutsch' if chat.language == 'de' else 'English'}</b>",
        f"{t('Reminders')}: <b>{', '.join(lead_label(t, m) for m in sorted(leads, reverse=True)) or t('none')}</b>"
        f" {t('before a session')}",
        f"{t('Alerts')}: "
        + ", ".join(
            f"{on if alerts[k] else off} {label}"
            for k, label in (("race", t("races")), ("qualifying", t("qualifying")), ("schedule", t("schedule changes")))
        ),
        f"{t('Spoiler-safe')}: <b>{spoiler_label(t, s)}</b>",
        "",
        t("Any zone: {example}", example="<code>/timezone America/Chicago</code>"),
    ]
    zone_buttons = [
        InlineKeyboardButton(
            ("• " if z == chat.timezone else "") + z.split("/")[-1].replace("_", " "),
            callback_data=callbacks.setting("tz", str(COMMON_ZONES.index(z))),
        )
        for z in COMMON_ZONES
    ]
    keyboard = [zone_buttons[:3], zone_buttons[3:]]
    keyboard.append(
        [
            InlineKeyboardButton(
                ("• " if chat.language == code else "") + label, callback_data=callbacks.setting("lang", code)
            )
            for code, label in (("en", "English"), ("de", "Deutsch"))
        ]
    )
    keyboard.append(
        [
            InlineKeyboardButton(
                (on if m in leads else off) + " " + lead_label(t, m), callback_data=callbacks.setting("lead", str(m))
            )
            for m in LEAD_CHOICES
        ]
    )
    keyboard.append(
        [
            InlineKeyboardButton((on if alerts[k] else off) + " " + label, callback_data=callbacks.setting("alert", k))
            for k, label in (("race", t("races")), ("qualifying", t("qualifying")), ("schedule", t("changes")))
        ]
    )
    keyboard.append(
        [
            InlineKeyboardButton(
                (on if s.get("spoiler_safe") else off) + " " + t("Spoiler-safe"),
                callback_data=callbacks.setting("spoiler", "x"),
            )
        ]
    )
    return "\n".join(lines), InlineKeyboardMarkup(keyboard)


# --- alerts -------------------------------------------------------------------------------------------


def _car(ride: Ride, *, full: bool = True) -> str:
    """Number, team, car and class ("#9 Team, Car, Class"); without `full` only number and team."""
    parts = [f"#{e(ride.number)}", *(e(x) for x in (ride.team, ride.car if full else None) if x)]
    text = " ".join(parts[:2]) + (f", {parts[2]}" if len(parts) > 2 else "")
    return text + (f", {e(ride.car_class)}" if full and ride.car_class else "")


def _with_co_drivers(t: Translator, ride: Ride, separator: str) -> str:
    if not ride.co_drivers:
        return ""
    return separator + t("with {names}", names=", ".join(e(c) for c in ride.co_drivers))


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
    line = f"<b>{e(car.ride.driver)}</b> — {_car(car.ride)}" + _with_co_drivers(t, car.ride, " ")
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
        head = f"<b>{e(o.ride.driver)}</b> ({_car(o.ride, full=False)}" + _with_co_drivers(t, o.ride, ", ")
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

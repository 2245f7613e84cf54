"""Race results and driver profiles."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.render.common import STATUS_SHORT, Rendered, e
from bot.render.schedule import session_label
from bot.services import DriverProfile, RaceReport
from storage.store import ResultLine


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

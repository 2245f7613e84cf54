"""Race results and driver profiles."""

from __future__ import annotations

from bot.i18n import Translator
from bot.render.common import STATUS_SHORT, e
from bot.render.schedule import session_label
from bot.services import RaceReport
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

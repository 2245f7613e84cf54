"""/driver: a driver's seasons, cars and crews, recent results and championship positions."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, e
from bot.render.results import result_position
from bot.services import DriverProfile


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

"""How a car and its crew read in reminders, summaries and /next."""

from __future__ import annotations

from bot.core.rides import Ride
from bot.i18n import Translator
from bot.render.common import e


def car_text(ride: Ride, *, full: bool = True) -> str:
    """Number, team, car and class ("#9 Team, Car, Class"); without `full` only number and team."""
    parts = [f"#{e(ride.number)}", *(e(x) for x in (ride.team, ride.car if full else None) if x)]
    text = " ".join(parts[:2]) + (f", {parts[2]}" if len(parts) > 2 else "")
    return text + (f", {e(ride.car_class)}" if full and ride.car_class else "")


def with_co_drivers(t: Translator, ride: Ride, separator: str) -> str:
    if not ride.co_drivers:
        return ""
    return separator + t("with {names}", names=", ".join(e(c) for c in ride.co_drivers))

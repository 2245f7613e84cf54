"""/driver: one line per season and series, recent results per session, championship places; and the
question between namesakes."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, championship_name, e
from bot.render.follow import candidate_label
from bot.render.results import result_position
from bot.render.schedule import session_label
from bot.services import Candidate, DriverProfile, SeasonLine
from storage.people import DriverResult

MAX_SEASON_LINES = 25


def _cars(season: SeasonLine) -> str:
    """Each team once with its numbers ("#7 Team A, #12 Team B"; "#3, #30 Team C" for two cars of one team)."""
    parts = []
    for team, numbers in season.cars:
        text = ", ".join(f"#{e(n)}" for n in numbers)
        parts.append(f"{text} {e(team)}" if team else text)
    return ", ".join(parts)


def season_line(t: Translator, season: SeasonLine) -> str:
    line = f"• <b>{e(season.series_name)} {season.year}</b>: {_cars(season)}"
    if season.models:
        line += ", " + ", ".join(e(m) for m in season.models)
    if season.classes:
        line += f" ({' / '.join(e(c) for c in season.classes)})"
    if season.teammates:
        line += " — " + t("with {names}", names=", ".join(e(n) for n in season.teammates))
    return line


def result_text(t: Translator, r: DriverResult) -> str:
    """The placing as /results writes it, with a trophy for a win overall or in class."""
    return result_position(t, r) + (" 🏆" if r.position == 1 or r.class_position == 1 else "")


def driver_profile(t: Translator, profile: DriverProfile, others: list[Candidate] | None = None) -> Rendered:
    lines = [f"👤 <b>{e(profile.name)}</b>"]
    lines += [season_line(t, s) for s in profile.seasons[:MAX_SEASON_LINES]]
    earlier = profile.seasons[MAX_SEASON_LINES:]
    if earlier:
        lines.append(t.n("… and {n} earlier season", "… and {n} earlier seasons", len(earlier)))
    if profile.recent:
        lines += ["", f"<b>{t('Recent races')}</b>"]
        for r in profile.recent:
            where = f"{e(r.series_name)} {r.year}, {e(r.event_name)}, {e(session_label(t, r.session_name))}"
            lines.append(f"• {where}: {result_text(t, r)}")
    if profile.positions:
        lines += ["", f"<b>{t('Standings')}</b>"]
        for p in profile.positions:
            label = f"{p.series_name} {p.year}, {championship_name(t, p.championship)}" + (
                f", {p.car_class}" if p.car_class else ""
            )
            lines.append(f"• {e(label)}: P{p.position or '–'}, {t.points(p.points)} {t('pts')}")
    if profile.followed:
        toggle = InlineKeyboardButton(t("Unfollow"), callback_data=callbacks.driver(profile.driver_id, "u"))
    else:
        toggle = InlineKeyboardButton(t("Follow"), callback_data=callbacks.driver(profile.driver_id, "f"))
    rows = [[toggle]]
    # Taken without asking: the namesakes stay one tap away ("Not them? <name> (<series> <years>)").
    rows += [
        [InlineKeyboardButton("↪ " + candidate_label(c), callback_data=callbacks.driver(c.id))]
        for c in (others or [])[:2]
    ]
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def _profile_buttons(candidates: list[Candidate]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(candidate_label(c), callback_data=callbacks.driver(c.id))] for c in candidates[:8]]
    )


def driver_choices(t: Translator, query: str, candidates: list[Candidate]) -> Rendered:
    return t("Several matches for “{query}” — which one?", query=e(query)), _profile_buttons(candidates)


def driver_none(t: Translator, query: str, suggestions: list[Candidate]) -> Rendered:
    text = t("I know no one called “{query}”.", query=e(query))
    if not suggestions:
        return text + "\n" + t("Check the spelling, or try the surname only."), None
    return text + "\n" + t("Did you mean:"), _profile_buttons(suggestions)

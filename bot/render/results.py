"""/results: one session's classification with buttons for the event's other sessions, classes, pages and the
previous/next event; the questions asked when the words fit several things; and the short forms the driver
profile and summaries use."""

from __future__ import annotations

import re
from typing import Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import callbacks
from bot.core.callbacks import ResultsViewAction
from bot.i18n import N_, Translator
from bot.render.common import Rendered, e
from bot.services.classification import laps_down
from bot.services.results import ResultsQuestion, ResultsView
from storage.results import ResultLine, ResultSession

MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}
BUTTONS_PER_ROW = 4
# Ergast's most common reasons for a retirement or a missed start, so that a German chat reads them in German;
# rarer ones are shown as the data has them.
REASONS = frozenset(
    (
        N_("Accident"),
        N_("Brakes"),
        N_("Clutch"),
        N_("Collision"),
        N_("Collision damage"),
        N_("Did not qualify"),
        N_("Did not prequalify"),
        N_("Disqualified"),
        N_("Driveshaft"),
        N_("Electrical"),
        N_("Engine"),
        N_("Fuel pressure"),
        N_("Fuel system"),
        N_("Gearbox"),
        N_("Hydraulics"),
        N_("Ignition"),
        N_("Oil leak"),
        N_("Overheating"),
        N_("Power Unit"),
        N_("Puncture"),
        N_("Retired"),
        N_("Spun off"),
        N_("Suspension"),
        N_("Throttle"),
        N_("Transmission"),
        N_("Turbo"),
        N_("Water leak"),
        N_("Wheel"),
        N_("Withdrew"),
    )
)
# Details our importers write themselves: the laps say the same, in the chat's language.
_DERIVED = re.compile(r"^(not classified after|stopped after|Finished|\+\d+ Laps?$)")


# The short status words, in English as the paddock writes them; a German chat reads words ("nicht gewertet").
STATUS_WORDS = {
    "not_classified": N_("NC"),
    "dnf": N_("DNF"),
    "dns": N_("DNS"),
    "dsq": N_("DSQ"),
}


class Placed(Protocol):
    """What a placing line needs: a result row (ResultLine) or a driver's result (/driver's DriverResult)."""

    @property
    def status(self) -> str: ...
    @property
    def laps(self) -> int | None: ...
    @property
    def position(self) -> int | None: ...
    @property
    def class_position(self) -> int | None: ...
    @property
    def car_class(self) -> str | None: ...


def result_position(t: Translator, r: Placed) -> str:
    if r.status in STATUS_WORDS:
        text = t(STATUS_WORDS[r.status])
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


# --- names of sessions and events --------------------------------------------------------------------------------


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}min"
    return f"{hours}h{rest:02}" if rest else f"{hours}h"


def session_name(t: Translator, s: ResultSession) -> str:
    """The session's name in the chat's language (plain text: escape it for a message)."""
    key = s.key
    if s.kind == "stage" and s.stage_minutes:
        return t("Race after {time}", time=duration(s.stage_minutes))
    numbered = re.fullmatch(r"(race|qualifying|fp)-?(\d+)", key)
    if numbered:
        words = {"race": N_("Race {n}"), "qualifying": N_("Qualifying {n}"), "fp": N_("Practice {n}")}
        return t(words[numbered.group(1)], n=numbered.group(2))
    fixed = {
        "race": N_("Race"),
        "sprint": N_("Sprint"),
        "qualifying": N_("Qualifying"),
        "combined-qualifying": N_("Qualifying (combined)"),
        "sprint-qualifying": N_("Sprint qualifying"),
        "sprint-shootout": N_("Sprint qualifying"),
    }
    return t(fixed[key]) if key in fixed else s.name


def session_button(t: Translator, s: ResultSession) -> str:
    """A short label for a session button: "6h", "Q2", "Race 1"."""
    if s.kind == "stage" and s.stage_minutes:
        return duration(s.stage_minutes)
    numbered = re.fullmatch(r"qualifying-(\d+)", s.key)
    if numbered:
        return f"Q{numbered.group(1)}"
    if s.key == "combined-qualifying":
        return t("Qualifying")
    return session_name(t, s)


def event_label(name: str, key: str) -> str:
    """A short name for an event button: "Monaco Grand Prix" → "Monaco", "Rolex 24 at Daytona" → "Daytona"."""
    short = re.sub(r"\s+(Grand Prix|GP)$", "", name).strip()
    if len(short) <= 18:
        return short
    words = re.sub(r"^\d+-", "", key).replace("_", " ").replace("-", " ")
    return words.upper() if len(words) <= 4 else words.title()


def visible_stages(stages: list[ResultSession], current: ResultSession) -> list[ResultSession]:
    """A long race's stages are many (Spa: 23): show a few at round times (6h, 12h, 18h), and the one shown."""
    if len(stages) <= 4:
        return stages
    picked: list[ResultSession] = []
    for every in (60, 90, 120, 180, 240, 360, 480, 720):
        picked = [s for s in stages if s.stage_minutes and s.stage_minutes % every == 0]
        if 1 <= len(picked) <= 4:
            break
    else:
        picked = stages[len(stages) // 4 :: max(1, len(stages) // 4)][:3]
    if current in stages and current not in picked:
        picked = sorted([*picked, current], key=lambda s: s.stage_minutes or 0)
    return picked


# --- the view ----------------------------------------------------------------------------------------------------


def _gap(t: Translator, r: ResultLine, leader: ResultLine | None, by_class: bool) -> str | None:
    """Time or gap to the car ahead of all in this list: the data's own gap overall, computed within a class
    (the data's gaps are to the overall winner, which says nothing about a class fight)."""
    if r.status != "classified":
        return None
    if leader is None or r is leader:
        return r.time_text
    if by_class:
        if leader.laps and r.laps and leader.laps > r.laps:
            return t.n("+{n} lap", "+{n} laps", leader.laps - r.laps)
        mine, theirs = seconds(r.time_text), seconds(leader.time_text)
        if mine is None or theirs is None:
            # Gaps to the overall winner on the same lap: their difference is the gap within the class.
            mine = seconds((r.gap_text or "").lstrip("+"))
            theirs = 0.0 if leader.position == 1 else seconds((leader.gap_text or "").lstrip("+"))
        return f"+{clock(mine - theirs)}" if mine is not None and theirs is not None and mine >= theirs else None
    down = laps_down(r.status_detail)
    if down:
        return t.n("+{n} lap", "+{n} laps", down)
    text = r.gap_text or r.time_text
    if text is None:
        return None
    lapped = re.fullmatch(r"\+?(\d+) Laps?", text)
    if lapped:
        return t.n("+{n} lap", "+{n} laps", int(lapped.group(1)))
    return f"+{text}" if text[:1].isdigit() else text


def seconds(text: str | None) -> float | None:
    """A time ("24:02:41.107", "1:00.254", "0.422") in seconds; None for signed gaps ("+8.968") and the rest."""
    if not text or not re.fullmatch(r"\d+(:\d{1,2}){0,2}(\.\d+)?", text):
        return None
    total = 0.0
    for part in text.split(":"):
        total = total * 60 + float(part)
    return total


def clock(value: float) -> str:
    minutes, rest = divmod(round(value, 3), 60)
    return f"{int(minutes)}:{rest:06.3f}" if minutes else f"{rest:.3f}"


def _reason(t: Translator, r: ResultLine) -> str | None:
    detail = r.status_detail
    if not detail or _DERIVED.match(detail) or (r.status == "dsq" and detail == "Disqualified"):
        return None
    return e(t(detail)) if detail in REASONS else e(detail)


def _status(t: Translator, r: ResultLine) -> str | None:
    laps = r.laps or 0
    if r.status == "dnf":
        text = t.n("retired after {n} lap", "retired after {n} laps", laps) if laps else t("retired")
    elif r.status == "not_classified":
        text = (
            t.n("not classified after {n} lap", "not classified after {n} laps", laps) if laps else t("not classified")
        )
    elif r.status == "dns":
        # "Did not qualify", "Withdrew": the reason says it all.
        return _reason(t, r) or t("did not start")
    elif r.status == "dsq":
        text = t("disqualified")
    else:
        return None
    reason = _reason(t, r)
    return f"{text} ({reason})" if reason else text


def _crew(r: ResultLine, mine: frozenset[int]) -> str:
    names = []
    for index, name in enumerate(r.crew):
        followed = index < len(r.crew_ids) and r.crew_ids[index] in mine
        names.append(f"<b>{e(name)}</b>" if followed else e(name))
    return ", ".join(names) or "–"


def _row(t: Translator, view: ResultsView, r: ResultLine, single: bool) -> str:
    place = r.class_position if view.car_class else r.position
    head = "–" if r.status != "classified" or place is None else MEDALS.get(place, f"{place}.")
    mine = bool(view.followed_ids & set(r.crew_ids))
    first = f"{'» ' if mine else ''}{head} #{e(r.number)} {_crew(r, view.followed_ids)}"
    facts = []
    if r.team:
        facts.append(e(r.team) + (f" · {e(r.car)}" if r.car and r.car != r.team else ""))
    elif r.car:
        facts.append(e(r.car))
    if r.car_class and not view.car_class and len(view.session_classes) > 1:
        facts.append(f"{e(r.car_class)} P{r.class_position}" if r.class_position else e(r.car_class))
    if r.laps and r.status == "classified":
        facts.append(t.n("{n} lap", "{n} laps", r.laps))
    gap = _gap(t, r, view.leader, view.car_class is not None)
    if gap:
        facts.append(e(gap))
    if r.best_lap_text:
        facts.append(f"⏱ {e(r.best_lap_text)}")
    status = _status(t, r)
    if status:
        facts.append(status)
    if single:
        return f"{first} — {' · '.join(facts)}" if facts else first
    return first + ("\n    " + " · ".join(facts) if facts else "")


def results_view(t: Translator, view: ResultsView) -> Rendered:
    lines = [f"<b>{e(view.series.name)} {view.year} — {e(view.event.name)}</b>"]
    sub = [f"<i>{e(session_name(t, view.session))}</i>"]
    if view.car_class:
        sub.append(e(view.car_class))
    if view.session.results_status == "provisional":
        sub.append(t("provisional"))
    lines.append(" · ".join(sub))
    if view.unknown:
        lines.append(t("Not understood: {words}", words=e(" ".join(view.unknown))))
    if view.followed:
        lines += ["", f"<b>{t('Your drivers')}</b>"]
        lines += [f"• {e(name)}: {result_position(t, r)} — #{e(r.number)}" for name, r in view.followed]
    if view.class_winners:
        title = t("Class poles") if view.session.kind == "qualifying" else t("Class winners")
        lines += ["", f"<b>{title}</b>"]
        lines += [f"• {e(r.car_class)}: {car_short(r)}" for r in view.class_winners]
    page = view.page
    lines.append("")
    if not page.rows:
        lines.append(t("No {cls} car in this session.", cls=e(view.car_class or "")))
    else:
        last = page.first + len(page.rows) - 1
        lines.append(f"<b>{t('Classification')}</b> {page.first}–{last} / {page.total}")
        single = not any(len(r.crew) > 1 for r in page.rows)
        lines += [_row(t, view, r, single) for r in page.rows]
        if view.followed_ids and any(view.followed_ids & set(r.crew_ids) for r in page.rows):
            lines.append(f"<i>» {t('your drivers')}</i>")
    return "\n".join(lines), _keyboard(t, view)


def _button(label: str, action: ResultsViewAction) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.results_view(action))


def _rows(buttons: list[InlineKeyboardButton], per_row: int = BUTTONS_PER_ROW) -> list[list[InlineKeyboardButton]]:
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


def _keyboard(t: Translator, view: ResultsView) -> InlineKeyboardMarkup:
    action = view.action
    keyboard: list[list[InlineKeyboardButton]] = []
    stages = [s for s in view.sessions if s.kind == "stage"]
    shown = stages if action.all_stages else visible_stages(stages, view.session)
    sessions = [s for s in view.sessions if s.kind != "stage"] + shown
    if len(sessions) > 1 or len(shown) < len(stages):
        buttons = []
        for s in sessions:
            label = ("• " if s.id == view.session.id else "") + session_button(t, s)
            buttons.append(_button(label, ResultsViewAction(s.id, action.class_index, 0, action.all_stages)))
        if len(stages) > len(visible_stages(stages, view.session)):
            toggle = t("⏱ fewer stages") if action.all_stages else t("⏱ all stages")
            buttons.append(
                _button(toggle, ResultsViewAction(action.session_id, action.class_index, 0, not action.all_stages))
            )
        keyboard += _rows(buttons)
    if len(view.session_classes) > 1 or view.car_class:
        choices = [(0, t("All classes"))] + [
            (view.classes.index(c) + 1, c) for c in view.session_classes if c in view.classes
        ]
        buttons = [
            _button(
                ("• " if index == action.class_index else "") + label,
                ResultsViewAction(action.session_id, index, 0, action.all_stages),
            )
            for index, label in choices
        ]
        keyboard += _rows(buttons, 3)
    if view.page.pages > 1:
        page = view.page.page
        pager = []
        if page > 0:
            pager.append(
                _button("◀", ResultsViewAction(action.session_id, action.class_index, page - 1, action.all_stages))
            )
        pager.append(_button(f"{page + 1}/{view.page.pages}", action))
        if page + 1 < view.page.pages:
            pager.append(
                _button("▶", ResultsViewAction(action.session_id, action.class_index, page + 1, action.all_stages))
            )
        keyboard.append(pager)
    travel = []
    if view.previous is not None:
        travel.append(
            _button("◀ " + event_label(view.previous.event.name, view.previous.event.key), view.previous.action)
        )
    if view.next is not None:
        travel.append(_button(event_label(view.next.event.name, view.next.event.key) + " ▶", view.next.action))
    if travel:
        keyboard.append(travel)
    return InlineKeyboardMarkup(keyboard)


# --- questions ---------------------------------------------------------------------------------------------------


def results_question(t: Translator, question: ResultsQuestion) -> Rendered:
    understood = []
    if question.series is not None:
        understood.append(f"{e(question.series.name)} {question.year}")
    elif question.year:
        understood.append(str(question.year))
    if question.session:
        understood.append(_session_word(t, question.session))
    if question.car_class:
        understood.append(e(question.car_class))
    lines = []
    if understood:
        lines.append(t("Understood: {what}", what=" · ".join(understood)))
    if question.ask == "series":
        lines.append(t("Which series do you mean?"))
        series = [[_button(o.label, o.action)] for o in question.options]
        return "\n".join(lines), InlineKeyboardMarkup(series) if series else None
    if question.unknown:
        lines.append(t("I know no event “{name}” in that season.", name=e(" ".join(question.unknown))))
    lines.append(t("Which event?"))
    labels = [event_label(o.label, o.event.key if o.event else "") for o in question.options]
    buttons = [_button(label, o.action) for label, o in zip(labels, question.options, strict=True)]
    return "\n".join(lines), InlineKeyboardMarkup(_rows(buttons, 3)) if buttons else None


def _session_word(t: Translator, session: str) -> str:
    """A session key or kind the words named, before an event is known."""
    stage = re.fullmatch(r"race-after-(\d+)h", session)
    minutes = int(stage.group(1)) * 60 if stage else None
    kind = "stage" if stage else session
    return e(session_name(t, ResultSession(0, session, session, kind, minutes, "none", 0)))

"""Follows: confirmations, choices between matches, lists of teams and series, the follow list."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.core import callbacks
from bot.i18n import Translator
from bot.render.common import Rendered, e
from bot.services import Candidate, Target
from storage.chats import Follow
from storage.drivers import FollowExample
from storage.people import TeamRow
from storage.series import SeriesInfo

TEAMS_PER_PAGE = 12


def kind_label(t: Translator, kind: str) -> str:
    return {"driver": t("driver"), "team": t("team"), "series": t("series")}.get(kind, kind)


def series_short(slug: str) -> str:
    """A short series label for buttons: f1 → F1, imsa → IMSA, gtwc-europe → GTWC Europe."""
    return " ".join(part.upper() if len(part) <= 4 else part.capitalize() for part in slug.split("-"))


def years(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}–{last}"


def candidate_label(candidate: Candidate) -> str:
    """A name with where and when they raced, to tell namesakes apart: "<name> (<series> <first>–<last>)"."""
    if candidate.kind == "series" or not candidate.careers:
        return candidate.name
    places = ", ".join(f"{series_short(c.series_slug)} {years(c.first, c.last)}" for c in candidate.careers[:2])
    return f"{candidate.name} ({places})"


def followed(t: Translator, target: Target, new: bool) -> str:
    if new:
        return (
            t("✅ Now following {name}.", name=f"<b>{e(target.name)}</b>")
            + "\n"
            + t("You will get reminders before their races and a summary after. Try /next.")
        )
    return t("You already follow {name}.", name=f"<b>{e(target.name)}</b>")


def _follow_buttons(candidates: list[Candidate]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(candidate_label(c), callback_data=callbacks.follow(c.kind, c.id))]
            for c in candidates[:8]
        ]
    )


def follow_choices(t: Translator, query: str, candidates: list[Candidate]) -> Rendered:
    return t("Several matches for “{query}” — which one?", query=e(query)), _follow_buttons(candidates)


def follow_none(t: Translator, kind: str, query: str, suggestions: list[Candidate]) -> Rendered:
    if kind == "team":
        text = t("No team called “{query}”.", query=e(query))
        hint = t("Send {command} for a list of teams.", command="<code>/follow team</code>")
    elif kind == "series":
        text = t("No series called “{query}”.", query=e(query))
        hint = t("Send {command} for a list of series.", command="<code>/follow series</code>")
    else:
        text = t("I know no one called “{query}”.", query=e(query))
        hint = t("Check the spelling, or try the surname only.")
    if not suggestions:
        return text + "\n" + hint, None
    if kind != "driver":
        text += " " + hint  # a list is one command away, whatever the guesses below
    return text + "\n" + t("Did you mean:"), _follow_buttons(suggestions)


def follow_usage(t: Translator, examples: FollowExample | None) -> str:
    """`examples`: a driver, series and team the store knows (store.drivers.follow_examples); None on an empty store."""
    if examples is None:
        return t("Whom should I follow? For example: {examples}", examples="<code>/follow NAME</code>")
    driver, series, team = e(examples.driver), e(examples.series_slug), e(examples.team)
    return t(
        "Whom should I follow? For example: {examples}",
        examples=f"<code>/follow {driver}</code>, <code>/follow series {series}</code>,"
        f" <code>/follow team {team}</code>",
    )


def series_list(t: Translator, series: list[SeriesInfo], followed_ids: set[int]) -> Rendered:
    """/follow series: every series with seasons, the followed ones ticked."""
    buttons = [
        [
            InlineKeyboardButton(
                ("✓ " if s.id in followed_ids else "") + s.name, callback_data=callbacks.follow("series", s.id)
            )
        ]
        for s in series
    ]
    return t("Which series should this chat follow?"), InlineKeyboardMarkup(buttons) if buttons else None


def series_unknown(t: Translator, query: str, series_view: Rendered) -> Rendered:
    """/follow series NAME that is no series: say so, and offer the ones there are."""
    text, markup = series_view
    return t("No series called “{query}”.", query=e(query)) + "\n" + text, markup


def team_series(t: Translator, series: list[SeriesInfo]) -> Rendered:
    """/follow team without a name, the chat's series unclear: whose teams to list."""
    buttons = [[InlineKeyboardButton(s.name, callback_data=callbacks.team_page(s.id, 0))] for s in series]
    return t("Teams of which series?"), InlineKeyboardMarkup(buttons) if buttons else None


def team_list(t: Translator, series: SeriesInfo, teams: list[TeamRow], page: int, followed_ids: set[int]) -> Rendered:
    """One page of a series' teams (its latest season) as follow buttons, two a row, with ◀ ▶ between pages."""
    pages = max(1, -(-len(teams) // TEAMS_PER_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = teams[page * TEAMS_PER_PAGE : (page + 1) * TEAMS_PER_PAGE]
    labels = [
        InlineKeyboardButton(
            ("✓ " if team.team_id in followed_ids else "") + team.name,
            callback_data=callbacks.follow("team", team.team_id),
        )
        for team in shown
    ]
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    if pages > 1:
        nav = []
        if page > 0:
            nav.append(InlineKeyboardButton("◀", callback_data=callbacks.team_page(series.id, page - 1)))
        nav.append(InlineKeyboardButton(f"{page + 1}/{pages}", callback_data=callbacks.team_page(series.id, page)))
        if page < pages - 1:
            nav.append(InlineKeyboardButton("▶", callback_data=callbacks.team_page(series.id, page + 1)))
        rows.append(nav)
    season = f"{series.name} {max(series.years)}" if series.years else series.name
    if not teams:
        return t("No teams known for {season} yet.", season=e(season)), None
    return t("Which team? ({season})", season=e(season)), InlineKeyboardMarkup(rows)


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


def unfollow_choices(t: Translator, query: str, follows: list[Follow]) -> Rendered:
    """/unfollow NAME naming several of the chat's follows as well ("verstappen" for Max and Jos)."""
    buttons = [
        [InlineKeyboardButton("✖ " + f.name, callback_data=callbacks.unfollow(f.kind, f.target_id))] for f in follows
    ]
    return t("Several matches for “{query}” — which one?", query=e(query)), InlineKeyboardMarkup(buttons)


def not_following(t: Translator, query: str, follows_view: Rendered) -> Rendered:
    """/unfollow of something the chat does not follow: say so, then the follow list to pick from."""
    text, markup = follows_view
    return t("This chat does not follow “{query}”.", query=e(query)) + "\n\n" + text, markup

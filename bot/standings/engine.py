"""Championship standings from results and rules-as-data. Plain Python: no database, no Telegram.

`progression()` returns the standings after every counted event, which is what the F1
cross-check against the official tables, "position before → after" in summaries, and
`/standings` all need.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

# The engine's inputs live in bot/core (the store builds them); re-exported here for the engine's callers.
from bot.core.season import EntryInfo, EventInfo, ResultInfo, SeasonData, SessionInfo
from bot.standings.rules import ChampionshipDef, ChampionshipRules, ScoringRule

__all__ = ["EntryInfo", "EventInfo", "ResultInfo", "SeasonData", "SessionInfo"]

Subject = Literal["drivers", "teams"]


@dataclass(slots=True)
class StandingRow:
    subject_id: int
    name: str
    car_class: str
    points: float
    position: int = 0
    wins: int = 0
    finishes: list[int] = field(default_factory=list)  # finishes[i]: how often (class) position i+1
    events_scored: int = 0
    entries: list[str] = field(default_factory=list)  # car numbers this subject scored with


@dataclass(slots=True)
class Standings:
    championship: ChampionshipDef
    subject: Subject
    after_event: EventInfo | None
    classes: dict[str, list[StandingRow]]  # "" when the championship is not per class
    events_counted: int

    def table(self, car_class: str | None = None) -> list[StandingRow]:
        if car_class is None:
            if len(self.classes) == 1:
                return next(iter(self.classes.values()))
            return []
        wanted = car_class.casefold()
        for name, rows in self.classes.items():
            if name.casefold() == wanted:
                return rows
        return []


def _matches(rule: ScoringRule, session: SessionInfo, event: EventInfo) -> bool:
    m = rule.match
    if m.kind != session.kind:
        return False
    if m.events is not None and event.key not in m.events:
        return False
    if m.tags is not None and not set(m.tags) & set(event.tags):
        return False
    if m.sessions is not None and session.key not in m.sessions:
        return False
    return m.stage_minutes is None or session.stage_minutes in m.stage_minutes


def _table_points(table: list[float], position: int | None) -> float:
    if position is None or position < 1 or position > len(table):
        return 0.0
    return table[position - 1]


@dataclass(slots=True)
class _Award:
    session_id: int
    entry_id: int
    car_class: str
    points: float
    finish: int | None  # a (class) finishing position that counts for countback


def _event_awards(
    season: SeasonData,
    rules: ChampionshipRules,
    event: EventInfo,
    sessions: list[SessionInfo],
    results_by_session: dict[int, list[ResultInfo]],
) -> list[_Award]:
    awards: list[_Award] = []
    per_class = rules.per_class
    for session in sessions:
        results = results_by_session.get(session.id, ())
        if not results:
            continue
        if session.kind == "qualifying" and rules.pole_points and session.sets_grid:
            for r in results:
                rank = r.class_position if per_class else r.position
                if rank == 1 and r.status == "classified":
                    entry = season.entries[r.entry_id]
                    awards.append(
                        _Award(
                            session.id,
                            r.entry_id,
                            (entry.car_class or "") if per_class else "",
                            rules.pole_points,
                            None,
                        )
                    )
        rule = next((rule for rule in rules.scoring if _matches(rule, session, event)), None)
        from_source = rules.points_from_source and session.kind in ("race", "sprint")
        counts_back = session.kind in rules.countback_kinds and (rule is not None or from_source)
        if rule is None and not from_source:
            continue
        for r in results:
            entry = season.entries[r.entry_id]
            rank = r.class_position if per_class else r.position
            if from_source:
                points = r.points or 0.0
            elif r.status in rules.scoring_statuses:
                assert rule is not None
                points = _table_points(rule.points, rank)
            else:
                points = 0.0
            if (
                rules.fastest_lap_points
                and r.fastest_lap_rank == 1
                and r.status in rules.scoring_statuses
                and (rules.fastest_lap_top is None or (rank is not None and rank <= rules.fastest_lap_top))
            ):
                points += rules.fastest_lap_points
            # Countback counts classified places only (most wins, then most seconds, ...).
            finish = rank if counts_back and r.status in ("classified", "dnf") else None
            awards.append(_Award(session.id, r.entry_id, (entry.car_class or "") if per_class else "", points, finish))
    return awards


def progression(season: SeasonData, championship: ChampionshipDef, subject: Subject = "drivers") -> list[Standings]:
    """Standings after each event of the championship that has results, in calendar order."""
    rules = championship.rules
    events = [e for e in season.events if rules.event_tags is None or set(rules.event_tags) & set(e.tags)]
    sessions_by_event: dict[int, list[SessionInfo]] = defaultdict(list)
    for session in season.sessions:
        sessions_by_event[session.event_id].append(session)
    results_by_session: dict[int, list[ResultInfo]] = defaultdict(list)
    for result in season.results:
        results_by_session[result.session_id].append(result)

    # subject, class → running totals
    totals: dict[tuple[int, str], StandingRow] = {}
    per_event_scores: dict[tuple[int, str], list[tuple[int, float]]] = defaultdict(list)
    out: list[Standings] = []
    counted = 0
    for index, event in enumerate(events):
        sessions = sessions_by_event.get(event.id, [])
        if not any(results_by_session.get(s.id) for s in sessions):
            continue
        counted += 1
        awards = _event_awards(season, rules, event, sessions, results_by_session)
        if subject == "teams" and rules.team_best_cars:
            awards = _best_team_cars(season, awards, rules.team_best_cars)
        event_points: dict[tuple[int, str], float] = defaultdict(float)
        for award in awards:
            entry = season.entries[award.entry_id]
            holders = entry.crew if subject == "drivers" else ((entry.team_id,) if entry.team_id else ())
            for holder in holders:
                key = (holder, award.car_class)
                row = totals.get(key)
                if row is None:
                    name = (
                        season.driver_names.get(holder, "?")
                        if subject == "drivers"
                        else season.team_names.get(holder, "?")
                    )
                    row = totals[key] = StandingRow(holder, name, award.car_class, 0.0)
                event_points[key] += award.points
                if award.finish is not None:
                    if len(row.finishes) < award.finish:
                        row.finishes.extend([0] * (award.finish - len(row.finishes)))
                    row.finishes[award.finish - 1] += 1
                if entry.number not in row.entries:
                    row.entries.append(entry.number)
        for key, points in event_points.items():
            per_event_scores[key].append((index, points))
            if points:
                totals[key].events_scored += 1
        for key, row in totals.items():
            row.points = _counted_points(per_event_scores[key], rules, events)
        out.append(_snapshot(championship, subject, event, totals, counted))
    return out


def _counted_points(scores: list[tuple[int, float]], rules: ChampionshipRules, events: list[EventInfo]) -> float:
    best = rules.best_results
    if best is None:
        return round(sum(p for _, p in scores), 3)
    if best.split_after_round is None:
        return round(sum(sorted((p for _, p in scores), reverse=True)[: best.count]), 3)
    first = [p for i, p in scores if (events[i].round or 0) <= best.split_after_round]
    second = [p for i, p in scores if (events[i].round or 0) > best.split_after_round]
    total = sum(sorted(first, reverse=True)[: best.count])
    total += sum(sorted(second, reverse=True)[: best.second_count or best.count])
    return round(total, 3)


def _best_team_cars(season: SeasonData, awards: list[_Award], best: int) -> list[_Award]:
    """Per session and class, only each team's best `best` cars score for the team."""
    groups: dict[tuple[int, int | None, str], list[_Award]] = defaultdict(list)
    for award in awards:
        groups[(award.session_id, season.entries[award.entry_id].team_id, award.car_class)].append(award)
    kept: list[_Award] = []
    for group in groups.values():
        group.sort(key=lambda a: -a.points)
        kept.extend(group[:best])
        kept.extend(_Award(a.session_id, a.entry_id, a.car_class, 0.0, a.finish) for a in group[best:])
    return kept


_COUNTBACK_DEPTH = 64


def _sort_key(row: StandingRow) -> tuple[float, tuple[int, ...]]:
    padded = row.finishes + [0] * (_COUNTBACK_DEPTH - len(row.finishes))
    return (-row.points, tuple(-n for n in padded))


def _snapshot(
    championship: ChampionshipDef,
    subject: Subject,
    event: EventInfo,
    totals: dict[tuple[int, str], StandingRow],
    counted: int,
) -> Standings:
    classes: dict[str, list[StandingRow]] = defaultdict(list)
    for row in totals.values():
        classes[row.car_class].append(
            StandingRow(
                row.subject_id,
                row.name,
                row.car_class,
                row.points,
                0,
                row.finishes[0] if row.finishes else 0,
                list(row.finishes),
                row.events_scored,
                list(row.entries),
            )
        )
    for rows in classes.values():
        rows.sort(key=lambda r: (*_sort_key(r), r.name))
        previous: tuple[float, tuple[int, ...]] | None = None
        for index, row in enumerate(rows, 1):
            key = _sort_key(row)
            # Countback cannot separate identical records: they share the place.
            row.position = rows[index - 2].position if previous == key else index
            previous = key
    return Standings(championship, subject, event, dict(sorted(classes.items())), counted)


def standings(
    season: SeasonData, championship: ChampionshipDef, subject: Subject = "drivers", after_event_id: int | None = None
) -> Standings | None:
    """The standings after `after_event_id` (default: after the last event with results)."""
    key = (championship.key, subject)
    steps = season.progressions.get(key)
    if steps is None:
        steps = season.progressions[key] = progression(season, championship, subject)
    if not steps:
        return None
    if after_event_id is None:
        return steps[-1]
    chosen = None
    for step in steps:
        chosen = step
        if step.after_event and step.after_event.id == after_event_id:
            break
    return chosen


@dataclass(slots=True)
class Title:
    """A championship decided after an event: nobody can catch the holder(s) any more."""

    championship: ChampionshipDef
    subject: Subject
    car_class: str
    holders: list[StandingRow]
    decided_after: EventInfo


def _event_potential(
    season: SeasonData, rules: ChampionshipRules, event: EventInfo, car_class: str, sessions: list[SessionInfo]
) -> float | None:
    """The most one car can still score at `event`; None when the rules cannot say (points from the source)."""
    if rules.per_class and event.classes and car_class not in event.classes:
        return 0.0
    if rules.points_from_source:
        return None
    best = 0.0
    races = 0
    for session in sessions:
        rule = next((r for r in rules.scoring if _matches(r, session, event)), None)
        if rule is not None:
            best += max(rule.points)
            races += session.kind in ("race", "sprint")
    poles = sum(1 for s in sessions if s.kind == "qualifying" and s.sets_grid)
    best += rules.pole_points * max(poles, races)
    best += rules.fastest_lap_points * races
    return best


def decided_titles(
    season: SeasonData, championship: ChampionshipDef, subject: Subject, after_event_id: int
) -> list[Title]:
    """Titles that are mathematically decided once `after_event_id` is counted (a tie is not decided)."""
    rules = championship.rules
    events = [e for e in season.events if rules.event_tags is None or set(rules.event_tags) & set(e.tags)]
    index = next((i for i, e in enumerate(events) if e.id == after_event_id), None)
    if index is None:
        return []
    table = standings(season, championship, subject, after_event_id)
    if table is None or table.after_event is None or table.after_event.id != after_event_id:
        return []
    sessions_by_event: dict[int, list[SessionInfo]] = defaultdict(list)
    for session in season.sessions:
        sessions_by_event[session.event_id].append(session)
    titles = []
    for car_class, rows in table.classes.items():
        if not rows:
            continue
        remaining = 0.0
        for event in events[index + 1 :]:
            potential = _event_potential(season, rules, event, car_class, sessions_by_event.get(event.id, []))
            if potential is None:
                remaining = float("inf")
                break
            remaining += potential
        leaders = [r for r in rows if r.position == 1]
        chasers = [r for r in rows if r.position != 1]
        best_chaser = chasers[0].points if chasers else 0.0
        if leaders and leaders[0].points - best_chaser > remaining:
            titles.append(Title(championship, subject, car_class, leaders, table.after_event))
    return titles

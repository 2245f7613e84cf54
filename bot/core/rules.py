"""Points systems as data: what a championship counts and how (see docs/data-format.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SessionMatch(_Strict):
    """Which sessions a scoring rule applies to; every given field must match."""

    kind: Literal["qualifying", "sprint", "race", "stage"]
    events: list[str] | None = None  # event keys
    tags: list[str] | None = None  # any of the event's tags
    sessions: list[str] | None = None  # session keys
    stage_minutes: list[int] | None = None  # for stages: after how many minutes


class ScoringRule(_Strict):
    match: SessionMatch
    points: list[float] = Field(min_length=1)  # by (class) position: points[0] for the winner


class BestResults(_Strict):
    """Dropped scores: only the best `count` scores of a season (or of each part) count."""

    count: int = Field(gt=0)
    # Older F1 seasons split the year: best N of the first `split_after` rounds, best M of the rest.
    split_after_round: int | None = None
    second_count: int | None = None


class ChampionshipRules(_Strict):
    subjects: list[Literal["drivers", "teams"]] = ["drivers", "teams"]
    per_class: bool = False
    event_tags: list[str] | None = None  # only events with one of these tags; None: all events
    scoring: list[ScoringRule] = []
    points_from_source: bool = False  # the results carry official points (Ergast)
    pole_points: float = 0
    fastest_lap_points: float = 0
    fastest_lap_top: int | None = None  # only if the car finished in the top N
    scoring_statuses: list[Literal["classified", "not_classified", "dnf", "dns", "dsq"]] = ["classified"]
    team_best_cars: int | None = None  # per session, only the team's best N cars score
    best_results: BestResults | None = None
    countback_kinds: list[Literal["race", "sprint", "stage"]] = ["race"]


class ChampionshipDef(_Strict):
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str = Field(min_length=1, max_length=100)
    default: bool = False
    rules: ChampionshipRules

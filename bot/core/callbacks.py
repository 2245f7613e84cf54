"""Button callback data: short, versioned ASCII (`v1:fo:d:42`), parsed as untrusted input."""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "v1"
_KINDS = {"driver": "d", "team": "t", "series": "s"}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}
_SAFE = re.compile(r"^[A-Za-z0-9:_\-.]{1,64}$")
SETTING_NAMES = ("tz", "lang", "lead", "alert", "spoiler", "sec", "open", "zone")
SERIES_COMMANDS = {"next": "n", "calendar": "c", "results": "r"}
_COMMAND_NAMES = {v: k for k, v in SERIES_COMMANDS.items()}


def pattern(*actions: str) -> str:
    """The CallbackQueryHandler pattern of a feature's buttons: its action codes under this version."""
    return rf"^{VERSION}:({'|'.join(re.escape(a) for a in actions)}):"


def follow(kind: str, target_id: int) -> str:
    return f"{VERSION}:fo:{_KINDS[kind]}:{target_id}"


def unfollow(kind: str, target_id: int) -> str:
    return f"{VERSION}:uf:{_KINDS[kind]}:{target_id}"


def standings(series_id: int, year: int, class_index: int, teams: bool) -> str:
    return f"{VERSION}:st:{series_id}:{year}:{class_index}:{'t' if teams else 'd'}"


def chart(series_id: int, year: int, championship: int, class_index: int, teams: bool) -> str:
    """/standings' "📈 Chart": `championship` is the place in the season's championship list (0-based),
    `class_index` the class's place in the table's class list (1-based, 0: no class), as for standings."""
    return f"{VERSION}:ch:{series_id}:{year}:{championship}:{class_index}:{'t' if teams else 'd'}"


def setting(name: str, value: str) -> str:
    return f"{VERSION}:se:{name}:{value}"


def show_results(session_id: int) -> str:
    return f"{VERSION}:rs:{session_id}"


def series_command(command: str, series_id: int) -> str:
    return f"{VERSION}:sc:{SERIES_COMMANDS[command]}:{series_id}"


def ics_file() -> str:
    """/next's button: the chat's sessions as an .ics file."""
    return f"{VERSION}:ic:all"


def import_choice(confirm: bool, token: str) -> str:
    """An upload refused by the removal rule: import it anyway (y) or drop it (n)."""
    return f"{VERSION}:im:{'y' if confirm else 'n'}:{token}"


def calendar_season(series_id: int, year: int) -> str:
    """/calendar's previous/next season buttons: the series is kept."""
    return f"{VERSION}:ca:{series_id}:{year}"


@dataclass(frozen=True, slots=True)
class FollowAction:
    follow: bool
    kind: str
    target_id: int


@dataclass(frozen=True, slots=True)
class StandingsAction:
    series_id: int
    year: int  # 0: the latest season
    class_index: int
    teams: bool


@dataclass(frozen=True, slots=True)
class ChartAction:
    series_id: int
    year: int
    championship: int
    class_index: int
    teams: bool


@dataclass(frozen=True, slots=True)
class SettingAction:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class SeriesCommandAction:
    command: str
    series_id: int


@dataclass(frozen=True, slots=True)
class IcsAction:
    pass


@dataclass(frozen=True, slots=True)
class ShowResultsAction:
    session_id: int


@dataclass(frozen=True, slots=True)
class ImportAction:
    confirm: bool
    token: str


@dataclass(frozen=True, slots=True)
class StandingsViewAction:
    series_id: int
    year: int  # 0: the latest season
    championship: int
    class_index: int
    teams: bool
    page: int


@dataclass(frozen=True, slots=True)
class DriverAction:
    driver_id: int
    act: str  # "": show, "f": follow, "u": unfollow


@dataclass(frozen=True, slots=True)
class TeamPageAction:
    series_id: int
    page: int


@dataclass(frozen=True, slots=True)
class CalendarAction:
    series_id: int
    year: int


Action = (
    FollowAction
    | StandingsAction
    | ChartAction
    | SettingAction
    | SeriesCommandAction
    | ShowResultsAction
    | ImportAction
    | IcsAction
    | StandingsViewAction
    | DriverAction
    | TeamPageAction
    | CalendarAction
)
_TOKEN = re.compile(r"^[0-9a-f]{8}$")


def _int(text: str, low: int = 0, high: int = 2**53) -> int | None:
    if not text.isdigit() or len(text) > 16:
        return None
    value = int(text)
    return value if low <= value <= high else None


def parse(data: str | None) -> Action | None:
    """None for anything that is not a button we made (old versions, tampering, garbage)."""
    if not data or not _SAFE.match(data):
        return None
    parts = data.split(":")
    if parts[0] != VERSION or len(parts) < 3:
        return None
    action, args = parts[1], parts[2:]
    if action in ("fo", "uf") and len(args) == 2 and args[0] in _KIND_NAMES:
        target = _int(args[1], 1)
        return FollowAction(action == "fo", _KIND_NAMES[args[0]], target) if target is not None else None
    if action == "st" and len(args) == 4 and args[3] in ("d", "t"):
        series_id, year, index = _int(args[0], 1), _int(args[1], 0, 3000), _int(args[2], 0, 50)
        if series_id is None or year is None or index is None:
            return None
        return StandingsAction(series_id, year, index, args[3] == "t")
    if action == "ch" and len(args) == 5 and args[4] in ("d", "t"):
        numbers = (_int(args[0], 1), _int(args[1], 1900, 3000), _int(args[2], 0, 50), _int(args[3], 0, 50))
        if None in numbers:
            return None
        series_id, year, championship, class_index = (n for n in numbers if n is not None)
        return ChartAction(series_id, year, championship, class_index, args[4] == "t")
    if action == "sv":
        return _standings_view(args)
    if action == "se" and len(args) == 2 and args[0] in SETTING_NAMES:
        return SettingAction(args[0], args[1])
    if action == "rs" and len(args) == 1:
        session_id = _int(args[0], 1)
        return ShowResultsAction(session_id) if session_id is not None else None
    if action == "sc" and len(args) == 2 and args[0] in _COMMAND_NAMES:
        series_id = _int(args[1], 1)
        return SeriesCommandAction(_COMMAND_NAMES[args[0]], series_id) if series_id is not None else None
    if action == "ic" and args == ["all"]:
        return IcsAction()
    if action == "im" and len(args) == 2 and args[0] in ("y", "n") and _TOKEN.match(args[1]):
        return ImportAction(args[0] == "y", args[1])
    if action in ("dr", "ft"):
        return _parse_people(action, args)
    if action == "ca" and len(args) == 2:
        series_id, year = _int(args[0], 1), _int(args[1], 1900, 3000)
        return CalendarAction(series_id, year) if series_id is not None and year is not None else None
    return None


# --- people: /driver profiles and /follow team lists ---------------------------------------------------------


def driver(driver_id: int, act: str = "") -> str:
    """/driver's buttons: show the profile (""), or follow ("f") / unfollow ("u") from it and show it again."""
    return f"{VERSION}:dr:{driver_id}" + (f":{act}" if act else "")


def team_page(series_id: int, page: int) -> str:
    """/follow team: one page of a series' teams."""
    return f"{VERSION}:ft:{series_id}:{page}"


def _parse_people(action: str, args: list[str]) -> Action | None:
    if action == "dr" and len(args) in (1, 2) and (len(args) == 1 or args[1] in ("f", "u")):
        driver_id = _int(args[0], 1)
        return DriverAction(driver_id, args[1] if len(args) == 2 else "") if driver_id is not None else None
    if action == "ft" and len(args) == 2:
        series_id, page = _int(args[0], 1), _int(args[1], 0, 1000)
        return TeamPageAction(series_id, page) if series_id is not None and page is not None else None
    return None


def setting_zone(zone: str) -> str | None:
    """A button setting the time zone `zone` ('America/New_York' → `v1:se:zone:America.New_York`); None for
    a name callback data cannot carry ('Etc/GMT+5': no '+' allowed; offsets are typed, not offered)."""
    data = setting("zone", zone.replace("/", "."))
    return data if _SAFE.match(data) and "." not in zone else None


def zone_of(value: str) -> str:
    """The zone name in a `zone` setting's value (still to be checked against the zone list)."""
    return value.replace(".", "/")


def standings_view(series_id: int, year: int, championship: int, class_index: int, teams: bool, page: int = 0) -> str:
    """A /standings table: `year` 0 is the latest season; `championship` the place in the season's
    championship list (0-based) and `class_index` the class's place in the table's class list (1-based, 0: none),
    as for chart(); `page` 0-based."""
    return f"{VERSION}:sv:{series_id}:{year}:{championship}:{class_index}:{'t' if teams else 'd'}:{page}"


def _standings_view(args: list[str]) -> StandingsViewAction | None:
    if len(args) != 6 or args[4] not in ("d", "t"):
        return None
    series_id, year, championship = _int(args[0], 1), _int(args[1], 0, 3000), _int(args[2], 0, 50)
    class_index, page = _int(args[3], 0, 50), _int(args[5], 0, 500)
    if series_id is None or year is None or championship is None or class_index is None or page is None:
        return None
    if 0 < year < 1900:
        return None
    return StandingsViewAction(series_id, year, championship, class_index, args[4] == "t", page)


# --- /results in depth: one view of a session's classification -------------------------------------------------

RESULTS_VIEW = "rv"
MAX_RESULTS_PAGE = 200


@dataclass(frozen=True, slots=True)
class ResultsViewAction:
    """A /results view: the session (its id names series, season and event), the class's place in the season's
    sorted class list (1-based, 0: every class), the page (0-based), and whether every race stage is listed."""

    session_id: int
    class_index: int = 0
    page: int = 0
    all_stages: bool = False


def results_view(action: ResultsViewAction) -> str:
    stages = "a" if action.all_stages else "s"
    return f"{VERSION}:{RESULTS_VIEW}:{action.session_id}:{action.class_index}:{action.page}:{stages}"


def parse_results_view(data: str | None) -> ResultsViewAction | None:
    """None for anything that is not a results-view button we made."""
    if not data or not _SAFE.match(data):
        return None
    parts = data.split(":")
    if len(parts) != 6 or parts[0] != VERSION or parts[1] != RESULTS_VIEW or parts[5] not in ("a", "s"):
        return None
    session_id, class_index, page = _int(parts[2], 1), _int(parts[3], 0, 50), _int(parts[4], 0, MAX_RESULTS_PAGE)
    if session_id is None or class_index is None or page is None:
        return None
    return ResultsViewAction(session_id, class_index, page, parts[5] == "a")

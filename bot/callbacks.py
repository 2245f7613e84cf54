"""Button callback data: short, versioned ASCII (`v1:fo:d:42`), parsed as untrusted input."""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "v1"
_KINDS = {"driver": "d", "team": "t", "series": "s"}
_KIND_NAMES = {v: k for k, v in _KINDS.items()}
_SAFE = re.compile(r"^[A-Za-z0-9:_\-.]{1,64}$")
SETTING_NAMES = ("tz", "lang", "lead", "alert", "spoiler")
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
    if action == "ca" and len(args) == 2:
        series_id, year = _int(args[0], 1), _int(args[1], 1900, 3000)
        return CalendarAction(series_id, year) if series_id is not None and year is not None else None
    return None

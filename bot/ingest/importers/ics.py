"""iCalendar (ICS) race calendars: VEVENTs become events (a venue's weekend) and their sessions.

Published calendars are sloppy, and each of these is read as a person would read it:
- TZIDs that are not IANA names: Windows names ("W. Europe Standard Time", mapped by icalendar),
  custom ids defined by the file's own VTIMEZONE ("UTC+07:00"), ids that only say an offset
  ("UTC+0700" with no VTIMEZONE), and unquoted TZID parameters holding a colon (RFC 5545 wants quotes);
- VTIMEZONE blocks missing mandatory properties (no DTSTART): the block's offset is used;
- floating times: the calendar's X-WR-TIMEZONE when it names a zone, else the event's zone in the store
  (`start_local`), else "time TBC";
- date-only events ("time TBC"), missing DTEND;
- UIDs regenerated from one version to the next: sessions carry their UID, and the store matches by UID
  first, then by event + session key (storage/writer.py), so an unchanged session changes nothing.

The importer is a function of bytes and a source name (`parse`), so a file and a downloaded URL go the
same way. One calendar may hold several series: `filter_text` keeps the VEVENTs whose summary holds it
(and drops it from the names), e.g. "(NASCAR Cup Series)".
"""

from __future__ import annotations

import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from bot.core.names import slug
from bot.core.records import SESSION_KINDS, EventRec, ImportBatch, SeasonRec, SessionRec
from bot.ingest.importers.common import digest
from bot.ingest.importers.table import ImportFailure

UID_DOMAIN = "pitboard"
WEEKEND_GAP = timedelta(days=4)  # sessions at one venue this close together are one event (Thu duels + Sun race)
_VTIMEZONE = re.compile(r"^BEGIN:VTIMEZONE\r?$.*?^END:VTIMEZONE\r?\n?", re.S | re.M | re.I)
# DTSTART;TZID=UTC+07:00:20260301T150000 — the colon in an unquoted parameter ends it too early.
_UNQUOTED_TZID = re.compile(r"(;TZID=)([^\";:\r\n]*:\d\d)(?=[:;])", re.I)
_OFFSET_NAME = re.compile(r"(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?", re.I)
_OFFSET_TO = re.compile(r"^TZOFFSETTO:\s*([+-])(\d{2})(\d{2})", re.M | re.I)
_SEPARATORS = re.compile(r"\s+[-–—|:]\s+|:\s+|\s*[()\[\]]\s*")

_PRACTICE = re.compile(
    r"^(?:fp\s*\d?|free\s+practice(?:\s*\d)?|practice(?:\s*\d)?|(?:freies\s+)?training(?:\s*\d)?"
    r"|essais\s+libres(?:\s*\d)?|el\s*\d|warm[\s-]?up|test(?:ing)?)$",
    re.I,
)
_QUALIFYING = re.compile(
    r"^(?:(?:sprint\s+)?(?:q\d?|qualifying(?:\s*\d)?|quali(?:fikation)?|qualifications?)|sprint\s+shootout"
    r"|shootout|hyperpole|pole\s+shootout)$",
    re.I,
)
_SPRINT = re.compile(r"^(?:spr|sprint(?:\s+race)?|race\s*1|rennen\s*1|course\s*1)$", re.I)
_RACE = re.compile(r"^(?:rac|race(?:\s*\d)?|grand\s+prix|gp|rennen(?:\s*\d)?|course(?:\s*\d)?|main\s+race)$", re.I)
# Inside a longer summary ("Free Practice 1 - Bahrain") the same words, not anchored.
_KIND_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("practice", re.compile(r"\b(?:fp\s*\d|free\s+practice|practice|training|essais\s+libres)\b", re.I)),
    ("qualifying", re.compile(r"\b(?:q[123]|qualifying|quali|qualifikation|qualification|shootout)\b", re.I)),
    ("sprint", re.compile(r"\b(?:spr|sprint)\b", re.I)),
    ("race", re.compile(r"\b(?:rac|race|grand\s+prix|rennen|course)\b", re.I)),
]


@dataclass(slots=True)
class _Item:
    uid: str | None
    name: str  # the session's name (summary without the event part)
    event_name: str | None  # the event part of the summary, when it has one ("Bahrain Grand Prix")
    label: bool  # the name is a session word (FP1, Qualifying), not a race's own name
    kind: str
    venue: str | None
    start_utc: datetime | None
    end_utc: datetime | None
    start_local: datetime | None  # floating time, zone not known here
    day: date  # the local day when known, else the UTC day
    cancelled: bool
    keys: tuple[str, str] | None = None  # event and session key, from a file Pitboard exported


def pitboard_uid(series: str, year: int, event_key: str, session_key: str) -> str:
    # Pitboard's keys never change once stored, so neither does the UID of an exported session.
    return f"{series}/{year}/{event_key}/{session_key}@{UID_DOMAIN}"


def parse_pitboard_uid(uid: str) -> tuple[str, int, str, str] | None:
    """(series, year, event key, session key) of a UID Pitboard's export made, else None."""
    head, _, domain = uid.rpartition("@")
    parts = head.split("/")
    if domain != UID_DOMAIN or len(parts) != 4 or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1]), parts[2], parts[3]


def looks_like(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").upper().startswith("BEGIN:VCALENDAR")


def load(
    paths: list[Path],
    series: str | None,
    season: int | None,
    series_name: str | None = None,
    filter_text: str | None = None,
) -> ImportBatch:
    if len(paths) != 1 or paths[0].is_dir():
        raise ImportFailure(paths[0], "import ICS calendars one by one")
    path = paths[0]
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailure(path, f"cannot read the file: {exc.strerror}") from exc
    batch = parse(data, str(path), series, season, series_name, filter_text)
    batch.digest = digest([path])
    return batch


def parse(
    data: bytes,
    source: str,
    series: str | None,
    season: int | None,
    series_name: str | None = None,
    filter_text: str | None = None,
) -> ImportBatch:
    """An ImportBatch from the bytes of a calendar; `source` names it in errors (a path or a URL)."""
    if not series:
        raise ImportFailure(source, "an ICS calendar does not say its series: give --series (e.g. --series nascar-cup)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if not looks_like(text):
        head = text.lstrip()[:15].lower()
        what = "an HTML page" if head.startswith(("<!doctype", "<html")) else "not an iCalendar file"
        raise ImportFailure(source, f"{what}: an ICS calendar starts with BEGIN:VCALENDAR")
    text = re.sub(r"\r?\n[ \t]", "", text)  # unfold long lines first: a parameter may be folded
    text = _UNQUOTED_TZID.sub(lambda m: f'{m.group(1)}"{m.group(2)}"', text)
    zones = _file_zones(text)
    try:
        with warnings.catch_warnings():
            # icalendar warns when it guesses a vendor-prefixed TZID; _zone_from_name resolves every TZID itself.
            warnings.simplefilter("ignore")
            calendar = icalendar.Calendar.from_ical(_VTIMEZONE.sub("", text))
    except ValueError as exc:
        raise ImportFailure(source, f"not a valid iCalendar file: {exc}") from exc
    default_zone = _zone_from_name(str(calendar.get("X-WR-TIMEZONE", "")).strip(), zones)
    vevents = list(calendar.walk("VEVENT"))
    if not vevents:
        raise ImportFailure(source, "the calendar holds no events (no VEVENT): nothing to import")
    notes: list[str] = []
    items: list[_Item] = []
    skipped = 0
    for vevent in vevents:
        summary = " ".join(str(vevent.get("SUMMARY", "")).split())
        if filter_text:
            if filter_text.casefold() not in summary.casefold():
                skipped += 1
                continue
            summary = " ".join(re.sub(re.escape(filter_text), " ", summary, flags=re.I).split()).strip(" -–:|")
        item = _item(vevent, summary, zones, default_zone) if isinstance(vevent, icalendar.Event) else None
        if item is not None:
            items.append(item)
    # A UID the feed gives to two sessions identifies neither: they are matched by event + session instead.
    uids = Counter(i.uid for i in items if i.uid)
    for item in items:
        if item.uid and uids[item.uid] > 1:
            item.uid = None
    if not items:
        seen = Counter(m for v in vevents for m in re.findall(r"\(([^()]+)\)\s*$", str(v.get("SUMMARY", ""))))
        hint = f" (summaries end with: {', '.join(f'({s})' for s, _ in seen.most_common(5))})" if seen else ""
        raise ImportFailure(source, f"no event matches --filter {filter_text!r}{hint}")
    if season is None:
        season = Counter(i.day.year for i in items).most_common(1)[0][0]
        notes.append(f"{source}: season {season} taken from the dates (give --season to choose)")
    outside = [i for i in items if i.day.year != season]
    if outside:
        notes.append(f"{source}: {len(outside)} event(s) outside {season} left out")
        items = [i for i in items if i.day.year == season]
    if not items:
        raise ImportFailure(source, f"no event of the calendar falls in {season}")
    events = _events(items)
    # Pitboard's own export names its series on every entry; other feeds name the calendar at most.
    own_names = {str(v.get("X-PITBOARD-SERIES")) for v in vevents if v.get("X-PITBOARD-SERIES")}
    own_name = own_names.pop() if len(own_names) == 1 else None
    name = series_name or own_name or str(calendar.get("X-WR-CALNAME", "")).strip() or series
    return ImportBatch(
        source="ics",
        series_slug=series,
        series_name=name,
        seasons=[SeasonRec(year=season, events=events, calendar=True)],
        notes=notes,
        paths=[source],
    )


def _file_zones(text: str) -> dict[str, tzinfo]:
    """The zones a file defines in its VTIMEZONE blocks; a block missing mandatory properties gives
    its (first) TZOFFSETTO as a fixed offset instead of failing the whole calendar."""
    zones: dict[str, tzinfo] = {}
    for block in _VTIMEZONE.findall(text):
        tzid_match = re.search(r"^TZID[^:\r\n]*:(.*?)\r?$", block, re.M | re.I)
        if not tzid_match:
            continue
        tzid = tzid_match.group(1).strip().strip('"')
        try:
            component = icalendar.Timezone.from_ical(block)
            if isinstance(component, icalendar.Timezone):
                zones[tzid] = component.to_tz(icalendar.timezone.tzp, lookup_tzid=False)
                continue
            continue
        except Exception:  # dateutil and icalendar raise several types for a broken block
            pass
        offset = _OFFSET_TO.search(block)
        if offset:
            sign = -1 if offset.group(1) == "-" else 1
            zones[tzid] = timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
    return zones


def _zone_from_name(name: str, zones: dict[str, tzinfo]) -> tzinfo | None:
    """An IANA or Windows name, the file's own VTIMEZONE, or an offset spelled in the id."""
    if not name:
        return None
    clean = name.strip().strip('"').strip("/")
    parts = clean.split("/")
    # Old Mozilla clients prefix the IANA name: /mozilla.org/20050126_1/Europe/Paris.
    for start in range(max(0, len(parts) - 3), len(parts)):
        try:
            return ZoneInfo("/".join(parts[start:]) if start else clean)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    windows = icalendar.timezone.tzp.timezone(clean)
    if windows is not None and clean not in zones:
        return windows
    if clean in zones:
        return zones[clean]
    match = _OFFSET_NAME.search(clean)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0)))
    return None


def _moment(
    prop: icalendar.prop.vDDDTypes | None, zones: dict[str, tzinfo], default: tzinfo | None
) -> tuple[datetime | None, datetime | None, date | None, bool]:
    """(UTC instant, floating local time, date-only day, zone known from the file)."""
    if prop is None:
        return None, None, None, False
    value = prop.dt
    if isinstance(value, date) and not isinstance(value, datetime):
        return None, None, value, False
    if not isinstance(value, datetime):
        return None, None, None, False  # a time or period where a start belongs: nothing usable
    tzid = prop.params.get("TZID")
    if tzid:
        zone = _zone_from_name(str(tzid), zones)
        wall = value.replace(tzinfo=None)
        if zone is None:
            return None, wall, None, False
        return wall.replace(tzinfo=zone).astimezone(UTC), None, None, True
    if value.tzinfo is not None:
        return value.astimezone(UTC), None, None, False
    if default is not None:
        return value.replace(tzinfo=default).astimezone(UTC), None, None, True
    return None, value, None, False


def _item(vevent: icalendar.Event, summary: str, zones: dict[str, tzinfo], default: tzinfo | None) -> _Item | None:
    start_utc, start_local, day, zoned = _moment(vevent.get("DTSTART"), zones, default)
    end_utc, _, _, _ = _moment(vevent.get("DTEND"), zones, default)
    if end_utc is None and start_utc is not None and vevent.get("DURATION") is not None:
        duration = vevent.get("DURATION").dt
        if isinstance(duration, timedelta):
            end_utc = start_utc + duration
    if start_utc is None and start_local is None and day is None:
        return None  # no DTSTART at all: nothing to schedule
    if day is None:
        if start_local is not None:
            day = start_local.date()
        elif zoned:
            raw = vevent.get("DTSTART").dt
            day = raw.date()
        else:
            assert start_utc is not None
            day = start_utc.date()
    name, event_name, label = _split(summary or "Session")
    kind = _kind(name if label else summary)
    uid = str(vevent.get("UID", "")).strip() or None
    keys = None
    own = parse_pitboard_uid(uid) if uid else None
    if own and vevent.get("X-PITBOARD-SESSION") and str(vevent.get("X-PITBOARD-KIND")) in SESSION_KINDS:
        # Pitboard's own export: its names and keys, exactly as stored.
        keys = (own[2], own[3])
        name, event_name, label = str(vevent["X-PITBOARD-SESSION"]), str(vevent.get("X-PITBOARD-EVENT", "")), True
        kind = str(vevent["X-PITBOARD-KIND"])
    location = str(vevent.get("LOCATION", "")).strip()
    venue = location.split(",")[0].strip() if location else None
    status = str(vevent.get("STATUS", "")).upper()
    return _Item(
        uid=uid[:200] if uid else None,
        name=name[:80],
        event_name=event_name[:120] if event_name else None,
        label=label,
        kind=kind,
        venue=venue[:120] if venue else None,
        start_utc=start_utc,
        end_utc=end_utc if end_utc and start_utc and end_utc > start_utc else None,
        start_local=start_local,
        day=day,
        cancelled=status == "CANCELLED",
        keys=keys,
    )


def _is_label(part: str) -> bool:
    return any(p.match(part) for p in (_PRACTICE, _QUALIFYING, _SPRINT, _RACE))


def _split(summary: str) -> tuple[str, str | None, bool]:
    """'Bahrain Grand Prix - Practice 1' → ('Practice 1', 'Bahrain Grand Prix', True);
    'Goodyear 400' → ('Goodyear 400', None, False)."""
    parts = [p.strip() for p in _SEPARATORS.split(summary) if p and p.strip()]
    labels = [p for p in parts if _is_label(p)]
    if labels and len(parts) > 1:
        rest = [p for p in parts if p not in labels]
        return labels[0], " ".join(rest) or None, True
    if labels:
        return labels[0], None, True
    return summary, None, False


def _kind(text: str) -> str:
    # Sprint qualifying is a qualifying session; a summary without any session word is a race's name.
    if _QUALIFYING.match(text) or re.search(r"\bsprint\s+(?:qualifying|shootout)\b", text, re.I):
        return "qualifying"
    for kind, pattern in _KIND_WORDS:
        if pattern.search(text):
            return kind
    return "race"


def _session_key(item: _Item) -> str:
    if not item.label:
        return item.kind
    text = item.name.casefold()
    number = re.search(r"(\d)\s*$", text)
    if item.kind == "practice":
        return f"fp{number.group(1)}" if number else "practice"
    if item.kind == "qualifying":
        if "sprint" in text or "shootout" in text:
            return "sprint-qualifying"
        return f"q{number.group(1)}" if number and re.match(r"^q\d$", text) else "qualifying"
    return slug(item.kind)


def _events(items: list[_Item]) -> list[EventRec]:
    """Group by venue (or the summary's event name), then by weekend; keys are the venue's slug,
    numbered by visit in the season (martinsville-speedway, martinsville-speedway-2)."""
    by_place: dict[str, list[_Item]] = defaultdict(list)
    groups: list[tuple[str, list[_Item]]] = []
    own: dict[str, list[_Item]] = defaultdict(list)
    for item in items:
        if item.keys:
            own[item.keys[0]].append(item)
            continue
        place = item.venue or item.event_name or item.name
        by_place[slug(place) or "event"].append(item)
    groups.extend((key, sorted(members, key=_order)) for key, members in own.items())
    for place, members in by_place.items():
        members.sort(key=_order)
        visits: list[list[_Item]] = []
        for item in members:
            if visits and item.day - visits[-1][-1].day <= WEEKEND_GAP:
                visits[-1].append(item)
            else:
                visits.append([item])
        for number, visit in enumerate(visits, 1):
            groups.append((place if number == 1 else f"{place}-{number}", visit))
    groups.sort(key=lambda g: _order(g[1][0]))
    return [_event(key, members) for key, members in groups]


def _order(item: _Item) -> tuple[date, str]:
    moment = item.start_utc or (item.start_local.replace(tzinfo=UTC) if item.start_local else None)
    return item.day, moment.isoformat() if moment else ""


def _event(key: str, members: list[_Item]) -> EventRec:
    named = Counter(m.event_name for m in members if m.event_name)
    if named:
        name = named.most_common(1)[0][0]
    else:
        races = [m for m in members if m.kind == "race"] or members
        name = races[-1].name  # a weekend of bare race names (NASCAR's Duels, then the 500) is its main race
    sessions: list[SessionRec] = []
    used: Counter[str] = Counter()
    for item in members:
        base = item.keys[1] if item.keys else _session_key(item)
        used[base] += 1
        key_ = base if used[base] == 1 else f"{base}-{used[base]}"
        sessions.append(
            SessionRec(
                key=key_,
                name=item.name,
                kind=item.kind,
                start_utc=_iso(item.start_utc),
                end_utc=_iso(item.end_utc),
                start_date=item.day.isoformat() if item.start_utc is None else None,
                start_local=item.start_local.isoformat() if item.start_local else None,
                status="cancelled" if item.cancelled else None,
                uid=item.uid,
            )
        )
    venue = next((m.venue for m in members if m.venue), None)
    return EventRec(
        key=key[:60],
        name=name,
        circuit=venue,
        start_date=members[0].day.isoformat(),
        end_date=max(m.day for m in members).isoformat(),
        sessions=sessions,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None

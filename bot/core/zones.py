"""Which time zone a user means: real IANA zones only, by full name or by city, with suggestions for typos.

`zoneinfo.available_timezones()` lists every file under the system's zoneinfo folder, and some of those
are not places: `localtime` (the server's own zone, a symlink), `Factory` (the zone of a machine not yet
set up, its abbreviation is "-00"), `posixrules`, and the `posix/` and `right/` copies (`right/` counts
leap seconds, so its times are off by ~27 s). What the list holds also differs from machine to machine.
Accepted: every other IANA name, including the old links people still write (`UTC`, `US/Eastern`, `CET`),
case-insensitive, spaces for underscores; and a city alone ("vienna", "new york") when exactly one
zone ends in it.
"""

from __future__ import annotations

import difflib
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

NOT_PLACES = frozenset({"localtime", "factory", "posixrules", "leapseconds", "tzdata.zi", "zone.tab", "zone1970.tab"})
NOT_PLACE_FOLDERS = ("posix/", "right/", "systemv/")
MAX_ZONE_TEXT = 64


def is_place(name: str) -> bool:
    folded = name.casefold()
    return folded not in NOT_PLACES and not folded.startswith(NOT_PLACE_FOLDERS)


@cache
def _zones() -> dict[str, str]:
    """casefolded name → IANA name, for every zone that is a place and loads."""
    found: dict[str, str] = {}
    for name in available_timezones():
        if not is_place(name):
            continue
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
        found[name.casefold()] = name
    return found


@cache
def _cities() -> dict[str, str]:
    """casefolded last part ("vienna", "new_york") → IANA name, only where exactly one zone ends in it."""
    seen: dict[str, list[str]] = {}
    for name in _zones().values():
        if "/" in name:
            seen.setdefault(name.rsplit("/", 1)[1].casefold(), []).append(name)
    return {city: names[0] for city, names in seen.items() if len(names) == 1}


def _key(text: str) -> str:
    return "_".join(text.split()).casefold()


def resolve_zone(text: str) -> str | None:
    """'europe/vienna' or 'Vienna' → 'Europe/Vienna'; None for anything that is not a place's IANA zone."""
    key = _key(text)
    if not key or len(key) > MAX_ZONE_TEXT:
        return None
    return _zones().get(key) or _cities().get(key)


def suggest_zones(text: str, limit: int = 3) -> list[str]:
    """Zones close to a typo ('Europe/Viena', 'viena'), best first; empty when nothing is close."""
    key = _key(text)
    if not key or len(key) > MAX_ZONE_TEXT:
        return []
    names = _zones()
    cities = _cities()
    close = difflib.get_close_matches(key, [*names, *cities], n=limit * 2, cutoff=0.75)
    found: list[str] = []
    for match in close:
        zone = names.get(match) or cities[match]
        if zone not in found:
            found.append(zone)
    return found[:limit]

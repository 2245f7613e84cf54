"""Which time zone a fan means when they type a city, a country or a UTC offset.

`/timezone Berlin`, `/timezone Wien`, `/timezone Deutschland`, `/timezone USA`, `/timezone +2`,
`/timezone UTC-5`, `/timezone Europe/Berlin`. The data is not written by hand:
- IANA names and their cities: bot/core/zones.py (the system's or tzdata's zone list);
- city names in German and English where they differ from the zone's ("Wien", "Mailand"): CLDR's exemplar
  cities, through Babel;
- countries: tzdata's zone.tab (the zones of each country, its most populous area first) and CLDR's
  country names in German and English, through Babel; the few everyday short names CLDR has not
  ("USA", "UK") are in ALIASES.
A country with several zones answers with one zone per distinct local time (the USA: New York, Chicago,
Denver, Phoenix, Los Angeles, Anchorage, Adak, Honolulu), for the fan to choose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

from anyascii import anyascii
from babel import Locale
from babel.dates import get_timezone_location

from bot.core.zones import MAX_ZONE_TEXT, resolve_zone, suggest_zones

LOCALES = ("en", "de")
ALIASES = {"usa": "US", "america": "US", "uk": "GB", "britain": "GB", "england": "GB", "uae": "AE"}
# "+2", "UTC-5", "GMT +05:30", "utc+1030", "−3" (a typographic minus).
_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*([+\-−])\s*(\d{1,2})(?:[:.h]?(\d{2}))?\s*h?$")
MAX_CHOICES = 10

Kind = Literal["zone", "city", "country", "offset", "none"]


@dataclass(frozen=True, slots=True)
class ZoneLookup:
    """What the text meant. One zone: set it. Several: ask which. None: `suggestions` (maybe empty)."""

    kind: Kind
    zones: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    country: str | None = None  # the ISO code when the text named a country

    @property
    def fixed(self) -> bool:
        """A fixed UTC offset (no daylight saving time): the fan should know their clock may change."""
        return self.kind == "offset" and len(self.zones) == 1 and self.zones[0].startswith("Etc/")


def _fold(text: str) -> str:
    """Case, accents, spaces, dashes and underscores do not matter: 'Zürich' = 'zurich', 'New-York' = 'new york'."""
    return " ".join(anyascii(text).casefold().replace("_", " ").replace("-", " ").split())


def zone_offset(zone: str, moment: datetime) -> timedelta:
    return ZoneInfo(zone).utcoffset(moment) or timedelta(0)


def _offsets(zone: str, year: int) -> tuple[timedelta, timedelta]:
    """Winter and summer offsets: two zones with the same pair keep the same clock all year."""
    return (
        zone_offset(zone, datetime(year, 1, 15, 12, tzinfo=UTC)),
        zone_offset(zone, datetime(year, 7, 15, 12, tzinfo=UTC)),
    )


@cache
def _zone_tab() -> tuple[tuple[str, str], ...]:
    """(country code, zone) from tzdata's zone.tab, in its order (a country's main zone first)."""
    rows: list[tuple[str, str]] = []
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3 and resolve_zone(parts[2]) == parts[2]:
                rows.append((parts[0], parts[2]))
    return tuple(rows)


@cache
def _zone_now() -> frozenset[str]:
    """tzdata's zonenow.tab: one zone for each local time kept today, the one people know (Sydney rather
    than Macquarie, São Paulo rather than Belém)."""
    text = resources.files("tzdata").joinpath("zoneinfo", "zonenow.tab").read_text(encoding="utf-8")
    return frozenset(p[2] for line in text.splitlines() if not line.startswith("#") and len(p := line.split("\t")) >= 3)


def distinct(zones: list[str], year: int) -> tuple[str, ...]:
    """One zone per distinct local time (winter and summer offsets), in the given order: zonenow.tab's zone
    for that time where it is among them, else the first."""
    groups: dict[tuple[timedelta, timedelta], list[str]] = {}
    for zone in zones:
        groups.setdefault(_offsets(zone, year), []).append(zone)
    known = _zone_now()
    chosen = [next((z for z in group if z in known), group[0]) for group in groups.values()]
    return tuple(sorted(chosen, key=zones.index))


def country_zones(code: str, year: int = 2025) -> tuple[str, ...]:
    """A country's zones (ISO 3166 code), one per distinct local time, its main one first. Any recent `year`
    will do: it only tells zones apart by their winter and summer offsets."""
    wanted = code.upper()
    return distinct([zone for country, zone in _zone_tab() if country == wanted], year)


@cache
def _countries() -> dict[str, str]:
    """folded country name in German and English, ISO code and everyday alias → ISO code."""
    codes = {country for country, _ in _zone_tab()}
    found: dict[str, str] = {_fold(code): code for code in codes}
    for language in LOCALES:
        for code, name in Locale.parse(language).territories.items():
            if code in codes:
                found.setdefault(_fold(name), code)
    found.update(ALIASES)
    return found


@cache
def _cities() -> dict[str, tuple[str, ...]]:
    """folded city name in German and English (CLDR's exemplar cities, and each zone's own) → zones."""
    found: dict[str, list[str]] = {}
    for _, zone in _zone_tab():
        names = {zone.rsplit("/", 1)[-1]}
        for language in LOCALES:
            names.add(get_timezone_location(zone, locale=language, return_city=True))
        for name in names:
            zones = found.setdefault(_fold(name), [])
            if zone not in zones:
                zones.append(zone)
    return {name: tuple(zones) for name, zones in found.items()}


def offset_zone(hours: int) -> str:
    """UTC+2 → 'Etc/GMT-2': the POSIX-style names have the sign inverted."""
    return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"


def _offset(text: str, year: int) -> ZoneLookup | None:
    match = _OFFSET.match(text.strip().casefold())
    if match is None:
        return None
    sign = -1 if match.group(1) in "-−" else 1
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if minutes >= 60 or not -12 <= sign * hours <= 14:
        return ZoneLookup("none")
    if minutes == 0:
        return ZoneLookup("offset", (offset_zone(sign * hours),))
    # No Etc zone has half hours: the real zones that keep this offset in winter or summer.
    wanted = sign * timedelta(hours=hours, minutes=minutes)
    zones = [zone for _, zone in _zone_tab() if wanted in _offsets(zone, year)]
    return ZoneLookup("offset", distinct(zones, year)[:MAX_CHOICES]) if zones else ZoneLookup("none")


def find_zones(text: str, now: datetime) -> ZoneLookup:
    """What `text` means as a time zone (see the module's doc); `now` decides which offsets zones have."""
    text = text.strip()
    if not text or len(text) > MAX_ZONE_TEXT:
        return ZoneLookup("none")
    year = now.astimezone(UTC).year
    by_offset = _offset(text, year)
    if by_offset is not None:
        return by_offset
    exact = resolve_zone(text)
    if exact is not None:
        return ZoneLookup("zone", (exact,))
    key = _fold(text)
    cities = _cities().get(key)
    if cities:
        return ZoneLookup("city", distinct(list(cities), year)[:MAX_CHOICES])
    country = _countries().get(key)
    if country is not None:
        return ZoneLookup("country", country_zones(country, year)[:MAX_CHOICES], country=country)
    return ZoneLookup("none", suggestions=tuple(suggest(text)))


def suggest(text: str, limit: int = 3) -> list[str]:
    """Zones for a typo: IANA names and cities (bot/core/zones.py), then German and English city and
    country names ('Deutchland', 'Wein')."""
    import difflib

    found = list(suggest_zones(text, limit))
    key = _fold(text)
    names = {**{name: zones[0] for name, zones in _cities().items()}}
    countries = _countries()
    for match in difflib.get_close_matches(key, [*names, *countries], n=limit, cutoff=0.8):
        zone = names.get(match) or next(iter(country_zones(countries[match])), None)
        if zone and zone not in found:
            found.append(zone)
    return found[:limit]


def city_name(zone: str, language: str) -> str:
    """'Europe/Vienna' → 'Wien' in German, 'Vienna' in English; 'Etc/GMT-2' → 'UTC+2'."""
    if zone in ("UTC", "Etc/UTC", "Etc/GMT"):
        return "UTC"
    if zone.startswith("Etc/GMT"):
        return "UTC" + ("−" if zone[7] == "+" else "+") + zone[8:]
    if resolve_zone(zone) != zone:
        return zone
    try:
        return get_timezone_location(zone, locale=language, return_city=True)
    except (LookupError, ValueError):
        return zone.rsplit("/", 1)[-1].replace("_", " ")


def utc_offset_label(zone: str, moment: datetime) -> str:
    """'UTC+2', 'UTC−5', 'UTC+5:30', 'UTC' for the zone at that moment."""
    offset = zone_offset(zone, moment)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")

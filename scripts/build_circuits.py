"""Builds bot/ingest/circuits.json, the circuit table Pitboard ships (see bot/ingest/circuits.py).

    .venv-test/bin/python scripts/build_circuits.py [--ergast ../shared/data/f1-ergast/circuits.csv] [--output FILE]

Inputs: Ergast's circuits.csv (every F1 circuit: name, place, country, coordinates; credit: Ergast Developer
API, ergast.com, data model served today by Jolpica-F1) and scripts/circuits_input.json beside this script
(aliases as files spell the venues, and the venues Ergast lacks, each with the source of its coordinates).
Each circuit's IANA time zone is derived from its coordinates with timezonefinder, here, once: nothing at
run time needs timezonefinder (a build extra, not a dependency). The output is deterministic: the same
inputs and timezonefinder data give the same bytes.

Aliases are de-conflicted here so the table never names two circuits with one word: a name from the
hand-kept list beats an Ergast name, which beats an Ergast reference ('red_bull_ring'), which beats an
Ergast place ('Spielberg'); places two circuits share ('Barcelona') are dropped; a clash of equals fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest.circuits import normalise  # noqa: E402

INPUT = Path(__file__).resolve().parent / "circuits_input.json"
ERGAST = ROOT.parent / "shared" / "data" / "f1-ergast" / "circuits.csv"
OUTPUT = ROOT / "bot" / "ingest" / "circuits.json"
HAND_KEPT = "scripts/circuits_input.json"

# How strongly a spelling belongs to a circuit (higher wins a clash).
EXPLICIT, NAME, REF, PLACE = 3, 2, 1, 0


@dataclass
class Row:
    id: str
    name: str
    country: str
    lat: float
    lng: float
    source: str
    spellings: dict[str, int] = field(default_factory=dict)  # text → strength
    exact_only: set[str] = field(default_factory=set)

    def add(self, text: str, strength: int) -> None:
        if text and strength > self.spellings.get(text, -1):
            self.spellings[text] = strength


def _rows(ergast: Path, hand: dict) -> list[Row]:
    countries: dict[str, str] = hand["country_names"]
    not_places = set(hand["ergast_places_not_aliases"]["places"])
    exact_only = set(hand["exact_only"]["spellings"])
    rows: dict[str, Row] = {}
    with ergast.open(encoding="utf-8", newline="") as f:
        for rec in csv.DictReader(f):
            row = Row(
                id=rec["circuitRef"],
                name=rec["name"],
                country=countries.get(rec["country"], rec["country"]),
                lat=float(rec["lat"]),
                lng=float(rec["lng"]),
                source=f"ergast:{rec['circuitId']}",
            )
            row.add(rec["name"], NAME)
            current = hand["current_names"]["names"].get(rec["circuitRef"])
            if current:
                row.name = current
                row.add(current, EXPLICIT)
            row.add(rec["circuitRef"].replace("_", " ").replace("-", " "), REF)
            if rec["location"] not in not_places:
                row.add(rec["location"], PLACE)
            rows[row.id] = row
    for ref, aliases in hand["ergast_aliases"].items():
        if ref not in rows:
            raise SystemExit(f"{HAND_KEPT}: ergast_aliases names {ref!r}, which circuits.csv does not have")
        for alias in aliases:
            rows[ref].add(alias, EXPLICIT)
    for venue in hand["venues"]:
        if venue["id"] in rows:
            raise SystemExit(f"{HAND_KEPT}: venue id {venue['id']!r} is taken")
        row = Row(
            id=venue["id"],
            name=venue["name"],
            country=venue["country"],
            lat=float(venue["lat"]),
            lng=float(venue["lng"]),
            source=HAND_KEPT,
        )
        for text in (venue["name"], *venue["aliases"]):
            row.add(text, EXPLICIT)
        rows[row.id] = row
    for row in rows.values():
        row.exact_only = exact_only & set(row.spellings)
    return [rows[k] for k in sorted(rows)]


def _deconflict(rows: list[Row]) -> dict[str, dict[str, list[str]]]:
    """Per circuit: 'aliases' (may match inside a longer name) and 'places' (whole venue only: places and
    Ergast references such as 'george' or 'americas' are too common a word to look for inside other names)."""
    claims: dict[str, list[tuple[int, str, str]]] = {}
    for row in rows:
        for text, strength in row.spellings.items():
            claims.setdefault(normalise(text), []).append((strength, row.id, text))
    kept: dict[str, dict[str, list[str]]] = {row.id: {"aliases": [], "places": []} for row in rows}
    for key, claimants in sorted(claims.items()):
        if not key:
            continue
        top = max(c[0] for c in claimants)
        winners = {c[1] for c in claimants if c[0] == top}
        if len(winners) > 1:
            if top >= NAME:
                raise SystemExit(f"{key!r} is claimed by {', '.join(sorted(winners))}: fix {HAND_KEPT}")
            continue  # a place or reference two circuits share means neither
        (winner,) = winners
        text = min(c[2] for c in claimants if c[1] == winner and c[0] == top)
        row = next(r for r in rows if r.id == winner)
        if normalise(text) == normalise(row.name):
            continue
        kept[winner]["places" if top <= REF or text in row.exact_only else "aliases"].append(text)
    return kept


def build(ergast: Path = ERGAST, hand_path: Path = INPUT) -> str:
    from timezonefinder import TimezoneFinder  # build-time only: the dev extra installs it

    hand = json.loads(hand_path.read_text(encoding="utf-8"))
    rows = _rows(ergast, hand)
    spellings = _deconflict(rows)
    finder = TimezoneFinder()
    circuits = []
    for row in rows:
        zone = finder.timezone_at(lng=row.lng, lat=row.lat)
        if zone is None:
            raise SystemExit(f"{row.id}: no time zone at {row.lat}, {row.lng}")
        circuits.append(
            {
                "id": row.id,
                "name": row.name,
                "aliases": sorted(spellings[row.id]["aliases"], key=str.casefold),
                "places": sorted(spellings[row.id]["places"], key=str.casefold),
                "country": row.country,
                "lat": row.lat,
                "lng": row.lng,
                "timezone": zone,
                "source": row.source,
            }
        )
    doc = {
        "about": (
            "Built by scripts/build_circuits.py; do not edit by hand. F1 circuits: Ergast circuits.csv (credit:"
            " Ergast Developer API). Other venues: scripts/circuits_input.json (coordinates from each circuit's"
            " Wikipedia article). Time zones derived from the coordinates with timezonefinder."
        ),
        "circuits": circuits,
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ergast", type=Path, default=ERGAST, help="Ergast circuits.csv")
    parser.add_argument("--input", type=Path, default=INPUT, help="the hand-kept venues and aliases")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    text = build(args.ergast, args.input)
    args.output.write_text(text, encoding="utf-8")
    print(f"{args.output}: {len(json.loads(text)['circuits'])} circuits")


if __name__ == "__main__":
    main()

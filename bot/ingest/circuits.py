"""The circuits Pitboard knows: a venue as files spell it → circuit, country, IANA time zone, coordinates.

A track's time zone never changes, so a results file of a known track gets correct UTC times without a
calendar. The table (`circuits.json`, package data) is built once by `scripts/build_circuits.py` from Ergast's
circuits.csv and a hand-kept list of the other venues; zones come from the coordinates, never typed by hand.

Resolution, strictest first: the whole name (accents, case and punctuation ignored); the name without a
leading round number ("21-road-atlanta"); the longest known circuit name inside it ("CrowdStrike 24 Hours of
Spa"); a near-exact spelling ("Laguna Secca"). Anything ambiguous or unknown is None: a wrong track would give
wrong times, an unknown one only "time TBC".
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.core.names import name_key
from bot.core.records import EventRec, ImportBatch, VenueRec

TABLE_PATH = Path(__file__).resolve().parent / "circuits.json"
# A typo, not another track: 'laguna secca' scores 96 against 'laguna seca', 'bull run' 57 against
# 'red bull ring', 'road america' 75 against 'road atlanta'.
FUZZY_CUTOFF = 90.0
FUZZY_MIN_LENGTH = 6
_LEADING_NUMBER = re.compile(r"^\d+ (?=\S)")


@dataclass(frozen=True, slots=True)
class Circuit:
    id: str
    name: str
    country: str
    timezone: str
    lat: float
    lng: float
    source: str  # "ergast:<circuitId>" or the hand-kept list's name
    aliases: tuple[str, ...]  # names that may also appear inside a longer venue or event name
    places: tuple[str, ...]  # towns and Ergast references: matched only as the whole venue

    @property
    def venue(self) -> VenueRec:
        return VenueRec(circuit=self.name, country=self.country, timezone=self.timezone)


def normalise(text: str) -> str:
    """'Circuit de Spa-Francorchamps' → 'circuit de spa francorchamps'; 'Nürburgring' → 'nurburgring'."""
    return name_key(text)


class CircuitTable:
    def __init__(self, circuits: Iterable[Circuit]) -> None:
        self.circuits = {c.id: c for c in circuits}
        self._exact: dict[str, str] = {}
        self._inside: dict[str, str] = {}
        for circuit in self.circuits.values():
            for text in (circuit.name, *circuit.aliases):
                self._claim(self._inside, normalise(text), circuit.id)
            for text in (circuit.name, *circuit.aliases, *circuit.places):
                self._claim(self._exact, normalise(text), circuit.id)
        self._keys = list(self._exact)

    @staticmethod
    def _claim(index: dict[str, str], key: str, circuit_id: str) -> None:
        if index.setdefault(key, circuit_id) != circuit_id:
            raise ValueError(f"circuit table: {key!r} names both {index[key]} and {circuit_id}")

    def __len__(self) -> int:
        return len(self.circuits)

    def resolve(self, venue: str | None) -> Circuit | None:
        if not venue:
            return None
        key = normalise(venue)
        if not key:
            return None
        for candidate in (key, _LEADING_NUMBER.sub("", key)):
            if candidate in self._exact:
                return self.circuits[self._exact[candidate]]
        found = self._inside_match(key.split()) or self._near_match(key)
        return self.circuits[found] if found else None

    def _inside_match(self, tokens: list[str]) -> str | None:
        """The circuit whose longest name appears as whole words; None when two circuits tie."""
        best_length, best = 0, set()
        for start in range(len(tokens)):
            for end in range(start + 1, len(tokens) + 1):
                circuit_id = self._inside.get(" ".join(tokens[start:end]))
                if circuit_id is None:
                    continue
                length = len(" ".join(tokens[start:end]))
                if length > best_length:
                    best_length, best = length, {circuit_id}
                elif length == best_length:
                    best.add(circuit_id)
        return best.pop() if len(best) == 1 else None

    def _near_match(self, key: str) -> str | None:
        if len(key) < FUZZY_MIN_LENGTH:
            return None
        hits = process.extract(key, self._keys, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=5)
        ids = {self._exact[hit[0]] for hit in hits if hit[1] >= hits[0][1] - 3} if hits else set()
        return ids.pop() if len(ids) == 1 else None


def _circuit(row: dict[str, object]) -> Circuit:
    return Circuit(
        id=str(row["id"]),
        name=str(row["name"]),
        country=str(row["country"]),
        timezone=str(row["timezone"]),
        lat=float(row["lat"]),  # type: ignore[arg-type]
        lng=float(row["lng"]),  # type: ignore[arg-type]
        source=str(row["source"]),
        aliases=tuple(row.get("aliases") or ()),  # type: ignore[arg-type]
        places=tuple(row.get("places") or ()),  # type: ignore[arg-type]
    )


def load_table(path: Path = TABLE_PATH) -> CircuitTable:
    data = json.loads(path.read_text(encoding="utf-8"))
    return CircuitTable(_circuit(row) for row in data["circuits"])


@cache
def table() -> CircuitTable:
    """The shipped table, read once per process."""
    return load_table()


def resolve(venue: str | None) -> Circuit | None:
    return table().resolve(venue)


def event_circuit(event: EventRec) -> Circuit | None:
    """The circuit of an event: its own circuit name if the source gives one (an unknown circuit stays unknown,
    rather than guessed from the event's name), else its folder names, name and key."""
    if event.circuit:
        return resolve(event.circuit)
    for text in (*event.aliases, event.name, event.key):
        found = resolve(text)
        if found is not None:
            return found
    return None


def place_events(batch: ImportBatch) -> None:
    """Give every event of a batch its venue from the table, where one is known."""
    for season in batch.seasons:
        for event in season.events:
            if event.venue is None:
                circuit = event_circuit(event)
                if circuit is not None:
                    event.venue = circuit.venue

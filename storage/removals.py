"""The one refusal rule for suspicious new versions of a source, shared by every importer and provider.

A file cut off at a line boundary parses cleanly and looks like a correction that drops most of a race.
So whatever brings a new version (`pitboard import`, the admin upload, later a provider), the writer
measures what it would take away from what a session or season already holds, and refuses the whole
import when a large share would vanish — unless the admin says the removal is meant
(`--allow-removals`, or the upload's "Import anyway" button).

Thresholds (docs/data-format.md repeats them): a version is refused when, for one session's results
rows, one session's classified cars, or one season's sessions that still take place,
  - at least MIN_REMOVED of them would vanish, and
  - that is more than MAX_SHARE of what is held.
So one car dropped from a race or one session cancelled is an ordinary correction; a race going from
55 rows to 5 is not.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_REMOVED = 3
MAX_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class Removal:
    place: str  # "Monza Main Race", "GT World Challenge Europe 2023"
    what: str  # "results", "classified cars", "sessions"
    removed: int
    held: int

    def __str__(self) -> str:
        verb = "would be cancelled" if self.what == "sessions" else "would be removed"
        if self.what == "classified cars":
            verb = "would lose their classification"
        return f"{self.place}: {self.removed} of {self.held} {self.what} {verb}"


def suspicious(removed: int, held: int) -> bool:
    return removed >= MIN_REMOVED and removed > MAX_SHARE * held


class RemovalRefused(ValueError):
    """The import would remove a large share of what is stored; nothing was written."""

    def __init__(self, removals: list[Removal]) -> None:
        self.removals = removals
        shown = "; ".join(str(r) for r in removals[:5])
        more = f" (and {len(removals) - 5} more)" if len(removals) > 5 else ""
        super().__init__(
            f"{shown}{more}. Refused as a suspicious version (a truncated file?);"
            " import it with --allow-removals if the removal is meant"
        )

"""Where the series definitions that ship with the package live (package data: they work from an installed
wheel as from a checkout)."""

from __future__ import annotations

from pathlib import Path

SERIES_DIR = Path(__file__).resolve().parent / "series"


def series_files() -> list[Path]:
    return sorted(SERIES_DIR.glob("*.json"))

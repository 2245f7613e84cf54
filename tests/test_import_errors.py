"""Bad input: a clear error naming file and line, a non-zero exit, and a database left as it was."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import GTWC, IMSA, run_cli
from tests.databases import fingerprint, new_db

BARCELONA_RACE = GTWC / "Barcelona" / "Races" / "Main_Race.csv"


@pytest.fixture
def small_db(tmp_path: Path) -> str:
    db = new_db(tmp_path, "small")
    run_cli("import", str(GTWC / "Monza"), "--season", "2023", db=db, check=True)
    return db


def _event_copy(tmp_path: Path, text: str | bytes, name: str = "Main_Race.csv") -> Path:
    folder = tmp_path / "2023" / "Barcelona" / "Races"
    folder.mkdir(parents=True)
    target = folder / name
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")
    return target


def _assert_rejected(db: str, path: Path, *expected: str, line: int | None = None) -> str:
    before = fingerprint(db)
    result = run_cli("import", str(path), db=db)
    message = result.stderr
    assert result.returncode != 0, result.stdout
    assert "nothing was changed" in message
    assert path.name in message
    if line is not None:
        assert f":{line}:" in message, message
    for word in expected:
        assert word in message, message
    assert fingerprint(db) == before
    return message


def test_truncated_file(small_db: str, tmp_path: Path) -> None:
    text = BARCELONA_RACE.read_text(encoding="utf-8")
    cut = text.index("Joel Sturm")  # inside the quoted crew of the #911 row
    path = _event_copy(tmp_path, text[:cut])
    _assert_rejected(small_db, path, "truncated", line=text[:cut].count("\n") + 1)


def test_truncated_row_outside_quotes(small_db: str, tmp_path: Path) -> None:
    lines = BARCELONA_RACE.read_text(encoding="utf-8").splitlines()
    path = _event_copy(tmp_path, "\n".join([*lines[:10], "10,4"]) + "\n")
    _assert_rejected(small_db, path, "no drivers", line=11)


def test_wrong_delimiter(small_db: str, tmp_path: Path) -> None:
    lines = BARCELONA_RACE.read_text(encoding="utf-8").splitlines()
    body = [line.replace(",", ";") for line in lines[1:]]
    path = _event_copy(tmp_path, "\n".join([lines[0], *body]) + "\n")
    _assert_rejected(small_db, path, "wrong delimiter", line=2)


def test_unknown_header(small_db: str, tmp_path: Path) -> None:
    path = tmp_path / "standings.csv"
    path.write_text("Rank,Name,Pts\n1,Someone,25\n", encoding="utf-8")
    _assert_rejected(small_db, path, "unknown header", line=1)


def test_non_utf8_bytes(small_db: str, tmp_path: Path) -> None:
    data = BARCELONA_RACE.read_text(encoding="utf-8").encode("latin-1", errors="replace")
    path = _event_copy(tmp_path, data)
    bad_line = data[: data.index("Güven".encode("latin-1"))].count(b"\n") + 1
    _assert_rejected(small_db, path, "UTF-8", line=bad_line)


def test_duplicate_car_numbers_in_one_session(small_db: str, tmp_path: Path) -> None:
    lines = BARCELONA_RACE.read_text(encoding="utf-8").splitlines()
    duplicate = lines[2].replace(lines[2].split(",")[0] + ",", "99,", 1)
    path = _event_copy(tmp_path, "\n".join([*lines, duplicate]) + "\n")
    number = lines[2].split(",")[1]
    _assert_rejected(small_db, path, f"#{number} appears twice", line=len(lines) + 1)


def test_duplicate_car_numbers_in_al_kamel(small_db: str, tmp_path: Path) -> None:
    source = IMSA / "21-road-atlanta" / "202310141140-race-results.csv"
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    folder = tmp_path / "21-road-atlanta"
    folder.mkdir()
    path = folder / source.name
    path.write_text("\n".join([*lines, lines[5]]) + "\n", encoding="utf-8")
    _assert_rejected(small_db, path, "appears twice", line=len(lines) + 1)


def test_empty_file(small_db: str, tmp_path: Path) -> None:
    path = _event_copy(tmp_path, "")
    _assert_rejected(small_db, path, "empty")


def test_one_bad_file_keeps_the_good_ones_out(small_db: str, tmp_path: Path) -> None:
    """All-or-nothing over one command: the good Barcelona folder is not written either."""
    good = tmp_path / "good" / "2023" / "Barcelona"
    shutil.copytree(GTWC / "Barcelona", good)
    bad = _event_copy(tmp_path, "")
    before = fingerprint(small_db)
    result = run_cli("import", str(good), str(bad), db=small_db)
    assert result.returncode == 1
    assert fingerprint(small_db) == before


def test_malformed_native_json(small_db: str, tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(
        '{"format": "pitboard/1", "series": {"slug": "x", "name": "X"}, "seasons": [\n  {"year": 2023,',
        encoding="utf-8",
    )
    _assert_rejected(small_db, path, "not valid JSON", line=2)


def test_invalid_native_json_names_the_place(small_db: str, tmp_path: Path) -> None:
    path = tmp_path / "calendar.json"
    path.write_text(
        '{"format": "pitboard/1", "series": {"slug": "x", "name": "X"}, "seasons": [{"year": 2023,'
        ' "events": [{"key": "a", "name": "A", "timezone": "Mars/Olympus"}]}]}',
        encoding="utf-8",
    )
    _assert_rejected(small_db, path, "seasons.0.events.0.timezone", "unknown time zone")

"""Reading result tables: encoding, BOM, delimiter, trailing separators, ragged rows.

Every problem is raised as `ImportFailure` naming the file and line, so the CLI, the bot's
admin upload and the tests all show the same clear message.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_CELL = 500  # characters in one field; the longest in the shared real files is 83
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\t\r\n]+")


class ImportFailure(Exception):
    """A file cannot be imported; nothing was written."""

    def __init__(self, path: str | Path, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {message}")


@dataclass(slots=True)
class Row:
    line: int
    values: dict[str, str]

    def get(self, column: str, default: str = "") -> str:
        return self.values.get(column, default)


@dataclass(slots=True)
class Table:
    path: Path
    header: list[str]
    rows: list[Row]
    delimiter: str

    def require(self, columns: Sequence[str]) -> None:
        missing = [c for c in columns if c not in self.header]
        if missing:
            raise ImportFailure(
                self.path,
                f"unknown header: missing column(s) {', '.join(missing)}; found {', '.join(self.header[:12])}",
                1,
            )

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportFailure(path, f"cannot read file: {exc.strerror or exc}") from exc
    if len(data) > MAX_FILE_BYTES:
        raise ImportFailure(path, f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailure(
            path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); save the file as UTF-8", line
        ) from exc
    return text.removeprefix("\ufeff")


def _delimiter(header_line: str) -> str:
    # Al Kamel's own files use ';', copies and most exports ','. The header decides.
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(path: Path, text: str | None = None) -> Table:
    text = read_text(path) if text is None else text
    if not text.strip():
        raise ImportFailure(path, "the file is empty", 1)
    first_line = text.split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        raw_header = next(reader)
    except csv.Error as exc:
        raise ImportFailure(path, f"malformed header: {exc}", 1) from exc
    header = [h.strip() for h in raw_header]
    while header and header[-1] == "":
        header.pop()  # a trailing separator leaves an empty last column
    if len(header) < 2:
        raise ImportFailure(
            path,
            f"unknown header {first_line[:80]!r}: expected a comma- or semicolon-separated results table",
            1,
        )
    dupes = {h for h in header if header.count(h) > 1 and h}
    if dupes:
        raise ImportFailure(path, f"header repeats column(s) {', '.join(sorted(dupes))}", 1)
    rows: list[Row] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) == 1 and len(header) > 2:
                other = next((d for d in (";", ",", "\t") if d != delimiter and d in fields[0]), None)
                if other:
                    raise ImportFailure(
                        path,
                        f"the header is separated by {delimiter!r} but this line by {other!r}: wrong delimiter",
                        line,
                    )
            if len(fields) > len(header):
                extra = fields[len(header) :]
                if any(f.strip() for f in extra):
                    raise ImportFailure(
                        path, f"{len(fields)} fields but the header has {len(header)}; wrong delimiter?", line
                    )
                fields = fields[: len(header)]
            values = {h: _cell(path, h, fields[i], line) if i < len(fields) else "" for i, h in enumerate(header)}
            rows.append(Row(line, values))
    except csv.Error as exc:
        raise ImportFailure(path, f"malformed CSV ({exc}); is the file truncated?", reader.line_num) from exc
    return Table(path=path, header=header, rows=rows, delimiter=delimiter)


def _cell(path: Path, column: str, text: str, line: int) -> str:
    """A field within bounds: NUL and other control characters refused, a line break inside quotes read
    as a space (a name never spans lines)."""
    if len(text) > MAX_CELL:
        raise ImportFailure(path, f"column {column}: a field of {len(text)} characters (at most {MAX_CELL})", line)
    bad = _CONTROL.search(text)
    if bad:
        raise ImportFailure(path, f"column {column}: control character U+{ord(bad.group()):04X}", line)
    return _BREAKS.sub(" ", text).strip()


_TIME = re.compile(r"^(?:(\d+):)?(?:(\d+)[:'])?(\d+(?:\.\d+)?)$")


def parse_duration_ms(text: str) -> int | None:
    """'10:01:40.400', '1:43.651', "4:00'04.690", "1'36.144", '88.5' → milliseconds."""
    text = text.strip().lstrip("+")
    if not text or text in ("-", "\\N"):
        return None
    m = _TIME.match(text)
    if not m:
        return None
    hours, minutes, seconds = m.group(1), m.group(2), m.group(3)
    if hours is not None and minutes is None:
        hours, minutes = None, hours
    total = float(seconds) + 60 * int(minutes or 0) + 3600 * int(hours or 0)
    return round(total * 1000)


def parse_int(text: str) -> int | None:
    text = text.strip()
    if not text or text in ("-", "\\N"):
        return None
    try:
        return int(text)
    except ValueError:
        return None

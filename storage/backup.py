"""`pitboard backup PATH`: a consistent copy of a live SQLite store, taken with SQLite's online backup API.

The copy is read inside one read transaction on its own connection: the store is in WAL mode, so that
snapshot stays fixed while the bot (other connections, other processes) keeps committing, and the backup
is never restarted by their writes. Pages are copied a step at a time with a short pause between steps, so
a large store does not hog the disk. The copy is written to a temporary file beside PATH, switched out of
WAL mode (one self-contained file), checked with `PRAGMA integrity_check`, synced, and only then renamed
to PATH — a crash or a failed check leaves no half-written PATH behind.

A PostgreSQL store is backed up with PostgreSQL's own tool: `pg_dump_command` builds the line.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import sqlite3
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from bot.core.clock import SYSTEM, Clock
from storage.database import sqlite_path

PAGES_PER_STEP = 1024  # 4 MiB at SQLite's default page size
PAUSE = 0.02  # seconds between steps: the bot's own reads and writes get the disk in between

# (pages remaining, pages in all) after each step, awaited on the caller's event loop
Progress = Callable[[int, int], Awaitable[None]]


class BackupError(Exception):
    """The backup was not made (PATH unchanged); the message says why."""


@dataclass(frozen=True)
class BackupReport:
    path: Path
    size: int  # bytes
    pages: int
    page_size: int
    schema_version: int
    steps: int


async def backup_sqlite(
    database: str | Path,
    target: str | Path,
    *,
    force: bool = False,
    pages_per_step: int = PAGES_PER_STEP,
    pause: float = PAUSE,
    clock: Clock = SYSTEM,
    progress: Progress | None = None,
) -> BackupReport:
    """Copy the SQLite store `database` (a path or sqlite:/// URL) to `target`; see the module docstring.

    Refuses (BackupError) when `target` exists, unless `force`, and when the store does not exist (a backup
    must never create an empty store where the real one was expected)."""
    source = Path(sqlite_path(str(database)))
    path = Path(target)
    if not source.is_file():
        raise BackupError(f"no SQLite store at {source}")
    if path.exists() and not force:
        raise BackupError(f"{path} exists; choose another name or pass --force to replace it")
    if path.exists() and path.resolve() == source.resolve():
        raise BackupError(f"{path} is the store itself")
    if path.is_dir():
        raise BackupError(f"{path} is a folder; give the backup file's name")
    if not path.parent.is_dir():
        raise BackupError(f"no folder {path.parent} for the backup")

    loop = asyncio.get_running_loop()

    async def between(remaining: int, total: int) -> None:
        if progress is not None:
            await progress(remaining, total)
        if remaining:
            await clock.sleep(pause)

    def after_step(status: int, remaining: int, total: int) -> None:
        # Called in the backup's thread after each step: the pause and the progress run on the event loop,
        # on its clock, while this thread waits (and holds no lock a writer needs: WAL readers block no one).
        asyncio.run_coroutine_threadsafe(between(remaining, total), loop).result()

    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    os.close(fd)
    partial = Path(name)
    try:
        steps, version, pages, page_size = await asyncio.to_thread(
            _copy, source, partial, max(1, pages_per_step), after_step
        )
        _publish(partial, path, force)
    except BaseException:
        for leftover in (partial, Path(f"{partial}-journal"), Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return BackupReport(path, path.stat().st_size, pages, page_size, version, steps)


def _copy(
    source: Path, partial: Path, pages_per_step: int, after_step: Callable[[int, int, int], None]
) -> tuple[int, int, int, int]:
    """Runs in a worker thread: (steps, schema version, pages, page size) of the checked copy."""
    steps = 0

    def counted(status: int, remaining: int, total: int) -> None:
        nonlocal steps
        steps += 1
        after_step(status, remaining, total)

    # mode=rw: an existing store only (never create one); autocommit, so BEGIN below is ours.
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None)
    try:
        src.execute("PRAGMA busy_timeout = 10000")
        # One read transaction around every step: a fixed snapshot that other connections' commits do not
        # disturb (without it, each step would see their writes and SQLite would restart the backup).
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dst = sqlite3.connect(partial, isolation_level=None)
        try:
            src.backup(dst, pages=pages_per_step, progress=counted)
            src.execute("COMMIT")
            # The store is in WAL mode and so is a page-for-page copy: make it one self-contained file.
            dst.execute("PRAGMA journal_mode = DELETE").fetchone()
            check = [row[0] for row in dst.execute("PRAGMA integrity_check").fetchall()]
            if check != ["ok"]:
                raise BackupError(f"the copy failed PRAGMA integrity_check: {'; '.join(check[:5])}")
            version = int(dst.execute("PRAGMA user_version").fetchone()[0])
            pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            page_size = int(dst.execute("PRAGMA page_size").fetchone()[0])
        finally:
            dst.close()
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {source} failed: {exc}") from exc
    finally:
        src.close()
    with open(partial, "rb") as done:
        os.fsync(done.fileno())
    return steps, version, pages, page_size


def _publish(partial: Path, path: Path, force: bool) -> None:
    """Rename the finished copy into place. Without `force` a hard link, which fails rather than replace a
    PATH that appeared meanwhile; where the file system has no hard links, the check made at the start."""
    if force:
        os.replace(partial, path)
    else:
        try:
            os.link(partial, path)
        except FileExistsError:
            raise BackupError(f"{path} exists; choose another name or pass --force to replace it") from None
        except OSError:
            if path.exists():
                raise BackupError(f"{path} exists; choose another name or pass --force to replace it") from None
            os.replace(partial, path)
        else:
            partial.unlink()
    # The rename itself is durable only once the folder is synced.
    with contextlib.suppress(OSError):
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    # libpq also takes the password as a query parameter.
    query = "&".join(p for p in parts.query.split("&") if p and not p.lower().startswith("password="))
    if parts.password is None:
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    user = quote(unquote(parts.username or ""), safe="")
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    netloc = f"{user}@{host}" if user else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def pg_dump_command(url: str, target: str | Path) -> str:
    """The pg_dump line that backs up the PostgreSQL store at `url` to `target` (custom format, for
    pg_restore), with the URL's password left out: pg_dump takes it from PGPASSWORD or ~/.pgpass."""
    return shlex.join(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", _without_password(url)])


def pg_restore_command(url: str, source: str | Path) -> str:
    """The pg_restore line that loads such a dump back (replacing what is there), password left out."""
    dbname = f"--dbname={_without_password(url)}"
    return shlex.join(["pg_restore", "--clean", "--if-exists", "--no-owner", dbname, str(source)])

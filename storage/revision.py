"""One read of the store's revision per update: the caches keyed on it then cost no query at all.

The season, series and coverage caches (storage/results.py, storage/series.py) are keyed on the store's
revision (storage/series.data_version: SQLite's data_version, PostgreSQL's store_revision counter), so they
see every import at once, from any process. But one /standings asked for it seven times: a round trip each,
on PostgreSQL under a burst of commands a sixth of the statements. Inside `one_revision()` (the bot wraps each
update's handling in it: bot/web/metrics.UpdateMeter) the first read is remembered for the rest of the
block, the way a request sees one snapshot; an import or a driver merge made by this process in the block
forgets it (`forget()`), so a handler that imports and then shows a table sees its own import. Outside the
block (jobs, the CLI) every read goes to the database as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class _Memo:
    __slots__ = ("open", "values")

    def __init__(self) -> None:
        self.open = True
        self.values: dict[int, int] = {}  # id(Database) → its revision as first read in the block


_current: ContextVar[_Memo | None] = ContextVar("pitboard_store_revision", default=None)
_generation = 0  # this process's own changes to results data (imports, driver merges and splits)


@contextmanager
def one_revision() -> Iterator[None]:
    memo = _Memo()
    token = _current.set(memo)
    try:
        yield
    finally:
        # Tasks started inside the block carry a copy of the context (and so this memo) past its end:
        # closed, it answers nothing there.
        memo.open = False
        memo.values.clear()
        _current.reset(token)


def remembered(key: int) -> int | None:
    memo = _current.get()
    return memo.values.get(key) if memo is not None and memo.open else None


def remember(key: int, value: int) -> None:
    memo = _current.get()
    if memo is not None and memo.open:
        memo.values[key] = value


def generation() -> int:
    """Counts this process's own changes to results data. Caches key on it beside the revision: on SQLite a
    write on the bot's own connection (a driver merge) leaves data_version as it was."""
    return _generation


def forget() -> None:
    """This process changed results data: the next read in the block goes to the database again."""
    global _generation
    _generation += 1
    memo = _current.get()
    if memo is not None:
        memo.values.clear()

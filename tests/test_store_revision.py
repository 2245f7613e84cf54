"""The store's revision read once per update (storage/revision.py): the caches keyed on it then answer without a
query, an import by another process is seen from the next update on, and this process's own import at once."""

from __future__ import annotations

from pathlib import Path

from bot.ingest.importers import load_paths
from storage.revision import one_revision
from storage.series import SeriesInfo
from storage.store import Store
from tests.botenv import future_calendar
from tests.conftest import SERIES, run_cli
from tests.databases import new_db


def slugs(found: list[SeriesInfo]) -> list[str]:
    return sorted(s.slug for s in found)


def import_elsewhere(url: str, path: Path) -> None:
    """An import by another process: `pitboard import`."""
    run_cli("import", str(path), db=url, check=True)  # type: ignore[arg-type]


async def test_one_revision_per_update(tmp_path: Path) -> None:
    url = new_db(tmp_path)
    async with await Store.open(url) as store:
        await store.apply(load_paths([SERIES / "imsa-2023.json"]))
        with one_revision():
            assert slugs(await store.series.all()) == ["imsa"]
            assert await store.series.season_coverage("gtwc-europe", 2023) is None
            import_elsewhere(url, SERIES / "gtwc-europe-2023.json")
            # The same update goes on with what it first saw: no second read of the revision.
            assert slugs(await store.series.all()) == ["imsa"]
            assert await store.series.season_coverage("gtwc-europe", 2023) is None
        # The next update, and anything outside one (jobs, the CLI), sees the other process's import.
        assert slugs(await store.series.all()) == ["gtwc-europe", "imsa"]
        coverage = await store.series.season_coverage("gtwc-europe", 2023)
        assert coverage is not None and coverage.has_rules
        with one_revision():
            assert slugs(await store.series.all()) == ["gtwc-europe", "imsa"]
            # An import by this process inside the update (an admin's upload) is seen at once.
            await store.apply(load_paths([future_calendar(tmp_path / "future.json")]))
            assert slugs(await store.series.all()) == ["gtwc-europe", "imsa", "test-gt"]

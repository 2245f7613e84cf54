"""Provider status: per provider (Jolpica, a watched timing-file URL, a calendar URL) when it last ran,
succeeded and failed, the last error (redacted), when it runs next, and the validators of what it last
fetched (ETag, Last-Modified, a digest of the bytes) for the next conditional request.

Providers call `record_run` after every run; `pitboard status` and the admin /stats read `all`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.clock import SYSTEM, Clock
from bot.core.redact import redact
from storage.database import Database

MAX_ERROR = 500  # characters of an error kept: enough to say what failed, never a whole HTML page


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    provider: str
    last_run_utc: str | None
    last_success_utc: str | None
    last_error_utc: str | None
    last_error: str | None
    next_run_utc: str | None
    runs: int
    failures: int
    failures_in_a_row: int
    imports: int


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None
    content_sha256: str | None = None


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError("provider times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Providers:
    def __init__(self, db: Database, clock: Clock = SYSTEM) -> None:
        self.db = db
        self.clock = clock

    async def record_run(
        self,
        provider: str,
        ok: bool,
        error: str | None,
        next_run: datetime | None,
        *,
        now: datetime | None = None,
        changed: bool = False,
    ) -> None:
        """One run of `provider` (at `now`, default the store's clock): a success clears the last error
        (keeping its time), a failure stores it redacted and cut short. `changed`: the run imported something."""
        stamp = _iso(now or self.clock.now())
        text = redact(error)[:MAX_ERROR] if error else None
        # The stored row's counters are named with the table: PostgreSQL finds a bare `runs` ambiguous
        # (the stored row's or excluded's) and refuses the statement.
        if ok:
            await self.db.execute(
                "INSERT INTO provider_status (provider, last_run_utc, last_success_utc, next_run_utc, runs, imports)"
                " VALUES (?, ?, ?, ?, 1, ?) ON CONFLICT (provider) DO UPDATE SET"
                " last_run_utc = excluded.last_run_utc, last_success_utc = excluded.last_success_utc,"
                " next_run_utc = excluded.next_run_utc, runs = provider_status.runs + 1,"
                " imports = provider_status.imports + excluded.imports,"
                " failures_in_a_row = 0, last_error = NULL",
                provider,
                stamp,
                stamp,
                _iso(next_run),
                int(changed),
            )
            return
        await self.db.execute(
            "INSERT INTO provider_status (provider, last_run_utc, last_error_utc, last_error, next_run_utc, runs,"
            " failures, failures_in_a_row) VALUES (?, ?, ?, ?, ?, 1, 1, 1) ON CONFLICT (provider) DO UPDATE SET"
            " last_run_utc = excluded.last_run_utc, last_error_utc = excluded.last_error_utc,"
            " last_error = excluded.last_error, next_run_utc = excluded.next_run_utc, runs = provider_status.runs + 1,"
            " failures = provider_status.failures + 1, failures_in_a_row = provider_status.failures_in_a_row + 1",
            provider,
            stamp,
            stamp,
            text or "failed",
            _iso(next_run),
        )

    async def schedule(self, provider: str, next_run: datetime | None) -> None:
        """Say when `provider` runs next before it has run (a watch list just started)."""
        await self.db.execute(
            "INSERT INTO provider_status (provider, next_run_utc) VALUES (?, ?)"
            " ON CONFLICT (provider) DO UPDATE SET next_run_utc = excluded.next_run_utc",
            provider,
            _iso(next_run),
        )

    async def all(self) -> list[ProviderStatus]:
        rows = await self.db.fetch(
            "SELECT provider, last_run_utc, last_success_utc, last_error_utc, last_error, next_run_utc, runs,"
            " failures, failures_in_a_row, imports FROM provider_status ORDER BY provider"
        )
        return [ProviderStatus(*tuple(row)) for row in rows]

    async def get(self, provider: str) -> ProviderStatus | None:
        return next((s for s in await self.all() if s.provider == provider), None)

    async def validators(self, provider: str) -> Validators:
        row = await self.db.fetchrow(
            "SELECT etag, last_modified, content_sha256 FROM provider_status WHERE provider = ?", provider
        )
        return Validators(*tuple(row)) if row else Validators()

    async def remember(self, provider: str, validators: Validators) -> None:
        """The validators of a version that is now in the store (never of one that failed to import)."""
        await self.db.execute(
            "INSERT INTO provider_status (provider, etag, last_modified, content_sha256) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (provider) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,"
            " content_sha256 = excluded.content_sha256",
            provider,
            validators.etag,
            validators.last_modified,
            validators.content_sha256,
        )

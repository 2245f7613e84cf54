"""The HTTP client every provider shares: one aiohttp session, a client-side rate limiter, a response
cache with conditional requests, and capped backoff on 429 (honouring Retry-After) and 5xx.

All waiting goes through the injected clock (bot/core/clock.py), so tests never wait. A response that
is not what was asked for (an error status after the retries, an HTML page, a body that does not parse)
raises `ProviderError` naming the URL; callers then write nothing.

The cache (`FileCache`) keeps each URL's last good body with its ETag / Last-Modified in a folder beside
the database. Why files and not the store: the cache is disposable (deleting it costs requests, never
data), it must not ride in the import's transaction, and the store's migrations are numbered without gaps,
so a cache table would tie this module to other work's migration numbers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

from bot.core.clock import SYSTEM, Clock
from bot.ingest.providers.limiter import JOLPICA_RATES, Rate, RateLimiter
from storage.database import is_postgres

log = logging.getLogger(__name__)

USER_AGENT = "pitboard (+https://github.com/pitboard; race updates bot)"
MAX_RETRY_AFTER = 600.0  # a longer Retry-After is treated as an outage: fail now, the job retries later
MAX_BACKOFF = 60.0
ATTEMPTS = 6


class ProviderError(Exception):
    """A provider's answer could not be used; `url` names it."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"{url}: {reason}")


@dataclass(slots=True)
class Cached:
    body: bytes
    etag: str | None = None
    last_modified: str | None = None


class ResponseCache(Protocol):
    def get(self, url: str) -> Cached | None: ...

    def put(self, url: str, entry: Cached) -> None: ...


class MemoryCache:
    def __init__(self) -> None:
        self.entries: dict[str, Cached] = {}

    def get(self, url: str) -> Cached | None:
        return self.entries.get(url)

    def put(self, url: str, entry: Cached) -> None:
        self.entries[url] = entry


class FileCache:
    """One file per URL (named by its hash): a JSON header line, then the body."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, url: str) -> Path:
        return self.folder / hashlib.sha256(url.encode()).hexdigest()[:32]

    def get(self, url: str) -> Cached | None:
        try:
            head, _, body = self._path(url).read_bytes().partition(b"\n")
            meta = json.loads(head)
        except (OSError, ValueError):
            return None
        if meta.get("url") != url:
            return None
        return Cached(body, meta.get("etag"), meta.get("last_modified"))

    def put(self, url: str, entry: Cached) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self._path(url)
            head = json.dumps({"url": url, "etag": entry.etag, "last_modified": entry.last_modified}).encode()
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(head + b"\n" + entry.body)
            os.replace(tmp, path)  # a reader never sees half a file
        except OSError as exc:  # a cache that cannot be written costs requests, nothing else
            log.warning("HTTP cache not written (%s): %s", self.folder, exc)


def cache_beside(database: str, name: str) -> FileCache:
    """The provider's HTTP cache: beside a SQLite file (`pitboard.db.http-cache/`). A PostgreSQL store has no
    folder of its own: its cache goes to the user's cache folder ($XDG_CACHE_HOME, else ~/.cache), one folder
    per server and database (a URL taken for a path made folders named `postgresql:` in the working folder)."""
    if not is_postgres(database):
        return FileCache(Path(f"{database}.http-cache") / name)
    parts = urlsplit(database)
    where = f"{parts.hostname or 'localhost'}-{parts.port or 5432}-{parts.path.lstrip('/') or 'postgres'}"
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in where)
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pitboard" / "http-cache" / safe
    return FileCache(root / name)


@dataclass(slots=True)
class Usage:
    """What a client spent: every request that went out counts against the provider's budget."""

    requests: int = 0
    not_modified: int = 0
    retries: int = 0
    waited_seconds: float = 0.0
    statuses: dict[int, int] = field(default_factory=dict)


def retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


class HttpClient:
    def __init__(
        self,
        *,
        clock: Clock = SYSTEM,
        rates: tuple[Rate, ...] = JOLPICA_RATES,
        cache: ResponseCache | None = None,
        timeout: float = 30.0,
        attempts: int = ATTEMPTS,
        max_backoff: float = MAX_BACKOFF,
    ) -> None:
        self.clock = clock
        self.limiter = RateLimiter(rates, clock)
        self.cache = cache or MemoryCache()
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.attempts = attempts
        self.max_backoff = max_backoff
        self.usage = Usage()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}, timeout=self.timeout)
        return self._session

    async def _wait(self, seconds: float) -> None:
        self.usage.waited_seconds += seconds
        await self.clock.sleep(seconds)

    async def get(self, url: str) -> Cached:
        """The body of `url`: fresh, or the cached one when the server says 304 Not Modified."""
        cached = self.cache.get(url)
        headers: dict[str, str] = {}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        backoff = 1.0
        last_problem = "no answer"
        for attempt in range(self.attempts):
            if attempt:
                self.usage.retries += 1
            before = self.clock.monotonic()
            await self.limiter.acquire()
            self.usage.waited_seconds += self.clock.monotonic() - before
            self.usage.requests += 1
            try:
                async with self._open().get(url, headers=headers, allow_redirects=True) as response:
                    status = response.status
                    self.usage.statuses[status] = self.usage.statuses.get(status, 0) + 1
                    if status == 304 and cached is not None:
                        self.usage.not_modified += 1
                        return cached
                    if status == 200:
                        body = await response.read()
                        return Cached(body, response.headers.get("ETag"), response.headers.get("Last-Modified"))
                    if status == 429:
                        wait = retry_after(response.headers.get("Retry-After"), self.clock.now())
                        if wait is not None and wait > MAX_RETRY_AFTER:
                            raise ProviderError(url, f"rate limited for {wait:.0f} s (429)")
                        wait = backoff if wait is None else wait
                        self.limiter.hold(wait)  # nobody sends before the server allows it again
                        last_problem = "rate limited (429)"
                        log.info("%s: 429, waiting %.1f s", url, wait)
                        await self._wait(wait)
                        backoff = min(backoff * 2, self.max_backoff)
                        continue
                    if status >= 500:
                        last_problem = f"server error {status}"
                    else:
                        raise ProviderError(url, f"HTTP {status} {response.reason or ''}".strip())
            except (aiohttp.ClientError, TimeoutError) as exc:
                last_problem = f"unreachable ({type(exc).__name__}: {exc})".replace(" ()", "")
            log.info("%s: %s; retrying in %.1f s", url, last_problem, backoff)
            if attempt + 1 < self.attempts:
                await self._wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
        raise ProviderError(url, f"{last_problem}, gave up after {self.attempts} attempts")

    async def get_json(self, url: str, keep: bool = True) -> Any:
        """The parsed JSON of `url`. `keep`: cache the body once it parsed (a caller checking its shape
        first says False and calls `remember` after)."""
        got = await self.get(url)
        data = parse_json(url, got.body)
        if keep:
            self.remember(url, got)
        return data

    def remember(self, url: str, got: Cached) -> None:
        if got.etag or got.last_modified:
            self.cache.put(url, got)


def parse_json(url: str, body: bytes) -> Any:
    head = body.lstrip()[:200].lower()
    if head.startswith((b"<!doctype", b"<html", b"<")):
        raise ProviderError(url, "an HTML page came back where JSON was expected (an error page?)")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ProviderError(url, f"the answer is not valid JSON (truncated?): {exc}") from None

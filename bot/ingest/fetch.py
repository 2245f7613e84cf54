"""A plain fetcher for timing files and calendars by URL: one GET, bounded in time, size and redirects,
optionally conditional (ETag / Last-Modified), returning the bytes with the file name the importers need.

Whatever goes wrong is an `ImportFailure` naming the URL (without any user:password in it), so the
command line, the admin upload and the watch report it like a bad file and write nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp

from bot.core.redact import redact
from bot.ingest.importers.table import ImportFailure

USER_AGENT = "Pitboard/0.1 (race-updates bot; timing-file fetcher)"
SUFFIXES = ("csv", "json", "ics", "txt")
_CONTENT_TYPES = {
    "text/csv": "csv",
    "application/csv": "csv",
    "application/vnd.ms-excel": "csv",  # what some timing sites call their CSV downloads
    "application/json": "json",
    "text/json": "json",
    "text/calendar": "ics",
}
_UNSAFE = re.compile(r"[^\w.-]+")
_HTML = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<\?xml[^>]*>\s*<html)", re.IGNORECASE)
MAX_FOLDERS = 4  # of the URL's path kept as folders: the importers read event and season from them


@dataclass(frozen=True, slots=True)
class FetchLimits:
    timeout: float = 30.0  # seconds for the whole request, connection included
    max_bytes: int = 20 * 1024 * 1024  # what an admin may upload, too
    max_redirects: int = 5


DEFAULT_LIMITS = FetchLimits()


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # as shown: without user:password
    name: str  # a safe file name with a suffix the importers know
    folders: tuple[str, ...]  # the URL's last directories, safe names
    content: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None

    @property
    def sha256(self) -> str:
        """Of the name and the bytes: the same table renamed from …_Provisional to final is a new version."""
        return hashlib.sha256(self.name.encode() + b"\0" + self.content).hexdigest()


def is_url(text: str) -> bool:
    return text.casefold().startswith(("http://", "https://"))


def shown_url(url: str) -> str:
    """The URL as errors, logs and the status show it: never a user:password it may carry."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    if parts.username or parts.password:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        parts = parts._replace(netloc=netloc)
    return redact(urlunsplit(parts))


def safe_segment(text: str) -> str:
    return _UNSAFE.sub("_", unquote(text)).lstrip("._")[:120]


def _suffix_for(content_type: str | None, content: bytes) -> str:
    if content_type in _CONTENT_TYPES:
        return _CONTENT_TYPES[content_type]
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:32]
    if head.startswith(b"{"):
        return "json"
    if head.upper().startswith(b"BEGIN:VCALENDAR"):
        return "ics"
    return "csv"


def file_name(url: str, disposition: str | None, content_type: str | None, content: bytes) -> str:
    """Content-Disposition's file name, else the URL's last path segment; a known suffix added if missing."""
    raw = disposition or urlsplit(url).path.rsplit("/", 1)[-1]
    name = safe_segment(raw) or "download"
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and suffix.casefold() in SUFFIXES:
        return name
    return f"{name}.{_suffix_for(content_type, content)}"


def url_folders(url: str) -> tuple[str, ...]:
    segments = [safe_segment(s) for s in urlsplit(url).path.split("/")[:-1]]
    return tuple(s for s in segments if s)[-MAX_FOLDERS:]


def looks_like_html(content: bytes, content_type: str | None) -> bool:
    return content_type in ("text/html", "application/xhtml+xml") or bool(
        _HTML.match(content.removeprefix(b"\xef\xbb\xbf")[:1024])
    )


def new_session(limits: FetchLimits) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=limits.timeout),
        headers={"User-Agent": USER_AGENT},
        # The importers decode themselves; a compressed body is still bounded by max_bytes once read.
        auto_decompress=True,
    )


async def fetch(
    session: aiohttp.ClientSession,
    url: str,
    limits: FetchLimits = DEFAULT_LIMITS,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched | None:
    """The file at `url`, or None when the server says it has not changed since (304)."""
    shown = shown_url(url)
    if not is_url(url):
        raise ImportFailure(shown, "not an http(s) URL")
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with session.get(url, headers=headers, max_redirects=limits.max_redirects) as response:
            if response.status == 304:
                return None
            if response.status >= 400:
                raise ImportFailure(shown, f"the server answered {response.status} {response.reason or ''}".rstrip())
            if response.content_length is not None and response.content_length > limits.max_bytes:
                raise ImportFailure(shown, f"the file is larger than {_size(limits.max_bytes)}")
            content = await _read(response, limits.max_bytes, shown)
            content_type = response.content_type if response.headers.get("Content-Type") else None
            disposition = response.content_disposition.filename if response.content_disposition else None
            final_url = str(response.url)
            new_etag = response.headers.get("ETag")
            new_modified = response.headers.get("Last-Modified")
    except ImportFailure:
        raise
    except aiohttp.TooManyRedirects:
        raise ImportFailure(shown, f"more than {limits.max_redirects} redirects") from None
    except TimeoutError:
        raise ImportFailure(shown, f"no answer within {limits.timeout:g} s (timeout)") from None
    except aiohttp.InvalidURL:
        raise ImportFailure(shown, "not a valid URL") from None
    except aiohttp.ClientConnectorError as exc:
        raise ImportFailure(shown, f"cannot connect: {exc.os_error.strerror or exc.os_error}") from None
    except aiohttp.ClientError as exc:
        raise ImportFailure(shown, f"the download failed: {type(exc).__name__} {exc}".strip()) from None
    if not content.strip():
        raise ImportFailure(shown, "the server sent an empty file")
    if looks_like_html(content, content_type):
        raise ImportFailure(shown, "the server sent a web page (HTML: an error or login page?), not a timing file")
    return Fetched(
        url=shown,
        name=file_name(final_url, disposition, content_type, content),
        folders=url_folders(url),
        content=content,
        content_type=content_type,
        etag=new_etag,
        last_modified=new_modified,
    )


async def _read(response: aiohttp.ClientResponse, max_bytes: int, shown: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise ImportFailure(shown, f"the file is larger than {_size(max_bytes)}")
        chunks.append(chunk)
    return b"".join(chunks)


def _size(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MiB"


async def fetch_all(urls: list[str], limits: FetchLimits = DEFAULT_LIMITS) -> list[Fetched]:
    """Every URL, or the first failure (nothing is imported unless every file arrived)."""
    async with new_session(limits) as session:
        found = await asyncio.gather(*(fetch(session, url, limits) for url in urls))
    return [f for f in found if f is not None]

"""A local HTTP server for timing files, in its own thread (so a `pitboard` subprocess and in-process
tests alike can reach it while the test waits): real files, ETags and 304, Content-Disposition names, 404
HTML pages, and a path that never answers (for client timeouts)."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web


@dataclass
class Served:
    content: bytes
    content_type: str = "text/csv"
    filename: str | None = None  # Content-Disposition
    etags: bool = True  # answers If-None-Match with 304


class FileServer:
    def __init__(self) -> None:
        self.files: dict[str, Served] = {}
        self.hanging: set[str] = set()
        self.log: list[tuple[str, int]] = []  # (path, status) of every request
        self.user_agents: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._never = asyncio.Event()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, source: Path | bytes, **kwargs: object) -> None:
        content = source if isinstance(source, bytes) else source.read_bytes()
        self.files[unquote(path)] = Served(content, **kwargs)  # type: ignore[arg-type]

    def statuses(self, path: str) -> list[int]:
        return [status for p, status in self.log if p == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        self.user_agents.append(request.headers.get("User-Agent", ""))
        if path in self.hanging:
            await self._never.wait()
        served = self.files.get(path)
        if served is None:
            self.log.append((path, 404))
            return web.Response(
                status=404,
                text="<!DOCTYPE html><html><body><h1>404 Not Found</h1></body></html>",
                content_type="text/html",
            )
        etag = '"' + hashlib.sha1(served.content + (served.filename or "").encode()).hexdigest() + '"'
        headers = {}
        if served.etags:
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                self.log.append((path, 304))
                return web.Response(status=304, headers=headers)
        if served.filename:
            headers["Content-Disposition"] = f'attachment; filename="{served.filename}"'
        self.log.append((path, 200))
        return web.Response(body=served.content, headers=headers, content_type=served.content_type)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def start(self) -> FileServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._never.set)  # let a hanging request end
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def closed_port() -> int:
    """A port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])

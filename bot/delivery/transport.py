"""python-telegram-bot's requests over aiohttp.

PTB's default (httpx) costs about 1.5 ms of CPU per call on this kind of machine, which caps one
process near 600 messages/s; paid broadcasts may send 1000/s. aiohttp's client costs a fraction of
that. PTB supports custom transports through `BaseRequest`; this is one, used for the bot's calls
(long polling keeps PTB's own). Bodies go as JSON, and alerts use `post_json` (see there).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON_HEADERS = {"Content-Type": "application/json"}
# How long a send may take to be answered. A send that times out is sent again, and Telegram may have
# delivered the first one all the same: with python-telegram-bot's 5 s, a Bot API answering in 6 s (not
# rare when it is busy) got every such message twice. A connect timeout stays short: a request that never
# connected was never delivered, so retrying it is safe.
READ_TIMEOUT = 30.0
# Told of every answer the Bot API gave: (method name, HTTP status, body). Never the URL, which holds the token.
Observer = Callable[[str, int, bytes], None]


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        connection_pool_size: int = 64,
        read_timeout: float = READ_TIMEOUT,
        write_timeout: float = READ_TIMEOUT,
        connect_timeout: float = 5.0,
        pool_timeout: float = 30.0,
        media_write_timeout: float = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._default_timeout = _client_timeout(read_timeout, write_timeout, connect_timeout, pool_timeout)
        # The service's monitoring (bot/web): metrics per answer, and when the Bot API last answered.
        self.observers: list[Observer] = []

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size), headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, name: str, value: ODVInput[float]) -> float | None:
        return self._timeouts[name] if isinstance(value, DefaultValue) else value  # type: ignore[return-value]

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        data: Any = None
        headers: dict[str, str] | None = None
        if request_data is not None and request_data.contains_files:
            form = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                form.add_field(name, value)
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                form.add_field(name, content, filename=filename, content_type=mimetype)
            data = form
            write = self._media_write_timeout if isinstance(write_timeout, DefaultValue) else write_timeout
        else:
            if request_data is not None:
                # A JSON body, which the Bot API accepts: cheaper to build than a urlencoded form, whose
                # quoting was a visible share of the CPU per message at broadcast rates.
                data, headers = request_data.json_payload, JSON_HEADERS
            write = self._timeout("write", write_timeout)
        timeout = _client_timeout(
            self._timeout("read", read_timeout),
            write,
            self._timeout("connect", connect_timeout),
            self._timeout("pool", pool_timeout),
        )
        return await self._send(method, url, data, headers, timeout)

    async def post_json(self, url: str, body: dict[str, Any]) -> Any:
        """POST `body` as JSON and return the call's result, raising python-telegram-bot's exceptions.

        For alerts, which go out by the thousand: the body is built straight from the outbox row,
        skipping `Bot`'s per-call parameter objects (about a fifth of the CPU per message at paid
        broadcast rates). Error responses still go through `BaseRequest`'s own mapping, so RetryAfter,
        Forbidden, ChatMigrated and the rest are exactly what `Bot` methods raise.
        """
        code, payload = await self._send(
            "POST", url, json.dumps(body, ensure_ascii=False).encode(), JSON_HEADERS, self._default_timeout
        )
        if 200 <= code <= 299:
            return self.parse_json_payload(payload)["result"]
        return await _Received(code, payload).post(url)

    async def _send(
        self, method: str, url: str, data: Any, headers: dict[str, str] | None, timeout: aiohttp.ClientTimeout
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        try:
            async with self._session.request(method, url, data=data, headers=headers, timeout=timeout) as response:
                status, body = response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{exc.__class__.__name__}: {exc}") from exc
        if self.observers:
            called = url.rsplit("/", 1)[-1]
            for observe in self.observers:
                observe(called, status, body)
        return status, body


def _client_timeout(
    read: float | None, write: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    # aiohttp has no separate write timeout: a socket read wait covers both directions.
    waits = [t for t in (read, write) if t is not None]
    return aiohttp.ClientTimeout(
        total=None, connect=pool, sock_connect=connect, sock_read=max(waits) if waits else None
    )


class _Received(BaseRequest):
    """A response already received, handed to `BaseRequest.post` for its status and error mapping."""

    def __init__(self, code: int, payload: bytes) -> None:
        self._response = (code, payload)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        return self._response

"""A local Telegram Bot API stand-in: the HTTP shape of api.telegram.org, plus scripted users.

The real python-telegram-bot `Application` talks to it unchanged (`base_url` / `base_file_url`), while
tests, benchmarks and the offline demo play the users: inject messages and button presses, add or
remove the bot, inject failures, and read back what the bot sent.

Not thread-safe: use the Python API from the event loop that runs the server (other processes use
the HTTP control API under `/_standin/`).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import copy
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import PurePosixPath
from typing import Any

from aiohttp import web

from bot.standin.errors import ApiError, bad_request
from bot.standin.html_check import EntityParseError, parse_html, utf16_len
from bot.standin.limits import FloodControl, FloodLimits
from bot.standin.photos import photo_size
from bot.standin.spec import BotApiSpec, Method, UploadedFile, decode_params, load_spec
from bot.standin.state import (
    CHANNEL_BOT,
    GROUP_ANONYMOUS_BOT,
    Chat,
    StoredFile,
    StoredMessage,
    User,
    chat_member,
    command_entities,
    now,
)

log = logging.getLogger(__name__)

Params = dict[str, Any]
Handler = Callable[[Params], Awaitable[Any]]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
MAX_REQUEST_BYTES = 52 * 1024 * 1024  # Telegram's 50 MB upload limit plus multipart overhead
# Without allowed_updates Telegram sends every update type except these.
WEBHOOK_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_BUTTON_ACTIONS = frozenset(
    {
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)


DOWN_MODES = ("reset", "502", "malformed", "garbage")


@dataclass(frozen=True)
class Call:
    """One Bot API request as the stand-in saw and answered it."""

    method: str  # the spec's spelling for known methods, else as requested
    params: dict[str, Any]  # decoded; uploaded files appear as {"filename", "content_type", "size"}
    time: float  # on the stand-in's clock (time.monotonic unless given)
    status: int
    response: dict[str, Any]
    # When the flood limiter counted the send (a send it admitted), on the same clock. Telegram counts a send
    # as it takes it in, so a rate is measured on these; `time` is later by however long answering took.
    counted_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# The admission time of the request being answered: each aiohttp request runs in a task of its own.
_counted_at: contextvars.ContextVar[float | None] = contextvars.ContextVar("counted_at", default=None)


@dataclass
class _Fault:
    method: str | None
    chat_id: int | str | None
    error: ApiError
    remaining: int


@dataclass
class _Delay:
    method: str | None
    seconds: float
    remaining: int
    chat_id: int | None = None


class _Signal:
    """Wakes whoever waits at the moment of `notify()`.

    Unlike asyncio.Condition it needs no lock, so the synchronous injection API can notify.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)


class BotApiStandIn:
    """The Bot API server plus the world around the bot (users, chats, faults, recordings)."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        enforce_limits: bool = True,
        limits: FloodLimits | None = None,
        bot_username: str = "pitboard_bot",
        bot_first_name: str = "Pitboard",
        can_read_all_group_messages: bool = False,
        spec: BotApiSpec | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.spec = spec or load_spec()
        self.enforce_limits = enforce_limits
        self.flood = FloodControl(limits or FloodLimits(), clock)
        self._clock = clock  # also the time calls are recorded at: a test's ManualClock reads "at T"
        bot_id = token.split(":", 1)[0]
        self.bot = User(int(bot_id) if bot_id.isdigit() else 123456, bot_first_name, username=bot_username, is_bot=True)
        self.can_read_all_group_messages = can_read_all_group_messages
        self.sent_count = 0
        self.rejected_429 = 0
        self.callback_answers: dict[str, Params] = {}
        self.host = "127.0.0.1"
        self.port: int | None = None

        self._users: dict[int, User] = {}
        self._chats: dict[int, Chat] = {}
        self._messages: dict[int, dict[int, StoredMessage]] = {}
        self._bot_sent: list[StoredMessage] = []
        self._last_message_id: dict[int, int] = {}
        self._waited: dict[int, int] = {}  # chat → how many of its bot messages wait_for_messages returned
        self._updates: list[Params] = []
        self._last_update_id = 0
        self._allowed_updates: frozenset[str] | None = None
        self._open_queries: set[str] = set()
        self._last_query_id = 0
        self._files: dict[str, StoredFile] = {}
        self._commands: dict[tuple[str, str], list[Params]] = {}
        # (kind, language code) → text; kind is "description" or "short_description". "" is the default language.
        self._descriptions: dict[tuple[str, str], str] = {}
        self._faults: list[_Fault] = []
        self._delays: list[_Delay] = []
        self._down: str | None = None
        self._calls: list[Call] = []
        self._updates_signal = _Signal()
        self._messages_signal = _Signal()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        # setWebhook as Telegram keeps it (url, secret_token, allowed_updates, …), and each POST made to it.
        self.webhook: Params | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status; 0: no answer)
        self._pusher: asyncio.Task[None] | None = None

        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._set_my_description,
            "getMyDescription": self._get_my_description,
            "setMyShortDescription": self._set_my_short_description,
            "getMyShortDescription": self._get_my_short_description,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "leaveChat": self._leave_chat,
            "getFile": self._get_file,
        }
        missing = [name for name in self._handlers if name not in self.spec.methods]
        if missing:
            raise RuntimeError(f"Bot API spec {self.spec.version} has no method(s) {missing}")

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port; port 0 picks a free port (see `.port`, `.base_url`)."""
        if self._runner is not None:
            raise RuntimeError("the stand-in is already running")
        # Fresh loop-bound primitives: the same stand-in may be started again under another loop.
        self._stopping = asyncio.Event()
        self._updates_signal = _Signal()
        self._messages_signal = _Signal()
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._download)
        app.router.add_route("POST", "/_standin/{action}", self._control)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        # Long polls and slowed calls end at stop(), so a short shutdown timeout loses nothing.
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.host = host
        self.port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._stopping.set()
        self._updates_signal.notify()
        self._messages_signal.notify()
        await self._stop_pushing()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> BotApiStandIn:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the stand-in is not running; await start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """For `ApplicationBuilder().base_url(...)`: python-telegram-bot appends the token."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ HTTP: Bot API

    async def _api(self, request: web.Request) -> web.Response:
        requested = request.match_info["method"]
        method = self.spec.method(requested)
        raw: Params = {}
        params: Params | None = None
        if self._down is not None:
            return await self._answer_down(request, method.name if method else requested)
        _counted_at.set(None)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401)
            if method is None:
                raise ApiError(404)
            raw, files = await _read_request(request)
            params = decode_params(method, raw, files)
            await self._apply_delay(method.name, params)
            self._apply_fault(method.name, params)
            status, body = 200, {"ok": True, "result": await self._dispatch(method, params)}
        except ApiError as error:
            status, body = error.error_code, error.envelope()
            if status == 429:
                self.rejected_429 += 1
        except Exception as error:  # a stand-in bug: answer like a Telegram outage, but say what broke
            log.exception("stand-in failed on %s", requested)
            status, body = 500, ApiError(500, f"Internal Server Error: {type(error).__name__}: {error}").envelope()
        recorded = {k: v.describe() if isinstance(v, UploadedFile) else v for k, v in (params or raw).items()}
        self._calls.append(
            Call(method.name if method else requested, recorded, self._clock(), status, body, _counted_at.get())
        )
        return web.json_response(body, status=status)

    async def _dispatch(self, method: Method, params: Params) -> Any:
        handler = self._handlers.get(method.name)
        if handler is not None:
            return await handler(params)
        if method.returns_only_boolean:
            return True
        raise bad_request("method not supported by the stand-in")

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401).envelope(), status=401)
        stored = next((f for f in self._files.values() if f.file_path == request.match_info["path"]), None)
        if stored is None:
            return web.json_response(ApiError(404).envelope(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404).envelope(), status=404)

    async def _apply_delay(self, method: str, params: Params) -> None:
        delay = next(
            (d for d in self._delays if d.method in (None, method) and d.chat_id in (None, params.get("chat_id"))),
            None,
        )
        if delay is None:
            return
        delay.remaining -= 1
        if delay.remaining <= 0:
            self._delays.remove(delay)
        # The call still runs after the delay, as on Telegram: a client that timed out may have sent.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), delay.seconds)

    def _apply_fault(self, method: str, params: Params) -> None:
        for fault in self._faults:
            if fault.method not in (None, method):
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            raise fault.error

    # ------------------------------------------------------------------ Bot API methods

    async def _get_me(self, p: Params) -> Params:
        me = self.bot.to_api()
        for f in self.spec.types.get("User", ()):
            if "Returned only in getMe" in f.description:
                me[f.name] = False
        me["can_join_groups"] = True
        me["can_read_all_group_messages"] = self.can_read_all_group_messages
        return me

    async def _get_updates(self, p: Params) -> list[Params]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active;"
                " use deleteWebhook to delete the webhook first",
            )
        offset = int(p.get("offset") or 0)
        limit = min(max(int(p.get("limit") or 100), 1), 100)
        timeout = max(float(p.get("timeout") or 0), 0.0)
        if p.get("allowed_updates") is not None:
            # Sticky like Telegram's: it applies to later calls that do not repeat it.
            self._allowed_updates = frozenset(p["allowed_updates"]) or None
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            ready = self._deliverable_updates()[:limit]
            remaining = deadline - asyncio.get_running_loop().time()
            if ready or remaining <= 0 or self._stopping.is_set():
                return ready
            await self._updates_signal.wait(remaining)

    def _deliverable_updates(self) -> list[Params]:
        def wanted(update: Params) -> bool:
            kind = next(k for k in update if k != "update_id")
            if self._allowed_updates is None:
                return kind not in NOT_SENT_BY_DEFAULT
            return kind in self._allowed_updates

        # Telegram never queues unwanted types, so they go for good rather than wait for a new filter.
        self._updates = [u for u in self._updates if wanted(u)]
        return self._updates

    async def _set_webhook(self, p: Params) -> bool:
        """Like Telegram: updates are POSTed to `url` (one at a time, retried until it answers 2xx) with
        the secret in X-Telegram-Bot-Api-Secret-Token. An empty url removes the webhook."""
        if not p.get("url"):
            return await self._delete_webhook(p)
        secret = p.get("secret_token")
        if secret is not None and not _WEBHOOK_SECRET.match(str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = {
            "url": p["url"],
            "secret_token": secret,
            "allowed_updates": p.get("allowed_updates"),
            "max_connections": p.get("max_connections", 40),
            "drop_pending_updates": p.get("drop_pending_updates"),
        }
        if p.get("allowed_updates") is not None:
            self._allowed_updates = frozenset(p["allowed_updates"]) or None
        if p.get("drop_pending_updates"):
            self._updates.clear()
        if self._pusher is None or self._pusher.done():
            self._pusher = asyncio.ensure_future(self._push_updates())
        self._updates_signal.notify()
        return True

    async def _delete_webhook(self, p: Params) -> bool:
        self.webhook = None
        await self._stop_pushing()
        if p.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, p: Params) -> Params:
        info: Params = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._deliverable_updates()),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"] is not None:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _stop_pushing(self) -> None:
        pusher, self._pusher = self._pusher, None
        if pusher is not None and pusher is not asyncio.current_task():
            pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pusher

    async def _push_updates(self) -> None:
        import aiohttp  # the stand-in's only client side

        failures = 0
        async with aiohttp.ClientSession() as session:
            while self.webhook is not None and not self._stopping.is_set():
                ready = self._deliverable_updates()
                if not ready:
                    await self._updates_signal.wait(1.0)
                    continue
                update, webhook = ready[0], self.webhook
                headers = {"Content-Type": "application/json"}
                if webhook.get("secret_token"):
                    headers[WEBHOOK_SECRET_HEADER] = str(webhook["secret_token"])
                try:
                    async with session.post(
                        webhook["url"],
                        data=json.dumps(update),
                        headers=headers,
                        timeout=aiohttp.ClientTimeout(total=10),
                    ) as response:
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                self.webhook_deliveries.append((int(update["update_id"]), status))
                if 200 <= status < 300:
                    failures = 0
                    with contextlib.suppress(ValueError):
                        self._updates.remove(update)
                    continue
                # Telegram retries a failing webhook with growing pauses; so does the stand-in, briefly.
                failures += 1
                await asyncio.sleep(min(0.05 * 2**failures, 2.0))

    async def _send_message(self, p: Params) -> Params:
        chat = self._chat(p["chat_id"], sending=True)
        text, entities = _formatted(p["text"], p.get("parse_mode"), p.get("entities"), caption=False)
        content: Params = {"text": text}
        if entities:
            content["entities"] = entities
        return self._store_outgoing(chat, p, content)

    async def _send_photo(self, p: Params) -> Params:
        chat = self._chat(p["chat_id"], sending=True)
        content = _caption_content(p)
        photo = p["photo"]
        if isinstance(photo, UploadedFile) and photo.data:
            # Telegram's photo limits (size, dimensions, an image at all), checked before anything is stored.
            width, height = photo_size(photo.data)
            stored = self._new_file(photo, "photo")
            stored.width, stored.height = width, height
        else:
            stored = self._file_for(photo, "photo")
            if isinstance(photo, str) and photo in self._files and not stored.file_path.startswith("photos/"):
                # A file_id keeps its type: a document's cannot be sent as a photo.
                raise bad_request("type of file mismatch")
        content["photo"] = stored.as_photo()
        return self._store_outgoing(chat, p, content)

    async def _send_document(self, p: Params) -> Params:
        chat = self._chat(p["chat_id"], sending=True)
        content = _caption_content(p)
        content["document"] = self._file_for(p["document"], "document").as_document()
        return self._store_outgoing(chat, p, content)

    async def _edit_message_text(self, p: Params) -> Params:
        stored = self._editable(p)
        if "text" not in stored.data:
            raise bad_request("there is no text in the message to edit")
        if p.get("text") is None:
            raise bad_request("text is required")
        text, entities = _formatted(p["text"], p.get("parse_mode"), p.get("entities"), caption=False)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        return self._apply_edit(
            stored, {"text": text, "entities": entities or None}, p.get("reply_markup"), p.get("parse_mode")
        )

    async def _edit_message_caption(self, p: Params) -> Params:
        stored = self._editable(p)
        if "text" in stored.data:
            raise bad_request("there is no caption in the message to edit")
        content = _caption_content(p)
        return self._apply_edit(
            stored,
            {"caption": content.get("caption"), "caption_entities": content.get("caption_entities")},
            p.get("reply_markup"),
            p.get("parse_mode"),
        )

    async def _edit_message_reply_markup(self, p: Params) -> Params:
        stored = self._editable(p)
        return self._apply_edit(stored, {}, p.get("reply_markup"), stored.parse_mode)

    async def _delete_message(self, p: Params) -> bool:
        chat = self._chat(p["chat_id"])
        stored = self._messages.get(chat.id, {}).get(p["message_id"])
        if stored is None or stored.deleted:
            raise bad_request("message to delete not found")
        stored.deleted = True
        return True

    async def _answer_callback_query(self, p: Params) -> bool:
        query_id = p["callback_query_id"]
        if query_id not in self._open_queries:
            raise bad_request(QUERY_TOO_OLD)
        self._open_queries.discard(query_id)
        self.callback_answers[query_id] = dict(p)
        return True

    async def _set_my_commands(self, p: Params) -> bool:
        commands = p["commands"]
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = command.get("command") if isinstance(command, dict) else None
            description = command.get("description") if isinstance(command, dict) else None
            if not isinstance(name, str) or not 1 <= len(name) <= 32 or not _is_command_name(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[_commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, p: Params) -> list[Params]:
        return list(self._commands.get(_commands_key(p), []))

    async def _delete_my_commands(self, p: Params) -> bool:
        self._commands.pop(_commands_key(p), None)
        return True

    async def _set_my_description(self, p: Params) -> bool:
        return self._set_description("description", p, 512)

    async def _get_my_description(self, p: Params) -> Params:
        return {"description": self.description(p.get("language_code") or "")}

    async def _set_my_short_description(self, p: Params) -> bool:
        return self._set_description("short_description", p, 120)

    async def _get_my_short_description(self, p: Params) -> Params:
        return {"short_description": self.short_description(p.get("language_code") or "")}

    def _set_description(self, kind: str, p: Params, limit: int) -> bool:
        text = p.get(kind) or ""
        if not isinstance(text, str) or len(text) > limit:
            raise bad_request(f"{kind.upper()}_INVALID")
        language = p.get("language_code") or ""
        if text:
            self._descriptions[(kind, language)] = text
        else:  # an empty text removes the language's own one
            self._descriptions.pop((kind, language), None)
        return True

    async def _get_chat(self, p: Params) -> Params:
        return self._chat(p["chat_id"]).full_info()

    async def _get_chat_member(self, p: Params) -> Params:
        chat = self._chat(p["chat_id"])
        user_id = p["user_id"]
        if user_id == self.bot.id:
            return self._bot_member(chat)
        user = self._users.get(user_id)
        if user is None:
            raise bad_request("user not found")
        return chat_member(user.to_api(), chat.member_status(user_id), anonymous=user_id in chat.anonymous_admins)

    async def _get_chat_administrators(self, p: Params) -> list[Params]:
        chat = self._chat(p["chat_id"])
        if chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [
            chat_member(self._known_user(uid).to_api(), chat.member_status(uid), anonymous=uid in chat.anonymous_admins)
            for uid in _unique([*([chat.creator] if chat.creator is not None else []), *chat.admins])
        ]
        if chat.bot_status == "administrator":
            admins.append(self._bot_member(chat))
        return admins

    async def _get_chat_member_count(self, p: Params) -> int:
        chat = self._chat(p["chat_id"])
        if chat.type == "private":
            return 2
        people = chat.members | set(chat.admins) | ({chat.creator} if chat.creator is not None else set())
        return len(people) + int(chat.bot_status in ("member", "administrator"))

    async def _leave_chat(self, p: Params) -> bool:
        chat = self._chat(p["chat_id"])
        if chat.type == "private":
            raise bad_request("chat member status can't be changed in private chats")
        self._set_bot_status(chat, "left", self.bot.to_api())
        return True

    async def _get_file(self, p: Params) -> Params:
        stored = self._files.get(p["file_id"])
        if stored is None:
            raise bad_request("invalid file_id")
        return stored.to_api()

    # ------------------------------------------------------------------ helpers for the methods

    def _chat(self, ref: int | str, *, sending: bool = False) -> Chat:
        """The chat the bot addresses, or the error Telegram gives for it."""
        chat: Chat | None
        if isinstance(ref, str):
            name = ref.removeprefix("@").lower()
            chat = next((c for c in self._chats.values() if c.username and c.username.lower() == name), None)
        else:
            chat = self._chats.get(ref)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(400, migrate_to_chat_id=chat.migrated_to)
        if chat.type == "private":
            if sending and chat.bot_status == "kicked":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        elif chat.bot_status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        elif chat.bot_status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {chat.type} chat")
        return chat

    def _store_outgoing(self, chat: Chat, p: Params, content: Params) -> Params:
        markup = p.get("reply_markup")
        if markup is not None:
            _check_reply_markup(markup)
        reply_to = self._reply_target(chat, p.get("reply_parameters"))
        # Last check on purpose: a request refused for its content must not use up a flood slot.
        if self.enforce_limits:
            retry_after = self.flood.acquire(chat.id, paid=bool(p.get("allow_paid_broadcast")))
            if retry_after is not None:
                raise ApiError(429, retry_after=retry_after)
            _counted_at.set(self._clock())
        thread_id = p.get("message_thread_id")
        data: Params = {
            "message_id": self._next_message_id(chat.id),
            "from": self.bot.to_api(),
            "chat": chat.to_api(),
            "date": now(),
        }
        if thread_id is not None and chat.is_forum:
            data.update(message_thread_id=thread_id, is_topic_message=True)
        if reply_to is not None:
            data["reply_to_message"] = reply_to
        data.update(content)
        if _inline_keyboard(markup) is not None:
            data["reply_markup"] = markup
        stored = StoredMessage(data, True, p.get("parse_mode"), markup, thread_id)
        self._messages.setdefault(chat.id, {})[stored.message_id] = stored
        self._bot_sent.append(stored)
        self.sent_count += 1
        self._messages_signal.notify()
        return copy.deepcopy(data)

    def _reply_target(self, chat: Chat, reply: Params | None) -> Params | None:
        if not reply or reply.get("message_id") is None:
            return None
        target_chat = chat if reply.get("chat_id") is None else self._chat(reply["chat_id"])
        stored = self._messages.get(target_chat.id, {}).get(int(reply["message_id"]))
        if stored is None or stored.deleted:
            if reply.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        # Telegram does not nest replies further than one level.
        return {k: v for k, v in stored.data.items() if k != "reply_to_message"}

    def _editable(self, p: Params) -> StoredMessage:
        if p.get("inline_message_id") is not None:
            raise bad_request("inline messages are not supported by the stand-in")
        for name in ("chat_id", "message_id"):
            if p.get(name) is None:
                raise bad_request(f"{name} is required")
        chat = self._chat(p["chat_id"])
        stored = self._messages.get(chat.id, {}).get(p["message_id"])
        if stored is None or stored.deleted:
            raise bad_request("message to edit not found")
        if not stored.from_bot:
            raise bad_request("message can't be edited")
        return stored

    def _apply_edit(
        self, stored: StoredMessage, content: Params, markup: Params | None, parse_mode: str | None
    ) -> Params:
        if markup is not None:
            _check_reply_markup(markup)
        content = {**content, "reply_markup": markup if _inline_keyboard(markup) is not None else None}
        if all(stored.data.get(key) == value for key, value in content.items()):
            raise bad_request(NOT_MODIFIED)
        for key, value in content.items():
            if value is None:
                stored.data.pop(key, None)
            else:
                stored.data[key] = value
        stored.data["edit_date"] = now()
        stored.reply_markup = markup
        stored.parse_mode = parse_mode
        return copy.deepcopy(stored.data)

    def _file_for(self, value: UploadedFile | str, kind: str) -> StoredFile:
        if isinstance(value, UploadedFile):
            if not value.data:
                raise bad_request("file must be non-empty")
            return self._new_file(value, kind)
        if value in self._files:
            return self._files[value]
        if value.startswith(("http://", "https://")):
            # No network in the stand-in: remember the URL's name, with no content to download.
            name = PurePosixPath(value.split("?", 1)[0]).name or kind
            return self._new_file(UploadedFile(name, "application/octet-stream", b""), kind)
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _new_file(self, upload: UploadedFile, kind: str) -> StoredFile:
        number = len(self._files) + 1
        suffix = PurePosixPath(upload.filename).suffix or (".jpg" if kind == "photo" else "")
        stored = StoredFile(
            file_id=f"standin-{kind}-{number}",
            file_unique_id=f"standin-u{number}",
            file_path=f"{kind}s/file_{number}{suffix}",
            data=upload.data,
            file_name=upload.filename if kind == "document" else None,
            mime_type=upload.content_type or None,
        )
        self._files[stored.file_id] = stored
        return stored

    def _bot_member(self, chat: Chat) -> Params:
        status = "member" if chat.type == "private" and chat.bot_status != "kicked" else chat.bot_status
        return chat_member(self.bot.to_api(), status)

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _known_user(self, user_id: int) -> User:
        if user_id not in self._users:
            self._users[user_id] = User(user_id, f"User {user_id}")
        return self._users[user_id]

    # ------------------------------------------------------------------ the world: users and chats

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> User:
        """Create a user, or update the given fields of a known one."""
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = self._known_user(user_id)
        if first_name is not None:
            user.first_name = first_name
        for key, value in (("last_name", last_name), ("username", username), ("language_code", language_code)):
            if value is not None:
                setattr(user, key, value)
        return user

    def private_chat(self, user: User | int) -> Chat:
        """The user's private chat with the bot; its id is the user's id."""
        user = self._known_user(user) if isinstance(user, int) else user
        self._users.setdefault(user.id, user)
        chat = self._chats.get(user.id)
        if chat is None:
            chat = Chat(
                user.id, "private", username=user.username, first_name=user.first_name, last_name=user.last_name
            )
            self._chats[user.id] = chat
        return chat

    def group(
        self,
        chat_id: int,
        title: str,
        *,
        admins: Iterable[int] = (),
        creator: int | None = None,
        anonymous_admins: Iterable[int] = (),
        supergroup: bool = False,
        is_forum: bool = False,
        username: str | None = None,
        bot_status: str = "member",
    ) -> Chat:
        """A group the bot is in. `creator` defaults to the first admin; `anonymous_admins` post as the group."""
        if chat_id >= 0:
            raise ValueError("group ids are negative")
        if is_forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        if bot_status not in ("member", "administrator", "left", "kicked"):
            raise ValueError(f"unknown bot_status {bot_status!r}")
        admins = list(admins)
        anonymous = set(anonymous_admins)
        for user_id in (*admins, *anonymous, *([creator] if creator is not None else [])):
            self._known_user(user_id)
        chat = Chat(
            chat_id,
            "supergroup" if supergroup else "group",
            title=title,
            username=username,
            is_forum=is_forum,
            creator=creator if creator is not None else (admins[0] if admins else None),
            admins=_unique([*admins, *anonymous]),
            anonymous_admins=anonymous,
            bot_status=bot_status,
        )
        self._chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> Chat:
        return self._chats[chat_id]

    # ------------------------------------------------------------------ injected updates

    def inject_update(self, update: Params) -> Params:
        """Queue a hand-made update (without update_id) for getUpdates; returns it with its id."""
        if len(update) != 1 or "update_id" in update:
            raise ValueError('an update is one field naming its kind, e.g. {"message": {...}}')
        self._last_update_id += 1
        update = {"update_id": self._last_update_id, **update}
        self._updates.append(update)
        self._updates_signal.notify()
        return update

    def send_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        message_thread_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> Params:
        """A user writes `text` (commands get bot_command entities); returns the update."""
        chat = self._incoming_chat(chat_id, user_id)
        content: Params = {"text": text}
        if entities := command_entities(text):
            content["entities"] = entities
        user = self._known_user(user_id)
        return self._incoming(chat, user.to_api(), content, thread_id=message_thread_id, reply_to=reply_to_message_id)

    def anonymous_admin_text(self, group_id: int, text: str, *, message_thread_id: int | None = None) -> Params:
        """An anonymous admin writes: `from` is GroupAnonymousBot and `sender_chat` the group itself."""
        chat = self._incoming_chat(group_id, None)
        content: Params = {"text": text, "sender_chat": chat.to_api()}
        if entities := command_entities(text):
            content["entities"] = entities
        return self._incoming(chat, dict(GROUP_ANONYMOUS_BOT), content, thread_id=message_thread_id)

    def channel_text(
        self, group_id: int, channel_id: int, channel_title: str, text: str, *, message_thread_id: int | None = None
    ) -> Params:
        """Someone posts in a group "as" a channel: `from` is Channel_Bot, `sender_chat` that channel."""
        if channel_id >= 0:
            raise ValueError("channel ids are negative")
        chat = self._incoming_chat(group_id, None)
        channel = {"id": channel_id, "type": "channel", "title": channel_title}
        content: Params = {"text": text, "sender_chat": channel}
        if entities := command_entities(text):
            content["entities"] = entities
        return self._incoming(chat, dict(CHANNEL_BOT), content, thread_id=message_thread_id)

    def edit_text(self, chat_id: int, user_id: int, message_id: int, text: str) -> Params:
        """The user edits a message they sent: an `edited_message` update with the new text and `edit_date`."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted or stored.from_bot:
            raise ValueError(f"no message {message_id} of a user in chat {chat_id}")
        if stored.data.get("from", {}).get("id") != user_id or "text" not in stored.data:
            raise ValueError(f"message {message_id} is not a text message of user {user_id}")
        stored.data["text"] = text
        stored.data["edit_date"] = now()
        stored.data.pop("entities", None)
        if entities := command_entities(text):
            stored.data["entities"] = entities
        return self.inject_update({"edited_message": copy.deepcopy(stored.data)})

    def delete_message(self, chat_id: int, message_id: int) -> None:
        """Someone (the user, an admin) deletes a message of the chat."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None:
            raise ValueError(f"no message {message_id} in chat {chat_id}")
        stored.deleted = True

    def press_inline_button(self, user_id: int, inline_message_id: str, callback_data: str) -> Params:
        """A button of an inline-mode message is pressed: the query has `inline_message_id` and no `message`."""
        self._last_query_id += 1
        query_id = str(4_000_000_000 + self._last_query_id)
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._known_user(user_id).to_api(),
            "inline_message_id": inline_message_id,
            "chat_instance": str(user_id * 7919 % 10**12),
            "data": callback_data,
        }
        return self.inject_update({"callback_query": query})

    def send_document(
        self,
        chat_id: int,
        user_id: int,
        filename: str,
        content: bytes,
        caption: str | None = None,
        *,
        mime_type: str | None = None,
    ) -> Params:
        """A user sends a file; the bot can getFile and download it."""
        chat = self._incoming_chat(chat_id, user_id)
        stored = self._new_file(UploadedFile(filename, mime_type or "application/octet-stream", content), "document")
        message: Params = {"document": stored.as_document()}
        if caption is not None:
            message["caption"] = caption
            if entities := command_entities(caption):
                message["caption_entities"] = entities
        return self._incoming(chat, self._known_user(user_id).to_api(), message)

    def press_button(
        self, chat_id: int, user_id: int, message_id: int, callback_data: str, *, stale: bool = False
    ) -> Params:
        """A user presses an inline button of a bot message; see `callback_answers` for the answer.

        `stale`: a button the message no longer shows (a client that has not seen the edit yet, a keyboard
        from an older version of the bot): the data is delivered as given."""
        stored = self._messages.get(chat_id, {}).get(message_id)
        if stored is None or stored.deleted or not stored.from_bot:
            raise ValueError(f"the bot has no message {message_id} in chat {chat_id}")
        keyboard = _inline_keyboard(stored.data.get("reply_markup")) or []
        if not stale and not any(button.get("callback_data") == callback_data for row in keyboard for button in row):
            raise ValueError(f"message {message_id} has no button with callback_data {callback_data!r}")
        chat = self._incoming_chat(chat_id, user_id)
        self._last_query_id += 1
        query_id = str(4_000_000_000 + self._last_query_id)
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": self._known_user(user_id).to_api(),
            "message": copy.deepcopy(stored.data),
            "chat_instance": str(abs(chat.id) * 7919 % 10**12),
            "data": callback_data,
        }
        return self.inject_update({"callback_query": query})

    def bot_added(self, chat_id: int, by_user_id: int, *, as_admin: bool = False) -> Params:
        """Someone adds the bot to a group (a my_chat_member update)."""
        chat = self._group(chat_id)
        if chat.bot_status in ("member", "administrator"):
            raise ValueError(f"the bot is already in chat {chat_id}")
        chat.members.add(by_user_id)
        return self._set_bot_status(
            chat, "administrator" if as_admin else "member", self._known_user(by_user_id).to_api()
        )

    def bot_removed(self, chat_id: int, by_user_id: int) -> Params:
        """Someone removes the bot from a group; later sends there get 403."""
        chat = self._group(chat_id)
        if chat.bot_status not in ("member", "administrator"):
            raise ValueError(f"the bot is not in chat {chat_id}")
        return self._set_bot_status(chat, "kicked", self._known_user(by_user_id).to_api())

    def user_blocked_bot(self, user_id: int) -> Params:
        """The user blocks the bot; later sends to them get 403."""
        chat = self.private_chat(user_id)
        if chat.bot_status == "kicked":
            raise ValueError(f"user {user_id} has already blocked the bot")
        return self._set_bot_status(chat, "kicked", self._known_user(user_id).to_api())

    def user_unblocked_bot(self, user_id: int) -> Params:
        chat = self.private_chat(user_id)
        if chat.bot_status != "kicked":
            raise ValueError(f"user {user_id} has not blocked the bot")
        return self._set_bot_status(chat, "member", self._known_user(user_id).to_api())

    def migrate_to_supergroup(self, group_id: int, new_id: int, *, by_user_id: int | None = None) -> list[Params]:
        """Upgrade a group: service messages in both chats; later calls to the old id get 400 + migrate_to."""
        old = self._group(group_id)
        if old.type != "group":
            raise ValueError(f"chat {group_id} is a {old.type}, only groups migrate")
        if new_id in self._chats or new_id >= 0:
            raise ValueError(f"{new_id} is not a free negative chat id")
        new = Chat(
            new_id,
            "supergroup",
            title=old.title,
            username=old.username,
            creator=old.creator,
            admins=list(old.admins),
            anonymous_admins=set(old.anonymous_admins),
            members=set(old.members),
            bot_status=old.bot_status,
        )
        self._chats[new_id] = new
        actor_id = by_user_id if by_user_id is not None else old.creator
        actor = self._known_user(actor_id).to_api() if actor_id is not None else dict(GROUP_ANONYMOUS_BOT)
        first = self._incoming(old, actor, {"migrate_to_chat_id": new_id})
        old.migrated_to = new_id
        second = self._incoming(new, actor, {"migrate_from_chat_id": group_id})
        return [first, second]

    def _group(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"no group {chat_id}; create it with group()")
        if chat.migrated_to is not None:
            raise ValueError(f"group {chat_id} was migrated to {chat.migrated_to}")
        return chat

    def _incoming_chat(self, chat_id: int, user_id: int | None) -> Chat:
        """The chat a user writes in; fails loudly where a real user could not write to the bot."""
        if chat_id > 0:
            if user_id != chat_id:
                raise ValueError("in a private chat the chat id is the user id")
            chat = self.private_chat(user_id)
            if chat.bot_status == "kicked":
                raise ValueError(f"user {user_id} has blocked the bot; call user_unblocked_bot() first")
            return chat
        chat = self._group(chat_id)
        if chat.bot_status not in ("member", "administrator"):
            raise ValueError(f"the bot is not in chat {chat_id} and would not see the message")
        if user_id is not None:
            self._known_user(user_id)
            chat.members.add(user_id)
        return chat

    def _incoming(
        self,
        chat: Chat,
        sender: Params,
        content: Params,
        *,
        thread_id: int | None = None,
        reply_to: int | None = None,
    ) -> Params:
        data: Params = {
            "message_id": self._next_message_id(chat.id),
            "from": sender,
            "chat": chat.to_api(),
            "date": now(),
        }
        if thread_id is not None:
            data["message_thread_id"] = thread_id
            if chat.is_forum:
                data["is_topic_message"] = True
        if reply_to is not None:
            target = self._messages.get(chat.id, {}).get(reply_to)
            if target is None:
                raise ValueError(f"no message {reply_to} in chat {chat.id} to reply to")
            data["reply_to_message"] = {k: v for k, v in target.data.items() if k != "reply_to_message"}
        data.update(content)
        self._messages.setdefault(chat.id, {})[data["message_id"]] = StoredMessage(data, False, None, None, thread_id)
        update: Params = {"message": copy.deepcopy(data)}
        if chat.bot_status not in ("member", "administrator") and chat.type != "private":
            return {"update_id": None, **update}  # the bot is not there to receive it
        return self.inject_update(update)

    def _set_bot_status(self, chat: Chat, status: str, by: Params) -> Params:
        old = self._bot_member(chat)
        chat.bot_status = status
        change = {
            "chat": chat.to_api(),
            "from": by,
            "date": now(),
            "old_chat_member": old,
            "new_chat_member": self._bot_member(chat),
        }
        return self.inject_update({"my_chat_member": change})

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        method: str | None,
        *,
        chat_id: int | str | None = None,
        error_code: int = 429,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next `count` calls of `method` (None: any method; optionally only for `chat_id`)
        with this error. A 429 without retry_after says 5 seconds."""
        if error_code == 429 and retry_after is None:
            retry_after = 5
        error = ApiError(error_code, description, retry_after=retry_after, migrate_to_chat_id=migrate_to_chat_id)
        self._faults.append(_Fault(self._method_name(method), chat_id, error, count))

    def slow_next(self, method: str | None, seconds: float, count: int = 1, chat_id: int | None = None) -> None:
        """Hold the next `count` calls of `method` (to `chat_id`, if given) for `seconds` before executing them."""
        self._delays.append(_Delay(self._method_name(method), seconds, count, chat_id))

    def reset_limits(self) -> None:
        self.flood.reset()

    def go_down(self, mode: str = "reset") -> None:
        """An outage of the Bot API as the bot sees it, for every method, until `come_back()`: "reset"
        (the connection is dropped without an answer), "502" (a proxy's HTML error page) or "malformed"
        (status 200, a body that is not JSON) or "garbage" (bytes that are not HTTP at all). Calls are still
        recorded, with status 0 for "reset" and "garbage"."""
        if mode not in DOWN_MODES:
            raise ValueError(f"mode must be one of {DOWN_MODES}")
        self._down = mode

    def come_back(self) -> None:
        self._down = None

    async def _answer_down(self, request: web.Request, method: str) -> web.Response:
        mode = self._down
        status = {"reset": 0, "502": 502, "malformed": 200, "garbage": 0}[mode or "reset"]
        self._calls.append(Call(method, {}, self._clock(), status, {"down": mode}))
        if mode in ("reset", "garbage"):
            if request.transport is not None:
                if mode == "garbage":
                    request.transport.write(b"SSH-2.0-not-http\r\n\r\n")
                request.transport.close() if mode == "garbage" else request.transport.abort()
            return web.Response(status=503)  # never reaches the client: the connection is gone
        if mode == "502":
            return web.Response(status=502, text="<html><body><h1>502 Bad Gateway</h1></body></html>")
        return web.Response(status=200, text="<html>maintenance</html>", content_type="text/html")

    def _method_name(self, method: str | None) -> str | None:
        if method is None:
            return None
        known = self.spec.method(method)
        if known is None:
            raise ValueError(f"{method!r} is not a Bot API {self.spec.version} method")
        return known.name

    # ------------------------------------------------------------------ recordings

    @property
    def calls(self) -> list[Call]:
        return list(self._calls)

    def messages(self, chat_id: int | None = None) -> list[Params]:
        """The bot's messages as they stand now (edits applied, deleted ones gone), in send order."""
        return [m.summary() for m in self._bot_sent if not m.deleted and chat_id in (None, m.chat_id)]

    async def wait_for_messages(self, chat_id: int, count: int = 1, timeout: float = 5.0) -> list[Params]:
        """The next `count` messages the bot sends to `chat_id` that no earlier call returned.

        Counting from a per-chat cursor (not from the time of the call) means a reply that arrived
        before this was awaited is not missed.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            sent = [m for m in self._bot_sent if m.chat_id == chat_id]
            fresh = sent[self._waited.get(chat_id, 0) :]
            if len(fresh) >= count:
                self._waited[chat_id] = self._waited.get(chat_id, 0) + count
                return [m.summary() for m in fresh[:count]]
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self._stopping.is_set():
                texts = [m.data.get("text") or m.data.get("caption") for m in fresh]
                raise TimeoutError(f"expected {count} new message(s) in chat {chat_id} within {timeout}s, got {texts}")
            await self._messages_signal.wait(remaining)

    def commands(self, scope: Params | None = None, language_code: str = "") -> list[Params]:
        return list(self._commands.get(_commands_key({"scope": scope, "language_code": language_code}), []))

    def description(self, language_code: str = "") -> str:
        """The bot's description for a language: its own, else the default one (as Telegram shows it)."""
        found = self._descriptions.get(("description", language_code))
        return found if found is not None else self._descriptions.get(("description", ""), "")

    def short_description(self, language_code: str = "") -> str:
        found = self._descriptions.get(("short_description", language_code))
        return found if found is not None else self._descriptions.get(("short_description", ""), "")

    def file_content(self, file_id: str) -> bytes:
        return self._files[file_id].data

    def pending_updates(self) -> list[Params]:
        return list(self._updates)

    def stats(self) -> Params:
        return {
            "sent_count": self.sent_count,
            "rejected_429": self.rejected_429,
            "calls": len(self._calls),
            "pending_updates": len(self._updates),
        }

    # ------------------------------------------------------------------ HTTP: control API

    async def _control(self, request: web.Request) -> web.Response:
        action = self._control_actions().get(request.match_info["action"])
        if action is None:
            return web.json_response({"ok": False, "description": "unknown action"}, status=404)
        try:
            body = json.loads(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object of keyword arguments")
            result = action(**body)
            if asyncio.iscoroutine(result):
                result = await result
        except (TypeError, ValueError, KeyError, TimeoutError) as error:
            return web.json_response({"ok": False, "description": f"{type(error).__name__}: {error}"}, status=400)
        return web.json_response({"ok": True, "result": result})

    def _control_actions(self) -> dict[str, Callable[..., Any]]:
        def send_document(
            chat_id: int,
            user_id: int,
            filename: str,
            content_base64: str | None = None,
            content_text: str | None = None,
            **kwargs: Any,
        ) -> Params:
            content = (content_text or "").encode() if content_base64 is None else base64.b64decode(content_base64)
            return self.send_document(chat_id, user_id, filename, content, **kwargs)

        return {
            "user": lambda user_id, **kw: self.user(user_id, **kw).to_api(),
            "audience": self._audience,
            "private_chat": lambda user_id: self.private_chat(user_id).to_api(),
            "group": lambda chat_id, title, **kw: self.group(chat_id, title, **kw).to_api(),
            "send_text": self.send_text,
            "anonymous_admin_text": self.anonymous_admin_text,
            "channel_text": self.channel_text,
            "edit_text": self.edit_text,
            "press_inline_button": self.press_inline_button,
            "send_document": send_document,
            "press_button": self.press_button,
            "bot_added": self.bot_added,
            "bot_removed": self.bot_removed,
            "user_blocked_bot": self.user_blocked_bot,
            "user_unblocked_bot": self.user_unblocked_bot,
            "migrate_to_supergroup": self.migrate_to_supergroup,
            "inject_update": self.inject_update,
            "fail_next": self.fail_next,
            "slow_next": self.slow_next,
            "reset_limits": self.reset_limits,
            "go_down": self.go_down,
            "come_back": self.come_back,
            "set_limits": self._set_limits,
            "messages": self.messages,
            "wait_for_messages": self.wait_for_messages,
            "calls": lambda method=None: [c.to_dict() for c in self._calls if method in (None, c.method)],
            "callback_answers": lambda: self.callback_answers,
            "commands": self.commands,
            "stats": self.stats,
            "webhook": lambda: self.webhook,
            "webhook_deliveries": lambda: self.webhook_deliveries,
        }

    def _audience(self, private: list[int] | None = None, groups: list[int] | None = None) -> Params:
        """Many users with their private chats, and many supergroups, in one control call (a broadcast's
        audience of thousands: one call per chat would take longer than the broadcast)."""
        for user_id in private or []:
            self.user(user_id, first_name="Fan")
            self.private_chat(user_id)
        for chat_id in groups or []:
            self.group(chat_id, "Fans", supergroup=True)
        return {"private": len(private or []), "groups": len(groups or [])}

    def _set_limits(self, enforce: bool | None = None, **limits: float) -> Params:
        if enforce is not None:
            self.enforce_limits = enforce
        if limits:
            self.flood.limits = FloodLimits(**{**asdict(self.flood.limits), **limits})
        return {"enforce": self.enforce_limits, **asdict(self.flood.limits)}


# ---------------------------------------------------------------------- module helpers


async def _read_request(request: web.Request) -> tuple[Params, dict[str, UploadedFile]]:
    """Query string, then the body: JSON, urlencoded or multipart (files), as Telegram accepts."""
    raw: Params = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.body_exists:
        return raw, files
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.read() or b"{}")
        except ValueError:
            raise bad_request("can't parse JSON object") from None
        if not isinstance(body, dict):
            raise bad_request("can't parse JSON object")
        raw.update(body)
    elif request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                upload = UploadedFile(value.filename, value.content_type, value.file.read())
                files[key] = upload
                raw[key] = upload
            else:
                raw[key] = value.decode() if isinstance(value, bytes) else value
    return raw, files


def _formatted(
    text: str, parse_mode: str | None, entities: list[Params] | None, *, caption: bool
) -> tuple[str, list[Params]]:
    """Plain text and entities after parse_mode, with Telegram's empty/length checks (UTF-16 units)."""
    if entities is not None:
        plain, found = text, entities  # explicit entities win over parse_mode, as on Telegram
    elif not parse_mode:
        plain, found = text, []
    elif parse_mode.lower() == "html":
        try:
            parsed = parse_html(text)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
        plain, found = parsed.text, parsed.entities
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        plain, found = text, []  # not validated; the length below then counts the markup too
    else:
        raise bad_request("unsupported parse_mode")
    if not caption and not plain.strip():
        raise bad_request("message text is empty")
    if utf16_len(plain) > (CAPTION_LIMIT if caption else TEXT_LIMIT):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return plain, found


def _caption_content(p: Params) -> Params:
    if p.get("caption") is None:
        return {}
    caption, entities = _formatted(p["caption"], p.get("parse_mode"), p.get("caption_entities"), caption=True)
    content: Params = {"caption": caption} if caption else {}
    if entities:
        content["caption_entities"] = entities
    return content


def _inline_keyboard(markup: Params | None) -> list[list[Params]] | None:
    """The keyboard Telegram echoes in Message.reply_markup: only non-empty inline keyboards."""
    if not markup or not isinstance(markup.get("inline_keyboard"), list) or not markup["inline_keyboard"]:
        return None
    keyboard: list[list[Params]] = markup["inline_keyboard"]
    return keyboard


def _check_reply_markup(markup: Params) -> None:
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            if len(_BUTTON_ACTIONS & button.keys()) != 1:
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")


def _commands_key(p: Params) -> tuple[str, str]:
    scope = p.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), p.get("language_code") or ""


def _is_command_name(name: str) -> bool:
    return all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in name)


def _unique(values: Iterable[int]) -> list[int]:
    return list(dict.fromkeys(values))

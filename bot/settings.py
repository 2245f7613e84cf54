"""Settings from the environment or `.env` (see .env.example).

Every documented form of a value is accepted, from the environment and from `.env` alike; a value that
cannot be read stops `pitboard run` with one line naming the setting (`load_settings`), never a traceback.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

from bot.core.redact import redact, register_secret

TELEGRAM_API_URL = "https://api.telegram.org/bot"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# What @BotFather hands out: the bot's numeric id, a colon, URL-safe characters.
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_ADMIN_SEPARATORS = re.compile(r"[,;\s]+")
DEFAULT_LISTEN = "0.0.0.0:8080"
# Telegram's rule for setWebhook's secret_token.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_URL_SEPARATORS = re.compile(r"[,\s]+")  # a URL may hold ';' in its query, never a space or a comma left bare


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default=TELEGRAM_API_URL, alias="TELEGRAM_API_URL")
    database: str = Field(default="./pitboard.db", alias="PITBOARD_DATABASE")
    # NoDecode: pydantic-settings would otherwise read a list field as JSON before any validator runs,
    # and "", "1,2" and "1; 2" are not JSON.
    admins: Annotated[list[int], NoDecode] = Field(default_factory=list, alias="PITBOARD_ADMINS")
    # Paid broadcasts (allow_paid_broadcast): alerts may go out at up to 1000/s, for Telegram Stars.
    paid_broadcast: bool = Field(default=False, alias="PITBOARD_PAID_BROADCAST")
    # Results of a race that ended longer ago than this are stored without alerts (a back-fill).
    results_news_days: float = Field(default=3.0, gt=0, le=3650, alias="PITBOARD_RESULTS_NEWS_DAYS")
    alert_poll_seconds: float = Field(default=30.0, gt=0, alias="PITBOARD_ALERT_POLL_SECONDS")
    # Telegram's overall limit; only a test against a limit-free stand-in raises it.
    messages_per_second: float = Field(default=30.0, gt=0, alias="PITBOARD_MESSAGES_PER_SECOND")
    # Replicas on PostgreSQL: how long a replica's claim on an outbox row lasts; a replica that dies leaves its
    # rows to be taken again this long after (renewed while a row waits, so only a dead replica's expire).
    claim_lease_seconds: float = Field(default=60.0, ge=5, le=3600, alias="PITBOARD_CLAIM_LEASE_SECONDS")
    # An alert still waiting after this long (the Bot API unreachable for days) is dropped, not sent late.
    alert_max_age_hours: float = Field(default=48.0, gt=0, alias="PITBOARD_ALERT_MAX_AGE_HOURS")
    log_level: str = Field(default="INFO", alias="PITBOARD_LOG_LEVEL")
    # Timing files and calendars by URL (`pitboard import URL`, `pitboard watch`, the watch job, /import URL).
    fetch_timeout: float = Field(default=30.0, gt=0, le=600, alias="PITBOARD_FETCH_TIMEOUT")
    watch_urls: Annotated[list[str], NoDecode] = Field(default_factory=list, alias="PITBOARD_WATCH_URLS")
    watch_series: str | None = Field(default=None, alias="PITBOARD_WATCH_SERIES")
    watch_season: int | None = Field(default=None, ge=1900, le=2100, alias="PITBOARD_WATCH_SEASON")
    watch_every: float = Field(default=60.0, ge=1, le=86400, alias="PITBOARD_WATCH_EVERY")
    # Jolpica-F1 (Ergast-compatible): `pitboard sync f1` and the bot's F1 sync read it from here.
    jolpica_url: str = Field(default="https://api.jolpi.ca/ergast/f1/", alias="PITBOARD_JOLPICA_URL")
    # `pitboard run` keeps F1 current from Jolpica (calendar daily, results after each session) unless this
    # is false. The demo and tests never start it (bot/app.py: providers=False).
    sync_f1: bool = Field(default=True, alias="PITBOARD_SYNC_F1")
    # Webhook mode (`pitboard run --webhook`): the public URL Telegram posts updates to, the address the
    # bot's own HTTP server binds, and the secret Telegram sends back in X-Telegram-Bot-Api-Secret-Token.
    webhook_url: str | None = Field(default=None, alias="PITBOARD_WEBHOOK_URL")
    listen: str = Field(default=DEFAULT_LISTEN, alias="PITBOARD_LISTEN")
    webhook_secret: SecretStr | None = Field(default=None, alias="PITBOARD_WEBHOOK_SECRET")
    # Polling mode: the HTTP surface (/healthz, /readyz, /metrics, /cal/…) only where this says HOST:PORT.
    http: str | None = Field(default=None, alias="PITBOARD_HTTP")
    # The origin calendar subscription links start with; default: the origin of PITBOARD_WEBHOOK_URL.
    public_url: str | None = Field(default=None, alias="PITBOARD_PUBLIC_URL")
    # /readyz: the Bot API must have answered within this many seconds (else /readyz asks it with getMe).
    ready_api_seconds: float = Field(default=300.0, gt=0, alias="PITBOARD_READY_API_SECONDS")

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _token(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None  # "TELEGRAM_BOT_TOKEN=" as in .env.example: not set
            register_secret(value)  # before anything can fail and print it
            if not _TOKEN.match(value):
                raise ValueError("does not look like a token from @BotFather (digits, a colon, then letters)")
        return value

    @field_validator("admins", mode="before")
    @classmethod
    def _user_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return [value]
        if not isinstance(value, str):
            return value
        ids = []
        for part in _ADMIN_SEPARATORS.split(value.strip().strip("[]")):
            if not part:
                continue
            if not part.isdigit():
                raise ValueError(f"{part!r} is not a Telegram user id; write ids separated by commas, e.g. 123,456")
            ids.append(int(part))
        return ids

    @field_validator("watch_urls", mode="before")
    @classmethod
    def _urls(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        urls = [part for part in _URL_SEPARATORS.split(value.strip()) if part]
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"{redact(url)[:80]!r} is not an http(s) URL; separate URLs by spaces or commas")
        return urls

    @field_validator("webhook_url", "public_url", mode="before")
    @classmethod
    def _public_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as https://bot.example.org/telegram")
        return value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                return None
            register_secret(value)  # masked in every log line, like the token
            if not _WEBHOOK_SECRET.match(value):
                # Telegram refuses any other secret_token in setWebhook.
                raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("listen", "http", mode="before")
    @classmethod
    def _address(cls, value: object, info: ValidationInfo) -> object:
        if not isinstance(value, str):
            return value
        value = value.strip()
        if not value:
            return DEFAULT_LISTEN if info.field_name == "listen" else None
        parse_address(value)
        return value

    @field_validator("watch_series", "watch_season", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url", mode="before")
    @classmethod
    def _api_url(cls, value: object) -> object:
        return normalise_api_url(value) if isinstance(value, str) else value

    @field_validator("jolpica_url", mode="before")
    @classmethod
    def _jolpica_url(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip() or "https://api.jolpi.ca/ergast/f1/"
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("must be an http(s) URL such as https://api.jolpi.ca/ergast/f1/")
            value = value if value.endswith("/") else value + "/"
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _level(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().upper() or "INFO"
            if value not in LOG_LEVELS:
                raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return value

    @model_validator(mode="after")
    def _remember_secret(self) -> Settings:
        if self.telegram_bot_token is not None:
            register_secret(self.telegram_bot_token.get_secret_value())
        return self

    @property
    def public_origin(self) -> str | None:
        """Where the HTTP surface is reachable from outside (calendar links), without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            return f"{parts.scheme}://{parts.netloc}"
        return None

    def webhook_problem(self) -> str | None:
        """What keeps `pitboard run --webhook` from starting, worded for the operator; None when nothing."""
        missing = [
            name
            for name, value in (
                ("PITBOARD_WEBHOOK_URL", self.webhook_url),
                ("PITBOARD_WEBHOOK_SECRET", self.webhook_secret),
            )
            if not value
        ]
        if missing:
            return f"--webhook needs {' and '.join(missing)} (see .env.example)"
        return None

    @property
    def file_url(self) -> str:
        """Telegram serves files from /file/bot<token>/…; a self-hosted server or the stand-in likewise."""
        base = self.telegram_api_url.rstrip("/")
        head, _, tail = base.rpartition("/")
        return f"{head}/file/{tail}"


def normalise_api_url(value: str) -> str:
    """The Bot API base the bot appends its token to, always `…/bot` without a trailing slash.

    Accepted: `https://api.telegram.org`, `…/bot`, `…/bot/`, `http://127.0.0.1:8081/bot/`. Without this,
    `http://host:8081` became `http://host:8081<TOKEN>/getMe` and the token ended up in the error.
    """
    url = value.strip().rstrip("/") or TELEGRAM_API_URL
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL such as https://api.telegram.org/bot")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query or fragment (…/bot, the bot appends its token)")
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ValueError("has a port that is not a number") from None
    last = parts.path.rsplit("/", 1)[-1]
    if last == "bot":
        return url
    if last.startswith("bot") and ":" in last:
        raise ValueError("must not contain the token (end it in /bot; the token goes in TELEGRAM_BOT_TOKEN)")
    return f"{url}/bot"


def parse_address(value: str) -> tuple[str, int]:
    """`HOST:PORT` (`0.0.0.0:8080`, `127.0.0.1:9000`, `[::]:8080`) → (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("must be HOST:PORT, e.g. 0.0.0.0:8080")
    return host.strip("[]"), int(port)


class SettingsProblem(Exception):
    """A setting that cannot be read, worded for the operator in one line (no value, no traceback)."""


def load_settings() -> Settings:
    """Settings from the environment and `.env`, or SettingsProblem naming what is wrong."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_input=False, include_url=False):
            name = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"{name} {message}")
        raise SettingsProblem(redact("; ".join(problems))) from None
    except SettingsError as exc:
        raise SettingsProblem(redact(str(exc))) from None

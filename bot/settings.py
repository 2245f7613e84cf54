"""Settings from the environment or `.env` (see .env.example)."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TELEGRAM_API_URL = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_url: str = Field(default=TELEGRAM_API_URL, alias="TELEGRAM_API_URL")
    database: str = Field(default="./pitboard.db", alias="PITBOARD_DATABASE")
    admins: list[int] = Field(default_factory=list, alias="PITBOARD_ADMINS")
    # Paid broadcasts (allow_paid_broadcast): alerts may go out at up to 1000/s, for Telegram Stars.
    paid_broadcast: bool = Field(default=False, alias="PITBOARD_PAID_BROADCAST")
    # Results of a race that ended longer ago than this are stored without alerts (a back-fill).
    results_news_days: float = Field(default=3.0, gt=0, le=3650, alias="PITBOARD_RESULTS_NEWS_DAYS")
    alert_poll_seconds: float = Field(default=30.0, gt=0, alias="PITBOARD_ALERT_POLL_SECONDS")
    # Telegram's overall limit; only a test against a limit-free stand-in raises it.
    messages_per_second: float = Field(default=30.0, gt=0, alias="PITBOARD_MESSAGES_PER_SECOND")

    @field_validator("admins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @property
    def file_url(self) -> str:
        """Telegram serves files from /file/bot<token>/…; a self-hosted server or the stand-in likewise."""
        base = self.telegram_api_url.rstrip("/")
        head, _, tail = base.rpartition("/")
        return f"{head}/file/{tail}"

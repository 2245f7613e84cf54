"""The provider status as the admin's /stats shows it: per provider and watched URL the last success,
the last error and the next run, in the chat's language and time zone."""

from __future__ import annotations

from datetime import datetime

from bot.i18n import Translator
from bot.render import e
from storage.providers import ProviderStatus

MAX_SHOWN = 20  # providers listed; a watch list is a handful of URLs
ERROR_SHOWN = 200  # characters of the last error


def _when(t: Translator, stamp: str | None, timezone: str) -> str:
    if not stamp:
        return t("never")
    return t.when(datetime.fromisoformat(stamp.replace("Z", "+00:00")), timezone)


def provider_lines(t: Translator, rows: list[ProviderStatus], timezone: str) -> list[str]:
    if not rows:
        return []
    lines = ["", f"<b>{t('Providers')}</b>"]
    for row in rows[:MAX_SHOWN]:
        lines.append(f"• <code>{e(row.provider)}</code>")
        lines.append(
            "  "
            + t("last success: {when}", when=_when(t, row.last_success_utc, timezone))
            + " · "
            + t("next run: {when}", when=_when(t, row.next_run_utc, timezone))
            + " · "
            + t.n("{n} run", "{n} runs", row.runs)
            + ", "
            + t.n("{n} failed", "{n} failed", row.failures)
        )
        if row.last_error:
            lines.append(
                "  "
                + t("last error ({when}):", when=_when(t, row.last_error_utc, timezone))
                + f" <code>{e(row.last_error[:ERROR_SHOWN])}</code>"
            )
    if len(rows) > MAX_SHOWN:
        lines.append(t("… and {n} more (pitboard status lists all)", n=len(rows) - MAX_SHOWN))
    return lines

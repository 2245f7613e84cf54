"""The bot token never leaves the process: one redaction for log records, stored errors and startup errors.

A Bot API URL carries the token (`…/bot<TOKEN>/sendMessage`), and so do the errors of every HTTP library
that prints its URL. Whatever text may leave the process passes through `redact`.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType

# Telegram's token shape: the bot's numeric id, a colon, 35 characters of URL-safe base64. Matched even
# when it was never registered (a token from a different .env, a test's).
TOKEN_SHAPE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
MASK = "<token>"

_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret (the token, a webhook secret) so that `redact` removes it wherever it appears."""
    if secret and len(secret) >= 6:
        _secrets.add(secret)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return TOKEN_SHAPE.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Applied to handlers: rewrites each record's message (arguments and traceback included) redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: keep it, redacted as is
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """For `sys.excepthook`: an uncaught exception's traceback, printed on stderr redacted."""
    sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))


def install(root: logging.Logger | None = None) -> None:
    """Put the filter on every handler of the root logger (and on those added later by basicConfig)."""
    logger = root or logging.getLogger()
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())

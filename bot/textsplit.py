"""Split Telegram HTML longer than one message at line boundaries, closing and reopening tags."""

from __future__ import annotations

import re

LIMIT = 4096
_TAG = re.compile(r"<(/?)([a-z-]+)([^>]*)>")
_ENTITY = re.compile(r"&(?:[a-z]+|#\d+|#x[0-9a-f]+);", re.IGNORECASE)


def visible_length(html_text: str) -> int:
    """Characters Telegram counts (UTF-16 code units of the text without tags, entities decoded)."""
    plain = _ENTITY.sub("x", _TAG.sub("", html_text))
    return len(plain.encode("utf-16-le")) // 2


def _open_tags(text: str) -> list[tuple[str, str]]:
    stack: list[tuple[str, str]] = []
    for closing, name, attrs in _TAG.findall(text):
        if closing:
            if stack and stack[-1][0] == name:
                stack.pop()
        else:
            stack.append((name, attrs))
    return stack


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    if visible_length(text) <= limit:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    prefix = ""
    for line in text.split("\n"):
        candidate = "\n".join([*current, line])
        if current and visible_length(prefix + candidate) > limit - 20:
            body = prefix + "\n".join(current)
            still_open = _open_tags(body)
            parts.append(body + "".join(f"</{name}>" for name, _ in reversed(still_open)))
            prefix = "".join(f"<{name}{attrs}>" for name, attrs in still_open)
            current = [line]
        else:
            current.append(line)
    if current:
        parts.append(prefix + "\n".join(current))
    # A single line longer than the limit is cut hard; rare (a pasted text), and better than failing.
    out: list[str] = []
    for part in parts:
        while visible_length(part) > limit:
            cut = limit - 50
            out.append(part[:cut])
            part = part[cut:]
        out.append(part)
    return out

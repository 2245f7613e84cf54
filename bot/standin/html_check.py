"""`parse_mode=HTML` the way Telegram parses it: plain text plus MessageEntity dicts, or a parse error.

A small hand-written tokenizer rather than `html.parser`, because the stand-in has to be *stricter*
than a browser (unknown tags, stray `<`/`>`/`&` and mis-nesting are errors, not things to repair) and
has to report the UTF-8 byte offset of the offending character like Telegram does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Tag → MessageEntity type (https://core.telegram.org/bots/api#html-style).
TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,8})|([a-zA-Z]+));")
_START_TAG_RE = re.compile(
    r"""<([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s=>/"']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*>"""
)
_ATTRIBUTE_RE = re.compile(r"""([^\s=>/"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_END_TAG_RE = re.compile(r"</([a-zA-Z][a-zA-Z0-9-]*)\s*>")


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; `str()` is the part after "can't parse entities: "."""

    def __init__(self, reason: str, byte_offset: int) -> None:
        super().__init__(f"{reason} at byte offset {byte_offset}")
        self.reason = reason
        self.byte_offset = byte_offset


_Fail = Callable[[str, int], EntityParseError]


@dataclass(frozen=True)
class ParsedText:
    text: str
    entities: list[dict[str, Any]]


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str | None]
    start: int  # UTF-16 offset in the output text
    byte_offset: int  # of the `<` in the source, for the "no end tag" error
    order: int
    language: str | None = None  # set on a <pre> by a <code class="language-…"> inside it


_PLAIN_RE = re.compile(r"[^<>&]+")


def utf16_len(text: str) -> int:
    """Telegram measures lengths and entity offsets in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> ParsedText:
    """Decode `source` as Telegram HTML; raise EntityParseError with Telegram's kind of reason."""

    def fail(reason: str, index: int) -> EntityParseError:
        return EntityParseError(reason, len(source[:index].encode("utf-8")))

    out: list[str] = []
    out_len = 0  # UTF-16 length of "".join(out), kept incrementally for entity offsets
    stack: list[_OpenTag] = []
    entities: list[tuple[int, dict[str, Any]]] = []  # (open order, entity) for a stable sort
    opened = 0
    i = 0
    n = len(source)
    while i < n:
        char = source[i]
        if char == "&":
            decoded, i = _decode_entity(source, i, fail)
            out.append(decoded)
            out_len += utf16_len(decoded)
        elif char == ">":
            raise fail('Unescaped ">", write it as "&gt;"', i)
        elif char == "<" and source.startswith("</", i):
            match = _END_TAG_RE.match(source, i)
            if match is None:
                raise _malformed_tag(source, i, fail, "end")
            name = match.group(1).lower()
            if not stack:
                raise fail(f'Unexpected end tag "</{name}>"', i)
            top = stack[-1]
            if top.name != name:
                raise fail(f'Unmatched end tag "</{name}>", expected "</{top.name}>"', i)
            stack.pop()
            entity = _entity_for(top, out_len, stack)
            if entity is not None:
                entities.append((top.order, entity))
            i = match.end()
        elif char == "<":
            match = _START_TAG_RE.match(source, i)
            if match is None:
                raise _malformed_tag(source, i, fail, "start")
            name = match.group(1).lower()
            if name not in TAG_ENTITY:
                raise fail(f'Unsupported start tag "{name}"', i)
            attributes = _attributes(match.group(2))
            _check_attributes(name, attributes, i, fail)
            stack.append(_OpenTag(name, attributes, out_len, len(source[:i].encode("utf-8")), opened))
            opened += 1
            i = match.end()
        else:
            # A run of plain text at once: per-character work made long messages the stand-in's hot spot.
            plain = _PLAIN_RE.match(source, i)
            assert plain is not None
            chunk = plain.group(0)
            out.append(chunk)
            out_len += utf16_len(chunk)
            i = plain.end()
    if stack:
        top = stack[-1]
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{top.name}"', top.byte_offset)
    # Outer entities first at equal offsets, as Telegram lists them.
    ordered = sorted(entities, key=lambda item: (item[1]["offset"], -item[1]["length"], item[0]))
    return ParsedText("".join(out), [entity for _, entity in ordered])


def _decode_entity(source: str, i: int, fail: _Fail) -> tuple[str, int]:
    match = _ENTITY_RE.match(source, i)
    if match is None:
        raise fail('Unescaped "&", write it as "&amp;"', i)
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        if name not in NAMED_ENTITIES:
            raise fail(f'Unsupported HTML entity "&{name};"', i)
        return NAMED_ENTITIES[name], match.end()
    code_point = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code_point == 0 or code_point > 0x10FFFF or 0xD800 <= code_point <= 0xDFFF:
        raise fail(f'Invalid character reference "{match.group(0)}"', i)
    return chr(code_point), match.end()


def _malformed_tag(source: str, i: int, fail: _Fail, kind: str) -> EntityParseError:
    name_start = i + (2 if kind == "end" else 1)
    if name_start >= len(source) or not source[name_start].isascii() or not source[name_start].isalpha():
        # Not a tag at all: a literal "<" that should have been escaped.
        return fail('Unescaped "<", write it as "&lt;"', i)
    if ">" not in source[i:]:
        return fail(f"Unclosed {kind} tag", i)
    return fail(f"Malformed {kind} tag", i)


def _attributes(raw: str) -> dict[str, str | None]:
    attributes: dict[str, str | None] = {}
    for match in _ATTRIBUTE_RE.finditer(raw):
        name, double, single, bare = match.groups()
        value = next((v for v in (double, single, bare) if v is not None), None)
        attributes[name.lower()] = None if value is None else _decode_attribute(value)
    return attributes


def _decode_attribute(value: str) -> str:
    # Lenient on purpose: URLs in href routinely carry a raw "&", and Telegram keeps those.
    def replace(match: re.Match[str]) -> str:
        decimal, hexadecimal, name = match.groups()
        if name is not None:
            return NAMED_ENTITIES.get(name, match.group(0))
        code_point = int(decimal) if decimal is not None else int(hexadecimal, 16)
        return chr(code_point) if 0 < code_point <= 0x10FFFF and not 0xD800 <= code_point <= 0xDFFF else match.group(0)

    return _ENTITY_RE.sub(replace, value)


def _check_attributes(name: str, attributes: dict[str, str | None], i: int, fail: _Fail) -> None:
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise fail('Tag "span" must have class "tg-spoiler"', i)
    if name == "tg-emoji" and not (attributes.get("emoji-id") or "").isdigit():
        raise fail('Tag "tg-emoji" must have a numeric "emoji-id" attribute', i)


def _entity_for(tag: _OpenTag, end: int, stack: list[_OpenTag]) -> dict[str, Any] | None:
    length = end - tag.start
    kind = TAG_ENTITY[tag.name]
    entity: dict[str, Any] = {"type": kind, "offset": tag.start, "length": length}
    if tag.name == "code":
        language = tag.attributes.get("class") or ""
        parent = stack[-1] if stack else None
        if parent is not None and parent.name == "pre" and language.startswith("language-"):
            # <pre><code class="language-x"> is one pre entity with a language, not pre + code.
            parent.language = language.removeprefix("language-")
            return None
    elif tag.name == "pre":
        if tag.language:
            entity["language"] = tag.language
    elif tag.name == "a":
        href = tag.attributes.get("href")
        if not href:
            return None  # Telegram keeps the text and drops a link without a target
        entity["url"] = href
    elif tag.name == "tg-emoji":
        entity["custom_emoji_id"] = tag.attributes["emoji-id"]
    elif tag.name == "blockquote" and "expandable" in tag.attributes:
        entity["type"] = "expandable_blockquote"
    if length == 0:
        return None
    return entity

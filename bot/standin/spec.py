"""The Bot API as data: which methods exist, what they take and return, and parameter decoding.

The method list, required parameters and parameter types all come from the scraped specification
(`bot-api.json`, see ../shared/telegram/README.md; a copy ships in bot/standin/data/ so that the stand-in
and the demo work from an installed package), so the stand-in follows the API version in that file rather
than whatever someone remembered.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.standin.errors import bad_request

SPEC_ENV = "PITBOARD_BOT_API_SPEC"
DEFAULT_SPEC_PATH = Path(__file__).resolve().parent / "data" / "bot-api.json"

_TRUE = {"true", "1", "True"}
_FALSE = {"false", "0", "False"}


@dataclass(frozen=True)
class Field:
    name: str
    types: tuple[str, ...]
    required: bool
    description: str = ""


@dataclass(frozen=True)
class Method:
    name: str
    fields: tuple[Field, ...]
    returns: tuple[str, ...]

    @property
    def returns_only_boolean(self) -> bool:
        return self.returns == ("Boolean",)


@dataclass(frozen=True)
class UploadedFile:
    """One multipart file part."""

    filename: str
    content_type: str
    data: bytes

    def describe(self) -> dict[str, Any]:
        return {"filename": self.filename, "content_type": self.content_type, "size": len(self.data)}


class BotApiSpec:
    def __init__(self, version: str, methods: Mapping[str, Method], types: Mapping[str, tuple[Field, ...]]) -> None:
        self.version = version
        self.methods = methods
        self.types = types
        self._by_lower = {name.lower(): method for name, method in methods.items()}

    def method(self, name: str) -> Method | None:
        """Telegram matches method names case-insensitively (`SENDMESSAGE` works)."""
        return self._by_lower.get(name.lower())

    def required_fields(self, type_name: str) -> list[str]:
        return [f.name for f in self.types.get(type_name, ()) if f.required]


def spec_path() -> Path:
    return Path(os.environ.get(SPEC_ENV) or DEFAULT_SPEC_PATH)


@lru_cache(maxsize=4)
def load_spec(path: Path | None = None) -> BotApiSpec:
    path = path or spec_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"Bot API specification not found at {path}; set {SPEC_ENV} to the bot-api.json file"
        ) from None

    def fields(items: list[dict[str, Any]]) -> tuple[Field, ...]:
        return tuple(
            Field(f["name"], tuple(f["types"]), bool(f.get("required")), f.get("description", "")) for f in items
        )

    methods = {
        name: Method(name, fields(m.get("fields", [])), tuple(m.get("returns", [])))
        for name, m in raw["methods"].items()
    }
    types = {name: fields(t.get("fields", [])) for name, t in raw["types"].items()}
    return BotApiSpec(raw["version"], methods, types)


def decode_params(method: Method, raw: Mapping[str, Any], files: Mapping[str, UploadedFile]) -> dict[str, Any]:
    """Turn form strings / JSON values into typed values by the spec; check required parameters.

    Form bodies carry every value as a string and JSON-encode objects and arrays (that is how
    python-telegram-bot and most clients send them); JSON bodies carry native values. Both end up
    the same here. Parameters the method does not know are kept as they came, as Telegram ignores them.
    """
    params: dict[str, Any] = dict(raw)
    for f in method.fields:
        if f.name in params and params[f.name] is not None:
            params[f.name] = _decode(f, params[f.name], files)
    for f in method.fields:
        if f.required and params.get(f.name) is None:
            raise bad_request(f"{f.name} is required")
    return params


def _decode(f: Field, value: Any, files: Mapping[str, UploadedFile]) -> Any:
    types = f.types
    if isinstance(value, UploadedFile):
        return value
    if "InputFile" in types:
        if isinstance(value, str) and value.startswith("attach://"):
            attached = files.get(value.removeprefix("attach://"))
            if attached is None:
                raise bad_request(f"file {value} for {f.name} is not in the request")
            return attached
        return value if isinstance(value, str) else json.dumps(value)
    if "Integer" in types:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return int(str(value))
        except ValueError:
            if "String" in types:
                return str(value)  # chat_id may be "@channelusername"
            raise bad_request(f"{f.name} must be an integer") from None
    if types == ("Float",):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"{f.name} must be a number") from None
    if types == ("Boolean",):
        if isinstance(value, bool):
            return value
        if str(value) in _TRUE:
            return True
        if str(value) in _FALSE:
            return False
        raise bad_request(f"{f.name} must be a boolean")
    if types == ("String",):
        return value if isinstance(value, str) else json.dumps(value)
    # Everything else is an object or an array of objects, JSON-serialized in form bodies.
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {f.name} JSON object") from None
    expects_array = all(t.startswith("Array of") for t in types)
    if expects_array != isinstance(value, list) or not isinstance(value, list | dict):
        raise bad_request(f"can't parse {f.name} JSON object")
    return value

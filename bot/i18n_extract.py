"""A Babel extractor that also sees `t("…")` inside f-strings (Python 3.11's tokenizer does not).

Used through babel.cfg: `pybabel extract -F babel.cfg -o bot/locales/pitboard.pot bot handlers`.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any

Extracted = tuple[int, str, str | tuple[str, ...], list[str]]


def extract(
    fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str], options: Mapping[str, Any]
) -> Iterator[Extracted]:
    tree = ast.parse(fileobj.read())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = (
            node.func.id
            if isinstance(node.func, ast.Name)
            else (node.func.attr if isinstance(node.func, ast.Attribute) else None)
        )
        if name not in ("t", "n", "N_") or not node.args:
            continue
        if name == "n" and not (
            isinstance(node.func, ast.Attribute) and isinstance(node.func.value, ast.Name) and node.func.value.id == "t"
        ):
            continue
        strings = [a.value for a in node.args[:2] if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name == "n" and len(strings) == 2:
            yield node.lineno, "ngettext", (strings[0], strings[1]), []
        elif name in ("t", "N_") and strings:
            yield node.lineno, "gettext", strings[0], []

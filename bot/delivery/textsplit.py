"""Split Telegram HTML longer than one message into parts that are each valid and within the limit.

Telegram counts a message's length after parsing the HTML: the visible text (tags removed, entities
decoded) in UTF-16 code units, 4096 at most. A part is cut only between visible characters, never
inside a tag or an entity (a cut inside `&amp;` or `<b>` made the part unparseable), and never between
the halves of a surrogate pair. The tags open at a cut are closed at the end of the part and reopened
at the start of the next one, so each part is balanced and keeps its formatting. A cut prefers the end
of a line, then a space, and hard-cuts a long word only when there is no other way. Concatenating the
parts' visible text gives back the original's visible text exactly, except for a part that would hold
only whitespace (Telegram cannot send one), which is left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

LIMIT = 4096
# Telegram's tag and entity shapes (bot/standin/html_check.py checks them strictly); anything else is text.
_TOKEN = re.compile(
    r"(?P<tag><(?P<close>/?)(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?:\s[^<>]*)?>)"
    r"|(?P<entity>&(?:#(?P<dec>[0-9]{1,8})|#[xX](?P<hex>[0-9a-fA-F]{1,8})|(?P<named>[a-zA-Z]+));)"
)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def _units(text: str) -> int:
    # surrogatepass: a lone surrogate must be counted (as one unit), not crash the sender
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _decode(match: re.Match[str]) -> str:
    if match.group("named") is not None:
        return _NAMED.get(match.group("named"), match.group(0))
    code = int(match.group("dec")) if match.group("dec") is not None else int(match.group("hex"), 16)
    return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)


@dataclass(frozen=True, slots=True)
class _Atom:
    raw: str  # as written in the HTML
    visible: str  # what Telegram shows ("" for a tag)
    units: int  # UTF-16 code units of `visible`
    tag: str | None = None  # the tag's name, for tags
    closing: bool = False


def _atoms(html_text: str) -> list[_Atom]:
    """Tags, entities and single characters, in order: the places between them are where a cut may go."""
    atoms: list[_Atom] = []

    def text(run: str) -> None:
        atoms.extend(_Atom(char, char, _units(char)) for char in run)

    position = 0
    for match in _TOKEN.finditer(html_text):
        text(html_text[position : match.start()])
        if match.group("tag") is not None:
            atoms.append(_Atom(match.group(0), "", 0, match.group("name").lower(), bool(match.group("close"))))
        else:
            visible = _decode(match)
            atoms.append(_Atom(match.group(0), visible, _units(visible)))
        position = match.end()
    text(html_text[position:])
    return atoms


def visible_text(html_text: str) -> str:
    return "".join(atom.visible for atom in _atoms(html_text))


def visible_length(html_text: str) -> int:
    """Characters Telegram counts: UTF-16 code units of the text without tags, entities decoded."""
    plain = _TOKEN.sub(lambda m: "" if m.group("tag") is not None else _decode(m), html_text)
    return _units(plain)


def _open_stacks(atoms: list[_Atom]) -> list[tuple[_Atom, ...]]:
    """For each place i (before atom i, and the end), the tags open there, outermost first."""
    stacks: list[tuple[_Atom, ...]] = []
    stack: list[_Atom] = []
    for atom in atoms:
        stacks.append(tuple(stack))
        if atom.tag is None:
            continue
        if not atom.closing:
            stack.append(atom)
            continue
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth].tag == atom.tag:
                del stack[depth:]
                break
    stacks.append(tuple(stack))
    return stacks


def _cut(atoms: list[_Atom], start: int, limit: int) -> int:
    """Where the part that starts at `start` ends: the last line end, else space, that fits; else a hard cut."""
    used = 0
    end = start
    last_line = last_space = None
    seen_text = False  # a break before any visible non-space would leave a part of only whitespace
    while end < len(atoms) and used + atoms[end].units <= limit:
        atom = atoms[end]
        used += atom.units
        end += 1
        if atom.visible == "\n" and seen_text:
            last_line = end
        elif atom.visible.isspace() and seen_text:
            last_space = end
        elif atom.visible and not atom.visible.isspace():
            seen_text = True
    if end == len(atoms):
        return end
    cut = last_line or last_space or end
    if cut == start:  # one atom wider than the limit (cannot happen with Telegram's 4096); keep going
        cut = start + 1
    while cut < len(atoms) and atoms[cut].tag is not None and atoms[cut].closing:
        cut += 1  # a tag closing right at the cut ends this part instead of opening an empty one
    while cut - 1 > start and atoms[cut - 1].tag is not None and not atoms[cut - 1].closing:
        cut -= 1  # a tag opening right at the cut belongs to the next part
    return cut


def _only_space(atoms: list[_Atom], start: int, end: int) -> bool:
    return all(not atom.visible or atom.visible.isspace() for atom in atoms[start:end])


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    if visible_length(text) <= limit:
        return [text]
    atoms = _atoms(text)
    stacks = _open_stacks(atoms)
    cuts = [0]
    while cuts[-1] < len(atoms):
        cuts.append(_cut(atoms, cuts[-1], limit))
    if len(cuts) > 2 and _only_space(atoms, cuts[-2], cuts[-1]):
        # The tail is whitespace only (Telegram rejects an empty text): give it the last visible character.
        last = max(
            (i for i in range(cuts[-3], cuts[-2]) if atoms[i].visible and not atoms[i].visible.isspace()), default=0
        )
        fits = sum(atom.units for atom in atoms[last : cuts[-1]]) <= limit
        if fits and not _only_space(atoms, cuts[-3], last):
            cuts[-2] = last
    parts: list[str] = []
    for start, end in pairwise(cuts):
        if _only_space(atoms, start, end):
            # Only where nothing else fits (a run of spaces about as long as a part): Telegram trims the
            # whitespace around a message and cannot send an empty one, so it is left out.
            continue
        reopen = "".join(atom.raw for atom in stacks[start])
        body = "".join(atom.raw for atom in atoms[start:end])
        close = "".join(f"</{atom.tag}>" for atom in reversed(stacks[end]))
        parts.append(reopen + body + close)
    return parts

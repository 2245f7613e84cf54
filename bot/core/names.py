"""Name normalisation shared by importers, the store and search."""

from __future__ import annotations

import re

from anyascii import anyascii

_NON_WORD = re.compile(r"[^a-z0-9]+")


def name_key(name: str) -> str:
    """Accent-, case- and punctuation-insensitive key: 'Klaus Bächler' == 'klaus BACHLER'.

    Suffixes such as 'III' are kept on purpose: a son who races as 'X III' is not his father 'X'.
    """
    return _NON_WORD.sub(" ", anyascii(name).casefold()).strip()


def slug(text: str) -> str:
    return _NON_WORD.sub("-", anyascii(text).casefold()).strip("-")


def _fix_caps(word: str) -> str:
    # Timing sheets write surnames in capitals ("Simon DOLAN"); display them as names.
    if len(word) > 1 and word.isupper() and word.isalpha():
        return "-".join(part.capitalize() for part in word.split("-"))
    if len(word) > 1 and word.isupper() and "-" in word:
        return "-".join(part.capitalize() for part in word.split("-"))
    return word


def display_name(name: str) -> str:
    """'Firstname LASTNAME' → 'Firstname Lastname'; collapses white space."""
    words = name.split()
    if not words:
        return ""
    if all(w.isupper() for w in words if any(c.isalpha() for c in w)):
        # An all-capitals name keeps roman numerals and initials readable only partly; title-case it.
        return " ".join(w if _is_roman(w) else w.capitalize() for w in words)
    return " ".join(w if _is_roman(w) else _fix_caps(w) for w in words)


def _is_roman(word: str) -> bool:
    return bool(re.fullmatch(r"(II|III|IV|JR\.?|SR\.?)", word))


def split_crew(text: str) -> list[str]:
    """A comma- or slash-joined crew field → names, order kept."""
    parts = re.split(r"\s*[,/]\s*", text.strip())
    return [display_name(p) for p in parts if p.strip()]

"""Invisible code points: what ids may not contain, and how messages show them.

Ids (categories, facts, indicators, rules, grades, units) are ASCII slugs or
visible text such as Chinese.  A bidi override (U+202E) makes ``a‮b`` display
as something else, a zero-width space makes two ids that look the same
differ; both are refused where ids are read, and every message shows such a
code point as ``<U+202E>`` instead of printing it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Categories with nothing to see: controls, format (bidi, zero-width), private use,
# unassigned, line/paragraph separators and spaces other than the plain space.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp", "Zs"})
# Letters and marks that draw nothing (fillers, blank, joiners, variation selectors).
_HIDDEN_POINTS = frozenset({0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x034F, 0x17B4, 0x17B5, 0x180E})


@lru_cache(maxsize=4096)
def _hidden(ch: str) -> bool:
    if ch == " ":
        return False
    cp = ord(ch)
    return (unicodedata.category(ch) in _HIDDEN_CATEGORIES or cp in _HIDDEN_POINTS
            or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF)


def invisible(text: str) -> list[str]:
    """The invisible code points of ``text`` as ``U+XXXX`` (empty when there are none)."""
    if text.isascii() and text.isprintable():
        return []
    return [f"U+{ord(ch):04X}" for ch in dict.fromkeys(text) if _hidden(ch)]


def shown(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with each invisible code point written as ``<U+XXXX>``; with ``keep_lines``
    newlines and tabs stay as they are (message text)."""
    if text.isascii() and text.isprintable():
        return text
    keep = "\n\t\r" if keep_lines else ""
    return "".join(f"<U+{ord(ch):04X}>" if _hidden(ch) and ch not in keep else ch for ch in text)

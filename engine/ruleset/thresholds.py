"""Threshold text as people type it: ``≥ 0.9``, ``＞＝90``, ``>= 90%``.

Light conditions (and test expectations such as ``">= 90"``) are short
comparisons.  Staff type them with a Chinese input method, so ``≥``, ``≤``,
``≠`` and full-width ``＞＝％`` are accepted and normalised to the ASCII
operators the expression language reads.  A percentage (``>= 90%``) is
accepted for an indicator declared ``unit: "%"`` and means 0.9; anywhere else
it is an error, since ``90%`` of a count of cases means nothing.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from kaohe.engine.i18n import register

register(
    {
        "check.percent_threshold": (
            "`{text}` 中的百分号只能用于 unit: \"%\" 的指标；请写成小数（如 0.9），或给指标 `{indicator}` 加 unit: \"%\"",
            "the percent sign in `{text}` is only for an indicator with unit: \"%\"; write a fraction (e.g. 0.9) "
            "or give indicator `{indicator}` unit: \"%\""),
    }
)

_SYMBOLS = {"≥": ">=", "≤": "<=", "≠": "!=", "⩾": ">=", "⩽": "<=", "＝＝": "=="}
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%")


def normalise(text: str) -> str:
    """``≥ 0.9`` -> ``>= 0.9``; full-width operators, digits and spaces -> ASCII."""
    out = unicodedata.normalize("NFKC", text)
    for wide, ascii_ in _SYMBOLS.items():
        out = out.replace(wide, ascii_)
    return out


def has_percent(text: str) -> bool:
    """Whether ``text`` holds a percentage such as ``90%``."""
    return bool(_PERCENT.search(text))


def percent_to_fraction(text: str) -> str:
    """``>= 90%`` -> ``>= 0.9`` (exact decimal arithmetic, so ``85.5%`` is ``0.855``)."""
    return _PERCENT.sub(lambda m: _plain(Decimal(m.group(1)) / 100), text)


def _plain(d: Decimal) -> str:
    text = format(d.normalize(), "f")
    return text if text not in ("-0",) else "0"

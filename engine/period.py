"""Appraisal periods: ``2025-03`` (month), ``2025Q1``, ``2025H1``, ``2025`` (year)."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Literal

PeriodKind = Literal["month", "quarter", "half", "year"]
PER_YEAR: dict[str, int] = {"month": 12, "quarter": 4, "half": 2, "year": 1}
_MONTHS_PER = {"month": 1, "quarter": 3, "half": 6, "year": 12}

_PATTERNS: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = (
    ("quarter", re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")),
    ("half", re.compile(r"^(\d{4})\s*-?\s*[Hh]([12])$")),
    ("month", re.compile(r"^(\d{4})-?(0[1-9]|1[0-2])$")),
    ("year", re.compile(r"^(\d{4})$")),
)
_CHINESE: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = (
    ("quarter", re.compile(r"^(\d{4})年第?([1-4一二三四])季度?$")),
    ("half", re.compile(r"^(\d{4})年([上下])半年$")),
    ("month", re.compile(r"^(\d{4})年(\d{1,2})月$")),
    ("year", re.compile(r"^(\d{4})年(?:度)?$")),
)
_CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "上": 1, "下": 2}


@dataclass(frozen=True, order=True)
class Period:
    """One period: its kind, year and 1-based index within the year."""

    kind: PeriodKind
    year: int
    index: int = 1

    def __str__(self) -> str:
        if self.kind == "quarter":
            return f"{self.year}Q{self.index}"
        if self.kind == "half":
            return f"{self.year}H{self.index}"
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        return str(self.year)

    def previous(self) -> Period:
        """The period just before this one, of the same kind."""
        if self.index > 1:
            return Period(self.kind, self.year, self.index - 1)
        return Period(self.kind, self.year - 1, PER_YEAR[self.kind])

    def next(self) -> Period:
        """The period just after this one, of the same kind."""
        if self.index < PER_YEAR[self.kind]:
            return Period(self.kind, self.year, self.index + 1)
        return Period(self.kind, self.year + 1, 1)

    def start(self) -> dt.date:
        """First day of the period."""
        return dt.date(self.year, (self.index - 1) * _MONTHS_PER[self.kind] + 1, 1)

    def end(self) -> dt.date:
        """Last day of the period."""
        month = self.index * _MONTHS_PER[self.kind]
        if month == 12:
            return dt.date(self.year, 12, 31)
        return dt.date(self.year, month + 1, 1) - dt.timedelta(days=1)


@functools.lru_cache(maxsize=4096)
def parse_period(text: str) -> Period | None:
    """The period written as ``text`` (``2025Q1``, ``2025-03``, ``2025H1``, ``2025``,
    or ``2025年第一季度`` / ``2025年上半年`` / ``2025年3月``), or ``None``."""
    s = str(text).strip()
    if isinstance(text, float) and text.is_integer():
        s = str(int(text))
    for kind, pattern in _PATTERNS:
        m = pattern.match(s)
        if m:
            return Period(kind, int(m.group(1)), int(m.group(2)) if kind != "year" else 1)
    for kind, pattern in _CHINESE:
        m = pattern.match(s)
        if m:
            if kind == "year":
                return Period("year", int(m.group(1)))
            raw: str = m.group(2)
            index = _CN_DIGITS.get(raw) or int(raw)
            if kind == "month" and not 1 <= index <= 12:
                return None
            return Period(kind, int(m.group(1)), index)
    return None


EXAMPLES: dict[str, str] = {"month": "2025-03", "quarter": "2025Q1", "half": "2025H1", "year": "2025"}

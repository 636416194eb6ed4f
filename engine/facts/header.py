"""Which row of a facts file is the header, and what each header names.

Spreadsheets exported from a 填报 system often carry a title row (or several)
above the header: "2025年第一季度考核数据".  The header is the row, among the
first few, that names the unit column and the most facts (by id or label);
a warning says which row was used.  Rows right below it that repeat the same
columns (a second header row of labels under a row of ids, as ``kaohe form``
writes) are skipped.  A header may carry its unit of measure in brackets
(``收案数（件）``), and a header starting with ``#`` marks a column to ignore
(notes, last period's values for reference).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from kaohe.engine.errors import Location, Problem
from kaohe.engine.facts.readers import RawTable
from kaohe.engine.i18n import register
from kaohe.engine.ruleset.model import FactModel

RESERVED: dict[str, tuple[str, ...]] = {
    "unit": ("unit", "单位编号", "单位代码"),
    "name": ("name", "单位名称", "名称"),
    "category": ("category", "类别", "单位类别"),
    "period": ("period", "考核期", "期间"),
    "parent": ("parent", "上级单位", "所属单位"),
}
SCAN_ROWS = 10

register(
    {
        "facts.header_row": ("第 {line} 行用作表头（上方 {skipped} 行是标题，已跳过）",
                             "row {line} is used as the header (the {skipped} row(s) above it are a title; skipped)"),
    }
)

_SUFFIX = re.compile(r"^(.*?)\s*\([^()]*\)$")


def normal(text: object) -> str:
    """Header text compared without width, case or surrounding spaces (``ＵＮＩＴ`` = ``unit``)."""
    return unicodedata.normalize("NFKC", str(text)).strip()


def names(facts: Mapping[str, FactModel]) -> dict[str, str]:
    """Lower-cased header text -> reserved column or fact id."""
    by_name: dict[str, str] = {}
    for key, aliases in RESERVED.items():
        for alias in aliases:
            by_name[alias.lower()] = key
    for fid, fact in facts.items():
        by_name.setdefault(normal(fid).lower(), fid)
        by_name.setdefault(normal(fact.label).lower(), fid)
    return by_name


def target(header: object, by_name: Mapping[str, str]) -> str | None:
    """The column a header names: exactly, or without a bracketed unit of measure (``收案数（件）``)."""
    text = normal(header).lower()
    found = by_name.get(text)
    if found is None:
        m = _SUFFIX.match(text)
        if m:
            found = by_name.get(m.group(1).strip())
    return found


def ignored(header: object) -> bool:
    """A ``#`` column: notes or reference values the author keeps beside the data."""
    return normal(header).startswith("#")


def locate(raw: RawTable, facts: Mapping[str, FactModel]) -> tuple[RawTable, list[Problem]]:
    """``raw`` with its real header row (see the module doc) and a warning when title rows were skipped."""
    by_name = names(facts)
    warnings: list[Problem] = []
    if not _has_unit(raw.headers, by_name):
        found = _find(raw, by_name)
        if found is not None:
            index = found
            line, cells = raw.rows[index]
            skipped = 1 + sum(1 for r_line, _ in raw.rows[:index] if r_line < line)
            warnings.append(Problem("facts.header_row", {"line": line, "skipped": skipped},
                                    Location(raw.source, line), severity="warning"))
            headers = ["" if c is None else str(c).strip() for c in cells]
            raw = RawTable(raw.source, headers, [(n, _fit(c, len(headers))) for n, c in raw.rows[index + 1:]],
                           line, raw.sheet)
    return _skip_repeated_headers(raw, by_name), warnings


def _has_unit(cells: list[Any], by_name: Mapping[str, str]) -> bool:
    return any(c is not None and target(c, by_name) == "unit" for c in cells)


def _find(raw: RawTable, by_name: Mapping[str, str]) -> int | None:
    """Index in ``raw.rows`` of the best header among the first rows (it must name the unit column)."""
    best: tuple[int, int] | None = None
    for index, (_line, cells) in enumerate(raw.rows[:SCAN_ROWS]):
        if not _has_unit(cells, by_name):
            continue
        score = sum(1 for c in cells if c is not None and target(c, by_name) is not None)
        if best is None or score > best[0]:
            best = (score, index)
    return None if best is None else best[1]


def _fit(cells: list[Any], width: int) -> list[Any]:
    return (cells + [None] * width)[:width]


def _skip_repeated_headers(raw: RawTable, by_name: Mapping[str, str]) -> RawTable:
    """Drop rows right below the header that name the same columns again (ids above labels)."""
    own = [target(h, by_name) if h else None for h in raw.headers]
    skip = 0
    for _line, cells in raw.rows:
        given = [(i, c) for i, c in enumerate(cells) if c is not None and str(c).strip()]
        if not given or any(own[i] is None or target(c, by_name) != own[i] for i, c in given
                            if not ignored(raw.headers[i])):
            break
        skip += 1
    if not skip:
        return raw
    return RawTable(raw.source, raw.headers, raw.rows[skip:], raw.header_line, raw.sheet)

"""The order units appear in a report, and the ranking tables.

Three orders (``report: {order: …}`` in the ruleset, or ``order=`` of
:func:`engine.report.write_report`):

- ``category`` (default): categories as the ruleset lists them, then unit ids
  counted naturally (ms2 before ms10);
- ``rank``: by place (grade first, then score), best first;
- ``facts``: as the rows of the run's facts file.  A run does not depend on
  row order (its id covers the sorted facts), so the order is read from the
  facts file recorded with the run; when that file is gone or no longer holds
  the run's units, the report falls back to ``category`` and says so.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kaohe.engine.errors import KaoheError
from kaohe.engine.store import RunInfo

Doc = dict[str, Any]
ORDERS = ("category", "rank", "facts")
UNIT_COLUMNS = ("unit", "单位编号", "单位代码")


def reading_key(categories: dict[str, str]) -> Any:
    """Category in the ruleset's order, then unit id as people count (ms2 before ms10)."""
    cats = list(categories)

    def key(unit: Doc) -> tuple[Any, ...]:
        position = cats.index(unit["category"]) if unit["category"] in cats else len(cats)
        parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", unit["unit"]) if p)
        return (position, parts)

    return key


def facts_order(info: RunInfo, units: Sequence[Doc]) -> list[str] | None:
    """Unit ids in the order of the run's facts file, or None when that order cannot be known."""
    from kaohe.engine.facts.readers import read_table

    path = Path(info.facts_path.split("\n")[0]) if info.facts_path else None
    if path is None or not path.is_file():
        return None
    try:
        raw = read_table(path)
    except (KaoheError, OSError, ValueError):
        return None
    headers = [str(h).strip() for h in raw.headers]
    column = next((headers.index(c) for c in UNIT_COLUMNS if c in headers), None)
    if column is None:
        return None
    order = [str(cells[column]).strip() for _, cells in raw.rows if column < len(cells) and cells[column] is not None]
    wanted = {u["unit"] for u in units}
    seen = [u for u in dict.fromkeys(order) if u in wanted]
    return seen if len(seen) == len(wanted) else None


def order_units(units: list[Doc], order: str, categories: dict[str, str], info: RunInfo) -> tuple[list[Doc], str]:
    """``units`` in ``order``; returns the order actually used (``facts_missing`` when it fell back)."""
    by_reading = sorted(units, key=reading_key(categories))
    if order == "rank":
        return sorted(by_reading, key=lambda u: u["place"]), "rank"
    if order == "facts":
        ids = facts_order(info, units)
        if ids is None:
            return by_reading, "facts_missing"
        position = {u: i for i, u in enumerate(ids)}
        return sorted(units, key=lambda u: position[u["unit"]]), "facts"
    return by_reading, "category"


def rankings(units: Sequence[Doc], categories: dict[str, str], *, overall: bool, overall_label: str) -> list[Doc]:
    """Ranking tables by place: one per category, and first one of all units when ``overall``."""
    by_cat: dict[str, list[Doc]] = {}
    for u in units:
        by_cat.setdefault(u["category"], []).append(u)
    order = [c for c in categories if c in by_cat] + sorted(c for c in by_cat if c not in categories)

    def rows(members: Sequence[Doc], place: str) -> list[Doc]:
        ordered = sorted(members, key=lambda u: (u[place], reading_key(categories)(u)))
        return [{"unit": u["unit"], "name": u["name"], "category_label": u["category_label"], "place": u[place],
                 "rank": u["rank"], "score": u["score"], "grade": u["grade"],
                 "decisions": [d["text"] for d in u["decisions"]]} for u in ordered]

    tables = [{"category": c, "label": categories.get(c, c), "units": rows(by_cat[c], "category_place")}
              for c in order]
    if overall:
        tables.insert(0, {"category": "*", "label": overall_label, "units": rows(units, "place")})
    return tables

"""Load-time checks of ``rollup:`` facts: the aggregate fits what is rolled up and the fact's type."""

from __future__ import annotations

import re

from kaohe.engine.errors import Hint, Problem
from kaohe.engine.i18n import register
from kaohe.engine.ruleset.extends import SourceMap
from kaohe.engine.ruleset.model import RollupModel, RulesetModel

TOTALS = ("score", "base_score", "points", "rank")
_OF = re.compile(r"^(?:score|base_score|points|rank|grade|light\.[^.\s]+|[^.\s]+)$")

register(
    {
        "check.rollup_of": ("rollup 的 of 应为 score、base_score、points、rank、grade、light.<指标> 或 <指标>，不能是 `{of}`",
                            "rollup `of` must be score, base_score, points, rank, grade, light.<indicator> or "
                            "<indicator>, not `{of}`"),
        "check.rollup_text_agg": ("`{of}` 是文字（等次或灯色），只能用 agg: count（计数）或 last（最后一期）",
                                  "`{of}` is text (a grade or a light): use agg: count or last"),
        "check.rollup_value": ("value 只用于 agg: count（统计等于该值的期数）",
                               "value only applies to agg: count (the number of sub-periods equal to it)"),
        "check.rollup_type.count": ("汇总结果是次数，事实的 type 应为 {types}",
                                    "the rollup gives a count: the fact's type must be {types}"),
        "check.rollup_type.text": ("汇总结果是文字（等次或灯色），事实的 type 应为 {types}",
                                   "the rollup gives text (a grade or a light): the fact's type must be {types}"),
        "check.rollup_type.number": ("汇总结果是数值，事实的 type 应为 {types}",
                                     "the rollup gives a number: the fact's type must be {types}"),
        "hint.rollup_count": ("例如 {example}", "e.g. {example}"),
    }
)


def is_text(of: str) -> bool:
    """Whether rolling up ``of`` reads text (a grade or a light) rather than numbers."""
    return of == "grade" or of.startswith("light.")


def check_rollups(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> None:
    """Each ``rollup:`` names something a run has, an aggregate that fits it, and a matching fact type."""
    for fid, fact in model.facts.items():
        r = fact.rollup
        if r is None:
            continue
        path = ("facts", fid, "rollup")
        if not _OF.match(r.of):
            problems.append(Problem("check.rollup_of", {"of": r.of}, smap.locate((*path, "of"))))
            continue
        if r.value is not None and r.agg != "count":
            problems.append(Problem("check.rollup_value", {}, smap.locate((*path, "value")),
                                    Hint("hint.rollup_count", {"example": f"{{of: {r.of}, agg: count, value: …}}"})))
        if is_text(r.of) and r.agg not in ("count", "last"):
            problems.append(Problem("check.rollup_text_agg", {"of": r.of}, smap.locate((*path, "agg"))))
            continue
        expected, types = _result_type(r)
        if fact.type not in types:
            problems.append(Problem(f"check.rollup_type.{expected}", {"types": " / ".join(types)},
                                    smap.locate(("facts", fid, "type")) if "type" in _keys(smap, fid)
                                    else smap.locate((*path, "agg"))))


def _result_type(r: RollupModel) -> tuple[str, tuple[str, ...]]:
    if r.agg == "count":
        return "count", ("integer", "number")
    if r.agg == "last" and is_text(r.of):
        return "text", ("string",)
    if r.agg == "mean":
        return "number", ("number",)
    return "number", ("number", "integer")


def _keys(smap: SourceMap, fid: str) -> set[str]:
    return {str(p[2]) for p in smap.keys if len(p) == 3 and p[0] == "facts" and p[1] == fid}

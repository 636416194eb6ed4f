"""Stage 3c: the ruleset's ``checks:`` — cross-field conditions on each unit's facts.

A check's ``when`` is the situation that signals a mistake (``satisfied >
surveyed``); it may read facts and ``category`` only, since checks run on the
facts before anything is computed.  Each is parsed and type-checked when the
ruleset loads, like every other expression.
"""

from __future__ import annotations

from dataclasses import dataclass

from kaohe.engine.errors import Hint, Problem, did_you_mean
from kaohe.engine.expr import Expression, ExpressionError, compile_expression, infer_type
from kaohe.engine.i18n import register
from kaohe.engine.ruleset.extends import SourceMap
from kaohe.engine.ruleset.model import CheckModel, RulesetModel

register(
    {
        "check.check_name": ("checks 中的 `{name}` 不是事实：检查在计算指标之前进行，只能使用事实和 category",
                             "`{name}` in checks is not a fact: checks run before indicators are computed and may "
                             "use facts and category only"),
    }
)


@dataclass(frozen=True)
class CompiledCheck:
    """One check of ``checks:``, its parsed condition and its place in the list."""

    index: int
    check: CheckModel
    condition: Expression


def plan_checks(model: RulesetModel, smap: SourceMap, problems: list[Problem]) -> list[CompiledCheck]:
    """Parse and type-check every ``checks[i].when``; append problems for the bad ones."""
    from kaohe.engine.ruleset.formulas import expr_location

    types = {fid: ("string" if f.type == "string" else "number") for fid, f in model.facts.items()}
    types["category"] = "string"
    out: list[CompiledCheck] = []
    for i, check in enumerate(model.checks):
        path = ("checks", i, "when")
        try:
            expr = compile_expression(check.when)
            unknown = sorted(expr.names - set(types))
            for name in unknown:
                hint: Hint | None = did_you_mean(name, types)
                problems.append(Problem("check.check_name", {"name": name}, smap.locate(path), hint))
            if unknown:
                continue
            infer_type(expr.node, types)
        except ExpressionError as e:
            problems.extend(Problem(p.code, p.params, expr_location(smap, path, e.offset), p.hint)
                            for p in e.problems)
            continue
        out.append(CompiledCheck(i, check, expr))
    return out

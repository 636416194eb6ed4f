"""Load a ruleset in stages, each with its own errors, reported all together:

1. YAML with positions and duplicate keys (``yamlload``), ``extends`` merged (``extends``);
2. the pydantic models (``validation``), unknown keys as warnings;
3. semantic checks: names, formulas, cycles, lights, plugins, weights, grades,
   rules, tests (``formulas``, ``checks``), the facts' own ``checks:`` (``factchecks``);
4. rule conditions compiled for durable_rules (``engine.rules``).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from kaohe.engine.errors import Location, Problem, RulesetError
from kaohe.engine.i18n import register
from kaohe.engine.rules import CompiledRules, RuleSource, compile_rules
from kaohe.engine.ruleset import checks
from kaohe.engine.ruleset.access import ExtendsPolicy
from kaohe.engine.ruleset.compiled import Ruleset
from kaohe.engine.ruleset.extends import load_merged
from kaohe.engine.ruleset.factchecks import plan_checks
from kaohe.engine.ruleset.formulas import plan_indicators
from kaohe.engine.ruleset.rollups import check_rollups
from kaohe.engine.ruleset.validation import unknown_keys, validate_model

register({"ruleset.not_found": ("找不到规则集文件：{path}", "ruleset file not found: {path}")})


def load_ruleset(path: str | Path, *, strict: bool = False, extends: ExtendsPolicy | None = None) -> Ruleset:
    """Load, check and compile the ruleset at ``path``; raise :class:`RulesetError` listing every problem.

    ``extends`` widens where ``extends:`` may read (engine/ruleset/access.py);
    by default only YAML rulesets in the ruleset's rulesets folder and ``KAOHE_LIBRARY``.
    """
    path = Path(path)
    if not path.is_file():
        raise RulesetError(Problem("ruleset.not_found", {"path": str(path)}, Location(str(path))))
    data, smap = load_merged(path, extends)
    warnings = unknown_keys(data, smap)
    model = validate_model(data, smap)
    problems: list[Problem] = [w for w in warnings if strict]
    checks.check_ids(model, smap, problems)
    checks.check_facts(model, smap, problems)
    check_rollups(model, smap, problems)
    plan = plan_indicators(model, smap, problems)
    fact_checks = plan_checks(model, smap, problems)
    weights = checks.resolve_weights(model, smap, problems)
    lint = [*plan.warnings, *checks.unweighted_indicators(model, weights, smap)]
    warnings.extend(lint)
    problems.extend(w for w in lint if strict)
    checks.check_grades(model, smap, problems)
    checks.check_tie_break(model, smap, problems)
    checks.check_tests(model, smap, problems)
    rules_ok = checks.check_rules(model, smap, problems)
    compiled = CompiledRules((), {})
    if not problems or rules_ok:
        try:
            compiled = compile_rules(
                [RuleSource(r.id, r.when, _when_location(smap, i)) for i, r in enumerate(model.rules)],
                checks.rule_types(model),
            )
        except RulesetError as e:
            problems.extend(e.problems)
    if problems:
        if strict:
            problems = [Problem(p.code, p.params, p.location, p.hint) for p in problems]
        raise RulesetError(problems)
    # defaults left out: a key added to the format later (with its default) changes no existing hash
    canonical = json.dumps(model.model_dump(mode="json", by_alias=True, exclude_defaults=True),
                           ensure_ascii=False, sort_keys=True)
    return Ruleset(
        model=model,
        path=path.resolve(),
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        order=plan.order,
        formulas=plan.formulas,
        lights=plan.lights,
        metric_params=plan.metric_params,
        weights=weights,
        rules=compiled,
        sources=smap,
        warnings=[] if strict else warnings,
        checks=fact_checks,
    )


def _when_location(smap, index: int) -> Location:  # type: ignore[no-untyped-def]
    from kaohe.engine.ruleset.formulas import expr_location

    return expr_location(smap, ("rules", index, "when"), 0)

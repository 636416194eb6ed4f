"""kaohe (考核): rules-engine performance appraisal for government agencies.

The public API (everything else is internal)::

    import kaohe

    ruleset = kaohe.load_ruleset("court.yaml")                  # RulesetError on any problem
    outcome = kaohe.run_and_store(ruleset.path, "2025Q1.csv")   # evaluate and store
    print(outcome.as_json()["units"][0]["grade"])

The packages below ``kaohe`` follow the pipeline: ``kaohe.engine`` (ruleset,
expressions, facts, evaluation, rules, grades, storage, reports, CLI),
``kaohe.plugins`` (built-in metrics) and ``kaohe.templates`` (report
templates).  Names are imported lazily, so ``import kaohe`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers see; at run time names are imported on first use
    from kaohe.engine.errors import FactsError, KaoheError, RulesetError, RunError
    from kaohe.engine.evaluate import evaluate as evaluate_facts
    from kaohe.engine.explain import explain_unit
    from kaohe.engine.facts import FactTable, facts_from_records, load_facts
    from kaohe.engine.plugins import FloatArray, Metric, MetricContext, registry
    from kaohe.engine.report import write_report
    from kaohe.engine.results import Evaluation, UnitResult
    from kaohe.engine.ruleset import Ruleset, load_ruleset
    from kaohe.engine.run import RunOutcome
    from kaohe.engine.run import run as run_and_store
    from kaohe.engine.store import RunInfo, Store

__version__ = "0.1.0"

_EXPORTS: dict[str, str | tuple[str, str]] = {
    "load_ruleset": "kaohe.engine.ruleset",
    "Ruleset": "kaohe.engine.ruleset",
    "load_facts": "kaohe.engine.facts",
    "facts_from_records": "kaohe.engine.facts",
    "FactTable": "kaohe.engine.facts",
    "evaluate_facts": ("kaohe.engine.evaluate", "evaluate"),
    "Evaluation": "kaohe.engine.results",
    "UnitResult": "kaohe.engine.results",
    "run_and_store": ("kaohe.engine.run", "run"),
    "RunOutcome": "kaohe.engine.run",
    "Store": "kaohe.engine.store",
    "RunInfo": "kaohe.engine.store",
    "explain_unit": "kaohe.engine.explain",
    "write_report": "kaohe.engine.report",
    "Metric": "kaohe.engine.plugins",
    "MetricContext": "kaohe.engine.plugins",
    "FloatArray": "kaohe.engine.plugins",
    "registry": "kaohe.engine.plugins",
    "KaoheError": "kaohe.engine.errors",
    "RulesetError": "kaohe.engine.errors",
    "FactsError": "kaohe.engine.errors",
    "RunError": "kaohe.engine.errors",
}

__all__ = [  # a literal list, so type checkers know what is exported
    "__version__",
    "load_ruleset",
    "Ruleset",
    "load_facts",
    "facts_from_records",
    "FactTable",
    "evaluate_facts",
    "Evaluation",
    "UnitResult",
    "run_and_store",
    "RunOutcome",
    "Store",
    "RunInfo",
    "explain_unit",
    "write_report",
    "Metric",
    "MetricContext",
    "FloatArray",
    "registry",
    "KaoheError",
    "RulesetError",
    "FactsError",
    "RunError",
]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'kaohe' has no attribute {name!r}")
    module, attr = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(module), attr)


def __dir__() -> list[str]:
    return sorted(__all__)

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
from typing import Any

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
    "registry": "kaohe.engine.plugins",
    "KaoheError": "kaohe.engine.errors",
    "RulesetError": "kaohe.engine.errors",
    "FactsError": "kaohe.engine.errors",
    "RunError": "kaohe.engine.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'kaohe' has no attribute {name!r}")
    module, attr = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(module), attr)


def __dir__() -> list[str]:
    return sorted(__all__)

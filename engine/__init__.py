"""kaohe (考核): rules-engine performance appraisal for government agencies.

The public API (everything else is internal)::

    from engine import load_ruleset, load_facts, evaluate_facts, run_and_store

    ruleset = load_ruleset("rulesets/shunde-court/court.yaml")                # RulesetError on any problem
    outcome = run_and_store(ruleset.path, "examples/shunde-court/2025Q1.csv")  # evaluate and store
    print(outcome.as_json()["units"][0]["grade"])

(``engine.run`` and ``engine.evaluate`` are the modules; their main functions
are exported as ``run_and_store`` and ``evaluate_facts``.)  Names are imported
lazily, so ``import engine`` stays cheap for the CLI.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str | tuple[str, str]] = {
    "load_ruleset": "engine.ruleset",
    "Ruleset": "engine.ruleset",
    "load_facts": "engine.facts",
    "facts_from_records": "engine.facts",
    "FactTable": "engine.facts",
    "evaluate_facts": ("engine.evaluate", "evaluate"),
    "Evaluation": "engine.results",
    "UnitResult": "engine.results",
    "run_and_store": ("engine.run", "run"),
    "RunOutcome": "engine.run",
    "Store": "engine.store",
    "RunInfo": "engine.store",
    "explain_unit": "engine.explain",
    "write_report": "engine.report",
    "Metric": "engine.plugins",
    "MetricContext": "engine.plugins",
    "registry": "engine.plugins",
    "KaoheError": "engine.errors",
    "RulesetError": "engine.errors",
    "FactsError": "engine.errors",
    "RunError": "engine.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    module, attr = target if isinstance(target, tuple) else (target, name)
    return getattr(importlib.import_module(module), attr)

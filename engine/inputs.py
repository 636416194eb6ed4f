"""What a run reads besides its facts file: earlier stored runs and files plugins declare.

* ``previous.`` — the current run of the ruleset's family for the previous
  period (rules and formulas read it);
* history — the current runs of earlier periods, for metrics that use it
  (``metric: trend``);
* rollups — facts aggregated from the current runs of another family over
  the sub-periods (``engine/rollup.py``);
* files — every file a plugin metric declares it reads (``Metric.files``),
  hashed by content.

All of it decides results, so :attr:`StoredInputs.sha256` is part of the run
id, and :attr:`StoredInputs.sources` is kept with the run (``explain`` names
the run a ``previous.`` value came from).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kaohe.engine.errors import Problem, RunError
from kaohe.engine.evaluate import RuleRunner, Timings, evaluate
from kaohe.engine.facts import FactTable
from kaohe.engine.i18n import register
from kaohe.engine.period import Period
from kaohe.engine.plugins import registry
from kaohe.engine.results import Evaluation
from kaohe.engine.rollup import Rollup, compute_rollups, with_rollups
from kaohe.engine.rollup import sources as rollup_sources
from kaohe.engine.ruleset import Ruleset
from kaohe.engine.store import Store

HISTORY_PERIODS = 8
PREFIX = "previous."

register({"inputs.file_unreadable": ("插件 `{metric}`（指标 `{indicator}`）读取的文件 {path} 无法读取：{error}",
                                     "the file {path} read by plugin `{metric}` (indicator `{indicator}`) "
                                     "cannot be read: {error}")})


@dataclass
class StoredInputs:
    """Everything a run reads from the store and from plugin files (see the module doc)."""

    previous: dict[str, dict[str, float | str | None]] = field(default_factory=dict)
    previous_run: str | None = None
    previous_period: str | None = None
    history: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    history_runs: dict[str, str] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    rollups: list[Rollup] = field(default_factory=list)
    rollup_sources: dict[str, Any] = field(default_factory=dict)

    def complete(self, facts: FactTable) -> FactTable:
        """``facts`` with the rolled-up facts added (what is evaluated and stored)."""
        return with_rollups(facts, self.rollups)

    @property
    def sources(self) -> dict[str, Any]:
        """Which stored runs and files went in (kept with the run)."""
        out: dict[str, Any] = {}
        if self.previous_run is not None:
            out["previous"] = {"run": self.previous_run, "period": self.previous_period}
        if self.history_runs:
            out["history"] = dict(self.history_runs)
        if self.files:
            out["files"] = {k: list(v) for k, v in self.files.items()}
        if self.rollup_sources:
            out["rollups"] = dict(self.rollup_sources)
        return out

    @property
    def sha256(self) -> str:
        """A hash of :attr:`sources`: the same earlier runs and file contents, the same hash."""
        text = json.dumps(self.sources, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def previous_names(ruleset: Ruleset) -> list[str]:
    """The names rules and formulas read after ``previous.`` (without the prefix)."""
    names = {n for n in ruleset.rules.fields if n.startswith(PREFIX)}
    for expr in ruleset.formulas.values():
        names |= {n for n in expr.names if n.startswith(PREFIX)}
    return sorted(n[len(PREFIX):] for n in names)


def gather_inputs(ruleset: Ruleset, facts: FactTable, store: Store) -> StoredInputs:
    """Read what the run needs from earlier runs, and hash the files plugins read."""
    family = ruleset.model.family_id
    inputs = StoredInputs(files=plugin_files(ruleset))
    inputs.rollups = compute_rollups(ruleset.model, facts, store)
    inputs.rollup_sources = rollup_sources(inputs.rollups, ruleset.model)
    period = facts.period
    if period is None:
        return inputs
    keys = previous_names(ruleset)
    if keys:
        before = str(period.previous())
        info = store.current_run(family, before)
        if info is not None:
            inputs.previous_run, inputs.previous_period = info.id, before
            inputs.previous = store.values_of(info.id, keys)
    if _uses_history(ruleset):
        earlier = _earlier(period)
        inputs.history = store.history(family, str(period), earlier)
        for p in earlier:
            run = store.current_run(family, p)
            if run is not None:
                inputs.history_runs[p] = run.id
    return inputs


def _uses_history(ruleset: Ruleset) -> bool:
    return any((m := registry.get(ind.metric)) is not None and m.uses_history
               for ind in ruleset.model.indicators.values() if ind.metric)


def _earlier(period: Period) -> list[str]:
    out: list[str] = []
    p = period
    for _ in range(HISTORY_PERIODS):
        p = p.previous()
        out.append(str(p))
    return list(reversed(out))


def plugin_files(ruleset: Ruleset) -> dict[str, list[str]]:
    """``indicators.<id>`` → the SHA-256 of each file its plugin declares it reads."""
    out: dict[str, list[str]] = {}
    for iid, ind in ruleset.model.indicators.items():
        metric = registry.get(ind.metric) if ind.metric else None
        if metric is None or metric.files is None or iid not in ruleset.metric_params:
            continue
        hashes = []
        for path in metric.files(ruleset.metric_params[iid]):
            try:
                hashes.append(hashlib.sha256(Path(path).read_bytes()).hexdigest())
            except OSError as e:
                raise RunError(Problem("inputs.file_unreadable", {"metric": ind.metric, "indicator": iid,
                                                                   "path": str(path), "error": str(e)},
                                       ruleset.locate(f"indicators.{iid}.with"))) from e
        out[f"indicators.{iid}"] = hashes
    return out


def evaluate_with(ruleset: Ruleset, facts: FactTable, inputs: StoredInputs, *,
                  timings: Timings | None = None, rule_runner: RuleRunner | None = None) -> Evaluation:
    """Evaluate ``facts`` (completed with the rollups) with what :func:`gather_inputs` read."""
    return evaluate(ruleset, inputs.complete(facts), previous=inputs.previous, history=inputs.history,
                    timings=timings, rule_runner=rule_runner)


def evaluate_stored_inputs(ruleset: Ruleset, facts: FactTable, store: Store, *,
                           timings: Timings | None = None) -> Evaluation:
    """A run without its last step: evaluate with the store's earlier runs, store nothing (``kaohe diff``)."""
    return evaluate_with(ruleset, facts, gather_inputs(ruleset, facts, store), timings=timings)

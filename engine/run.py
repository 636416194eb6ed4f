"""One stored run: load ruleset and facts, evaluate, persist atomically.

This is what ``kaohe run`` does; automated jobs may call :func:`run` directly.
Re-running the same inputs returns the stored run unchanged (idempotent)
unless ``force`` is given; stored runs are never changed (a new run
supersedes the current one of its family and period).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, overload

from kaohe import __version__
from kaohe.engine import interrupts, store_inputs
from kaohe.engine.details import warning_problems
from kaohe.engine.errors import FactsError, Problem
from kaohe.engine.evaluate import Timings
from kaohe.engine.facts import FactTable, SqlSource, load_facts
from kaohe.engine.facts.quality import compared_facts, run_checks, suspicious
from kaohe.engine.facts.sources import Source
from kaohe.engine.inputs import evaluate_with, gather_inputs
from kaohe.engine.period import parse_period
from kaohe.engine.results import Evaluation, UnitResult
from kaohe.engine.rollup import file_facts
from kaohe.engine.ruleset import Ruleset, load_ruleset
from kaohe.engine.ruleset.access import ExtendsPolicy
from kaohe.engine.ruleset.versions import select_version
from kaohe.engine.store import RunInfo, Store
from kaohe.engine.store_rows import FactColumns

if TYPE_CHECKING:
    from kaohe.engine.dask_engine import DaskEngine


@dataclass
class RunOutcome:
    """A finished run: its stored record, its units, and whether it was re-used."""

    info: RunInfo
    units: Sequence[UnitResult]
    reused: bool
    ruleset: Ruleset
    evaluation: Evaluation | None = None
    warnings: list[Problem] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        """The ``--json`` document of docs/running.md (byte-identical for the same inputs)."""
        order = list(self.ruleset.model.indicators)
        units = []
        for u in self.units:
            doc = u.as_json()
            inds = doc["indicators"]
            assert isinstance(inds, dict)
            doc["indicators"] = {k: inds[k] for k in order if k in inds}
            units.append(doc)
        return {"run": self.info.as_json(), "units": units, "ties": self.info.ties}

    def write_json(self, out: BinaryIO) -> None:
        """Stream the same document as :meth:`as_json` (as its ``json.dumps(indent=2)`` bytes)."""
        from kaohe.engine.runjson import write_run_json

        source = self.evaluation if self.evaluation is not None else self.units
        write_run_json(out, self.info.as_json(), source, list(self.ruleset.model.indicators), self.info.ties)


def ruleset_json(ruleset: Ruleset) -> str:
    """The merged ruleset as canonical JSON (what the stored run keeps)."""
    return json.dumps(
        ruleset.model.model_dump(mode="json", by_alias=True, exclude_none=True),
        ensure_ascii=False,
    )  # key order kept: categories and indicators appear in reports in the author's order


class FactRows(Sequence[dict[str, object]]):
    """Each unit's input facts as stored for ``explain`` (missing as None), built on
    demand while the store writes them, so 1M units never hold 1M dicts at once."""

    def __init__(self, facts: FactTable):
        self._numbers = facts.numbers
        self._strings = facts.strings
        self._n = len(facts)

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> dict[str, object]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, object]]: ...

    def __getitem__(self, i: int | slice) -> dict[str, object] | list[dict[str, object]]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(self._n))]
        if not -self._n <= i < self._n:
            raise IndexError(i)
        row: dict[str, object] = {name: (None if v != v else v) for name, col in self._numbers.items()
                                  for v in (float(col[i]),)}
        row.update({name: col[i] for name, col in self._strings.items()})
        return row


def facts_by_unit(facts: FactTable) -> FactRows:
    """Each unit's input facts as stored for ``explain`` (see :class:`FactRows`)."""
    return FactRows(facts)


def run(
    ruleset_path: str | Path,
    facts_path: Source | Sequence[Source],
    *,
    period: str | None = None,
    db: str | None = None,
    force: bool = False,
    reason: str | None = None,
    sheet: str | None = None,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
    engine: DaskEngine | None = None,
    prepare: Callable[[Ruleset], None] | None = None,
    on_stored: Callable[[RunInfo], None] | None = None,
    extends: ExtendsPolicy | None = None,
) -> RunOutcome:
    """Evaluate ``facts_path`` under ``ruleset_path`` and store the run (see module doc).

    A stored run is never changed: a new run of the same ruleset family and
    period supersedes the current one (both are kept, ``reason`` says why;
    superseding a published run needs one).  Exactly the same inputs return
    the current run unless ``force``, which stores a new run with a new id.

    ``progress`` is called with the name of each stage as it finishes
    (``load_ruleset``, ``load_facts``, ``indicators``, ``scores``, ``rules``,
    ``grades``, ``store``).  With a :class:`~kaohe.engine.dask_engine.DaskEngine`,
    ``facts_path`` may be a folder or a glob of partition files, read on the
    cluster's workers, which also run the rule engine (same results, same run id).
    ``prepare`` is called with the loaded ruleset
    before anything is evaluated (the CLI checks its report options there).
    ``on_stored`` is called as soon as the run is in the database (or found
    there), before a Ctrl-C held during the commit is raised, so a caller can
    tell "interrupted, nothing stored" from "interrupted after storing".
    ``extends`` says where the ruleset's ``extends`` may read (see
    :func:`kaohe.engine.ruleset.load_ruleset`).
    """
    timings = Timings(listener=progress)
    started = dt.datetime.now(dt.UTC)
    t = time.perf_counter()
    if Path(ruleset_path).is_dir():
        ruleset_path = select_version(Path(ruleset_path), parse_period(period) if period else None)
    ruleset = load_ruleset(ruleset_path, strict=strict, extends=extends)
    t = timings.measure("load_ruleset", t)
    if prepare is not None:
        prepare(ruleset)
    model = ruleset.model
    if engine is not None:
        if not isinstance(facts_path, str | Path):  # partitions: one folder or glob, not several sources
            raise FactsError(Problem("facts.one_source"))
        facts = engine.load_facts(facts_path, file_facts(model), model.categories, period_kind=model.period,
                                  period=period)
    else:
        facts = load_facts(
            facts_path, file_facts(model), model.categories,
            period_kind=model.period, period=period, sheet=sheet,
        )
    checked = run_checks(ruleset, facts)  # an error check stops here (exit 2)
    t = timings.measure("load_facts", t)
    period_text = str(facts.period) if facts.period is not None else (period or "")
    store = Store(db)
    inputs = gather_inputs(ruleset, facts, store)
    facts = inputs.complete(facts)
    info = RunInfo.new(
        ruleset_id=model.id,
        ruleset_name=model.name,
        ruleset_sha256=ruleset.sha256,
        facts_sha256=facts.sha256,
        period=period_text,
        units=len(facts),
        ruleset_path=str(ruleset.path),
        facts_path=" + ".join(_shown_source(f) for f in _sources(facts_path)),
        ruleset_json=ruleset_json(ruleset),
        kaohe_version=__version__,
        created_at=started,
        family=model.family_id,
        inputs_sha256=inputs.sha256,
        reason=(reason or "").strip() or None,
        sources=inputs.sources,
    )
    current = store.current_run(info.family, period_text)
    if current is not None and current.same_inputs(info) and not force:
        warnings = [*ruleset.warnings, *store_inputs.load_warnings(store.engine, current.id),
                    *warning_problems(store.load_details(current.id, unit=""), ruleset.locate)]
        if on_stored is not None:
            on_stored(current)
        return RunOutcome(current, store.load_units(current.id), True, ruleset, warnings=warnings)
    store.require_writable()
    if current is not None:
        store.check_supersede(current, info)  # a clear error before the evaluation is spent

    earlier = store_inputs.previous_facts(store, _previous_run(store, info.family, facts), facts.units,
                                          compared_facts(model))
    data_warnings = [*facts.warnings, *checked, *suspicious(ruleset, facts, earlier)]
    warnings = [*ruleset.warnings, *data_warnings]
    evaluation = evaluate_with(ruleset, facts, inputs, timings=timings,
                               rule_runner=engine.run_rules if engine is not None else None)
    t = time.perf_counter()
    info = dataclasses.replace(info, ties=[tie.__dict__ | {"units": list(tie.units)} for tie in evaluation.ties],
                               timings=timings.stages)
    with interrupts.deferred():  # Ctrl-C aborts between batches, or is raised once the run is known stored
        saved = store.save_run(info, evaluation, FactColumns(facts.numbers, facts.strings), force=force,
                               extra=lambda run_id: store_inputs.input_rows(run_id, facts, data_warnings))
        if on_stored is not None:
            on_stored(saved)
    timings.measure("store", t)
    warnings += evaluation.warnings
    warnings += warning_problems(evaluation.metric_details, ruleset.locate)
    return RunOutcome(saved, evaluation.views(), False, ruleset, evaluation, warnings)


def _previous_run(store: Store, family: str, facts: FactTable) -> str | None:
    """The current run of the family for the period before ``facts``' (compared for suspicious values)."""
    if facts.period is None:
        return None
    previous = store.current_run(family, str(facts.period.previous()))
    return previous.id if previous is not None else None


def _sources(given: Source | Sequence[Source]) -> list[Source]:
    return [given] if isinstance(given, str | Path | SqlSource) else list(given)


def _shown_source(source: Source) -> str:
    """What the stored run names as its facts: a file's full path, or a query file (never the URL)."""
    if isinstance(source, SqlSource):
        return str(source.query.resolve())
    return str(Path(source).resolve())

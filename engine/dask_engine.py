"""Runs on a Dask cluster: ``kaohe run … --engine dask [--scheduler tcp://HOST:PORT]``.

What is distributed is what costs per unit in Python: reading and validating
the facts (one task per partition file: a glob, a folder, or several files of
Parquet or CSV) and the rule engine (durable_rules, one task per chunk of
candidate units, each on a worker's own private host).  The client gathers
the validated partitions into one table sorted by unit id, computes the
facts hash over it exactly as a single process does (so the run id is the
same), evaluates formulas, population metrics (on the data of their scope),
scores, lights, grades, quotas, ties and ranks with the same vectorised code,
and stores the rows in bulk.  Results are therefore identical to the
single-process engine by construction (tests/test_dask_engine.py checks it
on a two-worker LocalCluster for every bundled ruleset).  docs/scale.md says
how to run it on a real cluster.
"""

from __future__ import annotations

import glob
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from kaohe.engine.errors import FactsError, Hint, Location, Problem, RunError
from kaohe.engine.facts import FactTable, load_facts
from kaohe.engine.facts.table import finish_table
from kaohe.engine.i18n import register
from kaohe.engine.results import Firing
from kaohe.engine.rules import CompiledRules, run_rules
from kaohe.engine.ruleset.model import CategoryModel, FactModel

RULE_CHUNK = 50_000
"""Candidate units per rule-engine task."""

register(
    {
        "dask.missing": ("未安装 Dask：--engine dask 需要 dask[distributed]",
                         "Dask is not installed: --engine dask needs dask[distributed]"),
        "hint.install_dask": ("安装：pip install 'kaohe[dask]'", "install it with pip install 'kaohe[dask]'"),
        "dask.unavailable": ("无法连接 Dask 调度器 {scheduler}：{error}",
                             "cannot reach the Dask scheduler {scheduler}: {error}"),
        "dask.no_files": ("没有与 `{pattern}` 匹配的事实数据文件", "no facts files match `{pattern}`"),
        "dask.duplicate_unit": ("单位 `{unit}` 同时出现在 {first} 和 {second} 中",
                                "unit `{unit}` appears in both {first} and {second}"),
        "dask.periods": ("各分区的考核期不一致：{periods}，请用 --period 选择一个",
                         "the partitions hold different periods ({periods}); pick one with --period"),
    }
)


def partition_files(pattern: str | Path) -> list[Path]:
    """The partition files: a folder's .parquet/.csv files, a glob, or one file (sorted)."""
    p = Path(pattern)
    if p.is_dir():
        files = [f for f in p.iterdir() if f.suffix.lower() in (".parquet", ".csv") and f.is_file()]
    elif p.exists():
        files = [p]
    else:
        files = [Path(f) for f in glob.glob(str(pattern))]
    if not files:
        raise FactsError(Problem("dask.no_files", {"pattern": str(pattern)}, Location(str(pattern))))
    return sorted(files)


def _read_partition(path: Path, facts: Mapping[str, FactModel], categories: Mapping[str, CategoryModel],
                    period_kind: str, period: str | None) -> FactTable | list[Problem]:
    """One partition, validated on a worker (its problems are returned, not raised, to be merged)."""
    try:
        return load_facts(path, facts, categories, period_kind=period_kind, period=period)
    except FactsError as e:
        return list(e.problems)


def _rules_task(compiled: CompiledRules, records: Sequence[Mapping[str, Any]]) -> dict[str, list[Firing]]:
    return run_rules(compiled, records)


class DaskEngine:
    """A connection to a Dask cluster (a LocalCluster when no scheduler is given), used as a context."""

    def __init__(self, scheduler: str | None = None, workers: int = 2):
        self.scheduler = scheduler
        self.workers = workers
        self.client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> DaskEngine:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as e:
            raise RunError(Problem("dask.missing", {}, hint=Hint("hint.install_dask"))) from e
        try:
            if self.scheduler is None:
                self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                    n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                    silence_logs=logging.ERROR)
                self.client = Client(self._cluster)  # type: ignore[no-untyped-call]
            else:
                self.client = Client(self.scheduler, timeout="30s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as e:
            self.close()
            raise RunError(Problem("dask.unavailable", {"scheduler": self.scheduler or "LocalCluster",
                                                        "error": str(e)})) from e
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Disconnect (and stop the LocalCluster this engine started)."""
        if self.client is not None:
            self.client.close()
            self.client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    # -- the distributed stages ---------------------------------------------
    def load_facts(self, pattern: str | Path, facts: Mapping[str, FactModel],
                   categories: Mapping[str, CategoryModel], *, period_kind: str,
                   period: str | None = None) -> FactTable:
        """Read and validate every partition on the workers; merge into one table sorted by unit."""
        files = partition_files(pattern)
        futures = self.client.map(_read_partition, files, facts=dict(facts), categories=dict(categories),
                                  period_kind=period_kind, period=period, pure=False)
        parts: list[FactTable | list[Problem]] = self.client.gather(futures)
        problems = [p for part in parts if isinstance(part, list) for p in part]
        if problems:
            raise FactsError(problems)
        tables = [p for p in parts if isinstance(p, FactTable)]
        return merge_partitions(str(pattern), files, tables, period)

    def run_rules(self, compiled: CompiledRules, records: Sequence[Mapping[str, Any]]) -> dict[str, list[Firing]]:
        """The rule engine over chunks of units, one task per chunk (each on a worker's private host)."""
        if not records:
            return {}
        chunks = [records[i:i + RULE_CHUNK] for i in range(0, len(records), RULE_CHUNK)]
        rules = self.client.scatter(compiled, broadcast=True)
        futures = [self.client.submit(_rules_task, rules, chunk, pure=False) for chunk in chunks]
        out: dict[str, list[Firing]] = {}
        for part in self.client.gather(futures):
            out.update(part)
        return dict(sorted(out.items()))


def merge_partitions(source: str, files: Sequence[Path], tables: Sequence[FactTable],
                     period: str | None) -> FactTable:
    """One table from validated partitions: units unique across files, one period, sorted by unit id."""
    periods = {t.period for t in tables}
    if len(periods) > 1:
        raise FactsError(Problem("dask.periods", {"periods": ", ".join(sorted(str(p) for p in periods))},
                                 Location(source)))
    units = [u for t in tables for u in t.units]
    owner = np.concatenate([np.full(len(t), i) for i, t in enumerate(tables)]) if tables else np.zeros(0)
    order = sorted(range(len(units)), key=units.__getitem__)
    problems = []
    for a, b in zip(order, order[1:], strict=False):
        if units[a] == units[b]:
            problems.append(Problem("dask.duplicate_unit", {"unit": units[a], "first": str(files[owner[a]]),
                                                            "second": str(files[owner[b]])},
                                    Location(str(files[owner[b]]))))
    if problems:
        raise FactsError(problems[:200])
    idx = np.asarray(order, dtype=np.int64)

    def column(get: Any) -> list[Any]:
        joined = [v for t in tables for v in get(t)]
        return [joined[i] for i in order]

    values: dict[str, np.ndarray | list[Any]] = {}
    for fid in tables[0].numbers if tables else {}:
        values[fid] = np.concatenate([t.numbers[fid] for t in tables])[idx]
    for fid in tables[0].strings if tables else {}:
        values[fid] = column(lambda t, f=fid: t.strings[f])
    out = finish_table(source, [units[i] for i in order], column(lambda t: t.names),
                       column(lambda t: t.categories), column(lambda t: t.parents), values)
    out.period = next(iter(periods)) if periods else None
    seen: set[tuple[str, str]] = set()
    for t in tables:
        for w in t.warnings:
            key = (w.code, repr(sorted(w.params.items())))
            if key not in seen:
                seen.add(key)
                out.warnings.append(w)
    return out

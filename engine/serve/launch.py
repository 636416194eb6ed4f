"""Start a run from the workspace: a ruleset of the folder and a facts file's bytes.

The bytes (an upload, or the file of a ``POST /api/runs``) are written to a
private temporary folder under a fixed, safe name (the client's file name is
never used as a path), evaluated with :func:`kaohe.engine.run.run` exactly as
``kaohe run`` would, and removed.  One evaluation runs at a time.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kaohe.engine.errors import FactsError, KaoheError, Location, Problem, RulesetError
from kaohe.engine.facts import FactTable, load_facts
from kaohe.engine.i18n import register
from kaohe.engine.ruleset import Ruleset, load_ruleset
from kaohe.engine.ruleset.access import ExtendsPolicy
from kaohe.engine.run import RunOutcome, run
from kaohe.engine.serve.rulesets import resolve
from kaohe.engine.serve.state import ServeState

FACT_SUFFIXES = (".csv", ".xlsx", ".json", ".parquet")

register(
    {
        "serve.facts_suffix": ("不支持的文件类型 `{name}`：请上传 {choices} 文件",
                               "unsupported file `{name}`: upload a {choices} file"),
        "serve.facts_missing": ("没有上传事实数据文件", "no facts file was uploaded"),
        "serve.facts_too_big": ("文件太大（上限 {limit} MB）", "the file is too large (limit {limit} MB)"),
    }
)


def suffix_of(filename: str) -> str:
    """The facts format a client's file name announces; a facts error when unsupported."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in FACT_SUFFIXES:
        raise FactsError(Problem("serve.facts_suffix", {"name": filename, "choices": "/".join(FACT_SUFFIXES)},
                                 Location(filename or None)))
    return suffix


def ruleset_at(st: ServeState, rel: str) -> tuple[Path, Ruleset]:
    """Load a ruleset of the folder; a ruleset error when it is outside, missing or invalid."""
    path = resolve(st.config.rulesets_dir, rel)
    if path is None:
        raise RulesetError(Problem("serve.no_ruleset", {"path": rel}, Location(rel or None)))
    return path, load_ruleset(path, extends=ExtendsPolicy((st.config.rulesets_dir,)))


def _materialise(folder: str, data: bytes, filename: str) -> Path:
    path = Path(folder) / f"facts{suffix_of(filename)}"
    path.write_bytes(data)
    return path


def _friendly(e: KaoheError, filename: str) -> KaoheError:
    """Problems name the client's file, not the temporary copy (a form's sheet stays: ``表.xlsx[财政局]``)."""
    def shown(loc: Location | None) -> Location | None:
        name = Path(loc.file).name if loc is not None and loc.file else ""
        if loc is None or not name.startswith("facts."):
            return loc
        sheet = name[name.index("["):] if "[" in name else ""
        return Location(filename + sheet, loc.line, loc.column, loc.path)

    return type(e)([Problem(p.code, p.params, shown(p.location), p.hint, p.severity) for p in e.problems])


def check_facts(st: ServeState, ruleset: Ruleset, data: bytes, filename: str, period: str | None) -> FactTable:
    """Validate facts bytes against ``ruleset`` as ``kaohe run`` reads them (every bad cell, then
    the ruleset's error ``checks:``) without storing anything.  Facts a rollup computes from the
    quarters' runs are not expected in the file."""
    from kaohe.engine.facts.quality import run_checks
    from kaohe.engine.rollup import file_facts

    model = ruleset.model
    with tempfile.TemporaryDirectory(prefix="kaohe-serve-") as folder:
        path = _materialise(folder, data, filename)
        try:
            table = load_facts(path, file_facts(model), model.categories, period_kind=model.period,
                               period=period or None)
            run_checks(ruleset, table)
            return table
        except KaoheError as e:
            raise _friendly(e, filename) from e


def start_run(st: ServeState, ruleset_rel: str, data: bytes, filename: str, period: str | None,
              reason: str | None = None) -> RunOutcome:
    """Evaluate and store a run (as ``kaohe run``), one at a time.

    The run supersedes the current run of its family and period; superseding
    a published run needs ``reason`` (the store's error otherwise, as the CLI
    gives it).
    """
    path, _ = ruleset_at(st, ruleset_rel)
    with tempfile.TemporaryDirectory(prefix="kaohe-serve-") as folder:
        facts = _materialise(folder, data, filename)
        with st.run_lock:
            try:
                return run(path, facts, period=period or None, db=st.runs.store.url, reason=reason,
                           extends=ExtendsPolicy((st.config.rulesets_dir,)))
            except KaoheError as e:
                raise _friendly(e, filename) from e

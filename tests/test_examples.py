"""The bundled example regions: their `tests:` pass, their example facts run, the generator is reproducible.

Each ruleset under ``rulesets/`` carries hand-computed examples (``tests:``);
each region's example facts (``examples/<region>/<period>.csv``, written by
``examples/generate.py``) must run period after period, so that ``previous.``
rules such as ``red_twice`` see the earlier quarter.
"""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.run import run
from kaohe.engine.testing import run_tests, unfired_rules
from tests.samples import REGION_RUNS, UNITS_FILES

ROOT = Path(__file__).resolve().parent.parent
RULESETS = sorted((ROOT / "rulesets").rglob("*.yaml"))
EXAMPLES = ROOT / "examples"


def region_csvs() -> list[Path]:
    """The generated example files (the plugin template keeps its own small example)."""
    return [p for suffix in ("*.csv", "*.xlsx") for p in EXAMPLES.rglob(suffix) if "plugin-template" not in p.parts]


def _files(entry: str | tuple[str, ...]) -> list[str]:
    return [entry] if isinstance(entry, str) else list(entry)


def _rel(path: Path) -> str:
    return path.relative_to(ROOT / "rulesets").as_posix()


def test_every_region_is_bundled() -> None:
    names = {_rel(p) for p in RULESETS}
    assert {"national/court-core.yaml", "national/township-core.yaml", "national/one-thing-standard.yaml"} <= names
    assert set(REGION_RUNS) <= names


@pytest.mark.parametrize("path", RULESETS, ids=_rel)
def test_ruleset_examples_pass(path: Path) -> None:
    ruleset = load_ruleset(path)
    outcomes = run_tests(ruleset)
    assert outcomes, f"{_rel(path)} has no tests:"
    failures = [(o.name, o.error, o.mismatches) for o in outcomes if not o.passed]
    assert not failures
    # every case kind is present, and every rule is shown firing at least once
    assert any(c.facts is not None for c in ruleset.model.tests)
    assert any(c.units is not None for c in ruleset.model.tests)
    assert unfired_rules(ruleset, outcomes) == []


@pytest.mark.parametrize("ruleset_rel", sorted(REGION_RUNS))
def test_example_facts_run_in_period_order(ruleset_rel: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/k.db"
    fired: dict[str, set[str]] = {}
    for facts_rel in REGION_RUNS[ruleset_rel]:
        outcome = run(ROOT / "rulesets" / ruleset_rel, [EXAMPLES / f for f in _files(facts_rel)], db=db)
        assert outcome.info.units == len(outcome.units) > 0
        assert all(u.score is not None for u in outcome.units)
        fired[outcome.info.period] = {f.rule_id for u in outcome.units for f in u.fired}
    if ruleset_rel == "shunde-court/court.yaml":
        assert "red_twice" in fired["2025Q2"]
        assert "integrity_veto" in set().union(*fired.values())
    if ruleset_rel == "qingxi-county/towns.yaml":  # the county example the report screenshots show
        nanqiao = next(u for u in outcome.units if u.name == "南桥镇")
        assert nanqiao.grade == "不合格" and nanqiao.band_grade == "优秀" and "major_accident" in fired["2025"]
        assert sum(1 for u in outcome.units if u.quota_note == "优秀") == 1
    if ruleset_rel == "huojia-county/towns.yaml":
        assert fired["2025Q2"] == {"accident_veto"}
        # the typo in 位庄乡's Q2 revenue (10× Q1) is caught; the 应急局 export's title row is skipped
        assert {(w.code, w.params.get("unit")) for w in outcome.warnings} >= {
            ("facts.suspicious_up", "t10"), ("facts.header_row", None)}
    # the region's report renders (HTML with its history, Markdown), naming every unit
    from kaohe.engine.report import history_from_store, write_report
    from kaohe.engine.store import Store

    history = history_from_store(Store(db), outcome.info)
    html = write_report(outcome.info, outcome.units, tmp_path / "r.html", lang="zh",
                        region_dir=(ROOT / "rulesets" / ruleset_rel).parent, history=history)
    md = write_report(outcome.info, outcome.units, tmp_path / "r.md", lang="en", fmt="md")
    for path in (html, md):
        text = path.read_text(encoding="utf-8")
        assert all(u.name in text for u in outcome.units)


# the annual 评优 rolls up the court's four quarterly runs (rollup: facts), so it runs after them
ANNUAL_RULESET, ANNUAL_FACTS = "shunde-court-annual/annual.yaml", "shunde-court-annual/2025.csv"


def test_the_annual_example_rolls_up_the_court_quarters(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/k.db"
    quarters = [run(ROOT / "rulesets/shunde-court/court.yaml", EXAMPLES / f, db=db)
                for f in REGION_RUNS["shunde-court/court.yaml"]]
    annual = run(ROOT / "rulesets" / ANNUAL_RULESET, EXAMPLES / ANNUAL_FACTS, db=db)
    assert annual.info.period == "2025" and annual.info.units == quarters[-1].info.units
    by_unit = {u.unit: u for u in annual.units}
    for unit in by_unit:  # q_score is the mean of the unit's four quarterly scores
        scores = [next(u.score for u in q.units if u.unit == unit) for q in quarters]
        assert by_unit[unit].indicators["quarterly"].value == pytest.approx(sum(scores) / 4)
    assert {u.grade for u in annual.units} >= {"优秀", "称职"}
    assert set(annual.info.sources["rollups"]["q_score"]["runs"].values()) == {q.info.id for q in quarters}


def test_every_example_file_is_used() -> None:
    """Facts files are run by REGION_RUNS (and the annual rollup); ratings files (``ratings*.csv``) are
    named by a ruleset's ``file:``."""
    used = {p for files in REGION_RUNS.values() for entry in files for p in _files(entry)} | {ANNUAL_FACTS}
    found = {p.relative_to(EXAMPLES).as_posix() for p in region_csvs()}
    ratings = {p for p in found if Path(p).name.startswith("ratings")}
    assert found - ratings - UNITS_FILES == used
    referenced = set()
    for path in RULESETS:
        for params in load_ruleset(path).metric_params.values():
            file = getattr(params, "file", None)
            if file and Path(file).resolve().is_relative_to(EXAMPLES):
                referenced.add(Path(file).resolve().relative_to(EXAMPLES).as_posix())
    assert ratings <= referenced, sorted(ratings - referenced)


def test_generator_reproduces_committed_files(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(EXAMPLES / "generate.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    generated = sorted(p.relative_to(tmp_path).as_posix() for suffix in ("*.csv", "*.xlsx")
                       for p in tmp_path.rglob(suffix))
    committed = sorted(p.relative_to(EXAMPLES).as_posix() for p in region_csvs())
    assert generated == committed
    for rel in committed:
        assert filecmp.cmp(tmp_path / rel, EXAMPLES / rel, shallow=False), rel

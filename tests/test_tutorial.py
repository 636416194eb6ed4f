"""docs/tutorial-zh.md's example is real: its tests pass and its run gives what the tutorial says."""

from __future__ import annotations

from pathlib import Path

from kaohe.engine.ruleset import load_ruleset
from kaohe.engine.run import run
from kaohe.engine.testing import run_tests, unfired_rules

DOCS = Path(__file__).resolve().parent.parent / "docs"
RULESET = DOCS / "examples" / "jiedao.yaml"


def test_the_tutorial_ruleset_passes_its_own_tests():
    ruleset = load_ruleset(RULESET, strict=True)
    outcomes = run_tests(ruleset)
    assert [o.name for o in outcomes if not o.passed] == []
    assert unfired_rules(ruleset, outcomes) == []


def test_the_tutorial_run_gives_what_the_tutorial_says(tmp_path):
    outcome = run(RULESET, DOCS / "examples" / "jiedao-2025Q1.csv", db=f"sqlite:///{tmp_path / 'k.db'}")
    units = {u.unit: u for u in outcome.units}
    text = (DOCS / "tutorial-zh.md").read_text(encoding="utf-8")
    # "民生服务类只有 3 个科室：floor(20% × 3) = 0，所以社保所 91.83 分也只能评“称职”"
    assert round(units["sb"].score, 2) == 91.83 and units["sb"].grade == "称职"
    assert "91.83" in text
    assert units["cg"].alerts == ["督办"] and units["aj"].grade == "不称职"


def test_the_data_chapter_says_what_the_three_departments_files_give(tmp_path):
    """「数据从哪里来」: the warning it quotes and the sources line of explain are what kaohe prints."""
    from kaohe.engine.explain import explain_stored
    from kaohe.engine.store import Store

    root = DOCS.parent
    db = f"sqlite:///{tmp_path / 'k.db'}"
    outcome = None
    for quarter in ("2025Q1", "2025Q2"):
        folder = root / "examples" / "huojia-county" / "towns" / quarter
        outcome = run(root / "rulesets" / "huojia-county" / "towns.yaml",
                      [folder / "信访局.xlsx", folder / "财政局.csv", folder / "应急局.xlsx"], db=db)
    assert outcome is not None
    text = (DOCS / "tutorial-zh.md").read_text(encoding="utf-8")
    warning = next(w for w in outcome.warnings if w.code == "facts.suspicious_up")
    assert f"「{warning.message()}」" in text
    lines = explain_stored(Store(db), outcome.info.id, "t06")["lines"]
    sources = lines[1]
    assert sources.startswith("来源：信访局.xlsx「信访局」第 8 行（信访件数、化解件数、群众满意率）；应急局.xlsx 第 8 行（")
    assert "财政局.csv 第 7 行（" in sources
    assert "来源：信访局.xlsx「信访局」第 8 行（信访件数、化解件数、群众满意率）；应急局.xlsx 第 8 行（…）" in text

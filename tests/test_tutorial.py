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

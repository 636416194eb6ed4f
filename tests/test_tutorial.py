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


def test_golden_the_chapter_on_checking_a_rule_change_shows_the_real_output(kaohe, monkeypatch):
    """Chapter 10 of the tutorial shows what kaohe diff prints; regenerate with KAOHE_UPDATE_GOLDEN=1."""
    import os
    import re

    from kaohe.engine.cli import output

    monkeypatch.chdir(DOCS.parent)
    monkeypatch.setattr(output.out, "width", 100)
    r = kaohe("diff", "docs/examples/jiedao.yaml", "docs/examples/jiedao-2026.yaml",
              "--facts", "docs/examples/jiedao-2025Q1.csv")
    assert r.exit_code == 0, r.stderr
    path = DOCS / "tutorial-zh.md"
    doc = path.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- output:[^\n]*-->\n```\n).*?(```\n<!-- /output -->)", re.S)
    fresh = pattern.sub(lambda m: m.group(1) + r.stdout + m.group(2), doc)
    if os.environ.get("KAOHE_UPDATE_GOLDEN"):
        path.write_text(fresh, encoding="utf-8")
    else:
        assert fresh == doc, "docs/tutorial-zh.md is out of date: KAOHE_UPDATE_GOLDEN=1 make golden"
    assert "民生服务类 群众满意度 权重 40 → 45" in r.stdout
    assert "原因：任务完成率 −5；群众满意度 −2.75" in r.stdout


def test_the_2026_tutorial_ruleset_passes_its_tests():
    outcomes = run_tests(load_ruleset(DOCS / "examples" / "jiedao-2026.yaml", strict=True))
    assert outcomes and all(o.passed for o in outcomes)

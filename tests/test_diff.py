"""``kaohe diff`` end to end: three forms, one output; rule changes in words; causes; exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kaohe.engine.diff.schema import DiffDocument
from tests.samples import MINI, Q1

ROOT = Path(__file__).resolve().parent.parent
HEALTH = ROOT / "rulesets" / "wulate-health" / "health.yaml"
HEALTH_2026 = ROOT / "rulesets" / "wulate-health" / "health-2026.yaml"
HEALTH_Q3 = ROOT / "examples" / "wulate-health" / "2025Q3.csv"
HEALTH_Q4 = ROOT / "examples" / "wulate-health" / "2025Q4.csv"

# the mini court with other weights, a stricter closure-rate scale, a new rule, a lower bonus limit,
# a removed rule and an indicator's lights changed
MINI_NEW = (MINI
            .replace("  civil: {closure_rate: 70, expert_score: 30}", "  civil: {closure_rate: 50, expert_score: 50}")
            .replace("score: {linear: {worst: 0.60, best: 0.95}}", "score: {linear: {worst: 0.70, best: 0.95}}")
            .replace("bonus_limit: 3", "bonus_limit: 1")
            .replace("""  - id: red_twice
    when: light.closure_rate == "red" and previous.light.closure_rate == "red"
    then: {alert: 督办}
""", """  - id: low_expert
    label: 专家评分过低扣分
    when: expert < 75
    then: {add: -1}
"""))


@pytest.fixture
def court(project):
    return project({"court/mini.yaml": MINI, "court/new.yaml": MINI_NEW, "q1.csv": Q1})


def _doc(result) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert result.exit_code == 0, result.stderr
    doc = result.json()
    DiffDocument.model_validate(doc)  # the documented shape, no unknown keys
    return doc


def test_two_rulesets_on_one_facts_file(court, kaohe):
    doc = _doc(kaohe("diff", court / "court/mini.yaml", court / "court/new.yaml", "--facts", court / "q1.csv",
                     "--period", "2025Q1", "--json"))
    texts = [c["text"] for c in doc["changes"]]
    assert "民事审判庭 结案率 权重 70 → 50" in texts
    assert "民事审判庭 专家评分 权重 30 → 50" in texts
    assert "加分上限：3 → 1" in texts
    assert any(t.startswith("新增规则「专家评分过低扣分」：当 expert < 75 时") for t in texts)
    assert any(t.startswith("删除规则「red_twice」") for t in texts)
    paths = {c["path"]: c for c in doc["changes"]}
    assert paths["weights.civil.closure_rate"]["old"] == 70 and paths["weights.civil.closure_rate"]["new"] == 50
    assert paths["indicators.closure_rate.score"]["new"] == {"linear": {"worst": 0.7, "best": 0.95}}
    assert paths["rules.low_expert"]["old"] is None
    assert paths["rules.red_twice"]["new"] is None
    units = {u["unit"]: u for u in doc["units"]}
    # c01: closure 0.95 → 100 either way; expert 81 → 100; bonus 2 → cut to 1 by the new limit: 100 + 2 → 100 + 1
    c01 = units["c01"]
    assert (c01["old"]["score"], c01["new"]["score"], c01["delta"]) == (102, 101, -1)
    assert c01["causes"] == [{"kind": "rule", "id": "bonus_limit", "delta": -1.0}]
    # c03: closure 0.7 → old 100·0.1/0.35 = 28.571…, new 0; expert 72.6 → 60 (both); new rule low_expert −1
    c03 = units["c03"]
    assert c03["old"]["score"] == pytest.approx(0.6 * 100 / 3.5 + 24)
    assert c03["new"]["score"] == pytest.approx(24 - 1)
    causes = {(c["kind"], c["id"]): c["delta"] for c in c03["causes"]}
    assert causes[("indicator", "closure_rate")] == pytest.approx(-0.6 * 100 / 3.5)
    assert causes[("rule", "low_expert")] == -1
    for u in doc["units"]:
        assert sum(c["delta"] for c in u["causes"]) == pytest.approx(u["delta"], abs=1e-9)
    assert sum(t["count"] for t in doc["transitions"]) == doc["summary"]["units"] == 6
    assert set(doc["transitions_by_category"]) == {"criminal", "civil"}
    assert doc["flatness"][0]["category"] is None and doc["flatness"][0]["before"]["n"] == 6


def test_a_veto_is_a_cause_that_moves_the_grade_not_the_score(project, kaohe):
    veto = MINI.replace("when: integrity_violations > 0", "when: integrity_violations > 5")
    root = project({"court/mini.yaml": MINI, "court/veto.yaml": veto, "q1.csv": Q1})
    doc = _doc(kaohe("diff", root / "court/mini.yaml", root / "court/veto.yaml", "--facts", root / "q1.csv",
                     "--period", "2025Q1", "--json"))
    c04 = next(u for u in doc["units"] if u["unit"] == "c04")
    assert c04["delta"] == 0 and c04["old"]["grade"] == "不称职" and c04["new"]["grade"] != "不称职"
    assert c04["causes"] == [{"kind": "veto", "id": "integrity_veto", "delta": 0.0}]


def test_a_stored_run_under_next_years_rules_equals_the_two_rulesets_form(kaohe, tmp_path):
    direct = _doc(kaohe("diff", HEALTH, HEALTH_2026, "--facts", HEALTH_Q4, "--json"))
    run = kaohe("run", HEALTH, "--facts", HEALTH_Q4, "--json")
    assert run.exit_code == 0, run.stderr
    run_id = run.json()["run"]["id"]
    stored = _doc(kaohe("diff", run_id[:8], "--ruleset", HEALTH_2026, "--json"))
    assert stored["old"]["run"] == run_id and stored["new"]["run"] is None
    for key in ("changes", "units", "transitions", "transitions_by_category", "flatness", "summary"):
        assert stored[key] == direct[key], key
    weights = {c["path"]: (c["old"], c["new"]) for c in direct["changes"]}
    assert weights["weights.general.satisfaction"] == (20, 25)
    assert weights["grades.优秀.quota"] == ("20%", "15%")


def test_two_stored_runs(kaohe):
    q3 = kaohe("run", HEALTH, "--facts", HEALTH_Q3, "--json").json()["run"]["id"]
    q4 = kaohe("run", HEALTH, "--facts", HEALTH_Q4, "--json").json()["run"]["id"]
    doc = _doc(kaohe("diff", q3, q4, "--json"))
    assert doc["changes"] == []  # the same rules
    assert (doc["old"]["period"], doc["new"]["period"]) == ("2025Q3", "2025Q4")
    assert doc["summary"]["units"] == 14
    for u in doc["units"]:
        assert sum(c["delta"] for c in u["causes"]) == pytest.approx(u["delta"], abs=1e-9)


def test_a_unit_on_one_side_only_has_null_for_the_other(court, kaohe):
    q2 = court / "q2.csv"
    q2.write_text(Q1.replace("d01,民一庭,civil,100,96,60,0,0\n", "d02,民二庭,civil,100,90,70,0,0\n"),
                  encoding="utf-8")
    a = kaohe("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json")
    b = kaohe("run", court / "court/mini.yaml", "--facts", q2, "--period", "2025Q2", "--json")
    doc = _doc(kaohe("diff", a.json()["run"]["id"], b.json()["run"]["id"], "--json"))
    units = {u["unit"]: u for u in doc["units"]}
    assert units["d01"]["new"] is None and units["d01"]["delta"] is None and units["d01"]["causes"] == []
    assert units["d02"]["old"] is None and units["d02"]["new"]["grade"]
    assert {"from": None, "to": units["d02"]["new"]["grade"], "count": 1} in doc["transitions"]


def test_text_output_lists_changes_matrix_units_and_flatness(kaohe):
    r = kaohe("diff", HEALTH, HEALTH_2026, "--facts", HEALTH_Q4)
    assert r.exit_code == 0, r.stderr
    for line in ("一般卫生院 群众满意度 权重 20 → 25", "等次「优秀」名额：20% → 15%", "等次变化矩阵",
                 "乌兰苏木卫生院", "原因：健康档案规范建档率 −5；群众满意度 +4.37", "扁平化"):
        assert line in r.stdout, line
    en = kaohe("diff", HEALTH, HEALTH_2026, "--facts", HEALTH_Q4, "--lang", "en")
    assert "一般卫生院 群众满意度 weight 20 → 25" in en.stdout
    assert "because: 健康档案规范建档率 −5; 群众满意度 +4.37" in en.stdout


@pytest.mark.parametrize("suffix", [".html", ".md", ".xlsx"])
def test_report_formats(court, kaohe, tmp_path, suffix):
    hostile = court / "q_bad.csv"
    hostile.write_text(Q1.replace("刑一庭", "<script>alert(1)</script>"), encoding="utf-8")
    target = tmp_path / f"impact{suffix}"
    r = kaohe("diff", court / "court/mini.yaml", court / "court/new.yaml", "--facts", hostile,
              "--period", "2025Q1", "--report", target)
    assert r.exit_code == 0, r.stderr
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(target)
        assert wb.sheetnames == ["规则变化", "单位变化", "等次矩阵", "扁平化"]
        changes = [row[1] for row in wb["规则变化"].iter_rows(min_row=2, values_only=True)]
        assert "民事审判庭 结案率 权重 70 → 50" in changes
        names = [row[1] for row in wb["单位变化"].iter_rows(min_row=2, values_only=True)]
        assert "<script>alert(1)</script>" in names
        return
    text = target.read_text(encoding="utf-8")
    assert "民事审判庭 结案率 权重 70 → 50" in text and "<script>" not in text
    assert "&lt;script&gt;" in text


def test_report_suffix_must_be_known(court, kaohe):
    r = kaohe("diff", court / "court/mini.yaml", court / "court/new.yaml", "--facts", court / "q1.csv",
              "--report", court / "x.pdf")
    assert r.exit_code == 2 and ".html、.md 或 .xlsx" in r.stderr


@pytest.mark.parametrize("args", [[], ["a.yaml"], ["a.yaml", "b.yaml", "c.yaml"]], ids=["none", "one", "three"])
def test_wrong_forms_print_the_three_forms(kaohe, args):
    r = kaohe("diff", *args) if args else kaohe("diff", "x", "--facts", "f.csv", "--ruleset", "n.yaml")
    assert r.exit_code == 2
    assert "kaohe diff 运行 --ruleset 新.yaml" in r.stderr or "Missing argument" in r.stderr


def test_exit_codes(court, kaohe):
    bad = court / "court/bad.yaml"
    bad.write_text(MINI.replace("closed / received", "closd / received"), encoding="utf-8")
    r1 = kaohe("diff", court / "court/mini.yaml", bad, "--facts", court / "q1.csv", "--period", "2025Q1")
    assert r1.exit_code == 1 and "closd" in r1.stderr
    wrong = court / "wrong.csv"
    wrong.write_text(Q1.replace(",100,95,81,", ",100,95,abc,"), encoding="utf-8")
    r2 = kaohe("diff", court / "court/mini.yaml", court / "court/new.yaml", "--facts", wrong, "--period", "2025Q1")
    assert r2.exit_code == 2 and "abc" in r2.stderr
    r3 = kaohe("diff", "nosuchrun", "--ruleset", court / "court/new.yaml", "--json")
    assert r3.exit_code == 3 and json.loads(r3.stdout)["error"]["exit_code"] == 3


def test_a_fact_the_new_rules_need_but_the_run_lacks_is_a_facts_error(court, kaohe):
    run = kaohe("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json")
    needs = court / "court/needs.yaml"
    needs.write_text(MINI.replace("facts:\n", "facts:\n  judges: {label: 法官数, type: integer, min: 1}\n"),
                     encoding="utf-8")
    r = kaohe("diff", run.json()["run"]["id"], "--ruleset", needs, "--lang", "en")
    assert r.exit_code == 2 and "judges" in r.stderr


def test_db_option_and_environment(court, kaohe, tmp_path, monkeypatch):
    db = f"sqlite:///{tmp_path / 'other.db'}"
    run = kaohe("run", court / "court/mini.yaml", "--facts", court / "q1.csv", "--period", "2025Q1", "--json",
                "--db", db)
    run_id = run.json()["run"]["id"]
    assert kaohe("diff", run_id, run_id, "--json").exit_code == 3  # not in KAOHE_DB's database
    same = _doc(kaohe("diff", run_id, run_id, "--json", "--db", db))
    assert same["units"] == [] and same["summary"]["unchanged"] == 6
    monkeypatch.setenv("KAOHE_DB", db)
    assert kaohe("diff", run_id, run_id, "--json").exit_code == 0


def test_a_change_in_the_extended_parent_shows_and_reformatting_does_not(project, kaohe):
    parent = MINI.replace("id: mini-court", "id: parent-court")
    child = "kaohe: 1\nid: child-court\nname: 子\nextends: parent.yaml\nperiod: quarter\n"
    root = project({"a/parent.yaml": parent, "a/child.yaml": child, "b/parent.yaml":
                    parent.replace("default: {closure_rate: 60, expert_score: 40}",
                                   "default:   {expert_score: 45,   closure_rate: 55}   # 改"),
                    "b/child.yaml": child, "c/parent.yaml": "# 只改格式\n" + parent.replace(": ", ":  "),
                    "c/child.yaml": child, "q1.csv": Q1})
    changed = _doc(kaohe("diff", root / "a/child.yaml", root / "b/child.yaml", "--facts", root / "q1.csv",
                         "--period", "2025Q1", "--json"))
    assert [c["text"] for c in changed["changes"]] == ["刑事审判庭 结案率 权重 60 → 55", "刑事审判庭 专家评分 权重 40 → 45"]
    same = _doc(kaohe("diff", root / "a/child.yaml", root / "c/child.yaml", "--facts", root / "q1.csv",
                      "--period", "2025Q1", "--json"))
    assert same["changes"] == [] and same["units"] == []


def test_the_documented_example_is_valid():
    doc = (ROOT / "docs" / "diff.md").read_text(encoding="utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    DiffDocument.model_validate(json.loads(example))


def test_golden_the_bundled_2026_example_in_the_docs_is_current(kaohe, monkeypatch, tmp_path):
    """docs/diff-example.md shows the real output; regenerate with KAOHE_UPDATE_GOLDEN=1 make golden."""
    import os
    import re

    from kaohe.engine.cli import output

    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(output.out, "width", 100)
    report = tmp_path / "wulate-health-2026-diff.md"
    r = kaohe("diff", "rulesets/wulate-health/health.yaml", "rulesets/wulate-health/health-2026.yaml",
              "--facts", "examples/wulate-health/2025Q4.csv", "--report", report)
    assert r.exit_code == 0, r.stderr
    output = r.stdout.replace(str(report), "docs/examples/wulate-health-2026-diff.md")
    doc_path = ROOT / "docs" / "diff-example.md"
    report_path = ROOT / "docs" / "examples" / "wulate-health-2026-diff.md"
    doc = doc_path.read_text(encoding="utf-8")
    pattern = re.compile(r"(<!-- output:[^\n]*-->\n```\n).*?(```\n<!-- /output -->)", re.S)
    fresh = pattern.sub(lambda m: m.group(1) + output + m.group(2), doc)
    if os.environ.get("KAOHE_UPDATE_GOLDEN"):
        doc_path.write_text(fresh, encoding="utf-8")
        report_path.write_text(report.read_text(encoding="utf-8"), encoding="utf-8")
        return
    assert fresh == doc, "docs/diff-example.md is out of date: KAOHE_UPDATE_GOLDEN=1 make golden"
    assert report.read_text(encoding="utf-8") == report_path.read_text(encoding="utf-8")

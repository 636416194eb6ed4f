"""Several departments' files in one run: joined by unit, conflicts named, provenance kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook

RULESET = """\
kaohe: 1
id: county
name: 县级综合考核
period: quarter
categories:
  plain: {label: 平原乡镇}
  hill: {label: 山区乡镇}
facts:
  letters: {label: 信访件数, type: integer, min: 0, source: 信访局}
  solved: {label: 化解件数, type: integer, min: 0, source: 信访局}
  revenue: {label: 财政收入, type: number, min: 0, unit: 万元, source: 财政局}
  accidents: {label: 安全事故数, type: integer, min: 0, source: 应急局, required: false, default: 0}
indicators:
  solve_rate:
    label: 化解率
    unit: "%"
    formula: solved / letters
    score: {linear: {worst: 0.5, best: 1.0}}
  income:
    label: 财政收入
    formula: revenue
    score: {rank: {}}
weights:
  default: {solve_rate: 60, income: 40}
rules:
  - id: accident_veto
    when: accidents > 0
    then: {cap_grade: 一般}
grades:
  - {name: 优秀, min: 80}
  - {name: 一般}
"""

LETTERS = """\
unit,name,category,信访件数,化解件数
t1,南桥镇,plain,40,38
t2,北岭乡,hill,30,21
t3,东湖镇,plain,50,49
"""
FINANCE = """\
unit,财政收入
t3,1500
t1,1200
t2,800
"""
COMBINED = """\
unit,name,category,信访件数,化解件数,财政收入,安全事故数
t1,南桥镇,plain,40,38,1200,0
t2,北岭乡,hill,30,21,800,1
t3,东湖镇,plain,50,49,1500,0
"""


def _safety(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "事故统计"
    ws.append(["应急管理局 2025 年第一季度安全生产事故统计"])
    ws.append(["单位编号", "单位名称", "安全事故数（起）"])
    ws.append(["t2", "北岭乡", 1])
    ws.append(["t1", "南桥镇", 0])
    ws.append(["t3", "东湖镇", 0])
    wb.save(path)
    return path


@pytest.fixture
def county(project):
    root = project({"county.yaml": RULESET, "信访局.csv": LETTERS, "财政局.csv": FINANCE, "all.csv": COMBINED})
    _safety(root / "应急局.xlsx")
    return root


def run(kaohe, root: Path, *files: str, more: tuple[str, ...] = ()):
    args = ["run", root / "county.yaml", "--period", "2025Q1", "--json", *more]
    for f in files:
        args += ["--facts", root / f]
    return kaohe(*args)


def test_three_departments_equal_one_combined_file(county, kaohe):
    joined = run(kaohe, county, "信访局.csv", "财政局.csv", "应急局.xlsx")
    assert joined.exit_code == 0, joined.stderr
    single = run(kaohe, county, "all.csv", more=("--db", f"sqlite:///{county / 'single.db'}"))
    assert joined.json()["units"] == single.json()["units"]
    t2 = next(u for u in joined.json()["units"] if u["unit"] == "t2")
    assert t2["fired"] == ["accident_veto"] and t2["name"] == "北岭乡"
    assert "应急局.xlsx:2" in joined.stderr  # the title row above the header, skipped with a warning


def test_the_order_of_facts_options_does_not_change_the_run(county, kaohe):
    a = run(kaohe, county, "信访局.csv", "财政局.csv", "应急局.xlsx")
    b = run(kaohe, county, "应急局.xlsx", "信访局.csv", "财政局.csv",
            more=("--db", f"sqlite:///{county / 'other.db'}"))
    assert a.json()["run"] == b.json()["run"]
    # the facts hash covers the sources: the same values from other files is another run
    c = run(kaohe, county, "all.csv", more=("--db", f"sqlite:///{county / 'third.db'}"))
    assert c.json()["run"]["facts_sha256"] != a.json()["run"]["facts_sha256"]


def test_different_values_for_one_fact_name_both_files_rows_and_values(county, kaohe, project):
    project({"财政局2.csv": "unit,信访件数,财政收入\nt1,40,1200\nt2,33,800\nt3,50,1500\n"})
    r = kaohe("run", county / "county.yaml", "--period", "2025Q1", "--facts", county / "信访局.csv",
              "--facts", county / "财政局2.csv")
    assert r.exit_code == 2
    assert ("单位 t2 的信访件数（letters）在两个来源中不一致：信访局.csv 第 3 行 为 30，财政局2.csv 第 3 行 为 33"
            in r.stderr) or ("财政局2.csv 第 3 行 为 33，信访局.csv 第 3 行 为 30" in r.stderr)
    assert "t1" not in r.stderr  # equal values (40 in both) are fine
    en = kaohe("run", county / "county.yaml", "--period", "2025Q1", "--facts", county / "信访局.csv",
               "--facts", county / "财政局2.csv", "--lang", "en")
    assert "unit t2: 信访件数 (letters) differs between sources" in en.stderr and "row 3" in en.stderr


def test_a_unit_absent_from_a_source_has_its_facts_missing(county, kaohe, project):
    project({"财政局.csv": "unit,财政收入\nt1,1200\nt3,1500\n", "应急局.csv": "unit,安全事故数\nt2,1\n"})
    r = kaohe("run", county / "county.yaml", "--period", "2025Q1", "--facts", county / "信访局.csv",
              "--facts", county / "财政局.csv")
    assert r.exit_code == 2
    assert "单位 t2 缺少必填事实 `revenue`（财政收入）：财政局.csv 中没有该单位" in r.stderr
    # an optional fact with a default: units absent from the source take the default
    project({"财政局.csv": FINANCE})
    ok = run(kaohe, county, "信访局.csv", "财政局.csv", "应急局.csv")
    assert ok.exit_code == 0, ok.stderr
    fired = {u["unit"]: u["fired"] for u in ok.json()["units"]}
    assert fired == {"t1": [], "t2": ["accident_veto"], "t3": []}


def test_categories_must_agree_and_may_come_from_any_source(county, kaohe, project):
    project({"财政局.csv": "unit,category,财政收入\nt1,山区乡镇,1200\nt2,hill,800\nt3,,1500\n"})
    r = kaohe("run", county / "county.yaml", "--period", "2025Q1", "--facts", county / "信访局.csv",
              "--facts", county / "财政局.csv")
    assert r.exit_code == 2
    assert "单位 t1 的类别在两个来源中不一致" in r.stderr and "plain" in r.stderr and "hill" in r.stderr
    assert "t2" not in r.stderr and "t3" not in r.stderr


def test_sources_holding_different_periods(county, kaohe, project):
    project({"a.csv": "unit,category,period,信访件数,化解件数\nt1,plain,2025Q1,4,3\n",
             "b.csv": "unit,period,财政收入\nt1,2025Q2,100\n"})
    r = kaohe("run", county / "county.yaml", "--facts", county / "a.csv", "--facts", county / "b.csv")
    assert r.exit_code == 2 and "各来源的考核期不一致（2025Q1, 2025Q2）" in r.stderr


def test_explain_and_the_report_say_where_each_value_came_from(county, kaohe):
    doc = run(kaohe, county, "信访局.csv", "财政局.csv", "应急局.xlsx").json()
    r = kaohe("explain", doc["run"]["id"], "t2")
    assert r.exit_code == 0
    line = next(x for x in r.stdout.splitlines() if x.startswith("来源："))
    assert "信访局.csv 第 3 行（信访件数、化解件数）" in line
    assert "财政局.csv 第 4 行（财政收入）" in line
    assert "应急局.xlsx 第 3 行（安全事故数）" in line
    j = kaohe("explain", doc["run"]["id"], "t2", "--json").json()
    assert [(s["name"], s["row"], s["facts"]) for s in j["sources"]] == [
        ("信访局.csv", 3, ["letters", "solved"]), ("应急局.xlsx", 3, ["accidents"]), ("财政局.csv", 4, ["revenue"])]
    en = kaohe("explain", doc["run"]["id"], "t2", "--lang", "en")
    assert "source: 信访局.csv row 3 (信访件数、化解件数)" in en.stdout
    report = county / "r.html"
    assert kaohe("report", doc["run"]["id"], "--out", report).exit_code == 0
    html = report.read_text(encoding="utf-8")
    assert "数据来源" in html and "信访局.csv 第 3 行" in html
    md = county / "r.md"
    assert kaohe("report", doc["run"]["id"], "--out", md, "--format", "md").exit_code == 0
    assert "财政局.csv 第 4 行" in md.read_text(encoding="utf-8")


def test_one_file_has_its_provenance_too(county, kaohe):
    doc = run(kaohe, county, "all.csv").json()
    r = kaohe("explain", doc["run"]["id"], "t3")
    assert "来源：all.csv 第 4 行" in r.stdout.splitlines()


def test_no_facts_at_all_is_a_clear_error(county, kaohe):
    r = kaohe("run", county / "county.yaml", "--period", "2025Q1")
    assert r.exit_code == 2 and "没有事实数据" in r.stderr
    r = kaohe("run", county / "county.yaml", "--facts-sql", county / "q.sql")
    assert r.exit_code == 2 and "--facts-sql 与 --facts-db 要一起使用" in r.stderr

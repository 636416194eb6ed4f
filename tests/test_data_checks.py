"""Checks that catch what people get wrong in the data: `%` cells outside rates, `checks:`,
values far from last period, title rows above the header, categories by label."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from openpyxl import Workbook

from kaohe.engine.store import Store
from kaohe.engine.store_inputs import load_warnings

RULESET = """\
kaohe: 1
id: county
name: 县级考核
period: quarter
categories:
  plain: {label: 平原乡镇}
  hill: {label: 山区乡镇}
facts:
  revenue: {label: 财政收入, type: number, min: 0, unit: 万元}
  surveyed: {label: 调查人数, type: integer, min: 0}
  satisfied: {label: 满意人数, type: integer, min: 0}
  coverage: {label: 覆盖率, type: number, unit: "%"}
  share: {label: 占比, type: number, min: 0, max: 1, required: false}
  visits: {label: 走访次数, type: number, required: false}
indicators:
  satisfaction:
    label: 满意度
    unit: "%"
    formula: satisfied / surveyed
    score: {linear: {worst: 0.6, best: 1.0}}
    lights: {green: ">= 90%", yellow: "≥ 80%"}
  income:
    label: 收入
    formula: revenue
    score: {rank: {}}
weights:
  default: {satisfaction: 50, income: 50}
checks:
  - when: satisfied > surveyed
    message: 满意人数不能多于调查人数
  - id: few_surveyed
    when: surveyed < 10
    message: 调查人数过少，结果代表性不足
    level: warning
grades:
  - {name: 优秀, min: 80}
  - {name: 一般}
"""

HEADER = "unit,name,category,财政收入,调查人数,满意人数,覆盖率,占比,走访次数"
ROWS = [
    "t1,南桥镇,plain,1200,100,95,95%,0.5,3",
    "t2,北岭乡,山区乡镇,800,100,88,0.9,50%,",
    "t3,东湖镇,平原乡镇,1500,8,7,88%,,",
]


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.fixture
def county(project):
    return project({"county.yaml": RULESET, "q1.csv": csv(*ROWS)})


def run(kaohe, root: Path, facts: str | Path, period: str = "2025Q1", *more: str):
    return kaohe("run", root / "county.yaml", "--facts", root / facts, "--period", period, "--json", *more)


def fail(kaohe, root: Path, facts: str | Path, *more: str):
    """A run expected to fail: the messages on stderr (no --json)."""
    r = kaohe("run", root / "county.yaml", "--facts", root / facts, "--period", "2025Q1", *more)
    assert r.exit_code == 2, r.stdout
    return r


# -- `%` cells -----------------------------------------------------------------

def test_percent_cells_in_rates_are_fractions(county, kaohe):
    r = run(kaohe, county, "q1.csv")
    assert r.exit_code == 0, r.stderr
    units = {u["unit"]: u for u in r.json()["units"]}
    assert units["t1"]["indicators"]["satisfaction"]["value"] == 0.95
    store = Store(f"sqlite:///{county / 'kaohe.db'}")
    run_id = r.json()["run"]["id"]
    assert store.load_facts(run_id, "t1")["coverage"] == 0.95
    assert store.load_facts(run_id, "t2")["share"] == 0.5  # max ≤ 1: a rate


def test_percent_in_a_money_column_is_an_error(county, kaohe, project):
    project({"bad.csv": csv("t1,南桥镇,plain,12%,100,95,95%,0.5,3", *ROWS[1:])})
    r = fail(kaohe, county, "bad.csv")
    assert "bad.csv:2:4 [t1.revenue]" in r.stderr and "`12%` 不是 万元 数值" in r.stderr
    r = fail(kaohe, county, "bad.csv", "--lang", "en")
    assert "`12%` is not a value in 万元" in r.stderr


def test_percent_without_a_unit_names_the_rule(county, kaohe, project):
    project({"bad.csv": csv("t1,南桥镇,plain,1200,100,95,95%,0.5,30%", *ROWS[1:])})
    r = fail(kaohe, county, "bad.csv")
    assert "`30%` 是百分比，但 走访次数（visits） 不是比率" in r.stderr and 'unit: "%"' in r.stderr


def _xlsx(path: Path, rows: list[list[object]], percent: dict[tuple[int, int], str] | None = None,
          title: list[str] | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    for line in title or []:
        ws.append([line])
    for row in rows:
        ws.append(row)
    for (r, c), fmt in (percent or {}).items():
        ws.cell(r, c).number_format = fmt
    wb.save(path)
    return path


def _rows() -> list[list[object]]:
    return [[c if not c.replace(".", "").isdigit() else float(c) for c in line.split(",")]
            for line in csv(*ROWS).strip().splitlines()]


def test_xlsx_cell_shown_as_percent_is_checked_like_text(county, kaohe):
    rows = _rows()
    rows[1][3] = 0.12  # 财政收入 of t1 typed as 12% in Excel: stored 0.12, shown 12%
    rows[1][6] = 0.95
    _xlsx(county / "pct.xlsx", rows, {(2, 4): "0%", (2, 7): "0.0%"})
    r = fail(kaohe, county, "pct.xlsx")
    assert "pct.xlsx:2:4 [t1.revenue]" in r.stderr and "`12%` 不是 万元 数值" in r.stderr
    assert "coverage" not in r.stderr  # 覆盖率 is a rate: 95% is fine


# -- title rows and headers --------------------------------------------------------

def test_title_rows_above_the_header_are_skipped_with_a_warning(county, kaohe):
    _xlsx(county / "titled.xlsx", _rows(), title=["某县2025年第一季度考核数据填报表", "填报单位：县考核办"])
    r = run(kaohe, county, "titled.xlsx")
    assert r.exit_code == 0, r.stderr
    assert "titled.xlsx:3" in r.stderr and "第 3 行用作表头（上方 2 行是标题，已跳过）" in r.stderr
    plain = run(kaohe, county, "q1.csv", "2025Q1", "--db", f"sqlite:///{county / 'other.db'}")
    assert r.json()["units"] == plain.json()["units"]


def test_csv_title_row_and_header_units_and_comment_columns(county, kaohe, project):
    header = "单位编号,单位名称,类别,财政收入（万元）,调查人数(人),满意人数,覆盖率（%）,占比,走访次数,#备注"
    body = [f"{r},备注{i}" for i, r in enumerate(ROWS)]
    project({"titled.csv": "县级考核数据,,,,,,,,,\n" + csv(*body, header=header)})
    r = run(kaohe, county, "titled.csv")
    assert r.exit_code == 0, r.stderr
    assert "第 2 行用作表头" in r.stderr
    assert "备注" not in r.stderr  # a # column is neither a fact nor an unknown column


def test_missing_column_points_at_the_real_header_row(county, kaohe):
    rows = [[c for j, c in enumerate(row) if j != 4] for row in _rows()]  # no 调查人数
    _xlsx(county / "titled.xlsx", rows, title=["标题"])
    r = fail(kaohe, county, "titled.xlsx")
    assert "titled.xlsx:2 [surveyed]" in r.stderr and "调查人数" in r.stderr


# -- categories ----------------------------------------------------------------------

def test_unknown_category_lists_ids_and_labels(county, kaohe, project):
    project({"bad.csv": csv("t1,南桥镇,丘陵乡镇,1200,100,95,95%,0.5,3", *ROWS[1:])})
    r = fail(kaohe, county, "bad.csv")
    assert "未知类别 `丘陵乡镇`" in r.stderr and "plain (平原乡镇)" in r.stderr and "hill (山区乡镇)" in r.stderr
    project({"typo.csv": csv("t1,南桥镇,平原乡, 1200,100,95,95%,0.5,3", *ROWS[1:])})
    assert "平原乡镇" in fail(kaohe, county, "typo.csv").stderr


# -- checks: -----------------------------------------------------------------------------

def test_error_check_fails_with_file_row_and_unit(county, kaohe, project):
    project({"bad.csv": csv(*ROWS[:2], "t3,东湖镇,plain,1500,80,95,88%,,")})
    r = fail(kaohe, county, "bad.csv")
    assert "bad.csv:4 [t3]: 错误: 单位 t3（东湖镇）：满意人数不能多于调查人数（satisfied=95, surveyed=80）" in r.stderr
    assert kaohe("runs", "--json").json()["runs"] == []  # nothing stored


def test_warning_check_is_listed_and_stored(county, kaohe):
    r = run(kaohe, county, "q1.csv")
    assert r.exit_code == 0
    assert "q1.csv:4 [t3]: 警告: 单位 t3（东湖镇）：调查人数过少，结果代表性不足（surveyed=8）" in r.stderr
    store = Store(f"sqlite:///{county / 'kaohe.db'}")
    stored = load_warnings(store.engine, r.json()["run"]["id"])
    assert [(w.code, w.params["unit"]) for w in stored] == [("facts.check", "t3")]
    again = run(kaohe, county, "q1.csv")  # the stored run is re-used: its warnings are shown again
    assert "调查人数过少" in again.stderr
    explain = kaohe("explain", r.json()["run"]["id"], "t3").stdout.splitlines()
    assert explain[1:3] == ["来源：q1.csv 第 4 行", "数据提示：单位 t3（东湖镇）：调查人数过少，结果代表性不足（surveyed=8）"]


def test_check_may_only_read_facts(project, kaohe):
    text = RULESET.replace("when: surveyed < 10", "when: satisfaction < 0.5 or surveyd < 10")
    root = project({"county.yaml": text})
    r = kaohe("validate", root / "county.yaml")
    assert r.exit_code == 1
    out = r.stdout + r.stderr
    assert "checks[1].when" in out and "`satisfaction` 不是事实" in out and "`surveyd`" in out
    assert "surveyed" in out  # did you mean


def test_checks_are_inherited_and_merged_by_id(project, kaohe):
    child = textwrap.dedent("""\
        kaohe: 1
        id: county-child
        name: 子规则集
        extends: county.yaml
        period: quarter
        checks:
          - id: few_surveyed
            when: surveyed < 5
            message: 调查人数少于 5
            level: warning
          - when: revenue > 100000
            message: 财政收入异常
        """)
    root = project({"county.yaml": RULESET, "child.yaml": child})
    from kaohe.engine.ruleset import load_ruleset

    rs = load_ruleset(root / "child.yaml")
    assert [(c.check.id, c.check.when) for c in rs.checks] == [
        (None, "satisfied > surveyed"), ("few_surveyed", "surveyed < 5"), (None, "revenue > 100000")]


# -- suspicious values -------------------------------------------------------------------

def test_values_far_from_last_period_are_warnings(county, kaohe, project):
    assert run(kaohe, county, "q1.csv").exit_code == 0
    q2 = [ROWS[0].replace(",1200,", ",15000,"), ROWS[1].replace(",800,", ",60,"), ROWS[2]]
    project({"q2.csv": csv(*q2)})
    r = run(kaohe, county, "q2.csv", "2025Q2")
    assert r.exit_code == 0
    assert "q2.csv:2 [t1.revenue]: 警告: 单位 t1（南桥镇）的财政收入为 15000，是上期 1200 的 12.5 倍，请核实" in r.stderr
    assert "q2.csv:3 [t2.revenue]: 警告: 单位 t2（北岭乡）的财政收入为 60，不足上期 800 的 1/10，请核实" in r.stderr
    stored = load_warnings(Store(f"sqlite:///{county / 'kaohe.db'}").engine, r.json()["run"]["id"], "t1")
    assert [w.code for w in stored] == ["facts.suspicious_up"]
    english = run(kaohe, county, "q2.csv", "2025Q2", "--lang", "en")
    assert "unit t1 (南桥镇): 财政收入 is 15000, 12.5 times last period's 1200" in english.stderr


def test_suspicious_ratio_is_configurable(project, kaohe):
    text = RULESET.replace("checks:", "suspicious_ratio: 20\nchecks:").replace(
        "unit: 万元}", "unit: 万元, suspicious_ratio: 0}")
    root = project({"county.yaml": text, "q1.csv": csv(*ROWS)})
    assert run(kaohe, root, "q1.csv").exit_code == 0
    project({"q2.csv": csv(ROWS[0].replace(",1200,100,95,", ",15000,100,95,"),
                           ROWS[1].replace(",100,88,", ",2500,88,"), ROWS[2])})
    r = run(kaohe, root, "q2.csv", "2025Q2")
    assert "财政收入" not in r.stderr  # turned off for this fact
    assert "单位 t2（北岭乡）的调查人数为 2500，是上期 100 的 25 倍" in r.stderr


def test_suspicious_ratio_must_exceed_one(project, kaohe):
    root = project({"county.yaml": RULESET.replace("checks:", "suspicious_ratio: 1\nchecks:")})
    r = kaohe("validate", root / "county.yaml")
    assert r.exit_code == 1 and "suspicious_ratio 应大于 1" in r.stdout + r.stderr

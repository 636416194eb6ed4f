"""`kaohe form`: the Excel form a department fills in, and its round trip through `kaohe run`."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

RULESET = """\
kaohe: 1
id: county
name: 县级综合考核
period: quarter
categories:
  plain: {label: 平原乡镇}
  hill: {label: 山区乡镇}
facts:
  letters: {label: 信访件数, type: integer, min: 0, unit: 件, source: 信访局, description: 本季度受理的信访事项}
  solved: {label: 化解件数, type: integer, min: 0, unit: 件, source: 信访局}
  satisfaction: {label: 群众满意率, type: number, min: 0, max: 1, unit: "%", source: 信访局}
  revenue: {label: 财政收入, type: number, min: 0, unit: 万元, source: 财政局}
  audited: {label: 通过审计, type: boolean, source: 财政局, required: false, default: true}
  accidents: {label: 安全事故数, type: integer, min: 0, max: 99, source: 应急局, required: false, default: 0}
  remark: {label: 备注, type: string, required: false}
indicators:
  solve_rate:
    label: 化解率
    unit: "%"
    formula: solved / letters
    score: {linear: {worst: 0.5, best: 1.0}}
  satisfied:
    label: 满意率
    unit: "%"
    formula: satisfaction
    score: {linear: {worst: 0.6, best: 1.0}}
  income:
    label: 财政收入
    formula: revenue
    score: {rank: {}}
weights:
  default: {solve_rate: 40, satisfied: 30, income: 30}
rules:
  - id: accident_veto
    when: accidents > 0 or audited == 0
    then: {cap_grade: 一般}
grades:
  - {name: 优秀, min: 80}
  - {name: 一般}
"""
UNITS = "unit,name,category\nt1,南桥镇,plain\nt2,北岭乡,hill\nt3,东湖镇,平原乡镇\n"
DATA = {  # unit: letters, solved, satisfaction, revenue, audited, accidents, remark
    "t1": (40, 38, 0.95, 1200.5, "是", 0, "按时报送"),
    "t2": (30, 21, 0.82, 800, "否", 1, None),
    "t3": (50, 49, 0.97, 1500, "是", 0, None),
}
CSV = "unit,name,category,period,信访件数,化解件数,群众满意率,财政收入,通过审计,安全事故数,备注\n" + "".join(
    f"{u},{n},{c},2025Q1,{','.join('' if v is None else str(v) for v in DATA[u])}\n"
    for u, n, c in (("t1", "南桥镇", "plain"), ("t2", "北岭乡", "hill"), ("t3", "东湖镇", "plain")))


@pytest.fixture
def county(project):
    return project({"county.yaml": RULESET, "units.csv": UNITS, "all.csv": CSV})


def make(kaohe, root: Path, out: str = "form.xlsx", *more: str) -> Path:
    r = kaohe("form", root / "county.yaml", "--out", root / out, *more)
    assert r.exit_code == 0, r.stdout + r.stderr
    return root / out


def fill(path: Path, data=DATA, target: Path | None = None) -> Path:
    """Fill a generated form as a department would (by the labels people see in row 2)."""
    wb = load_workbook(path)
    columns = {"信访件数": 0, "化解件数": 1, "群众满意率": 2, "财政收入": 3, "通过审计": 4, "安全事故数": 5, "备注": 6}
    for name in wb.sheetnames:
        ws = wb[name]
        if ws.sheet_state != "visible" or ws.cell(1, 1).value != "unit":
            continue
        for col in range(5, ws.max_column + 1):
            label = str(ws.cell(2, col).value).split("（")[0]
            if label not in columns:
                continue
            for row in range(3, ws.max_row + 1):
                value = data[ws.cell(row, 1).value][columns[label]]
                if value is not None:
                    ws.cell(row, col).value = value
    target = target or path.with_name("filled.xlsx")
    wb.save(target)
    return target


def run_json(kaohe, root: Path, *args: str, db: str = "kaohe.db"):
    r = kaohe("run", root / "county.yaml", "--json", "--db", f"sqlite:///{root / db}", *args)
    assert r.exit_code == 0, r.stderr
    return r


def test_the_form_layout(county, kaohe):
    path = make(kaohe, county, "form.xlsx", "--units", county / "units.csv", "--period", "2025Q1")
    wb = load_workbook(path)
    assert wb.sheetnames == ["填报说明", "信访局", "财政局", "应急局", "其他", "_kaohe"]
    assert wb["_kaohe"].sheet_state == "hidden"
    ws = wb["信访局"]
    assert [c.value for c in ws[1]] == ["unit", "name", "category", "period", "letters", "solved", "satisfaction"]
    assert ws.row_dimensions[1].hidden
    assert [c.value for c in ws[2]] == ["单位编号", "单位名称", "类别", "考核期", "信访件数（件）", "化解件数（件）",
                                        "群众满意率（%）"]
    assert [c.value for c in ws[4]][:4] == ["t2", "北岭乡", "山区乡镇", "2025Q1"]
    assert ws.protection.sheet
    assert ws["A3"].protection.locked and ws["D3"].protection.locked
    assert not ws["E3"].protection.locked and not ws["G5"].protection.locked
    assert ws["G3"].number_format == "0.00%"
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert (rules["E3:E5"].type, rules["E3:E5"].operator, rules["E3:E5"].formula1) == ("whole", "greaterThanOrEqual", "0")
    assert (rules["G3:G5"].type, rules["G3:G5"].formula1, rules["G3:G5"].formula2) == ("decimal", "0", "1")
    assert rules["E3:E5"].error == "信访件数：应为整数（≥ 0）" and rules["E3:E5"].prompt == "本季度受理的信访事项"
    finance = {str(dv.sqref): dv for dv in wb["财政局"].data_validations.dataValidation}
    assert (finance["F3:F5"].type, finance["F3:F5"].formula1) == ("list", '"是,否"')
    safety = {str(dv.sqref): dv for dv in wb["应急局"].data_validations.dataValidation}
    assert (safety["E3:E5"].formula1, safety["E3:E5"].formula2) == ("0", "99")
    intro = [[c for c in row] for row in wb["填报说明"].iter_rows(values_only=True)]
    assert intro[0][0] == "县级综合考核 · 数据填报表" and "2025Q1" in intro[1][0]
    assert intro[3][:2] == ["填报截止日期：", None] and not wb["填报说明"]["B4"].protection.locked
    table = {row[2]: row for row in intro if row and row[2] in ("letters", "revenue", "accidents")}
    assert list(table["letters"][1:9]) == ["信访件数", "letters", "本季度受理的信访事项", "件", "整数", "≥ 0", "是", "信访局"]
    assert list(table["accidents"][6:8]) == ["0 ~ 99", "否（空缺按 0）"]


def test_a_filled_form_runs_like_the_same_data_as_csv(county, kaohe):
    form = make(kaohe, county, "form.xlsx", "--units", county / "units.csv", "--period", "2025Q1")
    filled = fill(form)
    from_form = run_json(kaohe, county, "--facts", filled)
    from_csv = run_json(kaohe, county, "--facts", county / "all.csv", db="csv.db")
    assert from_form.json()["units"] == from_csv.json()["units"]
    assert "警告" not in from_form.stderr  # nothing in a form needs a warning: no title row, no unknown column
    explain = kaohe("explain", from_form.json()["run"]["id"], "t2", "--db", f"sqlite:///{county / 'kaohe.db'}")
    assert "filled.xlsx「信访局」第 4 行（信访件数、化解件数、群众满意率）" in explain.stdout


def test_one_department_form_and_the_previous_period(county, kaohe):
    first = run_json(kaohe, county, "--facts", county / "all.csv").json()["run"]["id"]
    path = make(kaohe, county, "finance.xlsx", "--run", first, "--source", "财政局", "--db",
                f"sqlite:///{county / 'kaohe.db'}")
    wb = load_workbook(path)
    assert wb.sheetnames == ["填报说明", "财政局", "_kaohe"]
    ws = wb["财政局"]
    assert [c.value for c in ws[1]] == ["unit", "name", "category", "period", "revenue", "#上期.revenue", "audited",
                                        "#上期.audited"]
    assert [c.value for c in ws[3]] == ["t1", "南桥镇", "平原乡镇", "2025Q2", None, 1200.5, None, 1]
    assert ws["F3"].protection.locked and ws["F3"].fill.fgColor.rgb.endswith("E7E6E6")
    # the other departments' forms for 2025Q2, filled; the reference columns are ignored
    safety = make(kaohe, county, "safety.xlsx", "--run", first, "--source", "应急局", "--db",
                  f"sqlite:///{county / 'kaohe.db'}")
    letters = make(kaohe, county, "letters.xlsx", "--run", first, "--source", "信访局", "--db",
                   f"sqlite:///{county / 'kaohe.db'}")
    files = [fill(p, target=p.with_name(f"filled-{p.name}")) for p in (path, safety, letters)]
    joined = run_json(kaohe, county, *[a for f in files for a in ("--facts", str(f))])
    assert joined.json()["run"]["period"] == "2025Q2"
    (county / "q2.csv").write_text(CSV.replace("2025Q1", "2025Q2"), encoding="utf-8")
    from_csv = run_json(kaohe, county, "--facts", county / "q2.csv", db="csv.db")
    assert joined.json()["units"] == from_csv.json()["units"]


def test_category_filter_and_mistakes(county, kaohe):
    path = make(kaohe, county, "plain.xlsx", "--units", county / "units.csv", "--category", "平原乡镇")
    units = [row[0] for row in load_workbook(path)["信访局"].iter_rows(min_row=3, values_only=True)]
    assert units == ["t1", "t3"]
    r = kaohe("form", county / "county.yaml", "--out", county / "x.xlsx", "--units", county / "units.csv",
              "--category", "丘陵乡镇")
    assert r.exit_code == 2 and "未知类别 `丘陵乡镇`" in r.stderr and "plain (平原乡镇)" in r.stderr
    r = kaohe("form", county / "county.yaml", "--out", county / "x.xlsx", "--units", county / "units.csv",
              "--source", "财政")
    assert r.exit_code == 2 and "没有来源（source）为 `财政`" in r.stderr and "财政局" in r.stderr
    r = kaohe("form", county / "county.yaml", "--out", county / "x.xlsx")
    assert r.exit_code == 2 and "--units" in r.stderr and "--run" in r.stderr
    assert not (county / "x.xlsx").exists()


def test_a_bad_cell_in_a_form_names_the_sheet_and_row(county, kaohe):
    form = make(kaohe, county, "form.xlsx", "--units", county / "units.csv", "--period", "2025Q1")
    bad = dict(DATA, t2=(30, "二十一", 0.82, 800, "否", 1, None))
    filled = fill(form, bad)
    r = kaohe("run", county / "county.yaml", "--facts", filled)
    assert r.exit_code == 2
    assert "filled.xlsx[信访局]:4:6 [t2.solved]" in r.stderr and "`二十一` 不是整数" in r.stderr


def test_the_same_form_is_the_same_bytes(county, kaohe):
    a = make(kaohe, county, "a.xlsx", "--units", county / "units.csv", "--period", "2025Q1").read_bytes()
    b = make(kaohe, county, "b.xlsx", "--units", county / "units.csv", "--period", "2025Q1").read_bytes()
    assert a == b
    english = make(kaohe, county, "en.xlsx", "--units", county / "units.csv", "--lang", "en")
    wb = load_workbook(english)
    assert wb.sheetnames[0] == "Instructions" and wb["信访局"]["A2"].value == "unit"

"""Reports a director and an office clerk read without help, on the bundled county example.

18 towns, 优秀 quota counted across the county (``quota_scope: all``), one town vetoed for a major
accident, ratio indicators declared ``unit: "%"``.  Golden files (``make golden``) hold the
Markdown report and a text dump of the Excel workbook.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kaohe.engine.report import build_context, card_names, write_report
from tests.golden import check_golden


def test_golden_county_markdown(county_runs):
    outcome, history, region, folder = county_runs
    md = write_report(outcome.info, outcome.units, folder / "county.md", fmt="md", history=history, region_dir=region)
    check_golden("report_county.md", md.read_text(encoding="utf-8"))


def test_golden_county_excel(county_runs):
    from openpyxl import load_workbook

    outcome, history, region, folder = county_runs
    path = write_report(outcome.info, outcome.units, folder / "county.xlsx", fmt="xlsx", history=history)
    check_golden("report_county.xlsx.txt", workbook_dump(load_workbook(path)))


def workbook_dump(wb) -> str:  # type: ignore[no-untyped-def]
    """Each sheet's layout and cells (value, number format, fill) as text, for a reviewable golden file."""
    out = []
    for ws in wb:
        widths = {k: round(d.width, 1) for k, d in sorted(ws.column_dimensions.items()) if d.width}
        out.append(f"## {ws.title}  freeze={ws.freeze_panes} filter={ws.auto_filter.ref} "
                   f"print_titles={ws.print_title_rows} orientation={ws.page_setup.orientation} "
                   f"fit_width={ws.page_setup.fitToWidth if ws.sheet_properties.pageSetUpPr else None}")
        out.append(f"widths {widths}")
        for row in ws.iter_rows():
            cells = []
            for c in row:
                text = "" if c.value is None else (f"{c.value:.6g}" if isinstance(c.value, float) else str(c.value))
                if c.number_format != "General":
                    text += f" [{c.number_format}]"
                if c.fill is not None and c.fill.fill_type == "solid":
                    text += f" #{c.fill.fgColor.rgb[-6:]}"
                cells.append(text)
            out.append(" | ".join(cells))
    return "\n".join(out) + "\n"


def _context(county_runs, **kw):  # type: ignore[no-untyped-def]
    outcome, history, _, _ = county_runs
    return build_context(outcome.info, outcome.units, lang=kw.pop("lang", "zh"), history=history, **kw)


def _unit(context, name):  # type: ignore[no-untyped-def]
    return next(u for u in context["units"] if u["name"] == name)


def test_percent_indicators_and_counts_read_as_people_write_them(county_runs):
    ctx = _context(county_runs)
    nanqiao = {r["id"]: r for r in _unit(ctx, "南桥镇")["indicators"]}
    assert nanqiao["revenue_growth"]["value_text"] == "14.04%"
    assert nanqiao["petition_rate"]["value_text"] == "98.81%"
    assert nanqiao["projects_signed"]["value_text"] == "7 个"  # a count: no ".0"
    assert nanqiao["env_score"]["value_text"] == "98.5 分"
    assert nanqiao["projects_signed"]["lit"] is False and nanqiao["revenue_growth"]["lit"] is True


def test_rules_read_as_sentences_with_labels(county_runs):
    ctx = _context(county_runs)
    fired = _unit(ctx, "南桥镇")["fired"]
    assert [f["label"] for f in fired] == ["发生较大事故"]
    assert fired[0]["effect"] == "一票否决：降为 不合格；预警：约谈；说明：发生较大及以上生产安全事故"
    assert [r["text"] for r in fired[0]["reads"]] == ["较大及以上安全事故起数 = 1 起"]
    red = _unit(ctx, "三里乡")["fired"]
    assert [(f["label"], [r["text"] for r in f["reads"]]) for f in red] == [
        ("信访办结率亮红灯", ["信访事项按期办结率灯色 = 红灯"])]
    text = json.dumps(ctx["units"], ensure_ascii=False)
    assert '"{\\"cap_grade' not in text and "major_accident =" not in text


def test_veto_and_quota_decisions_in_words(county_runs):
    ctx = _context(county_runs)
    assert _unit(ctx, "南桥镇")["decisions"] == [
        {"kind": "veto", "text": "总分 97.05，因发生较大事故一票否决，等次为 不合格"}]
    assert _unit(ctx, "李集镇")["decisions"] == [
        {"kind": "quota", "text": "总分 92.38，位列第 4，超出 优秀 名额（20% × 18 = 3.6，取整为 3），评为 良好"}]
    assert _unit(ctx, "东湖镇")["decisions"] == []
    kinds = [(a["name"], a["kind"], a["alert"]) for a in ctx["alerts"]]
    assert kinds[:2] == [("南桥镇", "veto", "一票否决"), ("李集镇", "quota", "名额调整")]
    assert ("三里乡", "alert", "督办") in kinds
    assert next(a for a in ctx["alerts"] if a["alert"] == "约谈")["text"] == "发生较大事故"
    en = _context(county_runs, lang="en")
    assert _unit(en, "李集镇")["decisions"][0]["text"] == (
        "score 92.38, placed 4: over the 优秀 quota (20% × 18 = 3.6, rounded down to 3); graded 良好")
    assert _unit(en, "南桥镇")["decisions"][0]["text"] == "score 97.05; vetoed (发生较大事故): grade 不合格"


def test_vetoed_unit_is_placed_after_every_better_grade(county_runs):
    ctx = _context(county_runs)
    assert ctx["overall_ranking"] is True
    overall = ctx["rankings"][0]
    assert overall["category"] == "*" and len(overall["units"]) == 18
    grades = ["优秀", "良好", "合格", "不合格"]
    order = [grades.index(u["grade"]) for u in overall["units"]]
    assert order == sorted(order)
    nanqiao = next(u for u in overall["units"] if u["name"] == "南桥镇")
    assert nanqiao["place"] == 1 + sum(1 for u in overall["units"] if u["grade"] != "不合格")
    assert nanqiao["rank"] == 2  # by score in its category, as `kaohe run --json` says
    assert [g["places"] for g in ctx["grades"]] == [3, None, None, None]
    assert "名次先按最终等次" in ctx["t"]["ranking_note"]


def test_overall_ranking_only_when_quotas_count_across_categories(mini_runs):  # noqa: F811
    _, info, units, _ = mini_runs
    ctx = build_context(info, units, lang="zh")
    assert ctx["overall_ranking"] is False and all(g["category"] != "*" for g in ctx["rankings"])


def test_leader_summary(county_runs):
    s = _context(county_runs)["summary"]
    assert s["headline"] == "共 18 个单位：优秀 3、良好 4、合格 5、不合格 6"
    assert [v["name"] for v in s["vetoes"]] == ["南桥镇"] and [v["name"] for v in s["quota"]] == ["李集镇"]
    assert s["red_lights"] == 5 and [r["name"] for r in s["red_units"]] == ["石桥镇", "三里乡"]
    movers = s["movers"]
    assert movers["previous_period"] == "2024"
    assert movers["up"][0]["name"] == "北河镇" and movers["up"][0]["previous_grade"] == "良好"
    assert movers["down"][0]["name"] == "石桥镇" and movers["down"][0]["delta"] == pytest.approx(-21.05, abs=0.01)


@pytest.mark.parametrize("order, first", [("category", "城关镇"), ("rank", "东湖镇"), ("facts", "城关镇")])
def test_unit_order(county_runs, order, first):
    ctx = _context(county_runs, order=order)
    assert ctx["units"][0]["name"] == first and ctx["order"]["name"] == order
    if order == "rank":
        assert [u["place"] for u in ctx["units"]] == sorted(u["place"] for u in ctx["units"])


def test_facts_order_follows_the_rows_of_the_facts_file(county_runs, tmp_path):
    outcome, history, _, _ = county_runs
    rows = tmp_path / "src.csv"
    lines = Path(outcome.info.facts_path).read_text(encoding="utf-8").splitlines()
    rows.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n", encoding="utf-8")
    info = dataclasses.replace(outcome.info, facts_path=str(rows))
    ctx = build_context(info, outcome.units, lang="zh", order="facts")
    assert [u["unit"] for u in ctx["units"]] == [f"t{i:02d}" for i in range(18, 0, -1)]
    gone = dataclasses.replace(outcome.info, facts_path=str(tmp_path / "missing.csv"))
    ctx = build_context(gone, outcome.units, lang="zh", order="facts")
    assert ctx["order"]["name"] == "facts_missing" and "找不到原数据表" in ctx["order"]["text"]
    assert ctx["units"][0]["name"] == "城关镇"


def test_bad_order_is_a_clear_error(county_runs, tmp_path):
    from kaohe.engine.errors import RunError

    outcome, _, _, _ = county_runs
    with pytest.raises(RunError, match="rank"):
        write_report(outcome.info, outcome.units, tmp_path / "r.md", fmt="md", order="alphabet")


@pytest.mark.parametrize("names, expected", [
    (["南桥镇", "东湖镇"], ["南桥镇", "东湖镇"]),
    (["南桥镇", "南桥镇"], ["南桥镇_t1", "南桥镇_t2"]),
    (["Town", "town"], ["Town_t1", "town_t2"]),
    (['a/b:c*d?"e<f>g|h\\i', "CON", "nul.txt", "  dots...  ", "...", "x\x01y"],
     ["a_b_c_d__e_f_g_h_i", "CON_", "nul.txt_", "dots", "t5", "x_y"]),
])
def test_card_file_names_are_unit_names_safe_on_windows(names, expected):
    units = [{"unit": f"t{i + 1}", "name": n} for i, n in enumerate(names)]
    assert card_names(units) == expected


def test_per_unit_cards_are_named_by_unit_name(county_runs, tmp_path):
    outcome, history, region, _ = county_runs
    folder = write_report(outcome.info, outcome.units, tmp_path / "cards", fmt="md", per_unit=True, history=history)
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 18 and "南桥镇.md" in names
    card = (folder / "南桥镇.md").read_text(encoding="utf-8")
    assert "因发生较大事故一票否决" in card and "东湖镇" not in card


def test_excel_is_formatted_for_a_clerk(county_runs, tmp_path):
    from openpyxl import load_workbook

    outcome, history, _, _ = county_runs
    wb = load_workbook(write_report(outcome.info, outcome.units, tmp_path / "r.xlsx", fmt="xlsx", history=history))
    assert wb.sheetnames == ["结果", "亮灯看板", "指标", "规则触发", "预警"]
    for ws in wb:
        assert ws.freeze_panes == "C2" and ws.auto_filter.ref.startswith("A1:")
        assert all(c.font.b for c in ws[1])
    results = wb["结果"]
    header = [c.value for c in results[1]]
    row = {h: c for h, c in zip(header, next(r for r in results.iter_rows(min_row=2) if r[1].value == "南桥镇"),
                                 strict=True)}
    assert row["总分"].number_format == "0.00" and row["等级"].fill.fgColor.rgb.endswith("FFC7CE")
    assert row["等次说明"].value == "总分 97.05，因发生较大事故一票否决，等次为 不合格"
    board = wb["亮灯看板"]
    assert [c.value for c in board[1]][3:7] == ["一般公共预算收入增长率", "固定资产投资完成率", "信访事项按期办结率",
                                               "人居环境整治"]
    assert board.page_setup.orientation == "landscape" and board.page_setup.fitToWidth == 1
    assert board.page_setup.fitToHeight == 0 and board.sheet_properties.pageSetUpPr.fitToPage
    growth = board.cell(row=2, column=4)
    assert growth.number_format == "0.00%" and isinstance(growth.value, float)
    assert results.column_dimensions["B"].width >= 7  # 城关镇, 3 wide characters


def test_explain_in_words(county_runs):
    from kaohe.engine.explain import explain_unit

    outcome, _, _, _ = county_runs
    nanqiao = next(u for u in outcome.units if u.name == "南桥镇")
    lines = explain_unit(outcome.info, nanqiao, {"major_accidents": 1}, "zh", outcome.units)["lines"]
    text = "\n".join(lines)
    assert "亮灯：不设灯" in text and "无数据（无数据）" not in text
    assert "取值 较大及以上安全事故起数 = 1 起" in text
    assert "效果 一票否决：降为 不合格；预警：约谈" in text and "cap_grade" not in text
    assert "值 = 0.140386 = 14.04%" in text


def test_grade_chart_marks_the_integer_quota_cap(county_runs, monkeypatch):
    from matplotlib.axes import Axes

    drawn = []
    original = Axes.hlines

    def spy(self, y, *args, **kwargs):  # type: ignore[no-untyped-def]
        drawn.append(y)
        return original(self, y, *args, **kwargs)

    monkeypatch.setattr(Axes, "hlines", spy)
    _context(county_runs, charts=True)
    assert drawn == [3]  # floor(20% × 18), not 3.6


def test_county_html_has_every_section(county_runs, tmp_path):
    outcome, history, region, _ = county_runs
    html = write_report(outcome.info, outcome.units, tmp_path / "r.html", history=history,
                        region_dir=region).read_text(encoding="utf-8")
    for section in ("summary", "board", "ranking", "cards", "alerts", "diagnostics"):
        assert f'<section id="{section}">' in html
    assert "不设灯" in html and "14.04%" in html and "ranking overall" in html


def test_cli_report_order_option(kaohe, tmp_path):
    root = Path(__file__).resolve().parent.parent
    ruleset = root / "rulesets" / "qingxi-county" / "towns.yaml"
    r = kaohe("run", ruleset, "--facts", root / "examples" / "qingxi-county" / "2025.csv", "--json")
    assert r.exit_code == 0, r.stderr
    run_id = r.json()["run"]["id"]
    r = kaohe("report", run_id, "--format", "md", "--order", "rank", "--out", tmp_path / "r.md")
    assert r.exit_code == 0, r.stderr
    board = (tmp_path / "r.md").read_text(encoding="utf-8").split("## 亮灯看板", 1)[1]
    assert "排列：按名次" in board and board.index("东湖镇") < board.index("李集镇") < board.index("南桥镇")
    r = kaohe("report", run_id, "--order", "alphabet", "--out", tmp_path / "x.html")
    assert r.exit_code == 3 and "alphabet" in r.stderr and "category, rank, facts" in r.stderr
    assert not (tmp_path / "x.html").exists()

"""Reports: golden Markdown and context, escaping in every format, template lookup and errors.

Regenerate the golden files with ``make golden`` (KAOHE_UPDATE_GOLDEN=1).
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from kaohe.engine.errors import RunError
from kaohe.engine.report import build_context, load_history, write_report
from kaohe.engine.report.__init__ import context_json
from tests.golden import check_golden
from tests.samples import MINI, Q1

XSS = "<script>alert(1)</script>"
NOTE = 'note <b onmouseover="x()">bold</b> & | pipe'


def test_golden_markdown(mini_runs, tmp_path):
    store, info, units, region = mini_runs
    out = write_report(info, units, tmp_path / "r.md", fmt="md", region_dir=region,
                       history=load_history(store, info))
    check_golden("report_mini.md", out.read_text(encoding="utf-8"))


def test_golden_context(mini_runs):
    store, info, units, _ = mini_runs
    context = build_context(info, units, lang="zh", history=load_history(store, info))
    check_golden("context_mini.json", context_json(context))


def test_english_markdown_has_english_fixed_text(mini_runs, tmp_path):
    _, info, units, region = mini_runs
    text = write_report(info, units, tmp_path / "r.md", fmt="md", lang="en").read_text(encoding="utf-8")
    assert "## Traffic-light board" in text and "考核结果报告" not in text


def _hostile(units):
    first = dataclasses.replace(units[0], name=XSS, notes=[NOTE], alerts=[XSS])
    second = dataclasses.replace(units[1], name="=HYPERLINK(\"http://x\",\"y\")")
    return [first, second, *units[2:]]


def test_xss_is_escaped_in_every_format(mini_runs, tmp_path):
    _, info, units, region = mini_runs
    units = _hostile(units)
    html = write_report(info, units, tmp_path / "r.html", region_dir=region).read_text(encoding="utf-8")
    assert "<script" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b onmouseover=&#34;x()&#34;&gt;bold&lt;/b&gt; &amp; | pipe" in html

    md = write_report(info, units, tmp_path / "r.md", fmt="md").read_text(encoding="utf-8")
    assert "<script" not in md and "<b " not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "&lt;b onmouseover=\"x()\"&gt;bold&lt;/b&gt; &amp; \\| pipe" in md

    doc = json.loads(write_report(info, units, tmp_path / "r.json", fmt="json").read_text(encoding="utf-8"))
    assert doc["units"][0]["name"] == XSS and doc["units"][0]["notes"] == [NOTE]

    from openpyxl import load_workbook

    wb = load_workbook(write_report(info, units, tmp_path / "r.xlsx", fmt="xlsx"))
    cells = {c.value: c for row in wb["结果"].iter_rows() for c in row}
    assert cells[XSS].data_type == "s"
    assert cells['=HYPERLINK("http://x","y")'].data_type == "s"  # text, not a formula
    assert NOTE in cells


def test_per_unit_cards_show_only_their_own_unit(mini_runs, tmp_path):
    store, info, units, region = mini_runs
    folder = write_report(info, _hostile(units), tmp_path / "cards", per_unit=True, region_dir=region,
                          history=load_history(store, info))
    files = sorted(p.name for p in folder.iterdir())
    # named by unit name; the hostile name is made safe for every file system
    assert files == sorted(["_script_alert(1)__script_.html", "=HYPERLINK(_http___x_,_y_).html", "刑三庭.html",
                            "刑四庭.html", "刑五庭.html", "民一庭.html"])
    c03 = (folder / "刑三庭.html").read_text(encoding="utf-8")
    assert "刑三庭" in c03 and "刑二庭" not in c03 and "刑四庭" not in c03 and "<svg" in c03
    assert "<script" not in (folder / "_script_alert(1)__script_.html").read_text(encoding="utf-8")
    md = write_report(info, units, tmp_path / "md", fmt="md", per_unit=True)
    assert "刑二庭" not in (md / "刑三庭.md").read_text(encoding="utf-8")


def test_html_sections_charts_and_trends(mini_runs, tmp_path):
    store, info, units, region = mini_runs
    html = write_report(info, units, tmp_path / "r.html", region_dir=region,
                        history=load_history(store, info)).read_text(encoding="utf-8")
    for section in ("summary", "board", "ranking", "cards", "alerts", "diagnostics"):
        assert f'<section id="{section}">' in html
    assert html.count("<svg") == 1 + 2 + 6 * 2  # grades, 2 histograms, per unit: bar + trend
    assert "http://" not in html.replace("http://www.w3.org", "")  # only SVG namespaces
    assert "亮灯历史" in html and "2025Q1" in html and "督办" in html


def test_ranking_switch_hides_rankings(project, tmp_path):
    from kaohe.engine.run import run

    root = project({"mini.yaml": MINI + "report: {ranking: false}\n", "q1.csv": Q1})
    outcome = run(root / "mini.yaml", root / "q1.csv", period="2025Q1", db=f"sqlite:///{tmp_path / 'k.db'}")
    html = write_report(outcome.info, outcome.units, tmp_path / "r.html").read_text(encoding="utf-8")
    md = write_report(outcome.info, outcome.units, tmp_path / "r.md", fmt="md").read_text(encoding="utf-8")
    assert 'id="ranking"' not in html and "类别内排名" not in md


def test_flat_category_is_diagnosed(mini_runs):
    _, info, units, _ = mini_runs
    flat = [dataclasses.replace(u, score=80.0 + i * 0.5, category="criminal") for i, u in enumerate(units)]
    diag = build_context(info, flat, lang="zh")["diagnostics"]
    criminal = next(c for c in diag["categories"] if c["category"] == "criminal")
    assert criminal["flat"] and criminal["spread"] <= 5 and "扁平化" in criminal["warning"]
    spread = build_context(info, units, lang="zh")["diagnostics"]
    assert not spread["any_flat"]


def test_region_template_overrides_one_file(mini_runs, tmp_path):
    _, info, units, region = mini_runs
    (region / "templates").mkdir()
    (region / "templates" / "report.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    html = write_report(info, units, tmp_path / "r.html", region_dir=region).read_text(encoding="utf-8")
    assert "#123456" in html and "亮灯看板" in html  # region CSS, project report.html.j2


def test_ruleset_can_choose_another_report_template(mini_runs, tmp_path):
    import dataclasses
    import json

    _, info, units, region = mini_runs
    (region / "templates").mkdir()
    (region / "templates" / "brief.html.j2").write_text("<h1>{{ run.name }}</h1><p>{{ units | length }}</p>",
                                                        encoding="utf-8")
    doc = json.loads(info.ruleset_json)
    doc["report"] = {**doc.get("report", {}), "template": "brief.html.j2"}
    chosen = dataclasses.replace(info, ruleset_json=json.dumps(doc, ensure_ascii=False))
    html = write_report(chosen, units, tmp_path / "r.html", region_dir=region).read_text(encoding="utf-8")
    assert html == f"<h1>{info.ruleset_name}</h1><p>{len(units)}</p>"


@pytest.mark.parametrize("fmt, name", [("html", "report.html.j2"), ("md", "report.md.j2")])
def test_template_typo_names_file_and_line(mini_runs, tmp_path, fmt, name):
    _, info, units, region = mini_runs
    (region / "templates").mkdir()
    (region / "templates" / name).write_text("line one\n{{ run.id }}\n{{ run.perod }}\n", encoding="utf-8")
    with pytest.raises(RunError) as e:
        write_report(info, units, tmp_path / f"r.{fmt}", fmt=fmt, region_dir=region)
    problem = e.value.problems[0]
    assert problem.location is not None and problem.location.line == 3
    assert problem.location.file is not None and problem.location.file.endswith(name)
    assert "perod" in e.value.render("en") and f"{name}:3" in e.value.render("en")


def test_sandbox_blocks_internals(mini_runs, tmp_path):
    _, info, units, region = mini_runs
    (region / "templates").mkdir()
    (region / "templates" / "report.html.j2").write_text(
        "{{ run.__class__.__mro__[1].__subclasses__() }}", encoding="utf-8")
    with pytest.raises(RunError, match="report.html.j2"):
        write_report(info, units, tmp_path / "r.html", region_dir=region)


def test_missing_chromium_is_a_clear_error(mini_runs, tmp_path, monkeypatch):
    _, info, units, _ = mini_runs
    monkeypatch.setenv("KAOHE_CHROMIUM", "no-such-browser")
    with pytest.raises(RunError) as e:
        write_report(info, units, tmp_path / "r.pdf", fmt="pdf")
    assert "Chromium" in e.value.render("en") and "make sysdeps" in e.value.render("en")


def test_cli_report_formats(court_runs, kaohe, tmp_path):
    run_id = court_runs
    for fmt in ("html", "md", "xlsx", "json"):
        r = kaohe("report", run_id[:8], "--format", fmt, "--out", tmp_path / f"out.{fmt}")
        assert r.exit_code == 0, r.stderr
        assert (tmp_path / f"out.{fmt}").stat().st_size > 0
    r = kaohe("report", run_id, "--per-unit", "--format", "md", "--out", tmp_path / "cards", "--lang", "en")
    assert r.exit_code == 0 and "report written" in r.stdout and (tmp_path / "cards" / "刑一庭.md").exists()
    r = kaohe("report", run_id, "--format", "docx")
    assert r.exit_code == 2 and "docx" in r.stderr  # a usage error, before anything is read


def test_cli_run_writes_report(project, kaohe, tmp_path):
    root = project({"mini.yaml": MINI, "q1.csv": Q1})
    r = kaohe("run", root / "mini.yaml", "--facts", root / "q1.csv", "--period", "2025Q1",
              "--report", tmp_path / "r.md", "--format", "md")
    assert r.exit_code == 0, r.stderr
    assert "亮灯看板" in (tmp_path / "r.md").read_text(encoding="utf-8")


@pytest.fixture
def court_runs(project, kaohe):
    root = project({"mini.yaml": MINI, "q1.csv": Q1})
    r = kaohe("run", root / "mini.yaml", "--facts", root / "q1.csv", "--period", "2025Q1", "--json")
    assert r.exit_code == 0, r.stderr
    return r.json()["run"]["id"]

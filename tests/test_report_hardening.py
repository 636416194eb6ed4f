"""Reports against hostile input: unit names, templates that never end, output paths that cannot be written."""

from __future__ import annotations

import dataclasses
import os
import re
import time
from pathlib import Path

import pytest

from kaohe.engine.errors import RunError
from kaohe.engine.report import write_report


def _renamed(units, name):  # type: ignore[no-untyped-def]
    return [dataclasses.replace(units[0], name=name), *units[1:]]


@pytest.mark.parametrize("name", ["[l](javascript:alert(1))", "![i](http://x/y.png)", "<javascript:alert(1)>",
                                  "[l]: javascript:alert(1)", "`code` *em* _em_"])
def test_markdown_keeps_link_syntax_in_unit_names_as_text(mini_runs, tmp_path, name):  # noqa: F811
    import markdown_it

    _, info, units, _ = mini_runs
    md = write_report(info, _renamed(units, name), tmp_path / "r.md", fmt="md").read_text(encoding="utf-8")
    assert not re.search(r"(?<!\\)\[[^\]]*(?<!\\)\]\(", md)  # no `[text](` left unescaped for any renderer
    html = markdown_it.MarkdownIt("commonmark").enable("table").render(md)
    assert "<a " not in html and "<img" not in html and "<code>code" not in html and "<em>" not in html
    # the name is still readable after rendering
    assert name.replace("<", "&lt;").replace(">", "&gt;") in html


def test_control_characters_in_unit_names_reach_excel_as_visible_marks(mini_runs, tmp_path):  # noqa: F811
    from openpyxl import load_workbook

    _, info, units, _ = mini_runs
    hostile = [dataclasses.replace(units[0], name="东\x01城\x0b镇", notes=["备注\x1f"]), *units[1:]]
    path = write_report(info, hostile, tmp_path / "r.xlsx", fmt="xlsx")
    wb = load_workbook(path)
    values = {c.value for row in wb["结果"].iter_rows() for c in row}
    assert "东\ufffd城\ufffd镇" in values and "备注\ufffd" in values


@pytest.mark.parametrize("body, code, line", [
    ("{% for i in range(10**9) %}{{ i }}{% endfor %}", "report.limit.range", 2),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "report.limit.recursion", 2),
    ("{{ 7 ** 1000000000 }}", "report.limit.power", 2),
    ("{{ 'x' * 10 ** 9 }}", "report.limit.sequence", 2),
    ("{{ 1 / 0 }}", "report.template_error", 2),
], ids=["range", "recursion", "power", "sequence", "zero-division"])
def test_runaway_template_is_a_located_error(mini_runs, tmp_path, body, code, line):  # noqa: F811
    _, info, units, region = mini_runs
    (region / "templates").mkdir()
    (region / "templates" / "report.md.j2").write_text(f"# title\n{body}\n", encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(RunError) as e:
        write_report(info, units, tmp_path / "r.md", fmt="md", region_dir=region)
    assert time.monotonic() - start < 30
    problem = e.value.problems[0]
    assert problem.code == code
    assert problem.location is not None and problem.location.line == line
    assert problem.location.file is not None and problem.location.file.endswith("report.md.j2")
    assert f"report.md.j2:{line}" in e.value.render("zh")
    assert not (tmp_path / "r.md").exists()


def test_nested_loops_stop_at_the_step_budget(mini_runs, tmp_path, monkeypatch):  # noqa: F811
    from kaohe.engine.report import sandbox

    _, info, units, region = mini_runs
    monkeypatch.setattr(sandbox, "MAX_STEPS", 200_000)
    (region / "templates").mkdir()
    (region / "templates" / "report.md.j2").write_text(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n", encoding="utf-8")
    start = time.monotonic()
    with pytest.raises(RunError) as e:
        write_report(info, units, tmp_path / "r.md", fmt="md", region_dir=region)
    assert time.monotonic() - start < 30
    assert e.value.problems[0].code == "report.limit.steps" and "200000" in e.value.render("en")


def test_the_stock_templates_stay_within_the_limits(mini_runs, tmp_path):  # noqa: F811
    _, info, units, region = mini_runs
    for fmt in ("html", "md"):
        assert write_report(info, units, tmp_path / f"r.{fmt}", fmt=fmt, region_dir=region).stat().st_size > 0


def test_out_that_is_a_folder_is_refused_before_rendering(mini_runs, kaohe, tmp_path):  # noqa: F811
    _, info, units, _ = mini_runs
    folder = tmp_path / "existing"
    folder.mkdir()
    with pytest.raises(RunError) as e:
        write_report(info, units, folder, fmt="md")
    assert e.value.problems[0].code == "report.out_is_dir"
    assert "existing/report.md" in e.value.render("en") and "--per-unit" in e.value.render("en")
    assert list(folder.iterdir()) == []


def test_per_unit_onto_an_existing_file_is_refused(mini_runs, tmp_path):  # noqa: F811
    _, info, units, _ = mini_runs
    target = tmp_path / "cards.html"
    target.write_text("keep me", encoding="utf-8")
    with pytest.raises(RunError) as e:
        write_report(info, units, target, per_unit=True)
    assert e.value.problems[0].code == "report.per_unit_onto_file"
    assert target.read_text(encoding="utf-8") == "keep me"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_unwritable_device_is_a_clear_error_and_the_device_survives(mini_runs, tmp_path):  # noqa: F811
    _, info, units, _ = mini_runs
    with pytest.raises(RunError) as e:
        write_report(info, units, Path("/dev/full"), fmt="md")
    assert e.value.problems[0].code == "report.write_failed" and "/dev/full" in e.value.render("en")
    assert Path("/dev/full").exists() and not Path("/dev/full").is_file()


def test_a_failed_write_keeps_the_old_report(mini_runs, tmp_path, monkeypatch):  # noqa: F811
    _, info, units, _ = mini_runs
    target = tmp_path / "r.md"
    target.write_text("old report", encoding="utf-8")

    def broken_replace(src, dst):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(RunError, match="No space left"):
        write_report(info, units, target, fmt="md")
    assert target.read_text(encoding="utf-8") == "old report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".r.md")] == []


def test_written_report_gets_ordinary_permissions(mini_runs, tmp_path):  # noqa: F811
    _, info, units, _ = mini_runs
    path = write_report(info, units, tmp_path / "r.md", fmt="md")
    umask = os.umask(0o022)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("args, code, words", [
    (["--out", "{dir}"], 3, "是一个文件夹"),
    (["--per-unit", "--out", "{file}"], 3, "已有的文件"),
    (["--format", "md", "--out", "/dev/full"], 3, "无法写入报告 /dev/full"),
], ids=["out-is-dir", "per-unit-onto-file", "dev-full"])
def test_cli_report_output_errors(kaohe, project, tmp_path, args, code, words):
    from tests.samples import MINI, Q1

    root = project({"mini.yaml": MINI, "q1.csv": Q1})
    r = kaohe("run", root / "mini.yaml", "--facts", root / "q1.csv", "--period", "2025Q1", "--json")
    run_id = r.json()["run"]["id"]
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile.html").write_text("x", encoding="utf-8")
    args = [a.format(dir=tmp_path / "adir", file=tmp_path / "afile.html") for a in args]
    r = kaohe("report", run_id, *args)
    assert r.exit_code == code, r.stdout + r.stderr
    assert words in r.stderr and "Traceback" not in r.stderr + r.stdout

"""``kaohe form``: write the Excel form (填报表) units or departments fill in."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kaohe.engine.cli.options import AllowOutsideOpt, DbOpt, LangOpt, extends_policy, lang_of
from kaohe.engine.cli.output import out, reported
from kaohe.engine.cli.translate import register_help
from kaohe.engine.i18n import register, text

register(
    {
        "cli.form.written": ("填报表已写入：{path}（工作表：{sheets}；{units} 个单位；考核期 {period}）",
                             "form written: {path} (sheets: {sheets}; {units} units; period {period})"),
        "cli.form.no_period": ("未定", "not set"),
    }
)


def form(
    ruleset: Annotated[Path, typer.Argument(metavar="RULESET", help="ruleset file")],
    out_path: Annotated[Path, typer.Option("--out", help="the .xlsx file to write, e.g. 填报表.xlsx")],
    units_file: Annotated[Path | None, typer.Option(
        "--units", help="units to pre-fill: a file with unit, name, category (CSV, XLSX or JSON)")] = None,
    run: Annotated[str | None, typer.Option(
        "--run", help="a stored run: its units, the next period, and its values as grey reference columns")] = None,
    source: Annotated[str | None, typer.Option(
        "--source", help="only the columns of this source (a department, as in the facts' source:)")] = None,
    category: Annotated[str | None, typer.Option("--category", help="only units of this category (id or label)")] = None,
    period: Annotated[str | None, typer.Option("--period", help="the period the form collects, e.g. 2025Q2")] = None,
    db: DbOpt = None,
    allow_outside: AllowOutsideOpt = False,
    lang: LangOpt = None,
) -> None:
    """Write the Excel form to fill in: instructions, one sheet per source, validation, protection."""
    from kaohe.engine.form import make_form

    lg = lang_of(lang)
    with reported(lg):
        result = make_form(ruleset, out_path, units_file=units_file, run=run, db=db, source=source,
                           category=category, period=period, lang=lg,
                           extends=extends_policy(ruleset, [ruleset], allow_outside))
        out.print(text("cli.form.written", lg, path=result.path, sheets="、".join(result.sheets), units=result.units,
                       period=result.period or text("cli.form.no_period", lg)), markup=False)


register_help({
    form: "生成供填报的 Excel 表：填表说明、每个数据来源一张工作表、数据验证、工作表保护。",
    "ruleset file": "规则集文件",
    "the .xlsx file to write, e.g. 填报表.xlsx": "要写出的 .xlsx 文件，如 填报表.xlsx",
    "units to pre-fill: a file with unit, name, category (CSV, XLSX or JSON)":
        "预先填入的单位：含 unit、name、category 列的文件（CSV、XLSX 或 JSON）",
    "a stored run: its units, the next period, and its values as grey reference columns":
        "一次已保存的运行：取其单位、下一考核期，并把其数值作为灰色参考列",
    "only the columns of this source (a department, as in the facts' source:)":
        "只包含这个数据来源的列（一个部门，即事实的 source:）",
    "only units of this category (id or label)": "只包含这个类别的单位（类别 id 或名称）",
    "the period the form collects, e.g. 2025Q2": "表格收集的考核期，如 2025Q2",
})

COMMANDS = {"form": form}

"""``kaohe diff``: the impact of a rule change before it is adopted (three forms, one output)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kaohe.engine.cli.options import (
    AllowOutsideOpt,
    DbOpt,
    JsonOpt,
    LangOpt,
    StrictOpt,
    extends_policy,
    lang_of,
)
from kaohe.engine.cli.output import err, out, print_json, reported
from kaohe.engine.cli.translate import register_help
from kaohe.engine.i18n import Lang, register, text

register(
    {
        "cli.diff.usage": (
            "用法：kaohe diff 旧.yaml 新.yaml --facts 数据文件 | kaohe diff 运行 --ruleset 新.yaml | kaohe diff 运行A 运行B",
            "usage: kaohe diff OLD.yaml NEW.yaml --facts FILE | kaohe diff RUN --ruleset NEW.yaml | kaohe diff RUN_A RUN_B"),
        "cli.diff.header": ("比较：{old} → {new}", "comparing: {old} → {new}"),
        "cli.diff.more": ("……还有 {count} 个（完整列表见 --json 或 --report）",
                          "… {count} more (all of them in --json or --report)"),
        "cli.diff.score_only": ("另有 {count} 个单位只是分数变化（等次、排名不变）",
                                "{count} more units change score only (same grade and rank)"),
        "cli.diff.report_suffix": ("--report 的文件名应以 .html、.md 或 .xlsx 结尾：{path}",
                                   "--report must end in .html, .md or .xlsx: {path}"),
    }
)

REPORT_SUFFIXES = (".html", ".md", ".xlsx")


def diff(
    sides: Annotated[list[str], typer.Argument(metavar="OLD [NEW]",
                                               help="two ruleset files with --facts; one run with --ruleset; or two runs")],
    facts: Annotated[Path | None, typer.Option("--facts", help="facts file evaluated under both rulesets")] = None,
    ruleset: Annotated[Path | None, typer.Option("--ruleset", help="new ruleset to evaluate the run's facts under")] = None,
    period: Annotated[str | None, typer.Option("--period", help="e.g. 2025Q4 (with --facts)")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="also write x.html, x.md or x.xlsx")] = None,
    limit: Annotated[int, typer.Option("--limit", help="units listed on the terminal", min=0)] = 50,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    strict: StrictOpt = False,
    allow_outside: AllowOutsideOpt = False,
    lang: LangOpt = None,
) -> None:
    """What a rule change would do: rule changes in words, grade transitions, causes, flatness.

    Nothing is stored. Exit 1 ruleset, 2 facts, 3 failed.
    """
    from kaohe.engine.diff import diff_rulesets, diff_run_under, diff_runs

    lg = lang_of(lang)
    if report is not None and report.suffix.lower() not in REPORT_SUFFIXES:
        err.print(text("cli.diff.report_suffix", lg, path=report), markup=False)
        raise typer.Exit(2)
    form = _form(sides, facts, ruleset)
    if form is None:
        err.print(text("cli.diff.usage", lg), markup=False)
        raise typer.Exit(2)
    with reported(lg, as_json):
        if form == "rulesets":
            assert facts is not None
            old, new = Path(sides[0]), Path(sides[1])
            result = diff_rulesets(old, new, facts, period=period, sheet=sheet, db=db, strict=strict,
                                   extends=extends_policy(new, [old, new], allow_outside))
        elif form == "run_under":
            assert ruleset is not None
            result = diff_run_under(sides[0], ruleset, db=db, strict=strict,
                                    extends=extends_policy(ruleset, [ruleset], allow_outside))
        else:
            result = diff_runs(sides[0], sides[1], db=db)
        if report is not None:
            from kaohe.engine.diff.report import write_diff_report

            write_diff_report(result, report, lang=lg)
        if as_json:
            print_json(result.as_json(lg))
            return
        _print(result, lg, limit)
        if report is not None:
            out.print(text("cli.report.written", lg, path=report), markup=False)


def _form(sides: list[str], facts: Path | None, ruleset: Path | None) -> str | None:
    if facts is not None and ruleset is None and len(sides) == 2:
        return "rulesets"
    if ruleset is not None and facts is None and len(sides) == 1:
        return "run_under"
    if facts is None and ruleset is None and len(sides) == 2:
        return "runs"
    return None


def _print(result, lg: Lang, limit: int) -> None:  # type: ignore[no-untyped-def]
    from kaohe.engine.diff.context import build_context

    ctx = build_context(result, lg)
    t = ctx["t"]
    out.print(text("cli.diff.header", lg, old=_side_title(ctx["old"]), new=_side_title(ctx["new"])), markup=False)
    out.print(f"\n{t['changes']}（{len(ctx['changes'])}）" if lg == "zh" else f"\n{t['changes']} ({len(ctx['changes'])})",
              markup=False)
    for c in ctx["changes"]:
        out.print(f"  · {c['text']}", markup=False)
    if not ctx["changes"]:
        out.print(f"  {t['no_changes']}", markup=False)
    out.print(f"\n{t['impact']}：{ctx['summary_text']}" if lg == "zh" else f"\n{t['impact']}: {ctx['summary_text']}",
              markup=False)
    out.print(_matrix_table(ctx["matrix"], f"{t['matrix']} · {t['all_units']}", t))
    if len(ctx["categories"]) > 1:
        for c in ctx["categories"]:
            out.print(_matrix_table(c["matrix"], c["label"], t))
    shown = ctx["units"]
    out.print(f"\n{t['units']}", markup=False)
    for u in shown[:limit]:
        out.print(f"  {u['unit']} {u['name']}（{u['category_label']}）  {u['old_text']} → {u['new_text']}  "
                  f"{u['delta_text']}", markup=False)
        if u["causes_text"]:
            out.print(f"      {t['because']}{u['causes_text']}", markup=False)
    if not shown:
        out.print(f"  {t['no_units']}", markup=False)
    elif len(shown) > limit:
        out.print("  " + text("cli.diff.more", lg, count=len(shown) - limit), markup=False)
    rest = len(ctx["score_only"])
    if rest:
        out.print("  " + text("cli.diff.score_only", lg, count=rest), markup=False)
    flat = Table(t["scope"], f"{t['old']} {t['spread']}", f"{t['new']} {t['spread']}", title=t["flatness"])
    for f in ctx["flatness"]:
        flat.add_row(f["label"], f["before_text"], f["after_text"])
    out.print(flat)


def _side_title(side: dict[str, object]) -> str:
    where = f"{side['ruleset']}" + (f" · {side['period']}" if side["period"] else "")
    return f"{side['source']}（{where}）"


def _matrix_table(matrix: dict, title: str, t: dict[str, str]) -> Table:  # type: ignore[type-arg]
    table = Table(f"{t['old']} \\ {t['new']}", *matrix["columns"], t["total"], title=title)
    for row in matrix["rows"]:
        cells = [f"[bold]{n}[/bold]" if same and n else str(n) for n, same in zip(row["counts"], row["same"], strict=True)]
        table.add_row(row["grade"], *cells, str(row["total"]))
    table.add_row(t["total"], *map(str, matrix["totals"]), str(sum(matrix["totals"])))
    return table


register_help({
    diff: "规则变化会带来什么影响：用文字说明规则的变化、等次变化矩阵、变化的原因、分数的离散程度。\n\n"
          "不保存任何结果。退出码：1 规则集无效，2 事实数据无效，3 失败。",
    "two ruleset files with --facts; one run with --ruleset; or two runs":
        "两个规则集文件（加 --facts）；一次运行（加 --ruleset）；或两次运行",
    "facts file evaluated under both rulesets": "在两个规则集下分别评估的事实数据文件",
    "new ruleset to evaluate the run's facts under": "用来重新评估该次运行事实数据的新规则集",
    "e.g. 2025Q4 (with --facts)": "考核期间，如 2025Q4（与 --facts 一起使用）",
    "also write x.html, x.md or x.xlsx": "同时写出报告 x.html、x.md 或 x.xlsx",
    "units listed on the terminal": "终端上列出的单位数",
})

COMMANDS = {"diff": diff}

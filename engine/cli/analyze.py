"""``kaohe analyze RUN…``: correlation/regression diagnostics across a run's indicators."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from kaohe.engine.cli.options import DbOpt, JsonOpt, LangOpt, lang_of
from kaohe.engine.cli.output import err, out, print_json, reported
from kaohe.engine.cli.translate import register_help
from kaohe.engine.i18n import Lang, register, text

register(
    {
        "cli.analyze.unknown_target": ("运行中没有指标 `{target}`；可用：{known}",
                                       "no indicator `{target}` in the run(s); known: {known}"),
        "cli.analyze.title": ("指标相关分析（{rows} 行，运行 {runs}）", "indicator correlations ({rows} rows, runs {runs})"),
        "cli.analyze.none": ("没有可分析的指标对（每个指标至少需要 3 个有差异的值）",
                             "no indicator pairs to analyse (each needs at least 3 differing values)"),
        "cli.analyze.flag": ("⚠ 指标 `{indicator}` 不能区分单位（{reason}）：{detail}",
                             "⚠ indicator `{indicator}` does not differentiate units ({reason}): {detail}"),
        "cli.analyze.effect.negligible": ("可忽略", "negligible"), "cli.analyze.effect.small": ("弱", "small"),
        "cli.analyze.effect.medium": ("中", "medium"), "cli.analyze.effect.large": ("强", "large"),
        "cli.analyze.metric_title": ("{title}（指标 {indicator}，运行 {run}）", "{title} (indicator {indicator}, run {run})"),
        "cli.analyze.metric_warning": ("⚠ 指标 `{indicator}`（运行 {run}）：{warning}",
                                       "⚠ indicator `{indicator}` (run {run}): {warning}"),
    }
)


def _p(p: float) -> str:
    return "—" if p != p else ("<0.001" if p < 0.001 else f"{p:.3f}")


def analyze(
    runs: Annotated[list[str], typer.Argument(metavar="RUN", help="stored run ids (or unique prefixes); several are pooled")],
    target: Annotated[str | None, typer.Option("--target", help="only correlate with this indicator")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Which indicators move together (Pearson/Spearman r, p, effect size), and which never differentiate units."""
    from kaohe.engine.analyze import analyze_runs, metric_tables
    from kaohe.engine.errors import Problem, RunError

    lg = lang_of(lang)
    with reported(lg, as_json):
        metrics = metric_tables(runs, db=db, lang=lg)
        try:
            result = analyze_runs(runs, db=db, target=target)
        except KeyError:
            from kaohe.engine.store import Store

            store = Store(db)
            known = sorted({k for r in runs for u in store.load_units(store.get_run(r).id) for k in u.indicators})
            raise RunError(Problem("cli.analyze.unknown_target",
                                   {"target": target, "known": ", ".join(known)})) from None
    if as_json:
        print_json({**result.as_json(), "metrics": metrics})
        return
    from rich.table import Table

    table = Table("a", "b", "n", "Pearson r", "p", "Spearman ρ", "p", "r²", "slope", "effect",
                  title=text("cli.analyze.title", lg, rows=result.rows, runs=", ".join(result.runs)))
    for c in result.correlations:
        table.add_row(c.a, c.b, str(c.n), f"{c.pearson_r:+.3f}", _p(c.pearson_p), f"{c.spearman_rho:+.3f}",
                      _p(c.spearman_p), f"{c.r2:.3f}", f"{c.slope:.4g}", text(f"cli.analyze.effect.{c.effect}", lg))
    if result.correlations:
        out.print(table)
    else:
        out.print(text("cli.analyze.none", lg), markup=False)
    for f in result.flags:
        err.print(text("cli.analyze.flag", lg, indicator=f.indicator, reason=f.code, detail=f.detail), markup=False)
    _print_metrics(metrics, lg)


def _cell(x: object) -> str:
    if x is None:
        return "—"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _print_metrics(metrics: list[dict[str, Any]], lg: Lang) -> None:
    """Each plugin metric's own tables (e.g. rating: raw → corrected per ratee), then its warnings."""
    from rich.table import Table

    for m in metrics:
        for t in m["tables"]:
            table = Table(*(c["header"] for c in t["columns"]), title=text(
                "cli.analyze.metric_title", lg, title=t["title"], indicator=m["indicator"], run=m["run"]))
            for row in t["rows"]:
                table.add_row(*(_cell(row.get(c["key"])) for c in t["columns"]))
            out.print(table)
        for w in m["warnings"]:
            err.print(text("cli.analyze.metric_warning", lg, indicator=m["indicator"], run=m["run"], warning=w),
                      markup=False)


COMMANDS = {"analyze": analyze}

register_help({
    analyze: "哪些指标一同变化（Pearson/Spearman 相关系数、p 值、效应量），哪些指标从不区分单位。",
    "stored run ids (or unique prefixes); several are pooled": "已保存运行的编号（或唯一前缀）；多个运行合并分析",
    "only correlate with this indicator": "只计算与此指标的相关",
})

"""``kaohe analyze RUN…``: correlation/regression diagnostics across a run's indicators."""

from __future__ import annotations

from typing import Annotated

import typer

from kaohe.engine.cli.options import DbOpt, JsonOpt, LangOpt, lang_of
from kaohe.engine.cli.output import err, out, print_json, reported
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
        "cli.analyze.rating.title": ("评议校正：校正使每个被评对象的得分移动了多少（按移动幅度排序）",
                                     "rating corrections: how far correction moved each ratee (largest first)"),
        "cli.analyze.rating.indicator": ("指标", "indicator"), "cli.analyze.rating.unit": ("被评对象", "ratee"),
        "cli.analyze.rating.ratings": ("评价数", "ratings"), "cli.analyze.rating.raw": ("原始均分", "raw"),
        "cli.analyze.rating.standardised": ("标准化后", "standardised"),
        "cli.analyze.rating.final": ("最终", "final"), "cli.analyze.rating.shift": ("移动", "shift"),
    }
)


def _p(p: float) -> str:
    return "—" if p != p else ("<0.001" if p < 0.001 else f"{p:.3f}")


def analyze(
    runs: Annotated[list[str], typer.Argument(help="stored run ids (or unique prefixes); several are pooled")],
    target: Annotated[str | None, typer.Option("--target", help="only correlate with this indicator")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh",
) -> None:
    """Which indicators move together (Pearson/Spearman r, p, effect size), and which never differentiate units."""
    from kaohe.engine.analyze import analyze_runs, rating_corrections
    from kaohe.engine.errors import Problem, RunError

    lg = lang_of(lang)
    with reported(lg, as_json):
        corrections = rating_corrections(runs, db=db)
        try:
            result = analyze_runs(runs, db=db, target=target)
        except KeyError:
            from kaohe.engine.store import Store

            store = Store(db)
            known = sorted({k for r in runs for u in store.load_units(store.get_run(r).id) for k in u.indicators})
            raise RunError(Problem("cli.analyze.unknown_target",
                                   {"target": target, "known": ", ".join(known)})) from None
    if as_json:
        print_json({**result.as_json(), "rating_corrections": corrections})
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
    if corrections:
        _print_corrections(corrections, lg)


def _num(x: object) -> str:
    return "—" if x is None else f"{float(x):.2f}"  # type: ignore[arg-type]


def _print_corrections(rows: list[dict[str, object]], lg: Lang) -> None:
    """How far the rating corrections moved each ratee (largest moves first)."""
    from rich.table import Table

    table = Table(*(text(f"cli.analyze.rating.{c}", lg) for c in
                    ("indicator", "unit", "ratings", "raw", "standardised", "final", "shift")),
                  title=text("cli.analyze.rating.title", lg))
    for r in sorted(rows, key=lambda r: (-abs(float(r["shift"] or 0)), str(r["unit"]))):  # type: ignore[arg-type]
        table.add_row(str(r["indicator"]), str(r["unit"]), str(r["ratings"]), _num(r["raw"]),
                      _num(r["standardised"]), _num(r["final"]), _num(r["shift"]))
    out.print(table)


COMMANDS = {"analyze": analyze}

"""``kaohe demo`` / ``make demo``: the bundled example court, four quarters and the annual 评优.

The quarters run in order (so ``previous.`` has data); the report of the last
quarter has the 督办 follow-up of the year's alerts; then the annual appraisal
rolls the four quarters up (``rollup:`` facts) and gets its own report.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kaohe.engine.errors import Problem, RunError
from kaohe.engine.i18n import Lang, register, text
from kaohe.engine.resources import examples_dir, rulesets_dir
from kaohe.engine.run import run

DEMO_REGION = "shunde-court"
DEMO_RULESET = rulesets_dir() / DEMO_REGION / "court.yaml"
DEMO_FACTS = examples_dir() / DEMO_REGION
ANNUAL_REGION = "shunde-court-annual"
ANNUAL_RULESET = rulesets_dir() / ANNUAL_REGION / "annual.yaml"
ANNUAL_FACTS = examples_dir() / ANNUAL_REGION / "2025.csv"

register(
    {
        "demo.missing": ("找不到示例文件 {path}（kaohe 安装不完整，请重新安装）",
                         "example file {path} not found (kaohe is installed incompletely; reinstall it)"),
        "demo.period": ("  {period}：{units} 个单位，运行 {id}{reused}", "  {period}: {units} units, run {id}{reused}"),
        "demo.reused": ("（已存在）", " (already stored)"),
        "demo.annual": ("  年度评优 {period}（由四个季度汇总）：{units} 个单位，运行 {id}{reused}，报告 {path}",
                        "  annual {period} (rolled up from the quarters): {units} units, run {id}{reused}, report {path}"),
    }
)


def run_demo(*, db: str | None, out_dir: Path, lang: Lang, echo: Callable[[str], None]) -> Path:
    """Run every period of the demo region in order (so `previous.` has data); report the last."""
    facts_files = sorted(DEMO_FACTS.glob("*.csv"))
    for needed in (DEMO_RULESET, *(facts_files[:1] or [DEMO_FACTS / "2025Q1.csv"])):
        if not needed.exists():
            raise RunError(Problem("demo.missing", {"path": str(needed)}))
    outcome = None
    for facts in facts_files:
        outcome = run(DEMO_RULESET, facts, db=db)
        echo(text("demo.period", lang, period=outcome.info.period, units=outcome.info.units,
                  id=outcome.info.id, reused=text("demo.reused", lang) if outcome.reused else ""))
    assert outcome is not None
    from kaohe.engine.report import history_from_store, write_report
    from kaohe.engine.store import Store
    from kaohe.engine.store_inputs import report_sources

    store = Store(db)
    path = out_dir / f"{DEMO_REGION}-{outcome.info.period}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    history = history_from_store(store, outcome.info)
    write_report(outcome.info, list(outcome.units), path, lang=lang, region_dir=DEMO_RULESET.parent, history=history,
                 sources=report_sources(store.engine, outcome.info.id, lang))
    if ANNUAL_RULESET.exists() and ANNUAL_FACTS.exists():
        annual = run(ANNUAL_RULESET, ANNUAL_FACTS, db=db)
        annual_path = out_dir / f"{ANNUAL_REGION}-{annual.info.period}.html"
        write_report(annual.info, list(annual.units), annual_path, lang=lang, region_dir=ANNUAL_RULESET.parent,
                     history=history_from_store(store, annual.info),
                     sources=report_sources(store.engine, annual.info.id, lang))
        echo(text("demo.annual", lang, period=annual.info.period, units=annual.info.units, id=annual.info.id,
                  reused=text("demo.reused", lang) if annual.reused else "", path=annual_path))
    return path

"""``kaohe demo`` / ``make demo``: the bundled example court, four quarters, one report."""

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

register(
    {
        "demo.missing": ("找不到示例文件 {path}（kaohe 安装不完整，请重新安装）",
                         "example file {path} not found (kaohe is installed incompletely; reinstall it)"),
        "demo.period": ("  {period}：{units} 个单位，运行 {id}{reused}", "  {period}: {units} units, run {id}{reused}"),
        "demo.reused": ("（已存在）", " (already stored)"),
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

    path = out_dir / f"{DEMO_REGION}-{outcome.info.period}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(db)
    history = history_from_store(store, outcome.info)
    write_report(outcome.info, list(outcome.units), path, lang=lang, region_dir=DEMO_RULESET.parent, history=history,
                 sources=report_sources(store.engine, outcome.info.id, lang))
    return path

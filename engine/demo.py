"""``kaohe demo`` / ``make demo``: the bundled example court, four quarters, one report."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from engine.errors import Problem, RunError
from engine.i18n import Lang, register, text
from engine.run import run

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_REGION = "shunde-court"
DEMO_RULESET = PROJECT_ROOT / "rulesets" / DEMO_REGION / "court.yaml"
DEMO_FACTS = PROJECT_ROOT / "examples" / DEMO_REGION

register(
    {
        "demo.missing": ("找不到示例文件 {path}（请在 kaohe 项目目录中运行）",
                         "example file {path} not found (run from the kaohe project folder)"),
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
    from engine.report import history_from_store, write_report
    from engine.store import Store

    path = out_dir / f"{DEMO_REGION}-{outcome.info.period}.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    history = history_from_store(Store(db), outcome.info)
    write_report(outcome.info, outcome.units, path, lang=lang, region_dir=DEMO_RULESET.parent, history=history)
    return path

"""Commands that evaluate and read runs: test, run, explain, runs, report, demo."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kaohe.engine.cli.options import (
    AllowOutsideOpt,
    DbOpt,
    FormatOpt,
    JsonOpt,
    LangOpt,
    PerUnitOpt,
    StrictOpt,
    extends_policy,
    fact_sources,
    lang_of,
    report_format,
    ruleset_files,
)
from kaohe.engine.cli.output import err, out, print_json, reported
from kaohe.engine.cli.stored import StoredRun, after_storing, report_command
from kaohe.engine.cli.translate import register_help
from kaohe.engine.i18n import Lang, register, text

if TYPE_CHECKING:
    from kaohe.engine.ruleset import Ruleset

register(
    {
        "cli.test.pass": ("通过  {ruleset} · {name}", "PASS  {ruleset} · {name}"),
        "cli.test.fail": ("失败  {ruleset} · {name}", "FAIL  {ruleset} · {name}"),
        "cli.test.mismatch": ("    {key}{unit}：期望 {expected}，实际 {got}",
                              "    {key}{unit}: expected {expected}, got {got}"),
        "cli.test.summary": ("{passed} 个通过，{failed} 个失败", "{passed} passed, {failed} failed"),
        "cli.test.unfired": ("{ruleset}：没有测试用例触发以下规则：{rules}",
                             "{ruleset}: no test case makes these rules fire: {rules}"),
        "cli.run.reused": ("相同的规则集与数据已运行过（运行 {id}），直接返回已存结果；用 --force 重新运行",
                           "same ruleset and facts already ran (run {id}); returning the stored run. Use --force to re-run"),
        "cli.run.supersedes": ("本次运行替代了运行 {old}（原因：{reason}），原运行保留；kaohe runs --all 可查看",
                               "this run supersedes run {old} (reason: {reason}); that run is kept (kaohe runs --all)"),
        "cli.runs.no_reason": ("未说明", "none given"),
        "cli.runs.current": ("当前", "current"),
        "cli.runs.superseded": ("已被 {by} 替代", "superseded by {by}"),
        "cli.runs.published": ("已公示 {at}", "published {at}"),
        "cli.col.status": ("状态", "status"), "cli.col.reason": ("替代原因", "reason"),
        "cli.runs.supersedes": ("替代 {old}", "supersedes {old}"),
        "cli.publish.done": ("运行 {id}（{ruleset} · {period}）已公示：{at}", "run {id} ({ruleset} · {period}) published: {at}"),
        "cli.publish.again": ("运行 {id} 已于 {at} 公示过", "run {id} was already published on {at}"),
        "cli.run.done": ("运行 {id}：{ruleset} · {period} · {units} 个单位，已保存到 {db}",
                         "run {id}: {ruleset} · {period} · {units} units, stored in {db}"),
        "cli.report.written": ("报告已写入：{path}", "report written: {path}"),
        "cli.demo.done": ("示例完成。用浏览器打开报告：{path}", "demo done. Open the report in a browser: {path}"),
        "cli.col.unit": ("单位", "unit"), "cli.col.category": ("类别", "category"),
        "cli.col.score": ("总分", "score"), "cli.col.grade": ("等次", "grade"),
        "cli.col.rank": ("排名", "rank"), "cli.col.alerts": ("预警", "alerts"),
        "cli.col.run": ("运行", "run"), "cli.col.ruleset": ("规则集", "ruleset"),
        "cli.col.period": ("期间", "period"), "cli.col.units": ("单位数", "units"),
        "cli.col.created": ("时间", "created"),
        "cli.stage": ("正在加载规则集…", "loading the ruleset…"),
        "cli.after.load_ruleset": ("正在读取事实数据…", "reading the facts…"),
        "cli.after.load_facts": ("正在计算指标…", "computing indicators…"),
        "cli.after.indicators": ("正在评分与亮灯…", "scoring and lighting…"),
        "cli.after.scores": ("规则引擎运行中…", "running the rules…"),
        "cli.after.rules": ("正在评定等级…", "grading…"),
        "cli.after.grades": ("正在保存到数据库…", "saving to the database…"),
        "cli.after.store": ("完成", "done"),
    }
)


def test_cmd(
    rulesets: Annotated[list[Path], typer.Argument(metavar="RULESET", help="ruleset files or folders")],
    as_json: JsonOpt = False,
    allow_outside: AllowOutsideOpt = False,
    lang: LangOpt = None,
) -> None:
    """Run the `tests:` examples of rulesets; exit 1 on any failure."""
    from kaohe.engine.ruleset import load_ruleset
    from kaohe.engine.testing import run_tests, unfired_rules

    lg = lang_of(lang)
    passed = failed = 0
    docs = []
    with reported(lg, as_json):
        for f in ruleset_files(rulesets):
            rs = load_ruleset(f, extends=extends_policy(f, rulesets, allow_outside))
            outcomes = run_tests(rs)
            for o in outcomes:
                passed += o.passed
                failed += not o.passed
                docs.append({"ruleset": o.ruleset, "name": o.name, "passed": o.passed, "error": o.error_text(lg),
                             "mismatches": [m.__dict__ for m in o.mismatches]})
                if as_json:
                    continue
                key = "cli.test.pass" if o.passed else "cli.test.fail"
                (out if o.passed else err).print(text(key, lg, ruleset=o.ruleset, name=o.name), markup=False)
                if o.error:
                    err.print("    " + str(o.error_text(lg)), markup=False)
                for m in o.mismatches:
                    err.print(text("cli.test.mismatch", lg, key=m.key, unit=f" [{m.unit}]" if m.unit else "",
                                   expected=m.expected, got=m.got), markup=False)
            missing = unfired_rules(rs, outcomes)
            if missing and not as_json:
                out.print(text("cli.test.unfired", lg, ruleset=rs.model.id, rules=", ".join(missing)), markup=False)
    if as_json:
        print_json({"passed": passed, "failed": failed, "cases": docs})
    else:
        out.print(text("cli.test.summary", lg, passed=passed, failed=failed), markup=False)
    if failed:
        raise typer.Exit(1)


def run_cmd(
    ruleset: Annotated[Path, typer.Argument(metavar="RULESET", help="ruleset file, or a region folder (the version in force for the period is used)")],
    facts: Annotated[list[Path] | None, typer.Option(
        "--facts", help="facts file: CSV, XLSX, JSON or Parquet; repeat for several departments' files (joined by "
                        "unit); with --engine dask: one folder or glob of partition files")] = None,
    facts_sql: Annotated[Path | None, typer.Option("--facts-sql", help="facts from this SQL query (with --facts-db)")] = None,
    facts_db: Annotated[str | None, typer.Option(
        "--facts-db", help="database URL the --facts-sql query runs on", envvar="KAOHE_FACTS_DB")] = None,
    period: Annotated[str | None, typer.Option("--period", help="e.g. 2025Q1")] = None,
    db: DbOpt = None,
    as_json: JsonOpt = False,
    force: Annotated[bool, typer.Option("--force", help="store a new run even if the same inputs are stored")] = False,
    reason: Annotated[str | None, typer.Option(
        "--reason", help="why this run supersedes the current one (needed when that one is published)")] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="XLSX sheet name")] = None,
    report: Annotated[Path | None, typer.Option("--report", help="also write a report (see --format)")] = None,
    fmt_name: FormatOpt = None,
    per_unit: PerUnitOpt = False,
    strict: StrictOpt = False,
    engine: Annotated[str, typer.Option("--engine", help="local (default) or dask")] = "local",
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")] = None,
    allow_outside: AllowOutsideOpt = False,
    lang: LangOpt = None,
) -> None:
    """Evaluate facts under a ruleset and store the run (exit 1 ruleset, 2 facts, 3 run failed and nothing
    stored, 4 stored but the report could not be written)."""
    from contextlib import ExitStack, nullcontext

    lg = lang_of(lang)
    if engine not in ("local", "dask"):
        err.print(f"--engine: local | dask (got {engine!r})", markup=False)
        raise typer.Exit(2)
    stored = StoredRun()
    fmt = report_format(fmt_name, report)

    def command(run_id: str) -> str:
        return report_command(run_id, report or Path("report.html"), fmt, per_unit, db)

    with reported(lg, as_json), after_storing(stored, lg, as_json, command), ExitStack() as stack:
        from kaohe.engine.run import run
        from kaohe.engine.store import database_url

        sources = fact_sources(facts, facts_sql, facts_db, one=engine == "dask")
        cluster = None
        if engine == "dask":
            from kaohe.engine.dask_engine import DaskEngine

            cluster = stack.enter_context(DaskEngine(scheduler))

        def prepare(rs: Ruleset) -> None:  # report options are checked before anything is evaluated
            if report is not None:
                from kaohe.engine.report import check_report

                check_report(report, fmt=fmt, per_unit=per_unit, region_dir=rs.region_dir,
                             template=rs.model.report.template)

        def progress(done: str) -> None:
            if status is not None:
                status.update(text(f"cli.after.{done}", lg))

        status = None if as_json or not err.is_terminal else err.status(text("cli.stage", lg))
        with status if status is not None else nullcontext():
            outcome = run(ruleset, sources, period=period, db=db, force=force, reason=reason, sheet=sheet,
                          strict=strict, progress=progress, engine=cluster, prepare=prepare, on_stored=stored,
                          extends=extends_policy(ruleset, [ruleset], allow_outside))
        for warning in outcome.warnings:  # stderr: stdout stays the JSON document
            err.print(warning.render(lg), markup=False)
        if report is not None:
            from kaohe.engine.store import Store

            _write_report(outcome.info, outcome.units, report, lg, outcome.ruleset.region_dir,
                          fmt=fmt, per_unit=per_unit, store=Store(db))
        if as_json:
            sys.stdout.flush()
            outcome.write_json(sys.stdout.buffer)
            sys.stdout.buffer.flush()
            return
        if outcome.reused:
            err.print(text("cli.run.reused", lg, id=outcome.info.id), markup=False)
        elif outcome.info.supersedes:
            err.print(text("cli.run.supersedes", lg, old=outcome.info.supersedes,
                           reason=outcome.info.reason or text("cli.runs.no_reason", lg)), markup=False)
        _print_outcome(outcome, lg, db)
        out.print(text("cli.run.done", lg, id=outcome.info.id, ruleset=outcome.info.ruleset_id,
                       period=outcome.info.period, units=outcome.info.units, db=database_url(db)), markup=False)
        if report is not None:
            out.print(text("cli.report.written", lg, path=report), markup=False)


def _print_outcome(outcome, lg: Lang, db: str | None) -> None:  # type: ignore[no-untyped-def]
    """Every unit when there are few; otherwise a summary and the command for the full report."""
    from kaohe.engine.cli.summary import TABLE_LIMIT, Columns, print_summary, print_units

    model = outcome.ruleset.model
    labels = {k: c.label for k, c in model.categories.items()}
    if len(outcome.units) <= TABLE_LIMIT:
        print_units(out, outcome.units, lg, labels)
        return
    source = outcome.evaluation if outcome.evaluation is not None else outcome.units
    command = f"kaohe report {outcome.info.id} --out report.html"
    if db:
        from sqlalchemy.engine import make_url

        from kaohe.engine.store import database_url

        command += f" --db {shlex.quote(make_url(database_url(db)).render_as_string(hide_password=True))}"
    print_summary(out, Columns.of(source), lg, labels, [g.name for g in model.grades], command)


def _write_report(info, units, path: Path, lg, region_dir, *, fmt: str = "html",  # type: ignore[no-untyped-def]
                  per_unit: bool = False, store=None, order: str | None = None) -> Path:
    from kaohe.engine.report import history_from_store, write_report
    from kaohe.engine.store_inputs import report_sources

    history = history_from_store(store, info) if store is not None else None
    details = store.load_details(info.id) if store is not None else None
    sources = report_sources(store.engine, info.id, lg) if store is not None else None
    return write_report(info, units, path, lang=lg, region_dir=region_dir, history=history,
                        fmt=fmt, per_unit=per_unit, details=details, order=order,
                        sources=sources)


def explain(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="run id (a unique prefix is enough)")],
    unit: Annotated[str, typer.Argument(metavar="UNIT", help="unit id or name")],
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Explain every number one unit received in a stored run."""
    from kaohe.engine.explain import explain_stored
    from kaohe.engine.store import Store

    lg = lang_of(lang)
    with reported(lg, as_json):
        doc = explain_stored(Store(db), run_id, unit, lg)
        if as_json:
            print_json({k: v for k, v in doc.items() if k != "lines"})
        else:
            for line in doc["lines"]:
                out.print(line, markup=False)


def runs(
    db: DbOpt = None,
    ruleset: Annotated[str | None, typer.Option("--ruleset", help="only this ruleset id")] = None,
    family: Annotated[str | None, typer.Option("--family", help="only this ruleset family")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="superseded runs too")] = False,
    limit: Annotated[int, typer.Option("--limit", help="at most this many runs")] = 50,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """List stored runs, newest first: the current run of each period (--all: superseded ones too)."""
    from kaohe.engine.store import Store

    lg = lang_of(lang)
    with reported(lg, as_json):
        store = Store(db)
        infos = store.list_runs(ruleset, limit, current_only=not show_all, family=family)
        record = store.run_record([i.id for i in infos])
        if as_json:
            print_json({"runs": [{**i.as_json(), **record[i.id]} for i in infos]})
            return
        columns = ("run", "ruleset", "period", "units", "created", "status", "reason")
        table = Table(*(text(f"cli.col.{c}", lg) for c in columns))
        for i in infos:
            r = record[i.id]
            status = [text("cli.runs.current", lg)] if r["current"] else []
            if r["superseded_by"]:
                status.append(text("cli.runs.superseded", lg, by=r["superseded_by"]))
            if r["published_at"]:
                status.append(text("cli.runs.published", lg, at=r["published_at"][:10]))
            if i.supersedes:
                status.append(text("cli.runs.supersedes", lg, old=i.supersedes))
            table.add_row(i.id, i.ruleset_id, i.period, str(i.units), str(i.created_at)[:19],
                          ("，" if lg == "zh" else ", ").join(status), i.reason or "")
        out.print(table)


def publish(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="run id (a unique prefix is enough)")],
    note: Annotated[str, typer.Option("--note", help="e.g. where and how it was published")] = "",
    db: DbOpt = None,
    as_json: JsonOpt = False,
    lang: LangOpt = None,
) -> None:
    """Mark a run as published (公示); superseding it afterwards needs --reason."""
    from kaohe.engine.store import Store

    lg = lang_of(lang)
    with reported(lg, as_json):
        info, at, new = Store(db).publish(run_id, note)
        if as_json:
            print_json({"run": info.as_json(), "published_at": at.isoformat(), "new": new})
            return
        key = "cli.publish.done" if new else "cli.publish.again"
        out.print(text(key, lg, id=info.id, ruleset=info.ruleset_id, period=info.period,
                       at=at.strftime("%Y-%m-%d %H:%M")), markup=False)




def report(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="run id (a unique prefix is enough)")],
    out_path: Annotated[Path | None, typer.Option(
        "--out", help="file to write (a folder with --per-unit); default report.<format> or cards/")] = None,
    fmt_name: FormatOpt = None,
    per_unit: PerUnitOpt = False,
    order: Annotated[str | None, typer.Option(
        "--order", help="units by category (default), rank or facts (the facts file's rows)")] = None,
    db: DbOpt = None,
    lang: LangOpt = None,
) -> None:
    """Render the report of a stored run: HTML, Markdown, Excel, PDF or the JSON context."""
    from kaohe.engine.store import Store

    lg = lang_of(lang)
    with reported(lg):
        store = Store(db)
        info = store.get_run(run_id)
        region = Path(info.ruleset_path).parent if info.ruleset_path else None
        fmt_name = report_format(fmt_name, out_path)
        target = out_path or (Path("cards") if per_unit else Path(f"report.{fmt_name}"))
        written = _write_report(info, store.load_units(info.id), target, lg, region,
                                fmt=fmt_name, per_unit=per_unit, store=store, order=order)
        out.print(text("cli.report.written", lg, path=written), markup=False)


def demo(
    db: DbOpt = None,
    out_dir: Annotated[Path, typer.Option("--out", help="where to write the report")] = Path("reports"),
    lang: LangOpt = None,
) -> None:
    """Evaluate the bundled example court over its four quarters and write an HTML report."""
    from kaohe.engine.demo import run_demo

    lg = lang_of(lang)
    with reported(lg):
        path = run_demo(db=db, out_dir=out_dir, lang=lg, echo=lambda s: out.print(s, markup=False))
        out.print(text("cli.demo.done", lg, path=path.resolve()), markup=False)


COMMANDS = {"test": test_cmd, "run": run_cmd, "explain": explain, "runs": runs, "publish": publish,
            "report": report, "demo": demo}

register_help({
    test_cmd: "运行规则集中的 `tests:` 示例；有失败时退出码为 1。",
    "ruleset files or folders": "规则集文件或文件夹",
    run_cmd: "按规则集评估事实数据并保存本次运行（退出码：1 规则集无效，2 事实数据无效，3 运行失败且未保存，4 已保存但报告未能写出）。",
    "ruleset file, or a region folder (the version in force for the period is used)":
        "规则集文件，或地区文件夹（使用该期间生效的版本）",
    "facts file: CSV, XLSX, JSON or Parquet; repeat for several departments' files (joined by unit); with --engine "
    "dask: one folder or glob of partition files":
        "事实数据文件：CSV、XLSX、JSON 或 Parquet；可重复，给出多个部门的文件（按单位合并）；"
        "--engine dask 时为一个分区文件所在的文件夹或通配符",
    "facts from this SQL query (with --facts-db)": "从这个 SQL 查询读取事实数据（与 --facts-db 一起使用）",
    "database URL the --facts-sql query runs on": "--facts-sql 查询所在数据库的地址",
    "e.g. 2025Q1": "考核期间，如 2025Q1",
    "store a new run even if the same inputs are stored": "即使相同输入的运行已保存，也保存一次新的运行",
    "XLSX sheet name": "XLSX 工作表名称",
    "also write a report (see --format)": "同时写出报告（格式见 --format）",
    explain: "逐项解释某单位在一次已保存运行中得到的每一个数字。",
    "run id (a unique prefix is enough)": "运行编号（唯一的前缀即可）",
    "unit id or name": "单位编号或名称",
    runs: "列出已保存的运行，最新的在前。",
    "only this ruleset id": "只列出此规则集的运行",
    "at most this many runs": "最多列出的运行数",
    "only this ruleset family": "只列出此规则集族的运行",
    "superseded runs too": "也列出已被取代的运行",
    publish: "把一次运行标记为已公示；此后再取代它需要 --reason 说明原因。",
    "e.g. where and how it was published": "如公示的地点和方式",
    "why this run supersedes the current one (needed when that one is published)":
        "本次运行取代当前运行的原因（当前运行已公示时必须填写）",
    report: "生成一次已保存运行的报告：HTML、Markdown、Excel、PDF 或 JSON 上下文。",
    "file to write (a folder with --per-unit); default report.<format> or cards/":
        "要写入的文件（配合 --per-unit 时为文件夹）；默认 report.<格式> 或 cards/",
    demo: "用内置的示例法院运行四个季度的考核，并写出 HTML 报告。",
    "where to write the report": "报告写入的文件夹",
    "local (default) or dask": "计算引擎：local（默认，单进程）或 dask",
    "Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a local cluster)":
        "Dask 调度器地址，如 tcp://10.0.0.5:8786（默认：本机临时集群）",
    "units by category (default), rank or facts (the facts file's rows)":
        "单位顺序：category（按类别，默认）、rank（按名次）或 facts（按事实数据文件的行序）",
})
